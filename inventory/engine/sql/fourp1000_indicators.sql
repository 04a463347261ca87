-- Model: fourp1000_indicators
-- Method: "4 per 1000" indicator (4p1000 initiative launched at COP21 by S. Le Foll, French
--   Minister of Agriculture, 2015; Minasny et al. 2017, Geoderma 292:59-86, "Soil carbon 4 per
--   mille"): the annual relative change of the mineral-soil organic carbon stock against an
--   aspirational +4 per mille (0.4 %) per year.
--     rate_permille(y) = 1000 x dC(y) / stock(y - 1)          [per mille / yr]
--     target_tc(y)     = $target_permille / 1000 x stock(y - 1) [t C / yr]
--     gap_tc(y)        = target_tc(y) - dC(y)                  [t C / yr, + = short of target]
--   dC(y) is the Tier 1 stock change of IPCC 2006 Vol.4 Ch.2 Eq. 2.25 (20-year linear transition
--   between equilibria), not an observed annual change: the two answer different questions
--   (see inventory/data/ipcc/README.md) and are reported side by side, not merged.
-- Grain: country, year, land_use; land_use = 'all' is the national total.
-- Inputs: soc_stocks (country, year, land_use, stock_tc, ...), stock_changes (country, year,
--   land_use, land_use_category, dC_tc_per_yr, ...; + = removal).
-- Params: $target_permille (per mille / yr; 4 for the 4p1000 aspiration).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   land_use: land-use code; 'all' for the national total
--   stock_tc [t C]: mineral-soil SOC stock in year y
--   prev_stock_tc [t C]: stock in year y-1; NULL in the first year
--   change_tc [t C/yr]: Tier 1 stock change dC(y), + = removal
--   rate_permille [per mille/yr]: 1000 x dC(y) / stock(y - 1); NULL without a y-1 stock
--   target_permille [per mille/yr]: the target rate ($target_permille)
--   target_tc [t C/yr]: $target_permille / 1000 x stock(y - 1)
--   gap_tc [t C/yr]: target_tc - change_tc, + = short of target
WITH stocks_by_land_use AS (
    SELECT country, year, land_use, sum(stock_tc) AS stock_tc
    FROM soc_stocks
    GROUP BY ALL
),

stocks AS (
    SELECT * FROM stocks_by_land_use
    UNION ALL
    SELECT country, year, 'all' AS land_use, sum(stock_tc) AS stock_tc
    FROM stocks_by_land_use
    GROUP BY ALL
),

changes_by_land_use AS (
    SELECT country, year, land_use, sum(dC_tc_per_yr) AS change_tc
    FROM stock_changes
    GROUP BY ALL
),

changes AS (
    SELECT * FROM changes_by_land_use
    UNION ALL
    SELECT country, year, 'all' AS land_use, sum(change_tc) AS change_tc
    FROM changes_by_land_use
    GROUP BY ALL
),

lagged AS (
    SELECT cur.country, cur.year, cur.land_use, cur.stock_tc,
        prev.stock_tc AS prev_stock_tc, c.change_tc
    FROM stocks AS cur
    LEFT JOIN stocks AS prev
        ON prev.country = cur.country AND prev.land_use = cur.land_use
        AND prev.year = cur.year - 1
    LEFT JOIN changes AS c
        ON c.country = cur.country AND c.land_use = cur.land_use AND c.year = cur.year
),

-- per mille = parts per thousand (definition of the unit, not a factor)
rates AS (
    SELECT *, 1000 * change_tc / nullif(prev_stock_tc, 0) AS rate_permille
    FROM lagged
),

targets AS (
    SELECT *,
        CAST($target_permille AS DOUBLE) AS target_permille,
        CAST($target_permille AS DOUBLE) / 1000 * prev_stock_tc AS target_tc
    FROM rates
)

SELECT country, year, land_use, stock_tc, prev_stock_tc, change_tc, rate_permille,
    target_permille, target_tc, target_tc - change_tc AS gap_tc
FROM targets
ORDER BY country, year, land_use
