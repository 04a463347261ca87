-- Model: uncertainty_analysis
-- Method: uncertainty of each category and of the totals, per year, three ways side by side
--   (IPCC 2006 Vol.1 Ch.3), in CO2 equivalents (+ = emission):
--   Approach 1, propagation (Sec. 3.2.3.1): the terms of a category that share a parameter
--     are summed first (uncertainty_contributions, so correlated strata are not treated as
--     independent), then Eq. 3.1 (product: the term's relative uncertainty is the parameter's
--     U_f) and Eq. 3.2 (sum over independent parameters):
--       U_x = sqrt(sum_f (U_f x c_f)^2) / |E_x|   [%, half-width of the 95 % interval]
--     (first-order, exact for Eq. 2.25 which is linear in each factor; Vol.1 Ch.3 notes the
--     approximation suits relative uncertainties up to about 30 %, recalled).
--   Approach 2, Monte Carlo (Sec. 3.2.3.2): 2.5th and 97.5th percentiles of the draws
--     (stock_change_draws for mineral soils; the organic-soil category draws, their
--     Wetlands Supplement factors drawn from the printed 95 % intervals; soils_total = the
--     sum of both, draw by draw), and the trend
--     from $base_year to the year, (E_y - E_base) / |E_base| x 100, evaluated draw by draw with
--     the same draw for both years (factors shared by both years cancel as they should):
--     computed from (rows x draws) matrices in Python (uncertainty_draw_intervals,
--     reporting_tables/propagation.py draw_interval_table, the same base year) and joined.
--   Trend, Approach 1 (Table 3.2): with C = base-year and D = year emissions of category x,
--     SC, SD their sums over the total's categories, F_x = U_x of Approach 1 in the year and
--     E_x = $ad_uncertainty_pct (0: submitted area uncertainties are correlated between the
--     years and enter U_x as parameters, so column K carries them):
--       I (type A) = [(s D_x + SD - (s C_x + SC)) / |s C_x + SC| - (SD - SC) / |SC|] x 100,
--         s = $type_a_step (a 1 % change of the category in both years);
--       J (type B) = |D_x| / |SC|;
--       K = |I| x F_x (parameter uncertainty, fully correlated between the years);
--       L = J x E_x x sqrt(2) (activity data, uncorrelated);  M = K^2 + L^2;
--       trend uncertainty of the total = sqrt(sum_x M) [% points of the trend].
--     Denominators in absolute value so a net-sink base year keeps the trend's sign (a
--     departure from the printed table, identical for positive totals). Per category I-M are
--     reported against 'soils_total'; the trend uncertainty itself only for the totals.
--   Primary trend uncertainty: the Monte Carlo trend interval where draws exist, else Table 3.2
--     (trend_uncertainty_pct, trend_uncertainty_source). Table 3.2 is first order: it fails when
--     the base-year estimate's interval spans zero (the trend's denominator can be ~0 or change
--     sign; Approach 1 half-width >= |base-year estimate|) or when a relative uncertainty is
--     above the range of Approach 1 (Vol.1 Ch.3 Sec. 3.2.3.1: standard deviation / mean below
--     about 0.3, i.e. U above $table_3_2_max_uncertainty_pct = 1.96 x 30 %; recalled, not
--     checked against the printed text). Rows carrying Table 3.2 figures say whether its
--     assumptions hold (table_3_2_valid, table_3_2_failure): totals by their own base-year and
--     year Approach 1 uncertainty, categories by soils_total's base-year interval (the trend's
--     denominator) and their own uncertainty in the base year and the year.
--   Totals: 'mineral_soils_total' (mineral categories, gas CO2; Monte Carlo available) and
--   'soils_total' (mineral and organic, CO2e).
--   Rows: every category with an estimate in the year or the base year (0 where it has none),
--   years from $base_year on.
-- Grain: country, year, category, gas
-- Inputs: soil_category_emissions, uncertainty_contributions, uncertainty_draw_intervals
--   (country, year, category, gas, mc_ci_low, mc_ci_high [t CO2e/yr], mc_draws,
--   trend_mc_low_pct, trend_mc_high_pct [%]; from the mineral and organic-soil draws,
--   draws 1..N, trend against the base year).
-- Params: $base_year (base year of the trend, yr), $type_a_step (0.01),
--   $ad_uncertainty_pct (activity-data uncertainty E, %, 0),
--   $table_3_2_max_uncertainty_pct (58.8, %: sd / mean 0.3 x 1.96).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   category: reporting category, or mineral_soils_total / soils_total
--   gas: CO2, CH4, N2O, or CO2e for soils_total
--   land_use: land-use code; 'all' for the totals
--   scope: mineral_soils, organic_soils or total
--   base_year [yr]: base year of the trend ($base_year)
--   emissions_co2e_t [t CO2e/yr]: estimate of the year (draw 0), + = emission
--   base_emissions_co2e_t [t CO2e/yr]: estimate of the base year
--   a1_uncertainty_pct [%]: Approach 1 half-width of the 95 % interval, % of |estimate|; NULL
--     when the estimate is 0
--   a1_ci_low [t CO2e/yr]: estimate - Approach 1 half-width
--   a1_ci_high [t CO2e/yr]: estimate + Approach 1 half-width
--   mc_ci_low [t CO2e/yr]: 2.5th percentile of the Monte Carlo draws; NULL without draws
--   mc_ci_high [t CO2e/yr]: 97.5th percentile of the Monte Carlo draws; NULL without draws
--   mc_uncertainty_pct [%]: (mc_ci_high - mc_ci_low) / 2 / |estimate| x 100
--   mc_draws [count]: Monte Carlo draws used (0 without)
--   trend_pct [%]: (estimate - base estimate) / |base estimate| x 100; NULL when the base is 0
--   trend_mc_low_pct [%]: 2.5th percentile of the per-draw trend; NULL without draws
--   trend_mc_high_pct [%]: 97.5th percentile of the per-draw trend; NULL without draws
--   trend_mc_uncertainty_pct [%]: (trend_mc_high_pct - trend_mc_low_pct) / 2, % points
--   type_a_sensitivity [%]: Table 3.2 column I (categories; vs soils_total)
--   type_b_sensitivity [1]: Table 3.2 column J (categories; vs soils_total)
--   trend_u_parameters_pct [%]: Table 3.2 column K, % points of the trend
--   trend_u_activity_pct [%]: Table 3.2 column L, % points of the trend
--   trend_variance_contribution [%^2]: Table 3.2 column M = K^2 + L^2
--   trend_a1_uncertainty_pct [%]: totals: sqrt(sum M) over their categories, % points;
--     NULL for categories
--   trend_uncertainty_pct [%]: the primary trend uncertainty, % points: trend_mc_uncertainty_pct
--     where Monte Carlo draws exist, else trend_a1_uncertainty_pct (totals); NULL otherwise
--   trend_uncertainty_source: monte_carlo, table_3_2, or NULL
--   table_3_2_valid: whether Table 3.2's assumptions hold for the row's figures (base-year
--     interval excludes zero, relative uncertainties within the Approach 1 range); NULL on
--     rows without Table 3.2 figures
--   table_3_2_failure: base_interval_spans_zero, uncertainty_above_range (the first that
--     applies), or NULL
WITH estimates AS (
    SELECT country, year, category, gas, land_use, source AS scope, emissions_co2e_t
    FROM soil_category_emissions
),

