"""The random inputs of one replication, drawn up front in node order (common random numbers). A
mixin of :class:`~.model.Rollout`."""

from __future__ import annotations

import numpy as np

from .distributions import posterior_draw, probability_draw, sample

__all__ = ["Inputs"]


class Inputs:
    """Draws every random input of a replication from its streams."""

    # ------------------------------------------------------------------ random inputs

    def _draw(self, rng: dict[str, np.random.Generator]) -> None:
        prep, plan = self.prep, self.plan
        attempts = 1 + max(b.retries for b in plan.tiers.values())
        n = prep.n
        self.dur = np.empty((n, attempts))
        self.detect = np.empty((n, attempts))
        self.rollback = np.empty((n, attempts))
        self.fail = np.empty((n, attempts), dtype=bool)
        self.revert_min = np.empty(n)
        for tier in sorted(plan.tiers):  # fixed order: the same node gets the same draws in every strategy
            ks = [s.k for s in prep.nodes if s.tier == tier]
            if not ks:
                continue
            b = plan.tiers[tier]
            m = len(ks)
            duration = posterior_draw(b.upgrade_min, rng["params"])
            p_fail = probability_draw(b.failure_prob, rng["params"])
            self.dur[ks] = sample(duration, rng["duration"], (m, attempts))
            if b.steps > 1:  # a multi-hop upgrade: the further steps' durations, and any step failing
                self.dur[ks] += sample(duration, rng["duration"], (m, attempts, b.steps - 1)).sum(axis=2)
                p_fail = 1.0 - (1.0 - p_fail) ** b.steps
            self.fail[ks] = rng["failure"].random((m, attempts)) < p_fail
            self.detect[ks] = sample(b.detect_min, rng["detect"], (m, attempts))
            self.rollback[ks] = sample(b.rollback_min, rng["rollback"], (m, attempts))
            self.revert_min[ks] = sample(b.rollback_min, rng["revert"], m)
        self.first_min = self.dur[:, 0].tolist()  # Python floats: the hot path compares and adds them
        self.revert_list = self.revert_min.tolist()
        self.max_attempts = {t: 1 + b.retries for t, b in plan.tiers.items()}
        # the release: a latent defect, and when it shows after first exposure
        rel = plan.release
        u = rng["release"].random(2)
        self.defect = bool(u[0] < rel.defect_prob)
        self.manifest_after = float(sample(rel.defect_manifest_h, rng["release"], 1)[0]) * 60.0
        self.defect_share = rel.defect_error_pct / 100.0
        # schema migration per region: lock wait, failure, where in the run it fails
        self.mig: dict[str, tuple[float, bool, float]] = {}
        m = plan.migration
        gen = rng["migration"]
        for region in prep.regions:
            if m is None:
                continue
            mean_hold = sample(m.long_transactions.hold_min, gen, 4000).mean() if m.long_transactions.per_hour else 0.0
            open_tx = gen.poisson(m.long_transactions.per_hour / 60.0 * mean_hold) if mean_hold else 0
            # residual hold of each transaction running when the migration asks for its lock
            wait = float((sample(m.long_transactions.hold_min, gen, open_tx) * gen.random(open_tx)).max()) if open_tx else 0.0
            self.mig[region] = (wait, bool(gen.random() < m.failure_prob), float(gen.random()))
