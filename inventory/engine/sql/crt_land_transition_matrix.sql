-- Model: crt_land_transition_matrix
-- Method: CRT Table 4.1 (land transition matrix, UNFCCC common reporting tables, decision
--   5/CMA.3): area [kha] that was in each land use at the end of the previous year (rows,
--   initial) and is in each land use at the end of the year (columns, final), for every
--   reported year. Sums the cell contributions of land_transitions (land_transitions_units or
--   land_transitions_matrices, from one or several partitions of the land), so partial
--   results add up; every pair of the CRT land uses is listed, 0 where nothing moved.
--   kha = ha / $ha_per_kha.
-- Grain: country, year, from_land_use, to_land_use
-- Inputs: land_transitions (country, year, from_land_use, to_land_use, area_ha, area_source),
--   crt_land_uses (land_use, category_code; inventory.core.vocab.UNFCCC_CATEGORY).
-- Params: $first_year, $last_year (reported years; NULL = all), $ha_per_kha (1000, from
--   inventory.core.units).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year (from the end of y - 1 to the end of y)
--   from_land_use: land use at the end of the previous year (initial; rows of Table 4.1)
--   from_category_code: CRT category of from_land_use (4.A-4.F); NULL outside the CRT land uses
--   to_land_use: land use at the end of the year (final; columns of Table 4.1)
--   to_category_code: CRT category of to_land_use (4.A-4.F); NULL outside the CRT land uses
--   area_kha [kha]: area of the transition (0 where none)
--   area_source: the distinct area sources of the year's data, comma-separated (reported,
--     interpolated, extrapolated_constant, ...)
WITH reported AS (
    SELECT *
    FROM land_transitions
    WHERE ($first_year IS NULL OR year >= $first_year)
        AND ($last_year IS NULL OR year <= $last_year)
),

cells AS (
    SELECT country, year, from_land_use, to_land_use, sum(area_ha) AS area_ha
    FROM reported
    GROUP BY ALL
),

years AS (
    SELECT country, year,
        array_to_string(list_sort(list_distinct(list(area_source))), ',') AS area_source
    FROM reported
    GROUP BY ALL
),

land_uses AS (
    SELECT land_use FROM crt_land_uses
    UNION
    SELECT from_land_use FROM cells
    UNION
    SELECT to_land_use FROM cells
),

grid AS (
    SELECT y.country, y.year, y.area_source, f.land_use AS from_land_use,
        t.land_use AS to_land_use
    FROM years AS y
    CROSS JOIN land_uses AS f
    CROSS JOIN land_uses AS t
)

SELECT g.country, g.year, g.from_land_use, cf.category_code AS from_category_code,
    g.to_land_use, ct.category_code AS to_category_code,
    coalesce(c.area_ha, 0.0) / $ha_per_kha AS area_kha,
    g.area_source
FROM grid AS g
LEFT JOIN cells AS c USING (country, year, from_land_use, to_land_use)
LEFT JOIN crt_land_uses AS cf ON cf.land_use = g.from_land_use
LEFT JOIN crt_land_uses AS ct ON ct.land_use = g.to_land_use
ORDER BY g.country, g.year, cf.category_code NULLS LAST, g.from_land_use,
    ct.category_code NULLS LAST, g.to_land_use
