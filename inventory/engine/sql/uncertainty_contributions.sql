-- Model: uncertainty_contributions
-- Method: inputs of the Approach 1 propagation (IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3.1, Eq. 3.1
--   and 3.2): for each category and each uncertain parameter f, the part of the category's
--   emissions proportional to f, c_f = f x dE/df, with the parameter's relative uncertainty
--   U_f [%, half-width of its 95 % interval].
--     mineral soils: the parameters are the factor tables' source rows (as in the Monte
--       Carlo); c_f = (E(f (1 + h)) - E) / h, the forward difference over sensitivity_draws,
--       one draw per source row perturbed by the relative step h (draw 0 = every row at its
--       value); exact where E is linear in f (every factor of Eq. 2.25);
--     organic soils: E = A x EF (x GWP) per stratum and component, so c_f = the emissions of
--       the strata using emission factor f (one factor per printed table row: component,
--       source table, value and interval), U_f = (ci_high - ci_low) / 2 / |EF| x 100.
--   Strata sharing a parameter are fully correlated through it, which is why the terms are
--   summed per parameter here before Eq. 3.2 combines the (independent) parameters.
-- Grain: country, year, category, gas, factor
-- Inputs: sensitivity_draws (draw, country, year, land_use_category, dCO2_t_per_yr),
--   sensitivity_factors (draw, parameter, uncertainty_pct, relative_step),
--   organic_soil_emissions,
--   organic_ef_intervals (stratum keys, component, ef, ci_low, ci_high, source_table).
-- Params: none.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   category: reporting category (soil_category_emissions)
--   gas: CO2, CH4 or N2O
--   factor: identifier of the uncertain parameter (the source row of a mineral-soil factor, or
--     the organic emission factor's component, table and value)
--   uncertainty_pct [%]: U_f, half-width of the parameter's 95 % interval as % of its value
--   contribution_co2e_t [t CO2e/yr]: c_f, the category's emissions proportional to the
--     parameter
WITH base AS (
    SELECT country, year, land_use_category, sum(dCO2_t_per_yr) AS e
    FROM sensitivity_draws
    WHERE draw = 0
    GROUP BY ALL
),

mineral AS (
    SELECT d.country, d.year, d.land_use_category AS category, 'CO2' AS gas,
        f.parameter AS factor, f.uncertainty_pct,
        (sum(d.dCO2_t_per_yr) - any_value(b.e)) / any_value(f.relative_step)
            AS contribution_co2e_t
    FROM sensitivity_draws AS d
    JOIN sensitivity_factors AS f USING (draw)
    JOIN base AS b USING (country, year, land_use_category)
    GROUP BY ALL
),

organic AS (
    SELECT o.country, o.year, 'organic_soils_' || o.land_use AS category, o.gas,
        o.component || ' ' || i.source_table || ' ' || i.ef AS factor,
        (i.ci_high - i.ci_low) / 2 / abs(i.ef) * 100 AS uncertainty_pct,
        sum(o.co2e_t) AS contribution_co2e_t
    FROM organic_soil_emissions AS o
    JOIN organic_ef_intervals AS i
        USING (climate_zone, land_use, drainage, nutrient_status, drainage_depth, component)
    WHERE i.ef <> 0 AND i.ci_high > i.ci_low
    GROUP BY ALL
)

SELECT * FROM mineral WHERE uncertainty_pct > 0
UNION ALL
SELECT * FROM organic
ORDER BY ALL