members AS (
    SELECT *, 'mineral_soils_total' AS total FROM estimates WHERE scope = 'mineral_soils'
    UNION ALL
    SELECT *, 'soils_total' AS total FROM estimates
),

total_gas AS (
    SELECT 'mineral_soils_total' AS total, 'CO2' AS total_gas
    UNION ALL
    SELECT 'soils_total', 'CO2e'
),

rows AS (
    SELECT * FROM estimates
    UNION ALL
    SELECT m.country, m.year, m.total, g.total_gas, 'all', 'total', sum(m.emissions_co2e_t)
    FROM members AS m
    JOIN total_gas AS g USING (total)
    GROUP BY ALL
),

keyed AS (
    -- every category of a country in every year it has data, 0 where it has none, so the
    -- base year and the year can be compared category by category
    SELECT k.country, y.year, k.category, k.gas, k.land_use, k.scope,
        coalesce(r.emissions_co2e_t, 0.0) AS emissions_co2e_t,
        r.emissions_co2e_t IS NOT NULL AS present
    FROM (SELECT DISTINCT country, category, gas, land_use, scope FROM rows) AS k
    JOIN (SELECT DISTINCT country, year FROM rows) AS y USING (country)
    LEFT JOIN rows AS r USING (country, year, category, gas)
),

