"""One inventory run: parameters, per-country computation, run manifest.

:class:`RunParameters` is the one place of a run's options, defaults and choices (the CLI's
``run`` options, the portal's run form and the deployment parameters are built from or checked
against it); the run's preflight is :func:`inventory.engine.plan.plan_run`.
``compute_country`` turns one country's harmonised inputs into the published tables;
``run_manifest`` records what a run used (input hashes, factor-table hashes, parameters, code
version, timings) so every published number can be traced and rerun.
"""

from __future__ import annotations

import hashlib
import json
import platform
import subprocess
import time
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

import pandas as pd
from pydantic import BaseModel, BeforeValidator, Field, ValidationError, model_validator

import inventory
from inventory.core import countries, units
from inventory.core.errors import NotFoundError, ParameterError
from inventory.engine import invariants, sql_models
from inventory.engine.land import approach2, land_use_changes
from inventory.engine.mineral_soils import factors, mineral, nitrogen, soil_areas, tier2
from inventory.engine.mineral_soils import history as land_history
from inventory.engine.options import (
    DEFAULT_MC_DRAWS,
    DEFAULT_SEED,
    DEFAULT_TRANSITION_YEARS,
    EngineOptions,
)
from inventory.engine.organic_soils import organic
from inventory.engine.reporting_tables import indicators, national_reporting, propagation
from inventory.engine.uncertainty.draw_matrix import DrawMatrix
from inventory.harmonise.store import (
    PinnedVersion,
    pin_harmonised,
)
from inventory.intake.time_series import time_series_config
from inventory.lake.zones import Lake, sha256_file, utc_now
from inventory.validation.time_series import series_rows

# Every harmonised dataset a run may read (auxiliary_series: by history = surrogate), named with
# its sha256 in the run manifest and in the task cache key.
HARMONISED_INPUTS = ("land_areas", "land_units", "organic_soils", "factors", "profiles",
                     "grid_zonal", "land_use_changes", "national_totals",
                     "auxiliary_series")  # fmt: skip
# The method choices a run's numbers depend on beyond its inputs, factor tables and parameters,
# recorded in the run manifest (``methods``) so the recalculation report can name a method
# change as the cause of a recalculation (inventory/reporting/recalculations.py).
METHODS = {
    "history": "land areas before the first record filled by the run parameter history "
    "(IPCC 2006 Vol.1 Ch.5), flagged backcast_<method>",
    "soc_loss_n2o": "Eq. 11.8 netted by tier (note to Eq. 11.8): Tier 1 the national net "
    "mineral-soil change, Tier 2 each land use's; the net loss attributed to the losing "
    "categories pro rata",
    "mineral_area": "Eq. 2.25 on the mineral-soil area: the organic_soils area of each (year, "
    "climate zone, land use) taken out of its land_areas strata pro rata (IPCC 2006 Vol.4 Ch.2 "
    "Sec. 2.3.3.1 mineral / 2.3.3.2 organic soils; Approach 2/3: whole land, flagged in "
    "soil_areas.organic_area_rule)",
}
ORGANIC_KEYS = ("country", "climate_zone", "land_use", "drainage", "nutrient_status",
                "drainage_depth")  # fmt: skip


@dataclass(frozen=True)
class Ask:
    """How a :class:`RunParameters` field is asked for outside Python (``Annotated`` metadata).

    ``flag``: the CLI option (default ``--field-name``); two fields sharing one flag are a
    ``FIRST-LAST`` range (``--years``). ``metavar``: the CLI's name of the value. ``words``:
    words accepted for a number (``{"auto": 0}``).
    """

    flag: str | None = None
    metavar: str | None = None
    words: tuple[tuple[str, int], ...] = ()


def _iso3_list(codes: object) -> object:
    """Country codes upper-cased, checked against ISO 3166-1 and de-duplicated (first kept)."""
    if isinstance(codes, str):
        codes = [codes]
    if not isinstance(codes, (list, tuple)):
        return codes  # pydantic reports the wrong type
    return list(dict.fromkeys(countries.require_code(c) for c in codes))


Countries = Annotated[list[str], BeforeValidator(_iso3_list)]


