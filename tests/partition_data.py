"""A small seeded land-unit dataset with every path the Approach 2/3 engine takes.

Units start in one of six states; by a seeded draw some never change, some change land use
once (conversion), some change tillage only, some go to grass for a few years and come back
(A-B-A), some have their area revised, and some start later than the others. Used to compare
the partitioned engine with the single-machine one (results must agree to 1e-9 relative).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STATES = [  # land_use, management, input
    ("cropland", "full_tillage", "medium"),
    ("cropland", "no_tillage", "medium"),
    ("grassland", "nominal", "not_applicable"),
    ("grassland", "improved", "medium"),
    ("forest_land", "not_applicable", "not_applicable"),
    ("settlements", "not_applicable", "not_applicable"),
]
ZONES = ("warm_temperate_moist", "cool_temperate_dry", "tropical_moist")
SOILS = ("hac", "lac", "sandy")
FIRST_YEAR, N_YEARS = 1985, 40


def land_units(n_units: int, *, seed: int = 17, country: str = "SYN") -> pd.DataFrame:
    """``n_units`` units x up to 40 years (1985-2024), one row per unit and year."""
    rng = np.random.default_rng(seed)
    unit = np.arange(n_units)
    start = rng.integers(0, len(STATES), n_units)
    path = rng.choice(5, n_units, p=[0.55, 0.2, 0.1, 0.1, 0.05])  # static, lu, tillage, ABA, area
    change = rng.integers(FIRST_YEAR + 1, FIRST_YEAR + N_YEARS - 1, n_units)
    target = np.where(start == 2, 0, 2)  # grass -> cropland, anything else -> grass
    first = FIRST_YEAR + np.where(rng.random(n_units) < 0.1, rng.integers(1, 10, n_units), 0)
    years = np.arange(FIRST_YEAR, FIRST_YEAR + N_YEARS)
    u, y = np.repeat(unit, N_YEARS), np.tile(years, n_units)
    keep = y >= first[u]
    u, y = u[keep], y[keep]
    after = y >= change[u]
    state = start[u].copy()
    state = np.where((path[u] == 1) & after, target[u], state)
    state = np.where((path[u] == 2) & after & (start[u] == 0), 1, state)
    state = np.where((path[u] == 3) & after & (y < change[u] + 4), 2, state)
    area = np.round(1.0 + rng.random(n_units) * 49.0, 2)[u]
    area = np.where((path[u] == 4) & after, area * 1.5, area)
    zone = rng.integers(0, len(ZONES), n_units)[u]
    soil = rng.integers(0, len(SOILS), n_units)[u]
    return pd.DataFrame({
        "country": country, "unit_id": u.astype("int64"), "year": y.astype("int64"),
        "climate_zone": np.asarray(ZONES, dtype=object)[zone],
        "soil_class": np.asarray(SOILS, dtype=object)[soil],
        "land_use": np.asarray([s[0] for s in STATES], dtype=object)[state],
        "management": np.asarray([s[1] for s in STATES], dtype=object)[state],
        "input": np.asarray([s[2] for s in STATES], dtype=object)[state],
        "area_ha": area,
    })  # fmt: skip
