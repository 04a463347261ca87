-- Model: soc_stocks
-- Method: IPCC 2006 Vol.4 Ch.2 Eq. 2.25 (unchanged in the 2019 Refinement), stock term:
--   SOC(y) = SOC_REF(c,s) x F_LU x F_MG x F_I x A(y)   [t C = t C/ha x 1 x 1 x 1 x ha]
--   for mineral soils, 0-30 cm, at the equilibrium reached after D years under the stratum's
--   land use and management.
-- Grain: country, year, climate_zone, soil_class, land_use, management, input
-- Inputs: land_areas (country, year, stratum keys, area_ha), stratum_factors.
-- Params: $first_year, $last_year (INTEGER; years outside are dropped; NULL keeps all).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   climate_zone: IPCC climate zone code (inventory.core.vocab.CLIMATE_ZONES)
--   soil_class: IPCC mineral soil class code (inventory.core.vocab.SOIL_CLASSES)
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   management: management code (inventory.core.vocab.MANAGEMENTS)
--   input: carbon input level code (inventory.core.vocab.INPUTS)
--   area_ha [ha]: mineral-soil area of the stratum in the year
--   soc_ref [t C/ha]: reference stock SOC_REF(c,s), 0-30 cm
--   f_lu [1]: stock change factor for land use F_LU
--   f_mg [1]: stock change factor for management F_MG
--   f_i [1]: stock change factor for input F_I
--   factor_tier: highest tier used (tier2_submitted > tier2_derived > tier1_default), as a
--     comma list of the distinct tiers of the four factors
--   stock_tc [t C]: equilibrium SOC stock of the stratum's state in year y, 0-30 cm,
--     SOC_REF x F_LU x F_MG x F_I x A(y) (the SOC_0 term of Eq. 2.25): the stock the land
--     reaches after D years in this state, not the stock it holds; after a conversion it
--     jumps at once while the reported change approaches it over D years. The inventory
--     stock the reported changes imply is inventory_stocks.stock_tc
--   soc_ref_tier: tier of SOC_REF (tier2_submitted, tier2_derived or tier1_default)
--   f_lu_tier: tier of F_LU
--   f_mg_tier: tier of F_MG
--   f_i_tier: tier of F_I
--   soc_ref_source: source of SOC_REF (table citation, or how it was derived)
--   f_lu_source: source of F_LU
--   f_mg_source: source of F_MG
--   f_i_source: source of F_I
--   method: the method applied, 'IPCC 2006 Vol.4 Ch.2 Eq. 2.25'
WITH areas AS (
    SELECT country, year, climate_zone, soil_class, land_use, management, input,
        sum(area_ha) AS area_ha
    FROM land_areas
    WHERE ($first_year IS NULL OR year >= $first_year)
        AND ($last_year IS NULL OR year <= $last_year)
    GROUP BY ALL
),

factors AS (
    SELECT country, climate_zone, soil_class, land_use, management, input,
        max(value) FILTER (WHERE factor = 'SOC_REF') AS soc_ref,
        max(value) FILTER (WHERE factor = 'F_LU') AS f_lu,
        max(value) FILTER (WHERE factor = 'F_MG') AS f_mg,
        max(value) FILTER (WHERE factor = 'F_I') AS f_i,
        max(tier) FILTER (WHERE factor = 'SOC_REF') AS soc_ref_tier,
        max(tier) FILTER (WHERE factor = 'F_LU') AS f_lu_tier,
        max(tier) FILTER (WHERE factor = 'F_MG') AS f_mg_tier,
        max(tier) FILTER (WHERE factor = 'F_I') AS f_i_tier,
        max(source) FILTER (WHERE factor = 'SOC_REF') AS soc_ref_source,
        max(source) FILTER (WHERE factor = 'F_LU') AS f_lu_source,
        max(source) FILTER (WHERE factor = 'F_MG') AS f_mg_source,
        max(source) FILTER (WHERE factor = 'F_I') AS f_i_source
    FROM stratum_factors
    GROUP BY ALL
),

stocks AS (
    SELECT a.*, f.* EXCLUDE (country, climate_zone, soil_class, land_use, management, input),
        a.area_ha * f.soc_ref * f.f_lu * f.f_mg * f.f_i AS stock_tc
    FROM areas AS a
    JOIN factors AS f USING (country, climate_zone, soil_class, land_use, management, input)
)

SELECT
    country, year, climate_zone, soil_class, land_use, management, input,
    area_ha, soc_ref, f_lu, f_mg, f_i,
    array_to_string(list_sort(list_distinct(
        [soc_ref_tier, f_lu_tier, f_mg_tier, f_i_tier])), ',') AS factor_tier,
    stock_tc,
    soc_ref_tier, f_lu_tier, f_mg_tier, f_i_tier,
    soc_ref_source, f_lu_source, f_mg_source, f_i_source,
    'IPCC 2006 Vol.4 Ch.2 Eq. 2.25' AS method
FROM stocks
ORDER BY country, year, climate_zone, soil_class, land_use, management, input
