-- Model: soil_category_emissions
-- Method: the categories this system estimates, as emissions in CO2 equivalents (+ = emission,
--   - = removal, the UNFCCC sign), the units of the key category analysis (IPCC 2006 Vol.1
--   Ch.4) and of the uncertainty analysis (Vol.1 Ch.3):
--     mineral soils: CO2 of each reporting category, -dC x 44/12 (Vol.4 Ch.2 Eq. 2.25;
--       deterministic estimate, draw 0 of stock_change_draws);
--     organic soils: CO2, CH4 and N2O of each land use, x GWP100 (2013 Wetlands Supplement
--       Ch.2/3; organic_soil_emissions.co2e_t).
-- Grain: country, year, category, gas
-- Inputs: stock_change_draws (draw, country, year, land_use, land_use_category,
--   dCO2_t_per_yr), organic_soil_emissions (country, year, land_use, gas, co2e_t).
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   category: mineral: the reporting category (<lu>_remaining_<lu>, land_converted_to_<lu>);
--     organic: organic_soils_<lu>
--   gas: CO2, CH4 or N2O
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   source: mineral_soils or organic_soils
--   emissions_co2e_t [t CO2e/yr]: emissions of the category and gas, + = emission
SELECT country, year, land_use_category AS category, 'CO2' AS gas, land_use,
    'mineral_soils' AS source, sum(dCO2_t_per_yr) AS emissions_co2e_t
FROM stock_change_draws
WHERE draw = 0
GROUP BY ALL
UNION ALL
SELECT country, year, 'organic_soils_' || land_use AS category, gas, land_use,
    'organic_soils' AS source, sum(co2e_t) AS emissions_co2e_t
FROM organic_soil_emissions
GROUP BY ALL
ORDER BY ALL
