-- Model: approach2_stock_change_draws
-- Method: IPCC 2006 Vol.4 Ch.2 Eq. 2.25 per land unit, summed to reporting sub-categories:
--   dC(y) = sum over units (A(y) x SOC_ppha(s_y) - A(y - D) x SOC_ppha(s_{y-D})) / D   [t C/yr]
--   with SOC_ppha = SOC_REF x F_LU x F_MG x F_I [t C/ha] of the stratum, evaluated once per
--   Monte Carlo draw (factor_draws: one value per draw and factor_id; draw 0 = table values).
--   Areas are linear, so each draw is applied to area sums by stratum (IPCC 2006 Vol.1 Ch.3
--   Sec. 3.2.3, Approach 2 on stratum aggregates). Transitions whose past and current state are
--   identical contribute exactly 0 and are left out of the sums.
--   dCO2 = -dC x 44/12 (UNFCCC sign: emissions positive, removals negative).
--   Area (activity data) uncertainty, drawn with the factors (IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3;
--   montecarlo.area_multipliers, one multiplier per draw for all years): land units scale each
--   stratum's area (stratum_area_draws: SOC_ppha of the stratum x m, the Approach 1 rule);
--   change matrices scale each cell's converted area (cell_area_draws: both terms of the
--   cell's cohort x m). A stratum or cell without a row there is exact (m = 1).
-- Grain: draw, country, year, land_use, land_use_category, land_use_subcategory
-- Inputs: approach2_transitions, stratum_factors, factor_draws (draw, factor_id, value),
--   stratum_area_draws (draw, country and the five stratum keys, multiplier),
--   cell_area_draws (draw, country, climate_zone, soil_class, past_land_use,
--   past_management, past_input, land_use, management, input, multiplier); draws 1..N of
--   the uncertain strata / cells only, may be empty.
-- Params: $transition_years (D, yr), $c_to_co2 (44/12 from inventory.core.units), $first_year,
--   $last_year (reported years; NULL = all).
-- Columns:
--   draw: Monte Carlo draw; 0 = deterministic estimate (every factor at its table
--     value), 1..N = draws
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   land_use_category: UNFCCC reporting category, <lu>_remaining_<lu> or
--     land_converted_to_<lu>
--   land_use_subcategory: <lu>_remaining_<lu> for land remaining, or
--     <previous>_converted_to_<lu> for land converted
--   previous_land_use: land use before the current land-use spell (= land_use for land
--     remaining)
--   area_ha [ha]: area in the sub-category in year y
--   dC_tc_per_yr [t C/yr]: annual SOC stock change, + = removal (gain of soil carbon)
--   dCO2_t_per_yr [t CO2/yr]: CO2 flux, + = emission (UNFCCC sign: -dC x 44/12)
WITH reported AS (
    SELECT *
    FROM approach2_transitions
    WHERE ($first_year IS NULL OR year >= $first_year)
        AND ($last_year IS NULL OR year <= $last_year)
),

strata AS (
    -- integer keys, so that the per-draw joins and sums below compare numbers, not strings
    SELECT *, row_number() OVER () AS stratum_id
    FROM (SELECT DISTINCT country, climate_zone, soil_class, land_use, management, input
          FROM stratum_factors)
),

compound AS (
    SELECT d.draw, s.stratum_id,
        product(d.value) AS stock_per_ha  -- SOC_REF x F_LU x F_MG x F_I, t C/ha
    FROM stratum_factors AS sf
    JOIN strata AS s USING (country, climate_zone, soil_class, land_use, management, input)
    JOIN factor_draws AS d USING (factor_id)
    GROUP BY ALL
),

