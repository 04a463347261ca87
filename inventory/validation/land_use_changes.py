"""Consistency of land-use change matrices (Approach 2 land representation).

A matrix (``land_use_changes``, one per ``year``) holds, for each climate x soil cell, the area
that went from one state (land use, management, input) at ``from_year`` to another at
``year``, the diagonal (unchanged area) included; ``from_year`` defaults to the previous
matrix's year (``year - 1`` for the first matrix), so annual and period matrices both work.
IPCC 2006 Vol.4 Ch.3 Sec. 3.3.1 (Approach 2): the rows of a matrix sum to the areas by state at
the start of the period, the columns to the areas at its end, and the total land area does not
change. Checked here, set-based (pandas group sums), before a package is accepted:

* one period per matrix, and matrices that chain (a matrix starts where the previous ended);
* row sums = column sums of the previous matrix, state by state (``matrix_rows_mismatch``);
* when ``land_areas`` are submitted too: row sums = its areas of ``from_year`` and column sums
  = its areas of ``year``, where it reports those years (``matrix_land_areas_mismatch``);
* the total area of every matrix within the tolerance of the median total.

Every failure names the year, the cell (climate zone / soil class / state) and both sums.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from inventory.core.failures import failure, failure_frame
from inventory.validation import consistency
from inventory.validation.rules import FROM_STATE, TO_STATE

STATE = ("land_use", "management", "input")
CELL = ("climate_zone", "soil_class")
# Row and column sums of matrices may differ by rounding of the cells to whole hectares.
ROUNDING_HA = 1.0


def matrix_periods(frame: pd.DataFrame) -> pd.DataFrame:
    """The period of each matrix: ``year`` and the effective ``from_year`` [yr].

    ``from_year`` is the one given on the matrix's rows (``n_from_years`` counts the distinct
    values given, ``last_from_year`` the largest, to report a matrix with several), else the
    previous matrix's year, else year - 1.
    """
    dated = frame.dropna(subset=["year"])
    year = dated["year"].astype("int64")
    given = dated["from_year"].groupby(year)
    periods = pd.DataFrame({"year": np.sort(year.unique())})
    periods["n_from_years"] = periods["year"].map(given.nunique()).fillna(0).astype("int64")
    periods["last_from_year"] = periods["year"].map(given.max())
    default = periods["year"].shift(1).fillna(periods["year"] - 1)
    periods["from_year"] = periods["year"].map(given.min()).fillna(default).astype("int64")
    return periods


def _sums(frame: pd.DataFrame, side: tuple[str, ...], year: str) -> pd.DataFrame:
    """Areas by state summed over the other side of the matrix, keyed on ``year``."""
    renamed = frame.rename(columns=dict(zip(side, STATE, strict=True)))
    keys = [year, *CELL, *STATE]
    return renamed.groupby(keys)["area_ha"].sum().reset_index()


def _mismatch(left: pd.DataFrame, right: pd.DataFrame, tolerance_pct: float) -> pd.DataFrame:
    """Outer join of two state-area tables on (year, cell, state); rows differing by more than
    the tolerance of the larger area (and by more than rounding)."""
    keys = ["year", *CELL, *STATE]
    both = left.merge(right, on=keys, how="outer", suffixes=("_a", "_b")).fillna(
        {"area_ha_a": 0.0, "area_ha_b": 0.0}
    )
    diff = (both["area_ha_a"] - both["area_ha_b"]).abs()
    larger = both[["area_ha_a", "area_ha_b"]].max(axis=1)
    return both[(diff > larger * tolerance_pct / 100) & (diff > ROUNDING_HA)]


def _starting(periods: pd.DataFrame) -> pd.Series:
    """from_year -> the year of the (first) matrix starting then."""
    return periods.drop_duplicates("from_year").set_index("from_year")["year"]


def _first_rows(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(frame.index, index=frame.index).groupby(frame["year"]).min()


def _records(bad: pd.DataFrame, rows: pd.Series, file: str, rule: str, text: str,
             fix: str) -> list[dict]:  # fmt: skip
    """One failure per mismatching state; ``text`` formats year, a_year, cell, a, b."""
    records = []
    for r in bad.to_dict("records"):  # the few offending states, not the data
        cell = "/".join(str(r[k]) for k in (*CELL, *STATE))
        matrix_year = int(r["matrix_year"])
        message = text.format(year=matrix_year, at=int(r["year"]), cell=cell, a=r["area_ha_a"],
                              b=r["area_ha_b"])  # fmt: skip
        records.append(failure(rule, message, fix, file=file,
                               row=int(rows.get(matrix_year, 0)) or None, column="area",
                               value=f"{r['area_ha_a']:g}"))  # fmt: skip
    return records


def _chain_failures(frame: pd.DataFrame, periods: pd.DataFrame, tolerance_pct: float,
                    file: str) -> list[dict]:  # fmt: skip
    """Each matrix's row sums against the previous matrix's column sums."""
    start = _sums(frame, FROM_STATE, "year").merge(periods[["year", "from_year"]], on="year")
    start = start.rename(columns={"year": "matrix_year", "from_year": "year"})
    chained = start[start["year"].isin(periods["year"])]
    if chained.empty:
        return []
    end = _sums(frame, TO_STATE, "year")
    end = end[end["year"].isin(chained["year"])]
    bad = _mismatch(chained, end, tolerance_pct)
    bad = bad.assign(matrix_year=bad["matrix_year"].fillna(bad["year"].map(_starting(periods))))
    return _records(
        bad,
        _first_rows(frame),
        file,
        "matrix_rows_mismatch",
        "matrix {year}: {cell} starts from {a:,.1f} ha (row sum), but the {at} matrix ends "
        "with {b:,.1f} ha (column sum)",
        "a matrix's rows must add up to the previous matrix's columns, state by state: check "
        "both matrices' cells (the diagonal, unchanged area, included)",
    )


def _land_area_failures(frame: pd.DataFrame, periods: pd.DataFrame, land: pd.DataFrame,
                        tolerance_pct: float, file: str) -> list[dict]:  # fmt: skip
    """Row sums against land_areas of from_year, column sums against land_areas of year."""
    areas = land.dropna(subset=["year", "area_ha"]).assign(year=lambda f: f["year"].astype(int))
    areas = areas.groupby(["year", *CELL, *STATE])["area_ha"].sum().reset_index()
    reported = set(areas["year"])
    start = _sums(frame, FROM_STATE, "year").merge(periods[["year", "from_year"]], on="year")
    start = start.rename(columns={"year": "matrix_year", "from_year": "year"})
    end = _sums(frame, TO_STATE, "year").assign(matrix_year=lambda f: f["year"])
    records = []
    starting = _starting(periods)
    for side, sums in (("starts from", start), ("ends with", end)):
        sums = sums[sums["year"].isin(reported)]
        lookup = areas[areas["year"].isin(sums["year"])]
        bad = _mismatch(sums, lookup, tolerance_pct)
        fill = bad["year"].map(starting) if side == "starts from" else bad["year"]
        bad = bad.assign(matrix_year=bad["matrix_year"].fillna(fill))
        records += _records(
            bad,
            _first_rows(frame),
            file,
            "matrix_land_areas_mismatch",
            f"matrix {{year}}: {{cell}} {side} {{a:,.1f}} ha, but land_areas gives {{b:,.1f}} ha "
            "in {at}",
            "the matrices and land_areas describe the same land: their areas by state must "
            "agree in the years both report",
        )
    return records


def _total_failures(frame: pd.DataFrame, tolerance_pct: float, file: str) -> list[dict]:
    totals = frame.groupby("year")["area_ha"].sum()
    if len(totals) < 2 or totals.median() <= 0:
        return []
    reference = float(totals.median())
    deviation = (totals - reference).abs() / reference * 100
    rows = _first_rows(frame)
    return [failure(
        "matrix_total_area_changes", f"matrix {int(y)}: total area {totals[y]:,.1f} ha, but "
        f"{reference:,.1f} ha is the median of the matrices (more than {tolerance_pct:g} % "
        "apart)", "every matrix covers the same land: check its cells and units",
        file=file, row=int(rows[y]), column="area", value=f"{int(y)}",
    ) for y in deviation.index[deviation > tolerance_pct]]  # fmt: skip


def _period_failures(periods: pd.DataFrame, frame: pd.DataFrame, file: str) -> list[dict]:
    rows, records = _first_rows(frame), []
    years, starts = periods["year"].tolist(), periods["from_year"].tolist()
    counts, last = periods["n_from_years"].tolist(), periods["last_from_year"].tolist()
    for k, year in enumerate(years):
        row = int(rows[year])
        if counts[k] > 1:
            records.append(failure("matrix_period_mixed", f"matrix {year} has {counts[k]} "
                                   f"from_year values ({starts[k]} to {int(last[k])})",
                                   "all cells of one matrix share one period: one from_year "
                                   "per year", file=file, row=row, column="from_year",
                                   value=str(starts[k])))  # fmt: skip
        elif k > 0 and starts[k] != years[k - 1]:
            records.append(failure("matrix_chain_gap", f"matrix {year} starts in {starts[k]}, "
                                   f"but the previous matrix ends in {years[k - 1]}",
                                   "matrices must follow each other: from_year of a matrix is "
                                   "the year of the one before (or leave from_year empty)",
                                   file=file, row=row, column="from_year",
                                   value=str(starts[k])))  # fmt: skip
    return records


def management_failures(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Management codes that do not belong to the land use, on both sides of the matrix."""
    parts = []
    if not {*FROM_STATE, *TO_STATE} <= set(frame.columns):
        return failure_frame()
    for side in (FROM_STATE, TO_STATE):
        renamed = frame[list(side[:2])].set_axis(["land_use", "management"], axis=1)
        found = consistency.management_for_land_use(renamed, file)
        parts.append(found.assign(column=side[1]))
    return failure_frame(pd.concat(parts))


