-- Model: area_sources_by_land_use
-- Method: provenance of the areas behind a land use's results (time-series consistency,
--   IPCC 2006 Vol.1 Ch.5): the distinct area_source flags (reported, interpolated,
--   extrapolated_constant, extrapolated_trend, surrogate, overlap) of the strata of a land use
--   in a year, as a sorted comma list; land_use 'all' covers every stratum of the year.
--   Mineral soils (land areas, matrices) and organic soils are listed apart and together.
-- Grain: country, year, land_use
-- Inputs: land_area_sources (country, year, stratum keys, area_source), organic_area_sources
--   (country, year, organic stratum keys, area_source).
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   land_use: land-use code (inventory.core.vocab.LAND_USES), or 'all'
--   mineral_area_source: flags of the mineral-soil areas; NULL without mineral areas
--   organic_area_source: flags of the organic-soil areas; NULL without organic areas
--   area_source: flags of both
WITH flags AS (
    SELECT country, year, land_use, area_source, 'mineral' AS soil FROM land_area_sources
    UNION ALL
    SELECT country, year, land_use, area_source, 'organic' AS soil FROM organic_area_sources
),

scoped AS (
    SELECT * FROM flags
    UNION ALL
    SELECT country, year, 'all' AS land_use, area_source, soil FROM flags
)

SELECT country, year, land_use,
    array_to_string(list_sort(list_distinct(
        list(area_source) FILTER (WHERE soil = 'mineral'))), ',') AS mineral_area_source,
    array_to_string(list_sort(list_distinct(
        list(area_source) FILTER (WHERE soil = 'organic'))), ',') AS organic_area_source,
    array_to_string(list_sort(list_distinct(list(area_source))), ',') AS area_source
FROM scoped
GROUP BY ALL
ORDER BY ALL