area_scaled AS (
    -- x the stratum's area multiplier of the draw (land units); 1 where exact
    SELECT c.draw, c.stratum_id, c.stock_per_ha * coalesce(m.multiplier, 1.0) AS stock_per_ha
    FROM compound AS c
    JOIN strata AS s USING (stratum_id)
    LEFT JOIN stratum_area_draws AS m
        ON m.draw = c.draw AND m.country = s.country AND m.climate_zone = s.climate_zone
        AND m.soil_class = s.soil_class AND m.land_use = s.land_use
        AND m.management = s.management AND m.input = s.input
),

cells AS (
    SELECT *, row_number() OVER () AS cell_id
    FROM (SELECT DISTINCT country, climate_zone, soil_class, past_land_use, past_management,
              past_input, land_use, management, input
          FROM cell_area_draws)
),

cell_draws AS (
    SELECT m.draw, k.cell_id, m.multiplier
    FROM cell_area_draws AS m
    JOIN cells AS k
        USING (country, climate_zone, soil_class, past_land_use, past_management, past_input,
               land_use, management, input)
),

categories AS (
    SELECT country, year, land_use, land_use_category, land_use_subcategory, previous_land_use,
        sum(area_ha) AS area_ha,
        row_number() OVER () AS category_id
    FROM reported
    GROUP BY ALL
),

changed AS (
    SELECT r.*, k.category_id, x.cell_id
    FROM reported AS r
    JOIN categories AS k
        USING (country, year, land_use, land_use_category, land_use_subcategory)
    LEFT JOIN cells AS x  -- the matrix cell of a cohort (same climate zone and soil class)
        ON x.country = r.country AND x.climate_zone = r.climate_zone
        AND x.soil_class = r.soil_class AND r.past_climate_zone = r.climate_zone
        AND r.past_soil_class = r.soil_class AND x.past_land_use = r.past_land_use
        AND x.past_management = r.past_management AND x.past_input = r.past_input
        AND x.land_use = r.land_use AND x.management = r.management AND x.input = r.input
    WHERE r.area_ha <> r.past_area_ha
        OR (r.climate_zone, r.soil_class, r.land_use, r.management, r.input)
        <> (r.past_climate_zone, r.past_soil_class, r.past_land_use, r.past_management,
            r.past_input)
),

weights AS (
    -- + current area on the current stratum, - past area on the past stratum
    SELECT c.category_id, s.stratum_id, c.cell_id, c.area_ha AS weight_ha
    FROM changed AS c
    JOIN strata AS s USING (country, climate_zone, soil_class, land_use, management, input)
    UNION ALL
    SELECT c.category_id, s.stratum_id, c.cell_id, -c.past_area_ha
    FROM changed AS c
    JOIN strata AS s
        ON s.country = c.country
        AND s.climate_zone = c.past_climate_zone
        AND s.soil_class = c.past_soil_class
        AND s.land_use = c.past_land_use
        AND s.management = c.past_management
        AND s.input = c.past_input
),

netted AS (
    SELECT category_id, stratum_id, cell_id, sum(weight_ha) AS weight_ha
    FROM weights
    GROUP BY ALL
),

changes AS (
    SELECT c.draw, n.category_id,
        sum(n.weight_ha * c.stock_per_ha * coalesce(m.multiplier, 1.0))
            / $transition_years AS dc
    FROM netted AS n
    JOIN area_scaled AS c USING (stratum_id)
    LEFT JOIN cell_draws AS m ON m.draw = c.draw AND m.cell_id = n.cell_id
    GROUP BY c.draw, n.category_id
)

SELECT d.draw, k.country, k.year, k.land_use, k.land_use_category, k.land_use_subcategory,
    k.previous_land_use, k.area_ha,
    coalesce(ch.dc, 0.0) AS dC_tc_per_yr,
    0.0 - coalesce(ch.dc, 0.0) * $c_to_co2 AS dCO2_t_per_yr  -- 0.0 - x: no -0.0 for zero
FROM categories AS k
CROSS JOIN (SELECT DISTINCT draw FROM factor_draws) AS d
LEFT JOIN changes AS ch ON ch.draw = d.draw AND ch.category_id = k.category_id
