"""Monte Carlo draws of the factors (IPCC Approach 2), one draw per source table row.

Every candidate factor row names the row of its source table it was read from (``source_row``:
edition + table + row, e.g. ``IPCC 2019 Vol.4 Ch.5 Table 5.5 (2019 updated): Cropland F_LU
Long-term cultivated | Cool temperate/Boreal | Dry``) and that row's distribution
(``row_mean``, ``row_sd``, ``row_df``); a factor that is a ratio of two source rows (Tier 2:
``F = mean(stratum) / mean(reference stratum)``) also names its reference row (``ref_row``,
``ref_mean``, ``ref_sd``, ``ref_df``). These are the ``vocab.DRAW_COLUMNS`` of the canonical
factor table.

A source row is drawn **once per iteration** and the draw is shared by every climate zone,
stratum, year and factor that uses it: the 2019 F_LU row "long-term cultivated, cool
temperate/boreal, dry" moves cool temperate dry and boreal dry cropland together, and a native
profile mean moves SOC_REF and every F_LU ratio over it together. Each source row has its own
random stream, seeded by the run seed and the row's key, so its draws do not depend on which
other rows a run (or a partition of a run) uses.

Distribution of a source row: ``row_mean + row_sd x Z`` with Z standard normal, or Student t
with ``row_df`` degrees of freedom (the sampling distribution of a mean of ``row_df + 1``
profiles), truncated to positive values by redrawing (never clipped: a SOC stock or stock change
factor cannot be zero or negative). For IPCC and submitted rows ``row_sd = value x U / 100 /
1.96`` (U = the table's +/- %, a 95 % half-width); draw 0 is the table value.

Entry points for every engine (Approach 1 and 2/3, partitioned or not):
:func:`source_row_draws` (draws keyed by source row), :func:`factor_draws` (the same draws
mapped onto the resolved ``factor_id`` of ``stratum_factors``) and :func:`stratum_stock_draws`
(the product SOC_REF x F_LU x F_MG x F_I of each stratum, per draw).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats

from inventory.core import vocab

# IPCC tables give +/- % as the half-width of a 95 % interval; for a normal distribution that is
# 1.96 standard deviations (IPCC 2006 Vol.1 Ch.3 Sec. 3.2.2.4).
Z_95 = 1.959963984540054
# Truncation by redrawing: a row whose mean is more than this many sd above 0 needs few redraws;
# the cap only stops a malformed row (mean <= 0) from looping forever.
MAX_REDRAW_ROUNDS = 200
STRATUM_KEYS = ["country", "climate_zone", "soil_class", "land_use", "management", "input"]
SPEC_COLUMNS = ["source_row", "mean", "sd", "df"]


def normal_sd(value: ArrayLike, uncertainty_pct: ArrayLike) -> np.ndarray:
    """Standard deviation [unit of value] of a normal whose 95 % half-width is ``U`` % of it.

    Parameters
    ----------
    value : array_like
        Table value [any unit].
    uncertainty_pct : array_like
        U, the +/- % of the value (95 % half-width); NaN = no uncertainty (sd 0).

    Returns
    -------
    numpy.ndarray
        ``value x U / 100 / 1.96`` [unit of value].

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 3, Sec. 3.2.2.4 (a 95 % interval of a normal is +/- 1.96 standard deviations).
    """
    value = np.asarray(value, dtype="float64")
    return value * np.nan_to_num(np.asarray(uncertainty_pct, dtype="float64")) / 100 / Z_95


def student_t_975(df: ArrayLike) -> np.ndarray:
    """Two-sided 95 % Student t quantile t(0.975, df) [-] (1.96 as df grows without bound).

    Parameters
    ----------
    df : array_like
        Degrees of freedom [count], n - 1 for the mean of n profiles.

    Returns
    -------
    numpy.ndarray
        t(0.975, df) [-]: 12.706 for df = 1, 2.776 for df = 4, 2.262 for df = 9.

    Notes
    -----
    The 95 % interval of a mean of n samples with unknown variance is mean +/- t(0.975, n - 1)
    x SE (Student 1908); 1.96 x SE is too narrow for small n (by 29 % at n = 5).

    References
    ----------
    .. [1] Student (1908). The probable error of a mean. Biometrika 6(1), 1-25.
    """
    return np.asarray(stats.t.ppf(0.975, np.asarray(df, dtype="float64")), dtype="float64")


def source_rows(stratum_factors: pd.DataFrame) -> pd.DataFrame:
    """The distinct source rows of resolved factors and their distributions.

    Parameters
    ----------
    stratum_factors : pandas.DataFrame
        Resolved factors with the ``vocab.DRAW_COLUMNS`` (``source_row``, ``row_mean``,
        ``row_sd``, ``row_df``, ``ref_row``, ``ref_mean``, ``ref_sd``, ``ref_df``).

    Returns
    -------
    pandas.DataFrame
        One row per source row (sorted by key): ``source_row``, ``mean`` and ``sd`` [unit of
        the row: t C ha-1 for SOC_REF and profile means, - for factors], ``df`` [count; NaN =
        normal].

    Raises
    ------
    ValueError
        When one key comes with two different distributions (two tables disagree about a row).
    """
    own = stratum_factors[["source_row", "row_mean", "row_sd", "row_df"]]
    ref = stratum_factors[["ref_row", "ref_mean", "ref_sd", "ref_df"]]
    specs = pd.concat(
        [own.set_axis(SPEC_COLUMNS, axis=1), ref.set_axis(SPEC_COLUMNS, axis=1)],
        ignore_index=True,
    )
    specs = specs[specs["source_row"].notna()].drop_duplicates()
    clash = specs["source_row"].duplicated(keep=False)
    if clash.any():
        keys = sorted(specs.loc[clash, "source_row"].unique())
        raise ValueError(f"source rows with two different distributions: {keys}")
    return specs.sort_values("source_row").reset_index(drop=True)


def _row_seed(seed: int, key: str) -> list[int]:
    """Entropy of one source row's stream: the run seed and a stable hash of the row key."""
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return [int(seed), int.from_bytes(digest[:8], "little")]


