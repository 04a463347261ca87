"""Key category analysis (IPCC 2006 Vol.1 Ch.4): level and trend, Approaches 1 and 2.

Over the categories this system computes (mineral-soil reporting categories, organic-soil
land uses by gas; ``soil_category_emissions.sql``) plus, when the compiler submits them
(``national_totals``), the national totals of the other sectors for the same year. Without
national totals the analysis covers the soil categories alone and is labelled ``lulucf_only``:
key categories of a national inventory need the whole inventory.

Approach 1: level (Eq. 4.1) and trend (Eq. 4.2) with absolute values, key = the categories that
reach 95 % of the cumulative total. Approach 2: the same shares weighted by each category's
relative uncertainty (Monte Carlo where available, else Approach 1; the compiler's
``uncertainty_pct`` for the other sectors), key = 90 %. One published row per country, year,
approach, assessment and category with rank, share, cumulative share and the decision
(``key_category_analysis.sql``).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from inventory.engine import sql_models

# Cumulative shares defining key categories: Approach 1 95 %, Approach 2 90 % (IPCC 2006
# Vol.1 Ch.4 Sec. 4.3.1 and 4.3.2; from a secondary summary, matching an independent public
# implementation's KCA_1 = 0.95 and KCA_2 = 0.9).
APPROACH1_THRESHOLD = 0.95
APPROACH2_THRESHOLD = 0.90
NATIONAL_TOTAL_COLUMNS = {"country": "str", "year": "int64", "category": "str", "gas": "str",
                          "emissions_t_co2e": "float64", "uncertainty_pct": "float64"}  # fmt: skip


def key_category_analysis(
    con: duckdb.DuckDBPyConnection,
    *,
    base_year: int,
    national_totals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    r"""Level and trend key category assessment [shares of 1] per country and year.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection holding ``soil_category_emissions`` and ``uncertainty_analysis``
        (:func:`inventory.engine.reporting_tables.propagation.uncertainty_analysis` creates the
        first; the second is registered from its result by the caller).
    base_year : int
        Base year of the trend assessment [yr].
    national_totals : pandas.DataFrame, optional
        The compiler's other sectors: ``country``, ``year`` [yr], ``category``, ``gas``,
        ``emissions_t_co2e`` [t CO2e yr-1], ``uncertainty_pct`` [%, may be NaN].

    Returns
    -------
    pandas.DataFrame
        ``key_category_analysis.sql``: one row per country, year, approach (1, 2), assessment
        (level, trend) and category: ``emissions_co2e_t``, ``base_emissions_co2e_t``
        [t CO2e yr-1], ``uncertainty_pct`` [%], ``assessment_value``, ``share``, ``rank``,
        ``cumulative_share``, ``threshold`` and ``is_key``.

    Notes
    -----
    Eq. 4.1 and 4.2 of [1]_ (absolute values of emissions and removals):

    .. math::

        L_{x,t} = \frac{|E_{x,t}|}{\sum_y |E_{y,t}|}, \qquad
        T_{x,t} = \frac{|E_{x,0}|}{\sum_y |E_{y,0}|}
            \left| \frac{E_{x,t} - E_{x,0}}{|E_{x,0}|}
            - \frac{\sum_y E_{y,t} - \sum_y E_{y,0}}{|\sum_y E_{y,0}|} \right|

    Approach 2 weighs L and T by the category's uncertainty U and renormalises [1]_.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 1,
       Ch. 4 (Methodological choice and identification of key categories), Eq. 4.1, Eq. 4.2,
       Sec. 4.3 (equation numbers from a secondary summary, not checked against the text).
    """
    totals = (
        national_totals
        if national_totals is not None
        else pd.DataFrame({c: pd.Series(dtype=t) for c, t in NATIONAL_TOTAL_COLUMNS.items()})
    )
    sql_models.register(con, {"national_totals": totals[list(NATIONAL_TOTAL_COLUMNS)]})
    with sql_models.one_thread(con):  # shares of sums: the same bits (and ranking) every run
        sql_models.run_model(con, "key_category_inputs", into="key_category_inputs")
        return sql_models.run_model(con, "key_category_analysis", {
            "base_year": base_year, "approach1_threshold": APPROACH1_THRESHOLD,
            "approach2_threshold": APPROACH2_THRESHOLD,
        })  # fmt: skip
