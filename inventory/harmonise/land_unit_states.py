"""Land units encoded once: an integer state per unit-year and the stratum dimension table.

A country's land units are submitted once and computed many times (every run, recalculation and
scenario). The engine's one pass over the unit-year rows groups them by unit and state
(``approach2_episodes.sql``); grouping on one integer instead of the five text keys of the
stratum roughly halves that pass. So harmonisation stores, per country version:

* ``land_units`` with a ``state_id`` column (the text keys stay, for every other reader);
* ``land_unit_strata``: the stratum dimension table, ``state_id`` -> ``country``,
  ``climate_zone``, ``soil_class``, ``land_use``, ``management``, ``input`` (one row per
  distinct stratum of the units, ``state_id`` 1..n in the sort order of country and keys: a
  code names its country too, so the engine groups on ``unit_id`` and ``state_id`` alone).

Versions harmonised before the encoding have no ``state_id``: the engine encodes them on the fly
(:func:`encode_relation`), so every version runs and gives the same tables.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from inventory.core import vocab

STATE_KEYS = tuple(vocab.STRATUM_KEYS)  # climate_zone, soil_class, land_use, management, input
STATE_ID = "state_id"
STRATA_COLUMNS = ("country", STATE_ID, *STATE_KEYS)
ENCODED_UNIT_COLUMNS = ("country", "unit_id", "year", STATE_ID, "area_ha")
FIRST_STATE_ID = 1  # dense codes of a stored encoding start here
# on-the-fly code of a row's stratum: the 64-bit hash of its country and keys (checked for
# clashes)
STATE_HASH_SQL = f"hash(country, {', '.join(STATE_KEYS)})"


def encode_land_units(land_units: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``land_units`` with a dense ``state_id`` column, and the stratum dimension table.

    Parameters
    ----------
    land_units : pandas.DataFrame
        Harmonised land units (``country``, ``unit_id``, ``year`` [yr], the stratum keys,
        ``area_ha`` [ha], ...), in any row order.

    Returns
    -------
    tuple of pandas.DataFrame
        The units, same rows and order, with ``state_id`` (int32; one per country and
        stratum), and ``land_unit_strata`` (``STRATA_COLUMNS``, sorted by country and keys).
    """
    keys = ["country", *STATE_KEYS]
    strata = land_units[keys].drop_duplicates().sort_values(keys, ignore_index=True)
    strata[STATE_ID] = np.arange(FIRST_STATE_ID, FIRST_STATE_ID + len(strata), dtype=np.int32)
    encoded = land_units.merge(strata, on=keys, how="left", validate="many_to_one")
    encoded.index = land_units.index
    return encoded, strata[list(STRATA_COLUMNS)]


def encode_relation(
    con: duckdb.DuckDBPyConnection, source: duckdb.DuckDBPyRelation
) -> tuple[duckdb.DuckDBPyRelation, duckdb.DuckDBPyRelation]:
    """Encode land units with text keys on the fly (versions harmonised before the encoding).

    ``state_id`` is the 64-bit hash of the country and the stratum keys: no join over the
    unit-year rows is needed. The dimension table is read from the rows (one pass over the
    keys, few groups); should two strata share a hash, dense codes joined to the rows are used
    instead, so the encoding is always exact.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection holding ``source``.
    source : duckdb.DuckDBPyRelation
        Land units with ``country``, ``unit_id``, ``year``, the stratum keys and ``area_ha``.

    Returns
    -------
    tuple of duckdb.DuckDBPyRelation
        The units (``ENCODED_UNIT_COLUMNS``) and the materialised dimension table
        (``STRATA_COLUMNS``).
    """
    keys = ", ".join(STATE_KEYS)
    source.create_view("land_units_text", replace=True)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE land_unit_strata_hashed AS "
        f"SELECT country, {STATE_HASH_SQL} AS {STATE_ID}, {keys} "
        f"FROM (SELECT DISTINCT country, {keys} FROM land_units_text)"
    )  # identifiers from STATE_KEYS only
    (clash,) = con.execute(
        f"SELECT count(*) - count(DISTINCT {STATE_ID}) FROM land_unit_strata_hashed"
    ).fetchall()[0]
    if clash == 0:
        units = con.sql(
            f"SELECT country, unit_id, year, {STATE_HASH_SQL} AS {STATE_ID}, area_ha "
            "FROM land_units_text"
        )
        return units, con.table("land_unit_strata_hashed")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE land_unit_strata_dense AS "
        f"SELECT country, row_number() OVER (ORDER BY country, {keys}) "
        f"AS {STATE_ID}, {keys} FROM land_unit_strata_hashed"
    )
    units = con.sql(
        f"SELECT u.country, u.unit_id, u.year, s.{STATE_ID}, u.area_ha "
        "FROM land_units_text AS u JOIN land_unit_strata_dense AS s "
        f"USING (country, {keys})"
    )
    return units, con.table("land_unit_strata_dense")


def encode_parquet(
    con: duckdb.DuckDBPyConnection, source: str, units_out: str, strata_out: str
) -> int:
    """Encode a land-unit Parquet file too large for pandas (the same codes as
    :func:`encode_land_units`): ``units_out`` gets every row and column of ``source`` plus
    ``state_id``, ``strata_out`` the dimension table. Returns the number of strata [count].

    The rows are matched to their stratum on the 64-bit hash of the keys and the country (the
    dimension table is checked to have no two strata sharing a hash, else ValueError), so the
    pass over the unit-year rows joins integers, not text.
    """
    keys = ", ".join(STATE_KEYS)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE land_unit_strata_encoded AS "
        f"SELECT country, row_number() OVER (ORDER BY country, {keys})::INTEGER "
        f"+ {FIRST_STATE_ID - 1} AS {STATE_ID}, {keys}, {STATE_HASH_SQL} AS state_hash "
        f"FROM (SELECT DISTINCT country, {keys} FROM read_parquet($source))",
        {"source": source},
    )  # identifiers from STATE_KEYS only
    (clash,) = con.execute(
        "SELECT count(*) - count(DISTINCT state_hash) FROM land_unit_strata_encoded"
    ).fetchall()[0]
    if clash:
        raise ValueError(f"{source}: two strata share a 64-bit hash; encode with pandas")
    con.execute(
        "COPY (SELECT u.*, s.state_id FROM read_parquet($source) AS u "
        "JOIN land_unit_strata_encoded AS s "
        f"ON s.state_hash = hash(u.country, {', '.join('u.' + k for k in STATE_KEYS)})) "
        "TO $out (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 1000000)",
        {"source": source, "out": units_out},
    )
    con.execute(
        f"COPY (SELECT {', '.join(STRATA_COLUMNS)} FROM land_unit_strata_encoded ORDER BY ALL) "
        "TO $out (FORMAT parquet)",
        {"out": strata_out},
    )
    (count,) = con.execute("SELECT count(*) FROM land_unit_strata_encoded").fetchall()[0]
    return int(count)