class RunParameters(BaseModel):
    """Parameters of an inventory run (validated before any work starts).

    The one place of the run's options, their defaults and choices: the CLI's ``run`` options
    (``soc-inventory run --help``), the portal's run form and the ``inventory-run`` deployment
    (``prefect.yaml``, checked by a test) are built from these fields. Country codes are
    upper-cased, checked (ISO 3166-1 alpha-3) and de-duplicated.
    """

    countries: Annotated[Countries, Ask("--country", "ISO3")] = Field(
        default_factory=list, title="Countries",
        description="countries to compute; none: every country with an accepted submission",
    )  # fmt: skip
    first_year: Annotated[int | None, Ask("--years", "FIRST-LAST")] = Field(
        None, ge=1900, le=2100, title="First year (empty: as submitted)",
        description="reported years, e.g. 1990-2024; none: as submitted",
    )  # fmt: skip
    last_year: Annotated[int | None, Ask("--years", "FIRST-LAST")] = Field(
        None, ge=1900, le=2100, title="Last year (empty: as submitted)",
        description="last reported year; none: as submitted",
    )  # fmt: skip
    tier: Literal[1, 2] = Field(
        2, title="Tier",
        description="1: IPCC default factors only; 2: also country-specific factors",
    )  # fmt: skip
    approach: Literal[1, 2, 3] | None = Field(
        None, title="Approach (empty: as submitted)",
        description="1: areas by stratum and year; 2: land-use change matrices or land units; "
        "3: land units with histories; none: as the submission declares",
    )  # fmt: skip
    edition: factors.Edition = Field(
        factors.DEFAULT_EDITION, title="IPCC factor edition",
        description="IPCC factor tables: 2019 Refinement or 2006 Guidelines",
    )  # fmt: skip
    gwp_set: Annotated[organic.GwpSet, Ask("--gwp")] = Field(
        organic.DEFAULT_GWP_SET, title="GWP set (CO2-equivalents)",
        description="GWP100 set for CO2-equivalents",
    )  # fmt: skip
    transition_years: int = Field(
        DEFAULT_TRANSITION_YEARS, ge=1, le=100, title="Transition years (D)",
        description="D, years over which a change of land use or management moves the stock",
    )  # fmt: skip
    mc_draws: int = Field(
        DEFAULT_MC_DRAWS, ge=0, le=100_000, title="Monte Carlo draws",
        description="Monte Carlo draws for the uncertainty (0: none)",
    )  # fmt: skip
    seed: int = Field(
        DEFAULT_SEED,
        title="Seed",
        description="seed of the Monte Carlo draws (same seed, same intervals)",
    )
    min_profiles: int = Field(
        tier2.DEFAULT_MIN_PROFILES, ge=2, title="Tier 2 profiles per stratum",
        description="Tier 2: profiles needed for a stratum mean",
    )  # fmt: skip
    min_coverage: float = Field(
        tier2.DEFAULT_MIN_COVERAGE, gt=0, le=1, title="Tier 2 depth coverage",
        description="Tier 2: covered share of 0-30 cm a profile needs",
    )  # fmt: skip
    target_permille: float = Field(
        indicators.TARGET_PERMILLE, title="4 per 1000 target",
        description="4 per 1000 aspiration, per mille per year",
    )  # fmt: skip
    base_year: int | None = Field(
        None, ge=1900, le=2100, title="4p1000 base year",
        description="4p1000 base year; none: the first reported year",
    )  # fmt: skip
    native_land_use: indicators.NativeLandUse = Field(
        indicators.NATIVE_LAND_USE, title="Native land category",
        description="CRT land category reporting land coded native",
    )  # fmt: skip
    history: land_history.History = Field(
        land_history.DEFAULT_HISTORY, title="History before the first record",
        description="land areas of the years before the first record when they start fewer "
        "than D years before the first reported year (IPCC 2006 Vol.1 Ch.5): trend (back-cast "
        "the first recorded years' trend), hold (the first state), surrogate (the submission's "
        "land_areas surrogate series)",
    )  # fmt: skip
    ef1_option: nitrogen.Ef1Option = Field(
        nitrogen.DEFAULT_EF1_OPTION, title="EF1 of F_SOM N2O",
        description="EF1 for N2O from soil carbon loss (IPCC 2019 Vol.4 Ch.11 Table 11.1): "
        "aggregated (0.010) or disaggregated (wet / dry climate)",
    )  # fmt: skip
    rewet_share: float = Field(
        0.25, ge=0.0, le=1.0, title="Rewetted share",
        description="rewetting scenario: share of the drained organic area rewetted",
    )  # fmt: skip
    partitions: Annotated[int, Ask(metavar="N|auto", words=(("auto", 0),))] = Field(
        1, ge=0, title="Land-unit partitions",
        description="Approach 2/3: land units in N partitions (on the Dask cluster with "
        "--dask; auto or 0: one per $SOILC_PARTITION_UNITS units; 1: one pass)",
    )  # fmt: skip
    withdraw: Annotated[Countries, Ask(metavar="ISO3")] = Field(
        default_factory=list, title="Withdraw",
        description="countries whose rows may disappear from the release (withdrawn data, "
        "fewer strata or years); refused otherwise",
    )  # fmt: skip

    @model_validator(mode="after")
    def _ordered_years(self) -> RunParameters:
        if self.first_year and self.last_year and self.first_year > self.last_year:
            raise ValueError(f"years {self.first_year}-{self.last_year}: the first year is "
                             "after the last (write FIRST-LAST, e.g. 1990-2024)")  # fmt: skip
        return self

    @classmethod
    def checked(cls, **values: Any) -> RunParameters:
        """The parameters from user values; :class:`ParameterError` (a user error) when one
        does not validate."""
        try:
            return cls(**values)
        except ValidationError as err:
            raise ParameterError.from_validation(err) from None

    def engine_options(self, years: tuple[int | None, int | None]) -> EngineOptions:
        """The engines' options for one country's reported ``years``."""
        return EngineOptions(
            transition_years=self.transition_years, first_year=years[0], last_year=years[1],
            mc_draws=self.mc_draws, seed=self.seed,
        )  # fmt: skip


