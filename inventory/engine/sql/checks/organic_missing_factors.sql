-- Check: every organic-soil stratum has the complete set of Tier 1 emission factors:
--   drained:  on_site, doc, land, ditch, direct (WS Ch.2 Tables 2.1-2.5, Eq. 2.6)
--   rewetted: on_site, doc, land, direct        (WS Ch.3 Tables 3.1-3.3; no ditch term)
-- Returns: one row per stratum and missing component; empty = pass.
-- Inputs: organic_soils, organic_ef.
WITH strata AS (
    SELECT DISTINCT climate_zone, land_use, drainage, nutrient_status, drainage_depth
    FROM organic_soils
),

required (drainage, component) AS (
    VALUES ('drained', 'on_site'), ('drained', 'doc'), ('drained', 'land'),
        ('drained', 'ditch'), ('drained', 'direct'),
        ('rewetted', 'on_site'), ('rewetted', 'doc'), ('rewetted', 'land'),
        ('rewetted', 'direct')
),

needed AS (
    SELECT s.*, r.component
    FROM strata AS s
    LEFT JOIN required AS r USING (drainage)
)

SELECT n.*
FROM needed AS n
ANTI JOIN organic_ef AS f
    USING (climate_zone, land_use, drainage, nutrient_status, drainage_depth, component)
ORDER BY ALL
