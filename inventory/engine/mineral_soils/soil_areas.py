"""Mineral-soil area of the strata: the whole land minus its organic soils (IPCC 2006 Vol.4 Ch.2).

``land_areas`` holds the whole land area of each stratum, organic soils included; Eq. 2.25
applies to mineral soils only (IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.1), organic soils have their own
method (Sec. 2.3.3.2; 2013 Wetlands Supplement). :func:`mineral_land_areas` takes the organic
area of each (year, climate zone, land use) group out of the group's strata pro rata to their
area (``mineral_land_areas.sql``) and refuses an organic area larger than its group's land;
:func:`soil_areas` is the published activity data, total = mineral + organic per group
(``soil_areas.sql``).
"""

from __future__ import annotations

from typing import Any, Final

import duckdb
import pandas as pd

from inventory.core import vocab
from inventory.core.failures import RowListingError
from inventory.engine import sql_models
from inventory.validation.consistency import ORGANIC_AREA_TOLERANCE

STRATUM = ["country", "year", *vocab.STRATUM_KEYS]
GROUP = ["country", "year", "climate_zone", "land_use"]
PRO_RATA: Final = "pro_rata_in_group"  # Approach 1: organic area out of the group's strata
NOT_SUBTRACTED: Final = "not_subtracted_approach_2_3"  # land units / matrices: whole land
# organic_area_rule -> what it means (docs, CLI listing of the published flag)
ORGANIC_AREA_RULES = {
    PRO_RATA: "organic area of the (year, climate zone, land use) group taken out of the "
    "group's mineral strata pro rata to their land area",
    NOT_SUBTRACTED: "Approach 2/3 (land units, matrices): the units carry no organic-soil "
    "share, the mineral method runs on the whole land; organic area listed beside it",
}


class OrganicAreaExceedsLandError(RowListingError):
    """Organic-soil area of a (year, climate zone, land use) group larger than its land area."""

    headline = (
        "organic-soil area larger than the land area it is part of (organic_soils file, "
        "the rows of each group below, against land_areas):"
    )
    action = (
        "land_areas holds the whole land of each stratum, organic soils included: report the "
        "organic area of a year, climate zone and land use within the land_areas of the same "
        "year, climate zone and land use (check both files' areas, units and codes)"
    )

    def describe(self, r: Any) -> str:
        return (
            f"{r.country} organic_soils rows of {int(r.year)} {r.climate_zone}/{r.land_use}: "
            f"organic {r.organic_area_ha:,.1f} ha > land {r.land_area_ha:,.1f} ha in land_areas"
        )


def _organic(organic_soils: pd.DataFrame | None) -> pd.DataFrame:
    columns = ["country", "year", "climate_zone", "land_use", "area_ha"]
    if organic_soils is None or organic_soils.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "area_ha" else "str")
                             for c in columns}).astype({"year": "int64"})  # fmt: skip
    return organic_soils[columns]


