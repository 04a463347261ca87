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
        ``LAND_AREA_COLUMNS`` with ``area_ha`` [ha], one row per country, year and stratum.
        Rows with an unusable unit get NaN (validation rejects them before this runs).
    """
    out = _with_area_ha(land_areas)
    grouped = out.groupby(LAND_AREA_COLUMNS[:-1], as_index=False, sort=True)
    return grouped.agg(area_ha=("area_ha", "sum"))


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
    return _with_area_ha(land_units)[LAND_UNIT_COLUMNS]


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
    return grouped.agg(area_ha=("area_ha", "sum"))