def parameter_default(name: str) -> Any:
    """The default of the :class:`RunParameters` field ``name`` (flows and the CLI take it)."""
    return RunParameters.model_fields[name].get_default(call_default_factory=True)


def parameter_choices(name: str) -> tuple[Any, ...]:
    """The choices of a ``Literal`` field of :class:`RunParameters` (``()`` for other fields)."""
    annotation = RunParameters.model_fields[name].annotation
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    literals = [a for a in get_args(annotation) if get_origin(a) is Literal]  # Literal | None
    return get_args(literals[0]) if literals else ()


def parameter_ask(name: str) -> Ask:
    """How the field ``name`` is asked for (its :class:`Ask` metadata, else the default)."""
    found = [m for m in RunParameters.model_fields[name].metadata if isinstance(m, Ask)]
    return found[0] if found else Ask()


class MissingInputError(NotFoundError):
    """The approach a run computes needs a harmonised dataset the submission does not have."""


def declared_years(record: dict) -> tuple[int, int] | None:
    """The first and last year a country's accepted submission declares (None: none)."""
    years = record.get("manifest", {}).get("years")
    return (int(years[0]), int(years[-1])) if years else None


def country_years(params: RunParameters, record: dict) -> tuple[int | None, int | None]:
    """The years a run reports for one country: those asked for, else the submission's."""
    declared = declared_years(record) or (None, None)
    return (params.first_year or declared[0], params.last_year or declared[1])


@dataclass
class CountryResult:
    country: str
    tables: dict[str, pd.DataFrame]
    inputs: dict[str, str] = field(default_factory=dict)  # dataset -> path in its version
    timings: dict[str, float] = field(default_factory=dict)
    submission_id: str | None = None  # the accepted submission the inputs came from
    checks: list[dict] = field(default_factory=list)  # invariants.CheckResult.to_json()
    harmonised_version: str | None = None  # the harmonised version every input was read from
    input_sha256: dict[str, str] = field(default_factory=dict)  # dataset -> sha256 as read
    provenance: dict[str, Any] = field(default_factory=dict)  # submission, sequence, approval


PROVENANCE_FIELDS = ("submission_id", "sequence", "approved_by", "approved_at", "accepts_drop")


