-- Model: stock_change_uncertainty
-- Method: IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3 (Approach 2, Monte Carlo): the 95 % interval of a
--   reported quantity is the 2.5th and 97.5th percentile of its Monte Carlo draws.
--   Draw 0 is the deterministic estimate and is the reported value; draws 1..N give the interval.
--   Approach 1 runs take the same numbers from their draws in memory
--   (inventory.engine.mineral_soils.mineral.draw_uncertainty_tables, equal to the bit).
-- Grain: country, year, land_use, land_use_category
-- Inputs: stock_change_draws (output of stock_changes.sql over all draws).
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   land_use_category: UNFCCC reporting category, <lu>_remaining_<lu> or
--     land_converted_to_<lu>
--   area_ha [ha]: area in the category (draw 0)
--   dC_tc_per_yr [t C/yr]: deterministic stock change (draw 0), + = removal
--   dCO2_t_per_yr [t CO2/yr]: deterministic CO2 flux (draw 0), + = emission
--   ci_low [t C/yr]: 2.5th percentile of dC_tc_per_yr over draws 1..N (95 % interval);
--     NULL without draws
--   ci_high [t C/yr]: 97.5th percentile of dC_tc_per_yr over draws 1..N; NULL without draws
--   mc_mean [t C/yr]: mean of dC_tc_per_yr over draws 1..N; NULL without draws
--   mc_draws [count]: number of Monte Carlo draws (0 without draws)
WITH deterministic AS (
    SELECT * EXCLUDE (draw) FROM stock_change_draws WHERE draw = 0
),

draws AS (
    -- both percentiles from one sort (list form of quantile_cont)
    SELECT country, year, land_use, land_use_category,
        quantile_cont(dC_tc_per_yr, [0.025, 0.975]) AS ci,
        avg(dC_tc_per_yr) AS mc_mean,
        count(*) AS mc_draws
    FROM stock_change_draws
    WHERE draw > 0
    GROUP BY ALL
)

SELECT d.country, d.year, d.land_use, d.land_use_category, d.area_ha,
    d.dC_tc_per_yr, d.dCO2_t_per_yr, m.ci[1] AS ci_low, m.ci[2] AS ci_high, m.mc_mean,
    coalesce(m.mc_draws, 0) AS mc_draws
FROM deterministic AS d
LEFT JOIN draws AS m USING (country, year, land_use, land_use_category)
ORDER BY d.country, d.year, d.land_use, d.land_use_category
