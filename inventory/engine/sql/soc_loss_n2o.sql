-- Model: soc_loss_n2o
-- Method: direct N2O from nitrogen mineralised with the loss of soil organic carbon of mineral
--   soils after a change of land use or management (IPCC 2006 Vol.4 Ch.11 Eq. 11.8 with
--   Eq. 11.1; 2019 Refinement Vol.4 Ch.11):
--     F_SOM = C loss / R                                   [t N/yr] (Eq. 11.8, in tonnes)
--     N2O   = F_SOM x EF1 x 44/28                          [t N2O/yr]
--   Netting by tier (the note to Eq. 11.8: at Tier 1 dC_mineral is a single value for all
--   land uses and management systems; at Tier 2 it is disaggregated by land use):
--   $tier 1: the national net change of the mineral soils (sum of dC of every category) is
--   the loss, only when it is a net loss; $tier 2: the net change of each land use. The loss
--   of a netting scope is attributed to its categories with a net loss in proportion to their
--   loss (attributed_loss_tc_per_yr; this project's attribution, so each CRT row gets its
--   share and R can differ by category); a scope with a net gain mineralises nothing (0).
--   R = C:N ratio of the soil organic matter: a country-specific value from
--   cn_ratio_overrides, else the IPCC default of cn_ratios (2006 Ch.11 text of Eq. 11.8:
--   15 (10-30) for land-use change to cropland, 10 (8-15) for management change on cropland
--   remaining cropland; other categories: judgement calls in n2o_soil_parameters.csv; the 2019
--   values are flagged recalled-unverified there and in cn_source).
--   EF1 ($ef1_option): 'aggregated' = $ef1 (Table 11.1 of the run's edition; 2019: 0.010);
--   'disaggregated' = 2019 Refinement Vol.4 Ch.11 Table 11.1 by climate, $ef1_wet (other N
--   inputs, wet climates) and $ef1_dry (dry climates), weighted by the land use's mineral area
--   in wet and dry climate zones of the year (land_use_wetness.wet_share; stock changes are
--   not split by climate zone); a land use without area there takes $ef1.
--   Reporting (UNFCCC CRT): cropland remaining cropland in Agriculture 3.D.1.e
--   (mineralization/immobilization associated with loss/gain of soil organic matter); every
--   other category in LULUCF Table 4(III) rows A-F (forest land ... other land), .1 remaining
--   and .2 converted; land coded native under $native_land_use.
-- Grain: country, year, land_use, land_use_category
-- Inputs: stock_changes (country, year, land_use, land_use_category, dC_tc_per_yr),
--   cn_ratios (applies_to: cropland_remaining_cropland | land_converted |
--   other_land_remaining, cn_ratio, cn_source), cn_ratio_overrides (country,
--   land_use_category, cn_ratio, source; may be empty), gwp (gas, value), land_use_wetness
--   (country, year, land_use, wet_share; may be empty), unfccc_categories (land_use,
--   category_code; from inventory.core.vocab).
-- Params: $ef1 (kg N2O-N per kg N input), $ef1_source (citation text), $ef1_wet, $ef1_dry
--   (2019 Table 11.1 disaggregated), $ef1_disaggregated_source (their citation),
--   $ef1_option ('aggregated' | 'disaggregated'), $tier (1 | 2), $native_land_use,
--   $n2o_per_n2o_n (44/28, from inventory.core.units), $gwp_set (label of the GWP values,
--   e.g. 'AR5').
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
--   f_som_t_n_per_yr [t N/yr]: nitrogen mineralised, F_SOM = attributed loss / R
--   ef1 [1]: EF1, kg N2O-N per kg N input
--   ef1_source: citation of EF1
--   n2o_t [t N2O/yr]: direct N2O, F_SOM x EF1 x 44/28
--   co2e_t [t CO2e/yr]: n2o_t x GWP100 of N2O
--   gwp_set: GWP set of co2e_t ($gwp_set)
--   crt_code: UNFCCC CRT row: '3.D.1.e', or '4(III).A.1' ... '4(III).F.2' (A-F = 4.A-4.F,
--     .1 remaining, .2 converted)
--   netting_scope: 'national' (Tier 1) or the land use (Tier 2) whose net change is netted
--   scope_net_loss_tc_per_yr [t C/yr]: net loss of the netting scope, max(-sum dC, 0)
--   attributed_loss_tc_per_yr [t C/yr]: the category's share of scope_net_loss_tc_per_yr,
--     in proportion to soc_loss_tc_per_yr among the scope's categories (0 without loss)
--   ef1_option: 'aggregated' or 'disaggregated' ($ef1_option)
WITH categories AS (
    SELECT country, year, land_use, land_use_category,
        sum(dC_tc_per_yr) AS dc_tc_per_yr,
        greatest(-sum(dC_tc_per_yr), 0) AS soc_loss_tc_per_yr,
        CASE
            WHEN land_use_category = 'cropland_remaining_cropland'
                THEN 'cropland_remaining_cropland'
            WHEN land_use_category LIKE 'land\_converted\_to\_%' ESCAPE '\'
                THEN 'land_converted'
            ELSE 'other_land_remaining'
        END AS applies_to,
        CASE WHEN $tier = 1 THEN 'national' ELSE land_use END AS netting_scope
    FROM stock_changes
    GROUP BY country, year, land_use, land_use_category
),

scopes AS (
    SELECT country, year, netting_scope,
        greatest(-sum(dc_tc_per_yr), 0) AS scope_net_loss_tc_per_yr,
        sum(soc_loss_tc_per_yr) AS scope_gross_loss_tc_per_yr
    FROM categories
    GROUP BY country, year, netting_scope
),

attributed AS (
    SELECT c.*, s.scope_net_loss_tc_per_yr,
        CASE WHEN s.scope_gross_loss_tc_per_yr > 0
            THEN s.scope_net_loss_tc_per_yr * c.soc_loss_tc_per_yr
                / s.scope_gross_loss_tc_per_yr
            ELSE 0 END AS attributed_loss_tc_per_yr
    FROM categories AS c
    JOIN scopes AS s USING (country, year, netting_scope)
),

ratios AS (
    SELECT c.*,
        coalesce(o.cn_ratio, d.cn_ratio) AS cn_ratio,
        coalesce('country-specific: ' || o.source, d.cn_source) AS cn_source,
        CASE WHEN $ef1_option = 'disaggregated' AND w.wet_share IS NOT NULL
            THEN w.wet_share * $ef1_wet + (1 - w.wet_share) * $ef1_dry
            ELSE $ef1 END AS ef1,
        CASE WHEN $ef1_option = 'disaggregated' AND w.wet_share IS NOT NULL
            THEN $ef1_disaggregated_source ELSE $ef1_source END AS ef1_source,
        coalesce(u.category_code,
            (SELECT category_code FROM unfccc_categories WHERE land_use = $native_land_use))
            AS category_code
    FROM attributed AS c
    JOIN cn_ratios AS d USING (applies_to)
    LEFT JOIN cn_ratio_overrides AS o USING (country, land_use_category)
    LEFT JOIN land_use_wetness AS w USING (country, year, land_use)
    LEFT JOIN unfccc_categories AS u USING (land_use)
)

SELECT country, year, land_use, land_use_category,
    CASE WHEN land_use_category = 'cropland_remaining_cropland' THEN '3.D' ELSE '4(III)' END
        AS reporting_category,
    soc_loss_tc_per_yr, cn_ratio, cn_source,
    attributed_loss_tc_per_yr / cn_ratio AS f_som_t_n_per_yr,
    CAST(ef1 AS DOUBLE) AS ef1,
    CAST(ef1_source AS VARCHAR) AS ef1_source,
    attributed_loss_tc_per_yr / cn_ratio * ef1 * $n2o_per_n2o_n AS n2o_t,
    attributed_loss_tc_per_yr / cn_ratio * ef1 * $n2o_per_n2o_n
        * (SELECT value FROM gwp WHERE gas = 'N2O') AS co2e_t,
    CAST($gwp_set AS VARCHAR) AS gwp_set,
    CASE WHEN land_use_category = 'cropland_remaining_cropland' THEN '3.D.1.e'
        ELSE '4(III).' || replace(category_code, '4.', '') || CASE
            WHEN land_use_category LIKE 'land\_converted\_to\_%' ESCAPE '\' THEN '.2'
            ELSE '.1' END
    END AS crt_code,
    netting_scope, scope_net_loss_tc_per_yr, attributed_loss_tc_per_yr,
    CAST($ef1_option AS VARCHAR) AS ef1_option
FROM ratios
ORDER BY country, year, land_use, land_use_category
