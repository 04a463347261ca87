"""Approach 2/3 land-unit inventory over partitions of the land units (one machine or a cluster).

A land unit's stock change depends on its own rows only (IPCC 2006 Vol.4 Ch.2 Eq. 2.25 per
unit), and what the engine keeps of the units is additive: areas by year, category and
(current, past) stratum (``approach2_transitions``), areas by stratum (``land_areas``) and, per
Monte Carlo draw, stock changes by sub-category (``approach2_stock_change_draws``). So the
units can be split into partitions that never split a unit, each computed on its own by DuckDB,
and the partial tables summed by their grain: the sums are the single-machine tables (up to
the order of floating-point additions).

The run (:func:`compute_partitioned_inventory`):

1. :func:`plan_partitions` cuts the units into ranges of ``unit_id`` at Parquet row-group
   statistics (a partition then reads only its own row groups when the files are clustered by
   unit, e.g. one file per spatial tile), or into ``hash(unit_id)`` buckets otherwise;
2. each partition's unit pass (:func:`partition_transitions`: ``approach2_episodes`` to
   ``approach2_transitions``) runs where the executor puts it and its result stays there;
3. the partitions' land areas are summed; factors are resolved, stocks computed and the factor
   draws made **once**, on the client
   (:func:`inventory.engine.uncertainty.montecarlo.factor_draws`), and the
   one draw table is sent to every partition;
4. each partition applies every draw to its own transitions
   (:func:`partition_stock_change_draws`); the per-draw sums are added over the partitions
   (a tree of :func:`combine_partials`) **before** the percentiles are taken, with the same
   SQL models as the single-machine engine.

Executors (:mod:`inventory.engine.land.executors`): ``InProcess`` (default: partitions one after
the other in this process, so the memory needed is one partition's) or ``DaskExecutor`` (a
``distributed.Client``).
"""

from __future__ import annotations

import math
import operator
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import pandas as pd
import pyarrow as pa

from inventory.core import units
from inventory.core.settings import get_settings
from inventory.engine import sql_headers, sql_models
from inventory.engine.land import approach2, unit_layout
from inventory.engine.land.executors import DaskExecutor, Executor, InProcess, executor_here
from inventory.engine.land.unit_layout import LandUnitSource
from inventory.engine.mineral_soils import mineral
from inventory.engine.options import DEFAULT_TRANSITION_YEARS, EngineOptions
from inventory.engine.uncertainty import montecarlo
from inventory.harmonise import land_unit_states

__all__ = [
    "DaskExecutor", "Executor", "InProcess", "Partition", "PartitionedInventory",
    "combine_partials", "compute_partitioned_inventory", "executor_here", "partition_connection",
    "partition_stock_change_draws", "partition_transitions", "plan_partitions",
]  # fmt: skip

PartitionKind = Literal["range", "hash"]
LAND_UNIT_COLUMNS = ("country", "unit_id", "year", "climate_zone", "soil_class", "land_use",
                     "management", "input", "area_ha")  # fmt: skip
# SQL models whose every row is a sum over land units, so that their tables on disjoint sets of
# units add up to the table on all of them (Eq. 2.25 is linear in the units). A percentile, a
# mean or a factor is not such a sum: add a model here only when all its measures are.
ADDITIVE_MODELS = frozenset({
    "approach2_transitions", "approach2_land_areas", "approach2_stock_change_draws",
    "approach2_category_draws", "land_transitions_units",
})  # fmt: skip
# Units of additive columns: a partial table's column with one of these units is summed over
# partitions; the key columns are the model's Grain and its unit-less labels.
ADDITIVE_UNITS = frozenset({"ha", "t C", "t C/yr", "t CO2/yr", "t CO2e/yr", "count"})
DEFAULT_FAN_IN = 8  # partial tables summed per combine task (tree reduction)


@dataclass(frozen=True)
class Partition:
    """One partition: the units with ``lo <= unit_id < hi`` (range; None = unbounded) or with
    ``hash(unit_id) % count == index`` (hash); ``rows_read`` [count] estimates the rows read."""

    source: LandUnitSource | pd.DataFrame = field(repr=False)
    kind: PartitionKind
    index: int
    count: int
    lo: Any = None
    hi: Any = None
    rows_read: int | None = None


