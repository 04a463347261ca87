-- Check: the inventory stock moves by exactly the reported change (IPCC 2006 Vol.4 Ch.2
--   Eq. 2.25, D-year linear transition): in inventory_stocks S(y) - S(y-1) = dC(y) + T(y) on
--   every row, T = stock carried by land changing use, 0 nationally (rule stock_step), the
--   transfers of a year sum to 0 (rule transfer_sum), dC(y) is the reported change of stock_change_totals (draw 0, the
--   national total and each land use; rule reported_change), S(y-1) is the S of the row of
--   year y-1 (rule chain) and the land uses add up to the national S(y) (rule land_use_sum).
--   Tolerance 1e-9 of the stock + 1e-6 t C: floating-point rounding of sums of ~1e9 t C.
-- Returns: one row per offending (country, year, scope, land_use, rule) with the expected and
--   the actual value [t C or t C/yr]; empty = pass.
-- Inputs: inventory_stocks, stock_change_totals.
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   scope: 'national' or 'land_use'
--   land_use: land-use code; 'all' for scope 'national'
--   rule: stock_step, transfer_sum, reported_change, chain or land_use_sum
--   expected [t C]: value the rule requires (t C/yr for reported_change)
--   actual [t C]: value found (t C/yr for reported_change)
WITH stocks AS (
    SELECT *, 1e-9 * abs(stock_tc) + 1e-6 AS tolerance
    FROM inventory_stocks
),

steps AS (
    SELECT country, year, scope, land_use, 'stock_step' AS rule,
        prev_stock_tc + change_tc + transfer_tc AS expected, stock_tc AS actual, tolerance
    FROM stocks
),

transfers AS (
    SELECT country, year, 'national' AS scope, 'all' AS land_use, 'transfer_sum' AS rule,
        0.0 AS expected, sum(transfer_tc) AS actual, max(tolerance) AS tolerance
    FROM stocks
    WHERE scope = 'land_use'
    GROUP BY country, year
),

reported AS (
    SELECT s.country, s.year, s.scope, s.land_use, 'reported_change' AS rule,
        coalesce(t.dC_tc_per_yr, 0) AS expected, s.change_tc AS actual, s.tolerance
    FROM stocks AS s
    LEFT JOIN stock_change_totals AS t USING (country, year, scope, land_use)
),

chained AS (
    SELECT cur.country, cur.year, cur.scope, cur.land_use, 'chain' AS rule,
        prev.stock_tc AS expected, cur.prev_stock_tc AS actual, cur.tolerance
    FROM stocks AS cur
    JOIN stocks AS prev
        ON prev.country = cur.country AND prev.scope = cur.scope
        AND prev.land_use = cur.land_use AND prev.year = cur.year - 1
),

summed AS (
    SELECT n.country, n.year, n.scope, n.land_use, 'land_use_sum' AS rule,
        n.stock_tc AS expected, sum(l.stock_tc) AS actual, any_value(n.tolerance) AS tolerance
    FROM stocks AS n
    JOIN stocks AS l
        ON l.country = n.country AND l.year = n.year AND l.scope = 'land_use'
    WHERE n.scope = 'national'
    GROUP BY n.country, n.year, n.scope, n.land_use, n.stock_tc
)

SELECT country, year, scope, land_use, rule, expected, actual
FROM (
    SELECT * FROM steps
    UNION ALL SELECT * FROM transfers
    UNION ALL SELECT * FROM reported
    UNION ALL SELECT * FROM chained
    UNION ALL SELECT * FROM summed
)
WHERE abs(expected - actual) > tolerance OR expected IS NULL OR actual IS NULL
ORDER BY ALL
