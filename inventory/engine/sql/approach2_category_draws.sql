-- Model: approach2_category_draws
-- Method: sum of the Approach 2/3 sub-categories (approach2_stock_change_draws) to the UNFCCC
--   reporting categories (<lu>_remaining_<lu>, land_converted_to_<lu>), per Monte Carlo draw;
--   the same shape as the Approach 1 stock_changes.sql output, so stock_change_uncertainty.sql
--   and stock_change_totals.sql serve both approaches.
-- Grain: one row per (draw, country, year, land_use, land_use_category).
-- Inputs: stock_change_subcategory_draws.
-- Params: none.
-- Columns: area_ha (ha), dC_tc_per_yr (t C/yr, + = removal), dCO2_t_per_yr (t CO2/yr, + = emission).
SELECT draw, country, year, land_use, land_use_category,
    sum(area_ha) AS area_ha,
    sum(dC_tc_per_yr) AS dC_tc_per_yr,
    sum(dCO2_t_per_yr) AS dCO2_t_per_yr
FROM stock_change_subcategory_draws
GROUP BY ALL