@dataclass
class PartitionedInventory:
    """The inventory (as the single-machine engine returns it), the partitions and the wall
    seconds [s] of each partition's unit pass."""

    inventory: mineral.MineralInventory
    partitions: list[Partition]
    seconds: list[float]


def plan_partitions(
    land_units: LandUnitSource | pd.DataFrame,
    *,
    partitions: int | None = None,
    units_per_partition: int | None = None,
    kind: PartitionKind | None = None,
) -> list[Partition]:
    """Split the land units into partitions that never split a unit.

    Parameters
    ----------
    land_units : LandUnitSource or pandas.DataFrame
        The units (one row per unit and year).
    partitions : int, optional
        Number of partitions [count]; None or 0 chooses by size: ceil(units /
        ``units_per_partition``).
    units_per_partition : int, optional
        Target units per partition [count] (default ``$SOILC_PARTITION_UNITS``, 10 M).
    kind : {"range", "hash"}, optional
        Force the kind; by default ranges when the Parquet statistics allow, else hash.

    Returns
    -------
    list of Partition
        Ranges of ``unit_id`` cut at row-group statistics when the files have them and are
        clustered by unit (each range reads little more than its own rows), else hash buckets.
    """
    layout = unit_layout.describe(land_units)
    target = units_per_partition or get_settings().partition_units
    count = partitions or max(1, math.ceil(layout.units / target))
    ranges = unit_layout.ranges(layout, count) if count > 1 and kind != "hash" else None
    if kind == "range" and ranges is None and count > 1:
        raise ValueError("range partitions need Parquet files with unit_id statistics")
    if ranges is not None:
        return [
            Partition(land_units, "range", k, len(ranges), lo, hi, rows)
            for k, (lo, hi, rows) in enumerate(ranges)
        ]
    return [Partition(land_units, "hash", k, count, rows_read=layout.rows) for k in range(count)]


def partition_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the worker's limits (``$SOILC_ENGINE_*``; spills past them)."""
    settings = get_settings()
    con = sql_models.connect(threads=settings.engine_threads)
    con.execute("SET preserve_insertion_order = false")  # row order is never used here
    if settings.engine_memory:
        con.execute(f"SET memory_limit = '{settings.engine_memory}'")  # validated format
    if settings.engine_temp_dir:
        quoted = str(settings.engine_temp_dir).replace("'", "''")
        con.execute(f"SET temp_directory = '{quoted}'")
    return con


def _relation(con: duckdb.DuckDBPyConnection, partition: Partition) -> duckdb.DuckDBPyRelation:
    """The partition's rows with the land-unit columns (``country`` added when absent): the
    encoded columns (``state_id`` instead of the stratum keys) when the source has its
    dimension table."""
    from duckdb import ColumnExpression, ConstantExpression, FunctionExpression

    source = partition.source
    if isinstance(source, pd.DataFrame):
        rel, country = con.from_df(source), None
    else:
        unit_layout.register_filesystems(con, source.paths)
        rel, country = con.read_parquet(list(source.paths)), source.country
    unit = ColumnExpression("unit_id")
    if partition.kind == "hash":
        bucket = FunctionExpression("hash", unit) % ConstantExpression(partition.count)
        rel = rel.filter(bucket == ConstantExpression(partition.index))
    if partition.kind == "range" and partition.lo is not None:
        rel = rel.filter(unit >= ConstantExpression(partition.lo))
    if partition.kind == "range" and partition.hi is not None:  # NULL ids: the first range
        below = unit < ConstantExpression(partition.hi)
        rel = rel.filter(below | unit.isnull() if partition.lo is None else below)
    encoded = _strata_path(source) is not None
    names = land_unit_states.ENCODED_UNIT_COLUMNS if encoded else LAND_UNIT_COLUMNS
    columns = [
        ConstantExpression(country).alias(c) if c == "country" and country else ColumnExpression(c)
        for c in names
    ]
    return rel.select(*columns)


def _strata_path(source: LandUnitSource | pd.DataFrame) -> str | None:
    return source.strata if isinstance(source, LandUnitSource) else None