def input_provenance(record: dict) -> dict[str, Any]:
    """What a country's computation used, from its harmonised record: the submission, its
    sequence number, who approved it and when, and whether it is a synthetic example."""
    out = {name: record.get(name) for name in PROVENANCE_FIELDS}
    out["synthetic"] = bool((record.get("manifest") or {}).get("synthetic", False))
    return out


def compute_country(lake: Lake, country: str, params: RunParameters) -> CountryResult:
    """All published tables of one country from its harmonised inputs.

    The country's harmonised version is pinned once, at the start
    (:func:`inventory.harmonise.store.pin_harmonised`), and every dataset is read from it: a
    submission filed meanwhile is not mixed in (it is the input of the next run). The result
    names that version, its submission and the sha256 of every input.
    """
    with pin_harmonised(lake, country) as inputs:
        result = _compute_pinned(inputs, params)
        result.inputs = {d: str(inputs.path(d)) for d in HARMONISED_INPUTS if inputs.has(d)}
        result.input_sha256 = {d: inputs.sha256(d) for d in result.inputs}
    return result


def _compute_pinned(inputs: PinnedVersion, params: RunParameters) -> CountryResult:
    """:func:`compute_country` on one pinned harmonised version."""
    started = time.perf_counter()
    country, record = inputs.country, inputs.record  # the years were checked by the run's plan
    first, last = country_years(params, record)
    table, derived = _factor_table(inputs, params)
    con = sql_models.connect()
    result, land = _mineral(inputs, params, record, table, (first, last), con)
    timings = {"mineral_s": time.perf_counter() - started}
    tables: dict[str, pd.DataFrame] = {
        "soc_stocks": result.soc_stocks, "stock_changes": result.stock_changes,
        "stratum_factors": result.stratum_factors.drop(columns="factor_id", errors="ignore"),
        "soil_areas": _soil_areas(con, inputs, land[0], result.soc_stocks),
    }  # fmt: skip
    if result.stock_change_totals is not None:
        tables["stock_change_totals"] = history_columns(
            result.stock_change_totals, land[1], params, first
        )
    if result.stock_change_subcategories is not None:
        tables["stock_change_subcategories"] = result.stock_change_subcategories
    if result.inventory_stocks is not None:
        tables["inventory_stocks"] = result.inventory_stocks
    if derived is not None:
        tables["tier2_diagnostics"] = derived.diagnostics.assign(country=country)
    grid = inputs.read("grid_zonal")
    if grid is not None:  # reported beside the inventory; its SOC_REF candidates are not used
        tables["grid_statistics"] = grid.drop(columns="submission_id")
    organic_soils = _organic_soils(inputs, (first, last))
    mineral_draws, result.category_draws = result.category_draws, None
    organic_tables, draws = _organic_and_indicators(con, organic_soils, tables, params,
                                                    mineral_draws)  # fmt: skip
    del mineral_draws
    tables.update(organic_tables)
    reporting_started = time.perf_counter()
    tables = national_reporting.reporting_tables(  # Table 4.1, uncertainty, KCA, area_source
        con, inputs, tables, dataset=land[0], years=(first, last),
        transition_years=params.transition_years, seed=params.seed,
        organic_draws=draws.pop("organic"), mineral_draws=draws.pop("mineral_co2"),
    )  # fmt: skip
    timings["national_reporting_s"] = time.perf_counter() - reporting_started
    checks = _invariants(con, tables, land, organic_soils, params)
    timings["total_s"] = time.perf_counter() - started
    return CountryResult(
        country, tables, {}, timings, inputs.submission_id, checks=checks,
        harmonised_version=inputs.version, provenance=input_provenance(record),
    )  # fmt: skip


def _invariants(con, tables: dict[str, pd.DataFrame], land: tuple, organic_soils: pd.DataFrame,
                params: RunParameters) -> list[dict]:  # fmt: skip
    """Every invariant check on this run's tables and the engine's (``con``), for the run
    manifest. The land-unit histories stand in empty, with the reason, when the run has none:
    its land representation is not land units, or each partition checked its own units."""
    available = {land[0]: land[1], "organic_soils": organic_soils, **tables,
                 "organic_ef": organic.organic_ef_table()}  # fmt: skip
    available["stock_changes"] = tables["stock_changes"].drop(columns="draw", errors="ignore")
    reason = None
    if land[0] != "land_units":
        reason = f"no land units in this run (land representation: {land[0]})"
    elif params.partitions != 1:
        reason = "partitioned run: each partition checked its own units (approach2.py)"
    histories = ("approach2_episodes", "approach2_unit_summary")
    stand_ins = dict.fromkeys(histories, reason) if reason else {}
    bound = params.model_dump(exclude={"countries", "withdraw"})
    results = invariants.run_invariants(available, bound, engine=con, stand_ins=stand_ins)
    return [r.to_json() for r in results]


