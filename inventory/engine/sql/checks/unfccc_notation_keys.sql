-- Check: in unfccc_tables every value has exactly one of (number, notation key), and notation
--   keys are the UNFCCC ones used here (NO, NE, NA, IE).
-- Returns: one row per offending (row, column); empty = pass.
-- Inputs: unfccc_tables.
WITH pairs AS (
    SELECT country, year, category_code, 'area_mineral_ha' AS column_name,
        area_mineral_ha AS value, area_mineral_notation AS notation
    FROM unfccc_tables
    UNION ALL
    SELECT country, year, category_code, 'mineral_dc_tc_per_yr', mineral_dc_tc_per_yr,
        mineral_dc_notation
    FROM unfccc_tables
    UNION ALL
    SELECT country, year, category_code, 'area_organic_ha', area_organic_ha,
        area_organic_notation
    FROM unfccc_tables
    UNION ALL
    SELECT country, year, category_code, 'organic_dc_tc_per_yr', organic_dc_tc_per_yr,
        organic_dc_notation
    FROM unfccc_tables
    UNION ALL
    SELECT country, year, category_code, 'co2_t', co2_t, co2_notation
    FROM unfccc_tables
    UNION ALL
    SELECT country, year, category_code, 'mineral_n2o_t', mineral_n2o_t, mineral_n2o_notation
    FROM unfccc_tables
)

SELECT *
FROM pairs
WHERE (value IS NULL) = (notation IS NULL)
    OR notation NOT IN ('NO', 'NE', 'NA', 'IE')
ORDER BY ALL