def _strata(con: duckdb.DuckDBPyConnection, source: LandUnitSource) -> duckdb.DuckDBPyRelation:
    """The source's stratum dimension table (``country`` added when absent)."""
    from duckdb import ColumnExpression, ConstantExpression

    rel = con.read_parquet(str(source.strata))
    columns = [
        ConstantExpression(source.country).alias(c)
        if c == "country" and source.country else ColumnExpression(c)
        for c in land_unit_states.STRATA_COLUMNS
    ]  # fmt: skip
    return rel.select(*columns)


def _arrow(con: duckdb.DuckDBPyConnection, table: str) -> pa.Table:
    return con.table(table).to_arrow_table()


def partition_transitions(
    partition: Partition, *, transition_years: int = DEFAULT_TRANSITION_YEARS
) -> dict[str, Any]:
    """The unit pass of one partition: ``approach2_transitions``, ``land_areas`` [ha] and the
    CRT Table 4.1 cells ``land_transitions`` [ha] (all sums over the partition's units).

    Returns
    -------
    dict
        ``approach2_transitions``, ``land_areas`` and ``land_transitions`` (Arrow tables, the
        columns of the SQL models ``approach2_transitions``, ``approach2_land_areas`` and
        ``land_transitions_units``) and ``seconds`` [s] (wall time of the pass).

    Raises
    ------
    LandUnitHistoryError
        Naming the partition's units whose years are not one row per year.
    """
    started = time.perf_counter()
    con = partition_connection()
    try:
        source = partition.source
        encoded = isinstance(source, LandUnitSource) and source.strata is not None
        strata = _strata(con, source) if isinstance(source, LandUnitSource) and encoded else None
        approach2.register_land_units(con, _relation(con, partition), strata)
        approach2.land_unit_transitions(con, transition_years=transition_years)
        sql_models.run_model(con, "land_transitions_units", into="land_transitions")
        return {
            "approach2_transitions": _arrow(con, "approach2_transitions"),
            "land_areas": _arrow(con, "land_areas"),
            "land_transitions": _arrow(con, "land_transitions"),  # CRT Table 4.1 cells
            "seconds": time.perf_counter() - started,
        }
    finally:
        con.close()


def partition_stock_change_draws(
    transitions: dict[str, Any],
    stratum_factors: pd.DataFrame,
    factor_draws: pd.DataFrame,
    params: dict[str, Any],
    stratum_area_draws: pa.Table | None = None,
) -> pa.Table:
    """Every Monte Carlo draw applied to one partition's transitions [t C yr-1 per draw].

    ``factor_draws`` and ``stratum_area_draws`` are the run's one draw tables (the same for
    every partition; :func:`inventory.engine.land.approach2.area_draw_tables`, none: every area
    exact); ``params`` binds ``approach2_stock_change_draws`` ($transition_years, $c_to_co2,
    $first_year, $last_year). Returns that model's rows (sub-category x year x draw) for this
    partition.
    """
    con = partition_connection()
    try:
        areas = approach2.area_draw_tables(n_draws=0, seed=0)
        if stratum_area_draws is not None:
            areas["stratum_area_draws"] = stratum_area_draws
        sql_models.register(con, {
            "approach2_transitions": transitions["approach2_transitions"],
            "stratum_factors": stratum_factors, "factor_draws": factor_draws, **areas,
        })  # fmt: skip
        sql_models.run_model(con, "approach2_stock_change_draws", params, into="partial")
        return _arrow(con, "partial")
    finally:
        con.close()


