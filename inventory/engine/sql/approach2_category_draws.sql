-- Model: approach2_category_draws
-- Method: sum of the Approach 2/3 sub-categories (approach2_stock_change_draws) to the UNFCCC
--   reporting categories (<lu>_remaining_<lu>, land_converted_to_<lu>), per Monte Carlo draw;
--   the same shape as the Approach 1 stock_changes.sql output, so stock_change_uncertainty.sql
--   and stock_change_totals.sql serve both approaches (Approach 1 takes the same numbers from
--   its draws in memory: inventory.engine.mineral_soils.mineral.draw_uncertainty_tables).
-- Grain: draw, country, year, land_use, land_use_category
-- Inputs: stock_change_subcategory_draws.
-- Params: none.
-- Columns:
--   draw: Monte Carlo draw; 0 = deterministic estimate (every factor at its table
--     value), 1..N = draws
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   land_use_category: UNFCCC reporting category, <lu>_remaining_<lu> or
--     land_converted_to_<lu>
--   area_ha [ha]: area in the category in year y
--   dC_tc_per_yr [t C/yr]: annual SOC stock change, + = removal (gain of soil carbon)
--   dCO2_t_per_yr [t CO2/yr]: CO2 flux, + = emission (UNFCCC sign: -dC x 44/12)
SELECT draw, country, year, land_use, land_use_category,
    sum(area_ha) AS area_ha,
    sum(dC_tc_per_yr) AS dC_tc_per_yr,
    sum(dCO2_t_per_yr) AS dCO2_t_per_yr
FROM stock_change_subcategory_draws
GROUP BY ALL