def mineral_land_areas(
    con: duckdb.DuckDBPyConnection,
    land_areas: pd.DataFrame,
    organic_soils: pd.DataFrame | None,
) -> pd.DataFrame:
    """``land_areas`` with ``area_ha`` the mineral-soil area of each stratum [ha].

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection the models run on; the tables ``mineral_land_areas`` and ``soil_areas``
        are (re)created on it.
    land_areas : pandas.DataFrame
        Harmonised ``land_areas``: ``country``, ``year`` [yr], the stratum keys and ``area_ha``
        [ha], the whole land of the stratum (organic soils included); other columns are kept.
    organic_soils : pandas.DataFrame or None
        Harmonised ``organic_soils`` (``country``, ``year`` [yr], ``climate_zone``,
        ``land_use``, ``area_ha`` [ha]), every year of the submission.

    Returns
    -------
    pandas.DataFrame
        ``land_areas`` with ``area_ha`` [ha] the mineral-soil area, the row order and the
        other columns unchanged.

    Raises
    ------
    OrganicAreaExceedsLandError
        When the organic area of a (year, climate zone, land use) group exceeds the group's
        land area by more than the validation's rounding tolerance
        (``consistency.ORGANIC_AREA_TOLERANCE``), naming the group and both sums.

    Notes
    -----
    Eq. 2.25 of [1]_ applies to mineral soils (Sec. 2.3.3.1); organic soils are estimated by
    their own method (Sec. 2.3.3.2, [2]_). Rule (``mineral_land_areas.sql``): the organic area
    O of a group of land area L is taken out of each stratum s of the group as
    O x A(s) / L (``organic_soils`` has no soil class or management, so no stratum can be
    singled out); years outside those of ``organic_soils`` take its nearest year.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Sec. 2.3.3.1, Eq. 2.25 (mineral soils).
    .. [2] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Sec. 2.3.3.2 (organic soils); IPCC (2014). 2013 Supplement: Wetlands, Ch. 2-3.
    """
    sql_models.register(con, {"submitted_land_areas": land_areas[[*STRATUM, "area_ha"]],
                              "organic_soil_areas": _organic(organic_soils)})  # fmt: skip
    with sql_models.one_thread(con):  # group sums in one order: the same areas to the last bit
        sql_models.run_model(con, "mineral_land_areas", into="mineral_land_areas")
    groups = soil_areas(con, PRO_RATA)
    excess = groups[groups["organic_area_ha"]
                    > groups["land_area_ha"] * (1 + ORGANIC_AREA_TOLERANCE)]  # fmt: skip
    if len(excess):
        raise OrganicAreaExceedsLandError(excess)
    mineral = con.execute(f"SELECT {', '.join(STRATUM)}, area_ha FROM mineral_land_areas").df()
    out = land_areas.drop(columns="area_ha").merge(
        mineral, on=STRATUM, how="left", validate="one_to_one"
    )
    return out[list(land_areas.columns)]


def soil_areas(con: duckdb.DuckDBPyConnection, rule: str) -> pd.DataFrame:
    """Published ``soil_areas`` (``soil_areas.sql``): land, mineral and organic area [ha] per
    (country, year, climate zone, land use) and the ``organic_area_rule`` applied.

    ``con`` holds ``mineral_land_areas`` and ``organic_soil_areas`` (:func:`mineral_land_areas`,
    or :func:`whole_land_soil_areas`).
    """
    sql_models.run_model(con, "soil_areas", {"organic_area_rule": rule}, into="soil_areas")
    return con.execute("SELECT * FROM soil_areas ORDER BY ALL").df()


def whole_land_soil_areas(
    con: duckdb.DuckDBPyConnection,
    land_areas: pd.DataFrame,
    organic_soils: pd.DataFrame | None,
) -> pd.DataFrame:
    """``soil_areas`` of an Approach 2/3 run: the mineral method ran on the whole land.

    Land units and matrices carry no organic-soil share, so the mineral-soil areas are the
    land areas (``mineral_area_ha`` = ``land_area_ha``) and the organic area is listed beside
    them with ``organic_area_rule`` = ``not_subtracted_approach_2_3`` (docs/methods.md).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection the models run on.
    land_areas : pandas.DataFrame
        The strata areas the engine ran on (``country``, ``year`` [yr], the stratum keys,
        ``area_ha`` [ha]).
    organic_soils : pandas.DataFrame or None
        Harmonised ``organic_soils``.

    Returns
    -------
    pandas.DataFrame
        :func:`soil_areas` rows.
    """
    empty = _organic(None)
    sql_models.register(con, {"submitted_land_areas": land_areas[[*STRATUM, "area_ha"]],
                              "organic_soil_areas": empty})  # fmt: skip
    sql_models.run_model(con, "mineral_land_areas", into="mineral_land_areas")
    sql_models.register(con, {"organic_soil_areas": _organic(organic_soils)})
    return soil_areas(con, NOT_SUBTRACTED)
