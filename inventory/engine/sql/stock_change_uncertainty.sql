-- Model: stock_change_uncertainty
-- Method: IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3 (Approach 2, Monte Carlo): the 95 % interval of a
--   reported quantity is the 2.5th and 97.5th percentile of its Monte Carlo draws.
--   Draw 0 is the deterministic estimate and is the reported value; draws 1..N give the interval.
-- Grain: one row per (country, year, land_use, land_use_category).
-- Inputs: stock_change_draws (output of stock_changes.sql over all draws).
-- Params: none.
-- Columns: dC_tc_per_yr, dCO2_t_per_yr (deterministic), ci_low, ci_high (t C/yr, 95 % interval
--   of dC_tc_per_yr; NULL without draws), mc_mean (t C/yr, mean of the draws), mc_draws (count).
WITH deterministic AS (
    SELECT * EXCLUDE (draw) FROM stock_change_draws WHERE draw = 0
),

draws AS (
    SELECT country, year, land_use, land_use_category,
        quantile_cont(dC_tc_per_yr, 0.025) AS ci_low,
        quantile_cont(dC_tc_per_yr, 0.975) AS ci_high,
        avg(dC_tc_per_yr) AS mc_mean,
        count(*) AS mc_draws
    FROM stock_change_draws
    WHERE draw > 0
    GROUP BY ALL
)

SELECT d.country, d.year, d.land_use, d.land_use_category, d.area_ha,
    d.dC_tc_per_yr, d.dCO2_t_per_yr, m.ci_low, m.ci_high, m.mc_mean,
    coalesce(m.mc_draws, 0) AS mc_draws
FROM deterministic AS d
LEFT JOIN draws AS m USING (country, year, land_use, land_use_category)
ORDER BY d.country, d.year, d.land_use, d.land_use_category
