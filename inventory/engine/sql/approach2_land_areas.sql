-- Model: approach2_land_areas
-- Method: areas of land units summed to strata (the Approach 1 input shape), so that factor
--   resolution (stratum_factors.sql) and the stock term of IPCC 2006 Vol.4 Ch.2 Eq. 2.25
--   (soc_stocks.sql) run unchanged on Approach 2/3 data.
-- Grain: one row per (country, year, climate_zone, soil_class, land_use, management, input).
-- Inputs: approach2_transitions.
-- Params: none.
-- Columns: area_ha (ha).
SELECT country, year, climate_zone, soil_class, land_use, management, input,
    sum(area_ha) AS area_ha
FROM approach2_transitions
GROUP BY ALL
ORDER BY ALL