def _factor_table(inputs: PinnedVersion, params: RunParameters):
    """Candidate factors: IPCC defaults, plus (Tier 2) submitted and profile-derived ones."""
    if params.tier == 1:
        return factors.factor_table(params.edition), None
    submitted = inputs.read("factors")
    intervals = inputs.read("profiles")
    derived = None
    if intervals is not None:
        derived = tier2.derive_factors(
            intervals, min_profiles=params.min_profiles, min_coverage=params.min_coverage
        )
    table = factors.factor_table(
        params.edition, submitted=submitted, derived=derived.factors if derived else None
    )
    return table, derived


def _land_dataset(inputs: PinnedVersion, params: RunParameters, record: dict) -> str:
    """land_areas (Approach 1), land_units or land_use_changes (Approach 2/3)."""
    approach = params.approach or int(record.get("manifest", {}).get("approach") or 1)
    return national_reporting.land_dataset(inputs, approach)


def _mineral(inputs: PinnedVersion, params, record, table, years, con):
    """Approach 1 on stratum areas, or Approach 2/3 on land units or change matrices; returns
    the inventory and (dataset name, the areas it was computed from)."""
    approach = params.approach or int(record.get("manifest", {}).get("approach") or 1)
    country = inputs.country
    dataset = _land_dataset(inputs, params, record)
    if dataset == "land_units" and params.partitions != 1:  # inputs stay in the partitions
        return _partitioned(inputs, params, table, years, con), (dataset, None)
    frame = inputs.read(dataset)
    if frame is None:
        raise MissingInputError(
            f"{country}: Approach {approach} needs harmonised {dataset}; the accepted "
            "submission has none", "submit it, or run with the other approach (--approach)",
        )  # fmt: skip
    if dataset == "land_areas":
        frame = computed_land_areas(inputs, params, frame, years[0], con)
    options = params.engine_options(years)
    if dataset == "land_units":  # encoded at harmonisation (absent in older versions)
        strata = inputs.read("land_unit_strata")
        result = approach2.compute_land_unit_inventory(frame, table, options, con=con,
                                                       strata=strata)  # fmt: skip
        return result, (dataset, frame)
    compute = {
        "land_areas": mineral.compute_mineral_inventory,
        "land_use_changes": land_use_changes.compute_matrix_inventory,
    }[dataset]
    return compute(frame, table, options, con=con), (dataset, frame)


def computed_land_areas(inputs: PinnedVersion, params: RunParameters, land_areas: pd.DataFrame,
                        first_year: int | None, con) -> pd.DataFrame:  # fmt: skip
    """The stratum areas Eq. 2.25 runs on: the harmonised ``land_areas`` (whole land) with the
    years before the first record filled by ``params.history`` (:func:`_history`), then the
    organic-soil area of each (year, climate zone, land use) taken out pro rata
    (:func:`soil_areas.mineral_land_areas`; leaves ``mineral_land_areas`` on ``con``).

    The one place of the rule: the inventory run and a scenario's base
    (:func:`inventory.scenarios.base.history_areas`) both call it.
    """
    frame = _history(inputs, params, land_areas, first_year)
    return soil_areas.mineral_land_areas(con, frame, inputs.read("organic_soils"))


def _history(inputs: PinnedVersion, params: RunParameters, land_areas: pd.DataFrame,
             first_year: int | None) -> pd.DataFrame:  # fmt: skip
    """``land_areas`` back-cast to D years before the first reported year (``history.py``)."""
    if first_year is None:
        return land_areas
    series = None
    if params.history == "surrogate":
        method = time_series_config(inputs.record.get("manifest")).method("land_areas")
        named = series_rows(inputs.read("auxiliary_series"), method.series)
        series = named if method.method == "surrogate" else None
    return land_history.backcast(
        land_areas, first_year=first_year, transition_years=params.transition_years,
        method=params.history, series=series,
    )  # fmt: skip


