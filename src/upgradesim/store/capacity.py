"""The store's telemetry read for plans: hour-of-week demand, utilisation peaks per region and
tier (CPU for capacity), and memory/disk peaks per host. A mixin of :class:`~upgradesim.store.Store`."""

from __future__ import annotations

import numpy as np

from ..errors import DataError

__all__ = ["CapacityQueries"]


class CapacityQueries:
    def demand_profile(self, service: str, metric: str, region: str, tz: str, window=(None, None)) -> list[float]:
        """168 requests/s by local hour of week (Monday 00:00 first) from a per-step count metric.

        The region's hosts are summed per timestamp and divided by the sampling step; hours of
        week the data does not cover are filled from the same hour on other days.
        """
        params: list = [service, metric, region]
        bounds = self._where(window, params).replace(" WHERE", " AND")
        rows = self.con.execute(f"""
            WITH per_ts AS (
                SELECT ts, sum(value) AS total FROM telemetry
                WHERE service = ? AND metric = ? AND region = ?{bounds}
                GROUP BY ts),
            step AS (SELECT median(epoch(ts) - epoch(prev)) AS s
                     FROM (SELECT ts, lag(ts) OVER (ORDER BY ts) AS prev FROM per_ts))
            SELECT (isodow(timezone(?, ts)) - 1) * 24 + hour(timezone(?, ts)) AS how, avg(total) / (SELECT s FROM step)
            FROM per_ts GROUP BY 1 ORDER BY 1
        """, [*params, tz, tz]).fetchall()
        if not rows:
            raise DataError(f"traffic metric {service}/{metric}: no telemetry for region {region}")
        profile = np.full(168, np.nan)
        for how, value in rows:
            profile[int(how)] = value
        by_hour = np.nanmean(profile.reshape(7, 24), axis=0)
        profile = np.where(np.isnan(profile), np.tile(by_hour, 7), profile)
        return [float(v) for v in np.nan_to_num(profile)]

    def utilisation_peaks(self, plan, metric: str = "cpu_pct") -> dict[tuple[str, str], float] | None:
        """Measured peak utilisation (0..1) per (region, tier): the highest per-timestamp mean of
        ``metric`` over the hosts of the tier's services (services named like plan components)."""
        tiers = {c.name: c.tier for c in plan.components}
        rows = self.con.execute("""
            SELECT region, service, max(mean) FROM (
                SELECT ts, region, service, avg(value) AS mean FROM telemetry
                WHERE metric = ? AND region IS NOT NULL AND NOT isnan(value) GROUP BY ALL)
            GROUP BY ALL""", [metric]).fetchall()
        peaks: dict[tuple[str, str], float] = {}
        for region, service, peak in rows:
            tier = tiers.get(service)
            if tier is not None:
                peaks[(region, tier)] = max(peaks.get((region, tier), 0.0), float(peak) / 100.0)
        return peaks or None

    def resource_peaks(self, plan) -> dict[tuple[str, str], dict]:
        """{(region, tier): {"memory_used_mb": peak, "disk_used_gb": peak}}: the highest value of
        each metric on any host of the tier's services (services named like plan components)."""
        tiers = {c.name: c.tier for c in plan.components}
        rows = self.con.execute("""
            SELECT region, service, metric, max(value) FROM telemetry
            WHERE metric IN ('memory_used_mb', 'disk_used_gb') AND region IS NOT NULL AND NOT isnan(value)
            GROUP BY ALL""").fetchall()
        peaks: dict[tuple[str, str], dict] = {}
        for region, service, metric, peak in rows:
            tier = tiers.get(service)
            if tier is not None:
                slot = peaks.setdefault((region, tier), {})
                slot[metric] = max(slot.get(metric, 0.0), float(peak))
        return peaks
