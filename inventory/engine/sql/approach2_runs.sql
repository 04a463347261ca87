-- Model: approach2_runs
-- Method: land-unit histories as runs of constant state, for IPCC 2006 Vol.4 Ch.2 Eq. 2.25
--   per unit and the UNFCCC split into land remaining vs land converted (Vol.4 Ch.3 Sec. 3.3.1):
--   a run is a maximal span of consecutive years in which a unit keeps one state (stratum and
--   area); a land-use spell is a maximal sequence of runs with the same land use. Each run
--   carries the first year of its spell and the land use before that spell (NULL for the spell
--   that opens the unit's history: before its first year a unit is taken to have been in its
--   first known state).
--   Only units with several states (approach2_unit_summary). A state whose years are
--   interrupted by another state (A, B, A) is split into runs where its year bit set has gaps:
--   a run starts at a set bit whose lower neighbour is clear and ends at a set bit whose upper
--   neighbour is clear; the k-th start pairs with the k-th end. Units without bit sets (data
--   spanning more than 64 years) come from approach2_recurring_runs.
--   States stay integer codes (state_id); only the land use, which spells compare, is joined
--   from land_unit_strata. A spell starts at a run whose land use differs from the run's
--   before it (or has none): spell_start_year is the year_from, previous_land_use the land
--   use before, of the last spell start up to the run.
-- Grain: country, unit_id, year_from
-- Inputs: approach2_episodes, approach2_unit_summary, approach2_recurring_runs,
--   land_unit_strata (state_id, land_use).
-- Params: $bits_origin (yr, as in approach2_episodes).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   unit_id: land unit identifier, unique within the country
--   first_year [yr]: the unit's first year
--   year_from [yr]: first year of the run (inclusive)
--   year_to [yr]: last year of the run (inclusive)
--   state_id: integer code of the stratum (country, climate_zone .. input; land_unit_strata)
--   land_use: land-use code of the stratum (inventory.core.vocab.LAND_USES)
--   area_ha [ha]: area of the unit in this run
--   spell_start_year [yr]: first year of the land-use spell the run belongs to
--   previous_land_use: land use before the spell; NULL for the spell that opens the unit's
--     history
WITH states AS (
    SELECT e.country, e.unit_id, e.state_id, e.area_ha, e.year_from, e.year_to, e.n_years,
        e.year_bits, u.first_year
    FROM approach2_episodes AS e
    JOIN approach2_unit_summary AS u USING (country, unit_id)
    WHERE NOT u.rescan
),

recurring_bounds AS (
    SELECT * EXCLUDE (year_from, year_to, n_years, year_bits),
        [i FOR i IN range(year_from - $bits_origin, year_to - $bits_origin + 1)
            IF (year_bits >> i::UBIGINT) % 2 = 1
            AND (i = year_from - $bits_origin
                OR (year_bits >> greatest(i - 1, 0)::UBIGINT) % 2 = 0)] AS starts,
        [i FOR i IN range(year_from - $bits_origin, year_to - $bits_origin + 1)
            IF (year_bits >> i::UBIGINT) % 2 = 1
            AND (i = year_to - $bits_origin
                OR (year_bits >> least(i + 1, 63)::UBIGINT) % 2 = 0)] AS ends
    FROM states
    WHERE n_years < year_to - year_from + 1
),

runs AS (
    SELECT * EXCLUDE (n_years, year_bits)
    FROM states
    WHERE n_years = year_to - year_from + 1
    UNION ALL BY NAME
    SELECT * EXCLUDE (starts, ends, run_start, run_end),
        $bits_origin + run_start AS year_from,
        $bits_origin + run_end AS year_to
    FROM (SELECT *, unnest(starts) AS run_start, unnest(ends) AS run_end FROM recurring_bounds)
    UNION ALL BY NAME
    SELECT r.* EXCLUDE (n_years), u.first_year
    FROM approach2_recurring_runs AS r
    JOIN approach2_unit_summary AS u USING (country, unit_id)
),

ordered AS (
    SELECT r.*, s.land_use,
        lag(s.land_use) OVER (
            PARTITION BY r.country, r.unit_id ORDER BY r.year_from
        ) AS land_use_before
    FROM runs AS r
    JOIN land_unit_strata AS s USING (state_id)
)

SELECT country, unit_id, first_year, year_from, year_to, state_id, land_use, area_ha,
    max(CASE WHEN land_use_before IS DISTINCT FROM land_use THEN year_from END)
        OVER unit_so_far AS spell_start_year,
    last_value(CASE WHEN land_use_before IS DISTINCT FROM land_use THEN land_use_before END
        IGNORE NULLS) OVER unit_so_far AS previous_land_use
FROM ordered
WINDOW unit_so_far AS (
    PARTITION BY country, unit_id ORDER BY year_from ROWS UNBOUNDED PRECEDING
)
