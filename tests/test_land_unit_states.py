"""Land units encoded once (``inventory/harmonise/land_unit_states.py``): an integer state per
unit-year and the stratum dimension table.

The engine's tables must not depend on how the stratum reached it: stored codes (harmonised
with the encoding), codes made on the fly from the text keys (versions harmonised before it),
or the dense fallback used when two strata share a hash. And the dimension table a version
stores must give back exactly the strata of the units.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
from partition_data import land_units as synthetic_units

from inventory.core import vocab
from inventory.engine.land import approach2, partitioned, unit_layout
from inventory.engine.mineral_soils import factors
from inventory.engine.options import EngineOptions
from inventory.harmonise import land_unit_states, store
from inventory.lake.zones import Lake

TABLES = ("soc_stocks", "stock_changes", "stock_change_totals", "stock_change_subcategories",
          "inventory_stocks")  # fmt: skip
OPTIONS = EngineOptions(first_year=2000, last_year=2024, mc_draws=20, seed=7)


@pytest.fixture(scope="module")
def units() -> pd.DataFrame:
    return synthetic_units(400)


@pytest.fixture(scope="module")
def text_run(units):
    return approach2.compute_land_unit_inventory(units, factors.factor_table("2019"), OPTIONS)


def _assert_same(left, right) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(
            getattr(left, name), getattr(right, name), check_exact=False, rtol=1e-12,
            atol=1e-9, obj=name,
        )  # fmt: skip


def test_encoding_gives_one_dense_code_per_stratum(units):
    encoded, strata = land_unit_states.encode_land_units(units)
    assert list(strata.columns) == list(land_unit_states.STRATA_COLUMNS)
    assert list(encoded.index) == list(units.index)
    pd.testing.assert_frame_equal(encoded[units.columns], units)
    keys = ["country", *vocab.STRATUM_KEYS]
    assert len(strata) == len(units[keys].drop_duplicates())
    assert sorted(strata["state_id"]) == list(range(1, len(strata) + 1))
    back = encoded[["country", "state_id"]].merge(strata, on=["country", "state_id"])
    pd.testing.assert_frame_equal(back[keys], units[keys].reset_index(drop=True))


def test_encoded_and_text_key_engine_give_identical_tables(units, text_run):
    encoded, strata = land_unit_states.encode_land_units(units)
    stored = approach2.compute_land_unit_inventory(
        encoded, factors.factor_table("2019"), OPTIONS, strata=strata
    )
    _assert_same(stored, text_run)


def test_dense_fallback_when_two_strata_share_a_hash(units, text_run, monkeypatch):
    """Should two strata hash alike, dense codes joined on the keys are used: same tables."""
    monkeypatch.setattr(land_unit_states, "STATE_HASH_SQL", "1::UBIGINT")
    con = duckdb.connect()
    result = approach2.compute_land_unit_inventory(
        units, factors.factor_table("2019"), OPTIONS, con=con
    )
    codes = con.execute("SELECT count(DISTINCT state_id) FROM land_unit_strata").fetchall()
    assert codes[0][0] == len(units[list(vocab.STRATUM_KEYS)].drop_duplicates())
    _assert_same(result, text_run)


def test_a_stored_dimension_table_round_trips(tmp_path, units, text_run):
    """harmonise -> version on disk -> read back: same strata, and the engine (one pass and
    by partitions, from the files) gives the text-key tables."""
    lake = Lake.at(tmp_path / "lake")
    frames, _ = store.harmonise_datasets(
        {"land_units": units.drop(columns=["country", "area_ha"]).assign(
            area=units["area_ha"], area_unit="ha")},
        "SYN",
    )  # fmt: skip
    store.store_harmonised(lake, "SYN", "sub-1", {"approach": 3}, frames)
    with store.pin_harmonised(lake, "SYN") as pinned:
        stored_units, strata = pinned.read("land_units"), pinned.read("land_unit_strata")
        assert strata is not None and stored_units is not None
        pd.testing.assert_frame_equal(
            strata[list(land_unit_states.STRATA_COLUMNS)].reset_index(drop=True),
            frames["land_unit_strata"].reset_index(drop=True),
        )
        one_pass = approach2.compute_land_unit_inventory(
            stored_units, factors.factor_table("2019"), OPTIONS, strata=strata
        )
        source = unit_layout.LandUnitSource(
            (str(pinned.path("land_units")),), country="SYN",
            strata=str(pinned.path("land_unit_strata")),
        )  # fmt: skip
        by_partition = partitioned.compute_partitioned_inventory(
            source, factors.factor_table("2019"), partitions=3, options=OPTIONS
        ).inventory
    _assert_same(one_pass, text_run)
    for name in TABLES:
        pd.testing.assert_frame_equal(
            getattr(by_partition, name), getattr(text_run, name), check_exact=False,
            rtol=1e-9, obj=name,
        )  # fmt: skip
