"""``submission.yaml`` (format v1): parsing and schema check with clear messages.

:func:`parse_manifest` loads the YAML text (and nothing else); :func:`check_manifest` validates
the mapping against :class:`SubmissionManifest`, a pydantic model whose field validators hold the
rules, and turns pydantic's errors into failure records (``file`` = ``submission.yaml``) with a
rule id, a message and a fix; the caller raises them together. The field descriptions are the
``submission.yaml`` table of the documentation.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from inventory.core import countries, limits, units
from inventory.core.failures import failure
from inventory.intake.time_series import check_time_series

FORMAT_VERSION = 1
MANIFEST = "submission.yaml"
DATASETS = (
    "land_areas", "land_units", "profiles", "factors", "organic_soils",
    "land_use_changes", "auxiliary_series", "national_totals", "grids",
)  # fmt: skip
TABULAR_DATASETS = DATASETS[
    :-1
]  # grids: one NetCDF file, checked by inventory.validation.grid_checks
# Datasets that can carry each approach's land representation (IPCC 2006 Vol.4 Ch.3 Sec. 3.3.1:
# Approach 2 from land-use change matrices or units, Approach 3 spatially explicit units).
LAND_DATASETS = {1: ("land_areas",), 2: ("land_units", "land_use_changes"), 3: ("land_units",)}
# Datasets with areas, which may carry area_uncertainty_pct (per row, or per dataset here).
AREA_UNCERTAINTY_DATASETS = ("land_areas", "land_units", "land_use_changes", "organic_soils")
TIERS = (1, 2)
APPROACHES = (1, 2, 3)
# What each approach means to a compiler (IPCC 2006 Vol.4 Ch.3 Sec. 3.3.1), with its datasets.
APPROACH_LABELS = {
    1: "areas by stratum and year (land_areas)",
    2: "land-use change matrices or land units (land_use_changes or land_units)",
    3: "land units with histories (land_units)",
}
# Plausible inventory years: UNFCCC base years start at 1990; land-use histories (20-year
# transition, IPCC 2006 Vol.4 Ch.2 Eq. 2.25) and legacy surveys reach back further.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
UNIT_DEFAULT_KEYS = {"area": "area", "soc": "soc", "bulk_density": "bulk_density"}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# YAML features a metadata file never needs: aliases/anchors (an 825-byte "billion laughs"
# document expands to hundreds of MB) and explicit tags. A manifest is a few hundred bytes;
# MAX_YAML_NODES bounds the work of parsing one whatever its size, MAX_YAML_DEPTH its nesting
# (PyYAML composes nested collections recursively: 600 levels raised RecursionError).
MAX_YAML_NODES = limits.YAML_MAX_NODES
MAX_YAML_DEPTH = limits.YAML_MAX_DEPTH


def _fail(rule_id: str, message: str, fix: str, *, column: str | None = None,
          value: Any = None) -> dict:  # fmt: skip
    return failure(rule_id, message, fix, file=MANIFEST, column=column, value=value)


class UnsafeYamlError(yaml.YAMLError):
    """submission.yaml uses an alias, an anchor or a tag, or is too large to be metadata."""

    def __init__(self, problem: str, mark: Any = None):
        super().__init__(problem)
        self.problem, self.problem_mark = problem, mark


def _refuse_unsafe_events(text: str) -> None:
    """Raise :class:`UnsafeYamlError` on the first alias, anchor or explicit tag (no expansion),
    past :data:`MAX_YAML_NODES` events or :data:`MAX_YAML_DEPTH` nested collections. The event
    stream is read without recursion, so this runs before anything is composed."""
    depth = 0
    for count, event in enumerate(yaml.parse(text, Loader=yaml.SafeLoader)):
        if count > MAX_YAML_NODES:
            raise UnsafeYamlError(f"more than {MAX_YAML_NODES:,} YAML nodes", event.start_mark)
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_YAML_DEPTH:
                raise UnsafeYamlError(f"lists or mappings nested more than {MAX_YAML_DEPTH} "
                                      "levels deep", event.start_mark)  # fmt: skip
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise UnsafeYamlError("YAML anchors and aliases (& and *) are not allowed",
                                  event.start_mark)  # fmt: skip
        tag = getattr(event, "tag", None)
        if tag is not None:
            raise UnsafeYamlError(f"YAML tags ({tag}) are not allowed",
                                  event.start_mark)  # fmt: skip


def load_yaml_safely(text: str) -> Any:
    """``yaml.safe_load`` after refusing aliases, anchors, tags and oversized documents."""
    _refuse_unsafe_events(text)
    return yaml.safe_load(text)


def parse_manifest(data: bytes) -> tuple[dict | None, list[dict]]:
    """YAML text -> mapping, or None with the reason."""
    text = data.decode("utf-8-sig", errors="replace")
    try:
        loaded = load_yaml_safely(text)
    except UnsafeYamlError as err:
        mark = err.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return None, [_fail("manifest_yaml_unsafe", f"submission.yaml{where}: {err.problem}",
                            "write plain 'key: value' settings (at most a few levels deep), "
                            "without & anchors, * aliases or ! tags")]  # fmt: skip
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        return None, [
            _fail(
                "manifest_invalid_yaml",
                f"submission.yaml is not valid YAML{where}: {problem}",
                "fix the YAML syntax there: 'key: value' pairs, "
                "consistent indentation with spaces, quotes around text with ':'",
            )
        ]
    if not isinstance(loaded, dict):
        return None, [
            _fail(
                "manifest_not_mapping",
                "submission.yaml must be a list of 'key: value' settings",
                "start from the example in the README",
            )
        ]
    return loaded, []


def _checked(value: Any, problems: list[dict]) -> Any:
    """``value`` when a rule found no problem; else a pydantic error carrying the failures."""
    if problems:
        raise PydanticCustomError(
            "submission_manifest",
            "{summary}",
            {"summary": problems[0]["message"], "failures": problems},
        )
    return value


class SubmissionManifest(BaseModel):
    """``submission.yaml`` of format v1. Unknown keys are kept (and ignored)."""

    model_config = ConfigDict(extra="allow")

    format_version: Any = Field(
        FORMAT_VERSION, validate_default=True, description="version of this format"
    )
    country: Any = Field(
        None,
        validate_default=True,
        description="ISO 3166-1 alpha-3 code of "
        "the reporting country (e.g. KEN); EUU for the European Union",
    )
    contact: Any = Field(
        None,
        validate_default=True,
        description="{name: ..., email: ...} of the national contact point",
    )
    years: Any = Field(
        None,
        validate_default=True,
        description=f"[first, last] reported years within {EARLIEST_YEAR}-{LATEST_YEAR}",
    )
    tier: Any = Field(
        None,
        validate_default=True,
        description="1: IPCC defaults only; 2: also "
        "country-specific factors (needs profiles or factors)",
    )
    approach: Any = Field(
        None,
        validate_default=True,
        description="1: areas by stratum and year (land_areas); 2: land units with "
        "histories (land_units) or land-use change matrices (land_use_changes); 3: land_units",
    )
    files: Any = Field(
        None,
        validate_default=True,
        description=f"dataset -> file of the package, for the datasets {', '.join(DATASETS)}",
    )
    units: Any = Field(
        None,
        description="default units when a unit column is empty, "
        f"for {', '.join(UNIT_DEFAULT_KEYS)} (e.g. {{area: ha, soc: g/kg}})",
    )
    synthetic: Any = Field(
        False,
        description="true marks made-up data (the bundled "
        "examples); reports label them 'synthetic example'",
    )
    time_series: Any = Field(
        None,
        description="how years missing from land_areas or organic_soils are filled "
        "(interpolate by default; trend, surrogate or overlap) and the tolerance "
        "total_area_tolerance_pct of the total land area per year",
    )

    area_uncertainty_pct: Any = Field(
        None,
        description="dataset -> area uncertainty [%] (95 % half-width, 0-100) of its rows "
        "whose area_uncertainty_pct is empty, for "
        f"{', '.join(AREA_UNCERTAINTY_DATASETS)} (e.g. {{land_areas: 8}}); rows with their "
        "own value keep it, and without either an area is treated as exact",
    )

    number_format: Any = Field(
        None,
        description="how the CSV files write numbers, when not plain: {decimal: ',' or '.', "
        "thousands: '.', ',', ' ' (any space) or \"'\"} (e.g. {decimal: ',', thousands: '.'} "
        "for 1.200,5); without it a ';' file uses the decimal comma, others the decimal point, "
        "and a number with thousands separators (1.200, 1 200, 1'200) is refused",
    )

    @field_validator("area_uncertainty_pct")
    @classmethod
    def _area_uncertainty(cls, value: Any, info: ValidationInfo) -> Any:
        raw = (info.context or {}).get("manifest") or {"files": info.data.get("files")}
        return _checked(value, check_area_uncertainty(value, raw.get("files")))

    @field_validator("number_format")
    @classmethod
    def _number_format(cls, value: Any) -> Any:
        return _checked(value, check_number_format(value))

    @field_validator("format_version")
    @classmethod
    def _version(cls, value: Any) -> Any:
        return _checked(value, _check_version({"format_version": value}))

    @field_validator("country")
    @classmethod
    def _country(cls, value: Any) -> Any:
        return _checked(value, _check_country({"country": value}))

    @field_validator("contact")
    @classmethod
    def _contact(cls, value: Any) -> Any:
        return _checked(value, _check_contact({"contact": value}))

    @field_validator("years")
    @classmethod
    def _years(cls, value: Any) -> Any:
        return _checked(value, _check_years({"years": value}))

    @field_validator("tier")
    @classmethod
    def _tier(cls, value: Any) -> Any:
        return _checked(value, _check_tier(value))

    @field_validator("approach")
    @classmethod
    def _approach(cls, value: Any) -> Any:
        return _checked(value, _check_approach(value))

    @field_validator("files")
    @classmethod
    def _files(cls, value: Any, info: ValidationInfo) -> Any:
        # tier and approach are declared first: info.data holds them when they were valid
        declared = {"files": value, "tier": info.data.get("tier"),
                    "approach": info.data.get("approach")}  # fmt: skip
        return _checked(value, _check_files(declared))

    @field_validator("units")
    @classmethod
    def _units(cls, value: Any) -> Any:
        return _checked(value, _check_units({"units": value}))

    @field_validator("synthetic")
    @classmethod
    def _synthetic(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        return _checked(value, [_fail("manifest_synthetic", f"'synthetic' {value!r} must be "
                                      "true or false", "write 'synthetic: true' for made-up "
                                      "data, or leave the key out", column="synthetic",
                                      value=value)])  # fmt: skip

    @field_validator("time_series")
    @classmethod
    def _time_series(cls, value: Any, info: ValidationInfo) -> Any:
        raw = (info.context or {}).get("manifest") or {"files": info.data.get("files")}
        return _checked(value, check_time_series({"time_series": value, "files": raw.get("files")}))


def check_manifest(manifest: dict) -> list[dict]:
    """All schema problems of a parsed manifest (empty: valid)."""
    try:
        # the raw mapping as context: the time_series check reads 'files' even when invalid
        SubmissionManifest.model_validate(manifest, context={"manifest": manifest})
    except ValidationError as err:
        return [f for error in err.errors() for f in (error.get("ctx") or {}).get("failures", [])]
    return []


def check_area_uncertainty(value: Any, files: Any) -> list[dict]:
    """Problems of ``area_uncertainty_pct`` (absent: none): a mapping of datasets the package
    declares under ``files`` and that carry areas, each to a number from 0 to 100 [%]."""
    if value is None:
        return []
    example = "write e.g. 'area_uncertainty_pct: {land_areas: 8}' (+/- 8 % of each area)"
    if not isinstance(value, dict):
        return [_fail("manifest_area_uncertainty", "'area_uncertainty_pct' must map datasets "
                      "to a percentage", example, column="area_uncertainty_pct",
                      value=value)]  # fmt: skip
    declared = set(files) if isinstance(files, dict) else set()
    problems = []
    for name, pct in value.items():
        column = f"area_uncertainty_pct.{name}"
        if name not in AREA_UNCERTAINTY_DATASETS:
            problems.append(_fail("manifest_area_uncertainty", f"{name!r} under "
                                  "'area_uncertainty_pct' is not a dataset with areas",
                                  f"use {', '.join(AREA_UNCERTAINTY_DATASETS)}",
                                  column=column, value=name))  # fmt: skip
        elif name not in declared:
            problems.append(_fail("manifest_area_uncertainty", f"area_uncertainty_pct names "
                                  f"{name!r}, which 'files' does not list",
                                  f"add {name} to 'files', or remove it here", column=column,
                                  value=name))  # fmt: skip
        elif isinstance(pct, bool) or not isinstance(pct, (int, float)) or not 0 <= pct <= 100:
            problems.append(_fail("manifest_area_uncertainty", f"area_uncertainty_pct.{name} "
                                  f"{pct!r} must be a number from 0 to 100 (% of the area)",
                                  f"write e.g. '{name}: 8' for +/- 8 %", column=column,
                                  value=pct))  # fmt: skip
    return problems


def area_uncertainty_defaults(manifest: dict | None) -> dict[str, float]:
    """The valid ``area_uncertainty_pct`` entries of a manifest: dataset -> U [%]."""
    manifest = manifest or {}
    value = manifest.get("area_uncertainty_pct")
    if not isinstance(value, dict) or check_area_uncertainty(value, manifest.get("files")):
        return {}
    return {str(name): float(pct) for name, pct in value.items()}


DECIMAL_MARKS = (".", ",")
THOUSANDS_SEPARATORS = (".", ",", " ", "'")


def check_number_format(value: Any) -> list[dict]:
    """Problems of ``number_format`` (absent: none)."""
    if value is None:
        return []
    fix = 'write e.g. \'number_format: {decimal: ",", thousands: "."}\''
    if not isinstance(value, dict) or set(value) - {"decimal", "thousands"}:
        return [_fail("manifest_number_format", f"'number_format' {value!r} must give "
                      "'decimal' and optionally 'thousands'", fix, column="number_format",
                      value=value)]  # fmt: skip
    decimal, thousands = value.get("decimal"), value.get("thousands")
    if decimal not in DECIMAL_MARKS:
        return [_fail("manifest_number_format", f"number_format 'decimal' {decimal!r} must be "
                      "'.' or ','", fix, column="number_format.decimal",
                      value=decimal)]  # fmt: skip
    if thousands not in (None, "", *THOUSANDS_SEPARATORS) or thousands == decimal:
        return [_fail("manifest_number_format", f"number_format 'thousands' {thousands!r} must "
                      "be '.', ',', ' ' or \"'\" and differ from the decimal mark", fix,
                      column="number_format.thousands", value=thousands)]  # fmt: skip
    return []


def country_of(manifest: dict | None) -> str | None:
    """The declared ISO3 code (upper case) when it is a known code, else None."""
    return countries.country_code(manifest.get("country") if isinstance(manifest, dict) else None)


def _check_version(m: dict) -> list[dict]:
    version = m.get("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        return [_fail("manifest_format_version", f"format_version {version!r} is not supported",
                      f"write 'format_version: {FORMAT_VERSION}' and use the v1 columns",
                      column="format_version", value=version)]  # fmt: skip
    return []


def _check_country(m: dict) -> list[dict]:
    value = m.get("country")
    if value is None:
        return [
            _fail(
                "manifest_country",
                "submission.yaml has no 'country'",
                "add e.g. 'country: KEN' (ISO 3166-1 alpha-3)",
                column="country",
            )
        ]
    if isinstance(value, bool):  # YAML 1.1 reads a bare NO/YES/ON/OFF as a boolean
        return [_fail("manifest_country", f"'country' was read as {value!r}, not a code",
                      "put the code in quotes, e.g. country: \"NOR\"", column="country",
                      value=value)]  # fmt: skip
    if country_of(m) is None:
        return [_fail("manifest_country", f"'country' {value!r} is not an ISO 3166-1 alpha-3 "
                      "code", "use the three-letter code, e.g. KEN for Kenya, URY for Uruguay",
                      column="country", value=value)]  # fmt: skip
    return []


def _check_contact(m: dict) -> list[dict]:
    contact = m.get("contact")
    fix = "write 'contact: {name: Your Name, email: you@example.org}'"
    if not isinstance(contact, dict):
        return [_fail("manifest_contact", "'contact' must give a name and an email", fix,
                      column="contact", value=contact)]  # fmt: skip
    problems = []
    name, email = contact.get("name"), contact.get("email")
    if not isinstance(name, str) or not name.strip():
        problems.append(_fail("manifest_contact", "contact 'name' is missing", fix,
                              column="contact.name", value=name))  # fmt: skip
    if not isinstance(email, str) or not _EMAIL.match(email.strip()):
        problems.append(_fail("manifest_contact", f"contact 'email' {email!r} is not an email "
                              "address", fix, column="contact.email", value=email))  # fmt: skip
    return problems


def declared_years(m: dict) -> tuple[int, int] | None:
    years = m.get("years")
    if (isinstance(years, list) and len(years) == 2
            and all(isinstance(y, int) and not isinstance(y, bool) for y in years)):  # fmt: skip
        return int(years[0]), int(years[1])
    return None


def _check_years(m: dict) -> list[dict]:
    years = declared_years(m)
    fix = "write 'years: [FIRST, LAST]', e.g. 'years: [1990, 2024]'"
    if years is None:
        return [_fail("manifest_years", f"'years' {m.get('years')!r} must be [first, last]",
                      fix, column="years", value=m.get("years"))]  # fmt: skip
    first, last = years
    if first > last or first < EARLIEST_YEAR or last > LATEST_YEAR:
        return [_fail("manifest_years", f"'years' {[first, last]} must be increasing and within "
                      f"{EARLIEST_YEAR}-{LATEST_YEAR}", fix, column="years",
                      value=[first, last])]  # fmt: skip
    return []


def _check_tier(tier: Any) -> list[dict]:
    if tier not in TIERS or isinstance(tier, bool):
        return [_fail("manifest_tier", f"'tier' {tier!r} must be 1 or 2",
                      "write 'tier: 1' (IPCC defaults) or 'tier: 2' (country-specific)",
                      column="tier", value=tier)]  # fmt: skip
    return []


def _check_approach(approach: Any) -> list[dict]:
    if approach not in APPROACHES or isinstance(approach, bool):
        return [_fail("manifest_approach", f"'approach' {approach!r} must be 1, 2 or 3",
                      "write 'approach: 1' for areas by stratum and year, 2 or 3 for land "
                      "units with histories", column="approach", value=approach)]  # fmt: skip
    return []


def _check_files(m: dict) -> list[dict]:
    files = m.get("files")
    if not isinstance(files, dict) or not files:
        return [
            _fail(
                "manifest_files",
                "'files' must map each dataset to its file",
                "write e.g. 'files: {land_areas: land_areas.csv}'",
                column="files",
            )
        ]
    problems = []
    for dataset, path in files.items():
        if dataset not in DATASETS:
            problems.append(_fail("manifest_unknown_dataset", f"unknown dataset {dataset!r} "
                                  "under 'files'", f"use one of {', '.join(DATASETS)}",
                                  column="files", value=dataset))  # fmt: skip
        elif not isinstance(path, str) or not path.strip():
            problems.append(_fail("manifest_files", f"files.{dataset} must be a file name",
                                  f"write e.g. '{dataset}: {dataset}.csv'",
                                  column=f"files.{dataset}", value=path))  # fmt: skip
    approach = m.get("approach")
    needed = LAND_DATASETS.get(approach, ()) if isinstance(approach, int) else ()
    if needed and not set(needed) & set(files):
        names = " or ".join(repr(n) for n in needed)
        problems.append(_fail("manifest_missing_dataset", f"approach {approach} needs the "
                              f"dataset {names}", f"add '{needed[0]}: <file>' under 'files'",
                              column="files", value=needed[0]))  # fmt: skip
    if m.get("tier") == 2 and not {"profiles", "factors"} & set(files):
        problems.append(
            _fail(
                "manifest_missing_dataset",
                "tier 2 needs 'profiles' or 'factors'",
                "add the soil profiles or country-specific factors, or declare 'tier: 1'",
                column="files",
                value="profiles",
            )
        )
    return problems


def _check_units(m: dict) -> list[dict]:
    defaults = m.get("units")
    if defaults is None:
        return []
    if not isinstance(defaults, dict):
        return [_fail("manifest_units", "'units' must map quantities to unit strings",
                      "write e.g. 'units: {area: ha, soc: g/kg, bulk_density: g/cm3}'",
                      column="units", value=defaults)]  # fmt: skip
    problems = []
    for key, unit in defaults.items():
        target = units.CANONICAL_UNITS.get(UNIT_DEFAULT_KEYS.get(key, ""))
        if target is None:
            problems.append(_fail("manifest_units", f"unknown quantity {key!r} under 'units'",
                                  f"use {', '.join(UNIT_DEFAULT_KEYS)}", column="units",
                                  value=key))  # fmt: skip
        elif (reason := units.check_unit(unit, target)) is not None:
            problems.append(_fail("manifest_units", f"units.{key}: {reason}",
                                  f"give a unit convertible to {target}", column=f"units.{key}",
                                  value=unit))  # fmt: skip
    return problems
