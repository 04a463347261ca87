-- Model: agriculture_n2o
-- Method: the soil N2O this inventory computes that UNFCCC reporting places in Agriculture,
--   category 3.D (direct N2O emissions from managed soils, IPCC 2006 Vol.4 Ch.11 Eq. 11.1),
--   not in LULUCF (sector 4), so that it is not counted twice:
--     cultivation_of_organic_soils: N2O of drained (and rewetted, 0 at Tier 1) organic soils
--       of cropland and grassland, A x EF2 (2013 Wetlands Supplement Ch.2 Table 2.5 = 2019
--       Refinement Table 11.1 EF2; F_OS term of Eq. 11.1), from organic_soil_emissions;
--     soil_organic_matter_loss: N2O from N mineralised with the soil carbon lost on cropland
--       remaining cropland (F_SOM of Eq. 11.8), from soc_loss_n2o.
--   Organic-soil N2O of forest land and wetlands stays in LULUCF 4(II); F_SOM N2O of the other
--   categories in LULUCF 4(III) (soc_loss_n2o); unfccc_tables marks the moved values IE.
-- Grain: country, year, source_category, land_use
-- Inputs: organic_soil_emissions (country, year, land_use, component, area_ha, emission,
--   co2e_t), soc_loss_n2o (country, year, land_use, reporting_category, f_som_t_n_per_yr,
--   n2o_t, co2e_t).
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   category_code: CRT category, '3.D' (agricultural soils)
--   source_category: cultivation_of_organic_soils or soil_organic_matter_loss
--   land_use: land-use code (cropland or grassland)
--   area_ha [ha]: organic-soil area (cultivation_of_organic_soils); NULL otherwise
--   n_mineralised_t [t N/yr]: F_SOM (soil_organic_matter_loss); NULL otherwise
--   n2o_t [t N2O/yr]: direct N2O
--   co2e_t [t CO2e/yr]: n2o_t x GWP100 of N2O (GWP set of the run)
--   crt_code: UNFCCC CRT row: '3.D.1.f' (cultivation of organic soils, i.e. histosols) or
--     '3.D.1.e' (mineralization/immobilization associated with loss/gain of soil organic
--     matter)
WITH organic AS (
    SELECT country, year, 'cultivation_of_organic_soils' AS source_category, land_use,
        sum(area_ha) AS area_ha, NULL::DOUBLE AS n_mineralised_t,
        sum(emission) AS n2o_t, sum(co2e_t) AS co2e_t
    FROM organic_soil_emissions
    WHERE component = 'direct' AND land_use IN ('cropland', 'grassland')
    GROUP BY ALL
),

mineral AS (
    SELECT country, year, 'soil_organic_matter_loss' AS source_category, land_use,
        NULL::DOUBLE AS area_ha, sum(f_som_t_n_per_yr) AS n_mineralised_t,
        sum(n2o_t) AS n2o_t, sum(co2e_t) AS co2e_t
    FROM soc_loss_n2o
    WHERE reporting_category = '3.D'
    GROUP BY ALL
)

SELECT country, year, '3.D' AS category_code, source_category, land_use, area_ha,
    n_mineralised_t, n2o_t, co2e_t,
    CASE source_category WHEN 'cultivation_of_organic_soils' THEN '3.D.1.f' ELSE '3.D.1.e' END
        AS crt_code
FROM (SELECT * FROM organic UNION ALL SELECT * FROM mineral)
ORDER BY country, year, source_category, land_use
