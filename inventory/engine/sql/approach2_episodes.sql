-- Model: approach2_episodes
-- Method: first step of IPCC 2006 Vol.4 Ch.2 Eq. 2.25 applied per land unit (Approach 2/3 land
--   representation, Vol.4 Ch.3 Sec. 3.3.1): each unit's years grouped by state (stratum and
--   area). This is the one full pass over the unit-year rows; what follows works on these
--   groups, which number little more than the units (a unit that never changes has one).
--   A state whose years have a gap (n_years < year_to - year_from + 1: the unit left the state
--   and came back, A-B-A) is split into runs by approach2_runs using year_bits (bit i set when
--   year $bits_origin + i is in the group); when the data span more than 64 years
--   ($bits_origin NULL) approach2_recurring_runs reads those units' rows again instead.
--   The rows carry their stratum as one integer, state_id (encoded once at harmonisation, or on
--   the fly for versions without it: inventory/harmonise/land_unit_states.py), which names the
--   country too: the pass groups integers (unit_id, state_id) and the area, and only the
--   country is joined back from land_unit_strata on its result. The stratum keys stay behind
--   state_id through runs and transitions (compared as integers) and are joined on the small
--   summed result of approach2_transitions.
-- Grain: unit_id, state_id, area_ha; state_id stands for the country and the stratum keys
-- Inputs: land_units (unit_id, year, state_id, area_ha), land_unit_strata (country, state_id).
-- Params: $bits_origin (yr, first year of the data; NULL when the data span more than 64 yr).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   unit_id: land unit identifier, unique within the country
--   state_id: integer code of the stratum (country, climate_zone .. input; land_unit_strata)
--   area_ha [ha]: area of the unit in this state
--   year_from [yr]: first year in this state
--   year_to [yr]: last year in this state
--   n_years [count]: unit-year rows in this state
--   year_bits: UBIGINT bit set of the years (bit i set when year $bits_origin + i is in the
--     group), NULL without $bits_origin
WITH grouped AS (
    SELECT unit_id, state_id, area_ha,
        min(year) AS year_from,
        max(year) AS year_to,
        count(*) AS n_years,
        bit_or(1::UBIGINT << (year - $bits_origin)::UBIGINT) AS year_bits
    FROM land_units
    GROUP BY unit_id, state_id, area_ha
)

SELECT s.country, g.unit_id, g.state_id, g.area_ha, g.year_from, g.year_to, g.n_years,
    g.year_bits
FROM grouped AS g
JOIN land_unit_strata AS s USING (state_id)