with_base AS (
    SELECT k.*, b.emissions_co2e_t AS base_emissions_co2e_t, b.present AS base_present
    FROM keyed AS k
    LEFT JOIN keyed AS b
        ON b.country = k.country AND b.category = k.category AND b.gas = k.gas
        AND b.year = $base_year
),

factor_terms AS (
    SELECT country, year, category, gas, factor, uncertainty_pct, contribution_co2e_t AS c
    FROM uncertainty_contributions
    UNION ALL
    SELECT u.country, u.year, m.total, g.total_gas, u.factor, u.uncertainty_pct,
        sum(u.contribution_co2e_t)
    FROM uncertainty_contributions AS u
    JOIN members AS m USING (country, year, category, gas)
    JOIN total_gas AS g USING (total)
    GROUP BY ALL
),

approach1 AS (
    SELECT country, year, category, gas,
        sqrt(sum((uncertainty_pct * c) * (uncertainty_pct * c))) / 100 AS half_width
    FROM factor_terms
    GROUP BY ALL
),

monte_carlo AS (
    -- the draws' 95 % intervals and trend intervals, from (rows x draws) matrices in Python
    SELECT country, year, category, gas, mc_ci_low, mc_ci_high, mc_draws
    FROM uncertainty_draw_intervals
),

monte_carlo_trend AS (
    SELECT country, year, category, gas, trend_mc_low_pct, trend_mc_high_pct
    FROM uncertainty_draw_intervals
    WHERE trend_mc_low_pct IS NOT NULL
),

table_3_2_inputs AS (
    SELECT m.total, w.country, w.year, w.category, w.gas,
        w.base_emissions_co2e_t AS c, w.emissions_co2e_t AS d,
        coalesce(a.half_width / nullif(abs(w.emissions_co2e_t), 0) * 100, 0.0) AS f
    FROM with_base AS w
    JOIN (SELECT DISTINCT country, category, gas, total FROM members) AS m
        USING (country, category, gas)
    LEFT JOIN approach1 AS a USING (country, year, category, gas)
),

table_3_2 AS (
    SELECT i.*,
        ((($type_a_step * i.d + s.sd) - ($type_a_step * i.c + s.sc))
            / nullif(abs($type_a_step * i.c + s.sc), 0)
            - (s.sd - s.sc) / nullif(abs(s.sc), 0)) * 100 AS type_a,
        abs(i.d) / nullif(abs(s.sc), 0) AS type_b
    FROM table_3_2_inputs AS i
    JOIN (SELECT total, country, year, sum(c) AS sc, sum(d) AS sd
          FROM table_3_2_inputs GROUP BY ALL) AS s
        USING (total, country, year)
),

contributions AS (
    SELECT *,
        abs(type_a) * f AS k,
        type_b * $ad_uncertainty_pct * sqrt(2) AS l
    FROM table_3_2
),

validity AS (
    -- Table 3.2's assumptions per row: the base-year interval and the relative uncertainties
    SELECT w.country, w.year, w.category, w.gas,
        coalesce(ab.half_width, 0.0) >= abs(w.base_emissions_co2e_t) AS base_spans_zero,
        greatest(
            coalesce(ab.half_width / nullif(abs(w.base_emissions_co2e_t), 0) * 100, 0.0),
            coalesce(a.half_width / nullif(abs(w.emissions_co2e_t), 0) * 100, 0.0)
        ) > $table_3_2_max_uncertainty_pct AS above_range
    FROM with_base AS w
    LEFT JOIN approach1 AS a USING (country, year, category, gas)
    LEFT JOIN approach1 AS ab
        ON ab.country = w.country AND ab.category = w.category AND ab.gas = w.gas
        AND ab.year = $base_year
),

