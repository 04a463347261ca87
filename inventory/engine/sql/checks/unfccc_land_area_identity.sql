-- Check: the areas of the CRT land categories 4.A-4.F of a year add up to the country's land
--   area of that year (IPCC 2006 Vol.4 Ch.3: every area belongs to exactly one land category,
--   unmanaged land included): the sum of area_mineral_ha of the six land-use total rows of
--   unfccc_tables equals the national area_ha of inventory_stocks (the land area of the
--   submitted land areas, which include the organic soils). Land coded 'native' must be
--   mapped to a category for this to hold. Tolerance 1e-9 of the area + 1e-6 ha.
-- Returns: one row per country and year whose categories do not add up; empty = pass.
-- Inputs: unfccc_tables, inventory_stocks.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   land_area_ha [ha]: the country's land area (inventory_stocks, scope national)
--   category_area_ha [ha]: sum of the 4.A-4.F land-use total rows (NULL areas as 0)
WITH categories AS (
    SELECT country, year, sum(coalesce(area_mineral_ha, 0)) AS category_area_ha
    FROM unfccc_tables
    WHERE subcategory = 'total'
        AND category_code IN ('4.A', '4.B', '4.C', '4.D', '4.E', '4.F')
    GROUP BY country, year
),

land AS (
    SELECT country, year, area_ha AS land_area_ha
    FROM inventory_stocks
    WHERE scope = 'national'
)

SELECT l.country, l.year, l.land_area_ha, c.category_area_ha
FROM land AS l
LEFT JOIN categories AS c USING (country, year)
WHERE c.category_area_ha IS NULL
    OR abs(c.category_area_ha - l.land_area_ha) > 1e-9 * l.land_area_ha + 1e-6
ORDER BY country, year