def combine_partials(model: str, *partials: pa.Table) -> pa.Table:
    """Partial tables of one SQL model summed over partitions, by the model's grain.

    Parameters
    ----------
    model : str
        SQL model in ``ADDITIVE_MODELS``; its header gives the grain and the units.
    *partials : pyarrow.Table
        Its results on disjoint sets of land units.

    Returns
    -------
    pyarrow.Table
        One row per key: the Grain columns and the unit-less labels are the key, the columns
        with an additive unit (``ADDITIVE_UNITS``: ha, t C, t C/yr, ...) are summed.

    Raises
    ------
    ValueError
        The model is not in ``ADDITIVE_MODELS`` (e.g. percentiles, factors), or a column is
        neither a key nor in an additive unit: such a table cannot be summed over partitions.
    """
    if model not in ADDITIVE_MODELS:
        raise ValueError(f"{model}: not a sum over land units, its partial tables do not add up")
    header, _ = sql_headers.load_model(model)
    keys = [c.name for c in header.columns if c.name in header.grain or c.unit is None]
    sums = [c.name for c in header.columns if c.name not in keys]
    wrong = [c.name for c in header.columns if c.name in sums and c.unit not in ADDITIVE_UNITS]
    if wrong:
        raise ValueError(f"{model}: column(s) {wrong} are neither keys nor additive")
    stacked = pa.concat_tables(partials, promote_options="permissive")
    con = duckdb.connect()
    con.register("partials", stacked)
    selected = [f'"{c}"' if c in keys else f'sum("{c}") AS "{c}"' for c in header.column_names]
    grouped = ", ".join(f'"{c}"' for c in keys)
    query = f"SELECT {', '.join(selected)} FROM partials GROUP BY {grouped}"  # header names only
    return con.sql(query).to_arrow_table()


def _tree_sum(executor: Executor, model: str, handles: list[Any], fan_in: int) -> Any:
    """Sum partial tables in a tree of ``fan_in``-wide combines (on the workers for Dask)."""
    while len(handles) > 1:
        handles = [
            executor.submit(combine_partials, model, *handles[i : i + fan_in])
            for i in range(0, len(handles), fan_in)
        ]
    return handles[0]


def _combined(executor: Executor, passes: list[Any], table: str, model: str, fan_in: int) -> Any:
    picked = [executor.submit(operator.getitem, p, table) for p in passes]
    return executor.gather([_tree_sum(executor, model, picked, fan_in)])[0]


def compute_partitioned_inventory(
    land_units: LandUnitSource | pd.DataFrame | str | Path | Sequence[str | Path],
    factor_table: pd.DataFrame,
    *,
    partitions: int | None = None,
    kind: PartitionKind | None = None,
    executor: Executor | None = None,
    options: EngineOptions | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    fan_in: int = DEFAULT_FAN_IN,
) -> PartitionedInventory:
    r"""Stocks [t C] and stock changes [t C yr-1] from land units, computed by partition.

    Parameters
    ----------
    land_units : LandUnitSource, pandas.DataFrame, path or sequence of paths
        The units (as for :func:`inventory.engine.land.approach2.compute_land_unit_inventory`);
        Parquet paths or fsspec URLs are read by each partition where it runs.
    factor_table : pandas.DataFrame
        Candidate factors (:func:`inventory.engine.mineral_soils.factors.factor_table`).
    partitions : int, optional
        Number of partitions [count]; None or 0 chooses by size (:func:`plan_partitions`).
    kind : {"range", "hash"}, optional
        Partition kind (default: ranges when the Parquet statistics allow, else hash).
    executor : Executor, optional
        Where partitions run (:class:`InProcess` by default, :class:`DaskExecutor`).
    options : EngineOptions, optional
        D, the reported years, the Monte Carlo draws and their seed
        (:class:`inventory.engine.options.EngineOptions`; its defaults when not given).
    con : duckdb.DuckDBPyConnection, optional
        Client connection; the combined ``approach2_transitions``, ``land_areas`` and draw
        tables are left on it (as the single-machine engine leaves them).
    fan_in : int, default 8
        Partial tables summed per combine task [count].

    Returns
    -------
    PartitionedInventory
        ``inventory``: the tables of the single-machine engine, equal to them up to the order
        of floating-point additions; ``partitions`` and their ``seconds`` [s].

    Notes
    -----
    Eq. 2.25 [1]_ is a sum over land units, so for partitions P_1..P_k of the units
    :math:`\Delta C(y) = \sum_j \sum_{u \in P_j} \Delta C_u(y)`; for each Monte Carlo draw d
    (one draw table for all partitions, IPCC Approach 2 [2]_)
    :math:`\Delta C^{(d)} = \sum_j \Delta C^{(d)}_{P_j}`, and the 95 % interval is taken on
    these sums, never on partial results.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Eq. 2.25; land representation Approaches 2/3, Vol. 4, Ch. 3, Sec. 3.3.1.
    .. [2] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 3, Sec. 3.2.3.
    """
    options = options or EngineOptions()
    plan = plan_partitions(unit_layout.as_source(land_units), partitions=partitions, kind=kind)
    run = executor or InProcess()
    passes = [run.submit(partition_transitions, p, transition_years=options.transition_years)
              for p in plan]  # fmt: skip
    con = con or sql_models.connect()
    for table, model in (("land_areas", "approach2_land_areas"),
                         ("approach2_transitions", "approach2_transitions"),
                         ("land_transitions", "land_transitions_units")):  # fmt: skip
        con.register(table, _combined(run, passes, table, model, fan_in))
    sql_models.register(con, {"factor_table": factor_table})
    _register_unit_rows(con, unit_layout.as_source(land_units))
    approach2.register_area_uncertainty(con, strata=approach2.land_unit_area_uncertainty(con))
    stratum_factors = mineral.resolve_factors(con)
    years = {"first_year": options.first_year, "last_year": options.last_year}
    equilibrium = sql_models.run_model(con, "soc_stocks", {"first_year": None, "last_year": None})
    draws = montecarlo.factor_draws(  # once, here
        stratum_factors, n_draws=options.mc_draws, seed=options.seed
    )
    areas = approach2.area_draws(con, n_draws=options.mc_draws, seed=options.seed)
    sql_models.register(con, {"factor_draws": draws, **areas})
    params = {
        "transition_years": options.transition_years,
        "c_to_co2": units.carbon_to_co2(1.0),
        **years,
    }
    shared = (run.scatter(stratum_factors), run.scatter(draws), params)
    drawn = areas["stratum_area_draws"]  # uncertain stratum areas (none: every area exact)
    extra = {"stratum_area_draws": run.scatter(drawn)} if drawn.num_rows else {}
    sums = [run.submit(partition_stock_change_draws, p, *shared, **extra) for p in passes]
    total = _tree_sum(run, "approach2_stock_change_draws", sums, fan_in)
    con.register("stock_change_subcategory_draws", run.gather([total])[0])
    inventory = _uncertainty(con, stratum_factors, equilibrium, params)
    seconds = run.gather([run.submit(operator.getitem, p, "seconds") for p in passes])
    return PartitionedInventory(inventory, plan, [float(s) for s in seconds])


