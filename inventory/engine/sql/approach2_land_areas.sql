-- Model: approach2_land_areas
-- Method: areas of land units summed to strata (the Approach 1 input shape), so that factor
--   resolution (stratum_factors.sql) and the stock term of IPCC 2006 Vol.4 Ch.2 Eq. 2.25
--   (soc_stocks.sql) run unchanged on Approach 2/3 data.
-- Grain: country, year, climate_zone, soil_class, land_use, management, input
-- Inputs: approach2_transitions.
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   climate_zone: IPCC climate zone code (inventory.core.vocab.CLIMATE_ZONES)
--   soil_class: IPCC mineral soil class code (inventory.core.vocab.SOIL_CLASSES)
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   management: management code (inventory.core.vocab.MANAGEMENTS)
--   input: carbon input level code (inventory.core.vocab.INPUTS)
--   area_ha [ha]: area of the stratum in the year, summed over land units
SELECT country, year, climate_zone, soil_class, land_use, management, input,
    sum(area_ha) AS area_ha
FROM approach2_transitions
GROUP BY ALL
ORDER BY ALL
