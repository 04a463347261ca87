-- Model: organic_soil_emissions
-- Method: IPCC 2014, 2013 Wetlands Supplement (WS), Tier 1, A x EF per stratum and component:
--   on_site CO2 = A x EF_CO2                   (WS Ch.2 Table 2.1; rewetted Ch.3 Table 3.1)
--   doc     CO2 = A x EF_DOC                   (WS Ch.2 Eq. 2.2 term, Table 2.2; Ch.3 Table 3.2)
--   land    CH4 = A x (1 - Frac_ditch) x EF_CH4_land   (WS Ch.2 Eq. 2.6, Table 2.3;
--                 rewetted: Frac_ditch = 0, Ch.3 Eq. 3.8, Table 3.3)
--   ditch   CH4 = A x Frac_ditch x EF_CH4_ditch        (WS Ch.2 Eq. 2.6, Table 2.4)
--   direct  N2O = A x EF_N2O                   (WS Ch.2 Table 2.5; rewetted 0, WS Ch.3)
--   co2e = emission x GWP100(gas)              (gwp view, one set: AR4 | AR5 | AR6)
--   The EFs in organic_ef are already masses of the emitted gas (CO2-C x 44/12, CH4-C x 16/12,
--   N2O-N x 44/28 applied by engine/organic_soils/organic.py via core/units.py), so no molar ratio here.
-- Grain: country, year, climate_zone, land_use, drainage, nutrient_status, drainage_depth,
--   component; component determines gas.
-- Inputs: organic_soils (country, year, climate_zone, land_use, drainage, nutrient_status,
--   drainage_depth, area_ha, area_uncertainty_pct), organic_ef (inventory.engine.organic_soils.organic.organic_ef_table()),
--   gwp (gas, value: t CO2e per t gas).
-- Params: $gwp_set (label written to the output, e.g. 'AR5').
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   drainage: drained or rewetted
--   climate_zone: IPCC climate zone code (inventory.core.vocab.CLIMATE_ZONES)
--   nutrient_status: nutrient_poor, nutrient_rich or not_applicable
--   drainage_depth: deep, shallow or not_applicable
--   area_ha [ha]: area of organic soil in the stratum
--   area_uncertainty_pct [%]: half-width of the 95 % interval of area_ha as submitted
--     (organic_soils.area_uncertainty_pct, area-weighted over the stratum's rows), drawn in
--     the Monte Carlo with the factors; NULL: none submitted, the area is treated as exact
--   gas: CO2, CH4 or N2O (set by component)
--   component: on_site, doc (CO2); land, ditch (CH4); direct (N2O)
--   emission [t gas/yr]: emission of the gas; negative = removal
--   unit: unit of emission, 't CO2/yr' | 't CH4/yr' | 't N2O/yr'
--   co2e_t [t CO2e/yr]: emission x GWP100 of the gas
--   gwp_set: GWP set of co2e_t ($gwp_set: AR4 | AR5 | AR6)
--   ef [t gas/ha/yr]: emission factor; ditch per ha of ditch
--   frac_ditch [1]: fraction of the area in ditches (Frac_ditch)
--   ef_source: Wetlands Supplement table of the factor
WITH strata AS (
    SELECT country, year, climate_zone, land_use, drainage, nutrient_status, drainage_depth,
        sum(area_ha) AS area_ha,
        CASE WHEN count(area_uncertainty_pct) > 0
            THEN sum(area_ha * coalesce(area_uncertainty_pct, 0)) / nullif(sum(area_ha), 0)
        END AS area_uncertainty_pct
    FROM organic_soils
    GROUP BY ALL
),

factors AS (
    SELECT s.*, f.gas, f.component, f.ef, f.frac_ditch, f.source_table
    FROM strata AS s
    JOIN organic_ef AS f
        USING (climate_zone, land_use, drainage, nutrient_status, drainage_depth)
),

-- WS Ch.2 Eq. 2.6: the area share each CH4 term applies to; other components use all of A.
area_shares AS (
    SELECT *,
        CASE component
            WHEN 'land' THEN 1 - frac_ditch
            WHEN 'ditch' THEN frac_ditch
            ELSE 1
        END AS area_share
    FROM factors
),

emissions AS (
    SELECT *, area_ha * area_share * ef AS emission
    FROM area_shares
),

co2e AS (
    SELECT e.*, e.emission * g.value AS co2e_t
    FROM emissions AS e
    JOIN gwp AS g USING (gas)
)

SELECT country, year, land_use, drainage, climate_zone, nutrient_status, drainage_depth,
    area_ha, area_uncertainty_pct, gas, component, emission,
    't ' || gas || '/yr' AS unit,
    co2e_t,
    $gwp_set AS gwp_set,
    ef, frac_ditch,
    source_table AS ef_source
FROM co2e
ORDER BY country, year, land_use, drainage, climate_zone, nutrient_status, drainage_depth,
    gas, component
