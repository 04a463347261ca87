-- Model: key_category_inputs
-- Method: the categories of the key category analysis (IPCC 2006 Vol.1 Ch.4): this system's
--   soil categories (soil_category_emissions) plus, where the compiler submitted them, the
--   national totals of the other sectors for the same year (national_totals), in t CO2e
--   (+ emission, - removal). Each category carries the relative uncertainty Approach 2 weighs
--   it by (half-width of the 95 % interval, % of |estimate|): the Monte Carlo uncertainty where
--   draws exist, else Approach 1 (uncertainty_analysis), and the compiler's uncertainty_pct for
--   the other sectors. scope: 'national' in a year with national totals, else 'lulucf_only'
--   (the soil categories alone).
-- Grain: country, year, category, gas
-- Inputs: soil_category_emissions, uncertainty_analysis (country, year, category, gas,
--   a1_uncertainty_pct, mc_uncertainty_pct), national_totals (country, year, category, gas,
--   emissions_t_co2e, uncertainty_pct).
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   category: soil reporting category, or the compiler's category of another sector
--   gas: CO2, CH4, N2O, ... (as submitted for the other sectors)
--   source: mineral_soils, organic_soils or national_totals
--   scope: national or lulucf_only
--   emissions_co2e_t [t CO2e/yr]: estimate, + = emission
--   uncertainty_pct [%]: relative uncertainty for Approach 2; NULL when unknown
--   uncertainty_source: monte_carlo, approach_1, submitted, or NULL
WITH soils AS (
    SELECT s.country, s.year, s.category, s.gas, s.source, s.emissions_co2e_t,
        coalesce(u.mc_uncertainty_pct, u.a1_uncertainty_pct) AS uncertainty_pct,
        CASE WHEN u.mc_uncertainty_pct IS NOT NULL THEN 'monte_carlo'
            WHEN u.a1_uncertainty_pct IS NOT NULL THEN 'approach_1' END AS uncertainty_source
    FROM soil_category_emissions AS s
    LEFT JOIN uncertainty_analysis AS u USING (country, year, category, gas)
),

others AS (
    SELECT country, year, category, gas, 'national_totals' AS source,
        sum(emissions_t_co2e) AS emissions_co2e_t,
        max(uncertainty_pct) AS uncertainty_pct,
        CASE WHEN max(uncertainty_pct) IS NOT NULL THEN 'submitted' END AS uncertainty_source
    FROM national_totals
    GROUP BY country, year, category, gas
),

national_years AS (
    SELECT DISTINCT country, year FROM others
)

SELECT c.country, c.year, c.category, c.gas, c.source,
    CASE WHEN n.year IS NULL THEN 'lulucf_only' ELSE 'national' END AS scope,
    c.emissions_co2e_t, c.uncertainty_pct, c.uncertainty_source
FROM (SELECT * FROM soils UNION ALL SELECT * FROM others) AS c
LEFT JOIN national_years AS n USING (country, year)
WHERE c.source <> 'national_totals'
    OR c.year IN (SELECT year FROM soils WHERE soils.country = c.country)
ORDER BY ALL
