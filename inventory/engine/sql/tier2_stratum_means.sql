-- Model: tier2_stratum_means
-- Method: IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.1 (Tier 2: country-specific reference stocks and
--   stock change factors from national measurements), sampling statistics of the 0-30 cm stock:
--   mean = sum(x) / n, s = sample standard deviation (n - 1), SE = s / sqrt(n)
--   over the profiles of one stratum. A profile whose measured horizons cover a fraction c of
--   0-30 cm, $min_coverage <= c < 1, enters scaled to the full layer, x = stock / c (uniform
--   carbon density over the missing part; flagged in n_scaled), never as a full 0-30 cm stock
--   (a 0-27 cm sample would enter 10 % low); below $min_coverage it is left out. A profile counts once per stratum: when it has several
--   qualifying 0-30 cm rows (re-sampled years) their mean is its value. Profiles under the
--   native/reference land use are pooled over management and input (both reported as '*'),
--   since SOC_REF is defined for native vegetation whatever code the submitter used.
-- Grain: country, climate_zone, soil_class, land_use, management, input
-- Inputs: intervals (harmonised profile intervals: country, profile_id, climate_zone,
--   soil_class, land_use, management, input, upper_cm, lower_cm, stock_tc_per_ha,
--   coverage_fraction, ...).
-- Params: $min_coverage (fraction 0..1 of the 0-30 cm layer covered by measured horizons),
--   $min_profiles (profiles needed before a mean may feed a derived factor).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   climate_zone: IPCC climate zone code (inventory.core.vocab.CLIMATE_ZONES)
--   soil_class: IPCC mineral soil class code (inventory.core.vocab.SOIL_CLASSES)
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   management: management code; '*' for the native land use (pooled)
--   input: carbon input level code; '*' for the native land use (pooled)
--   n_profiles [count]: profiles in the stratum
--   mean_tc_per_ha [t C/ha]: mean 0-30 cm SOC stock of the profiles
--   sd_tc_per_ha [t C/ha]: sample standard deviation (n - 1); NULL when n = 1
--   se_tc_per_ha [t C/ha]: standard error s / sqrt(n); NULL when n = 1
--   sufficient: n_profiles >= $min_profiles
--   n_scaled [count]: profiles whose stock was scaled from partial coverage to 0-30 cm
WITH topsoil AS (
    SELECT country, profile_id, climate_zone, soil_class, land_use,
        CASE WHEN land_use = 'native' THEN '*' ELSE management END AS management,
        CASE WHEN land_use = 'native' THEN '*' ELSE input END AS input,
        stock_tc_per_ha / coverage_fraction AS stock_tc_per_ha,
        coverage_fraction < 1 AS scaled
    FROM intervals
    WHERE upper_cm = 0 AND lower_cm = 30
        AND coverage_fraction >= $min_coverage
        AND stock_tc_per_ha IS NOT NULL
),

profiles AS (
    SELECT country, profile_id, climate_zone, soil_class, land_use, management, input,
        avg(stock_tc_per_ha) AS stock_tc_per_ha,
        bool_or(scaled) AS scaled
    FROM topsoil
    GROUP BY ALL
),

moments AS (
    SELECT country, climate_zone, soil_class, land_use, management, input,
        count(*) AS n_profiles,
        avg(stock_tc_per_ha) AS mean_tc_per_ha,
        stddev_samp(stock_tc_per_ha) AS sd_tc_per_ha,
        count(*) FILTER (WHERE scaled) AS n_scaled
    FROM profiles
    GROUP BY ALL
)

SELECT country, climate_zone, soil_class, land_use, management, input,
    n_profiles, mean_tc_per_ha, sd_tc_per_ha,
    sd_tc_per_ha / sqrt(n_profiles) AS se_tc_per_ha,
    n_profiles >= $min_profiles AS sufficient,
    n_scaled
FROM moments
ORDER BY ALL
