-- Check: organic-soil emission rows have a known, non-negative area (ha) and a finite
--   emission. A negative or missing area would turn an A x EF emission (IPCC 2014 Wetlands
--   Supplement Ch.2/3) into a removal or drop it silently.
-- Returns: the offending rows of organic_soil_emissions; empty = pass.
-- Inputs: organic_soil_emissions.
SELECT *
FROM organic_soil_emissions
WHERE area_ha IS NULL OR area_ha < 0 OR emission IS NULL OR isnan(emission)
ORDER BY ALL
