"""The ``time_series`` section of ``submission.yaml``: how missing years are filled.

An extension of format v1 (optional; without it every dataset is interpolated, IPCC 2006
Vol.1 Ch.5)::

    time_series:
      land_areas: {method: interpolate}            # default; or trend, surrogate, overlap
      organic_soils: {method: trend, fit_years: 3}
      total_area_tolerance_pct: 0.5                # total land area per year vs the median

``surrogate`` and ``overlap`` name a series of the ``auxiliary_series`` dataset
(``{method: surrogate, series: cropland_faostat}``). Problems are failure records of
``submission.yaml`` with a fix, collected like the rest of the manifest check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from inventory.core import vocab
from inventory.core.failures import failure
from inventory.core.timeseries import DEFAULT_FIT_YEARS, METHODS, FillMethod

MANIFEST = "submission.yaml"
SECTION = "time_series"
FILLED_DATASETS = ("land_areas", "organic_soils")
SERIES_DATASET = "auxiliary_series"
TOLERANCE_KEY = "total_area_tolerance_pct"
# Total land area per year may depart from the median of the years by this much (rounding of
# census areas); the same 0.5 % as the land-unit check of the validation stage.
DEFAULT_TOTAL_AREA_TOLERANCE_PCT = 0.5
MAX_TOLERANCE_PCT = 100.0
OPTION_KEYS = {"method", "fit_years", "series"}
EXAMPLE = "time_series: {land_areas: {method: interpolate}}"


@dataclass(frozen=True)
class TimeSeriesConfig:
    """The parsed section: a fill method per dataset and the total-area tolerance [%]."""

    methods: dict[str, FillMethod] = field(default_factory=dict)
    total_area_tolerance_pct: float = DEFAULT_TOTAL_AREA_TOLERANCE_PCT

    def method(self, dataset: str) -> FillMethod:
        """The dataset's method (interpolation when the manifest says nothing)."""
        return self.methods.get(dataset, FillMethod())


def _fail(message: str, fix: str, column: str, value: Any = None) -> dict:
    return failure("manifest_time_series", message, fix, file=MANIFEST, column=column,
                   value=value)  # fmt: skip


def _options(value: Any) -> dict | None:
    """A dataset's setting as a mapping (``trend`` is short for ``{method: trend}``)."""
    if isinstance(value, str):
        return {"method": value}
    return value if isinstance(value, dict) else None


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_dataset(dataset: str, value: Any, files: dict) -> list[dict]:
    where = f"{SECTION}.{dataset}"
    options = _options(value)
    if options is None:
        return [_fail(f"{where} must be a method or a mapping", f"write e.g. {EXAMPLE}",
                      where, value)]  # fmt: skip
    problems = []
    unknown = sorted(set(options) - OPTION_KEYS)
    if unknown:
        problems.append(_fail(f"{where}: unknown setting(s) {', '.join(map(str, unknown))}",
                              f"use {', '.join(sorted(OPTION_KEYS))}", where, unknown))  # fmt: skip
    method = options.get("method", "interpolate")
    if method not in METHODS:
        problems.append(_fail(f"{where}.method {method!r} is not a gap-filling method",
                              f"use one of {', '.join(METHODS)}", f"{where}.method",
                              method))  # fmt: skip
    fit = options.get("fit_years", DEFAULT_FIT_YEARS)
    if not isinstance(fit, int) or isinstance(fit, bool) or fit < 2:
        problems.append(_fail(f"{where}.fit_years {fit!r} must be a whole number of at least "
                              "2 reported years", "write e.g. 'fit_years: 2'",
                              f"{where}.fit_years", fit))  # fmt: skip
    if method in ("surrogate", "overlap"):
        problems += _check_series(where, method, options.get("series"), files)
    if dataset not in files:
        problems.append(_fail(f"{where}: the package has no {dataset} file",
                              f"remove {where}, or add '{dataset}: <file>' under 'files'",
                              where, dataset))  # fmt: skip
    return problems


def _check_series(where: str, method: str, series: Any, files: dict) -> list[dict]:
    problems = []
    if not isinstance(series, str) or not series.strip():
        problems.append(_fail(f"{where}: method {method} needs 'series', the name of a series "
                              f"in the {SERIES_DATASET} file", f"write e.g. "
                              f"'{{method: {method}, series: cropland_area}}'", f"{where}.series",
                              series))  # fmt: skip
    if SERIES_DATASET not in files:
        problems.append(_fail(f"{where}: method {method} needs the {SERIES_DATASET} dataset",
                              f"add '{SERIES_DATASET}: <file>' under 'files' (columns series, "
                              "year, land_use, climate_zone, value)", "files",
                              SERIES_DATASET))  # fmt: skip
    return problems


def _check_tolerance(value: Any) -> list[dict]:
    if _number(value) and 0 <= value < MAX_TOLERANCE_PCT:
        return []
    return [_fail(f"{SECTION}.{TOLERANCE_KEY} {value!r} must be a percentage from 0 to "
                  f"{MAX_TOLERANCE_PCT:g}", f"write e.g. '{TOLERANCE_KEY}: 0.5'",
                  f"{SECTION}.{TOLERANCE_KEY}", value)]  # fmt: skip


def check_time_series(manifest: dict) -> list[dict]:
    """All problems of the ``time_series`` section (none when it is absent)."""
    section = manifest.get(SECTION)
    if section is None:
        return []
    if not isinstance(section, dict):
        return [_fail(f"'{SECTION}' must map datasets to gap-filling methods",
                      f"write e.g. {EXAMPLE}", SECTION, section)]  # fmt: skip
    listed = manifest.get("files")
    files: dict = listed if isinstance(listed, dict) else {}
    problems: list[dict] = []
    for key, value in section.items():
        if key == TOLERANCE_KEY:
            problems += _check_tolerance(value)
        elif key in FILLED_DATASETS:
            problems += _check_dataset(key, value, files)
        else:
            problems.append(_fail(f"{SECTION}: {key!r} cannot be gap-filled", "use "
                                  f"{', '.join(FILLED_DATASETS)} or {TOLERANCE_KEY}",
                                  SECTION, key))  # fmt: skip
    return problems


def time_series_config(manifest: dict | None) -> TimeSeriesConfig:
    """The section of a checked manifest, with defaults for what it leaves out."""
    section = (manifest or {}).get(SECTION) or {}
    methods = {}
    for dataset in FILLED_DATASETS:
        options = _options(section.get(dataset))
        if options is None:
            continue
        series = options.get("series")
        methods[dataset] = FillMethod(
            method=options.get("method", "interpolate"),
            fit_years=int(options.get("fit_years", DEFAULT_FIT_YEARS)),
            series=str(vocab.normalise_code(series)) if isinstance(series, str) else None,
        )
    tolerance = section.get(TOLERANCE_KEY, DEFAULT_TOTAL_AREA_TOLERANCE_PCT)
    return TimeSeriesConfig(methods, float(tolerance))
