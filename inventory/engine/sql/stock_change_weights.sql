-- Model: stock_change_weights (Approach 1: areas by stratum and year)
-- Method: IPCC 2006 Vol.4 Ch.2 Eq. 2.25, change term with the default linear transition,
--   dC(y) = (SOC(y) - SOC(y - D)) / D   [t C/yr], D = $transition_years (20 by default),
--   history before the first year with data taken as that first known state
--   (SOC(y - D) := SOC(first year) when y - D precedes it), written as weights on the stock per
--   hectare p_k = SOC_REF x F_LU x F_MG x F_I [t C/ha] of every stratum k:
--     dC(category, y) = sum over k of weight_ha_per_yr(category, y, k) x p_k
--   Attribution to UNFCCC categories (project method, stated in the README; the national total
--   is Eq. 2.25 exactly, the split is not an IPCC equation), within each climate x soil cell,
--   with A1 = A(y-D), A2 = A(y) and S1, S2 the stocks of a land use in the cell:
--     <lu>_remaining_<lu>:  min(A1, A2) x (S2 / A2 - S1 / A1) / D
--     land_converted_to_<lu>: the rest of the cell's change, shared among land uses that
--       gained area in the cell in proportion to their gain (A2 - A1); if none gained area
--       (the cell's area shrank), the rest goes to the land uses that lost area, by their loss.
--   Each term is linear in S1, S2 (the shares depend on areas only) and S = sum of A_k x p_k,
--   so the weights are draw-independent: a Monte Carlo draw of the p_k gives every category's
--   change by one matrix product (IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3, Approach 2 on stratum
--   aggregates; areas are linear).
-- Grain: country, year, land_use, land_use_category, climate_zone, soil_class,
--   stratum_land_use, management, input; one row per category and stratum of its cell.
-- Inputs: land_areas (country, year, climate_zone, soil_class, land_use, management, input,
--   area_ha); annual years.
-- Params: $transition_years (D, yr).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year (every year with data, history years included)
--   land_use: land-use code of the category (inventory.core.vocab.LAND_USES)
--   land_use_category: UNFCCC reporting category, <lu>_remaining_<lu> or
--     land_converted_to_<lu>
--   category_area_ha [ha]: area in the category in year y, all cells (repeated on every
--     stratum row of the category)
--   climate_zone: IPCC climate zone code of the stratum (inventory.core.vocab.CLIMATE_ZONES)
--   soil_class: IPCC mineral soil class code of the stratum (inventory.core.vocab.SOIL_CLASSES)
--   stratum_land_use: land-use code of the stratum whose stock the weight multiplies
--   management: management code of the stratum (inventory.core.vocab.MANAGEMENTS)
--   input: carbon input level code of the stratum (inventory.core.vocab.INPUTS)
--   weight_ha_per_yr [ha/yr]: weight of the stratum's stock per hectare in the category's
--     change; dC = sum of weight x SOC_REF x F_LU x F_MG x F_I [t C/yr]
WITH strata AS (
    SELECT country, year, climate_zone, soil_class, land_use, management, input,
        sum(area_ha) AS area_ha
    FROM land_areas
    GROUP BY ALL
),

bounds AS (
    SELECT country, min(year) AS first_data_year
    FROM strata
    GROUP BY country
),

land_use_areas AS (
    SELECT country, year, climate_zone, soil_class, land_use, sum(area_ha) AS area_ha
    FROM strata
    GROUP BY ALL
),

dense AS (
    SELECT y.country, y.year, c.climate_zone, c.soil_class, c.land_use,
        coalesce(a.area_ha, 0) AS area_ha
    FROM (SELECT DISTINCT country, year FROM strata) AS y
    JOIN (SELECT DISTINCT country, climate_zone, soil_class, land_use FROM strata) AS c
        USING (country)
    LEFT JOIN land_use_areas AS a USING (country, year, climate_zone, soil_class, land_use)
),

lagged AS (
    SELECT cur.country, cur.year, cur.climate_zone, cur.soil_class, cur.land_use,
        greatest(cur.year - $transition_years, b.first_data_year) AS past_year,
        prev.area_ha AS a1, cur.area_ha AS a2
    FROM dense AS cur
    JOIN bounds AS b USING (country)
    JOIN dense AS prev
        ON prev.country = cur.country AND prev.climate_zone = cur.climate_zone
        AND prev.soil_class = cur.soil_class AND prev.land_use = cur.land_use
        AND prev.year = greatest(cur.year - $transition_years, b.first_data_year)
),

shares AS (
    SELECT *,
        least(a1, a2) AS a_rem,
        greatest(a2 - a1, 0) AS gain,
        greatest(a1 - a2, 0) AS loss,
        sum(greatest(a2 - a1, 0)) OVER cell AS total_gain,
        sum(greatest(a1 - a2, 0)) OVER cell AS total_loss
    FROM lagged
    WINDOW cell AS (PARTITION BY country, year, climate_zone, soil_class)
),

categories AS (
    -- phi: share of the cell's residual (its change minus the remaining terms)
    SELECT country, year, past_year, climate_zone, soil_class, land_use, true AS remaining,
        land_use || '_remaining_' || land_use AS land_use_category, a_rem AS area_ha,
        CASE WHEN total_gain = 0 AND total_loss > 0 THEN loss / total_loss ELSE 0 END AS phi
    FROM shares
    WHERE a_rem > 0 OR loss > 0
    UNION ALL
    SELECT country, year, past_year, climate_zone, soil_class, land_use, false AS remaining,
        'land_converted_to_' || land_use AS land_use_category, gain AS area_ha,
        gain / total_gain AS phi
    FROM shares
    WHERE gain > 0
),

category_areas AS (
    SELECT country, year, land_use, land_use_category, sum(area_ha) AS category_area_ha
    FROM categories
    GROUP BY ALL
),

coefficients AS (
    -- c2, c1: coefficients on S2 = SOC_m(y) and S1 = SOC_m(y - D) of land use m in the cell;
    -- residual = sum over m of (S2 - S1) - min(A1, A2) x (S2 / A2 - S1 / A1)
    SELECT k.country, k.year, k.past_year, k.climate_zone, k.soil_class, k.land_use,
        k.land_use_category, m.land_use AS stratum_land_use,
        CASE WHEN k.remaining AND m.land_use = k.land_use AND m.a_rem > 0
            THEN m.a_rem / m.a2 ELSE 0 END
            + k.phi * CASE WHEN m.a_rem > 0 THEN 1 - m.a_rem / m.a2 ELSE 1 END AS c2,
        CASE WHEN k.remaining AND m.land_use = k.land_use AND m.a_rem > 0
            THEN m.a_rem / m.a1 ELSE 0 END
            + k.phi * CASE WHEN m.a_rem > 0 THEN 1 - m.a_rem / m.a1 ELSE 1 END AS c1
    FROM categories AS k
    JOIN shares AS m USING (country, year, climate_zone, soil_class)
    WHERE m.a1 > 0 OR m.a2 > 0
),

weights AS (
    SELECT c.country, c.year, c.land_use, c.land_use_category, c.climate_zone, c.soil_class,
        c.stratum_land_use, s.management, s.input,
        (c.c2 * coalesce(cur.area_ha, 0) - c.c1 * coalesce(past.area_ha, 0))
            / $transition_years AS weight_ha_per_yr
    FROM coefficients AS c
    JOIN (SELECT DISTINCT country, climate_zone, soil_class, land_use, management, input
          FROM strata) AS s
        ON s.country = c.country AND s.climate_zone = c.climate_zone
        AND s.soil_class = c.soil_class AND s.land_use = c.stratum_land_use
    LEFT JOIN strata AS cur
        ON cur.country = s.country AND cur.climate_zone = s.climate_zone
        AND cur.soil_class = s.soil_class AND cur.land_use = s.land_use
        AND cur.management = s.management AND cur.input = s.input AND cur.year = c.year
    LEFT JOIN strata AS past
        ON past.country = s.country AND past.climate_zone = s.climate_zone
        AND past.soil_class = s.soil_class AND past.land_use = s.land_use
        AND past.management = s.management AND past.input = s.input
        AND past.year = c.past_year
    WHERE cur.area_ha IS NOT NULL OR past.area_ha IS NOT NULL
)

SELECT w.country, w.year, w.land_use, w.land_use_category, a.category_area_ha,
    w.climate_zone, w.soil_class, w.stratum_land_use, w.management, w.input,
    sum(w.weight_ha_per_yr) AS weight_ha_per_yr
FROM weights AS w
JOIN category_areas AS a USING (country, year, land_use, land_use_category)
GROUP BY ALL
ORDER BY ALL