def history_columns(stock_changes: pd.DataFrame, land_areas: pd.DataFrame | None,
                    params: RunParameters, first_year: int | None) -> pd.DataFrame:  # fmt: skip
    """``stock_changes`` / ``stock_change_totals`` with ``n_history_years_filled`` [yr] and
    ``history_fill`` (``backcast_<method>`` or ``none``): how many of the D years before the
    first reported year the submitted areas lacked, and what filled them.

    Land-use change matrices (``from_year`` column) are not back-cast: a matrix records gross
    flows, which a trend of areas does not give, so the ledger has no conversion before the
    first matrix's start year, i.e. its state held (``backcast_hold``, whatever ``history``
    asked for; docs/methods.md)."""
    missing, fill = 0, "none"
    if land_areas is not None and first_year is not None and "from_year" in land_areas:
        start = first_year - params.transition_years
        missing = max(int(land_areas["from_year"].min()) - start, 0)
        fill = land_history.BACKCAST_PREFIX + "hold" if missing else "none"
    elif land_areas is not None and first_year is not None and "area_source" in land_areas:
        sources = land_areas["area_source"].astype("str")
        backcast = sources.str.startswith(land_history.BACKCAST_PREFIX)
        if backcast.any():
            missing = int(land_areas.loc[backcast, "year"].nunique())
            fill = str(land_areas.loc[backcast, "area_source"].iloc[0])
    return stock_changes.assign(n_history_years_filled=missing, history_fill=fill)


def _soil_areas(con, inputs: PinnedVersion, dataset: str,
                soc_stocks: pd.DataFrame) -> pd.DataFrame:  # fmt: skip
    """Land, mineral and organic area per year, climate zone and land use (``soil_areas``):
    on stratum areas as :func:`_mineral` split them; on land units and matrices the whole
    land, flagged (``soil_areas.whole_land_soil_areas``)."""
    reported = set(soc_stocks["year"])
    if dataset == "land_areas":
        frame = con.execute("SELECT * FROM soil_areas ORDER BY ALL").df()
    else:
        organic_soils = inputs.read("organic_soils")
        frame = soil_areas.whole_land_soil_areas(con, soc_stocks, organic_soils)
    return frame[frame["year"].isin(reported)].reset_index(drop=True)


def _partitioned(inputs: PinnedVersion, params, table, years, con) -> mineral.MineralInventory:
    """Approach 2/3 by partitions of the land units, read by each partition from the pinned
    version."""
    from inventory.engine.land import partitioned, unit_layout  # only --partitions runs

    country, path = inputs.country, inputs.path("land_units")
    if not path.exists():
        raise MissingInputError(
            f"{country}: Approach 2/3 needs harmonised land_units; the accepted submission has "
            "none", "submit it, or run with --approach 1",
        )  # fmt: skip
    strata = inputs.path("land_unit_strata")  # absent in versions harmonised before it
    source = unit_layout.LandUnitSource(
        (str(path),), country=country, strata=str(strata) if strata.is_file() else None
    )
    with partitioned.executor_here() as executor:  # the Dask cluster when run on one
        return partitioned.compute_partitioned_inventory(
            source, table, partitions=params.partitions or None, executor=executor,
            options=params.engine_options(years), con=con,
        ).inventory  # fmt: skip


def _organic_soils(inputs: PinnedVersion, years: tuple) -> pd.DataFrame:
    """The country's organic-soil areas in the run's years (an empty table when none)."""
    organic_soils = inputs.read("organic_soils")
    if organic_soils is None:
        organic_soils = pd.DataFrame({c: pd.Series(dtype="str") for c in ORGANIC_KEYS})
        organic_soils = organic_soils.assign(
            year=pd.Series(dtype="int64"), area_ha=pd.Series(dtype="float64")
        )
    first, last = years
    return organic_soils[organic_soils["year"].between(first or -9999, last or 9999)]