def matrix_failures(frame: pd.DataFrame, land: pd.DataFrame | None, tolerance_pct: float,
                    file: str) -> pd.DataFrame:  # fmt: skip
    """Every consistency failure of a prepared ``land_use_changes`` frame (module docstring).

    Parameters
    ----------
    frame : pandas.DataFrame
        Prepared matrices (index = spreadsheet row; canonical codes; ``year``, ``from_year``
        [yr]; ``area_ha`` [ha]).
    land : pandas.DataFrame or None
        Prepared ``land_areas`` of the same package, if any.
    tolerance_pct : float
        Allowed difference [%] of sums and totals (``time_series.total_area_tolerance_pct``).
    file : str
        The matrices' file name, for the failure records.

    Returns
    -------
    pandas.DataFrame
        The failure table; empty = consistent.
    """
    needed = ["year", "from_year", "area_ha", *CELL, *FROM_STATE, *TO_STATE]
    if not set(needed) <= set(frame.columns):
        return failure_frame()  # a missing column is reported by the suite
    usable = frame.dropna(subset=["year", "area_ha", *CELL, *FROM_STATE, *TO_STATE])
    usable = usable.assign(year=usable["year"].astype("int64"))
    if usable.empty:
        return failure_frame()
    periods = matrix_periods(usable)
    records = _period_failures(periods, usable, file)
    records += _chain_failures(usable, periods, tolerance_pct, file)
    records += _total_failures(usable, tolerance_pct, file)
    if land is not None and not land.empty and {"year", "area_ha", *STATE} <= set(land.columns):
        records += _land_area_failures(usable, periods, land, tolerance_pct, file)
    return failure_frame(records)


__all__ = ["STATE", "management_failures", "matrix_failures", "matrix_periods"]
