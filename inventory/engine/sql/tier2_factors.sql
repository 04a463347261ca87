-- Model: tier2_factors
-- Method: country-specific SOC_REF and stock change factors (IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.1,
--   Tier 2; factor definitions of Vol.4 Ch.5 Table 5.5 and Ch.6 Table 6.2, unchanged in the
--   2019 Refinement) from stratum means of 0-30 cm stocks (tier2_stratum_means):
--     SOC_REF(c,s) = mean(native profiles of c,s)                                [t C/ha]
--     F = mean(numerator stratum) / mean(reference stratum), same c,s            [1]
--   with the numerator/reference strata of each factor listed in
--   inventory/data/tier2_factor_ratios.csv (e.g. F_LU cropland = mean(cropland, full_tillage,
--   medium) / mean(native); F_MG no-till = mean(no_tillage, medium) / mean(full_tillage,
--   medium); F_I low = mean(full_tillage, low) / mean(full_tillage, medium)): each stratum
--   differs from its reference in one factor only, every other factor at its IPCC reference.
--   Uncertainty, +/- % of the value for a 95 % interval, with the Student t quantile of the
--   mean of n profiles (t(0.975, n - 1): 2.776 for n = 5, not 1.96; Student 1908):
--     SOC_REF: U = t(0.975, n - 1) x SE / mean x 100
--     ratio:   U = sqrt(U_num^2 + U_ref^2), U_x = t(0.975, n_x - 1) x SE_x / mean_x x 100
--   (IPCC 2006 Vol.1 Ch.3 Eq. 3.1, propagation of error for a product; a quotient has the same
--   first-order relative error; the two means come from different profiles, so independent).
--   Monte Carlo (inventory.engine.uncertainty.montecarlo): the stratum means are the source rows,
--   mean + SE x t(n - 1) each, and a ratio is drawn as the ratio of its two means' draws, so a
--   SOC_REF and the F_LU ratios over the same native mean move together (joint draws).
--   Factors are derived per climate zone x soil class (the reference stratum shares the soil),
--   more specific than the IPCC tables (climate only); a factor is produced only when every
--   stratum it uses has n >= $min_profiles.
-- Grain: country, factor, climate_zone, soil_class, land_use, level; rows in the shape of the
--   canonical factor table of inventory.engine.mineral_soils.factors.
-- Inputs: tier2_stratum_means, tier2_ratio_definitions (tier2_factor_ratios.csv),
--   student_t (df, t_975: the two-sided 95 % Student t quantiles, from scipy).
-- Params: $min_profiles (count), $priority
--   (inventory.core.vocab.FACTOR_PRIORITY['tier2_derived']).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   factor: SOC_REF, F_LU, F_MG or F_I
--   climate_zone: IPCC climate zone code (inventory.core.vocab.CLIMATE_ZONES)
--   soil_class: IPCC mineral soil class code (inventory.core.vocab.SOIL_CLASSES)
--   land_use: land-use code the factor applies to, or '*'
--   level: management code (F_LU, F_MG), input code (F_I), or '*'
--   value [t C/ha | 1]: t C/ha for SOC_REF, dimensionless otherwise
--   uncertainty_pct [%]: +/- % of the value, 95 %; NULL when an SE is undefined
--   tier: 'tier2_derived'
--   source: derivation, naming n, mean and SE of every mean used, and the IPCC definition
--   priority: $priority (lower wins: submitted 1, derived 2, default 3)
--   source_row: the numerator stratum mean drawn in the Monte Carlo ('tier2 <country>
--     <zone>/<soil> <land use>/<management>/<input>')
--   row_mean [t C/ha]: numerator stratum mean
--   row_sd [t C/ha]: its standard error
--   row_df [count]: n - 1 of the numerator stratum
--   ref_row: the reference stratum mean of a ratio; NULL for SOC_REF
--   ref_mean [t C/ha]: reference stratum mean; value = row_mean / ref_mean
--   ref_sd [t C/ha]: its standard error
--   ref_df [count]: n - 1 of the reference stratum
WITH usable AS (
    SELECT * FROM tier2_stratum_means WHERE n_profiles >= $min_profiles
),

paired AS (
    SELECT d.factor, d.land_use, d.level, d.source AS method_source,
        num.country, num.climate_zone, num.soil_class,
        d.num_land_use || '/' || d.num_management || '/' || d.num_input AS num_stratum,
        num.n_profiles AS n_num, num.mean_tc_per_ha AS mean_num, num.se_tc_per_ha AS se_num,
        d.den_land_use || '/' || d.den_management || '/' || d.den_input AS den_stratum,
        den.n_profiles AS n_den, den.mean_tc_per_ha AS mean_den, den.se_tc_per_ha AS se_den
    FROM tier2_ratio_definitions AS d
    JOIN usable AS num
        ON num.land_use = d.num_land_use
        AND num.management = d.num_management
        AND num.input = d.num_input
    LEFT JOIN usable AS den
        ON den.country = num.country
        AND den.climate_zone = num.climate_zone
        AND den.soil_class = num.soil_class
        AND den.land_use = d.den_land_use
        AND den.management = d.den_management
        AND den.input = d.den_input
    WHERE d.den_land_use IS NULL OR den.n_profiles IS NOT NULL
),

relative_errors AS (
    SELECT p.*,
        mean_num / coalesce(mean_den, 1.0) AS value,
        100 * tn.t_975 * se_num / mean_num AS u_num_pct,
        CASE WHEN den_stratum IS NULL THEN 0.0
            ELSE 100 * td.t_975 * se_den / mean_den END AS u_den_pct
    FROM paired AS p
    JOIN student_t AS tn ON tn.df = p.n_num - 1
    LEFT JOIN student_t AS td ON td.df = p.n_den - 1
    WHERE mean_num > 0 AND (mean_den IS NULL OR mean_den > 0)
),

derived AS (
    SELECT *,
        sqrt(u_num_pct ^ 2 + u_den_pct ^ 2) AS uncertainty_pct,
        format('{} n={} mean={:.2f} SE={:.2f} t C/ha', num_stratum, n_num, mean_num,
            coalesce(se_num, 'nan'::DOUBLE)) AS num_text,
        format('{} n={} mean={:.2f} SE={:.2f} t C/ha', den_stratum, n_den, mean_den,
            coalesce(se_den, 'nan'::DOUBLE)) AS den_text
    FROM relative_errors
)

SELECT country, factor, climate_zone, soil_class, land_use, level,
    value,
    uncertainty_pct,
    'tier2_derived' AS tier,
    CASE WHEN den_stratum IS NULL
        THEN 'derived from profiles (0-30 cm): mean of ' || num_text
            || '; U = t(0.975, n-1) SE/mean; ' || method_source
        ELSE 'derived from profiles (0-30 cm): ratio of ' || num_text || ' over ' || den_text
            || '; U = sqrt(U_num^2 + U_ref^2) (IPCC 2006 Vol.1 Ch.3 Eq. 3.1); '
            || method_source
    END AS source,
    $priority AS priority,
    'tier2 ' || country || ' ' || climate_zone || '/' || soil_class || ' ' || num_stratum
        AS source_row,
    mean_num AS row_mean,
    coalesce(se_num, 0.0) AS row_sd,
    CAST(n_num - 1 AS DOUBLE) AS row_df,
    CASE WHEN den_stratum IS NOT NULL
        THEN 'tier2 ' || country || ' ' || climate_zone || '/' || soil_class || ' '
            || den_stratum END AS ref_row,
    mean_den AS ref_mean,
    coalesce(se_den, 0.0) AS ref_sd,
    CAST(n_den - 1 AS DOUBLE) AS ref_df
FROM derived
ORDER BY ALL