def _register_unit_rows(
    con: duckdb.DuckDBPyConnection, source: unit_layout.LandUnitSource | pd.DataFrame
) -> None:
    """The unit rows as ``land_units_input`` on the client ``con`` when they carry
    ``area_uncertainty_pct`` (read there for the strata's area uncertainty only: a Parquet
    footer tells, the rows are scanned only when the column exists)."""
    if isinstance(source, pd.DataFrame):
        if montecarlo.AREA_UNCERTAINTY in source.columns:
            sql_models.register(con, {"land_units_input": source})
        return
    from duckdb import ConstantExpression, StarExpression

    unit_layout.register_filesystems(con, source.paths)
    rel = con.read_parquet(list(source.paths))
    if montecarlo.AREA_UNCERTAINTY not in rel.columns:
        return
    if "country" not in rel.columns and source.country:  # the lake's country=XXX/ files
        rel = rel.select(ConstantExpression(source.country).alias("country"), StarExpression())
    rel.create_view("land_units_input", replace=True)
    if source.strata is not None and not set(montecarlo.STRATUM_KEYS) <= set(rel.columns):
        _strata(con, source).create_view("land_unit_strata", replace=True)


def _uncertainty(
    con: duckdb.DuckDBPyConnection,
    stratum_factors: pd.DataFrame,
    equilibrium: pd.DataFrame,
    params: dict,
) -> mineral.MineralInventory:
    """The intervals from the summed draws, and the inventory stocks S(y) (the deterministic
    history from the combined transitions, on the client)."""
    years = (params["first_year"], params["last_year"])
    approach2.register_stock_draws(  # before transition_history replaces factor_draws
        con, equilibrium, transition_years=params["transition_years"], years=years
    )
    history = approach2.transition_history(con, stratum_factors, params)
    return approach2.inventory_from_draws(
        con, stratum_factors, equilibrium, history, transition_years=params["transition_years"],
        years=(params["first_year"], params["last_year"]),
    )  # fmt: skip
