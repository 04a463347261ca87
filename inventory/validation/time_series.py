"""Checks of gap-filled area series (IPCC 2006 Vol.1 Ch.5) and the report of filled years.

Areas may be reported for some years only (censuses, surveys). Before a submission is accepted
its declared gap-filling method (``time_series`` in ``submission.yaml``,
:mod:`inventory.intake.time_series`) is applied here exactly as harmonisation will apply it
(:func:`inventory.core.timeseries.fill_series`), so that

* an auxiliary series lacking a year the surrogate method needs, or sharing no year with the
  reported areas (overlap), is a failure naming the series, land use and years;
* trend extrapolation has at least ``fit_years`` reported years;
* the total land area of every year, reported or filled, stays within the manifest's
  tolerance of the median total of the reported years (Approach 1 land representation: the
  managed land area is constant over time, IPCC 2006 Vol.4 Ch.3 Sec. 3.2); a failure names the
  year and both sums;
* the validation report lists the filled years per stratum (``summary["time_series"]``).
"""

from __future__ import annotations

import pandas as pd

from inventory.core import timeseries, vocab
from inventory.core.failures import concat_failures, failure, failure_frame
from inventory.intake import manifest as manifest_schema
from inventory.intake.time_series import (
    FILLED_DATASETS,
    SERIES_DATASET,
    TimeSeriesConfig,
    time_series_config,
)

FILL_KEYS = {
    "land_areas": list(vocab.STRATUM_KEYS),
    "organic_soils": ["climate_zone", "land_use", "drainage", "nutrient_status",
                      "drainage_depth"],
}  # fmt: skip
LISTED_YEARS = 12  # years spelled out in a message; the rest are counted


def fill_span(frame: pd.DataFrame, manifest: dict) -> tuple[int, int] | None:
    """Years to cover: the declared years, widened to the years present in the data."""
    declared = manifest_schema.declared_years(manifest)
    years = frame["year"].dropna()
    if declared is None or years.empty:
        return None
    return min(int(years.min()), declared[0]), max(int(years.max()), declared[1])


