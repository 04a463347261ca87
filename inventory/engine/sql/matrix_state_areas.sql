-- Model: matrix_state_areas
-- Method: areas by stratum and year implied by land-use change matrices (Approach 2, IPCC 2006
--   Vol.4 Ch.3 Sec. 3.3.1): the initial state (row sums of each country's first matrix, in its
--   from_year) plus the cumulated annual flows (matrix_flows) up to the year,
--     A_s(y) = A_s(y0) + sum over flows into s in (y0, y] - sum over flows out of s in (y0, y],
--   so the areas and the flows agree exactly (with chained matrices, A_s at a matrix year equals
--   its column sums). After the last matrix year the last state is held, up to $last_year.
--   area_source: 'reported' in the first from_year and in the matrix years, 'interpolated'
--   inside a period matrix, 'extrapolated_constant' after the last matrix.
-- Grain: country, year, climate_zone, soil_class, land_use, management, input
-- Inputs: land_use_changes, matrix_flows.
-- Params: $last_year (INTEGER, last year to cover; NULL = the last matrix year).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   climate_zone: IPCC climate zone code (inventory.core.vocab.CLIMATE_ZONES)
--   soil_class: IPCC mineral soil class code (inventory.core.vocab.SOIL_CLASSES)
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   management: management code (inventory.core.vocab.MANAGEMENTS)
--   input: carbon input level code (inventory.core.vocab.INPUTS)
--   area_ha [ha]: area of the stratum in the year
--   area_source: reported, interpolated or extrapolated_constant (see Method)
WITH bounds AS (
    SELECT country,
        min(from_year) AS first_year,
        max(year) AS last_matrix_year,
        greatest(max(year), coalesce($last_year, max(year))) AS last_year
    FROM land_use_changes
    GROUP BY country
),

matrix_years AS (
    SELECT DISTINCT country, year FROM land_use_changes
),

initial AS (
    SELECT m.country, m.climate_zone, m.soil_class, m.from_land_use AS land_use,
        m.from_management AS management, m.from_input AS input, sum(m.area_ha) AS area_ha
    FROM land_use_changes AS m
    JOIN bounds AS b ON b.country = m.country AND m.from_year = b.first_year
    GROUP BY ALL
),

deltas AS (
    SELECT country, year, climate_zone, soil_class, to_land_use AS land_use,
        to_management AS management, to_input AS input, area_ha AS delta_ha
    FROM matrix_flows
    UNION ALL
    SELECT country, year, climate_zone, soil_class, from_land_use, from_management, from_input,
        -area_ha
    FROM matrix_flows
),

strata AS (
    SELECT DISTINCT country, climate_zone, soil_class, land_use, management, input FROM initial
    UNION
    SELECT DISTINCT country, climate_zone, soil_class, land_use, management, input FROM deltas
),

grid AS (
    SELECT s.*, unnest(range(b.first_year, b.last_year + 1)) AS year
    FROM strata AS s
    JOIN bounds AS b USING (country)
),

yearly AS (
    SELECT g.*, coalesce(i.area_ha, 0.0) AS initial_ha, coalesce(d.delta_ha, 0.0) AS delta_ha
    FROM grid AS g
    LEFT JOIN initial AS i
        ON i.country = g.country AND i.climate_zone = g.climate_zone
        AND i.soil_class = g.soil_class AND i.land_use = g.land_use
        AND i.management = g.management AND i.input = g.input
    LEFT JOIN (
        SELECT country, year, climate_zone, soil_class, land_use, management, input,
            sum(delta_ha) AS delta_ha
        FROM deltas
        GROUP BY ALL
    ) AS d
        ON d.country = g.country AND d.year = g.year AND d.climate_zone = g.climate_zone
        AND d.soil_class = g.soil_class AND d.land_use = g.land_use
        AND d.management = g.management AND d.input = g.input
),

cumulated AS (
    SELECT *,
        initial_ha + sum(delta_ha) OVER (
            PARTITION BY country, climate_zone, soil_class, land_use, management, input
            ORDER BY year ROWS UNBOUNDED PRECEDING
        ) AS area_ha
    FROM yearly
)

SELECT c.country, c.year, c.climate_zone, c.soil_class, c.land_use, c.management, c.input,
    c.area_ha,
    CASE WHEN c.year = b.first_year OR m.year IS NOT NULL THEN 'reported'
        WHEN c.year > b.last_matrix_year THEN 'extrapolated_constant'
        ELSE 'interpolated' END AS area_source
FROM cumulated AS c
JOIN bounds AS b USING (country)
LEFT JOIN matrix_years AS m ON m.country = c.country AND m.year = c.year
-- rounding noise of the cumulated sums (areas are not reported below a square metre)
WHERE round(c.area_ha, 4) > 0
ORDER BY c.country, c.year, c.climate_zone, c.soil_class, c.land_use, c.management, c.input
