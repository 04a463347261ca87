"""Land areas of the years before the first record (IPCC 2006 Vol.1 Ch.5), flagged.

Eq. 2.25 needs the stock D years before each reported year. When a country's ``land_areas``
start fewer than D years before its first reported year (census data starting in the base
year), the missing history years are filled by one of the time-series techniques of IPCC 2006
Vol.1 Ch.5 Sec. 5.3 (run parameter ``history``):

``hold``
    the first recorded state for every missing year (what the engine did implicitly before
    issue 21: land converted before the first record shows no change in the base year);
``trend``
    each stratum's linear trend over the first ``fit_years`` recorded (``reported``) years
    extended backwards (Sec. 5.3.3.4 trend extrapolation, ``inventory.core.timeseries``),
    floored at 0, then rescaled within each climate zone x soil class cell to the cell's area
    of the first recorded year (land area is conserved, only its use changes);
``surrogate``
    Eq. 5.2 with the ``auxiliary_series`` the submission names for ``land_areas``
    (``time_series: {land_areas: {method: surrogate, series: ...}}``), rescaled as for trend.

Every filled row is flagged ``area_source`` = ``backcast_<method>``; :func:`history_summary`
says how many years were missing and which assumption filled them (published with the stock
changes; never a silent zero).
"""

from __future__ import annotations

from typing import Final, Literal, get_args

import pandas as pd

from inventory.core import timeseries, vocab
from inventory.core.errors import UserError

History = Literal["trend", "hold", "surrogate"]
HISTORY_OPTIONS: tuple[str, ...] = get_args(History)
DEFAULT_HISTORY: History = "trend"
BACKCAST_PREFIX: Final = "backcast_"
STRATUM = ["country", *vocab.STRATUM_KEYS]
CELL = ["country", "climate_zone", "soil_class"]


class HistorySurrogateError(UserError):
    """``history=surrogate`` without a surrogate series for ``land_areas``."""

    action = (
        "submit an auxiliary_series and name it for land_areas in submission.yaml "
        "(time_series: {land_areas: {method: surrogate, series: <name>}}), or run with "
        "--history trend or --history hold"
    )


def backcast(
    land_areas: pd.DataFrame,
    *,
    first_year: int,
    transition_years: int,
    method: str = DEFAULT_HISTORY,
    fit_years: int = timeseries.DEFAULT_FIT_YEARS,
    series: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""``land_areas`` with the history years before the first record filled and flagged.

    Parameters
    ----------
    land_areas : pandas.DataFrame
        One country's annual ``land_areas``: ``country``, ``year`` [yr], the stratum keys,
        ``area_ha`` [ha] and, when harmonised, ``area_source`` (the ``reported`` rows are the
        ones a trend is fitted on; without the column every row is).
    first_year : int
        First reported year [yr]; the history needed starts at ``first_year - D``.
    transition_years : int
        D [yr].
    method : {"trend", "hold", "surrogate"}, default "trend"
        Technique for the missing years (module docstring).
    fit_years : int, default 2
        Recorded years the trend is fitted on.
    series : pandas.DataFrame, optional
        Surrogate series (``land_use``, ``climate_zone``, ``year``, ``value``), for
        ``surrogate``.

    Returns
    -------
    pandas.DataFrame
        ``land_areas`` plus one row per stratum and missing year with a positive area,
        ``area_source`` = ``backcast_<method>``; unchanged when the areas reach back D years.

    Raises
    ------
    HistorySurrogateError
        ``surrogate`` without a series.

    Notes
    -----
    Trend (IPCC 2006 Vol.1 Ch.5 Sec. 5.3.3.4 [1]_), for a stratum with recorded areas
    :math:`A(t_1), A(t_2)` and a missing year :math:`y < t_1`:

    .. math:: A(y) = \max\left(A(t_1) + (y - t_1)
        \frac{A(t_2) - A(t_1)}{t_2 - t_1}, 0\right) \times \frac{C(t_1)}{\sum_{s \in c} A_s(y)}

    with C the area of the stratum's climate zone x soil class cell c in :math:`t_1`.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 5, Sec. 5.3 (trend extrapolation, surrogate Eq. 5.2); equation numbers from a
       secondary summary, not checked against the printed text.
    """
    first_record = int(land_areas["year"].min())
    start = first_year - transition_years
    if land_areas.empty or first_record <= start:
        return land_areas
    if method == "surrogate" and (series is None or series.empty):
        raise HistorySurrogateError(
            f"history surrogate: no surrogate series for land_areas (its areas start in "
            f"{first_record}, {first_record - start} years short of {start})"
        )
    if method == "hold":
        first = land_areas[land_areas["year"] == first_record]
        filled = pd.concat(
            [first.assign(year=y) for y in range(start, first_record)], ignore_index=True
        )
    else:
        recorded = land_areas
        if "area_source" in land_areas.columns:
            recorded = land_areas[land_areas["area_source"] == timeseries.REPORTED]
        fill = timeseries.FillMethod(method, fit_years=fit_years)
        out = timeseries.fill_series(
            recorded[[*STRATUM, "year", "area_ha"]], keys=STRATUM,
            span=(start, first_record - 1), method=fill, series=series,
        )  # fmt: skip
        filled = out[out["year"] < first_record].drop(columns="area_source")
        filled = _conserve_cells(filled, land_areas[land_areas["year"] == first_record])
    filled = filled.assign(area_source=BACKCAST_PREFIX + method)
    columns = list(land_areas.columns)
    if "area_source" not in columns:
        columns.append("area_source")
        land_areas = land_areas.assign(area_source=timeseries.REPORTED)
    for column in columns:  # e.g. submission_id: the first record's
        if column not in filled.columns:
            filled[column] = land_areas[column].iloc[0]
    return pd.concat([filled[columns], land_areas[columns]], ignore_index=True)


def _conserve_cells(filled: pd.DataFrame, first: pd.DataFrame) -> pd.DataFrame:
    """Rescale each back-cast year's strata so every cell keeps its first-year area."""
    target = first.groupby(CELL)["area_ha"].sum().rename("cell_ha")
    total = filled.groupby([*CELL, "year"])["area_ha"].transform("sum")
    scaled = filled.assign(total=total).join(target, on=CELL)
    scaled["area_ha"] = scaled["area_ha"] * scaled["cell_ha"] / scaled["total"]
    return scaled.drop(columns=["total", "cell_ha"])


def history_summary(
    land_areas: pd.DataFrame, *, first_year: int, transition_years: int, method: str
) -> tuple[int, str]:
    """How many history years the submitted areas lacked [yr] and what filled them.

    Returns ``(n_missing, fill)``: the years between ``first_year - D`` and the first recorded
    year, and ``backcast_<method>`` (``none`` when no year was missing).
    """
    first_record = int(land_areas["year"].min())
    missing = max(first_record - (first_year - transition_years), 0)
    return missing, (BACKCAST_PREFIX + method) if missing else "none"
