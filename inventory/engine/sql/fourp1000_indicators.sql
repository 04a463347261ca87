-- Model: fourp1000_indicators
-- Method: "4 per 1000" indicator (4p1000 initiative launched at COP21 by S. Le Foll, French
--   Minister of Agriculture, 2015; Minasny et al. 2017, Geoderma 292:59-86, "Soil carbon 4 per
--   mille"): the annual relative change of the soil organic carbon stock against an
--   aspirational +4 per mille (0.4 %) per year, on the inventory stock S(y) that the reported
--   changes imply (inventory_stocks.sql; not the equilibrium stock of soc_stocks, which jumps
--   at a conversion):
--     rate_permille(y)         = 1000 x dC(y) / S(y - 1)                 [per mille / yr]
--     rate_vs_base_permille(y) = 1000 x dC(y) / S(base_year)             [per mille / yr]
--     target_tc(y)             = $target_permille / 1000 x S(y - 1)      [t C / yr]
--     gap_tc(y)                = target_tc(y) - dC(y)                    [t C / yr, + = short]
--   base_year = $base_year, or the first reported year when NULL.
--   Scopes: 'mineral' (dC = mineral-soil change, IPCC 2006 Vol.4 Ch.2 Eq. 2.25) and
--   'mineral_and_organic' (dC + organic-soil carbon change, -(on-site + DOC CO2) x C/CO2 of
--   the 2013 Wetlands Supplement Ch.2/3, so drained organic soils count as a loss; S stays the
--   mineral 0-30 cm stock, as organic-soil stocks are not estimated).
--   dC(y) is the Tier 1 stock change of Eq. 2.25 (20-year linear transition between
--   equilibria), not an observed annual change: the two answer different questions (see
--   inventory/data/ipcc/README.md) and are reported side by side, not merged.
--   Rows per land use only where the ratio means a change of carbon on the same land: in years
--   when no land was converted to the land use within D years and its area equals that of
--   y-1 (no land entered or left it). Where land moves between uses, the land use's stock
--   moves with its area and its rate would mix area transfers with carbon change.
-- Grain: country, year, land_use, scope; land_use = 'all' is the national total.
-- Inputs: inventory_stocks (country, year, scope, land_use, area_ha, prev_area_ha,
--   converted_area_ha, stock_tc, prev_stock_tc, change_tc, ...), organic_soil_emissions
--   (country, year, land_use, component, emission, ...).
-- Params: $target_permille (per mille / yr; 4 for the 4p1000 aspiration), $base_year (yr;
--   NULL = first reported year), $c_per_co2 (t C per t CO2 = 12/44, from inventory.core.units).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   land_use: land-use code; 'all' for the national total
--   scope: 'mineral' or 'mineral_and_organic' (organic-soil carbon losses count as negative
--     change)
--   stock_tc [t C]: inventory stock S(y), mineral soils 0-30 cm (inventory_stocks.stock_tc)
--   prev_stock_tc [t C]: inventory stock S(y-1)
--   change_tc [t C/yr]: stock change dC(y) of the scope, + = gain of soil carbon
--   rate_permille [per mille/yr]: 1000 x change_tc / prev_stock_tc; NULL without a stock
--   base_year [yr]: base year of the comparison ($base_year or the first reported year)
--   base_stock_tc [t C]: inventory stock S(base_year); NULL when the row's land use has no
--     row in the base year
--   rate_vs_base_permille [per mille/yr]: 1000 x change_tc / base_stock_tc
--   target_permille [per mille/yr]: the target rate ($target_permille)
--   target_tc [t C/yr]: $target_permille / 1000 x prev_stock_tc
--   gap_tc [t C/yr]: target_tc - change_tc, + = short of target
WITH stocks AS (
    SELECT *,
        coalesce(CAST($base_year AS INTEGER), min(year) OVER (PARTITION BY country))
            AS base_year
    FROM inventory_stocks
),

meaningful AS (
    SELECT *
    FROM stocks
    WHERE scope = 'national'
        OR (converted_area_ha = 0 AND area_ha = prev_area_ha AND area_ha > 0)
),

organic_by_land_use AS (
    SELECT country, year, land_use,
        -sum(emission) FILTER (WHERE component IN ('on_site', 'doc')) * $c_per_co2 AS organic_tc
    FROM organic_soil_emissions
    GROUP BY ALL
),

organic AS (
    SELECT * FROM organic_by_land_use
    UNION ALL
    SELECT country, year, 'all' AS land_use, sum(organic_tc)
    FROM organic_by_land_use
    GROUP BY ALL
),

scoped AS (
    SELECT m.country, m.year, m.land_use, 'mineral' AS scope, m.stock_tc, m.prev_stock_tc,
        m.change_tc, m.base_year
    FROM meaningful AS m
    UNION ALL
    SELECT m.country, m.year, m.land_use, 'mineral_and_organic', m.stock_tc, m.prev_stock_tc,
        m.change_tc + coalesce(o.organic_tc, 0), m.base_year
    FROM meaningful AS m
    LEFT JOIN organic AS o USING (country, year, land_use)
),

based AS (
    SELECT s.*, b.stock_tc AS base_stock_tc
    FROM scoped AS s
    LEFT JOIN stocks AS b
        ON b.country = s.country AND b.land_use = s.land_use AND b.year = s.base_year
)

-- per mille = parts per thousand (definition of the unit, not a factor)
SELECT country, year, land_use, scope, stock_tc, prev_stock_tc, change_tc,
    1000 * change_tc / nullif(prev_stock_tc, 0) AS rate_permille,
    base_year, base_stock_tc,
    1000 * change_tc / nullif(base_stock_tc, 0) AS rate_vs_base_permille,
    CAST($target_permille AS DOUBLE) AS target_permille,
    CAST($target_permille AS DOUBLE) / 1000 * prev_stock_tc AS target_tc,
    CAST($target_permille AS DOUBLE) / 1000 * prev_stock_tc - change_tc AS gap_tc
FROM based
ORDER BY country, year, land_use, scope
