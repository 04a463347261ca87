"""Dataset specifications of format v1 and the preparation step before the GX suites run.

Preparation is vectorised: numbers parsed column by column (decimal comma where the file uses
``;``), vocabulary codes normalised (:func:`normalise_code_columns`), unit strings checked
once per distinct string and converted to the derived columns the range expectations test
(``area_ha``, ``soc_g_per_kg``, ``bd_g_per_cm3``). Cells that are not numbers and unusable units
become failures here; the GX suites then see clean numeric columns.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from inventory.core import units, vocab
from inventory.core.failures import failure_frame


@dataclass(frozen=True)
class UnitColumn:
    value: str  # column holding the number
    unit: str  # column holding the unit string
    quantity: str  # key of units.CANONICAL_UNITS / manifest 'units' defaults
    derived: str  # converted column tested by the range expectations


@dataclass(frozen=True)
class Spec:
    """Columns of one dataset type (submission format v1)."""

    name: str
    columns: tuple[str, ...]  # documented order
    required: tuple[str, ...]  # must be present as columns
    numeric: tuple[str, ...]
    units: tuple[UnitColumn, ...] = ()
    integer: tuple[str, ...] = ("year",)
    upper_case: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()  # further code columns normalised to lower_snake


AREA = UnitColumn("area", "area_unit", "area", "area_ha")
STRATA = vocab.STRATUM_KEYS
AREA_U = vocab.AREA_UNCERTAINTY  # optional in every area dataset
# A land-use change matrix cell goes from one state to another within a climate x soil cell.
FROM_STATE = ("from_land_use", "from_management", "from_input")
TO_STATE = ("to_land_use", "to_management", "to_input")
SPECS = {
    "land_areas": Spec("land_areas", ("year", *STRATA, "area", "area_unit", AREA_U),
                       ("year", *STRATA, "area", "area_unit"), ("year", "area", AREA_U),
                       (AREA,)),
    "land_units": Spec("land_units", ("unit_id", "year", *STRATA, "area", "area_unit", AREA_U),
                       ("unit_id", "year", *STRATA, "area", "area_unit"),
                       ("year", "area", AREA_U), (AREA,)),
    "profiles": Spec(
        "profiles",
        ("profile_id", "lat", "lon", "year", "land_use", "management", "input", "climate_zone",
         "soil_class", "upper_cm", "lower_cm", "soc", "soc_unit", "soc_method", "bulk_density",
         "bd_unit", "coarse_fragments_pct"),
        ("profile_id", "year", "land_use", "climate_zone", "soil_class", "upper_cm", "lower_cm",
         "soc", "soc_unit"),
        ("lat", "lon", "year", "upper_cm", "lower_cm", "soc", "bulk_density",
         "coarse_fragments_pct"),
        (UnitColumn("soc", "soc_unit", "soc", "soc_g_per_kg"),
         UnitColumn("bulk_density", "bd_unit", "bulk_density", "bd_g_per_cm3")),
    ),
    "factors": Spec(
        "factors",
        ("factor", "climate_zone", "soil_class", "land_use", "level", "value", "uncertainty_pct",
         "source"),
        ("factor", "value", "source"), ("value", "uncertainty_pct"), integer=(),
        upper_case=("factor",), codes=("level",),
    ),
    "organic_soils": Spec(
        "organic_soils",
        ("year", "climate_zone", "land_use", "drainage", "nutrient_status", "drainage_depth",
         "area", "area_unit", AREA_U),
        ("year", "climate_zone", "land_use", "drainage", "area", "area_unit"),
        ("year", "area", AREA_U), (AREA,),
    ),
    # Extensions of format v1 (land-use change matrices, gap-filling series, national totals).
    "land_use_changes": Spec(
        "land_use_changes",
        ("year", "from_year", "climate_zone", "soil_class", *FROM_STATE, *TO_STATE, "area",
         "area_unit", AREA_U),
        ("year", "climate_zone", "soil_class", *FROM_STATE, *TO_STATE, "area", "area_unit"),
        ("year", "from_year", "area", AREA_U), (AREA,), integer=("year", "from_year"),
        codes=(*FROM_STATE, *TO_STATE),
    ),
    "auxiliary_series": Spec(
        "auxiliary_series", ("series", "year", "climate_zone", "land_use", "value"),
        ("series", "year", "land_use", "value"), ("year", "value"), codes=("series",),
    ),
    "national_totals": Spec(
        "national_totals",
        ("year", "category", "gas", "emissions", "emissions_unit", "uncertainty_pct"),
        ("year", "category", "gas", "emissions", "emissions_unit"),
        ("year", "emissions", "uncertainty_pct"), upper_case=("gas",), codes=("emissions_unit",),
    ),
}  # fmt: skip
# CO2-equivalent units of national_totals (as lower_snake codes) -> t CO2e per unit.
EMISSION_UNITS = {"kg_co2e": 1e-3, "t_co2e": 1.0, "kt_co2e": 1e3, "gg_co2e": 1e3,
                  "mt_co2e": 1e6, "tg_co2e": 1e6}  # fmt: skip
# Codes of the factors dataset (not part of vocab.VOCABULARIES, which are stratum codes).
FACTOR_CODES = ("SOC_REF", "F_LU", "F_MG", "F_I")

# What each submitted column holds (the submission-format page of docs/ is generated from this,
# SPECS, the suites and the vocabularies; tests/test_reference_docs.py checks every column of
# SPECS has an entry).
COLUMN_GLOSSARY = {
    "year": "calendar year the row describes (four digits)",
    "unit_id": "identifier of a land unit (a parcel or sample point followed through time), "
    "unique within the country",
    "climate_zone": "IPCC climate zone (2019 Refinement Vol.4 Ch.3 Annex 3A.5)",
    "soil_class": "IPCC mineral soil class (2006 Vol.4 Ch.3 Annex 3A.5); organic soils are "
    "submitted in organic_soils",
    "land_use": "IPCC land-use category; native = the undisturbed reference state of SOC_REF",
    "management": "management practice of the land use (cropland tillage, grassland condition); "
    "not_applicable for other land uses",
    "input": "carbon input level (cropland); not_applicable for other land uses",
    "area": "area of the stratum (or land unit) in the year, a number >= 0",
    AREA_U: "optional: uncertainty of the row's area, the half-width of its 95 % interval as "
    "+/- % of the area, 0 to 100 (e.g. 5 for a survey estimate of +/- 5 %); drawn in the Monte "
    "Carlo with the factors, one draw per stratum for all its years (errors taken as fully "
    "correlated over time). Empty or absent: the area is treated as exact (no default is "
    "assumed; IPCC good practice ranges from a few % to 10 % for Approach 1/2 areas)",
    "area_unit": "unit of area (ha, kha, km2, ...); a default may be set under units: in "
    "submission.yaml",
    "profile_id": "identifier of a soil profile (one site and sampling date); its horizons "
    "share it",
    "lat": "latitude of the profile, decimal degrees (WGS 84)",
    "lon": "longitude of the profile, decimal degrees (WGS 84)",
    "upper_cm": "upper depth of the horizon, cm below the surface",
    "lower_cm": "lower depth of the horizon, cm below the surface (greater than upper_cm)",
    "soc": "soil organic carbon content of the horizon",
    "soc_unit": "unit of soc (g/kg, %, g/100g, ...)",
    "soc_method": "laboratory method of soc; converted to dry combustion with cited factors",
    "bulk_density": "bulk density of the fine earth; estimated by a pedotransfer function "
    "(Manrique & Jones 1991) when empty",
    "bd_unit": "unit of bulk_density (g/cm3, Mg/m3, ...)",
    "coarse_fragments_pct": "volume share of coarse fragments (> 2 mm), %",
    "factor": "which factor the row gives: SOC_REF (t C/ha) or a stock change factor "
    "F_LU, F_MG, F_I (dimensionless)",
    "level": "management (F_LU, F_MG) or input (F_I) code the factor applies to; empty or * "
    "for all",
    "value": "the factor value: t C/ha for SOC_REF, dimensionless for F_LU, F_MG, F_I",
    "uncertainty_pct": "half-width of the 95 % interval as +/- % of the value",
    "source": "citation of the country-specific factor (study, report, table)",
    "drainage": "drained or rewetted organic soil",
    "nutrient_status": "nutrient status of the peat (Wetlands Supplement Ch.2 tables)",
    "drainage_depth": "deep- or shallow-drained (Wetlands Supplement Ch.2 tables)",
    "from_year": "start of the matrix's period; empty = the previous matrix's year (year - 1 "
    "for the first matrix), so annual and multi-year matrices both work",
    "from_land_use": "land use at the start of the period (the matrix row)",
    "from_management": "management at the start of the period (the matrix row)",
    "from_input": "carbon input level at the start of the period (the matrix row)",
    "to_land_use": "land use at the end of the period, in year (the matrix column)",
    "to_management": "management at the end of the period (the matrix column)",
    "to_input": "carbon input level at the end of the period (the matrix column)",
    "series": "name of the series, as time_series: in submission.yaml refers to it (surrogate "
    "data, or a previous method's estimates for overlap splicing)",
    "category": "the compiler's inventory category of another sector (e.g. 1.A.1), for the key "
    "category analysis",
    "gas": "gas of the category (CO2, CH4, N2O, HFCs, PFCs, SF6, NF3, or CO2e for a total)",
    "emissions": "emissions of the category in the year as CO2-equivalent, + = emission, "
    "- = removal",
    "emissions_unit": "unit of emissions: kg, t, kt, Gg, Mt or Tg CO2e (written kg_co2e, "
    "t_co2e, ...)",
}
# Meanings that differ by dataset (dataset, column) -> meaning; else COLUMN_GLOSSARY.
DATASET_GLOSSARY = {
    ("land_use_changes", "area"): "area that moved from the row state to the column state "
    "over the period; the diagonal holds the unchanged area",
    ("auxiliary_series", "value"): "value of the series in the year, > 0, in any unit (only "
    "ratios between years are used)",
    ("auxiliary_series", "climate_zone"): "IPCC climate zone the value covers; empty = all zones",
    ("national_totals", "uncertainty_pct"): "half-width of the 95 % interval of the "
    "category's emissions, +/- %; used by the Approach 2 key category analysis",
}


def column_meaning(dataset: str, column: str) -> str:
    """What a submitted column of ``dataset`` holds (empty when undocumented)."""
    return DATASET_GLOSSARY.get((dataset, column)) or COLUMN_GLOSSARY.get(column, "")


@dataclass
class Prepared:
    """One dataset after preparation: typed frame (index = row number) and its failures."""

    frame: pd.DataFrame
    raw: pd.DataFrame
    failures: pd.DataFrame


def _failures(file: str, rows: pd.Index, column: str, values: pd.Series, rule_id: str,
              message: str | pd.Series, fix: str | pd.Series) -> pd.DataFrame:  # fmt: skip
    return failure_frame(pd.DataFrame({
        "file": file, "row": np.asarray(rows), "column": column, "value": values.to_numpy(),
        "rule_id": rule_id, "message": message, "fix": fix}))  # fmt: skip


@dataclass(frozen=True)
class NumberFormat:
    """How a file writes numbers: its decimal mark and thousands separator. ``declared``: from
    ``number_format`` in submission.yaml; else detected (``;`` files: decimal comma) and no
    thousands separator is accepted."""

    decimal: str = "."
    thousands: str | None = None
    declared: bool = False


# Thousands separators spreadsheets write by locale: '.' (de, es, pt...), ',' (en), a space,
# a no-break space or a narrow no-break space (fr, nordic), an apostrophe (de-CH).
SPACES = " \u00a0\u202f"
APOSTROPHES = "'\u2019"
OTHER_MARK = {".": ",", ",": "."}
NUMBER_FORMAT_FIX = ("write numbers without thousands separators (e.g. 1200), or declare the "
                     "file's number format in submission.yaml, e.g. 'number_format: {decimal: "
                     "\",\", thousands: \".\"}'")  # fmt: skip


def _separator_class(separator: str) -> str:
    chars = SPACES if separator == " " else APOSTROPHES if separator == "'" else separator
    return "[" + "".join("\\" + c if c in ".,'" else c for c in chars) + "]"


def _grouped(separator: str, decimal: str | None) -> str:
    """Regex of a number written with ``separator`` between groups of three digits."""
    tail = f"(?:\\{decimal}[0-9]+)?" if decimal else ""
    return f"^[+-]?[0-9]{{1,3}}(?:{_separator_class(separator)}[0-9]{{3}})+{tail}$"


def ambiguous_numbers(text: pd.Series, fmt: NumberFormat) -> tuple[pd.Series, pd.Series]:
    """(mask, message) of cells whose reading depends on a separator the file's conventions
    leave open: ``1.200`` in a decimal-comma file is 1200 with '.' as thousands separator or
    1.2 with '.' as decimal mark; ``1 200`` or ``1'200`` carry a thousands separator the file
    did not declare. Vectorised: one pass finds the cells holding a separator at all (the other
    mark, a space or an apostrophe; most numeric columns have none), the regular expressions
    then run on those cells only."""
    mask = pd.Series(False, index=text.index)
    message = pd.Series("", index=text.index, dtype="object")
    if fmt.declared:
        return mask, message
    other = OTHER_MARK[fmt.decimal]
    candidates = text.str.contains(f"[\\{other}{SPACES}{APOSTROPHES}]", regex=True, na=False)
    if candidates.any():
        found, why = _ambiguous(text[candidates], fmt, other)
        mask[found.index] = found
        message[found.index] = why
    return mask, message


def _ambiguous(text: pd.Series, fmt: NumberFormat, other: str) -> tuple[pd.Series, pd.Series]:
    """:func:`ambiguous_numbers` on cells that hold a separator character."""
    mask = pd.Series(False, index=text.index)
    message = pd.Series("", index=text.index, dtype="object")
    one_group = text.str.fullmatch(f"[+-]?[0-9]{{1,3}}\\{other}[0-9]{{3}}", na=False)
    if one_group.any():
        cells = text[one_group]
        thousands = cells.str.replace(other, "", regex=False)
        decimal = cells.str.replace(other, ".", regex=False).astype("float64").map(repr)
        message[one_group] = ("the value " + cells + " reads as " + thousands + " with '"
                              + other + "' as thousands separator, or as " + decimal
                              + " with '" + other + "' as decimal mark (this file's numbers "
                              f"use '{fmt.decimal}' as decimal mark); it is not read either "
                              "way")  # fmt: skip
        mask |= one_group
    for separator in (other, " ", "'"):
        grouped = ~mask & text.str.match(_grouped(separator, fmt.decimal), na=False)
        if grouped.any():
            cells = text[grouped]
            digits = cells.str.replace(_separator_class(separator), "", regex=True)
            reading = digits.str.replace(fmt.decimal, ".", regex=False)
            message[grouped] = ("the value " + cells + " has thousands separators; it would "
                                "read as " + reading + ", but the file does not declare its "
                                "number format")  # fmt: skip
            mask |= grouped
    return mask, message


def _apply_format(text: pd.Series, fmt: NumberFormat) -> pd.Series:
    """Text in the declared format -> text with '.' as decimal mark and no separators (cells
    using a separator any other way become NaN: not a number)."""
    if fmt.thousands:
        has = text.str.contains(_separator_class(fmt.thousands), regex=True, na=False)
        valid = text.str.match(_grouped(fmt.thousands, fmt.decimal), na=False)
        text = text.where(~has | valid)
        text = text.str.replace(_separator_class(fmt.thousands), "", regex=True)
    other = OTHER_MARK[fmt.decimal]
    if fmt.thousands != other:
        text = text.where(~text.str.contains(other, regex=False, na=False))
    return text.str.replace(fmt.decimal, ".", regex=False) if fmt.decimal == "," else text


def parse_numbers(raw: pd.Series, *, decimal: str = ".",
                  number_format: NumberFormat | None = None) -> pd.Series:  # fmt: skip
    """Text cells to float64 (NaN where missing or not a number); vectorised. ``number_format``
    (declared) takes precedence over ``decimal`` (detected)."""
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64")
    text = raw.astype("str").where(raw.notna())
    fmt = number_format or NumberFormat(decimal)
    if fmt.declared:
        text = _apply_format(text, fmt)
    elif fmt.decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    try:  # fast path: one Arrow cast (C++) when every cell is a number
        values = pc.cast(pa.array(text, type=pa.string()), pa.float64())
        return pd.Series(values.to_numpy(zero_copy_only=False), index=raw.index, dtype="float64")
    except (pa.ArrowInvalid, ValueError, TypeError):
        return pd.to_numeric(text, errors="coerce").astype("float64")


def map_distinct(series: pd.Series, function: Callable[[Any], Any]) -> pd.Series:
    """``series.map(function)`` evaluated once per distinct value (vectorised take)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    mapped = np.array([function(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=series.index)  # code -1 (missing) -> None


def normalise_code_columns(frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """Vocabulary codes of ``columns`` to lower_snake with aliases resolved, in place
    (:func:`inventory.core.vocab.canonical_code`, evaluated once per distinct value)."""
    for column in columns:
        if column in frame.columns:
            mapped = map_distinct(frame[column], partial(vocab.canonical_code, column=column))
            frame[column] = mapped.astype("str").where(mapped.notna())
    return frame


def prepare(name: str, raw: pd.DataFrame, file: str, *, decimal: str = ".",
            unit_defaults: dict | None = None,
            number_format: NumberFormat | None = None) -> Prepared:  # fmt: skip
    """Typed, normalised copy of a dataset plus the failures found while preparing it.

    Numbers are read in ``number_format`` when the package declares one, else with the file's
    detected ``decimal`` mark; a cell whose reading depends on a separator the conventions leave
    open is refused with both readings (:func:`ambiguous_numbers`)."""
    fmt = number_format or NumberFormat(decimal)
    spec = SPECS[name]
    frame = raw.copy()
    for column in spec.columns:
        if column not in frame.columns and column not in spec.required:
            frame[column] = pd.Series(pd.NA, index=frame.index, dtype="str")
    parts = []
    for column in spec.numeric:
        if column not in frame.columns:
            continue
        parsed = parse_numbers(frame[column], number_format=fmt)
        if not pd.api.types.is_numeric_dtype(frame[column]):
            unclear, why = ambiguous_numbers(frame[column].astype("str"), fmt)
            unclear &= frame[column].notna()
            if unclear.any():
                parts.append(
                    _failures(
                        file,
                        frame.index[unclear],
                        column,
                        frame.loc[unclear, column],
                        "number_ambiguous",
                        column + ": " + why[unclear],
                        NUMBER_FORMAT_FIX,
                    )
                )
                parsed = parsed.where(~unclear)
        else:
            unclear = pd.Series(False, index=frame.index)
        bad = frame[column].notna() & parsed.isna() & ~unclear
        if bad.any():
            parts.append(_failures(file, frame.index[bad], column, frame.loc[bad, column],
                                   "not_a_number", f"{column} must be a number",
                                   "write a plain number such as 1200 or 12.5 (no units, no "
                                   "thousands separators)"))  # fmt: skip
        nonfinite = parsed.notna() & ~np.isfinite(parsed)
        if nonfinite.any():  # "inf", "Infinity", "1e309" parse as infinite floats
            parts.append(_failures(file, frame.index[nonfinite], column,
                                   frame.loc[nonfinite, column], "not_finite",
                                   f"{column} must be a finite number",
                                   "write the measured value as a plain number; inf, Infinity "
                                   "and numbers beyond 1e308 are not values"))  # fmt: skip
            parsed = parsed.where(~nonfinite)
        if column in spec.integer:
            fractional = parsed.notna() & (parsed % 1 != 0)
            if fractional.any():
                parts.append(_failures(file, frame.index[fractional], column,
                                       frame.loc[fractional, column], "not_an_integer",
                                       f"{column} must be a whole number", "write the year "
                                       "as four digits, e.g. 2015"))  # fmt: skip
        frame[column] = parsed
    normalise_code_columns(frame, [*vocab.VOCABULARIES, *spec.codes])
    for column in spec.upper_case:
        if column in frame.columns:
            frame[column] = frame[column].str.strip().str.upper()
    for unit_column in spec.units:
        parts.append(_apply_units(frame, raw, unit_column, file, unit_defaults or {}))
    return Prepared(frame, raw, failure_frame(pd.concat(parts)) if parts else failure_frame())


def _apply_units(frame: pd.DataFrame, raw: pd.DataFrame, uc: UnitColumn, file: str,
                 defaults: dict) -> pd.DataFrame:  # fmt: skip
    """Fill default units, check each distinct unit string, add the converted column."""
    target = units.CANONICAL_UNITS[uc.quantity]
    if uc.unit not in frame.columns:
        if uc.quantity not in defaults:
            return failure_frame()  # reported by the suite's expect_column_to_exist
        frame[uc.unit] = pd.Series(pd.NA, index=frame.index, dtype="str")
    if uc.quantity in defaults:
        frame[uc.unit] = frame[uc.unit].fillna(str(defaults[uc.quantity]))
    if uc.value not in frame.columns:
        return failure_frame()
    unit_text = frame[uc.unit].astype("str").str.strip().where(frame[uc.unit].notna())
    frame[uc.unit] = unit_text
    reasons = {u: units.check_unit(u, target) for u in pd.unique(unit_text.dropna())}
    bad_units = map_distinct(unit_text, reasons.get).notna() & unit_text.notna()
    needs_unit = frame[uc.value].notna() & unit_text.isna()
    factor = map_distinct(unit_text, lambda u: units.conversion_factor(u, target)
                          if reasons.get(u, "missing") is None else np.nan)  # fmt: skip
    frame[uc.derived] = frame[uc.value] * factor.astype("float64")
    parts = []
    if bad_units.any():
        values = unit_text[bad_units]
        message = values.map(lambda u: f"{uc.unit} {u!r} is not a unit of {uc.quantity} "
                             f"convertible to {target}: {reasons[u]}")  # fmt: skip
        parts.append(_failures(file, frame.index[bad_units], uc.unit, values, "unit_invalid",
                               message, f"use a unit of {uc.quantity} such as "
                               f"{_unit_examples(uc.quantity)}"))  # fmt: skip
    if needs_unit.any():
        parts.append(_failures(file, frame.index[needs_unit], uc.unit,
                               pd.Series([None] * int(needs_unit.sum())), "unit_missing",
                               f"{uc.value} is given without {uc.unit}",
                               f"fill {uc.unit} (e.g. {_unit_examples(uc.quantity)}) or set a "
                               f"default under 'units:' in submission.yaml"))  # fmt: skip
    return failure_frame(pd.concat(parts)) if parts else failure_frame()


UNIT_EXAMPLES = {"area": "ha, km2", "soc": "g/kg, %, g/100g", "bulk_density": "g/cm3, Mg/m3"}


def _unit_examples(quantity: str) -> str:
    return UNIT_EXAMPLES.get(quantity, units.CANONICAL_UNITS[quantity])


def suggest_code(value: object, allowed: tuple[str, ...]) -> str:
    """A fix for an unknown code: the closest allowed code, else the list."""
    close = difflib.get_close_matches(str(vocab.normalise_code(value)), allowed, n=1)
    if close:
        return f"did you mean '{close[0]}'? Allowed: {', '.join(allowed)}"
    return f"use one of: {', '.join(allowed)}"
