-- Model: land_use_stocks
-- Method: IPCC 2006 Vol.4 Ch.2 Eq. 2.25 stock term summed to land use within each
--   climate x soil cell (management and input summed out),
--   SOC_lu(y) = sum over strata of A(y) x SOC_REF x F_LU x F_MG x F_I   [t C],
--   once per Monte Carlo draw: factor_draws holds one value per (draw, factor_id); draw 0 is
--   the deterministic estimate (every factor at its table value). Areas are linear, so the draws
--   are applied to stratum aggregates (IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3, Approach 2).
-- Grain: draw, country, year, climate_zone, soil_class, land_use
-- Inputs: land_areas (country, year, stratum keys, area_ha), stratum_factors,
--   factor_draws (draw INTEGER, factor_id VARCHAR, value DOUBLE).
-- Params: none.
-- Columns:
--   draw: Monte Carlo draw; 0 = deterministic estimate (every factor at its table
--     value), 1..N = draws
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   climate_zone: IPCC climate zone code (inventory.core.vocab.CLIMATE_ZONES)
--   soil_class: IPCC mineral soil class code (inventory.core.vocab.SOIL_CLASSES)
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   area_ha [ha]: mineral-soil area of the land use in the climate x soil cell
--   stock_tc [t C]: SOC stock SOC_lu(y) of the land use in the cell, 0-30 cm
WITH areas AS (
    SELECT country, year, climate_zone, soil_class, land_use, management, input,
        sum(area_ha) AS area_ha
    FROM land_areas
    GROUP BY ALL
),

compound AS (
    SELECT d.draw, sf.country, sf.climate_zone, sf.soil_class, sf.land_use, sf.management,
        sf.input,
        product(d.value) AS stock_per_ha  -- SOC_REF x F_LU x F_MG x F_I, t C/ha
    FROM stratum_factors AS sf
    JOIN factor_draws AS d USING (factor_id)
    GROUP BY ALL
)

SELECT c.draw, a.country, a.year, a.climate_zone, a.soil_class, a.land_use,
    sum(a.area_ha) AS area_ha,
    sum(a.area_ha * c.stock_per_ha) AS stock_tc
FROM areas AS a
JOIN compound AS c USING (country, climate_zone, soil_class, land_use, management, input)
GROUP BY ALL
ORDER BY ALL
