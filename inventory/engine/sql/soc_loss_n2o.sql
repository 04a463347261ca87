-- Model: soc_loss_n2o
-- Method: direct N2O from nitrogen mineralised with the loss of soil organic carbon of mineral
--   soils after a change of land use or management (IPCC 2006 Vol.4 Ch.11 Eq. 11.8 with
--   Eq. 11.1; 2019 Refinement Vol.4 Ch.11):
--     F_SOM = C loss / R                                   [t N/yr] (Eq. 11.8, in tonnes)
--     N2O   = F_SOM x EF1 x 44/28                          [t N2O/yr]
--   C loss = -dC of the reporting category when negative (its net loss; a gain mineralises
--   nothing: 0), R = C:N ratio of the soil organic matter: a country-specific value from
--   cn_ratio_overrides, else the IPCC default of cn_ratios (2006 Ch.11 text of Eq. 11.8:
--   15 (10-30) for land-use change to cropland, 10 (8-15) for management change on cropland
--   remaining cropland; other categories: judgement calls in n2o_soil_parameters.csv);
--   EF1 = $ef1 (Table 11.1 of the run's edition; 2019: 0.010 aggregated).
--   Reporting: cropland remaining cropland in Agriculture 3.D (direct N2O from managed soils,
--   F_SOM); every other category in LULUCF 4(III) (direct N2O from N mineralisation associated
--   with loss of soil organic matter; CRT table number recalled, verify against the CRT).
-- Grain: country, year, land_use, land_use_category
-- Inputs: stock_changes (country, year, land_use, land_use_category, dC_tc_per_yr),
--   cn_ratios (applies_to: cropland_remaining_cropland | land_converted |
--   other_land_remaining, cn_ratio, cn_source), cn_ratio_overrides (country,
--   land_use_category, cn_ratio, source; may be empty), gwp (gas, value).
-- Params: $ef1 (kg N2O-N per kg N input), $ef1_source (citation text), $n2o_per_n2o_n (44/28,
--   from inventory.core.units), $gwp_set (label of the GWP values, e.g. 'AR5').
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   land_use_category: UNFCCC reporting category, <lu>_remaining_<lu> or
--     land_converted_to_<lu>
--   reporting_category: '3.D' (Agriculture, cropland remaining cropland) or '4(III)' (LULUCF)
--   soc_loss_tc_per_yr [t C/yr]: net mineral-soil carbon loss of the category, -dC when dC < 0,
--     else 0
--   cn_ratio [t C/t N]: C:N ratio R of the soil organic matter
--   cn_source: source of R (IPCC default with its citation, or the country-specific source)
--   f_som_t_n_per_yr [t N/yr]: nitrogen mineralised, F_SOM = loss / R
--   ef1 [1]: EF1, kg N2O-N per kg N input
--   ef1_source: citation of EF1
--   n2o_t [t N2O/yr]: direct N2O, F_SOM x EF1 x 44/28
--   co2e_t [t CO2e/yr]: n2o_t x GWP100 of N2O
--   gwp_set: GWP set of co2e_t ($gwp_set)
WITH categories AS (
    SELECT country, year, land_use, land_use_category,
        greatest(-sum(dC_tc_per_yr), 0) AS soc_loss_tc_per_yr,
        CASE
            WHEN land_use_category = 'cropland_remaining_cropland'
                THEN 'cropland_remaining_cropland'
            WHEN land_use_category LIKE 'land\_converted\_to\_%' ESCAPE '\'
                THEN 'land_converted'
            ELSE 'other_land_remaining'
        END AS applies_to
    FROM stock_changes
    GROUP BY country, year, land_use, land_use_category
),

ratios AS (
    SELECT c.*,
        coalesce(o.cn_ratio, d.cn_ratio) AS cn_ratio,
        coalesce('country-specific: ' || o.source, d.cn_source) AS cn_source
    FROM categories AS c
    JOIN cn_ratios AS d USING (applies_to)
    LEFT JOIN cn_ratio_overrides AS o USING (country, land_use_category)
)

SELECT country, year, land_use, land_use_category,
    CASE WHEN land_use_category = 'cropland_remaining_cropland' THEN '3.D' ELSE '4(III)' END
        AS reporting_category,
    soc_loss_tc_per_yr, cn_ratio, cn_source,
    soc_loss_tc_per_yr / cn_ratio AS f_som_t_n_per_yr,
    CAST($ef1 AS DOUBLE) AS ef1,
    CAST($ef1_source AS VARCHAR) AS ef1_source,
    soc_loss_tc_per_yr / cn_ratio * $ef1 * $n2o_per_n2o_n AS n2o_t,
    soc_loss_tc_per_yr / cn_ratio * $ef1 * $n2o_per_n2o_n
        * (SELECT value FROM gwp WHERE gas = 'N2O') AS co2e_t,
    CAST($gwp_set AS VARCHAR) AS gwp_set
FROM ratios
ORDER BY country, year, land_use, land_use_category
