-- Model: unfccc_tables (CRT-style sectoral background rows for soils, sector 4 LULUCF)
-- Method: reporting of results already computed, no new estimation:
--   mineral soils: area and net carbon stock change of IPCC 2006 Vol.4 Ch.2 Eq. 2.25
--     (stock_changes; + = gain of carbon);
--   organic soils: net carbon stock change = -(on-site CO2 + DOC CO2) x C/CO2 (IPCC 2014
--     Wetlands Supplement Ch.2 Tables 2.1/2.2, Ch.3 Tables 3.1/3.2; - = loss), plus CH4 (land +
--     ditch) and N2O of the same areas;
--   co2_t = mineral dCO2 + organic CO2 (t CO2/yr, + = emission, UNFCCC sign);
--   mineral_n2o_t = direct N2O from N mineralised with soil carbon loss (IPCC 2006 Vol.4
--     Ch.11 Eq. 11.8, soc_loss_n2o), LULUCF 4(III).
--   Agriculture vs LULUCF (no double counting): organic-soil N2O of cropland and grassland
--   and the F_SOM N2O of cropland remaining cropland are reported in Agriculture 3.D
--   (agriculture_n2o.sql) and are IE here, with the reason in notation_explanation; organic
--   soil N2O of forest land and wetlands stays here (LULUCF 4(II)).
--   Land coded 'native' (unmanaged land at the reference condition) is reported under the
--   IPCC land category $native_land_use (forest_land or grassland): its categories
--   native_remaining_native and land_converted_to_native become that land use's, so that the
--   4.A-4.F areas add up to the country's land area (checks/unfccc_land_area_identity.sql).
--   Rows: every land use of unfccc_categories (4.A-4.F) x {total, <lu>_remaining_<lu> (.1),
--   land_converted_to_<lu> (.2)} x each country-year with data, plus any other category found
--   in stock_changes.
--   Notation keys (UNFCCC reporting guidelines, decision 18/CMA.1 annex para 31) go in the
--   *_notation column whenever the numeric column is NULL:
--     NO  not occurring: no row or area 0 (no carbon-stock change reported either);
--     NE  not estimated: area > 0 but no estimate;
--     IE  included elsewhere: organic soils are estimated per land use only, so they are
--         reported in the land-use total row, not in the remaining/converted rows;
--     NA  not applicable: other land remaining other land when absent (IPCC 2006 Vol.4 Ch.9
--         gives no method for it: unmanaged land; recalled, verify against the text).
-- Grain: country, year, category_code, subcategory; category_code alone identifies a row
--   except for the extra categories found only in stock_changes, which share their land
--   use's code.
-- Inputs: stock_changes (country, year, land_use, land_use_category, area_ha, dC_tc_per_yr,
--   dCO2_t_per_yr), organic_soil_emissions (country, year, land_use, area_ha, gas, component,
--   emission), unfccc_categories (land_use, category_code; from inventory.core.vocab),
--   soc_loss_n2o (country, year, land_use, land_use_category, n2o_t).
-- Params: $c_per_co2 (t C per t CO2 = 12/44, passed from inventory.core.units),
--   $native_land_use (land use whose category reports land coded native).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   category_code: CRT code: 4.A-4.F for the land-use total, .1 for land remaining, .2 for
--     land converted
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   subcategory: 'total', <lu>_remaining_<lu>, land_converted_to_<lu>, or another category
--     found in stock_changes
--   area_mineral_ha [ha]: mineral-soil area
--   area_mineral_notation: notation key NO, NE, IE or NA when area_mineral_ha is NULL; NULL when
--     the value is present
--   mineral_dc_tc_per_yr [t C/yr]: mineral-soil net carbon stock change, + = gain of carbon
--   mineral_dc_notation: notation key NO, NE, IE or NA when mineral_dc_tc_per_yr is NULL; NULL when
--     the value is present
--   area_organic_ha [ha]: organic-soil area (land-use total rows only; else IE)
--   area_organic_notation: notation key NO, NE, IE or NA when area_organic_ha is NULL; NULL when
--     the value is present
--   organic_dc_tc_per_yr [t C/yr]: organic-soil net carbon stock change,
--     -(on-site CO2 + DOC CO2) x C/CO2, - = loss
--   organic_dc_notation: notation key NO, NE, IE or NA when organic_dc_tc_per_yr is NULL; NULL when
--     the value is present
--   organic_ch4_t [t CH4/yr]: organic-soil CH4 (land + ditch)
--   organic_ch4_notation: notation key NO, NE, IE or NA when organic_ch4_t is NULL; NULL when
--     the value is present
--   organic_n2o_t [t N2O/yr]: organic-soil direct N2O
--   organic_n2o_notation: notation key NO, NE, IE or NA when organic_n2o_t is NULL; NULL when
--     the value is present
--   co2_t [t CO2/yr]: mineral dCO2 + organic CO2, + = emission (UNFCCC sign)
--   co2_notation: notation key NO, NE, IE or NA when co2_t is NULL; NULL when
--     the value is present
--   mineral_n2o_t [t N2O/yr]: direct N2O from N mineralised with mineral-soil carbon loss
--     (F_SOM, LULUCF 4(III)); for 4.B the land converted to cropland only
--   mineral_n2o_notation: notation key NO, NE, IE or NA when mineral_n2o_t is NULL; NULL
--     when the value is present
--   notation_explanation: where an IE value is reported instead; NULL without IE
WITH reported_changes AS (
    -- native land reported under the IPCC land category $native_land_use
    SELECT * REPLACE (
        CASE WHEN land_use = 'native' THEN $native_land_use ELSE land_use END AS land_use,
        replace(land_use_category, 'native', $native_land_use) AS land_use_category)
    FROM stock_changes
),