def _draw_row(rng: np.random.Generator, mean: float, sd: float, df: float, n: int) -> np.ndarray:
    """n draws of mean + sd x (normal or t_df), truncated to > 0 by redrawing."""

    def variates(size: int) -> np.ndarray:
        noise = rng.standard_normal(size) if np.isnan(df) else rng.standard_t(df, size)
        return mean + sd * noise

    values = variates(n)
    for _ in range(MAX_REDRAW_ROUNDS):
        bad = values <= 0
        if not bad.any():
            return values
        values[bad] = variates(int(bad.sum()))
    raise ValueError(f"cannot draw positive values around mean {mean} with sd {sd}")


def draw_source_rows(specs: pd.DataFrame, *, n_draws: int, seed: int) -> np.ndarray:
    r"""Monte Carlo values of source rows: column j = row j of ``specs``, row 0 = the means.

    Parameters
    ----------
    specs : pandas.DataFrame
        :func:`source_rows` output: ``source_row``, ``mean``, ``sd`` [unit of the row], ``df``
        [count; NaN = normal].
    n_draws : int
        N, the number of sampled draws [count]; 0 gives draw 0 only.
    seed : int
        Run seed [-]; with the row key it seeds each row's own stream.

    Returns
    -------
    numpy.ndarray
        Shape (N + 1, rows) [unit of each row]; draw 0 = ``mean`` (the deterministic estimate).

    Notes
    -----
    .. math:: X^{(k)} = \mu + \sigma \, Z^{(k)}, \quad Z \sim \mathcal{N}(0, 1)
        \text{ or } t_{\nu}, \quad \text{redrawn while } X^{(k)} \le 0

    so the distribution is truncated at 0 (not clipped: no mass at 0). The mean of the
    truncated normal is :math:`\mu + \sigma \varphi(\alpha) / (1 - \Phi(\alpha))`,
    :math:`\alpha = -\mu/\sigma`: +1.7 % for U = +/-90 %, +0.005 % for U = +/-50 %. A row with
    sd 0 stays at its mean.
    """
    out = np.empty((n_draws + 1, len(specs)), dtype="float64")
    rows = specs[SPEC_COLUMNS].itertuples(index=False)
    for j, (key, mean, sd, df) in enumerate(rows):  # one stream per source row (tens of rows)
        out[0, j] = mean
        if n_draws == 0:
            continue
        if not sd > 0:
            out[1:, j] = mean
            continue
        rng = np.random.default_rng(_row_seed(seed, key))
        out[1:, j] = _draw_row(rng, float(mean), float(sd), float(df), n_draws)
    return out