def _organic_and_indicators(
    con, organic_soils, tables, params, mineral_draws: DrawMatrix | None
) -> tuple[dict[str, pd.DataFrame], dict[str, DrawMatrix | None]]:
    """Organic-soil emissions, 4p1000 indicators, peatland offsets and UNFCCC rows, and the
    draws the uncertainty analysis reuses: ``organic``, the organic-soil category draws
    (``propagation.organic_category_draw_matrix``), and ``mineral_co2``, the mineral
    categories' dCO2 draws when ``mineral_draws`` (their dC, Approach 1) are given."""
    emissions = organic.organic_soil_emissions(con, organic_soils, gwp_set=params.gwp_set)
    rewetting = indicators.rewetting_scenario(
        con, organic_soils, rewet_share=params.rewet_share, gwp_set=params.gwp_set
    )
    changes = tables["stock_changes"].drop(columns="draw", errors="ignore")
    soc_loss = nitrogen.soc_loss_n2o(
        con, changes, edition=params.edition, gwp_set=params.gwp_set, tier=params.tier,
        ef1_option=params.ef1_option, areas=tables["soc_stocks"],
        native_land_use=params.native_land_use,
    )  # fmt: skip
    # organic factors and areas drawn as often as the mineral soils were (draws 0..N)
    mineral_co2 = national_co2 = None
    if mineral_draws is not None:
        n_draws = mineral_draws.n_draws
        # dCO2 of stock_changes.sql, 0.0 - dC x 44/12, draw by draw
        mineral_co2 = DrawMatrix(
            mineral_draws.keys, 0.0 - mineral_draws.values * units.carbon_to_co2(1.0)
        )
    else:
        (n_draws,) = con.execute("SELECT coalesce(max(draw), 0) FROM stock_change_draws"
                                 ).fetchall()[0]  # fmt: skip
        national_co2 = DrawMatrix.from_long(con.execute(
            "SELECT draw, country, year, sum(dCO2_t_per_yr) AS dCO2_t_per_yr"
            " FROM stock_change_draws GROUP BY ALL ORDER BY ALL").df(),
            ["country", "year"], "dCO2_t_per_yr")  # fmt: skip
    organic_draws = propagation.organic_category_draw_matrix(emissions, n_draws=int(n_draws),
                                                             seed=params.seed)  # fmt: skip
    return {
        "organic_soil_emissions": emissions,
        "fourp1000_indicators": indicators.fourp1000_indicators(
            con, tables["inventory_stocks"], emissions,
            target_permille=params.target_permille, base_year=params.base_year,
            organic_draws=organic_draws, mineral_draws=mineral_draws,
        ),
        "peatland_offsets": indicators.peatland_offsets(
            con, emissions, changes, rewetting=rewetting, organic_draws=organic_draws,
            mineral_draws=mineral_co2 if mineral_co2 is not None else national_co2,
        ),
        "unfccc_tables": indicators.unfccc_tables(
            con, changes, emissions, soc_loss, native_land_use=params.native_land_use
        ),
        "rewetting_scenario": rewetting,
        "soc_loss_n2o": soc_loss,
        "agriculture_n2o": nitrogen.agriculture_n2o(con, emissions, soc_loss),
    }, {"organic": organic_draws, "mineral_co2": mineral_co2}  # fmt: skip


def _hash_package_data() -> dict[str, str]:
    root = resources.files("inventory.data")
    hashes = {}
    for entry in sorted(Path(str(root)).rglob("*.csv")):
        hashes[str(entry.relative_to(Path(str(root))))] = sha256_file(entry)
    return hashes


def _code_version() -> dict[str, str]:
    here = Path(inventory.__file__).resolve().parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(here), "rev-parse", "HEAD"], capture_output=True, text=True,
            timeout=5, check=False,
        ).stdout.strip()  # fmt: skip
    except OSError:
        commit = ""
    return {"package": inventory.__version__, "git_commit": commit or "unknown",
            "python": platform.python_version()}  # fmt: skip


