"""Projected areas of a scenario, in DuckDB: the base held at its last year, plus the measures.

Business as usual holds every stratum's area at the last reported year (past changes keep
working through their D years in the engine, because the history years stay in the areas). A
practice measure moves ``share x ramp(y)`` of each selected stratum's last-year area to the
stratum with the target management and/or input (same climate zone, soil class, land use); a
rewetting measure moves it from ``drained`` to ``rewetted`` (same climate zone, land use,
nutrient status, drainage depth). ``ramp`` is linear from 0 in the measure's start year to 1 in
its end year and 1 after (the area moved is linear in ``share``, which the adoption solve uses).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from inventory.core import vocab
from inventory.scenarios.model import (
    MINERAL_SELECTOR_KEYS,
    ORGANIC_SELECTOR_KEYS,
    Measure,
    ScenarioError,
)

MINERAL_KEYS = ["country", *vocab.STRATUM_KEYS]
ORGANIC_KEYS = ["country", "climate_zone", "land_use", "drainage", "nutrient_status",
                "drainage_depth"]  # fmt: skip

# Projection of one kind of area (mineral strata or organic-soil strata): the base years as
# reported, every later year up to the horizon at the last year's areas, plus the moves. A move
# takes share x ramp(y) of its source stratum's last-year area to its target stratum.
PROJECTION_SQL = """
WITH years AS (
    SELECT unnest(range($last_year + 1, $horizon + 1)) AS year
),
held AS (
    SELECT b.* EXCLUDE (year), y.year FROM base AS b CROSS JOIN years AS y
    WHERE b.year = $last_year
),
flows AS (
    SELECT m.*, y.year, m.area_ha * m.share * CASE
            WHEN m.end_year <= m.start_year THEN CASE WHEN y.year >= m.start_year THEN 1 ELSE 0 END
            ELSE least(greatest((y.year - m.start_year) / (m.end_year - m.start_year), 0), 1)
        END AS moved_ha
    FROM moves AS m CROSS JOIN years AS y
),
parts AS (
    SELECT {keys}, year, area_ha FROM base
    UNION ALL SELECT {keys}, year, area_ha FROM held
    UNION ALL SELECT {keys}, year, -moved_ha FROM flows
    UNION ALL SELECT {targets}, year, moved_ha FROM flows
)
SELECT {keys}, year, sum(area_ha) AS area_ha
FROM parts
GROUP BY ALL
HAVING sum(area_ha) > 0
ORDER BY ALL
"""


def _selected(last: pd.DataFrame, selector: dict[str, str | None]) -> pd.Series:
    """Rows of ``last`` whose keys equal every stated selector key (vectorised)."""
    keep = pd.Series(True, index=last.index)
    for key, code in selector.items():
        if code is not None:
            keep &= last[key] == code
    return keep


def measure_moves(
    measures: list[Measure],
    mineral_last: pd.DataFrame,
    organic_last: pd.DataFrame,
    *,
    base_year: int,
    horizon: int,
    shares: dict[str, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The source strata, target strata, share and pathway of every measure.

    Parameters
    ----------
    measures : list of Measure
        The measures to apply.
    mineral_last, organic_last : pandas.DataFrame
        Mineral and organic-soil areas of the last reported year (``area_ha`` [ha]).
    base_year : int
        Last reported year [yr]: a measure's default start.
    horizon : int
        Last projected year [yr]: a measure's default end.
    shares : dict of str to float, optional
        Shares [0-1] replacing the measures' own (the adoption solve).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Mineral and organic moves: source keys, ``target_*`` keys, ``area_ha`` [ha] (the
        source's last-year area), ``share`` [0-1; a rewetting measure's ``area_ha`` as the
        share of its selected drained area], ``start_year``, ``end_year`` [yr], ``measure``.

    Raises
    ------
    ScenarioError
        A selector that matches no area, a rewetting area larger than the selected drained
        area, or shares of one stratum adding up to more than 1.
    """
    shares = shares or {}
    mineral: list[pd.DataFrame] = []
    organic: list[pd.DataFrame] = []
    for m in measures:
        last = organic_last if m.kind == "rewetting" else mineral_last
        if m.kind == "rewetting":
            assert m.rewet is not None
            selector = m.rewet.model_dump(include=set(ORGANIC_SELECTOR_KEYS))
            rows = last[_selected(last, selector) & (last["drainage"] == "drained")]
            targets = {"drainage": "rewetted"}
        else:
            assert m.select is not None and m.target is not None
            selector = m.select.model_dump(include=set(MINERAL_SELECTOR_KEYS))
            rows = last[_selected(last, selector)]
            targets = {k: v for k, v in m.target.model_dump().items() if v is not None}
            unchanged = np.logical_and.reduce([rows[k] == v for k, v in targets.items()])
            rows = rows[~unchanged]  # already in the target state: nothing to move
        if rows.empty or not rows["area_ha"].sum() > 0:
            stated = {k: v for k, v in selector.items() if v is not None}
            what = "drained organic soil" if m.kind == "rewetting" else "mineral-soil area"
            raise ScenarioError(
                f"measure {m.name!r}: select {stated} matches no {what} of "
                f"{', '.join(sorted(last['country'].unique())) or 'the base'} in {base_year}"
                + ("" if m.kind == "rewetting" else " that is not already in the target state"),
                "change the selector to codes the inventory reports (see the published "
                "soc_stocks / organic_soil_emissions of the base release), or drop the measure",
            )  # fmt: skip
        share = shares.get(m.name, _share(m, rows, selector, base_year))
        keys = ORGANIC_KEYS if m.kind == "rewetting" else MINERAL_KEYS
        move = rows[keys + ["area_ha"]].copy()
        for key in keys:
            move[f"target_{key}"] = targets[key] if key in targets else move[key]
        move = move.assign(share=float(share), start_year=m.start or base_year,
                           end_year=m.end or horizon, measure=m.name)  # fmt: skip
        (organic if m.kind == "rewetting" else mineral).append(move)
    return _checked(mineral, MINERAL_KEYS), _checked(organic, ORGANIC_KEYS)


