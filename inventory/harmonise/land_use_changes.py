"""Harmonisation of land-use change matrices and of the compiler's national totals.

``land_use_changes`` (Approach 2, IPCC 2006 Vol.4 Ch.3 Sec. 3.3.1): areas to ``area_ha`` [ha],
the effective period start ``from_year`` filled in (the previous matrix's year, else
``year - 1``; :func:`inventory.validation.land_use_changes.matrix_periods`), duplicate cells
summed. ``national_totals`` (for the key category analysis, IPCC 2006 Vol.1 Ch.4): emissions to
``emissions_t_co2e`` [t CO2e].
"""

from __future__ import annotations

import pandas as pd

from inventory.core import units
from inventory.harmonise import areas
from inventory.validation.land_use_changes import matrix_periods
from inventory.validation.rules import EMISSION_UNITS, FROM_STATE, TO_STATE

MATRIX_COLUMNS = [
    "country", "year", "from_year", "climate_zone", "soil_class", *FROM_STATE, *TO_STATE,
    "area_ha",
]  # fmt: skip
NATIONAL_TOTAL_COLUMNS = [
    "country", "year", "category", "gas", "emissions_t_co2e", "uncertainty_pct",
]  # fmt: skip


def harmonise_land_use_changes(matrices: pd.DataFrame) -> pd.DataFrame:
    """Land-use change matrices [ha] with their periods, one row per country, year and cell.

    Parameters
    ----------
    matrices : pandas.DataFrame
        Submitted ``land_use_changes``: ``country``, ``year`` [yr], ``from_year`` [yr, may be
        empty], ``climate_zone``, ``soil_class``, the from/to state columns, ``area`` and
        ``area_unit`` (e.g. [ha], [kha]).

    Returns
    -------
    pandas.DataFrame
        ``MATRIX_COLUMNS``: ``area_ha`` [ha] summed over repeated cells, ``from_year`` [yr]
        the start of the matrix's period.
    """
    out = matrices.copy()
    out["area_ha"] = units.convert_column(out["area"], out["area_unit"],
                                          units.CANONICAL_UNITS["area"])  # fmt: skip
    out["year"] = out["year"].astype("int64")
    periods = matrix_periods(out)[["year", "from_year"]]
    out = out.drop(columns="from_year").merge(periods, on="year", how="left")
    grouped = out.groupby(MATRIX_COLUMNS[:-1], as_index=False, sort=True)
    summed = grouped.agg(area_ha=("area_ha", "sum"))
    cells = [c for c in MATRIX_COLUMNS[:-1] if c not in ("year", "from_year")]
    return areas.with_stratum_uncertainty(summed, out, cells)


def harmonise_national_totals(totals: pd.DataFrame) -> pd.DataFrame:
    """The compiler's national emissions by category and gas, in t CO2e (+ emission, - removal).

    Parameters
    ----------
    totals : pandas.DataFrame
        Submitted ``national_totals``: ``country``, ``year`` [yr], ``category``, ``gas``,
        ``emissions`` [unit of ``emissions_unit``: t, kt, Gg, Mt or Tg CO2e, as lower_snake
        codes], ``uncertainty_pct`` [%, +/- of the 95 % interval; may be empty].

    Returns
    -------
    pandas.DataFrame
        ``NATIONAL_TOTAL_COLUMNS`` with ``emissions_t_co2e`` [t CO2e yr-1].
    """
    factor = totals["emissions_unit"].map(EMISSION_UNITS).astype("float64")
    out = totals.assign(
        year=totals["year"].astype("int64"),
        category=totals["category"].astype("str").str.strip(),
        emissions_t_co2e=totals["emissions"].astype("float64") * factor,
    )
    return out[NATIONAL_TOTAL_COLUMNS].sort_values(["year", "category", "gas"], ignore_index=True)