country_years AS (
    SELECT DISTINCT country, year FROM reported_changes
    UNION
    SELECT DISTINCT country, year FROM organic_soil_emissions
),

standard_rows AS (
    SELECT land_use, category_code, 'total' AS subcategory, category_code AS crt_code
    FROM unfccc_categories
    UNION ALL
    SELECT land_use, category_code, land_use || '_remaining_' || land_use, category_code || '.1'
    FROM unfccc_categories
    UNION ALL
    SELECT land_use, category_code, 'land_converted_to_' || land_use, category_code || '.2'
    FROM unfccc_categories
),

extra_rows AS (
    SELECT DISTINCT c.land_use, c.category_code, s.land_use_category AS subcategory,
        c.category_code AS crt_code
    FROM reported_changes AS s
    JOIN unfccc_categories AS c USING (land_use)
    WHERE s.land_use_category NOT IN (SELECT subcategory FROM standard_rows)
),

grid AS (
    SELECT cy.country, cy.year, r.*
    FROM country_years AS cy
    CROSS JOIN (SELECT * FROM standard_rows UNION ALL SELECT * FROM extra_rows) AS r
),

mineral_by_category AS (
    SELECT country, year, land_use, land_use_category AS subcategory,
        sum(area_ha) AS area_ha, sum(dC_tc_per_yr) AS dc_tc, sum(dCO2_t_per_yr) AS dco2_t
    FROM reported_changes
    GROUP BY ALL
),

som_n2o_by_category AS (
    -- F_SOM N2O reported in LULUCF 4(III): every category but cropland remaining cropland
    SELECT country, year,
        CASE WHEN land_use = 'native' THEN $native_land_use ELSE land_use END AS land_use,
        replace(land_use_category, 'native', $native_land_use) AS subcategory,
        sum(n2o_t) AS n2o_t
    FROM soc_loss_n2o
    WHERE land_use_category <> 'cropland_remaining_cropland'
    GROUP BY ALL
),

som_n2o AS (
    SELECT * FROM som_n2o_by_category
    UNION ALL
    SELECT country, year, land_use, 'total' AS subcategory, sum(n2o_t)
    FROM som_n2o_by_category
    GROUP BY ALL
),

mineral AS (
    SELECT * FROM mineral_by_category
    UNION ALL
    SELECT country, year, land_use, 'total' AS subcategory,
        sum(area_ha), sum(dc_tc), sum(dco2_t)
    FROM mineral_by_category
    GROUP BY ALL
),

-- one on_site row per organic stratum, so its area_ha counts every hectare once
organic AS (
    SELECT country, year, land_use, 'total' AS subcategory,
        sum(area_ha) FILTER (WHERE component = 'on_site') AS area_ha,
        -sum(emission) FILTER (WHERE component IN ('on_site', 'doc')) * $c_per_co2 AS dc_tc,
        sum(emission) FILTER (WHERE gas = 'CO2') AS co2_t,
        sum(emission) FILTER (WHERE gas = 'CH4') AS ch4_t,
        sum(emission) FILTER (WHERE gas = 'N2O') AS n2o_t
    FROM organic_soil_emissions
    GROUP BY ALL
),

organic_totals AS (
    SELECT country, year, land_use, area_ha > 0 AS has_organic
    FROM organic
),