def _share(m: Measure, rows: pd.DataFrame, selector: dict, base_year: int) -> float:
    """The measure's share [0-1]: its own, or its ``area_ha`` [ha] over the selected drained
    area of the base year (every selected stratum rewetted in the same proportion)."""
    if m.area_ha is None:
        assert m.share is not None
        return float(m.share)
    drained = float(rows["area_ha"].sum())
    if m.area_ha > drained:
        stated = {k: v for k, v in selector.items() if v is not None}
        where = ", ".join(sorted(rows["country"].unique()))
        raise ScenarioError(
            f"measure {m.name!r}: area_ha {m.area_ha:,.1f} ha is more than the {drained:,.1f} "
            f"ha of drained organic soil that select {stated} matches in {where} in {base_year}",
            f"lower area_ha to at most {drained:,.1f} ha, or rewet all of it with share: 1.0",
        )  # fmt: skip
    return m.area_ha / drained


def _checked(moves: list[pd.DataFrame], keys: list[str]) -> pd.DataFrame:
    """All moves of one kind; refuse a stratum moved by shares adding up to more than 1."""
    columns = [*keys, "area_ha", *(f"target_{k}" for k in keys), "share", "start_year",
               "end_year", "measure"]  # fmt: skip
    if not moves:
        frame = pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
        return frame.astype({"area_ha": "float64", "share": "float64", "start_year": "int64",
                             "end_year": "int64"})  # fmt: skip
    frame = pd.concat(moves, ignore_index=True)[columns]
    total = frame.groupby(keys, as_index=False)["share"].sum()
    over = total[total["share"] > 1]
    if len(over):
        first = over.iloc[0]
        stratum = "/".join(str(first[k]) for k in keys)
        named = frame.merge(over.iloc[[0]][keys])["measure"]
        raise ScenarioError(
            f"measures {', '.join(sorted(named))} together move {first['share']:.0%} of {stratum}",
            "lower their shares so that they add up to at most 1 for every stratum",
        )
    return frame


def project(
    con: duckdb.DuckDBPyConnection,
    base: pd.DataFrame,
    moves: pd.DataFrame,
    keys: list[str],
    *,
    last_year: int,
    horizon: int,
) -> pd.DataFrame:
    """Areas [ha] of every year up to ``horizon``: the base, held after ``last_year``, plus
    the moves (``PROJECTION_SQL``); strata whose area is 0 are dropped."""
    con.register("base", base[[*keys, "year", "area_ha"]])
    con.register("moves", moves)
    sql = PROJECTION_SQL.format(
        keys=", ".join(keys), targets=", ".join(f"target_{k} AS {k}" for k in keys)
    )
    out = con.execute(sql, {"last_year": last_year, "horizon": horizon}).df()
    con.unregister("base")
    con.unregister("moves")
    return out.astype({"year": "int64"})


def moved_area(moves: pd.DataFrame, years: np.ndarray) -> pd.DataFrame:
    """Area moved [ha] by each measure in each of ``years`` (vectorised over moves x years)."""
    if moves.empty:
        return pd.DataFrame(columns=["measure", "year", "area_moved_ha"])
    y = years[None, :].astype("float64")
    start = moves["start_year"].to_numpy("float64")[:, None]
    end = moves["end_year"].to_numpy("float64")[:, None]
    span = np.where(end > start, end - start, 1.0)
    ramp = np.where(end > start, np.clip((y - start) / span, 0, 1), (y >= start) * 1.0)
    moved = moves["area_ha"].to_numpy("float64")[:, None] * moves["share"].to_numpy()[:, None]
    frame = pd.DataFrame(moved * ramp, columns=years)
    frame["measure"] = moves["measure"].to_numpy()
    long = frame.groupby("measure").sum().stack().reset_index()
    long.columns = pd.Index(["measure", "year", "area_moved_ha"])
    return long.astype({"year": "int64"})
