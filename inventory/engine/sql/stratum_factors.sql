-- Model: stratum_factors
-- Method: factor resolution for IPCC 2006 Vol.4 Ch.2 Eq. 2.25 (SOC_REF, F_LU, F_MG, F_I).
--   For each stratum and factor, the candidate with the lowest priority wins
--   (submitted tier 2 = 1 > derived tier 2 = 2 > IPCC default = 3); among equal priority the most
--   specific row wins (fewest '*' wildcards). Ties beyond that are broken by source text so the
--   result is deterministic.
-- Grain: country, climate_zone, soil_class, land_use, management, input, factor
-- Inputs: land_areas (country, climate_zone, soil_class, land_use, management, input, ...),
--   factor_table (the canonical factor table of inventory.engine.mineral_soils.factors).
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   climate_zone: IPCC climate zone code (inventory.core.vocab.CLIMATE_ZONES)
--   soil_class: IPCC mineral soil class code (inventory.core.vocab.SOIL_CLASSES)
--   land_use: land-use code (inventory.core.vocab.LAND_USES)
--   management: management code (inventory.core.vocab.MANAGEMENTS)
--   input: carbon input level code (inventory.core.vocab.INPUTS)
--   factor: SOC_REF, F_LU, F_MG or F_I
--   value [t C/ha | 1]: factor value of the winning candidate: t C/ha for SOC_REF,
--     dimensionless otherwise
--   uncertainty_pct [%]: +/- % of the value, 95 % interval
--   tier: tier of the winning candidate (tier2_submitted, tier2_derived or tier1_default)
--   source: source of the winning candidate (table citation, or how it was derived)
--   factor_id: stable key of the winning candidate row, for Monte Carlo draws
--   source_row: source table row the value was read from (edition + table + row), drawn once
--     per Monte Carlo iteration and shared by every stratum using it (for a Tier 2 ratio: the
--     numerator mean)
--   row_mean [t C/ha | 1]: mean of the source row (= value unless the factor is a ratio)
--   row_sd [t C/ha | 1]: standard deviation of the source row's distribution (0 = fixed)
--   row_df [count]: degrees of freedom of a Student t source row (n - 1 profiles); NULL =
--     normal
--   ref_row: reference source row of a ratio (Tier 2: the reference stratum's mean); NULL
--     otherwise
--   ref_mean [t C/ha]: mean of the reference row; value = row_mean / ref_mean
--   ref_sd [t C/ha]: standard deviation of the reference row
--   ref_df [count]: degrees of freedom of the reference row; NULL = normal
WITH strata AS (
    SELECT DISTINCT country, climate_zone, soil_class, land_use, management, input
    FROM land_areas
),

candidates AS (
    SELECT
        f.*,
        (f.country = '*')::INT + (f.climate_zone = '*')::INT + (f.soil_class = '*')::INT
            + (f.land_use = '*')::INT + (f.level = '*')::INT AS wildcards,
        md5(concat_ws('|', f.country, f.factor, f.climate_zone, f.soil_class, f.land_use,
                      f.level, f.tier, f.source)) AS factor_id
    FROM factor_table AS f
),

matched AS (
    SELECT
        s.*,
        c.factor, c.value, c.uncertainty_pct, c.tier, c.source, c.factor_id,
        c.source_row, c.row_mean, c.row_sd, c.row_df, c.ref_row, c.ref_mean, c.ref_sd,
        c.ref_df,
        row_number() OVER (
            PARTITION BY s.country, s.climate_zone, s.soil_class, s.land_use, s.management,
                s.input, c.factor
            ORDER BY c.priority, c.wildcards, c.source
        ) AS rank
    FROM strata AS s
    JOIN candidates AS c
        ON c.country IN (s.country, '*')
        AND c.climate_zone IN (s.climate_zone, '*')
        AND c.soil_class IN (s.soil_class, '*')
        AND c.land_use IN (s.land_use, '*')
        AND c.level IN (CASE WHEN c.factor = 'F_I' THEN s.input ELSE s.management END, '*')
)

SELECT
    country, climate_zone, soil_class, land_use, management, input,
    factor, value, uncertainty_pct, tier, source, factor_id,
    source_row, row_mean, row_sd, row_df, ref_row, ref_mean, ref_sd, ref_df
FROM matched
WHERE rank = 1
ORDER BY ALL