def _usable(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Rows whose year, keys and area are all present (others fail elsewhere)."""
    ok = frame["year"].notna() & frame["area_ha"].notna() & frame[keys].notna().all(axis=1)
    out = frame.loc[ok, ["year", *keys, "area_ha"]]
    return out.assign(year=out["year"].astype("int64"))


def _years_text(years: list[int]) -> str:
    shown = ", ".join(str(y) for y in years[:LISTED_YEARS])
    return shown + (f" (+{len(years) - LISTED_YEARS} more)" if len(years) > LISTED_YEARS else "")


def series_rows(series: pd.DataFrame | None, name: str | None) -> pd.DataFrame:
    """The rows of one named auxiliary series (codes canonical, usable values only)."""
    if series is None or name is None:
        return pd.DataFrame(columns=["land_use", "climate_zone", "year", "value"])
    rows = series[(series["series"] == name) & series["value"].notna() & series["year"].notna()]
    return rows.assign(year=rows["year"].astype("int64"))


def _series_failures(dataset: str, frame: pd.DataFrame, method: timeseries.FillMethod,
                     rows: pd.DataFrame, span: tuple[int, int],
                     file: str) -> list[dict]:  # fmt: skip
    """A surrogate needs a value for every reported and filled year of each land use it
    scales; an overlap needs at least one year in common with the reported areas."""
    if rows.empty:
        return [failure("series_missing", f"{dataset} is filled by the {method.method} method "
                        f"with series {method.series!r}, which has no rows", "add the series' "
                        "rows (series, year, land_use, climate_zone, value) or name another "
                        "series in submission.yaml", file=file, column="series",
                        value=method.series)]  # fmt: skip
    strata = frame[["land_use", "climate_zone"]].drop_duplicates()
    groups = timeseries.series_groups(strata, rows).dropna().unique()
    reported = sorted(frame["year"].unique())
    needed = sorted(set(reported) | set(timeseries.missing_years(frame, span).tolist()))
    problems = []
    labels = timeseries.series_labels(rows)
    for group in groups:
        have = set(rows.loc[labels == group, "year"])
        land_use, zone = group.split("|")
        where = f"{land_use} ({'all zones' if zone == timeseries.ALL_ZONES else zone})"
        if method.method == "surrogate":
            lacking = [y for y in needed if y not in have]
            text = f"has no value for {where} in {_years_text(lacking)}"
            fix = (
                "give the surrogate for every year from the first to the last year to fill "
                "and for the reported years"
            )
        else:
            lacking = [] if have & set(reported) else reported
            text = (
                f"shares no year with the reported {dataset} of {where} (reported: "
                f"{_years_text(reported)})"
            )
            fix = "the previous method's series must overlap the reported years (IPCC Eq. 5.1)"
        if lacking:
            problems.append(failure("series_incomplete", f"series {method.series!r} {text}",
                                    fix, file=file, column="year",
                                    value=_years_text(lacking)))  # fmt: skip
    return problems


def _trend_failures(dataset: str, frame: pd.DataFrame, method: timeseries.FillMethod,
                    file: str) -> list[dict]:  # fmt: skip
    reported = frame["year"].nunique()
    if method.method != "trend" or reported >= method.fit_years:
        return []
    return [failure("trend_needs_years", f"{dataset}: trend extrapolation over "
                    f"{method.fit_years} reported years, but only {reported} year(s) reported",
                    "report more years, lower fit_years, or use method interpolate",
                    file=file, column="year", value=str(reported))]  # fmt: skip


def total_area_failures(filled: pd.DataFrame, reported_years: list[int], tolerance_pct: float,
                        file: str, first_rows: pd.Series,
                        incomplete_years: set[int] | frozenset[int] = frozenset(),
                        ) -> pd.DataFrame:  # fmt: skip
    """Years whose total area departs from the median reported total by over the tolerance.

    ``incomplete_years`` (years with a row refused for its own values) are not checked and
    take no part in the median: their total is not known until the row is corrected.
    """
    totals = filled.groupby("year")["area_ha"].sum()
    totals = totals[~totals.index.isin(list(incomplete_years))]
    reported_years = [y for y in reported_years if y in totals.index]
    if not reported_years:
        return failure_frame()
    reference = float(totals.loc[reported_years].median())
    if reference <= 0:
        return failure_frame()
    deviation = (totals - reference).abs() / reference * 100
    sources = filled.groupby("year")["area_source"].agg(lambda s: ", ".join(sorted(set(s))))
    records = [failure(
        "total_land_area_changes",
        f"total land area {year}: {totals[year]:,.1f} ha ({sources[year]}) but "
        f"{reference:,.1f} ha is the median of the reported years (more than "
        f"{tolerance_pct:g} % apart)",
        "every year must cover the same land: check the areas and units of this year (or of "
        "the series used to fill it), or raise time_series.total_area_tolerance_pct",
        file=file, row=int(first_rows[year]) if year in first_rows.index else None,
        column="area", value=f"{year}",
    ) for year in deviation.index[deviation > tolerance_pct]]  # fmt: skip
    return failure_frame(records)


def time_series_checks(prepared: dict[str, pd.DataFrame], manifest: dict, files: dict[str, str],
                       incomplete_years: dict[str, set[int]] | None = None,
                       ) -> tuple[pd.DataFrame, dict]:  # fmt: skip
    """Failures of the declared gap filling, and the filled years per dataset and stratum.

    Parameters
    ----------
    prepared : dict of str to pandas.DataFrame
        Prepared datasets (:func:`inventory.validation.rules.prepare`: canonical codes, numeric
        ``year``, derived ``area_ha`` [ha]), index = spreadsheet row.
    manifest : dict
        The parsed ``submission.yaml``.
    files : dict of str to str
        Dataset -> file name in the package (for the failure records).
    incomplete_years : dict of str to set of int, optional
        Per dataset, the years with a row refused for its own values (left out of ``prepared``):
        their total area is not checked.

    Returns
    -------
    failures : pandas.DataFrame
        The failure table (empty = pass).
    summary : dict
        Per filled dataset: ``method`` and ``filled`` (records of stratum, years and
        area_source, :func:`inventory.core.timeseries.filled_year_ranges`).
    """
    config = time_series_config(manifest)
    parts: list[pd.DataFrame] = []
    summary: dict = {}
    for dataset in FILLED_DATASETS:
        keys = FILL_KEYS[dataset]
        frame = prepared.get(dataset)
        if frame is None or not {"year", "area_ha", *keys} <= set(frame.columns):
            continue  # absent, or a missing column the suite reports
        found, listing = _dataset_checks(dataset, _usable(frame, keys), prepared, manifest,
                                         files, config,
                                         (incomplete_years or {}).get(dataset, set()))  # fmt: skip
        parts.append(found)
        if listing is not None:
            summary[dataset] = listing
    return concat_failures(parts), summary


def _dataset_checks(
    dataset: str, frame: pd.DataFrame, prepared: dict, manifest: dict, files: dict,
    config: TimeSeriesConfig, incomplete_years: set[int],
) -> tuple[pd.DataFrame, dict | None]:  # fmt: skip
    """One dataset: method prerequisites, then the fill, its listing and its total areas."""
    span = fill_span(frame, manifest)
    if span is None:
        return failure_frame(), None
    keys, file, method = FILL_KEYS[dataset], files.get(dataset, dataset), config.method(dataset)
    series = prepared.get(SERIES_DATASET)
    rows = series_rows(series, method.series)
    problems = _trend_failures(dataset, frame, method, file)
    if method.method in ("surrogate", "overlap") and series is not None:
        problems += _series_failures(dataset, frame, method, rows, span,
                                     files.get(SERIES_DATASET, SERIES_DATASET))  # fmt: skip
    if problems:
        return failure_frame(problems), None
    filled = timeseries.fill_series(frame, keys=keys, span=span, method=method, series=rows)
    ranges = timeseries.filled_year_ranges(filled, keys).to_dict("records")
    listing = {"method": method.method, "span": list(span), "filled": ranges}
    if dataset != "land_areas":
        return failure_frame(), listing
    first_rows = pd.Series(frame.index, index=frame.index).groupby(frame["year"]).min()
    reported = sorted(frame["year"].unique())
    return total_area_failures(filled, reported, config.total_area_tolerance_pct, file,
                               first_rows, incomplete_years), listing  # fmt: skip


__all__ = ["FILL_KEYS", "fill_span", "series_rows", "time_series_checks", "total_area_failures"]
