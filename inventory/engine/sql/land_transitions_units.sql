-- Model: land_transitions_units
-- Method: annual land transitions by land use (CRT Table 4.1 cells, in ha) from land units with
--   annual histories (Approach 2/3, IPCC 2006 Vol.4 Ch.3 Sec. 3.3.1): each unit adds its area
--   of year y to the cell (its land use in y - 1, its land use in y), from its second year on.
--   Units with one state add to the diagonal every year (summed by state and span, the land
--   use joined from land_unit_strata on the sums); units with several states (approach2_runs)
--   add to the diagonal inside each run of constant state and to the (previous run's land
--   use, run's land use) cell in the run's first year: the previous run's land use is the
--   run's own inside a spell and the spell's previous_land_use at its start (NULL for the
--   first run). Sums over units, so the contributions of any partition of the units add up
--   (crt_land_transition_matrix sums them).
-- Grain: country, year, from_land_use, to_land_use, area_source
-- Inputs: approach2_episodes, approach2_unit_summary, approach2_runs, land_unit_strata.
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year (transitions between the end of y - 1 and the end of y)
--   from_land_use: land use at the end of year y - 1 (inventory.core.vocab.LAND_USES)
--   to_land_use: land use at the end of year y
--   area_ha [ha]: area contribution to the cell (sum of the units' areas in year y)
--   area_source: 'reported' (land units are reported for every year)
WITH static_sums AS (
    -- units with one state, summed by state and span (state_id names the country)
    SELECT e.state_id, e.year_from + 1 AS year_lo, e.year_to AS year_hi,
        sum(e.area_ha) AS area_ha
    FROM approach2_episodes AS e
    ANTI JOIN approach2_unit_summary AS u USING (country, unit_id)
    GROUP BY e.state_id, e.year_from, e.year_to
),

static_units AS (
    SELECT s.country, s.land_use AS from_land_use, s.land_use AS to_land_use,
        g.year_lo, g.year_hi, g.area_ha
    FROM static_sums AS g
    JOIN land_unit_strata AS s USING (state_id)
),

runs AS (
    SELECT *,
        CASE WHEN year_from = spell_start_year THEN previous_land_use ELSE land_use END
            AS land_use_before
    FROM approach2_runs
),

intervals AS (
    SELECT * FROM static_units
    UNION ALL
    SELECT country, land_use, land_use, year_from + 1, year_to, sum(area_ha)
    FROM runs
    GROUP BY ALL
    UNION ALL
    SELECT country, land_use_before, land_use, year_from, year_from, sum(area_ha)
    FROM runs
    WHERE land_use_before IS NOT NULL
    GROUP BY ALL
),

yearly AS (
    SELECT country, from_land_use, to_land_use, area_ha,
        unnest(range(year_lo, year_hi + 1)) AS year
    FROM intervals
    WHERE year_lo <= year_hi
)

SELECT country, year, from_land_use, to_land_use, sum(area_ha) AS area_ha,
    'reported' AS area_source
FROM yearly
GROUP BY ALL