def source_row_draws(stratum_factors: pd.DataFrame, *, n_draws: int, seed: int) -> pd.DataFrame:
    """Monte Carlo draws keyed by source table row (long form).

    Parameters
    ----------
    stratum_factors : pandas.DataFrame
        Resolved factors with the ``vocab.DRAW_COLUMNS``.
    n_draws : int
        N [count]; draw 0 holds the table values.
    seed : int
        Run seed [-].

    Returns
    -------
    pandas.DataFrame
        One row per (draw, source_row): ``draw`` (int32, 0..N), ``source_row`` and ``value``
        [unit of the row].
    """
    specs = source_rows(stratum_factors)
    values = draw_source_rows(specs, n_draws=n_draws, seed=seed)
    return pd.DataFrame({
        "draw": np.repeat(np.arange(n_draws + 1, dtype="int32"), len(specs)),
        "source_row": np.tile(specs["source_row"].to_numpy(dtype=object), n_draws + 1),
        "value": values.ravel(),
    })  # fmt: skip


def _factor_matrix(
    stratum_factors: pd.DataFrame, *, n_draws: int, seed: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Distinct resolved factors and their draws, shape (N + 1, factors)."""
    factors = stratum_factors.drop_duplicates("factor_id").reset_index(drop=True)
    specs = source_rows(factors)
    rows = draw_source_rows(specs, n_draws=n_draws, seed=seed)
    return factors, _factor_values(factors, specs, rows)


def _factor_values(factors: pd.DataFrame, specs: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Factor values (draws x factors) from source-row values (draws x rows): own / ref."""
    position = pd.Series(np.arange(len(specs)), index=specs["source_row"])
    own = rows[:, position.loc[factors["source_row"]].to_numpy()]
    has_ref = factors["ref_row"].notna().to_numpy()
    ref = np.ones_like(own)
    ref[:, has_ref] = rows[:, position.loc[factors.loc[has_ref, "ref_row"]].to_numpy()]
    return own / ref


def factor_draws(stratum_factors: pd.DataFrame, *, n_draws: int, seed: int) -> pd.DataFrame:
    r"""Monte Carlo values of each resolved factor: draw 0 = table value, draws 1..N sampled.

    Parameters
    ----------
    stratum_factors : pandas.DataFrame
        Resolved factors (``stratum_factors.sql``): ``factor_id``, ``value`` [t C ha-1 for
        SOC_REF, - for F_LU, F_MG, F_I] and the ``vocab.DRAW_COLUMNS``.
    n_draws : int
        N, the number of sampled draws [count]; 0 gives draw 0 only.
    seed : int
        Run seed [-]; the same seed gives the same draws for the same source rows.

    Returns
    -------
    pandas.DataFrame
        One row per (draw, factor_id): ``draw`` (int32, 0..N), ``factor_id`` and ``value``
        [unit of the factor].

    Notes
    -----
    The value of factor f in draw k is its source row's draw, divided by its reference row's
    draw when the factor is a ratio (Tier 2):

    .. math:: F^{(k)} = X^{(k)}_{row(f)} \, / \, X^{(k)}_{ref(f)}

    (:func:`draw_source_rows`), so factors from one source row are perfectly correlated and a
    Tier 2 SOC_REF and the F_LU ratios over the same native mean are drawn jointly [1]_.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 3, Sec. 3.2.3 (Approach 2, Monte Carlo; correlated inputs sampled together).
    """
    factors, values = _factor_matrix(stratum_factors, n_draws=n_draws, seed=seed)
    return pd.DataFrame({
        "draw": np.repeat(np.arange(n_draws + 1, dtype="int32"), len(factors)),
        "factor_id": np.tile(factors["factor_id"].to_numpy(dtype=object), n_draws + 1),
        "value": values.ravel(),
    })  # fmt: skip


def stratum_stock_draws(
    stratum_factors: pd.DataFrame, *, n_draws: int, seed: int, keys: Sequence[str] = STRATUM_KEYS
) -> tuple[pd.DataFrame, np.ndarray]:
    r"""Stock per hectare SOC_REF x F_LU x F_MG x F_I [t C ha-1] of each stratum, per draw.

    Parameters
    ----------
    stratum_factors : pandas.DataFrame
        Resolved factors: stratum ``keys``, ``factor``, ``factor_id`` and the
        ``vocab.DRAW_COLUMNS``; four factors per stratum.
    n_draws : int
        N [count].
    seed : int
        Run seed [-].
    keys : sequence of str, optional
        Columns identifying a stratum.

    Returns
    -------
    strata : pandas.DataFrame
        The stratum keys, one row per stratum (column j of the matrix).
    stock_per_ha : numpy.ndarray
        Shape (N + 1, strata) [t C ha-1]; draw 0 = table values.

    Notes
    -----
    The stock term of IPCC 2006 Vol.4 Ch.2 Eq. 2.25 per hectare,
    :math:`SOC_{REF} F_{LU} F_{MG} F_I`, with the factors of :func:`factor_draws`.
    """
    factors, values = _factor_matrix(stratum_factors, n_draws=n_draws, seed=seed)
    return _stratum_products(stratum_factors, factors, values, keys)


def _stratum_products(
    stratum_factors: pd.DataFrame, factors: pd.DataFrame, values: np.ndarray, keys: Sequence[str]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Per stratum and draw, the product of its four factor values (draws x strata)."""
    n_draws = values.shape[0] - 1
    position = pd.Series(np.arange(len(factors)), index=factors["factor_id"])
    codes = stratum_factors.groupby(list(keys), sort=True).ngroup().to_numpy()
    strata = stratum_factors[list(keys)].drop_duplicates().sort_values(list(keys))
    product = np.ones((n_draws + 1, len(strata)), dtype="float64")
    columns = position.loc[stratum_factors["factor_id"]].to_numpy()
    for code, column in zip(codes, columns, strict=True):  # 4 factors x strata, not draws
        product[:, code] *= values[:, column]
    return strata.reset_index(drop=True), product


# ---------------------------------------------------------------------------- sensitivities
# Relative step of the one-at-a-time sensitivities of the Approach 1 propagation: the terms of
# IPCC 2006 Vol.1 Ch.3 Eq. 3.1/3.2 are first order, c_f = f x dE/df, taken as a forward
# difference (E(f (1 + h)) - E(f)) / h. Exact for a parameter E is linear in (SOC_REF and every
# factor of Eq. 2.25); first order for the reference mean a Tier 2 ratio divides by.
SENSITIVITY_STEP = 2.0**-20


def source_row_uncertainty_pct(specs: pd.DataFrame) -> np.ndarray:
    """Half-width of each source row's 95 % interval as % of its mean [%].

    ``t(0.975, df) x sd / |mean| x 100`` for a Tier 2 mean of n profiles (df = n - 1), ``1.96
    x sd / |mean| x 100`` otherwise: the inverse of :func:`normal_sd` for table rows.
    """
    df = specs["df"].to_numpy(dtype="float64")
    quantile = np.where(np.isfinite(df), student_t_975(np.where(np.isfinite(df), df, 1.0)), Z_95)
    mean = np.abs(specs["mean"].to_numpy(dtype="float64"))
    sd = specs["sd"].to_numpy(dtype="float64")
    return np.divide(quantile * sd * 100, mean, out=np.zeros_like(sd), where=mean > 0)


def sensitivity_rows(
    stratum_factors: pd.DataFrame, *, step: float = SENSITIVITY_STEP
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, pd.DataFrame]:
    r"""One-at-a-time perturbations of the uncertain source rows, for Approach 1 propagation.

    Parameters
    ----------
    stratum_factors : pandas.DataFrame
        Resolved factors with the ``vocab.DRAW_COLUMNS``.
    step : float, default SENSITIVITY_STEP
        h, the relative perturbation [-].

    Returns
    -------
    factors : pandas.DataFrame
        The distinct resolved factors (column order of ``values``).
    specs : pandas.DataFrame
        :func:`source_rows` output.
    values : numpy.ndarray
        Factor values, shape (K + 1, factors): draw 0 at the means, draw k with the k-th
        uncertain source row at mean x (1 + h) [unit of each factor].
    parameters : pandas.DataFrame
        ``draw`` (1..K), ``parameter`` (the source row key), ``uncertainty_pct`` [%]
        (:func:`source_row_uncertainty_pct`) and ``relative_step`` [-].

    Notes
    -----
    The parameters of the propagation are the source rows, as in the Monte Carlo: a table row
    shared by several zones or strata is one parameter, so its terms are summed before Eq. 3.2
    (correlated inputs, IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3.1).
    """
    factors = stratum_factors.drop_duplicates("factor_id").reset_index(drop=True)
    specs = source_rows(factors)
    uncertain = np.flatnonzero(specs["sd"].fillna(0).to_numpy(dtype="float64") > 0)
    rows = np.tile(specs["mean"].to_numpy(dtype="float64"), (len(uncertain) + 1, 1))
    rows[np.arange(1, len(uncertain) + 1), uncertain] *= 1 + step
    parameters = pd.DataFrame({
        "draw": np.arange(1, len(uncertain) + 1, dtype="int32"),
        "parameter": specs["source_row"].to_numpy(dtype=object)[uncertain],
        "uncertainty_pct": source_row_uncertainty_pct(specs)[uncertain],
        "relative_step": step,
    })  # fmt: skip
    return factors, specs, _factor_values(factors, specs, rows), parameters


def sensitivity_factor_draws(
    stratum_factors: pd.DataFrame, *, step: float = SENSITIVITY_STEP
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`sensitivity_rows` as a ``factor_draws`` table (draw, factor_id, value) for the
    engine's per-draw SQL models, and the parameters of its draws."""
    factors, _, values, parameters = sensitivity_rows(stratum_factors, step=step)
    draws = pd.DataFrame({
        "draw": np.repeat(np.arange(len(values), dtype="int32"), len(factors)),
        "factor_id": np.tile(factors["factor_id"].to_numpy(dtype=object), len(values)),
        "value": values.ravel(),
    })  # fmt: skip
    return draws, parameters


def sensitivity_stock_draws(
    stratum_factors: pd.DataFrame,
    *,
    step: float = SENSITIVITY_STEP,
    keys: Sequence[str] = STRATUM_KEYS,
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """:func:`sensitivity_rows` as stock per hectare of each stratum and draw [t C ha-1]
    (the shape of :func:`stratum_stock_draws`), and the parameters of its draws."""
    factors, _, values, parameters = sensitivity_rows(stratum_factors, step=step)
    strata, products = _stratum_products(stratum_factors, factors, values, keys)
    return strata, products, parameters


def with_area_sensitivities(
    strata: pd.DataFrame,
    products: np.ndarray,
    parameters: pd.DataFrame,
    area_uncertainty: pd.DataFrame,
    *,
    step: float = SENSITIVITY_STEP,
    keys: Sequence[str] = STRATUM_KEYS,
) -> tuple[np.ndarray, pd.DataFrame]:
    """:func:`sensitivity_stock_draws` with one more draw per stratum whose area is uncertain.

    Parameters
    ----------
    strata : pandas.DataFrame
        The strata (``keys``) in the column order of ``products``.
    products : numpy.ndarray
        Stock per hectare of each stratum per sensitivity draw [t C ha-1], draw 0 first.
    parameters : pandas.DataFrame
        The parameters of the draws (draw, parameter, uncertainty_pct, relative_step).
    area_uncertainty : pandas.DataFrame
        ``keys`` and ``area_uncertainty_pct`` [%] per stratum (:func:`stratum_area_uncertainty`).
    step : float
        Relative step h [-].

    Returns
    -------
    tuple
        The products with a draw per uncertain stratum (its column x (1 + h): the area enters
        Eq. 2.25 as a factor of the stratum's term, so scaling the stock per hectare is
        scaling the area) and the parameters with those draws (``area <keys>``, U [%]).

    Notes
    -----
    The activity data are a parameter of the Approach 1 propagation like a factor (IPCC 2006
    Vol.1 Ch.3 Eq. 3.1/3.2): c_A = (E(A (1 + h)) - E) / h. One parameter per stratum, the
    same in every year (the Monte Carlo's correlation assumption, :func:`area_multipliers`),
    so in Table 3.2 the areas' trend uncertainty is carried by the type A sensitivity of
    column K (correlated between the years), not by column L.
    """
    merged = strata.merge(area_uncertainty, on=list(keys), how="left")
    u = merged[AREA_UNCERTAINTY].fillna(0.0).to_numpy(dtype="float64")
    uncertain = np.flatnonzero(u > 0)
    if not len(uncertain):
        return products, parameters
    extra = np.tile(products[0], (len(uncertain), 1))
    extra[np.arange(len(uncertain)), uncertain] *= 1 + step
    first = len(products)
    names = ["area " + " | ".join(str(v) for v in row)
             for row in strata.iloc[uncertain][list(keys)].itertuples(index=False)]  # fmt: skip
    more = pd.DataFrame({
        "draw": np.arange(first, first + len(uncertain), dtype="int32"),
        "parameter": names, "uncertainty_pct": u[uncertain], "relative_step": step,
    })  # fmt: skip
    return np.vstack([products, extra]), pd.concat([parameters, more], ignore_index=True)


# ------------------------------------------------------------ printed asymmetric intervals
def two_piece_normal_draws(specs: pd.DataFrame, *, n_draws: int, seed: int) -> np.ndarray:
    r"""Monte Carlo values of factors printed with a 95 % interval that may be asymmetric.

    Parameters
    ----------
    specs : pandas.DataFrame
        One row per printed factor: ``key`` (the factor's identity, which seeds its stream),
        ``value`` [unit of the factor], ``ci_low`` and ``ci_high`` [same unit; the 95 %
        interval as printed; NaN, or ``ci_high <= ci_low``: no uncertainty].
    n_draws : int
        N, the number of sampled draws [count]; 0 gives draw 0 only.
    seed : int
        Run seed [-]; with the key it seeds each factor's own stream.

    Returns
    -------
    numpy.ndarray
        Shape (N + 1, factors) [unit of each factor]; draw 0 = ``value``.

    Notes
    -----
    A two-piece normal around the printed value, its lower half with
    :math:`\sigma_- = (value - ci_{low}) / 1.96` and its upper half with
    :math:`\sigma_+ = (ci_{high} - value) / 1.96`:

    .. math:: X^{(k)} = value + Z^{(k)} \sigma_{\operatorname{sign}(Z^{(k)})},
        \quad Z \sim \mathcal{N}(0, 1)

    so its 2.5th and 97.5th percentiles are the printed bounds (both sides of an asymmetric
    interval kept; IPCC 2006 Vol.1 Ch.3 Sec. 3.2.2.4 reads a 95 % interval as +/- 1.96
    standard deviations). Not truncated: an emission factor may be negative (a removal).
    """
    out = np.empty((n_draws + 1, len(specs)), dtype="float64")
    rows = specs[["key", "value", "ci_low", "ci_high"]].itertuples(index=False)
    for j, (key, value, low, high) in enumerate(rows):  # one stream per printed factor
        out[:, j] = value
        if n_draws == 0 or not high > low:  # NaN bounds compare False: no uncertainty
            continue
        z = np.random.default_rng(_row_seed(seed, key)).standard_normal(n_draws)
        below, above = (value - low) / Z_95, (high - value) / Z_95
        out[1:, j] = value + z * np.where(z < 0, below, above)
    return out


# ------------------------------------------------------------------ activity data (areas)
# Column of the area datasets (land_areas, land_units, land_use_changes, organic_soils) holding
# the half-width of the 95 % interval of a row's area, % of the area. No default is assumed:
# the IPCC guidance found gives a range for Approach 1/2 area estimates ("a few % to 10 %",
# GPG-LULUCF 2003 Ch.2, via a secondary summary), not a default number, so an area without a
# submitted uncertainty is treated as exact (0 %).
AREA_UNCERTAINTY = vocab.AREA_UNCERTAINTY
AREA_STREAM = "area | "  # prefix of an area multiplier's stream key (never a source row key)


def stratum_area_uncertainty(
    areas: pd.DataFrame, keys: Sequence[str], *, exclude: pd.Series | None = None
) -> pd.DataFrame:
    """Area uncertainty U [%] of each stratum: the area-weighted mean of its rows' values.

    Parameters
    ----------
    areas : pandas.DataFrame
        Rows with the ``keys``, ``area_ha`` [ha] and optionally ``area_uncertainty_pct`` [%]
        (empty = exact, 0 %).
    keys : sequence of str
        Columns identifying a stratum (the years of a stratum share one value).
    exclude : pandas.Series of bool, optional
        Rows left out of the mean (e.g. back-cast history years, which carry no submitted
        uncertainty of their own).

    Returns
    -------
    pandas.DataFrame
        One row per stratum (sorted by ``keys``): the keys and ``area_uncertainty_pct`` [%];
        0 where nothing was submitted (or the column is absent).
    """
    rows = areas if exclude is None else areas[~exclude.to_numpy()]
    if rows.empty:
        rows = areas
    u = rows[AREA_UNCERTAINTY] if AREA_UNCERTAINTY in rows else pd.Series(0.0, index=rows.index)
    area = rows["area_ha"].astype("float64").clip(lower=0)
    frame = rows[list(keys)].assign(
        _w=area, _wu=area * u.astype("float64").fillna(0.0), _u=u.astype("float64").fillna(0.0)
    )
    grouped = frame.groupby(list(keys), sort=True, dropna=False)
    sums = grouped[["_w", "_wu"]].sum()
    plain = grouped["_u"].mean()  # strata of zero area: the plain mean
    value = np.where(sums["_w"] > 0, sums["_wu"] / sums["_w"].where(sums["_w"] > 0, 1.0), plain)
    return sums.index.to_frame(index=False).assign(**{AREA_UNCERTAINTY: value})


def area_multipliers(
    strata: pd.DataFrame, keys: Sequence[str], *, n_draws: int, seed: int
) -> np.ndarray:
    r"""Monte Carlo multipliers of stratum areas [-]: column j = stratum j of ``strata``.

    Parameters
    ----------
    strata : pandas.DataFrame
        One row per stratum: the ``keys`` and ``area_uncertainty_pct`` [%] (U, the half-width
        of the 95 % interval of its area as % of the area; NaN = 0 = exact).
    keys : sequence of str
        Columns naming the stratum; with the run seed they seed the stratum's own stream.
    n_draws : int
        N [count]; 0 gives draw 0 only.
    seed : int
        Run seed [-].

    Returns
    -------
    numpy.ndarray
        Shape (N + 1, strata) [-]; draw 0 = 1 (the submitted areas).

    Notes
    -----
    .. math:: m^{(k)}_s = 1 + \sigma_s Z^{(k)}_s, \qquad \sigma_s = \frac{U_s}{100 \times 1.96},
        \quad Z \sim \mathcal{N}(0, 1), \text{ redrawn while } m \le 0

    (a 95 % half-width of U % is 1.96 standard deviations, IPCC 2006 Vol.1 Ch.3 Sec. 3.2.2.4;
    activity data uncertainty propagated with the factors in the Approach 2 Monte Carlo,
    Sec. 3.2.3 [1]_). One multiplier per stratum and draw scales the stratum's area in **every
    year**: the error of an area estimate is taken as fully correlated over the time series
    (the same survey, map or census classification behind each year), so a trend is not made
    noisy by independent yearly errors; strata are independent of each other and of the
    factors. Each stratum has its own stream (seed, ``area | `` + its keys), independent of
    which other strata a run holds.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 3, Sec. 3.2.2.4 and 3.2.3 (Approach 2, Monte Carlo, activity data and factors).
    """
    u = strata[AREA_UNCERTAINTY].to_numpy(dtype="float64") if len(strata) else np.empty(0)
    sd = normal_sd(np.ones_like(u), u)
    out = np.ones((n_draws + 1, len(strata)), dtype="float64")
    if n_draws == 0:
        return out
    names = strata[list(keys)].astype("str").agg(" | ".join, axis=1).to_numpy(dtype=object)
    for j in np.flatnonzero(sd > 0):  # one stream per uncertain stratum
        rng = np.random.default_rng(_row_seed(seed, AREA_STREAM + str(names[j])))
        out[1:, j] = _draw_row(rng, 1.0, float(sd[j]), float("nan"), n_draws)
    return out


# ------------------------------------------------------------ intervals of published rows
# The 95 % interval of a Monte Carlo result: its 2.5th and 97.5th percentiles (IPCC 2006 Vol.1
# Ch.3 Sec. 3.2.3.2), linear interpolation as quantile_cont in the SQL models.
INTERVAL_QUANTILES = (0.025, 0.975)
# Two-row groups (low and high order statistic) whose quantile_cont DuckDB interpolates.
_ORDER_STATISTICS = "interval_order_statistics"


def draw_intervals(
    samples: np.ndarray,
    con: duckdb.DuckDBPyConnection,
    *,
    overwrite: bool = False,
    mean: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""95 % interval and mean of the draws 1..N of each row of ``samples``.

    Parameters
    ----------
    samples : numpy.ndarray
        Shape (rows, N + 1), float64: column 0 the deterministic estimate (draw 0), columns
        1..N the Monte Carlo draws [any unit].
    con : duckdb.DuckDBPyConnection
        Connection that interpolates between the two order statistics of each bound (a
        temporary view ``interval_order_statistics`` is placed on it and removed).
    overwrite : bool, default False
        Reorder the draws of ``samples`` in place (no copy) instead of a copy of them.
    mean : bool, default True
        Compute the mean (NaN in its place when False).

    Returns
    -------
    low, high, mean : numpy.ndarray
        Shape (rows,) [unit of the samples]: the 2.5th and 97.5th percentiles and the mean of
        draws 1..N; NaN when N = 0.

    Notes
    -----
    The 95 % interval of a Monte Carlo result is its 2.5th and 97.5th percentile [1]_,
    linearly interpolated between order statistics as DuckDB's ``quantile_cont`` in
    ``stock_change_uncertainty.sql`` and ``stock_change_totals.sql``:

    .. math:: h = (N - 1) \, p, \quad Q(p) = x_{(\lfloor h \rfloor)} (1 - d)
        + x_{(\lceil h \rceil)} \, d, \quad d = h - \lfloor h \rfloor

    (x sorted, 0-based). Equal to the SQL to the last bit: the two order statistics are
    selected by ``numpy.partition`` (a selection, no arithmetic) and the interpolation is
    DuckDB's own ``quantile_cont`` over those two values at q = d (for two values its h is
    q, so lo and hi are combined by the same compiled code and rounding as over N values;
    ``numpy.quantile(method='linear')`` rounds differently in the last bit). The mean adds
    draws 1..N in draw order from 0, as ``avg`` over draws read in that order, and divides
    by N.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 3, Sec. 3.2.3 (Approach 2, Monte Carlo; 95 % interval from the 2.5th and 97.5th
       percentiles).
    """
    rows, n = samples.shape[0], samples.shape[1] - 1
    if n <= 0 or rows == 0:
        empty = np.full(rows, np.nan)
        return empty, empty.copy(), empty.copy()
    draws = samples[:, 1:]
    total = np.zeros(rows) if mean else np.full(rows, np.nan)
    for k in range(n if mean else 0):  # in draw order, a column at a time (not pairwise)
        total += draws[:, k]
    positions = [float(n - 1) * q for q in INTERVAL_QUANTILES]
    kth = sorted({k for h in positions for k in (math.floor(h), math.ceil(h))})
    if overwrite:
        draws.partition(kth, axis=1)
        ordered = draws
    else:
        ordered = np.partition(draws, kth, axis=1)
    pairs: dict[str, np.ndarray] = {"item": np.repeat(np.arange(rows, dtype="int64"), 2)}
    params: dict[str, float] = {}
    for i, h in enumerate(positions):
        pair = ordered[:, [math.floor(h), math.ceil(h)]]  # (rows, 2): lo, hi
        pairs[f"v{i}"] = np.ascontiguousarray(pair).ravel()
        params[f"d{i}"] = h - math.floor(h)
    con.register(_ORDER_STATISTICS, pd.DataFrame(pairs))
    try:
        bounds = con.execute(
            f"SELECT quantile_cont(v0, $d0) AS low, quantile_cont(v1, $d1) AS high "
            f"FROM {_ORDER_STATISTICS} GROUP BY item ORDER BY item",
            params,
        ).fetchnumpy()
    finally:
        con.unregister(_ORDER_STATISTICS)
    return (
        np.asarray(bounds["low"], dtype="float64"),
        np.asarray(bounds["high"], dtype="float64"),
        total / n,
    )


def grouped_quantile_intervals(samples: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """2.5th and 97.5th percentiles of each row of ``samples`` (rows, draws 1..N), as pandas'
    grouped ``quantile`` (linear) over a long table of those draws gives them, to the bit.

    pandas interpolates between the two order statistics of a bound at d = h - floor(h),
    h = (N - 1) q: both are selected by ``numpy.partition`` (no arithmetic) and pandas' own
    grouped quantile interpolates each pair at q = d (for two values its h is d), so the
    rounding is pandas'. Rows holding NaN or infinities (which pandas skips, resp. orders)
    take pandas' grouped quantile over their values directly.
    """
    rows, n = samples.shape
    low, high = np.full(rows, np.nan), np.full(rows, np.nan)
    if n == 0 or rows == 0:
        return low, high
    finite = np.isfinite(samples).all(axis=1)
    if finite.any():
        positions = [float(n - 1) * q for q in INTERVAL_QUANTILES]
        kth = sorted({k for h in positions for k in (math.floor(h), math.ceil(h))})
        ordered = np.partition(samples[finite], kth, axis=1)
        item = np.repeat(np.arange(len(ordered)), 2)
        for bound, h in zip((low, high), positions, strict=True):
            pairs = pd.Series(np.ascontiguousarray(ordered[:, [math.floor(h), math.ceil(h)]])
                              .ravel())  # fmt: skip
            bound[finite] = pairs.groupby(item).quantile(h - math.floor(h)).to_numpy()
    other = np.flatnonzero(~finite)
    if len(other):
        long = pd.DataFrame({"row": np.repeat(other, n), "v": samples[other].ravel()})
        bounds = long.groupby("row")["v"].quantile(np.array(INTERVAL_QUANTILES)).unstack()
        low[bounds.index.to_numpy()] = bounds[INTERVAL_QUANTILES[0]].to_numpy()
        high[bounds.index.to_numpy()] = bounds[INTERVAL_QUANTILES[1]].to_numpy()
    return low, high


def attach_intervals(out: pd.DataFrame, draws: pd.DataFrame, keys: Sequence[str],
                     values: Sequence[str], columns: Sequence[str],
                     rows: np.ndarray) -> pd.DataFrame:  # fmt: skip
    """``out`` with the 95 % interval of each of ``values`` over the ``draws`` (draw > 0),
    grouped by ``keys``, written into ``columns`` (low, high per value, in order) on the
    ``rows`` (boolean mask) of ``out``; other rows keep what they had. Set-based: one
    grouped quantile per value, one keyed reindex per column."""
    grouped = draws.groupby(list(keys))
    bounds = pd.concat([grouped[v].quantile(np.array(INTERVAL_QUANTILES)).unstack()
                        for v in values], axis="columns")  # fmt: skip
    bounds.columns = list(columns)
    keyed = pd.MultiIndex.from_frame(out.loc[rows, list(keys)])
    for column in columns:
        out.loc[rows, column] = bounds[column].reindex(keyed).to_numpy()
    return out