trend_totals AS (
    SELECT country, year, total AS category, g.total_gas AS gas,
        sqrt(sum(k * k + l * l)) AS trend_a1_uncertainty_pct
    FROM contributions
    JOIN total_gas AS g USING (total)
    GROUP BY ALL
)

SELECT w.country, w.year, w.category, w.gas, w.land_use, w.scope,
    $base_year AS base_year,
    w.emissions_co2e_t, w.base_emissions_co2e_t,
    a.half_width / nullif(abs(w.emissions_co2e_t), 0) * 100 AS a1_uncertainty_pct,
    w.emissions_co2e_t - a.half_width AS a1_ci_low,
    w.emissions_co2e_t + a.half_width AS a1_ci_high,
    mc.mc_ci_low, mc.mc_ci_high,
    (mc.mc_ci_high - mc.mc_ci_low) / 2 / nullif(abs(w.emissions_co2e_t), 0) * 100
        AS mc_uncertainty_pct,
    coalesce(mc.mc_draws, 0) AS mc_draws,
    (w.emissions_co2e_t - w.base_emissions_co2e_t)
        / nullif(abs(w.base_emissions_co2e_t), 0) * 100 AS trend_pct,
    t.trend_mc_low_pct, t.trend_mc_high_pct,
    (t.trend_mc_high_pct - t.trend_mc_low_pct) / 2 AS trend_mc_uncertainty_pct,
    c.type_a AS type_a_sensitivity, c.type_b AS type_b_sensitivity,
    c.k AS trend_u_parameters_pct, c.l AS trend_u_activity_pct,
    c.k * c.k + c.l * c.l AS trend_variance_contribution,
    tt.trend_a1_uncertainty_pct,
    coalesce(t.trend_mc_high_pct - t.trend_mc_low_pct, 2 * tt.trend_a1_uncertainty_pct) / 2
        AS trend_uncertainty_pct,
    CASE WHEN t.trend_mc_low_pct IS NOT NULL THEN 'monte_carlo'
        WHEN tt.trend_a1_uncertainty_pct IS NOT NULL THEN 'table_3_2' END
        AS trend_uncertainty_source,
    CASE WHEN tt.trend_a1_uncertainty_pct IS NOT NULL THEN NOT (v.base_spans_zero OR v.above_range)
        WHEN c.k IS NOT NULL THEN NOT (vt.base_spans_zero OR v.above_range) END
        AS table_3_2_valid,
    CASE WHEN tt.trend_a1_uncertainty_pct IS NOT NULL AND v.base_spans_zero
            THEN 'base_interval_spans_zero'
        WHEN tt.trend_a1_uncertainty_pct IS NULL AND c.k IS NOT NULL AND vt.base_spans_zero
            THEN 'base_interval_spans_zero'
        WHEN (tt.trend_a1_uncertainty_pct IS NOT NULL OR c.k IS NOT NULL) AND v.above_range
            THEN 'uncertainty_above_range' END AS table_3_2_failure
FROM with_base AS w
LEFT JOIN approach1 AS a USING (country, year, category, gas)
LEFT JOIN monte_carlo AS mc USING (country, year, category, gas)
LEFT JOIN monte_carlo_trend AS t USING (country, year, category, gas)
LEFT JOIN contributions AS c
    ON c.total = 'soils_total' AND c.country = w.country AND c.year = w.year
    AND c.category = w.category AND c.gas = w.gas
LEFT JOIN trend_totals AS tt USING (country, year, category, gas)
LEFT JOIN validity AS v USING (country, year, category, gas)
LEFT JOIN validity AS vt
    ON vt.country = w.country AND vt.year = w.year AND vt.category = 'soils_total'
WHERE w.year >= $base_year AND (w.present OR w.base_present)
ORDER BY w.country, w.year, w.scope, w.category, w.gas
