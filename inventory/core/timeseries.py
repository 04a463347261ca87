"""Gap filling of area series reported for some years only (IPCC 2006 Vol.1 Ch.5).

National land statistics come from censuses and surveys every 5-10 years. The inventory needs
an area for every stratum and year, so the missing years are filled by one of the time-series
consistency techniques of IPCC 2006 Vol.1 Ch.5 (Sec. 5.3), chosen per dataset in
``submission.yaml``:

``interpolate`` (default)
    linear interpolation per stratum between reported years (a stratum absent in a reported
    year has 0 ha that year); before the first reported year the first state is held and
    after the last the last state is held (``extrapolated_constant``).
``trend``
    interpolation between reported years; before the first and after the last reported year
    the stratum's linear trend over the nearest ``fit_years`` reported years (least squares,
    anchored at the boundary value) is extended, capped at 0 and at the dataset's total area
    of the nearest reported year (``extrapolated_trend``).
``surrogate``
    Eq. 5.2, ``y_0 = y_t x s_0 / s_t``: the stratum's area is scaled by a submitted surrogate
    series s of its land use (optionally its climate zone). Outside the reported span the ratio
    A/s of the nearest reported year is held (Eq. 5.2 exactly); between two reported years the
    ratio is interpolated linearly, so both neighbours are honoured (a project choice: Ch.5
    states Eq. 5.2 for one reported year t).
``overlap``
    Eq. 5.1, ``y_0 = x_0 x mean_i(y_i / x_i)`` over the overlap years i: a previous method's
    series x (per land use, optionally climate zone) is spliced to the reported areas y outside
    the reported span; the group total is distributed to strata by their shares in the
    nearest reported year. Years between reported years are interpolated.

Every value produced carries ``area_source``: ``reported``, ``interpolated``,
``extrapolated_constant``, ``extrapolated_trend``, ``surrogate`` or ``overlap``. Strata whose
land use has no series fall back to the ``interpolate`` rules (and are flagged so).

Method status: the equation forms of Eq. 5.1 and 5.2 and the guidance summarised above are
from a secondary summary of IPCC 2006 Vol.1 Ch.5 (Sec. 5.3.3.1 overlap, 5.3.3.2 surrogate,
5.3.3.3 interpolation, 5.3.3.4 trend extrapolation); the equation numbers and section numbers
were not checked against the printed chapter.

Vectorised: one strata x years matrix per dataset (numpy), no loop over rows or strata.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

METHODS = ("interpolate", "trend", "surrogate", "overlap")
REPORTED = "reported"
# Trend extrapolation: reported years the slope is fitted on (two = the last two reported points).
DEFAULT_FIT_YEARS = 2
ALL_ZONES = "*"  # an auxiliary series row without climate zone applies to every zone


@dataclass(frozen=True)
class FillMethod:
    """How one dataset's missing years are filled (``time_series`` in ``submission.yaml``)."""

    method: str = "interpolate"
    fit_years: int = DEFAULT_FIT_YEARS
    series: str | None = None


@dataclass(frozen=True)
class _Grid:
    """Reported values as a strata x reported-years matrix (0 where a stratum is absent)."""

    strata: pd.DataFrame
    years: np.ndarray
    values: np.ndarray


def _grid(frame: pd.DataFrame, keys: list[str], value: str) -> _Grid:
    sums = frame.groupby([*keys, "year"], sort=True, dropna=False)[value].sum()
    wide = sums.unstack("year").fillna(0.0)
    return _Grid(
        strata=wide.index.to_frame(index=False),
        years=wide.columns.to_numpy(dtype="int64"),
        values=wide.to_numpy(dtype="float64"),
    )


def missing_years(frame: pd.DataFrame, span: tuple[int, int]) -> np.ndarray:
    """Years of ``span`` (inclusive) without any row in ``frame``."""
    years = np.arange(span[0], span[1] + 1)
    return years[~np.isin(years, frame["year"].astype("int64").unique())]


