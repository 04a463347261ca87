"""Tier 2: country-specific SOC_REF and stock change factors from harmonised soil profiles.

IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.1 lets a country replace the Tier 1 defaults with values from
national measurements. Here they are stratum means of harmonised 0-30 cm stocks:

* ``SOC_REF(c, s)`` = mean stock of the profiles under the native/reference land use in
  climate zone ``c`` and soil class ``s`` (any management/input code of those profiles).
* ``F_LU``, ``F_MG``, ``F_I`` = ratio of two stratum means in the same ``c, s``: a stratum that
  differs from its reference in one factor only, every other factor at its IPCC reference
  condition (full tillage and medium input for cropland, nominal management for grassland).
  The pairs are data: ``inventory/data/tier2_factor_ratios.csv`` (one row per factor and level,
  with its citation and a comment on each judgement call). For example::

      F_LU(cropland)   = mean(cropland, full_tillage, medium) / mean(native)
      F_MG(no_tillage) = mean(cropland, no_tillage, medium)   / mean(cropland, full_tillage, medium)
      F_I(low)         = mean(cropland, full_tillage, low)    / mean(cropland, full_tillage, medium)
      F_MG(improved)   = mean(grassland, improved, medium)    / mean(grassland, nominal, n/a)

  Grassland F_LU is 1 by definition (Vol.4 Ch.6 Table 6.2) and is not derived; forest land,
  settlements, wetlands and other land stay at their Tier 1 reference factors.

Every mean needs ``min_profiles`` profiles (default 5) with a 0-30 cm interval covering at least
``min_coverage`` (default 0.9) of the layer; a profile covering less than all of it is scaled to
the full layer (stock / coverage, flagged in ``n_scaled``), never counted as a full 0-30 cm
stock. Uncertainty is the 95 % half-width in % of the value: ``t(0.975, n - 1) x SE / mean`` for
SOC_REF (Student t: 2.776 for n = 5; 1.96 would be 29 % too narrow); for a ratio the two
relative uncertainties add in quadrature (IPCC 2006 Vol.1 Ch.3 Eq. 3.1, Approach 1 propagation
of error for products and quotients). In the Monte Carlo the stratum means themselves are drawn
(mean + SE x t(n - 1)) and a ratio is the ratio of its means' draws, so SOC_REF and the F_LU
ratios over the same native mean are drawn jointly (``vocab.DRAW_COLUMNS``).

The result is in canonical factor form (``inventory.core.vocab.FACTOR_COLUMNS``), tier
``tier2_derived``, ready for ``factors.factor_table(edition, derived=...)``; in the resolution
order it ranks below submitted factors and above IPCC defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import duckdb
import numpy as np
import pandas as pd

from inventory.core import vocab
from inventory.engine import sql_models
from inventory.engine.mineral_soils import factors
from inventory.engine.uncertainty import montecarlo

DEFAULT_MIN_PROFILES = 5
DEFAULT_MIN_COVERAGE = 0.9  # fraction of the 0-30 cm layer covered by measured horizons
INTERVAL_COLUMNS = [
    "country", "profile_id", "year", "lat", "lon", "climate_zone", "soil_class", "land_use",
    "management", "input", "upper_cm", "lower_cm", "stock_tc_per_ha", "coverage_fraction",
    "depth_method",
]  # fmt: skip


@dataclass
class DerivedFactors:
    """Tier 2 factors in canonical form, and the stratum statistics they came from."""

    factors: pd.DataFrame
    diagnostics: pd.DataFrame


@lru_cache(maxsize=1)
def ratio_definitions() -> pd.DataFrame:
    """The numerator/reference strata of every derivable Tier 2 factor.

    Returns
    -------
    pandas.DataFrame
        ``inventory/data/tier2_factor_ratios.csv`` as strings: one row per factor and level,
        with the numerator (``num_*``) and reference (``den_*``) land use, management and
        input codes, the citation and a comment on each judgement call. Checked at load:
        factor names, and every code against the vocabulary (``*`` = pooled).

    Raises
    ------
    inventory.engine.mineral_soils.factors.FactorError
        Naming the rows with an unknown factor or code.
    """
    path = resources.files("inventory.data").joinpath("tier2_factor_ratios.csv")
    with path.open("rb") as handle:
        table = pd.read_csv(handle, dtype=str)
    bad = ~table["factor"].isin(vocab.FACTORS)
    allowed = {
        "land_use": vocab.LAND_USES, "management": vocab.MANAGEMENTS, "input": vocab.INPUTS,
    }  # fmt: skip
    for side in ("num", "den"):
        for key, codes in allowed.items():
            column = table[f"{side}_{key}"]
            bad |= column.notna() & ~column.isin((*codes, vocab.WILDCARD))
    if bad.any():
        rows = table.index[bad].tolist()
        raise factors.FactorError(f"tier2_factor_ratios.csv: unknown code in rows {rows}")
    return table


def derive_factors(
    intervals: pd.DataFrame,
    *,
    min_profiles: int = DEFAULT_MIN_PROFILES,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
    con: duckdb.DuckDBPyConnection | None = None,
) -> DerivedFactors:
    r"""Country-specific SOC_REF [t C ha-1] and F_LU, F_MG, F_I [-] from harmonised profiles.

    Parameters
    ----------
    intervals : pandas.DataFrame
        Harmonised profile intervals (``INTERVAL_COLUMNS``); only rows with ``upper_cm`` = 0
        and ``lower_cm`` = 30 [cm] and ``coverage_fraction`` >= ``min_coverage`` [0-1] are
        used; ``stock_tc_per_ha`` [t C ha-1] of the covered part, divided by
        ``coverage_fraction`` (scaled to the full layer).
    min_profiles : int, default 5
        Profiles [count] every stratum mean needs before it may feed a factor (>= 2, so that
        a standard error exists).
    min_coverage : float, default 0.9
        Minimum fraction [0-1] of the 0-30 cm layer covered by measured horizons.
    con : duckdb.DuckDBPyConnection, optional
        Connection to run the SQL models on (a new in-memory one by default).

    Returns
    -------
    DerivedFactors
        ``factors``: canonical factor rows (``vocab.FACTOR_COLUMNS`` +
        ``vocab.DRAW_COLUMNS``; ``value`` [t C ha-1 for SOC_REF, - otherwise],
        ``uncertainty_pct`` [%, +/- of the value, 95 %], tier ``tier2_derived``, priority
        ``vocab.FACTOR_PRIORITY['tier2_derived']``, source naming n, mean and SE of each
        mean; the Monte Carlo source rows are the stratum means, a ratio's reference mean in
        ``ref_row``); ``diagnostics``: per stratum ``n_profiles`` [count],
        ``mean_tc_per_ha``, ``sd_tc_per_ha``, ``se_tc_per_ha`` [t C ha-1]
        (``tier2_stratum_means.sql``), ``sufficient`` (n reached ``min_profiles``) and
        ``n_scaled`` [count] (profiles scaled from partial 0-30 cm coverage).

    Raises
    ------
    ValueError
        When ``min_profiles`` < 2.

    Notes
    -----
    Tier 2 [1]_: per stratum, the sample mean :math:`\bar{x}`, standard deviation s (n - 1)
    and :math:`SE = s / \sqrt{n}` of the 0-30 cm stocks (a profile with several qualifying
    rows, e.g. re-sampled years, counts once with their mean; native profiles are pooled over
    management and input). Then, per climate zone c and soil class s,

    .. math::

        SOC_{REF}(c, s) = \bar{x}_{native}, \qquad
        F = \frac{\bar{x}_{numerator}}{\bar{x}_{reference}}

        U_{SOC_{REF}} = 100 \times \frac{t_{0.975, n-1} \, SE}{\bar{x}}, \qquad
        U_F = \sqrt{U_{num}^2 + U_{ref}^2}

    with the numerator/reference strata of :func:`ratio_definitions` (each differs from its
    reference in one factor only; factor definitions of [2]_ Table 5.5 and [3]_ Table 6.2,
    unchanged in the 2019 Refinement).
    U [%] is the 95 % half-width; the ratio uses propagation of error for a product (Eq. 3.1
    of [4]_, the same first-order relative error for a quotient; the two means come from
    different profiles, so independent). Departures from the IPCC tables: factors are derived
    per climate zone x soil class (more specific than the tables, which vary by climate
    only); a factor is produced only when every stratum it uses has n >= ``min_profiles``;
    the interval uses the Student t quantile of n - 1 degrees of freedom [5]_ (the IPCC
    tables' 1.96 assumes a known variance); in the Monte Carlo a ratio is drawn as the ratio
    of its two means' draws (:mod:`inventory.engine.uncertainty.montecarlo`), not as an independent
    factor.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Sec. 2.3.3.1 (Tier 2).
    .. [2] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 5, Table 5.5.
    .. [3] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 6, Table 6.2.
    .. [4] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 3, Eq. 3.1.
    .. [5] Student (1908). The probable error of a mean. Biometrika 6(1), 1-25.
    """
    if min_profiles < 2:
        raise ValueError("min_profiles must be at least 2 (a standard error needs n >= 2)")
    con = con or sql_models.connect()
    sql_models.register(con, {
        "intervals": intervals, "tier2_ratio_definitions": ratio_definitions(),
        "student_t": _student_t(len(intervals)),
    })  # fmt: skip
    params = {
        "min_profiles": min_profiles, "min_coverage": min_coverage,
        "priority": vocab.FACTOR_PRIORITY["tier2_derived"],
    }  # fmt: skip
    with sql_models.one_thread(con):  # means of fractional stocks: the same bits every run
        sql_models.run_model(con, "tier2_stratum_means", params, into="tier2_stratum_means")
        derived = sql_models.run_model(con, "tier2_factors", params)
    derived["uncertainty_pct"] = derived["uncertainty_pct"].astype("float64")
    diagnostics = con.execute("SELECT * FROM tier2_stratum_means ORDER BY ALL").df()
    return DerivedFactors(derived[[*vocab.FACTOR_COLUMNS, *vocab.DRAW_COLUMNS]], diagnostics)


def _student_t(max_df: int) -> pd.DataFrame:
    """t(0.975, df) [-] for df = 1 .. max_df (a stratum never has more profiles than rows)."""
    df = np.arange(1, max(max_df, 1) + 1)
    return pd.DataFrame({"df": df, "t_975": montecarlo.student_t_975(df)})
