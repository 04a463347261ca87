-- Model: stock_change_totals
-- Method: IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3 (Approach 2, Monte Carlo) on reported totals: each
--   draw's categories are summed first, then the 2.5th and 97.5th percentiles of the summed
--   draws give the 95 % interval (so correlations through shared factors are kept; the
--   interval of a sum is not the sum of intervals). Draw 0 (table values) is the reported value.
--   Totals: the national mineral-soil total per year (scope 'national', land_use 'all') and
--   per land use (scope 'land_use': remaining + converted). Approach 1 runs take the same
--   numbers from their draws in memory (inventory.engine.mineral_soils.mineral.
--   draw_uncertainty_tables; its mc_mean adds the draws in draw order, so it may differ from
--   this model's by one unit in the last place).
-- Grain: country, year, scope, land_use
-- Inputs: stock_change_draws (draw, country, year, land_use, land_use_category, area_ha,
--   dC_tc_per_yr, dCO2_t_per_yr); from stock_changes.sql or approach2_category_draws.sql.
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   scope: 'national' (national mineral-soil total) or 'land_use' (remaining + converted of
--     one land use)
--   land_use: land-use code; 'all' for scope 'national'
--   area_ha [ha]: mineral-soil area of the total (draw 0)
--   dC_tc_per_yr [t C/yr]: stock change of the total (draw 0), + = removal
--   dCO2_t_per_yr [t CO2/yr]: CO2 flux of the total (draw 0), + = emission
--   ci_low [t C/yr]: 2.5th percentile of the summed draws of dC_tc_per_yr (95 % interval);
--     NULL without draws
--   ci_high [t C/yr]: 97.5th percentile of the summed draws of dC_tc_per_yr; NULL without
--     draws
--   dco2_ci_low [t CO2/yr]: 2.5th percentile of the summed draws of dCO2_t_per_yr (95 %
--     interval); NULL without draws
--   dco2_ci_high [t CO2/yr]: 97.5th percentile of the summed draws of dCO2_t_per_yr; NULL
--     without draws
--   mc_mean [t C/yr]: mean of the summed draws of dC_tc_per_yr; NULL without draws
--   mc_draws [count]: number of Monte Carlo draws (0 without draws)
WITH summed AS (
    SELECT draw, country, year, 'national' AS scope, 'all' AS land_use,
        sum(area_ha) AS area_ha, sum(dC_tc_per_yr) AS dc, sum(dCO2_t_per_yr) AS dco2
    FROM stock_change_draws
    GROUP BY draw, country, year
    UNION ALL
    SELECT draw, country, year, 'land_use' AS scope, land_use,
        sum(area_ha), sum(dC_tc_per_yr), sum(dCO2_t_per_yr)
    FROM stock_change_draws
    GROUP BY draw, country, year, land_use
),

intervals AS (
    -- both percentiles from one sort (list form of quantile_cont)
    SELECT country, year, scope, land_use,
        quantile_cont(dc, [0.025, 0.975]) AS ci,
        quantile_cont(dco2, [0.025, 0.975]) AS dco2_ci,
        avg(dc) AS mc_mean,
        count(*) AS mc_draws
    FROM summed
    WHERE draw > 0
    GROUP BY ALL
)

SELECT s.country, s.year, s.scope, s.land_use, s.area_ha,
    s.dc AS dC_tc_per_yr, s.dco2 AS dCO2_t_per_yr,
    i.ci[1] AS ci_low, i.ci[2] AS ci_high, i.dco2_ci[1] AS dco2_ci_low,
    i.dco2_ci[2] AS dco2_ci_high, i.mc_mean,
    coalesce(i.mc_draws, 0) AS mc_draws
FROM summed AS s
LEFT JOIN intervals AS i USING (country, year, scope, land_use)
WHERE s.draw = 0
ORDER BY s.country, s.year, s.scope, s.land_use