def _interpolated(grid: _Grid, targets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Linear interpolation inside the reported span, held values outside; and the sources."""
    prev = np.searchsorted(grid.years, targets, side="right") - 1
    before, after = prev < 0, prev >= len(grid.years) - 1
    lo = np.clip(prev, 0, len(grid.years) - 1)
    hi = np.clip(prev + 1, 0, len(grid.years) - 1)
    span = np.where(hi > lo, grid.years[hi] - grid.years[lo], 1)
    weight = np.where(before | after, 0.0, (targets - grid.years[lo]) / span)
    values = grid.values[:, lo] * (1 - weight) + grid.values[:, hi] * weight
    values[:, before] = grid.values[:, [0]]
    sources = np.where(before | after, "extrapolated_constant", "interpolated")
    return values, np.broadcast_to(sources, values.shape).copy()


def _slopes(years: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Least-squares slope per row of ``values`` over ``years`` [value yr-1]."""
    centred = years - years.mean()
    return (values - values.mean(axis=1, keepdims=True)) @ centred / (centred @ centred)


def _trend(grid: _Grid, targets: np.ndarray, fit_years: int, base: tuple) -> tuple:
    """Replace the held values outside the reported span by the capped linear trend."""
    values, sources = base
    k = min(fit_years, len(grid.years))
    if k < 2:
        return values, sources
    totals = grid.values.sum(axis=0)
    for side, anchor, cols in (
        ("before", 0, slice(0, k)),
        ("after", len(grid.years) - 1, slice(len(grid.years) - k, None)),
    ):
        outside = targets < grid.years[0] if side == "before" else targets > grid.years[-1]
        if not outside.any():
            continue
        slope = _slopes(grid.years[cols].astype("float64"), grid.values[:, cols])
        extended = grid.values[:, [anchor]] + slope[:, None] * (
            targets[outside] - grid.years[anchor]
        )
        values[:, outside] = np.clip(extended, 0.0, totals[anchor])
        sources[:, outside] = "extrapolated_trend"
    return values, sources


def series_labels(series: pd.DataFrame) -> pd.Series:
    """The group of each auxiliary series row: ``land_use|zone``, ``land_use|*`` (all zones)."""
    return series["land_use"] + "|" + series["climate_zone"].fillna(ALL_ZONES)


def series_groups(strata: pd.DataFrame, series: pd.DataFrame) -> pd.Series:
    """The series group of each stratum: ``land_use|zone`` when the series has rows for the
    stratum's climate zone, else ``land_use|*`` when it has rows for all zones, else NaN."""
    known = set(series_labels(series))
    exact = strata["land_use"] + "|" + strata["climate_zone"]
    generic = strata["land_use"] + "|" + ALL_ZONES
    return exact.where(exact.isin(known), generic.where(generic.isin(known)))


def _series_matrix(groups: pd.Series, series: pd.DataFrame, years: np.ndarray) -> np.ndarray:
    """Series value of each stratum's group in ``years`` (NaN where the series has none)."""
    wide = series.assign(group=series_labels(series)).pivot_table(
        "value", "group", "year", aggfunc="sum"
    )
    return wide.reindex(index=groups, columns=years).to_numpy(dtype="float64")


def _surrogate(grid: _Grid, targets: np.ndarray, series: pd.DataFrame, base: tuple) -> tuple:
    """Eq. 5.2 with the ratio A/s interpolated between and held beyond the reported years."""
    values, sources = base
    groups = series_groups(grid.strata, series)
    s_rep = _series_matrix(groups, series, grid.years)
    s_target = _series_matrix(groups, series, targets)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(s_rep > 0, grid.values / s_rep, np.nan)
    scaled = _interpolated(_Grid(grid.strata, grid.years, ratio), targets)[0] * s_target
    usable = np.isfinite(scaled)
    values[usable] = scaled[usable]
    sources[usable] = "surrogate"
    return values, sources


def _overlap(grid: _Grid, targets: np.ndarray, series: pd.DataFrame, base: tuple) -> tuple:
    """Eq. 5.1 outside the reported span: x_0 x mean(y_i / x_i), shared by stratum shares."""
    values, sources = base
    groups = series_groups(grid.strata, series)
    x_rep = _series_matrix(groups, series, grid.years)
    x_target = _series_matrix(groups, series, targets)
    by_group = pd.DataFrame(grid.values).groupby(groups.fillna("").to_numpy())
    y_rep = by_group.transform("sum").to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(x_rep > 0, y_rep / x_rep, np.nan)
        ratio = np.nansum(ratios, axis=1) / np.isfinite(ratios).sum(axis=1)
        first, last = grid.values[:, 0] / y_rep[:, 0], grid.values[:, -1] / y_rep[:, -1]
    before = targets < grid.years[0]
    share = np.where(before[None, :], first[:, None], last[:, None])
    spliced = share * x_target * ratio[:, None]
    outside = before | (targets > grid.years[-1])
    usable = np.isfinite(spliced) & outside[None, :]
    values[usable] = spliced[usable]
    sources[usable] = "overlap"
    return values, sources


def fill_series(
    frame: pd.DataFrame,
    *,
    keys: list[str],
    span: tuple[int, int],
    method: FillMethod | None = None,
    series: pd.DataFrame | None = None,
    value: str = "area_ha",
) -> pd.DataFrame:
    r"""Annual series [unit of ``value``] for every stratum and year of ``span``, flagged.

    Parameters
    ----------
    frame : pandas.DataFrame
        One country's reported rows: ``year`` [yr], the stratum ``keys`` (``land_use`` and
        ``climate_zone`` among them for the surrogate and overlap methods) and ``value``
        (e.g. ``area_ha`` [ha]). The years present are the reported years.
    keys : list of str
        Columns identifying a stratum.
    span : tuple of int
        First and last year to cover [yr]; years of ``frame`` outside it are kept.
    method : FillMethod, optional
        The technique (module docstring); default linear interpolation with held ends.
    series : pandas.DataFrame, optional
        Auxiliary series of the surrogate or overlap method: ``land_use``, ``climate_zone``
        (NaN = every zone), ``year`` [yr] and ``value`` [any unit: only ratios are used].
    value : str, default "area_ha"
        The column to fill.

    Returns
    -------
    pandas.DataFrame
        The reported rows as given plus one row per stratum and missing year with a positive
        filled value: ``keys``, ``year`` (int64), ``value`` and ``area_source`` (``reported``
        for the rows of ``frame``, else how the value was produced: ``interpolated``,
        ``extrapolated_constant``, ``extrapolated_trend``, ``surrogate`` or ``overlap``).

    Notes
    -----
    With reported years :math:`t_1 < \dots < t_n` and A the stratum's area (0 where absent):

    .. math::

        A(y) = A(t_j) + \frac{y - t_j}{t_{j+1} - t_j} \left(A(t_{j+1}) - A(t_j)\right),
        \quad t_j < y < t_{j+1}

        A(y) = A(t_1) \text{ for } y < t_1, \qquad A(y) = A(t_n) \text{ for } y > t_n

    (interpolation and held ends); trend, surrogate (Eq. 5.2 of [1]_) and overlap (Eq. 5.1
    of [1]_) replace parts of this as the module docstring says.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 5 (Time series consistency), Sec. 5.3, Eq. 5.1 (overlap) and Eq. 5.2 (surrogate);
       equation numbers from a secondary summary, not checked against the printed text.
    """
    method = method or FillMethod()
    reported = frame.assign(year=frame["year"].astype("int64"), area_source=REPORTED)
    targets = missing_years(reported, span)
    if reported.empty or not len(targets):
        return reported.reset_index(drop=True)
    grid = _grid(reported, keys, value)
    filled = _interpolated(grid, targets)
    if method.method == "trend":
        filled = _trend(grid, targets, method.fit_years, filled)
    elif method.method == "surrogate" and series is not None and len(series):
        filled = _surrogate(grid, targets, series, filled)
    elif method.method == "overlap" and series is not None and len(series):
        filled = _overlap(grid, targets, series, filled)
    return pd.concat([reported, _long(grid, targets, *filled, keys, value)], ignore_index=True)


def _long(grid: _Grid, targets: np.ndarray, values: np.ndarray, sources: np.ndarray,
          keys: list[str], value: str) -> pd.DataFrame:  # fmt: skip
    """The filled strata x years matrix as rows, positive values only."""
    keep = values > 0
    rows, cols = np.nonzero(keep)
    out = grid.strata.iloc[rows][keys].reset_index(drop=True)
    out["year"] = targets[cols].astype("int64")
    out[value] = values[rows, cols]
    out["area_source"] = sources[rows, cols]
    return out


def filled_year_ranges(filled: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The filled years of each stratum as text ranges, for the validation report.

    Parameters
    ----------
    filled : pandas.DataFrame
        Output of :func:`fill_series`.
    keys : list of str
        Stratum columns.

    Returns
    -------
    pandas.DataFrame
        One row per stratum with a filled year: ``stratum`` (keys joined by ``/``), ``years``
        (e.g. ``1991-1999, 2001-2009``) and ``area_source`` (the distinct sources, sorted).
    """
    rows = filled.loc[filled["area_source"] != REPORTED, [*keys, "year", "area_source"]]
    if rows.empty:
        return pd.DataFrame(columns=["stratum", "years", "area_source"])
    rows = rows.assign(stratum=rows[keys].astype("str").agg("/".join, axis=1))
    rows = rows.sort_values(["stratum", "year"])
    run = (rows.groupby("stratum")["year"].diff() != 1).cumsum()
    spans = rows.groupby(["stratum", run], sort=False).agg(
        first=("year", "min"), last=("year", "max")
    )
    text = (
        spans["first"]
        .astype("str")
        .where(
            spans["first"] == spans["last"],
            spans["first"].astype("str") + "-" + spans["last"].astype("str"),
        )
    )
    years = text.groupby(level=0, sort=True).agg(", ".join)
    sources = rows.groupby("stratum")["area_source"].agg(lambda s: ", ".join(sorted(set(s))))
    return pd.DataFrame({"years": years, "area_source": sources}).reset_index()
