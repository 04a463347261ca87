-- Model: approach2_recurring_runs
-- Method: runs of constant state (see approach2_runs) for the land units whose history returns
--   to an earlier state (A-B-A, e.g. rotations), by the gaps-and-islands rule on their rows:
--   consecutive years of one state share year - row_number() within that state.
--   Reads land_units again, for these units only, and only when the data span more than 64
--   years (otherwise approach2_runs splits them with the year bit sets of approach2_episodes).
-- Grain: one row per (country, unit_id, year_from).
-- Inputs: land_units, approach2_unit_summary.
-- Params: none.
-- Columns: stratum keys, area_ha (ha), year_from, year_to (yr, inclusive), n_years (rows).
WITH recurring_rows AS (
    SELECT l.country, l.unit_id, l.year, l.climate_zone, l.soil_class, l.land_use,
        l.management, l.input, l.area_ha
    FROM land_units AS l
    SEMI JOIN (SELECT country, unit_id FROM approach2_unit_summary WHERE rescan) AS u
        USING (country, unit_id)
),

islands AS (
    SELECT *,
        year - row_number() OVER (
            PARTITION BY country, unit_id, climate_zone, soil_class, land_use, management,
                input, area_ha
            ORDER BY year
        ) AS island
    FROM recurring_rows
)

SELECT country, unit_id, climate_zone, soil_class, land_use, management, input, area_ha,
    min(year) AS year_from,
    max(year) AS year_to,
    count(*) AS n_years
FROM islands
GROUP BY country, unit_id, climate_zone, soil_class, land_use, management, input, area_ha,
    island
