-- Model: mineral_land_areas
-- Method: the mineral-soil area of each stratum, the area Eq. 2.25 (IPCC 2006 Vol.4 Ch.2
--   Sec. 2.3.3.1, mineral soils) applies to; organic soils have their own method (IPCC 2006
--   Vol.4 Ch.2 Sec. 2.3.3.2, organic soils; 2013 Wetlands Supplement). land_areas holds the
--   whole land of a stratum, organic soils included. The organic-soil area of a (country,
--   year, climate_zone, land_use) group, every organic_soils row (drained + rewetted), is
--   taken out of the group's mineral strata pro rata to their land area:
--     organic_area_ha(s) = organic area of the group x land_area_ha(s) / land area of the group
--     area_ha(s)         = max(land_area_ha(s) - organic_area_ha(s), 0)
--   (organic_soils has no soil class, so no stratum can be singled out; the floor at 0 only
--   acts within the rounding tolerance the validation allows, larger excesses are refused by
--   engine/mineral_soils/soil_areas.py). A year outside the years of the country's
--   organic_soils (the history years before its first organic year, typically) takes the
--   organic area of the nearest organic year (organic_year; the first known state held, as
--   for the land areas' own history).
-- Grain: country, year, climate_zone, soil_class, land_use, management, input
-- Inputs: submitted_land_areas (country, year, stratum keys, area_ha: whole land),
--   organic_soil_areas (harmonised organic_soils, every year: country, year, climate_zone,
--   land_use, area_ha).
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   climate_zone: IPCC climate zone code
--   soil_class: IPCC mineral soil class code
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   management: management code
--   input: carbon input level code
--   land_area_ha [ha]: whole land area of the stratum as submitted (organic soils included)
--   organic_area_ha [ha]: the stratum's pro-rata share of its group's organic-soil area
--   area_ha [ha]: mineral-soil area of the stratum, land_area_ha - organic_area_ha (>= 0)
--   organic_year [yr]: year of organic_soils the organic area was taken from (NULL: the
--     country has no organic soils)
WITH organic_years AS (
    SELECT country, min(year) AS first_year, max(year) AS last_year
    FROM organic_soil_areas
    GROUP BY country
),

organic_groups AS (
    SELECT country, year, climate_zone, land_use, sum(area_ha) AS group_organic_ha
    FROM organic_soil_areas
    GROUP BY country, year, climate_zone, land_use
),

land AS (
    SELECT l.country, l.year, l.climate_zone, l.soil_class, l.land_use, l.management, l.input,
        l.area_ha AS land_area_ha,
        sum(l.area_ha) OVER (PARTITION BY l.country, l.year, l.climate_zone, l.land_use)
            AS group_land_ha,
        least(greatest(l.year, y.first_year), y.last_year) AS organic_year
    FROM submitted_land_areas AS l
    LEFT JOIN organic_years AS y ON y.country = l.country
),

shares AS (
    SELECT land.*,
        CASE WHEN group_land_ha > 0
            THEN coalesce(o.group_organic_ha, 0) * land_area_ha / group_land_ha
            ELSE 0 END AS organic_area_ha
    FROM land
    LEFT JOIN organic_groups AS o
        ON o.country = land.country AND o.year = land.organic_year
        AND o.climate_zone = land.climate_zone AND o.land_use = land.land_use
)

SELECT country, year, climate_zone, soil_class, land_use, management, input,
    land_area_ha, organic_area_ha,
    greatest(land_area_ha - organic_area_ha, 0) AS area_ha,
    organic_year
FROM shares
ORDER BY country, year, climate_zone, soil_class, land_use, management, input
