-- Check: every land unit has one row per year from its first to its last year (annual
--   histories, as Approach 2/3 and IPCC 2006 Vol.4 Ch.2 Eq. 2.25 per unit need).
-- Returns: one row per offending unit with a reason; empty = pass.
-- Inputs: approach2_unit_summary (units with several states), approach2_episodes (a unit with
--   one state is not in the summary: its single episode must cover its span exactly).
WITH units AS (
    SELECT country, unit_id, first_year, last_year, n_years
    FROM approach2_unit_summary
    UNION ALL
    SELECT country, unit_id, year_from, year_to, n_years
    FROM approach2_episodes
    ANTI JOIN approach2_unit_summary USING (country, unit_id)
    WHERE n_years <> year_to - year_from + 1
)

SELECT country, unit_id, first_year, last_year, n_years,
    CASE
        WHEN n_years > last_year - first_year + 1 THEN 'more than one row for a year'
        ELSE 'missing years between first and last year'
    END AS reason
FROM units
WHERE n_years <> last_year - first_year + 1
ORDER BY country, unit_id
