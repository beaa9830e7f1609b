"""Sample datasets for ``upgradesim data``: the orders table before and after the migration (one
amount changed, one order lost) and a staging customer extract with unmasked e-mail addresses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["write_datasets"]


def write_datasets(folder: Path, seed: int = 20261121) -> list[Path]:
    rng = np.random.default_rng(seed)
    out = folder / "datasets"
    for sub in ("source", "target", "staging"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    n = 20_000
    orders = pd.DataFrame({"id": np.arange(1, n + 1), "customer_id": rng.integers(1, 2_000, n),
                           "amount_cents": rng.integers(100, 50_000, n),
                           "status": rng.choice(["new", "paid", "shipped", "closed"], n)})
    migrated = orders.sample(frac=1.0, random_state=1).reset_index(drop=True)  # another order: no difference
    migrated.loc[migrated["id"] == 4242, "amount_cents"] += 1  # a changed cell
    migrated = migrated[migrated["id"] != 17_001]  # a lost row
    customers = pd.DataFrame({"customer_id": np.arange(1, 201),
                              "first_name": ["XXXX"] * 180 + [f"Name{i}" for i in range(20)],
                              "email": [f"masked-{i:04d}" for i in range(190)] + [f"user{i}@example.org" for i in range(10)],
                              "segment": rng.choice(["retail", "trade"], 200)})
    paths = [out / "source" / "orders.parquet", out / "target" / "orders.parquet", out / "staging" / "customers.csv"]
    orders.to_parquet(paths[0], index=False)
    migrated.to_parquet(paths[1], index=False)
    customers.to_csv(paths[2], index=False)
    return paths
