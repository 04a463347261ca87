"""The model graph, read from the SQL: edges, inputs, plans, cycles.

A model reads the tables its query names (sqlglot, CTEs excluded); a table is made by the model
of the same name unless a caller names another producer. These tests pin the engine's graph
(what it reads from outside the SQL) so that renaming a table shows up here, and check the
planner on small packages.
"""

from __future__ import annotations

import pytest
from sql_packages import model, sql_package

from inventory.engine import sql_graph
from inventory.engine.sql_graph import SqlGraphError, Step

# The tables the SQL models read that no model of that name makes: the engine's inputs,
# registered from Python (or written under another name, e.g. land_areas by
# approach2_land_areas); one comment per group says who provides them.
ENGINE_INPUTS = {
    # harmonised inputs and factor tables
    "land_areas", "land_units", "land_use_changes", "organic_soils", "intervals",
    # the land units' stratum dimension table (state_id -> keys; harmonise/land_unit_states.py)
    "land_unit_strata",
    "national_totals", "factor_table", "organic_ef", "organic_ef_intervals", "gwp",
    "cn_ratios", "cn_ratio_overrides", "student_t", "tier2_ratio_definitions",
    "unfccc_categories", "crt_land_uses",
    # the whole land of the strata and every year's organic area (soil_areas.py, issue 21)
    "submitted_land_areas", "organic_soil_areas",
    # wet share of each land use's area for the 2019 disaggregated EF1 (nitrogen.py)
    "land_use_wetness",
    # Monte Carlo and sensitivity draws made in Python (engine/uncertainty/montecarlo.py)
    "factor_draws", "category_draws", "stock_change_categories", "sensitivity_draws",
    "sensitivity_factors",
    # area multipliers of land-unit strata and matrix cells (engine/land/approach2.py)
    "stratum_area_draws", "cell_area_draws",
    # the Monte Carlo intervals of peatland_offsets (reporting_tables/indicators.py) and of
    # uncertainty_analysis (reporting_tables/propagation.py), from (rows x draws) matrices of
    # the mineral and organic-soil draws
    "peatland_draw_intervals", "uncertainty_draw_intervals",
    # tables of a model written under another name, or summed over partitions
    "stock_change_draws", "stock_change_subcategory_draws", "land_transitions",
    # frames the Python computes from model results (stocks.py, area_sources.py)
    "equilibrium_stocks", "land_use_inventory_stocks", "land_area_sources",
    "organic_area_sources",
}  # fmt: skip


@pytest.fixture
def package(tmp_path, monkeypatch):
    return sql_package(tmp_path, monkeypatch)


def test_edges_are_the_tables_the_sql_reads():
    graph = sql_graph.model_graph()
    assert graph["approach2_runs"] == {
        "approach2_episodes", "approach2_unit_summary", "approach2_recurring_runs",
        "land_unit_strata",  # the land use of each state_id, which spells compare
    }  # fmt: skip
    assert graph["soc_stocks"] == {"land_areas", "stratum_factors"}
    assert graph["stock_change_subcategory_uncertainty"] == {"stock_change_subcategory_draws"}
    assert sql_graph.check_graph()["land_unit_histories"] == {
        "approach2_episodes", "approach2_unit_summary",
    }  # fmt: skip


def test_the_engine_inputs_are_pinned():
    """A table renamed in a query (or a new input) changes this set: update it knowingly."""
    assert sql_graph.external_inputs() == ENGINE_INPUTS


def test_every_check_reads_model_tables_or_engine_inputs():
    known = set(sql_graph.model_graph()) | ENGINE_INPUTS
    for check, tables in sql_graph.check_graph().items():
        assert tables <= known, (check, sorted(tables - known))


def test_topological_order_puts_every_model_after_the_models_it_reads():
    order = sql_graph.topological_order()
    graph = sql_graph.model_graph()
    assert sorted(order) == sorted(graph)
    position = {m: i for i, m in enumerate(order)}
    for name, tables in graph.items():
        for table in tables & set(graph):
            assert position[table] < position[name], (table, name)


def test_upstream_plans_the_land_unit_chain():
    steps = sql_graph.upstream(
        ["land_areas"], provided={"land_units", "land_unit_strata"},
        producers={"land_areas": "approach2_land_areas"},
    )  # fmt: skip
    assert steps == [
        Step("approach2_episodes", "approach2_episodes"),
        Step("approach2_unit_summary", "approach2_unit_summary"),
        Step("approach2_recurring_runs", "approach2_recurring_runs"),
        Step("approach2_runs", "approach2_runs"),
        Step("approach2_transitions", "approach2_transitions"),
        Step("approach2_land_areas", "land_areas"),
    ]


def test_upstream_stops_at_provided_tables_but_remakes_targets():
    provided = {"land_units", "land_unit_strata", "approach2_episodes", "approach2_unit_summary"}
    steps = sql_graph.upstream(["approach2_runs", "approach2_unit_summary"], provided=provided)
    assert steps == [
        Step("approach2_unit_summary", "approach2_unit_summary"),
        Step("approach2_recurring_runs", "approach2_recurring_runs"),
        Step("approach2_runs", "approach2_runs"),
    ]


def test_upstream_names_what_is_missing():
    with pytest.raises(SqlGraphError, match=r"approach2_episodes reads land_units"):
        sql_graph.upstream(["approach2_unit_summary"])
    with pytest.raises(SqlGraphError, match="no SQL model makes the table"):
        sql_graph.upstream(["land_units"])
    with pytest.raises(SqlGraphError, match="producers name no SQL model: approach3_areas"):
        sql_graph.upstream(["land_areas"], producers={"land_areas": "approach3_areas"})


def test_a_cycle_is_refused(package):
    package("a", model("a", ["b"]))
    pkg = package("b", model("b", ["a"]))
    with pytest.raises(SqlGraphError, match="cycle"):
        sql_graph.upstream(["b"], package=pkg)
    with pytest.raises(SqlGraphError, match="cycle"):
        sql_graph.topological_order(package=pkg)
