-- Model: matrix_transitions
-- Method: the D-year transition ledger of land-use change matrices, in the shape of
--   approach2_transitions, so that the Approach 2 stock change (approach2_stock_change_draws,
--   IPCC 2006 Vol.4 Ch.2 Eq. 2.25) runs on it unchanged:
--     cohort: area a that changed from stratum p to stratum s in year c (matrix_flows) is, in
--       each year y of c .. c + D - 1, current stratum s with past stratum p (dC = a x
--       (SOC_ppha(s) - SOC_ppha(p)) / D); land converted to its land use when p's land use
--       differs (sub-category <p>_converted_to_<s>), else land remaining (a change of
--       management or input);
--     rest: the stratum's area (matrix_state_areas) minus its cohorts of the last D years,
--       land remaining with the past state equal to the current one (dC = 0).
--   Summed over strata, the cohorts of years (y - D, y] add up to SOC(y) - SOC(y - D) of the
--   state areas (history before the first matrix = the first state), so the national total
--   is Eq. 2.25 on the same areas exactly, and the converted areas are the matrices'
--   off-diagonal cells over the last D years.
--   Matrices do not say which hectares convert again within D years; a cohort stays in its
--   category for D years and the rest of a stratum is floored at 0 ha (category areas may then
--   exceed the land-use area; the stock change is unaffected, the rest contributes 0).
-- Grain: country, year, land_use_category, land_use_subcategory, land_use, climate_zone,
--   soil_class, management, input, past_climate_zone, past_soil_class, past_land_use,
--   past_management, past_input; current and past stratum keys.
-- Inputs: matrix_flows, matrix_state_areas.
-- Params: $transition_years (D, yr).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   land_use: current land-use code (inventory.core.vocab.LAND_USES)
--   land_use_category: UNFCCC reporting category, <lu>_remaining_<lu> or
--     land_converted_to_<lu>
--   land_use_subcategory: <lu>_remaining_<lu> for land remaining, or
--     <previous>_converted_to_<lu> for land converted
--   previous_land_use: land use before the conversion (= land_use for land remaining)
--   climate_zone: current IPCC climate zone code (inventory.core.vocab.CLIMATE_ZONES)
--   soil_class: current IPCC mineral soil class code (inventory.core.vocab.SOIL_CLASSES)
--   management: current management code (inventory.core.vocab.MANAGEMENTS)
--   input: current carbon input level code (inventory.core.vocab.INPUTS)
--   past_climate_zone: climate zone code of the past stratum (the state before the change)
--   past_soil_class: soil class code of the past stratum
--   past_land_use: land-use code of the past stratum
--   past_management: management code of the past stratum
--   past_input: carbon input level code of the past stratum
--   area_ha [ha]: current area, in year y
--   past_area_ha [ha]: area in the past state (equal to area_ha: matrices keep areas)
WITH last_years AS (
    SELECT country, max(year) AS last_year FROM matrix_state_areas GROUP BY country
),

cohorts AS (
    SELECT f.country, f.climate_zone, f.soil_class,
        f.to_land_use AS land_use, f.to_management AS management, f.to_input AS input,
        f.from_land_use AS past_land_use, f.from_management AS past_management,
        f.from_input AS past_input,
        CASE WHEN f.from_land_use <> f.to_land_use THEN f.from_land_use END
            AS previous_land_use,
        unnest(range(f.year, least(f.year + $transition_years, l.last_year + 1))) AS year,
        f.area_ha
    FROM matrix_flows AS f
    JOIN last_years AS l USING (country)
),

cohort_areas AS (
    SELECT country, year, climate_zone, soil_class, land_use, management, input,
        sum(area_ha) AS cohort_ha
    FROM cohorts
    GROUP BY ALL
),

rest AS (
    SELECT s.country, s.year, s.climate_zone, s.soil_class, s.land_use, s.management, s.input,
        s.land_use AS past_land_use, s.management AS past_management, s.input AS past_input,
        NULL::VARCHAR AS previous_land_use,
        greatest(s.area_ha - coalesce(c.cohort_ha, 0.0), 0.0) AS area_ha
    FROM matrix_state_areas AS s
    LEFT JOIN cohort_areas AS c
        ON c.country = s.country AND c.year = s.year AND c.climate_zone = s.climate_zone
        AND c.soil_class = s.soil_class AND c.land_use = s.land_use
        AND c.management = s.management AND c.input = s.input
),

ledger AS (
    SELECT * FROM cohorts
    UNION ALL BY NAME
    SELECT * FROM rest WHERE area_ha > 0
)

SELECT country, year, land_use,
    CASE WHEN previous_land_use IS NULL THEN land_use || '_remaining_' || land_use
        ELSE 'land_converted_to_' || land_use END AS land_use_category,
    CASE WHEN previous_land_use IS NULL THEN land_use || '_remaining_' || land_use
        ELSE previous_land_use || '_converted_to_' || land_use END AS land_use_subcategory,
    coalesce(previous_land_use, land_use) AS previous_land_use,
    climate_zone, soil_class, management, input,
    climate_zone AS past_climate_zone, soil_class AS past_soil_class,
    past_land_use, past_management, past_input,
    sum(area_ha) AS area_ha,
    sum(area_ha) AS past_area_ha
FROM ledger
GROUP BY ALL
