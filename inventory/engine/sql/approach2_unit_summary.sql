-- Model: approach2_unit_summary
-- Method: span and number of states of the land units whose state changes (Approach 2/3,
--   IPCC 2006 Vol.4 Ch.3 Sec. 3.3.1), from approach2_episodes. A unit with one state has a
--   constant equilibrium stock and a zero change in every year (IPCC 2006 Vol.4 Ch.2
--   Eq. 2.25) and is left out: its single episode says all there is.
-- Grain: country, unit_id; only units with more than one state.
-- Inputs: approach2_episodes.
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   unit_id: land unit identifier, unique within the country
--   first_year [yr]: the unit's first year
--   last_year [yr]: the unit's last year
--   n_years [count]: unit-year rows
--   n_states [count]: distinct states (stratum keys and area)
--   recurring: true when a state comes back after another one
--   rescan: recurring and no year bit set: runs must be read from the rows by
--     approach2_recurring_runs
SELECT country, unit_id,
    min(year_from) AS first_year,
    max(year_to) AS last_year,
    sum(n_years) AS n_years,
    count(*) AS n_states,
    bool_or(n_years < year_to - year_from + 1) AS recurring,
    bool_or(n_years < year_to - year_from + 1 AND year_bits IS NULL) AS rescan
FROM approach2_episodes
GROUP BY country, unit_id
HAVING count(*) > 1
