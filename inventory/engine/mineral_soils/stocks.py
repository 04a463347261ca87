"""The inventory stock S(y) the reported stock changes imply (national and per land use).

``soc_stocks.stock_tc`` is the *equilibrium* stock of each stratum's current state (the SOC_0
term of IPCC 2006 Vol.4 Ch.2 Eq. 2.25): after a conversion it jumps at once, while the reported
change approaches it over D years. The stock the inventory actually reports moving is

    S(y) = 1/D x sum over u = y-D+1 .. y of SOC(max(u, y0))        (national)

so that S(y) - S(y-1) = (SOC(y) - SOC(y - D)) / D = dC(y) exactly (y0 = first year with data;
history before it = that first known state). Per land use the stock starts at its equilibrium
stock in y0 and moves by its reported changes; land changing use carries its stock with it
(:func:`land_use_stocks`), so the land uses always add up to S(y).
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse

from inventory.engine import sql_models
from inventory.engine.uncertainty import montecarlo

LAND_USE_COLUMNS = [
    "country", "year", "land_use", "area_ha", "prev_area_ha", "converted_area_ha",
    "equilibrium_stock_tc", "stock_tc", "prev_stock_tc", "change_tc", "transfer_tc",
]  # fmt: skip


def _panel(equilibrium: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    """One row per country, year and land use (every year with data): area, SOC, dC."""
    keys = ["country", "year", "land_use"]
    eq = equilibrium.groupby(keys, as_index=False)[["area_ha", "stock_tc"]].sum()
    eq = eq.rename(columns={"stock_tc": "equilibrium_stock_tc"})
    converted = history["land_use_category"].str.startswith("land_converted_to_")
    changes = history.assign(converted_area_ha=history["area_ha"].where(converted, 0.0))
    changes = changes.groupby(keys, as_index=False)[["dC_tc_per_yr", "converted_area_ha"]].sum()
    years = eq[["country", "year"]].drop_duplicates()
    land_uses = pd.concat([eq, changes])[["country", "land_use"]].drop_duplicates()
    panel = years.merge(land_uses, on="country").merge(eq, on=keys, how="left")
    panel = panel.merge(changes, on=keys, how="left").fillna(
        {"area_ha": 0.0, "equilibrium_stock_tc": 0.0, "dC_tc_per_yr": 0.0,
         "converted_area_ha": 0.0}
    )  # fmt: skip
    return panel.sort_values(["country", "land_use", "year"]).reset_index(drop=True)


def _transfers(area: np.ndarray, prev_area: np.ndarray, prev_stock: np.ndarray) -> np.ndarray:
    """Stock moved between land uses [t C] with the net area that changes use in one year.

    Land uses that lost area give the lost share of their stock (loss x S / A of the previous
    year, their mean stock per hectare); the land uses that gained area receive it in proportion
    to their gain. With no gain anywhere (the total area shrank) nothing moves.
    """
    loss = np.clip(prev_area - area, 0.0, None)
    gain = np.clip(area - prev_area, 0.0, None)
    if gain.sum() <= 0 or loss.sum() <= 0:
        return np.zeros_like(area)
    per_ha = np.divide(prev_stock, prev_area, out=np.zeros_like(prev_stock), where=prev_area > 0)
    out = loss * per_ha
    return gain / gain.sum() * out.sum() - out


def land_use_stocks(equilibrium: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame:
    r"""Inventory stock S_lu(y) [t C] of each land use, every year with data.

    Parameters
    ----------
    equilibrium : pandas.DataFrame
        Equilibrium stocks of every year with data: ``country``, ``year``, ``land_use``,
        ``area_ha`` [ha], ``stock_tc`` [t C] (``soc_stocks``, history years included).
    history : pandas.DataFrame
        Reported category changes of every year with data: ``country``, ``year``,
        ``land_use``, ``land_use_category``, ``area_ha`` [ha], ``dC_tc_per_yr`` [t C yr-1].

    Returns
    -------
    pandas.DataFrame
        ``LAND_USE_COLUMNS``: ``area_ha``, ``prev_area_ha``, ``converted_area_ha`` [ha],
        ``equilibrium_stock_tc``, ``stock_tc``, ``prev_stock_tc`` [t C], ``change_tc`` and
        ``transfer_tc`` [t C yr-1].

    Notes
    -----
    .. math::

        S_{lu}(y_0) = SOC_{lu}(y_0), \qquad
        S_{lu}(y) = S_{lu}(y - 1) + \Delta C_{lu}(y) + T_{lu}(y)

    with the reported change :math:`\Delta C_{lu}` (remaining + converted, Eq. 2.25 of IPCC 2006
    Vol.4 Ch.2 with the project's attribution) and the transfer T: a land use that loses
    :math:`L` ha gives :math:`L \, S_{lu}(y-1) / A_{lu}(y-1)` to the land uses that gain area,
    in proportion to their gain (national net areas; a project method, not an IPCC equation).
    The transfers sum to 0, so :math:`\sum_{lu} S_{lu}(y) = S(y)`.
    """
    panel = _panel(equilibrium, history)
    parts = [_country_stocks(country) for _, country in panel.groupby("country", sort=True)]
    frame = pd.concat(parts).reset_index().rename(columns={"dC_tc_per_yr": "change_tc"})
    return frame[LAND_USE_COLUMNS]


def _country_stocks(country: pd.DataFrame) -> pd.DataFrame:
    """:func:`land_use_stocks` of one country (years in order: each needs the previous one)."""
    wide = {c: country.pivot(index="year", columns="land_use", values=c)
            for c in ("area_ha", "equilibrium_stock_tc", "dC_tc_per_yr")}  # fmt: skip
    area, change = wide["area_ha"].to_numpy(), wide["dC_tc_per_yr"].to_numpy()
    stock, transfer = np.empty_like(area), np.zeros_like(area)
    stock[0] = wide["equilibrium_stock_tc"].to_numpy()[0] + change[0]
    for i in range(1, len(area)):
        transfer[i] = _transfers(area[i], area[i - 1], stock[i - 1])
        stock[i] = stock[i - 1] + change[i] + transfer[i]
    columns = {
        "stock_tc": stock, "prev_stock_tc": np.vstack([stock[:1] - change[:1], stock[:-1]]),
        "transfer_tc": transfer, "prev_area_ha": np.vstack([area[:1], area[:-1]]),
    }  # fmt: skip
    index, names = wide["area_ha"].index, wide["area_ha"].columns
    computed = pd.concat(
        {k: pd.DataFrame(v, index=index, columns=names).stack() for k, v in columns.items()},
        axis=1,
    )
    return country.set_index(["year", "land_use"]).join(computed)


def inventory_stocks(
    con: duckdb.DuckDBPyConnection,
    equilibrium: pd.DataFrame,
    history: pd.DataFrame,
    *,
    transition_years: int,
    years: tuple[int | None, int | None],
    stock_draws: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""The inventory stock S(y) [t C] the reported stock changes imply, national and per land use.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection on which the views ``equilibrium_stocks`` and ``land_use_inventory_stocks``
        are (re)placed.
    equilibrium : pandas.DataFrame
        ``soc_stocks`` of every year with data (history included): ``country``, ``year``,
        ``land_use``, ``area_ha`` [ha], ``stock_tc`` [t C] (equilibrium stocks).
    history : pandas.DataFrame
        Deterministic category changes of every year with data: ``country``, ``year``,
        ``land_use``, ``land_use_category``, ``area_ha`` [ha], ``dC_tc_per_yr`` [t C yr-1].
    transition_years : int
        D [yr].
    years : (int or None, int or None)
        First and last reported year [yr].
    stock_draws : pandas.DataFrame, optional
        :func:`national_stock_draws` of the run, for the interval of S(y); by default read from
        ``inventory_stock_draws`` on ``con`` (:func:`with_stock_intervals`).

    Returns
    -------
    pandas.DataFrame
        ``inventory_stocks.sql`` for the reported years: ``stock_tc`` = S(y),
        ``prev_stock_tc`` = S(y - 1) [t C], ``change_tc`` = dC(y) and ``transfer_tc``
        [t C yr-1], per scope ``national`` (land_use ``all``) and ``land_use``.

    Notes
    -----
    .. math:: S(y) = \frac{1}{D} \sum_{u = y - D + 1}^{y} SOC(\max(u, y_0)), \qquad
        S(y) - S(y - 1) = \frac{SOC(y) - SOC(\max(y - D, y_0))}{D} = \Delta C(y)

    (Eq. 2.25 of IPCC 2006 Vol.4 Ch.2; y0 = first year with data, history = first known
    state); per land use :func:`land_use_stocks`.
    """
    sql_models.register(con, {
        "equilibrium_stocks": equilibrium[["country", "year", "land_use", "area_ha", "stock_tc"]],
        "land_use_inventory_stocks": land_use_stocks(equilibrium, history),
    })  # fmt: skip
    params = {"transition_years": transition_years, "first_year": years[0], "last_year": years[1]}
    table = sql_models.run_model(con, "inventory_stocks", params)
    return with_stock_intervals(con, table, stock_draws)


STOCK_KEYS = ["country", "year"]
# Published beside inventory_stocks.sql's columns (published_schema: extra columns).
STOCK_INTERVAL_COLUMNS = ("stock_ci_low_tc", "stock_ci_high_tc")


def with_stock_intervals(
    con: duckdb.DuckDBPyConnection, table: pd.DataFrame, draws: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``table`` (inventory_stocks) with the 95 % Monte Carlo interval of the national S(y):
    ``stock_ci_low_tc``, ``stock_ci_high_tc`` [t C], the 2.5th and 97.5th percentiles of draws
    1..N of ``draws`` (:func:`national_stock_draws`), else of ``inventory_stock_draws`` when
    ``con`` holds it; NULL otherwise and for land-use rows (their transfers between land uses
    are a project method without draws)."""
    out = table.assign(**dict.fromkeys(STOCK_INTERVAL_COLUMNS, np.nan))
    if draws is not None:
        draws = draws[draws["draw"].to_numpy() > 0]
    else:
        names = set(
            con.execute(
                "SELECT table_name FROM duckdb_tables() UNION ALL "
                "SELECT view_name FROM duckdb_views()"
            ).df()["table_name"]
        )
        if "inventory_stock_draws" not in names:
            return out
        draws = con.execute("SELECT * FROM inventory_stock_draws WHERE draw > 0").df()
    if draws.empty:
        return out
    return montecarlo.attach_intervals(
        out,
        draws,
        STOCK_KEYS,
        ["stock_tc"],
        STOCK_INTERVAL_COLUMNS,
        out["scope"].eq("national").to_numpy(),
    )


def national_stock_draws(
    equilibrium: pd.DataFrame,
    strata: pd.DataFrame,
    stock_per_ha: np.ndarray,
    *,
    transition_years: int,
    years: tuple[int | None, int | None],
) -> pd.DataFrame:
    r"""The national inventory stock S(y) [t C] of every Monte Carlo draw.

    Parameters
    ----------
    equilibrium : pandas.DataFrame
        ``soc_stocks`` of every year with data: ``country``, ``year`` and the stratum keys of
        ``strata``, ``area_ha`` [ha].
    strata : pandas.DataFrame
        The strata (columns of ``stock_per_ha``).
    stock_per_ha : numpy.ndarray
        (N + 1) x strata [t C ha-1]: :math:`SOC_{REF} F_{LU} F_{MG} F_I` of each draw, times
        the stratum's area multiplier.
    transition_years : int
        D [yr].
    years : (int or None, int or None)
        First and last reported year [yr]; rows are kept for these years.

    Returns
    -------
    pandas.DataFrame
        ``draw`` (0..N), ``country``, ``year``, ``stock_tc`` [t C]; draw 0 = ``stock_tc`` of
        the national rows of ``inventory_stocks.sql``.

    Notes
    -----
    Draw by draw, the identity of ``inventory_stocks.sql`` (IPCC 2006 Vol.4 Ch.2 Eq. 2.25,
    linear transition, history before the first year y0 with data = that first state):

    .. math:: SOC_k(u) = \sum_s A_s(u) \, p_k(s), \qquad
        S_k(y) = \frac{1}{D} \sum_{u = y - D + 1}^{y} SOC_k(\max(u, y_0))

    so :math:`S_k(y) - S_k(y - 1)` is the national change of draw k, and the interval of S
    carries the same factor and area draws as that of the change.
    """
    keys = list(strata.columns)
    rows = equilibrium[list(dict.fromkeys([*STOCK_KEYS, *keys, "area_ha"]))].merge(
        strata.assign(_j=np.arange(len(strata))), on=keys, how="left"
    )
    if rows["_j"].isna().any():
        raise ValueError("soc_stocks names a stratum without resolved factors")
    cells = rows[STOCK_KEYS].drop_duplicates().sort_values(STOCK_KEYS).reset_index(drop=True)
    rows = rows.merge(cells.assign(_i=np.arange(len(cells))), on=STOCK_KEYS)
    matrix = sparse.csr_matrix(
        (rows["area_ha"].to_numpy(float), (rows["_i"], rows["_j"].astype("int64"))),
        shape=(len(cells), len(strata)),
    )
    soc = np.asarray(matrix @ stock_per_ha.T)  # cells x (N + 1)
    stocks, labels = [], []
    first, last = years
    for country, index in cells.groupby("country").groups.items():
        data_years = cells.loc[index, "year"].to_numpy()
        values = soc[index.to_numpy()]
        y0 = values[np.argmin(data_years)]
        for y in data_years:
            if (first is not None and y < first) or (last is not None and y > last):
                continue
            window = (data_years > y - transition_years) & (data_years <= y)
            total = values[window].sum(axis=0) + (transition_years - window.sum()) * y0
            stocks.append(total / transition_years)
            labels.append((country, int(y)))
    n = soc.shape[1]  # rows: (country, year) in the order above, draws 0..N within each
    return pd.DataFrame({
        "draw": np.tile(np.arange(n, dtype="int32"), len(labels)),
        "country": pd.Series(np.repeat(np.array([c for c, _ in labels], dtype=object), n),
                             dtype="str"),
        "year": np.repeat(np.array([y for _, y in labels], dtype="int64"), n),
        "stock_tc": np.concatenate(stocks) if stocks else np.empty(0),
    })  # fmt: skip
