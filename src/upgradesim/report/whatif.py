"""The what-if controls of ``notebooks/what_if.ipynb``: ipywidgets that turn into a plan overlay,
re-simulate through :func:`upgradesim.api.what_if` and show the risk table and a plot."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import UpgradesimError

__all__ = ["WhatIfControls"]


@dataclass
class WhatIfControls:
    plan: object
    strategy: str
    values: dict = field(default_factory=dict)

    def __post_init__(self):
        spec = self.plan.strategy(self.strategy)
        app = self.plan.tiers.get("app") or next(iter(self.plan.tiers.values()))
        p = getattr(app.failure_prob, "mean", app.failure_prob)
        self.values = {"strategy": self.strategy, "batch_size": getattr(spec, "batch_size", None) or 4,
                       "bake_h": float(getattr(spec, "bake_h", 0.0) or 0.0), "window_hours": self._window_hours(),
                       "failure_prob": float(p), "traffic_growth_pct": 0.0}

    def _window_hours(self) -> float:
        windows = self.plan.calendar.windows
        if not windows:
            return 4.0
        w = windows[0]
        return ((w.end.hour * 60 + w.end.minute - w.start.hour * 60 - w.start.minute) % 1440 or 1440) / 60

    # ------------------------------------------------------------------ the model behind the controls

    def overlay(self) -> tuple[dict, dict]:
        """(plan changes, strategy changes) for the current values."""
        from .. import api

        v = self.values
        changes = api.what_if_changes(self.plan, failure_prob=v["failure_prob"],
                                      traffic_growth_pct=v["traffic_growth_pct"],
                                      window_hours=v["window_hours"] if self.plan.calendar.windows else None)
        spec = self.plan.strategy(v["strategy"])
        strategy_changes = {}
        if spec.kind in ("rolling", "phased"):
            strategy_changes.update(batch_size=int(v["batch_size"]), batch_pct=None)
        if spec.kind in ("phased", "canary"):
            strategy_changes["bake_h"] = float(v["bake_h"])
        return changes, strategy_changes

    def result(self, replications: int = 200):
        from .. import api

        changes, strategy_changes = self.overlay()
        return api.what_if(self.plan, self.values["strategy"], changes=changes,
                           strategy_changes={k: v for k, v in strategy_changes.items() if v is not None} or None,
                           replications=replications)

    def write_overlay(self, path: str | Path) -> Path:
        """The current setting as a plan overlay file (``--overlay`` of validate/check/compare)."""
        from ..plan.overlay import strategy_overlay

        changes, strategy_changes = self.overlay()
        overlay = dict(changes)
        if strategy_changes:
            listed = strategy_overlay(self.plan, self.values["strategy"], **strategy_changes)
            for s in listed["strategies"]:
                for k in [k for k, v in s.items() if v is None]:
                    s.pop(k)
            overlay.update(listed)
        path = Path(path)
        path.write_text("# what-if setting, from notebooks/what_if.ipynb\n" + yaml.safe_dump(overlay, sort_keys=False))
        return path

    # ------------------------------------------------------------------ the widgets

    def render(self, result) -> None:
        from ..sim.tolerance import check_tolerance
        from . import plots
        from .decision import plain_checks
        from .display import say, show, table

        summary = result.summary
        checks = check_tolerance(summary, self.plan.risk, self.values["strategy"])
        import pandas as pd

        frame = pd.DataFrame([{"figure": c.figure, "estimate": c.estimate, "limit": c.limit, "status": c.status}
                              for c in checks])
        say(f"{self.values['strategy']}: {', '.join(f'{k} {v:g}' if isinstance(v, float) else f'{k} {v}' for k, v in self.values.items() if k != 'strategy')}")
        table(plain_checks(frame)) if len(frame) else say("The plan's risk tolerance bounds no figure.")
        table(result.to_frame())
        show(plots.distributions(result.result.replications, "duration_min", "duration (hours)", 1 / 60))

    def show(self, replications: int = 200, overlay_out: str = "what-if-overlay.yaml") -> None:
        """Display the controls and the result for the current values; every change re-simulates."""
        import ipywidgets as w
        from IPython.display import display

        v = self.values
        controls = {
            "strategy": w.Dropdown(options=[s.name for s in self.plan.strategies], value=v["strategy"],
                                   description="strategy"),
            "batch_size": w.IntSlider(value=int(v["batch_size"]), min=1, max=max(2, self.plan.node_count // 4),
                                      description="batch size"),
            "bake_h": w.FloatSlider(value=v["bake_h"], min=0, max=168, step=1, description="bake (h)"),
            "window_hours": w.FloatSlider(value=v["window_hours"], min=1, max=12, step=0.5, description="window (h)"),
            "failure_prob": w.FloatSlider(value=v["failure_prob"], min=0, max=0.3, step=0.005, readout_format=".3f",
                                          description="P(fail)"),
            "traffic_growth_pct": w.FloatSlider(value=0, min=-50, max=100, step=5, description="traffic +%"),
        }
        out = w.Output()
        button = w.Button(description="write overlay")
        note = w.Label()

        def refresh(_=None):
            for name, control in controls.items():
                self.values[name] = control.value
            out.clear_output(wait=True)
            with out:
                try:
                    self.render(self.result(replications))
                except (UpgradesimError, KeyError) as exc:  # a refused setting is shown beside the controls
                    print(f"not a valid setting: {exc}")

        def write(_):
            note.value = f"wrote {self.write_overlay(overlay_out)}"

        for control in controls.values():
            control.observe(refresh, names="value")
        button.on_click(write)
        display(w.VBox([*controls.values(), w.HBox([button, note]), out]))
        refresh()
        self.render(self.result(replications))  # also outside the widget: headless runs show the result
