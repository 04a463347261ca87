-- Model: approach2_recurring_runs
-- Method: runs of constant state (see approach2_runs) for the land units whose history returns
--   to an earlier state (A-B-A, e.g. rotations), by the gaps-and-islands rule on their rows:
--   consecutive years of one state share year - row_number() within that state. States are
--   compared by their integer code (state_id, as in approach2_episodes).
--   Reads land_units again, for these units only, and only when the data span more than 64
--   years (otherwise approach2_runs splits them with the year bit sets of approach2_episodes).
-- Grain: country, unit_id, year_from
-- Inputs: land_units, approach2_unit_summary.
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   unit_id: land unit identifier, unique within the country
--   state_id: integer code of the stratum (country, climate_zone .. input; land_unit_strata)
--   area_ha [ha]: area of the unit in this run
--   year_from [yr]: first year of the run (inclusive)
--   year_to [yr]: last year of the run (inclusive)
--   n_years [count]: unit-year rows in the run
WITH recurring_rows AS (
    SELECT l.country, l.unit_id, l.year, l.state_id, l.area_ha
    FROM land_units AS l
    SEMI JOIN (SELECT country, unit_id FROM approach2_unit_summary WHERE rescan) AS u
        USING (country, unit_id)
),

islands AS (
    SELECT *,
        year - row_number() OVER (
            PARTITION BY country, unit_id, state_id, area_ha
            ORDER BY year
        ) AS island
    FROM recurring_rows
)

SELECT country, unit_id, state_id, area_ha,
    min(year) AS year_from,
    max(year) AS year_to,
    count(*) AS n_years
FROM islands
GROUP BY country, unit_id, state_id, area_ha, island