joined AS (
    SELECT g.*,
        m.area_ha AS m_area, m.dc_tc AS m_dc, m.dco2_t AS m_dco2,
        o.area_ha AS o_area, o.dc_tc AS o_dc, o.co2_t AS o_co2, o.ch4_t AS o_ch4,
        o.n2o_t AS o_n2o, coalesce(t.has_organic, false) AS has_organic,
        n.n2o_t AS s_n2o
    FROM grid AS g
    LEFT JOIN mineral AS m USING (country, year, land_use, subcategory)
    LEFT JOIN organic AS o USING (country, year, land_use, subcategory)
    LEFT JOIN organic_totals AS t USING (country, year, land_use)
    LEFT JOIN som_n2o AS n USING (country, year, land_use, subcategory)
),

notations AS (
    SELECT *,
        CASE
            WHEN m_area > 0 AND m_dc IS NOT NULL THEN NULL
            WHEN m_area > 0 THEN 'NE'
            WHEN m_dc IS NOT NULL AND m_dc <> 0 THEN NULL
            WHEN m_area IS NULL AND subcategory = 'other_land_remaining_other_land' THEN 'NA'
            ELSE 'NO'
        END AS mineral_key,
        CASE
            WHEN subcategory <> 'total' THEN CASE WHEN has_organic THEN 'IE' ELSE 'NO' END
            WHEN o_area > 0 AND o_dc IS NOT NULL THEN NULL
            WHEN o_area > 0 THEN 'NE'
            ELSE 'NO'
        END AS organic_key,
        -- organic-soil N2O of cropland and grassland: Agriculture 3.D
        land_use IN ('cropland', 'grassland') AND has_organic AS n2o_in_agriculture,
        CASE
            WHEN subcategory = 'cropland_remaining_cropland' AND m_area > 0 THEN 'IE'
            WHEN s_n2o IS NOT NULL THEN NULL
            WHEN land_use = 'cropland' AND subcategory = 'total' AND m_area > 0 THEN 'IE'
            WHEN m_area > 0 THEN 'NE'
            ELSE 'NO'
        END AS som_key
    FROM joined
),

reported AS (
    SELECT *,
        CASE WHEN mineral_key IS NULL THEN m_dco2 END AS mineral_co2,
        CASE WHEN organic_key IS NULL THEN o_co2 END AS organic_co2
    FROM notations
)

SELECT country, year, crt_code AS category_code, land_use, subcategory,
    CASE WHEN m_area > 0 THEN m_area END AS area_mineral_ha,
    CASE WHEN m_area > 0 THEN NULL
        WHEN mineral_key = 'NA' THEN 'NA' ELSE 'NO' END AS area_mineral_notation,
    CASE WHEN mineral_key IS NULL THEN m_dc END AS mineral_dc_tc_per_yr,
    mineral_key AS mineral_dc_notation,
    CASE WHEN organic_key IS NULL THEN o_area END AS area_organic_ha,
    organic_key AS area_organic_notation,
    CASE WHEN organic_key IS NULL THEN o_dc END AS organic_dc_tc_per_yr,
    organic_key AS organic_dc_notation,
    CASE WHEN organic_key IS NULL THEN o_ch4 END AS organic_ch4_t,
    organic_key AS organic_ch4_notation,
    CASE WHEN organic_key IS NULL AND NOT n2o_in_agriculture THEN o_n2o END AS organic_n2o_t,
    CASE WHEN organic_key IS NULL AND n2o_in_agriculture THEN 'IE' ELSE organic_key END
        AS organic_n2o_notation,
    CASE WHEN mineral_co2 IS NOT NULL OR organic_co2 IS NOT NULL
        THEN coalesce(mineral_co2, 0) + coalesce(organic_co2, 0) END AS co2_t,
    CASE WHEN mineral_co2 IS NOT NULL OR organic_co2 IS NOT NULL THEN NULL
        WHEN 'NE' IN (mineral_key, organic_key) THEN 'NE'
        WHEN 'IE' IN (mineral_key, organic_key) THEN 'IE'
        WHEN 'NA' IN (mineral_key, organic_key) THEN 'NA'
        ELSE 'NO' END AS co2_notation,
    CASE WHEN som_key IS NULL THEN s_n2o END AS mineral_n2o_t,
    som_key AS mineral_n2o_notation,
    nullif(concat_ws('; ',
        CASE WHEN organic_key = 'IE'
            THEN 'organic soils: estimated per land use, in the ' || category_code
                || ' total row' END,
        CASE WHEN organic_key IS NULL AND n2o_in_agriculture
            THEN 'organic-soil N2O: Agriculture 3.D, cultivation of organic soils '
                || '(agriculture_n2o)' END,
        CASE WHEN som_key = 'IE' OR (land_use = 'cropland' AND subcategory = 'total')
            THEN 'N2O from soil carbon loss on cropland remaining cropland: Agriculture 3.D '
                || '(agriculture_n2o)' END), '') AS notation_explanation
FROM reported
ORDER BY country, year, category_code
