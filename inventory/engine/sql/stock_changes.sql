-- Model: stock_changes (Approach 1: areas by stratum and year)
-- Method: IPCC 2006 Vol.4 Ch.2 Eq. 2.25, change term with the default linear transition:
--   dC(y) = (SOC(y) - SOC(y - D)) / D   [t C/yr], D = $transition_years (20 by default).
--   History before the first year with data is taken as that first known state
--   (SOC(y - D) := SOC(first year) when y - D precedes it).
--   Attribution to UNFCCC categories (project method, stated in the README; the national total
--   is Eq. 2.25 exactly, the split is not an IPCC equation), within each climate x soil cell
--   (land changes use within a cell; soil and climate do not change), with A1 = A(y-D),
--   A2 = A(y) and densities d = SOC / A of a land use in the cell:
--     <lu>_remaining_<lu>:  min(A1, A2) x (d2 - d1) / D
--     land_converted_to_<lu>: the rest of the cell's change, shared among land uses that
--       gained area in the cell in proportion to their gain (A2 - A1); if none gained area
--       (the cell's area shrank), the rest goes to the land uses that lost area, by their loss.
--   Cells are then summed to (land use, category).
-- Grain: draw, country, year, land_use, land_use_category
-- Inputs: land_use_stocks (draw, country, year, climate_zone, soil_class, land_use, area_ha,
--   stock_tc), annual years.
-- Params: $transition_years (D, years), $first_year, $last_year (reported years; NULL = all),
--   $c_to_co2 (44/12, passed from inventory.core.units).
-- Columns:
--   draw: Monte Carlo draw; 0 = deterministic estimate (every factor at its table
--     value), 1..N = draws
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   land_use_category: UNFCCC reporting category, <lu>_remaining_<lu> or
--     land_converted_to_<lu>
--   area_ha [ha]: area in the category in year y
--   dC_tc_per_yr [t C/yr]: annual SOC stock change, + = removal (gain of soil carbon)
--   dCO2_t_per_yr [t CO2/yr]: CO2 flux, + = emission (UNFCCC sign: -dC x 44/12)
WITH bounds AS (
    SELECT country, min(year) AS first_data_year
    FROM land_use_stocks
    GROUP BY country
),

cells AS (
    SELECT DISTINCT country, climate_zone, soil_class, land_use FROM land_use_stocks
),

grid AS (
    SELECT d.draw, c.country, y.year, c.climate_zone, c.soil_class, c.land_use
    FROM (SELECT DISTINCT draw FROM land_use_stocks) AS d
    CROSS JOIN cells AS c
    JOIN (SELECT DISTINCT country, year FROM land_use_stocks) AS y USING (country)
),

dense AS (
    SELECT g.*, coalesce(s.area_ha, 0) AS area_ha, coalesce(s.stock_tc, 0) AS stock_tc
    FROM grid AS g
    LEFT JOIN land_use_stocks AS s
        USING (draw, country, year, climate_zone, soil_class, land_use)
),

lagged AS (
    SELECT cur.draw, cur.country, cur.year, cur.climate_zone, cur.soil_class, cur.land_use,
        prev.area_ha AS a1, cur.area_ha AS a2, prev.stock_tc AS s1, cur.stock_tc AS s2
    FROM dense AS cur
    JOIN bounds AS b USING (country)
    JOIN dense AS prev
        ON prev.draw = cur.draw AND prev.country = cur.country
        AND prev.climate_zone = cur.climate_zone AND prev.soil_class = cur.soil_class
        AND prev.land_use = cur.land_use
        AND prev.year = greatest(cur.year - $transition_years, b.first_data_year)
    WHERE ($first_year IS NULL OR cur.year >= $first_year)
        AND ($last_year IS NULL OR cur.year <= $last_year)
),

remaining AS (
    SELECT *,
        least(a1, a2) AS a_rem,
        CASE WHEN least(a1, a2) > 0
            THEN least(a1, a2) * (s2 / a2 - s1 / a1) / $transition_years ELSE 0 END AS dc_rem,
        (s2 - s1) / $transition_years AS dc_total,
        greatest(a2 - a1, 0) AS gain,
        greatest(a1 - a2, 0) AS loss
    FROM lagged
),

cell AS (
    SELECT draw, country, year, climate_zone, soil_class,
        sum(dc_total) - sum(dc_rem) AS residual,
        sum(gain) AS total_gain,
        sum(loss) AS total_loss
    FROM remaining
    GROUP BY ALL
),

categories AS (
    SELECT r.draw, r.country, r.year, r.land_use,
        r.land_use || '_remaining_' || r.land_use AS land_use_category,
        r.a_rem AS area_ha,
        r.dc_rem + CASE WHEN n.total_gain = 0 AND n.total_loss > 0
            THEN n.residual * r.loss / n.total_loss ELSE 0 END AS dc
    FROM remaining AS r
    JOIN cell AS n USING (draw, country, year, climate_zone, soil_class)
    WHERE r.a_rem > 0 OR r.loss > 0
    UNION ALL
    SELECT r.draw, r.country, r.year, r.land_use,
        'land_converted_to_' || r.land_use AS land_use_category,
        r.gain AS area_ha,
        n.residual * r.gain / n.total_gain AS dc
    FROM remaining AS r
    JOIN cell AS n USING (draw, country, year, climate_zone, soil_class)
    WHERE r.gain > 0
)

SELECT draw, country, year, land_use, land_use_category,
    sum(area_ha) AS area_ha,
    sum(dc) AS dC_tc_per_yr,
    -sum(dc) * $c_to_co2 AS dCO2_t_per_yr
FROM categories
GROUP BY ALL
ORDER BY ALL
