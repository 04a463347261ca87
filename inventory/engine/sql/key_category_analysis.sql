-- Model: key_category_analysis
-- Method: key category analysis, IPCC 2006 Vol.1 Ch.4 Sec. 4.3 (absolute values, so removals
--   count by their size; E in t CO2e, + emission, - removal):
--   Approach 1 level (Eq. 4.1): L_x,t = |E_x,t| / sum_y |E_y,t|;
--   Approach 1 trend (Eq. 4.2), base year 0 = $base_year:
--     T_x,t = (|E_x,0| / sum_y |E_y,0|) x |(E_x,t - E_x,0) / |E_x,0|
--             - (sum_y E_y,t - sum_y E_y,0) / |sum_y E_y,0||,
--     computed in the equivalent form |(E_x,t - E_x,0) / sum_y |E_y,0|
--       - (|E_x,0| / sum_y |E_y,0|) x (sum E_t - sum E_0) / |sum E_0||,
--     which also holds for a category absent in the base year (E_x,0 = 0: |E_x,t| / sum|E_y,0|);
--     the trend rows of year t cover the union of the base year's and the year's categories,
--     E = 0 where a category is absent (a category of the base year gone in year t keeps its
--     place in the sums and the ranking: E_x,t = 0, Approach 2 weighs it by its base-year U);
--     the level rows (Eq. 4.1) cover the year's categories only;
--     the share of a category is T_x,t / sum_y T_y,t;
--   Approach 2 (weighted by uncertainty U, %): level LU_x,t = L_x,t U_x,t / sum_y L_y,t U_y,t,
--     trend TU_x,t = T_x,t U_x,t / sum_y T_y,t U_y,t; categories without an uncertainty are
--     left out of Approach 2 (share, rank and key NULL).
--   Categories are ranked by share (largest first; ties by category, gas); the cumulative
--   share includes the category; a category is key when the cumulative share before it is
--   below the threshold ($approach1_threshold = 0.95 for Approach 1, $approach2_threshold =
--   0.90 for Approach 2), i.e. the categories that together reach the threshold, the one
--   crossing it included. Equation forms and thresholds from a secondary summary of Ch.4
--   (thresholds confirmed by an independent public implementation); not checked against the
--   printed text.
-- Grain: country, year, approach, assessment, category, gas
-- Inputs: key_category_inputs.
-- Params: $base_year (trend base year, yr), $approach1_threshold (0.95),
--   $approach2_threshold (0.90).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year t
--   approach: 1 (Eq. 4.1, 4.2) or 2 (weighted by uncertainty)
--   assessment: level or trend
--   scope: national (with the compiler's national totals) or lulucf_only
--   base_year [yr]: base year of the trend assessment
--   category: category (soil reporting category, or the compiler's category)
--   gas: gas of the category
--   source: mineral_soils, organic_soils or national_totals
--   emissions_co2e_t [t CO2e/yr]: E_x,t, + = emission (0 when absent in year t)
--   base_emissions_co2e_t [t CO2e/yr]: E_x,0 (0 when absent in the base year)
--   uncertainty_pct [%]: U_x,t used by Approach 2 (U_x,0 when absent in year t); NULL when
--     unknown
--   assessment_value [1]: L_x,t or T_x,t (Approach 1), L_x,t U_x,t or T_x,t U_x,t (Approach 2)
--   share [1]: assessment_value / sum over the year's categories
--   rank [count]: 1 = largest share
--   cumulative_share [1]: sum of the shares of ranks 1..rank
--   threshold [1]: cumulative share that defines key categories
--   is_key: true when cumulative_share - share < threshold
WITH inputs AS (
    SELECT * FROM key_category_inputs
),

base AS (
    SELECT country, category, gas, source, emissions_co2e_t AS e0, uncertainty_pct
    FROM inputs
    WHERE year = $base_year
),

country_years AS (
    SELECT DISTINCT country, year, scope FROM inputs
),

vanished AS (
    -- categories of the base year absent in year t: E_x,t = 0 (Eq. 4.2 sums over the union of
    -- the base year's and the year's categories), U from the base year
    SELECT y.country, y.year, b.category, b.gas, b.source, y.scope, 0.0 AS emissions_co2e_t,
        b.uncertainty_pct, 'base_year' AS uncertainty_source
    FROM country_years AS y
    JOIN base AS b USING (country)
    WHERE y.year <> $base_year
        AND NOT EXISTS (
            SELECT 1 FROM inputs AS i
            WHERE i.country = y.country AND i.year = y.year AND i.category = b.category
                AND i.gas = b.gas
        )
),

paired AS (
    SELECT i.*, coalesce(b.e0, 0.0) AS e0, true AS present
    FROM inputs AS i
    LEFT JOIN base AS b USING (country, category, gas)
    UNION ALL BY NAME
    SELECT v.*, b.e0, false AS present
    FROM vanished AS v
    JOIN base AS b USING (country, category, gas)
),

year_sums AS (
    SELECT country, year,
        sum(abs(emissions_co2e_t)) AS abs_t,
        sum(emissions_co2e_t) AS sum_t,
        sum(abs(e0)) AS abs_0,
        sum(e0) AS sum_0
    FROM paired
    GROUP BY ALL
),

assessed AS (
    SELECT p.*, 'level' AS assessment,
        abs(p.emissions_co2e_t) / nullif(s.abs_t, 0) AS v
    FROM paired AS p
    JOIN year_sums AS s USING (country, year)
    WHERE p.present
    UNION ALL
    SELECT p.*, 'trend' AS assessment,
        abs((p.emissions_co2e_t - p.e0) / nullif(s.abs_0, 0)
            - abs(p.e0) / nullif(s.abs_0, 0) * (s.sum_t - s.sum_0) / nullif(abs(s.sum_0), 0))
    FROM paired AS p
    JOIN year_sums AS s USING (country, year)
    WHERE p.year <> $base_year
),

weighted AS (
    SELECT *, 1 AS approach, v AS assessment_value, $approach1_threshold AS threshold
    FROM assessed
    UNION ALL
    SELECT *, 2 AS approach, v * uncertainty_pct AS assessment_value,
        $approach2_threshold AS threshold
    FROM assessed
),

shared AS (
    SELECT *,
        assessment_value / nullif(sum(assessment_value) OVER (
            PARTITION BY country, year, approach, assessment), 0) AS share
    FROM weighted
),

ranked AS (
    SELECT *,
        CASE WHEN share IS NOT NULL THEN row_number() OVER (
            PARTITION BY country, year, approach, assessment, share IS NULL
            ORDER BY share DESC, category, gas) END AS rank
    FROM shared
),

cumulated AS (
    SELECT *,
        CASE WHEN share IS NOT NULL THEN sum(share) OVER (
            PARTITION BY country, year, approach, assessment, share IS NULL
            ORDER BY share DESC, category, gas ROWS UNBOUNDED PRECEDING) END AS cumulative_share
    FROM ranked
)

SELECT country, year, approach, assessment, scope, $base_year AS base_year, category, gas,
    source, emissions_co2e_t, e0 AS base_emissions_co2e_t, uncertainty_pct, assessment_value,
    share, rank, cumulative_share, threshold,
    cumulative_share - share < threshold AS is_key
FROM cumulated
ORDER BY country, year, approach, assessment, rank NULLS LAST, category, gas
