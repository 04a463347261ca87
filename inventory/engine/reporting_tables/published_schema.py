"""The contract of the published tables: names, units, descriptions and sign conventions.

The engine's SQL models keep their own column names; this module is the one step of the publish
path that turns a computed table into a published one (:func:`published_table`, called once per
table by the run writer):

* columns are renamed so that every numeric name carries its unit (:data:`UNIT_PATTERNS`), and a
  flux published against the table's sign convention is negated (:data:`PUBLISHED`);
* every file keeps its ``country`` column and gains ``release_id``;
* every Arrow field carries its ``description`` and ``unit`` (and, when renamed, its schema-v1
  name) in its metadata; the schema carries the table name, :data:`SCHEMA_VERSION`, the release
  and run ids and the table's sign convention.

Descriptions and units come from the SQL model headers (``inventory/engine/sql/<model>.sql``,
``sql_headers.model_headers()``), so the data dictionary (``docs/``, built by
:func:`data_dictionary`) cannot drift from the queries. A table computed outside SQL lists its
columns here (:attr:`TableSpec.extra`). A new published table needs no entry when it is named
after its model and its numeric names already end in their unit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pandas as pd
import pyarrow as pa

from inventory.engine.sql_headers import Column, ModelHeader, model_headers
from inventory.lake.warehouse import V1_CODE_TYPE

SCHEMA_VERSION = 2
KEY_PREFIX = "soilc."
FLUX_SIGN = (
    "UNFCCC convention: a carbon stock change (t C) is + for a gain of soil carbon (a removal); "
    "a greenhouse-gas flux (t CO2, t CO2e, t CH4, t N2O) is + for an emission to the atmosphere "
    "and - for a removal."
)
NO_FLUX = "No flux in this table: stocks, areas, factors and counts are quantities >= 0."
COUNTRY = Column("country", None, "ISO 3166-1 alpha-3 country code (also the partition folder)")
RELEASE = Column(
    "release_id", None, "release that first published these rows (a country not recomputed by a "
    "later run keeps the release of its last run)"
)  # fmt: skip
TRANSITION = Column("transition_years", "yr", "transition period D of IPCC 2006 Vol.4 Ch.2 "
                    "Eq. 2.25 used for the stock change (20 by default)")  # fmt: skip
_AREA_SOURCES = ("reported, interpolated, extrapolated_constant, extrapolated_trend or "
                 "surrogate (IPCC 2006 Vol.1 Ch.5 time-series consistency)")  # fmt: skip
STRATUM_AREA_SOURCE = Column(
    "area_source", None, f"how the stratum's area of the year was obtained: {_AREA_SOURCES}; "
    "NULL when no submitted area stands behind the row"
)  # fmt: skip
LAND_USE_AREA_SOURCE = Column(
    "area_source", None, "the distinct area sources of the land use's strata in the year, "
    f"sorted and comma-separated ({_AREA_SOURCES}); NULL when no area stands behind the row"
)  # fmt: skip
HISTORY = (
    Column("n_history_years_filled", "count", "how many of the D years before the first reported "
           "year the submitted land areas lacked (0: none; IPCC 2006 Vol.1 Ch.5)"),
    Column("history_fill", None, "what filled them (run parameter history): backcast_trend, "
           "backcast_hold, backcast_surrogate, or none"),
)  # fmt: skip
DRAWS = {"mc_draws": "n_mc_draws"}
DC_INTERVAL = {
    "ci_low": "dC_ci_low_tc_per_yr", "ci_high": "dC_ci_high_tc_per_yr",
    "mc_mean": "dC_mc_mean_tc_per_yr", **DRAWS,
}  # fmt: skip
_MC = (
    "of the Monte Carlo draws (factors and, where submitted, areas: "
    "area_uncertainty_pct; an area without one is treated as exact; IPCC 2006 Vol.1 Ch.3 "
    "Approach 2); NULL without draws and on land-use rows"
)
STOCK_INTERVALS = (
    Column("stock_ci_low_tc", "t C", f"2.5th percentile of the national stock S(y) {_MC}"),
    Column("stock_ci_high_tc", "t C", f"97.5th percentile of the national stock S(y) {_MC}"),
)
FOURP1000_INTERVALS = (
    Column("change_ci_low_tc_per_yr", "t C/yr", "2.5th percentile of the scope's national "
           f"change dC(y) {_MC}"),
    Column("change_ci_high_tc_per_yr", "t C/yr", "97.5th percentile of the scope's national "
           f"change dC(y) {_MC}"),
    Column("rate_ci_low_permille_per_yr", "per mille/yr", "2.5th percentile of the rate "
           f"1000 x dC(y) / S(y-1), each draw's change over its own stock {_MC}"),
    Column("rate_ci_high_permille_per_yr", "per mille/yr", "97.5th percentile of the rate "
           f"1000 x dC(y) / S(y-1), each draw's change over its own stock {_MC}"),
)  # fmt: skip
N2O = {"n2o_t": "n2o_t_per_yr", "co2e_t": "co2e_t_per_yr"}
CO2E_ESTIMATES = {"emissions_co2e_t": "emissions_co2e_t_per_yr",
                  "base_emissions_co2e_t": "base_emissions_co2e_t_per_yr"}  # fmt: skip


class PublishedSchemaError(ValueError):
    """A published table has a column the dictionary does not describe (a programming error)."""


@dataclass(frozen=True)
class TableSpec:
    """How one published table is made from its SQL model's result.

    Attributes
    ----------
    model : str or None
        SQL model whose header describes the columns; None when :attr:`extra` lists them all.
    sign : str
        The table's sign convention, stated in the data dictionary and the Parquet metadata.
    renames : mapping
        Model column -> published name (schema version 2; the old name is kept in the field
        metadata and in the warehouse's ``<table>_v1`` view).
    negate : frozenset of str
        Model columns published with the opposite sign (so the table has one convention).
    drop : tuple of str
        Model columns not published.
    extra : tuple of Column
        Columns added outside the SQL model (by Python), with unit and description.
    described : mapping
        Published name -> description replacing the model's (for negated or renamed columns).
    codes : frozenset of str
        Integer model columns that are codes, not quantities: published as text, so that
        every numeric published column is a quantity with a unit.
    """

    model: str | None
    sign: str = FLUX_SIGN
    renames: Mapping[str, str] = field(default_factory=dict)
    negate: frozenset[str] = frozenset()
    drop: tuple[str, ...] = ()
    extra: tuple[Column, ...] = ()
    described: Mapping[str, str] = field(default_factory=dict)
    codes: frozenset[str] = frozenset()


PUBLISHED: dict[str, TableSpec] = {
    "soc_stocks": TableSpec("soc_stocks", NO_FLUX, {"soc_ref": "soc_ref_tc_per_ha"},
                            extra=(STRATUM_AREA_SOURCE,)),
    "stock_changes": TableSpec("stock_change_uncertainty", renames=DC_INTERVAL,
                               extra=(TRANSITION, LAND_USE_AREA_SOURCE)),
    "stock_change_totals": TableSpec("stock_change_totals", renames={
        **DC_INTERVAL, "dco2_ci_low": "dCO2_ci_low_t_per_yr",
        "dco2_ci_high": "dCO2_ci_high_t_per_yr"}, extra=(TRANSITION, *HISTORY,
                                                            LAND_USE_AREA_SOURCE)),
    "stock_change_subcategories": TableSpec("stock_change_subcategory_uncertainty",
                                            renames=DC_INTERVAL, extra=(LAND_USE_AREA_SOURCE,)),
    "stratum_factors": TableSpec("stratum_factors", NO_FLUX, {
        "value": "value_tc_per_ha_or_ratio", "row_mean": "row_mean_tc_per_ha_or_ratio",
        "row_sd": "row_sd_tc_per_ha_or_ratio", "ref_mean": "ref_mean_tc_per_ha",
        "ref_sd": "ref_sd_tc_per_ha"}, drop=("factor_id",)),
    "tier2_diagnostics": TableSpec("tier2_stratum_means", NO_FLUX),
    "organic_soil_emissions": TableSpec("organic_soil_emissions", renames={
        "emission": "emission_t_per_yr", "co2e_t": "co2e_t_per_yr",
        "ef": "ef_t_per_ha_per_yr"}, extra=(STRATUM_AREA_SOURCE,)),
    "fourp1000_indicators": TableSpec("fourp1000_indicators", renames={
        "change_tc": "change_tc_per_yr", "rate_permille": "rate_permille_per_yr",
        "rate_vs_base_permille": "rate_vs_base_permille_per_yr",
        "target_permille": "target_permille_per_yr", "target_tc": "target_tc_per_yr",
        "gap_tc": "gap_tc_per_yr"}, extra=FOURP1000_INTERVALS),
    "inventory_stocks": TableSpec("inventory_stocks", renames={
        "change_tc": "change_tc_per_yr", "transfer_tc": "transfer_tc_per_yr"},
        extra=STOCK_INTERVALS),
    "soc_loss_n2o": TableSpec("soc_loss_n2o", renames={**N2O, "ef1": "ef1_fraction"},
        described={"soc_loss_tc_per_yr": "net mineral-soil carbon loss of the category, -dC "
                   "when dC < 0, else 0: an amount >= 0 (the loss), not a signed stock change"}),
    "agriculture_n2o": TableSpec("agriculture_n2o", renames={
        **N2O, "n_mineralised_t": "n_mineralised_t_n_per_yr"}),
    "land_transition_matrix": TableSpec("crt_land_transition_matrix", NO_FLUX),
    "uncertainty_analysis": TableSpec("uncertainty_analysis", renames={
        **CO2E_ESTIMATES, **DRAWS,
        "a1_ci_low": "a1_ci_low_co2e_t_per_yr", "a1_ci_high": "a1_ci_high_co2e_t_per_yr",
        "mc_ci_low": "mc_ci_low_co2e_t_per_yr", "mc_ci_high": "mc_ci_high_co2e_t_per_yr",
        "type_a_sensitivity": "type_a_sensitivity_pct",
        "type_b_sensitivity": "type_b_sensitivity_ratio",
        "trend_variance_contribution": "trend_variance_contribution_pct_squared"}),
    "key_categories": TableSpec("key_category_analysis", renames={
        **CO2E_ESTIMATES, "assessment_value": "assessment_ratio",
        "threshold": "threshold_share"}, codes=frozenset({"approach"}), described={
        "approach": "approach of the key category analysis (IPCC 2006 Vol.1 Ch.4), a text "
        "code: '1' (Eq. 4.1 level, Eq. 4.2 trend) or '2' (weighted by uncertainty)"}),
    "peatland_offsets": TableSpec(
        "peatland_offsets",
        renames={
            "organic_emissions_co2e": "organic_emissions_co2e_t_per_yr",
            "mineral_sequestration_co2e": "mineral_co2e_t_per_yr",
            "net_co2e": "net_co2e_t_per_yr",
            "required_additional_sequestration_co2e":
                "required_additional_sequestration_co2e_t_per_yr",
            "avoided_co2e_if_rewetted": "avoided_co2e_if_rewetted_t_per_yr",
            "organic_ci_low_co2e": "organic_ci_low_co2e_t_per_yr",
            "organic_ci_high_co2e": "organic_ci_high_co2e_t_per_yr",
            "net_ci_low_co2e": "net_ci_low_co2e_t_per_yr",
            "net_ci_high_co2e": "net_ci_high_co2e_t_per_yr",
        },
        negate=frozenset({"mineral_sequestration_co2e"}),
        described={
            "mineral_co2e_t_per_yr": "mineral-soil net CO2 flux, sum of dCO2_t_per_yr of "
            "stock_changes, + = emission, - = net removal (the model's "
            "mineral_sequestration_co2e with the opposite sign); 0 when there is no change",
            "offset_ratio": "share of the organic-soil emissions offset by mineral-soil "
            "removals, -mineral_co2e / organic_emissions; NULL unless emissions > 0",
            "net_co2e_t_per_yr": "organic_emissions + mineral_co2e, + = net source",
            "required_additional_sequestration_co2e_t_per_yr": "removals still needed to "
            "offset the net source, max(net_co2e, 0); an amount >= 0, not a flux",
            "avoided_co2e_if_rewetted_t_per_yr": "emissions avoided by the rewetting "
            "scenario, sum avoided_co2e of rewetting_scenario; an amount >= 0 (0 without "
            "drained area; NULL when a drained stratum has no rewetted factor)",
        },
    ),  # fmt: skip
    "unfccc_tables": TableSpec("unfccc_tables", renames={
        "organic_ch4_t": "organic_ch4_t_per_yr", "organic_n2o_t": "organic_n2o_t_per_yr",
        "co2_t": "co2_t_per_yr", "mineral_n2o_t": "mineral_n2o_t_per_yr"},
        extra=(LAND_USE_AREA_SOURCE,)),
    "rewetting_scenario": TableSpec("rewetting_scenario", renames={
        "drained_co2e_per_ha": "drained_co2e_t_per_ha_per_yr",
        "rewetted_co2e_per_ha": "rewetted_co2e_t_per_ha_per_yr",
        "drained_co2e_t": "drained_co2e_t_per_yr", "rewetted_co2e_t": "rewetted_co2e_t_per_yr",
        "avoided_co2e": "avoided_co2e_t_per_yr"}, extra=(STRATUM_AREA_SOURCE,),
        described={"avoided_co2e_t_per_yr": "drained_co2e_t - rewetted_co2e_t, emissions "
                   "avoided (+ = less emitted); NULL when the stratum has no rewetted factor, "
                   "e.g. nutrient status not stated"}),
    "grid_statistics": TableSpec(None, NO_FLUX, extra=(
        COUNTRY,
        Column("climate_zone", None, "IPCC climate zone code of the grid cells"),
        Column("soil_class", None, "IPCC mineral soil class code of the grid cells"),
        Column("land_use", None, "land-use code of the grid cells"),
        Column("area_ha", "ha", "area of all cells of the stratum (cell areas on the GRS80 "
               "authalic sphere, Snyder 1987)"),
        Column("valid_area_ha", "ha", "area of the cells with an SOC value"),
        Column("n_cells", "count", "cells with an SOC value"),
        Column("stock_tc", "t C", "SOC stock 0-30 cm, sum of SOC x cell area"),
        Column("mean_stock_tc_per_ha", "t C/ha", "area-weighted mean SOC stock, 0-30 cm"),
        Column("sd_stock_tc_per_ha", "t C/ha", "area-weighted standard deviation of cell SOC"),
        Column("n_eff", "count", "Kish effective number of cells, V1^2 / V2"),
        Column("se_stock_tc_per_ha", "t C/ha", "standard error of the mean (spatial spread "
               "only: cells are not independent samples)"),
        Column("source", None, "grid file the statistics come from"),
    )),
}  # fmt: skip

# One sentence per published table for readers of the portal's Results page and the data
# dictionary (the columns, units and methods are described field by field).
TABLE_SUMMARIES: dict[str, str] = {
    "soc_stocks": "Mineral-soil organic carbon stock (0-30 cm) of each stratum and year, with "
    "the reference stock and the area it applies to.",
    "stock_changes": "Annual carbon stock change of mineral soils per land-use category, with "
    "its 95 % interval.",
    "organic_soil_emissions": "CO2, CH4 and N2O from drained and rewetted organic soils "
    "(peatlands) per land use and year.",
    "unfccc_tables": "The rows of the UNFCCC common reporting tables (CRT) for soils: areas, "
    "carbon stock changes and emissions by category code.",
    "fourp1000_indicators": "The '4 per 1000' indicator: the yearly growth rate of the soil "
    "carbon stock, in per mille, against the 4 per mille aspiration.",
    "peatland_offsets": "Organic-soil (peatland) emissions set against the mineral-soil carbon "
    "gain, in CO2 equivalents, with intervals.",
    "stock_change_totals": "National totals of the carbon stock change per year (mineral and "
    "organic soils), with 95 % intervals.",
    "stock_change_subcategories": "Stock changes of land remaining in a category and of land "
    "converted to it, per year, with 95 % intervals.",
    "stratum_factors": "The reference stock and the land-use, management and input factors "
    "applied to each stratum, with their IPCC source.",
    "tier2_diagnostics": "How the country's own reference stocks (Tier 2) were estimated from "
    "its soil profiles: means, sample sizes and intervals.",
    "rewetting_scenario": "Emissions avoided if a share of each drained organic-soil area were "
    "rewetted.",
    "grid_statistics": "Summary statistics of the submitted soil carbon map per zone.",
    "inventory_stocks": "The national mineral-soil carbon stock each year that the reported "
    "stock changes imply.",
    "soc_loss_n2o": "Nitrous oxide from nitrogen released when mineral soils lose carbon.",
    "agriculture_n2o": "The soil N2O of this inventory that is reported under Agriculture "
    "(category 3.D).",
    "land_transition_matrix": "CRT Table 4.1: the land-use transition matrix (areas in kha).",
    "uncertainty_analysis": "Uncertainty of each category and of the totals, by error "
    "propagation and by Monte Carlo, side by side.",
    "key_categories": "Key category analysis by level and by trend (the categories that "
    "matter most for the national total).",
    "soil_areas": "Activity data of the soils: total, mineral and organic area per land "
    "category and year.",
}


def table_summary(table: str) -> str:
    """The one-sentence description of a published table (empty when none is written)."""
    return TABLE_SUMMARIES.get(table, "")


# Column names carry their unit: unit [header] -> pattern the lower-case name must match.
UNIT_PATTERNS: dict[str, str] = {
    "ha": r".*_ha",
    "kha": r".*_kha",
    "t C": r".*_tc",
    "t C/ha": r".*_tc_per_ha",
    "t C/yr": r".*_tc_per_yr",
    "t CO2/yr": r".*co2.*_t_per_yr",
    "t CH4/yr": r".*ch4.*_t_per_yr",
    "t N2O/yr": r".*n2o.*_t_per_yr",
    "t CO2e/yr": r".*co2e.*_t_per_yr",
    "t CO2e/ha/yr": r".*co2e.*_t_per_ha_per_yr",
    "t gas/yr": r".*_t_per_yr",
    "t gas/ha/yr": r".*_t_per_ha_per_yr",
    "t N/yr": r".*_t_n_per_yr",
    "t C/t N": r"cn_ratio",
    "t C/ha | 1": r".*_tc_per_ha_or_ratio",
    "per mille/yr": r".*_permille_per_yr",
    "%": r".*_pct",
    "%^2": r".*_pct_squared",
    "count": r"n_.*|.*_count|.*_df|rank",  # df: degrees of freedom; rank: 1 = largest
    "1": r"f_.*|frac_.*|.*_ratio|.*_fraction|.*share",
    "yr": r"year|.*_year|.*_years",
}


def name_carries_unit(name: str, unit: str) -> bool:
    """Whether a column name carries its unit as :data:`UNIT_PATTERNS` asks."""
    pattern = UNIT_PATTERNS.get(unit)
    return pattern is not None and re.fullmatch(pattern, name.lower()) is not None


@dataclass(frozen=True)
class PublishedColumn:
    """One column of a published table, as the data dictionary lists it."""

    name: str
    unit: str | None
    description: str
    model_column: str | None  # name in the SQL model (schema v1 name), None if added here
    negated: bool = False
    code: bool = False  # an integer code published as text (schema v1: an integer)


def spec_of(table: str) -> TableSpec:
    """The table's entry of :data:`PUBLISHED`, or the default: its model of the same name."""
    return PUBLISHED.get(table) or TableSpec(table)


@cache
def _headers() -> dict[str, ModelHeader]:
    return model_headers()


def columns_of(table: str) -> tuple[PublishedColumn, ...]:
    """The published columns of ``table`` in file order: model columns, extras, release_id.

    Raises
    ------
    PublishedSchemaError
        When the table has no model of that name and no entry in :data:`PUBLISHED`.
    """
    spec = spec_of(table)
    if spec.model is not None and spec.model not in _headers():
        raise PublishedSchemaError(
            f"published table {table!r} has no SQL model {spec.model!r}: add it to "
            "inventory.engine.reporting_tables.published_schema.PUBLISHED with its model or "
            "its columns"
        )
    model = _headers()[spec.model].columns if spec.model else ()
    out = [_published_column(spec, c) for c in model if c.name not in spec.drop] + [
        PublishedColumn(c.name, c.unit, c.description, None) for c in spec.extra
    ]
    if "country" not in {c.name for c in out}:
        out.insert(0, PublishedColumn(COUNTRY.name, None, COUNTRY.description, None))
    out.append(PublishedColumn(RELEASE.name, None, RELEASE.description, None))
    return tuple(out)


_PLACEHOLDER = re.compile(r"\$([a-z_]+)")


def readable(description: str) -> str:
    """A model header's description for readers: a SQL parameter (``$gwp_set``) becomes "the
    run parameter gwp_set" (its value is in the run manifest's ``parameters``)."""
    return _PLACEHOLDER.sub(r"the run parameter \1", description)


def _published_column(spec: TableSpec, column: Column) -> PublishedColumn:
    name = spec.renames.get(column.name, column.name)
    return PublishedColumn(name, column.unit,
                           readable(spec.described.get(name, column.description)),
                           column.name, column.name in spec.negate,
                           column.name in spec.codes)  # fmt: skip


def published_table(table: str, frame: pd.DataFrame, *, release_id: str,
                    run_id: str) -> pa.Table:  # fmt: skip
    """A computed table as published: renamed, signs aligned, described, with its release id.

    Parameters
    ----------
    table : str
        Published table name.
    frame : pandas.DataFrame
        The table as computed (model column names; ``country`` included).
    release_id, run_id : str
        The release the run will be published as, and the run.

    Returns
    -------
    pyarrow.Table
        Columns in dictionary order; field metadata ``description``, ``unit`` and, for a
        renamed column, ``v1_name`` (and ``v1_sign`` = -1 when negated); schema metadata
        ``soilc.table``, ``soilc.schema_version``, ``soilc.release_id``, ``soilc.run_id``,
        ``soilc.sign_convention``.

    Raises
    ------
    PublishedSchemaError
        A column of ``frame`` is not in the dictionary, or a dictionary column is missing.
    """
    spec, columns = spec_of(table), columns_of(table)
    _check_columns(table, frame, spec, columns)
    out = _with_published_values(spec, frame, columns)
    out[RELEASE.name] = release_id
    arrow = pa.Table.from_pandas(out, preserve_index=False)
    fields = [f.with_metadata(_field_metadata(c)) for f, c in zip(arrow.schema, columns,
                                                                  strict=True)]  # fmt: skip
    metadata = {**(arrow.schema.metadata or {}), **_table_metadata(table, spec, release_id,
                                                                   run_id)}  # fmt: skip
    return pa.Table.from_arrays(arrow.columns, schema=pa.schema(fields, metadata=metadata))


def _with_published_values(spec: TableSpec, frame: pd.DataFrame,
                           columns: tuple[PublishedColumn, ...]) -> pd.DataFrame:  # fmt: skip
    """The published columns' values: negated where the sign flips, codes as text."""
    out = {}
    for c in columns:
        if c.name == RELEASE.name:
            continue
        values = frame[c.model_column or c.name]
        if c.negated:
            values = -values
        elif c.code:
            values = values.astype("Int64").astype("string")
        out[c.name] = values
    return pd.DataFrame(out)


def _check_columns(table: str, frame: pd.DataFrame, spec: TableSpec,
                   columns: tuple[PublishedColumn, ...]) -> None:  # fmt: skip
    expected = {c.model_column or c.name for c in columns} - {RELEASE.name}
    unknown = [c for c in frame.columns if c not in expected and c not in spec.drop]
    missing = sorted(expected - set(frame.columns))
    if unknown or missing:
        raise PublishedSchemaError(
            f"published table {table!r}: columns without a description {unknown}, described "
            f"but not computed {missing}; describe them in the model header or in "
            f"inventory.engine.reporting_tables.published_schema.PUBLISHED"
        )


def _field_metadata(column: PublishedColumn) -> dict[str, str]:
    meta = {"description": column.description, "unit": column.unit or ""}
    if column.model_column and column.model_column != column.name:
        meta["v1_name"] = column.model_column
    if column.negated:
        meta["v1_sign"] = "-1"
    if column.code:
        meta["v1_type"] = V1_CODE_TYPE
    return meta


def _table_metadata(table: str, spec: TableSpec, release_id: str, run_id: str) -> dict:
    return {f"{KEY_PREFIX}{k}": v for k, v in {
        "table": table, "schema_version": str(SCHEMA_VERSION), "release_id": release_id,
        "run_id": run_id, "sign_convention": spec.sign}.items()}  # fmt: skip


PROVENANCE_KEY = b"soilc:provenance"


def published_tables(
    tables: Mapping[str, pd.DataFrame], *, release_id: str, run_id: str,
    provenance: Mapping[str, Any] | None = None,
) -> dict[str, pa.Table]:  # fmt: skip
    """:func:`published_table` for every table of a run; ``provenance`` (per country: the
    submission used, its sequence number, who approved it) goes into each file's schema
    metadata under ``soilc:provenance`` (JSON)."""
    out = {name: published_table(name, frame, release_id=release_id, run_id=run_id)
           for name, frame in tables.items()}  # fmt: skip
    if provenance is None:
        return out
    text = json.dumps(dict(provenance), sort_keys=True, default=str).encode()
    return {name: table.replace_schema_metadata({**(table.schema.metadata or {}),
                                                 PROVENANCE_KEY: text})
            for name, table in out.items()}  # fmt: skip


def renamed_columns(table: str) -> dict[str, str]:
    """Schema v1 name -> current name of the renamed columns of ``table``."""
    return {c.model_column: c.name for c in columns_of(table)
            if c.model_column and c.model_column != c.name}  # fmt: skip


def to_published_names(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A computed frame with the published column names and signs (no metadata, no release)."""
    spec = spec_of(table)
    out = frame.drop(columns=[c for c in spec.drop if c in frame.columns])
    for column in spec.negate & set(out.columns):
        out[column] = -out[column]
    for column in spec.codes & set(out.columns):
        out[column] = out[column].astype("Int64").astype("string")
    return out.rename(columns=renamed_columns(table))


@dataclass(frozen=True)
class DictionaryTable:
    """One table of the data dictionary."""

    table: str
    model: str | None
    sign: str
    grain: tuple[str, ...]
    columns: tuple[PublishedColumn, ...]


def table_grains(tables: Iterable[str]) -> dict[str, list[str]]:
    """The key (grain) of each published table that declares one: the columns the publish guard
    checks for repeated keys within a country (recorded in the run manifest as ``grain``)."""
    return {t.table: list(t.grain) for t in data_dictionary(tuple(tables)) if t.grain}


def data_dictionary(tables: tuple[str, ...]) -> list[DictionaryTable]:
    """The published tables' columns, units, descriptions, grain and sign convention."""
    out = []
    for table in tables:
        spec = spec_of(table)
        header = _headers().get(spec.model) if spec.model else None
        renames = {**{c: c for c in header.grain}, **spec.renames} if header else {}
        grain = tuple(renames[g] for g in header.grain) if header else ()
        out.append(DictionaryTable(table, spec.model, spec.sign, grain, columns_of(table)))
    return out


def unit_problems(table: str) -> list[str]:
    """Columns of ``table`` lacking a description, or whose name does not carry their unit."""
    problems = []
    for column in columns_of(table):
        if not column.description.strip():
            problems.append(f"{table}.{column.name}: no description")
        if column.unit and not name_carries_unit(column.name, column.unit):
            problems.append(
                f"{table}.{column.name} [{column.unit}]: the name does not carry "
                f"its unit ({UNIT_PATTERNS.get(column.unit, 'unit not listed')})"
            )
    return problems
