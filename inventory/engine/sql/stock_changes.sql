-- Model: stock_changes (Approach 1: areas by stratum and year)
-- Method: IPCC 2006 Vol.4 Ch.2 Eq. 2.25, change term with the default linear transition:
--   dC(y) = (SOC(y) - SOC(y - D)) / D   [t C/yr], D = 20 years by default,
--   history before the first year with data taken as that first known state, split into UNFCCC
--   categories by the project's attribution (stock_change_weights.sql; the national total is
--   Eq. 2.25 exactly, the split is not an IPCC equation). Per Monte Carlo draw k,
--     dC_k(category, y) = sum over strata of weight_ha_per_yr x p_k(stratum),
--   p_k = SOC_REF x F_LU x F_MG x F_I of draw k (inventory.engine.uncertainty.montecarlo; draw 0 = table
--   values), computed by one matrix product in inventory.engine.mineral_soils.mineral (category_draws);
--   this model labels the draws with their category and converts to CO2:
--     dCO2 = -dC x 44/12 (UNFCCC sign: emissions positive, removals negative).
-- Grain: draw, country, year, land_use, land_use_category
-- Inputs: stock_change_categories (category_id, country, year, land_use, land_use_category,
--   area_ha), category_draws (draw, category_id, dC_tc_per_yr).
-- Params: $c_to_co2 (44/12, passed from inventory.core.units).
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
SELECT d.draw, c.country, c.year, c.land_use, c.land_use_category,
    c.area_ha,
    d.dC_tc_per_yr,
    0.0 - d.dC_tc_per_yr * $c_to_co2 AS dCO2_t_per_yr  -- 0.0 - x: no -0.0 for zero
FROM category_draws AS d
JOIN stock_change_categories AS c USING (category_id)
