-- Model: land_transitions_matrices
-- Method: annual land transitions by land use (CRT Table 4.1 cells, in ha) from land-use
--   change matrices, as additive contributions: for year y, every stratum's area of y - 1 on
--   the diagonal (its land use to itself), then every annual flow of y (matrix_flows) added to
--   its (from, to) cell and taken off the from land use's diagonal. Rows then sum to the areas
--   of y - 1 and columns to those of y; a change of management within a land use stays on the
--   diagonal. Contributions are summed by crt_land_transition_matrix, so partial results (of
--   any split of the strata) add up.
--   area_source: 'reported' for a year of an annual matrix, 'interpolated' inside a period
--   matrix (its change spread evenly), 'extrapolated_constant' after the last matrix.
-- Grain: country, year, from_land_use, to_land_use, area_source
-- Inputs: matrix_flows, matrix_state_areas, land_use_changes (matrix periods).
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year (transitions between the end of y - 1 and the end of y)
--   from_land_use: land use at the end of year y - 1 (inventory.core.vocab.LAND_USES)
--   to_land_use: land use at the end of year y
--   area_ha [ha]: area contribution to the cell
--   area_source: how the year's areas were obtained (see Method)
WITH periods AS (
    SELECT DISTINCT country, year AS matrix_year, from_year FROM land_use_changes
),

sources AS (
    SELECT s.country, s.year,
        coalesce(max(CASE WHEN p.matrix_year - p.from_year = 1 THEN 'reported'
            WHEN p.matrix_year IS NOT NULL THEN 'interpolated' END),
            'extrapolated_constant') AS area_source
    FROM (SELECT DISTINCT country, year FROM matrix_state_areas) AS s
    LEFT JOIN periods AS p
        ON p.country = s.country AND s.year > p.from_year AND s.year <= p.matrix_year
    GROUP BY ALL
),

contributions AS (
    SELECT country, year + 1 AS year, land_use AS from_land_use, land_use AS to_land_use,
        area_ha
    FROM matrix_state_areas
    UNION ALL
    SELECT country, year, from_land_use, to_land_use, area_ha FROM matrix_flows
    UNION ALL
    SELECT country, year, from_land_use, from_land_use, -area_ha FROM matrix_flows
)

SELECT c.country, c.year, c.from_land_use, c.to_land_use, sum(c.area_ha) AS area_ha,
    s.area_source
FROM contributions AS c
JOIN sources AS s USING (country, year)
GROUP BY ALL
