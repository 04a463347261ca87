-- Model: rewetting_scenario
-- Method: avoided emissions if a share of each drained organic-soil stratum were rewetted,
--   IPCC 2014 Wetlands Supplement Tier 1 factors on both sides:
--     drained  co2e/ha = sum_c EF_c x share_c x GWP(gas_c)  (WS Ch.2 Tables 2.1-2.5, Eq. 2.6:
--                        share = 1 - Frac_ditch for CH4 land, Frac_ditch for ditches, else 1)
--     rewetted co2e/ha = same sum over WS Ch.3 Tables 3.1-3.3 (no ditch term, N2O = 0)
--       for the same climate_zone, land_use, nutrient_status and drainage_depth
--     rewetted_area_ha = area_ha x $rewet_share
--     avoided_co2e = rewetted_area_ha x (drained co2e/ha - rewetted co2e/ha)   [t CO2e/yr]
--   Tier 1 treats the site as undrained from the year of rewetting (WS Ch.3), so there is no
--   transition period here.
-- Grain: country, year, climate_zone, land_use, nutrient_status, drainage_depth; one row per
--   drained stratum.
-- Inputs: organic_soils, organic_ef, gwp (as for organic_soil_emissions).
-- Params: $rewet_share (fraction 0..1 of the drained area rewetted).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   climate_zone: IPCC climate zone code (inventory.core.vocab.CLIMATE_ZONES)
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   nutrient_status: nutrient_poor, nutrient_rich or not_applicable
--   drainage_depth: deep, shallow or not_applicable
--   area_ha [ha]: drained area of the stratum
--   rewetted_area_ha [ha]: area_ha x $rewet_share
--   drained_co2e_per_ha [t CO2e/ha/yr]: emissions per ha while drained
--   rewetted_co2e_per_ha [t CO2e/ha/yr]: emissions per ha once rewetted; NULL when the stratum
--     has no rewetted factor
--   drained_co2e_t [t CO2e/yr]: emissions of the rewetted area had it stayed drained
--   rewetted_co2e_t [t CO2e/yr]: emissions of the rewetted area once rewetted
--   avoided_co2e [t CO2e/yr]: drained_co2e_t - rewetted_co2e_t; NULL when the stratum has no
--     rewetted factor, e.g. nutrient status not stated
WITH drained AS (
    SELECT country, year, climate_zone, land_use, nutrient_status, drainage_depth,
        sum(area_ha) AS area_ha
    FROM organic_soils
    WHERE drainage = 'drained'
    GROUP BY ALL
),

-- WS Ch.2 Eq. 2.6 area shares, then CO2e per ha of each factor row
ef_co2e AS (
    SELECT f.climate_zone, f.land_use, f.drainage, f.nutrient_status, f.drainage_depth,
        f.ef * g.value * CASE f.component
            WHEN 'land' THEN 1 - f.frac_ditch
            WHEN 'ditch' THEN f.frac_ditch
            ELSE 1
        END AS co2e_per_ha
    FROM organic_ef AS f
    JOIN gwp AS g USING (gas)
),

per_ha AS (
    SELECT climate_zone, land_use, drainage, nutrient_status, drainage_depth,
        sum(co2e_per_ha) AS co2e_per_ha
    FROM ef_co2e
    GROUP BY ALL
),

paired AS (
    SELECT d.*,
        d.area_ha * $rewet_share AS rewetted_area_ha,
        pd.co2e_per_ha AS drained_co2e_per_ha,
        pr.co2e_per_ha AS rewetted_co2e_per_ha
    FROM drained AS d
    LEFT JOIN per_ha AS pd
        ON pd.drainage = 'drained' AND pd.climate_zone = d.climate_zone
        AND pd.land_use = d.land_use AND pd.nutrient_status = d.nutrient_status
        AND pd.drainage_depth = d.drainage_depth
    LEFT JOIN per_ha AS pr
        ON pr.drainage = 'rewetted' AND pr.climate_zone = d.climate_zone
        AND pr.land_use = d.land_use AND pr.nutrient_status = d.nutrient_status
        AND pr.drainage_depth = d.drainage_depth
),

scenario AS (
    SELECT *,
        rewetted_area_ha * drained_co2e_per_ha AS drained_co2e_t,
        rewetted_area_ha * rewetted_co2e_per_ha AS rewetted_co2e_t
    FROM paired
)

SELECT country, year, climate_zone, land_use, nutrient_status, drainage_depth, area_ha,
    rewetted_area_ha, drained_co2e_per_ha, rewetted_co2e_per_ha, drained_co2e_t,
    rewetted_co2e_t, drained_co2e_t - rewetted_co2e_t AS avoided_co2e
FROM scenario
ORDER BY country, year, climate_zone, land_use, nutrient_status, drainage_depth
