-- Model: soil_areas
-- Method: activity data of the soils, total = mineral + organic per land category, as the CRT
--   sectoral background tables 4.A-4.F report it (UNFCCC CRT, decision 5/CMA.3: area "of
--   which mineral soils" and "organic soils"). Mineral area: the area Eq. 2.25 (IPCC 2006
--   Vol.4 Ch.2 Sec. 2.3.3.1) was applied to (mineral_land_areas.sql); organic area: the
--   organic_soils rows of the group (drained + rewetted, IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.2)
--   in the year itself, or in the nearest organic year for the land areas' years outside
--   them (mineral_land_areas.organic_year). A group of organic soils without land (a land
--   use or climate zone that land_areas does not have in the year) shows land_area_ha 0: the
--   engine refuses it (engine/mineral_soils/soil_areas.py).
-- Grain: country, year, climate_zone, land_use
-- Inputs: mineral_land_areas (country, year, climate_zone, land_use, land_area_ha,
--   organic_area_ha, area_ha, organic_year), organic_soil_areas (harmonised organic_soils,
--   every year: country, year, climate_zone, land_use, area_ha).
-- Params: $organic_area_rule (how the organic area was treated, e.g. 'pro_rata_in_group').
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   climate_zone: IPCC climate zone code
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   land_area_ha [ha]: whole land area of the group as submitted in land_areas (organic
--     soils included)
--   mineral_area_ha [ha]: mineral-soil area of the group, the area the mineral-soil method
--     was applied to
--   organic_area_ha [ha]: organic-soil area of the group (drained + rewetted)
--   organic_year [yr]: year of organic_soils the organic area was taken from (NULL without
--     organic soils)
--   organic_area_rule: how the organic area was taken out of the mineral strata:
--     pro_rata_in_group (stratum areas, Approach 1: the group's organic area taken out of
--     its strata pro rata to their land area) or not_subtracted_approach_2_3 (land units
--     and matrices carry no organic share: mineral area = land area, organic area beside it)
WITH land AS (
    SELECT country, year, climate_zone, land_use,
        sum(land_area_ha) AS land_area_ha, sum(area_ha) AS mineral_area_ha,
        any_value(organic_year) AS organic_year
    FROM mineral_land_areas
    GROUP BY country, year, climate_zone, land_use
),

land_years AS (
    SELECT DISTINCT country, year, organic_year FROM land
),

organic AS (
    SELECT y.country, y.year, o.climate_zone, o.land_use, sum(o.area_ha) AS organic_area_ha,
        any_value(coalesce(y.organic_year, y.year)) AS organic_year
    FROM land_years AS y
    JOIN organic_soil_areas AS o
        ON o.country = y.country AND o.year = coalesce(y.organic_year, y.year)
    GROUP BY y.country, y.year, o.climate_zone, o.land_use
),

organic_only_years AS (
    SELECT o.country, o.year, o.climate_zone, o.land_use, sum(o.area_ha) AS organic_area_ha,
        o.year AS organic_year
    FROM organic_soil_areas AS o
    WHERE NOT EXISTS (
        SELECT 1 FROM land_years AS y WHERE y.country = o.country AND y.year = o.year)
    GROUP BY o.country, o.year, o.climate_zone, o.land_use
),

all_organic AS (
    SELECT * FROM organic UNION ALL SELECT * FROM organic_only_years
)

SELECT country, year, climate_zone, land_use,
    coalesce(l.land_area_ha, 0) AS land_area_ha,
    coalesce(l.mineral_area_ha, 0) AS mineral_area_ha,
    coalesce(o.organic_area_ha, 0) AS organic_area_ha,
    coalesce(o.organic_year, l.organic_year) AS organic_year,
    CAST($organic_area_rule AS VARCHAR) AS organic_area_rule
FROM land AS l
FULL OUTER JOIN all_organic AS o USING (country, year, climate_zone, land_use)
ORDER BY country, year, climate_zone, land_use