def _code_fingerprint() -> str:
    """sha256 over the package's Python, SQL and data files (changes whenever the method does)."""
    root = Path(inventory.__file__).resolve().parent
    digest = hashlib.sha256(inventory.__version__.encode())
    for path in sorted(p for p in root.rglob("*") if p.suffix in {".py", ".sql", ".csv"}):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def input_fingerprint(lake: Lake, country: str, params: RunParameters) -> str:
    """Key of one country's computation: its harmonised inputs, the parameters and the code.

    Used as the Prefect task cache key, so an unchanged country is not recomputed.
    """
    digest = hashlib.sha256(country.encode())
    digest.update(json.dumps(params.model_dump(exclude={"countries"}), sort_keys=True).encode())
    digest.update(_code_fingerprint().encode())
    with pin_harmonised(lake, country) as inputs:  # one version, never a mix of two
        for dataset in HARMONISED_INPUTS:
            digest.update(f"{dataset}:{inputs.sha256(dataset) if inputs.has(dataset) else '-'}"
                          .encode())  # fmt: skip
    return digest.hexdigest()


def run_manifest(params: RunParameters, results: list[CountryResult]) -> dict:
    """What the run used and how long it took (written as runs/<run_id>/manifest.json)."""
    return {
        "created_at": utc_now().isoformat(),
        "countries": [r.country for r in results],
        "submissions": {r.country: r.submission_id for r in results},
        "harmonised_versions": {r.country: r.harmonised_version for r in results},
        "provenance": {r.country: r.provenance for r in results},
        "parameters": params.model_dump(),
        "inputs": {
            r.country: {
                name: {"path": p, "sha256": r.input_sha256.get(name) or sha256_file(p)}
                for name, p in r.inputs.items()
            }
            for r in results
        },
        "factor_tables_sha256": _hash_package_data(),
        "methods": dict(METHODS),
        "code_version": _code_version(),
        "timings_s": {r.country: r.timings for r in results},
        "checks": {r.country: r.checks for r in results},
    }


def combine(per_country: list[dict[str, pd.DataFrame]]) -> dict[str, pd.DataFrame]:
    """Concatenate the tables of several countries, table by table."""
    names = sorted({name for tables in per_country for name in tables})
    return {
        name: pd.concat([t[name] for t in per_country if name in t], ignore_index=True)
        for name in names
    }


def summarise(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per country, in its last reported year: area, stock, stock change, organic emissions.

    ``tables`` carry the published column names (``published_schema.to_published_names``).
    A release without countries (every one withdrawn) gives an empty summary.
    """
    stocks = tables["soc_stocks"]
    if "country" not in stocks.columns:
        return pd.DataFrame(columns=["country", "year", *SUMMARY_COLUMNS])
    last = stocks.groupby("country")["year"].max().rename("year")

    def at_last(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        if frame.empty:
            return pd.DataFrame(columns=columns, index=last.index, dtype="float64")
        rows = frame.merge(last.reset_index(), on=["country", "year"])
        return rows.groupby("country")[columns].sum()

    inventory = tables.get("inventory_stocks")
    if inventory is not None and not inventory.empty:  # the stock S(y), not the equilibrium
        stocks = inventory[inventory["scope"] == "national"]
    out = pd.concat([
        last,
        at_last(stocks, ["area_ha", "stock_tc"]),
        at_last(tables["stock_changes"], ["dC_tc_per_yr", "dCO2_t_per_yr"]),
        at_last(tables["organic_soil_emissions"], ["co2e_t_per_yr"]).rename(
            columns={"co2e_t_per_yr": "organic_co2e_t"}),
    ], axis=1)  # fmt: skip
    return out.fillna({"organic_co2e_t": 0.0}).reset_index()


# Display units of the summary (published tables keep ha, t C, t CO2).
SUMMARY_COLUMNS = {  # column -> (heading, divisor)
    "area_ha": ("area kha", 1e3),
    "stock_tc": ("SOC stock Mt C", 1e6),
    "dC_tc_per_yr": ("change kt C/yr", 1e3),
    "dCO2_t_per_yr": ("mineral kt CO2/yr", 1e3),
    "organic_co2e_t": ("organic kt CO2e/yr", 1e3),
}


def summary_rows(records: list[dict]) -> list[dict]:
    """The :func:`summarise` records in display units (+ CO2 = emission, as UNFCCC reports)."""
    rows = []
    for record in records:
        row = {"country": record["country"], "year": int(record["year"])}
        for column, (heading, divisor) in SUMMARY_COLUMNS.items():
            row[heading] = float(record[column]) / divisor
        rows.append(row)
    return rows
