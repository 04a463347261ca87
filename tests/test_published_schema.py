"""The published tables' contract: every column described, units in names, one sign per table."""

from __future__ import annotations

import pandas as pd
import pytest

from inventory.engine.reporting_tables import published_schema as ps
from inventory.lake.releases import PUBLISHED_TABLES


@pytest.mark.parametrize("table", PUBLISHED_TABLES)
def test_every_published_column_has_a_description_and_its_unit_in_its_name(table):
    assert ps.unit_problems(table) == []
    columns = ps.columns_of(table)
    assert columns[0].name == "country" and columns[-1].name == "release_id"
    assert len({c.name for c in columns}) == len(columns), "a published name is used twice"


@pytest.mark.parametrize("table", PUBLISHED_TABLES)
def test_every_published_table_has_a_one_sentence_summary(table):
    summary = ps.table_summary(table)  # shown next to the table on the portal's Results page
    assert summary.endswith(".") and 20 <= len(summary) <= 200, summary
    assert "$" not in summary and "None" not in summary


@pytest.mark.parametrize("table", PUBLISHED_TABLES)
def test_every_table_states_its_sign_convention(table):
    assert ps.spec_of(table).sign in (ps.FLUX_SIGN, ps.NO_FLUX)


def test_a_column_without_a_description_is_refused():
    frame = pd.DataFrame({"country": ["KEN"], "year": [2000], "undocumented": [1.0]})
    with pytest.raises(ps.PublishedSchemaError, match="without a description.*undocumented"):
        ps.published_table("peatland_offsets", frame, release_id="r", run_id="x")


def test_a_table_without_model_or_entry_is_refused():
    with pytest.raises(ps.PublishedSchemaError, match="no SQL model 'new_table'"):
        ps.columns_of("new_table")


def _offsets() -> pd.DataFrame:
    # model columns of peatland_offsets.sql; organic 120, mineral sink 25 t CO2/yr:
    # ratio 25 / 120, net 120 - 25 = 95
    return pd.DataFrame({
        "country": ["IRL"], "year": [2024], "organic_emissions_co2e": [120.0],
        "mineral_sequestration_co2e": [25.0], "offset_ratio": [25 / 120], "net_co2e": [95.0],
        "required_additional_sequestration_co2e": [95.0], "avoided_co2e_if_rewetted": [10.0],
        "organic_ci_low_co2e": [100.0], "organic_ci_high_co2e": [140.0],
        "net_ci_low_co2e": [70.0], "net_ci_high_co2e": [120.0],
    })  # fmt: skip


def test_published_table_renames_negates_and_describes():
    table = ps.published_table("peatland_offsets", _offsets(), release_id="release-1",
                               run_id="run-1")  # fmt: skip
    row = table.to_pylist()[0]
    assert row["mineral_co2e_t_per_yr"] == -25.0  # + = emission: a 25 t sink is -25
    assert row["net_co2e_t_per_yr"] == 95.0 == row["organic_emissions_co2e_t_per_yr"] - 25.0
    assert row["country"] == "IRL" and row["release_id"] == "release-1"
    field = table.schema.field("mineral_co2e_t_per_yr")
    assert field.metadata[b"v1_name"] == b"mineral_sequestration_co2e"
    assert field.metadata[b"v1_sign"] == b"-1" and field.metadata[b"unit"] == b"t CO2e/yr"
    assert table.schema.metadata[b"soilc.schema_version"] == b"2"
    assert table.schema.metadata[b"soilc.release_id"] == b"release-1"
    assert table.schema.metadata[b"soilc.table"] == b"peatland_offsets"


def test_published_names_match_the_published_table():
    frame = _offsets()
    renamed = ps.to_published_names("peatland_offsets", frame)
    table = ps.published_table("peatland_offsets", frame, release_id="r", run_id="x")
    assert list(renamed.columns) == table.column_names[:-1]  # all but release_id
    assert renamed["mineral_co2e_t_per_yr"].iloc[0] == -25.0


def test_unit_patterns():
    assert ps.name_carries_unit("dCO2_ci_low_t_per_yr", "t CO2/yr")
    assert ps.name_carries_unit("n_mc_draws", "count")
    assert ps.name_carries_unit("f_lu", "1")
    assert not ps.name_carries_unit("emission", "t gas/yr")
    assert not ps.name_carries_unit("soc_ref", "t C/ha")
    assert not ps.name_carries_unit("anything", "furlongs")  # an unlisted unit never passes


def test_integer_codes_are_published_as_text_so_every_number_has_a_unit(tmp_path):
    """key_categories.approach (1 or 2) is a code, not a quantity: published as '1' / '2';
    the schema-v1 view gives it back as the integer version 1 had."""
    import duckdb
    import pyarrow.parquet as pq

    from inventory.lake.warehouse import v1_select

    columns = [c for c in ps.columns_of("key_categories") if c.name != "release_id"]
    frame = pd.DataFrame([{c.model_column or c.name: (0.5 if c.unit else "x") for c in columns}
                          for _ in range(2)]).assign(approach=[1, 2], rank=[1, 2])  # fmt: skip
    table = ps.published_table("key_categories", frame, release_id="r", run_id="x")
    assert table["approach"].to_pylist() == ["1", "2"]
    assert table.schema.field("approach").metadata[b"unit"] == b""
    assert table["rank"].to_pylist() == [1, 2]  # a count, with its unit
    assert ps.to_published_names("key_categories", frame)["approach"].tolist() == ["1", "2"]
    assert table.schema.field("approach").metadata[b"v1_type"] == b"BIGINT"
    pq.write_table(table, tmp_path / "part-0.parquet")
    with duckdb.connect() as con:
        con.execute(f"CREATE VIEW key_categories AS FROM '{tmp_path / 'part-0.parquet'}'")
        v1 = con.sql(v1_select("key_categories", tmp_path / "part-0.parquet")).df()
    assert v1["approach"].tolist() == [1, 2] and "assessment_value" in v1.columns


def test_the_tables_of_13_and_16_carry_their_units_and_area_source():
    names = {t: [c.name for c in ps.columns_of(t)] for t in ps.PUBLISHED}
    assert "change_tc_per_yr" in names["inventory_stocks"]
    assert {"n2o_t_per_yr", "co2e_t_per_yr", "ef1_fraction"} <= set(names["soc_loss_n2o"])
    assert "area_kha" in names["land_transition_matrix"]
    assert "trend_variance_contribution_pct_squared" in names["uncertainty_analysis"]
    assert "mineral_n2o_t_per_yr" in names["unfccc_tables"]
    for table in ("soc_stocks", "stock_changes", "stock_change_totals", "unfccc_tables",
                  "stock_change_subcategories", "organic_soil_emissions", "rewetting_scenario",
                  "land_transition_matrix"):  # fmt: skip
        assert names[table][-2:] == ["area_source", "release_id"], table


def test_table_grains_are_the_keys_the_publish_guard_checks():
    """The grain of each table (its SQL model header) is the key checked for repeats."""
    from inventory.engine.reporting_tables.published_schema import table_grains

    assert table_grains(["stock_changes", "soc_stocks"]) == {
        "stock_changes": ["country", "year", "land_use", "land_use_category"],
        "soc_stocks": ["country", "year", "climate_zone", "soil_class", "land_use", "management",
                       "input"],
    }  # fmt: skip
