-- Check: every stratum has all four factors of Eq. 2.25 (IPCC 2006 Vol.4 Ch.2).
-- Returns: one row per stratum and missing factor; empty = pass.
-- Inputs: land_areas, stratum_factors.
WITH strata AS (
    SELECT DISTINCT country, climate_zone, soil_class, land_use, management, input
    FROM land_areas
),

needed AS (
    SELECT s.*, f.factor
    FROM strata AS s
    CROSS JOIN (VALUES ('SOC_REF'), ('F_LU'), ('F_MG'), ('F_I')) AS f (factor)
)

SELECT n.*
FROM needed AS n
ANTI JOIN stratum_factors AS sf
    USING (country, climate_zone, soil_class, land_use, management, input, factor)
ORDER BY ALL
