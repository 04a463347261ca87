"""Harmonisation of area datasets to canonical units (profiles: ``inventory.harmonise.profiles``).

Submitted ``area`` + ``area_unit`` columns become ``area_ha``; one pint conversion per distinct
unit string (``inventory.core.units.convert_column``), never per row.
"""

from __future__ import annotations

import pandas as pd

from inventory.core import units, vocab

LAND_AREA_COLUMNS = ["country", "year", *vocab.STRATUM_KEYS, "area_ha"]
LAND_UNIT_COLUMNS = ["country", "unit_id", "year", *vocab.STRATUM_KEYS, "area_ha"]
ORGANIC_COLUMNS = [
    "country", "year", "climate_zone", "land_use", "drainage", "nutrient_status",
    "drainage_depth", "area_ha",
]  # fmt: skip


AREA_UNCERTAINTY = vocab.AREA_UNCERTAINTY


def stratum_uncertainty(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Per stratum (``keys``, years pooled) the submitted area uncertainty [%], area-weighted
    over its rows (an empty cell counts as an exact area, 0 %); NaN when none of its rows gives
    one. One value per stratum, because the Monte Carlo draws one area multiplier per stratum
    for all its years (``inventory.engine.uncertainty.montecarlo.area_multipliers``)."""
    area = frame["area_ha"].astype("float64").clip(lower=0)
    u = pd.to_numeric(frame[AREA_UNCERTAINTY], errors="coerce")
    parts = frame[keys].assign(_a=area, _au=area * u.fillna(0.0), _u=u.fillna(0.0),
                               _n=u.notna())  # fmt: skip
    sums = parts.groupby(keys, sort=True, dropna=False)[["_a", "_au", "_u", "_n"]].agg(
        {"_a": "sum", "_au": "sum", "_u": "mean", "_n": "any"}
    )
    value = (sums["_au"] / sums["_a"]).where(sums["_a"] > 0, sums["_u"]).where(sums["_n"])
    return value.rename(AREA_UNCERTAINTY).reset_index()


def with_stratum_uncertainty(out: pd.DataFrame, submitted: pd.DataFrame,
                             keys: list[str]) -> pd.DataFrame:  # fmt: skip
    """``out`` with ``area_uncertainty_pct`` [%] of its stratum (:func:`stratum_uncertainty`
    of the ``submitted`` rows) when the submission has the column; else ``out`` unchanged."""
    if AREA_UNCERTAINTY not in submitted.columns:
        return out
    table = stratum_uncertainty(submitted, keys)
    return out.drop(columns=AREA_UNCERTAINTY, errors="ignore").merge(
        table, on=keys, how="left", validate="many_to_one"
    )


def _with_area_ha(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["area_ha"] = units.convert_column(
        out["area"], out["area_unit"], units.CANONICAL_UNITS["area"]
    )
    out["year"] = out["year"].astype("int64")
    return out


def harmonise_land_areas(land_areas: pd.DataFrame) -> pd.DataFrame:
    """Approach 1 areas [ha] by stratum and year, summed over duplicate stratum-year rows.

    Parameters
    ----------
    land_areas : pandas.DataFrame
        Submitted ``land_areas``: ``country``, ``year`` [yr], the stratum keys
        (``vocab.STRATUM_KEYS``), ``area`` and ``area_unit`` (e.g. [ha], [km2]).

    Returns
    -------
    pandas.DataFrame
        ``LAND_AREA_COLUMNS`` with ``area_ha`` [ha], one row per country, year and stratum,
        and ``area_uncertainty_pct`` [%] of the stratum when submitted
        (:func:`stratum_uncertainty`).
        Rows with an unusable unit get NaN (validation rejects them before this runs).
    """
    out = _with_area_ha(land_areas)
    grouped = out.groupby(LAND_AREA_COLUMNS[:-1], as_index=False, sort=True)
    summed = grouped.agg(area_ha=("area_ha", "sum"))
    return with_stratum_uncertainty(summed, out, ["country", *vocab.STRATUM_KEYS])


def harmonise_land_units(land_units: pd.DataFrame) -> pd.DataFrame:
    """Approach 2/3 land units with annual histories, area [ha].

    Parameters
    ----------
    land_units : pandas.DataFrame
        Submitted ``land_units``: ``country``, ``unit_id``, ``year`` [yr], the stratum keys,
        ``area`` and ``area_unit`` (e.g. [ha], [km2]).

    Returns
    -------
    pandas.DataFrame
        ``LAND_UNIT_COLUMNS`` with ``area_ha`` [ha], one row per submitted row.
    """
    out = _with_area_ha(land_units)
    return with_stratum_uncertainty(out[LAND_UNIT_COLUMNS], out, ["country", "unit_id"])


def harmonise_organic_soils(organic_soils: pd.DataFrame) -> pd.DataFrame:
    """Drained and rewetted organic-soil areas [ha]; blank qualifiers become not_applicable.

    Parameters
    ----------
    organic_soils : pandas.DataFrame
        Submitted ``organic_soils``: ``country``, ``year`` [yr], ``climate_zone``,
        ``land_use``, ``drainage``, ``nutrient_status``, ``drainage_depth``, ``area`` and
        ``area_unit`` (e.g. [ha], [km2]).

    Returns
    -------
    pandas.DataFrame
        ``ORGANIC_COLUMNS`` with ``area_ha`` [ha], summed over duplicate stratum-year rows;
        blank ``nutrient_status`` / ``drainage_depth`` become ``not_applicable``.
    """
    out = _with_area_ha(organic_soils)
    for column in ("nutrient_status", "drainage_depth"):
        out[column] = out[column].fillna(vocab.NOT_APPLICABLE)
    grouped = out.groupby(ORGANIC_COLUMNS[:-1], as_index=False, sort=True)
    summed = grouped.agg(area_ha=("area_ha", "sum"))
    keys = [c for c in ORGANIC_COLUMNS[:-1] if c != "year"]
    return with_stratum_uncertainty(summed, out, keys)
