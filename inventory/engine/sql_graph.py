"""The SQL models as a graph: which tables each model (and each invariant check) reads.

The edges come from the SQL itself (:func:`inventory.engine.sql_headers.query_tables`, parsed
with sqlglot), never from prose. A model writes the table named as the model, unless the caller
says that another model produces a table (``producers``: e.g. ``land_areas`` from
``approach2_land_areas`` for land units, where Approach 1 takes it as an input). A table that
no model produces is an input of the engine (:func:`external_inputs`), registered by the
Python that calls the models.

:func:`upstream` plans what to run for some target tables: the targets, and every model they
need whose table is not provided, in topological order; :func:`inventory.engine.sql_models.
run_models` runs such a plan on a DuckDB connection.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from graphlib import CycleError, TopologicalSorter
from typing import NamedTuple

from inventory.engine.sql_headers import (
    CHECK_PACKAGE,
    SQL_PACKAGE,
    load_check,
    load_model,
    query_tables,
    sql_names,
)


class SqlGraphError(ValueError):
    """The models needed for a table cannot be planned: an input is missing, a producer is no
    model, or the models read each other in a cycle."""


class Step(NamedTuple):
    """One model run of a plan: ``model`` materialised as ``table``."""

    model: str
    table: str


def model_graph(*, package: str = SQL_PACKAGE) -> dict[str, frozenset[str]]:
    """Every SQL model and the tables its query reads.

    Parameters
    ----------
    package : str, optional
        Package holding the models.

    Returns
    -------
    dict of str to frozenset of str
        Model name -> names of the tables it reads (CTEs excluded), sorted by model.

    Raises
    ------
    SqlHeaderError
        A header is malformed or does not match its query (the models are loaded whole).
    """
    return {name: query_tables(load_model(name, package=package)[1]) for name in sql_names(package)}


def check_graph(*, package: str = CHECK_PACKAGE) -> dict[str, frozenset[str]]:
    """Every invariant check and the tables its query reads (as :func:`model_graph`,
    for the checks of ``package``, default :data:`CHECK_PACKAGE`).
    """
    return {name: query_tables(load_check(name, package=package)[1]) for name in sql_names(package)}


def external_inputs(*, package: str = SQL_PACKAGE) -> frozenset[str]:
    """The tables the models read that no model of the same name produces (the engine's
    inputs, registered from Python, and the tables a model writes under another name)."""
    graph = model_graph(package=package)
    return frozenset(t for tables in graph.values() for t in tables if t not in graph)


def topological_order(*, package: str = SQL_PACKAGE) -> list[str]:
    """Every model, each after the models (of the same name as a table) it reads; among
    models whose inputs are ready, alphabetical. Raises :class:`SqlGraphError` on a cycle.
    """
    graph = model_graph(package=package)
    return _ordered({m: {t for t in graph[m] if t in graph} for m in graph})


def upstream(
    targets: Iterable[str],
    *,
    provided: Collection[str] = (),
    producers: Mapping[str, str] | None = None,
    package: str = SQL_PACKAGE,
) -> list[Step]:
    """The model runs that make ``targets``, in topological order.

    Parameters
    ----------
    targets : iterable of str
        Tables to (re)make; each is made even when provided.
    provided : collection of str, optional
        Tables that exist already (e.g. registered inputs, or tables made earlier): a model
        reading one uses it as it is.
    producers : mapping of str to str, optional
        Table -> the model that makes it, for tables not named as their model (e.g.
        ``{"land_areas": "approach2_land_areas"}``). Other tables are made by the model of the
        same name, if there is one.
    package : str, optional
        Package holding the models.

    Returns
    -------
    list of Step
        ``(model, table)`` for each target and each table a target needs, directly or not,
        that is not provided; every step after the steps making the tables it reads.

    Raises
    ------
    SqlGraphError
        A target or a needed table is neither provided nor made by a model (naming the model
        that reads it), a producer is not a model, or the models form a cycle.
    SqlHeaderError
        A model of the plan has a malformed header or one that does not match its query
        (only the models the plan needs are read).
    """
    models = set(sql_names(package))
    producer = {m: m for m in models} | dict(producers or {})
    unknown = sorted(m for m in (producers or {}).values() if m not in models)
    if unknown:
        raise SqlGraphError(f"producers name no SQL model: {', '.join(unknown)}")
    targets = list(dict.fromkeys(targets))
    orphans = [t for t in targets if t not in producer]
    if orphans:
        raise SqlGraphError(f"no SQL model makes the table(s) {', '.join(orphans)}")
    # only the models of the plan are read and parsed (sqlglot costs ~5 ms a model, paid once
    # per process): planning a chain does not read the whole package
    graph: dict[str, frozenset[str]] = {}
    needed: dict[str, str] = {}  # table -> model
    missing: list[str] = []
    pending = list(targets)
    while pending:
        table = pending.pop()
        if table in needed:
            continue
        needed[table] = model = producer[table]
        if model not in graph:
            graph[model] = query_tables(load_model(model, package=package)[1])
        for source in sorted(graph[model]):
            if source in targets or (source not in provided and source in producer):
                pending.append(source)
            elif source not in provided:
                missing.append(f"{model} reads {source}")
    if missing:
        raise SqlGraphError(
            "table(s) neither provided nor made by a SQL model: " + "; ".join(sorted(missing))
        )
    edges = {t: {s for s in graph[needed[t]] if s in needed} for t in needed}
    return [Step(needed[t], t) for t in _ordered(edges)]


def _ordered(edges: Mapping[str, set[str]]) -> list[str]:
    """Nodes after their predecessors; alphabetical among those ready at once."""
    sorter = TopologicalSorter({n: sorted(edges[n]) for n in sorted(edges)})
    try:
        sorter.prepare()
    except CycleError as err:
        raise SqlGraphError(f"SQL models read each other in a cycle: {err.args[1]}") from err
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return order
