-- Model: matrix_flows
-- Method: land-use change matrices (Approach 2 land representation, IPCC 2006 Vol.4 Ch.3
--   Sec. 3.3.1) as annual flows: a cell of the matrix for the period (from_year, year], T =
--   year - from_year years long, moves area_ha / T from its row state to its column state in
--   each year of the period (the change of a period matrix is spread evenly over its years,
--   a project convention; an annual matrix, T = 1, is taken as it is). Diagonal cells (same
--   state before and after: unchanged land) move nothing and are left out; a change of
--   management or input within a land use is a flow like a change of land use.
-- Grain: country, year, climate_zone, soil_class, from_land_use, from_management, from_input,
--   to_land_use, to_management, to_input
-- Inputs: land_use_changes (harmonised matrices: country, year, from_year, climate_zone,
--   soil_class, from/to land_use, management, input, area_ha).
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: year of the flow (the state changes between year - 1 and year)
--   climate_zone: IPCC climate zone code (inventory.core.vocab.CLIMATE_ZONES)
--   soil_class: IPCC mineral soil class code (inventory.core.vocab.SOIL_CLASSES)
--   from_land_use: land-use code before the change (inventory.core.vocab.LAND_USES)
--   from_management: management code before the change (inventory.core.vocab.MANAGEMENTS)
--   from_input: carbon input level code before the change (inventory.core.vocab.INPUTS)
--   to_land_use: land-use code after the change
--   to_management: management code after the change
--   to_input: carbon input level code after the change
--   area_ha [ha]: area changing state in the year (matrix cell / period length)
--   period_years [yr]: length T of the matrix's period
WITH cells AS (
    SELECT country, year AS matrix_year, from_year, climate_zone, soil_class,
        from_land_use, from_management, from_input, to_land_use, to_management, to_input,
        sum(area_ha) AS area_ha
    FROM land_use_changes
    WHERE (from_land_use, from_management, from_input)
        <> (to_land_use, to_management, to_input)
    GROUP BY ALL
)

SELECT country, unnest(range(from_year + 1, matrix_year + 1)) AS year, climate_zone,
    soil_class, from_land_use, from_management, from_input, to_land_use, to_management,
    to_input,
    area_ha / (matrix_year - from_year) AS area_ha,
    matrix_year - from_year AS period_years
FROM cells
