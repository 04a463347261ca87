-- Model: peatland_offsets
-- Method: organic-soil emissions (IPCC 2014 Wetlands Supplement Ch.2/3, as CO2e) set against
--   mineral-soil net removals (IPCC 2006 Vol.4 Ch.2 Eq. 2.25, as CO2):
--     organic_emissions_co2e     = sum co2e_t of organic_soil_emissions        [t CO2e/yr]
--     mineral_sequestration_co2e = - sum dCO2_t_per_yr of stock_changes      [t CO2/yr, + = sink]
--     offset_ratio = mineral_sequestration / organic_emissions (NULL unless emissions > 0)
--     net_co2e = organic_emissions - mineral_sequestration                (+ = net source)
--     required_additional_sequestration_co2e = max(net_co2e, 0)
--     avoided_co2e_if_rewetted = sum avoided_co2e of rewetting_scenario (share rewet_share,
--       computed by rewetting_scenario.sql; 0 when there is no drained area, NULL when a
--       drained stratum has no rewetted factor)
--   A missing side counts as 0 (no organic soils reported, or no mineral-soil change).
--   95 % Monte Carlo intervals (IPCC 2006 Vol.1 Ch.3 Sec. 3.2.3.2) of organic_emissions and
--   net_co2e: 2.5th and 97.5th percentiles over draws 1..N of the organic-soil draws
--   (Wetlands Supplement factors drawn from their printed intervals) and the mineral-soil
--   draws (stock_change_draws), added draw by draw; NULL without draws. Computed from the
--   (country-years x draws) matrices in Python (peatland_draw_intervals,
--   reporting_tables/indicators.py peatland_offsets; quantile_cont's interpolation) and
--   joined.
-- Grain: country, year
-- Inputs: organic_soil_emissions (country, year, co2e_t, ...), stock_changes (country, year,
--   dCO2_t_per_yr, ...), rewetting_scenario (country, year, avoided_co2e, ...),
--   peatland_draw_intervals (country, year, organic_ci_low_co2e, organic_ci_high_co2e,
--   net_ci_low_co2e, net_ci_high_co2e [t CO2e/yr]; rows with draws only).
-- Params: none (the share is a parameter of rewetting_scenario.sql).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   organic_emissions_co2e [t CO2e/yr]: organic-soil emissions, sum co2e_t of
--     organic_soil_emissions; 0 when no organic soils are reported
--   mineral_sequestration_co2e [t CO2e/yr]: mineral-soil net removal as CO2, - sum
--     dCO2_t_per_yr of stock_changes, + = sink; 0 when there is no mineral-soil change
--   offset_ratio [1]: mineral_sequestration / organic_emissions; NULL unless emissions > 0
--   net_co2e [t CO2e/yr]: organic_emissions - mineral_sequestration, + = net source
--   required_additional_sequestration_co2e [t CO2e/yr]: max(net_co2e, 0)
--   avoided_co2e_if_rewetted [t CO2e/yr]: sum avoided_co2e of rewetting_scenario; 0 when
--     there is no drained area, NULL when a drained stratum has no rewetted factor
--   organic_ci_low_co2e [t CO2e/yr]: 2.5th percentile of the organic-soil emission draws
--   organic_ci_high_co2e [t CO2e/yr]: 97.5th percentile of the organic-soil emission draws
--   net_ci_low_co2e [t CO2e/yr]: 2.5th percentile of net_co2e over the draws
--   net_ci_high_co2e [t CO2e/yr]: 97.5th percentile of net_co2e over the draws
WITH organic AS (
    SELECT country, year, sum(co2e_t) AS organic_emissions_co2e
    FROM organic_soil_emissions
    GROUP BY ALL
),

mineral AS (
    SELECT country, year, -sum(dCO2_t_per_yr) AS mineral_sequestration_co2e
    FROM stock_changes
    GROUP BY ALL
),

rewetting AS (
    -- NULL when any drained stratum has no rewetted factor: a partial sum would understate
    SELECT country, year,
        CASE WHEN count(*) = count(avoided_co2e) THEN sum(avoided_co2e) END
            AS avoided_co2e_if_rewetted
    FROM rewetting_scenario
    GROUP BY ALL
),

keys AS (
    SELECT country, year FROM organic
    UNION
    SELECT country, year FROM mineral
),

balance AS (
    SELECT k.country, k.year,
        coalesce(o.organic_emissions_co2e, 0) AS organic_emissions_co2e,
        coalesce(m.mineral_sequestration_co2e, 0) AS mineral_sequestration_co2e,
        CASE WHEN r.country IS NULL THEN 0 ELSE r.avoided_co2e_if_rewetted END
            AS avoided_co2e_if_rewetted
    FROM keys AS k
    LEFT JOIN organic AS o USING (country, year)
    LEFT JOIN mineral AS m USING (country, year)
    LEFT JOIN rewetting AS r USING (country, year)
),

net AS (
    SELECT *,
        CASE WHEN organic_emissions_co2e > 0
            THEN mineral_sequestration_co2e / organic_emissions_co2e END AS offset_ratio,
        organic_emissions_co2e - mineral_sequestration_co2e AS net_co2e
    FROM balance
)

SELECT n.country, n.year, n.organic_emissions_co2e, n.mineral_sequestration_co2e,
    n.offset_ratio, n.net_co2e, greatest(n.net_co2e, 0) AS required_additional_sequestration_co2e,
    n.avoided_co2e_if_rewetted,
    i.organic_ci_low_co2e, i.organic_ci_high_co2e, i.net_ci_low_co2e, i.net_ci_high_co2e
FROM net AS n
LEFT JOIN peatland_draw_intervals AS i USING (country, year)
ORDER BY n.country, n.year
