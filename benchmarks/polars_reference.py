"""Polars implementation of the Approach 2/3 stock change, a peer of the pandas reference.

The same equations as ``bench_engine.pandas_stock_changes`` (IPCC 2006 Vol.4 Ch.2 Eq. 2.25 per
unit and year, dC = (SOC(y) - SOC(max(y - D, first year))) / D; land converted while
y - spell start < D after another land use, else land remaining), written the way a Polars user
would: one lazy query over the unit-year rows, window functions over each unit. Deterministic
only (no factor resolution, no Monte Carlo), like the pandas reference. Needs ``polars``
(``pip install -e ".[bench]"``).
"""

from __future__ import annotations

import polars as pl

STRATUM = ["country", "climate_zone", "soil_class", "land_use", "management", "input"]
UNIT = ["country", "unit_id"]
KEYS = ["country", "year", "land_use", "land_use_category"]
D = 20  # IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.1, default transition period [yr]


def polars_stock_changes(land_units: pl.LazyFrame, density: pl.DataFrame) -> pl.DataFrame:
    """Stock change [t C/yr] and area [ha] by (country, year, land use, category).

    ``density``: ``stock_per_ha`` = SOC_REF x F_LU x F_MG x F_I [t C/ha] per stratum.
    """
    frame = (
        land_units.join(density.lazy(), on=STRATUM, how="left")
        .sort([*UNIT, "year"])
        .with_columns(stock=pl.col("area_ha") * pl.col("stock_per_ha"))
        .with_columns(
            past=pl.col("stock").shift(D).over(UNIT),
            first=pl.col("stock").first().over(UNIT),
            before=pl.col("land_use").shift(1).over(UNIT),
        )
        .with_columns(
            dC_tc_per_yr=(pl.col("stock") - pl.col("past").fill_null(pl.col("first"))) / D,
            spell=pl.col("land_use").ne_missing(pl.col("before")).cum_sum(),
        )
        .with_columns(
            spell_start=pl.col("year").min().over("spell"),
            previous=pl.col("before").first().over("spell"),
        )
    )
    converted = pl.col("previous").is_not_null() & (pl.col("year") - pl.col("spell_start") < D)
    category = (
        pl.when(converted)
        .then(pl.lit("land_converted_to_") + pl.col("land_use"))
        .otherwise(pl.col("land_use") + pl.lit("_remaining_") + pl.col("land_use"))
    )
    return (
        frame.with_columns(land_use_category=category)
        .group_by(KEYS)
        .agg(pl.col("area_ha").sum(), pl.col("dC_tc_per_yr").sum())
        .sort(KEYS)
        .collect()
    )
