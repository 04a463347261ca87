-- Model: approach2_transitions
-- Method: IPCC 2006 Vol.4 Ch.2 Eq. 2.25 per land unit (Approach 2/3), both states the change
--   needs, summed over units (areas are linear, so factors can be applied to the sums):
--     dC_u(y) = (SOC_u(y) - SOC_u(y - D)) / D,  SOC_u = A_u x SOC_REF x F_LU x F_MG x F_I,
--   D = $transition_years. The past state is the unit's state in year y - D, or in its first
--   year when y - D precedes it (history before the first year = first known state).
--   For a unit with runs r_1..r_k (approach2_runs) the years y whose current state is r_j and
--   past state r_i (i <= j) are the years of r_j within
--     (-inf, to_i + D]          when i = 1,
--     [from_i + D, to_i + D]    when i > 1.
--   Reporting category (UNFCCC): land converted to its current land use while y falls within
--   D years of the start of the current land-use spell (years 0 .. D-1 after the change; a
--   change of management alone does not start a spell), else land remaining. The previous
--   land use of converted land is the land use of the spell before (the sub-category
--   <previous>_converted_to_<current>).
--   Units with a single state (not in approach2_unit_summary) contribute their area to
--   land remaining, with the past state equal to the current one, in every year they exist.
--   States are integer codes (state_id) throughout: the areas are summed by year, current and
--   past state and previous land use, and the stratum keys of both states are joined from
--   land_unit_strata on those sums only.
-- Grain: country, year, land_use_category, land_use_subcategory, land_use, climate_zone,
--   soil_class, management, input, past_climate_zone, past_soil_class, past_land_use,
--   past_management, past_input; current and past stratum keys.
-- Inputs: approach2_episodes, approach2_unit_summary, approach2_runs, land_unit_strata.
-- Params: $transition_years (D, yr).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   land_use: current land-use code (inventory.core.vocab.LAND_USES)
--   land_use_category: UNFCCC reporting category, <lu>_remaining_<lu> or
--     land_converted_to_<lu>
--   land_use_subcategory: <lu>_remaining_<lu> for land remaining, or
--     <previous>_converted_to_<lu> for land converted
--   previous_land_use: land use before the current land-use spell (= land_use for land
--     remaining)
--   climate_zone: current IPCC climate zone code (inventory.core.vocab.CLIMATE_ZONES)
--   soil_class: current IPCC mineral soil class code (inventory.core.vocab.SOIL_CLASSES)
--   management: current management code (inventory.core.vocab.MANAGEMENTS)
--   input: current carbon input level code (inventory.core.vocab.INPUTS)
--   past_climate_zone: climate zone code of the past stratum (the unit's state in year y - D)
--   past_soil_class: soil class code of the past stratum (the unit's state in year y - D)
--   past_land_use: land-use code of the past stratum (the unit's state in year y - D)
--   past_management: management code of the past stratum (the unit's state in year y - D)
--   past_input: carbon input level code of the past stratum (the unit's state in year y - D)
--   area_ha [ha]: current area, in year y
--   past_area_ha [ha]: area in y - D; differs from area_ha only when a unit's area was revised
WITH static_sums AS (
    -- units with one state: summed by state and span (state_id names the country)
    SELECT e.state_id, e.year_from AS year_lo, e.year_to AS year_hi, sum(e.area_ha) AS area_ha
    FROM approach2_episodes AS e
    ANTI JOIN approach2_unit_summary AS u USING (country, unit_id)
    GROUP BY e.state_id, e.year_from, e.year_to
),

static_intervals AS (
    SELECT state_id, state_id AS past_state_id, NULL::VARCHAR AS previous_land_use,
        year_lo, year_hi, area_ha, area_ha AS past_area_ha
    FROM static_sums
),

pairs AS (
    SELECT cur.state_id, cur.area_ha, cur.previous_land_use, cur.spell_start_year,
        past.state_id AS past_state_id, past.area_ha AS past_area_ha,
        greatest(cur.year_from, CASE WHEN past.year_from = past.first_year THEN cur.year_from
            ELSE past.year_from + $transition_years END) AS year_lo,
        least(cur.year_to, past.year_to + $transition_years) AS year_hi
    FROM approach2_runs AS cur
    JOIN approach2_runs AS past
        ON past.country = cur.country
        AND past.unit_id = cur.unit_id
        AND past.year_from <= cur.year_from
),

dynamic_intervals AS (
    -- converted: years from the spell start up to D - 1 years after it
    SELECT * EXCLUDE (spell_start_year, year_hi),
        least(year_hi, spell_start_year + $transition_years - 1) AS year_hi
    FROM pairs
    WHERE previous_land_use IS NOT NULL
        AND year_lo <= least(year_hi, spell_start_year + $transition_years - 1)
    UNION ALL BY NAME
    -- remaining: spells that open the history, and older spells from D years after the change
    SELECT * EXCLUDE (spell_start_year, year_lo, previous_land_use),
        NULL::VARCHAR AS previous_land_use,
        CASE WHEN previous_land_use IS NULL THEN year_lo
            ELSE greatest(year_lo, spell_start_year + $transition_years) END AS year_lo
    FROM pairs
    WHERE year_hi >= CASE WHEN previous_land_use IS NULL THEN year_lo
        ELSE greatest(year_lo, spell_start_year + $transition_years) END
),

intervals AS (
    SELECT * FROM static_intervals
    UNION ALL BY NAME
    SELECT * EXCLUDE (area_ha, past_area_ha),
        sum(area_ha) AS area_ha, sum(past_area_ha) AS past_area_ha
    FROM dynamic_intervals
    WHERE year_lo <= year_hi
    GROUP BY ALL
),

yearly AS (
    SELECT * EXCLUDE (year_lo, year_hi), unnest(range(year_lo, year_hi + 1)) AS year
    FROM intervals
),

summed AS (
    -- (state_id, previous_land_use) gives the category and sub-category: grouping on them
    -- groups on the published keys
    SELECT year, state_id, past_state_id, previous_land_use,
        sum(area_ha) AS area_ha,
        sum(past_area_ha) AS past_area_ha
    FROM yearly
    GROUP BY year, state_id, past_state_id, previous_land_use
)

SELECT cur.country, y.year, cur.land_use,
    CASE WHEN y.previous_land_use IS NULL THEN cur.land_use || '_remaining_' || cur.land_use
        ELSE 'land_converted_to_' || cur.land_use END AS land_use_category,
    CASE WHEN y.previous_land_use IS NULL THEN cur.land_use || '_remaining_' || cur.land_use
        ELSE y.previous_land_use || '_converted_to_' || cur.land_use END AS land_use_subcategory,
    coalesce(y.previous_land_use, cur.land_use) AS previous_land_use,
    cur.climate_zone, cur.soil_class, cur.management, cur.input,
    past.climate_zone AS past_climate_zone, past.soil_class AS past_soil_class,
    past.land_use AS past_land_use, past.management AS past_management,
    past.input AS past_input,
    y.area_ha, y.past_area_ha
FROM summed AS y
JOIN land_unit_strata AS cur ON cur.state_id = y.state_id
JOIN land_unit_strata AS past ON past.state_id = y.past_state_id
