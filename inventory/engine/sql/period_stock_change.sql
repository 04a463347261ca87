-- Model: period_stock_change
-- Method: IPCC 2006 Vol.4 Ch.2 Eq. 2.25 over one inventory time period of T years:
--   dC = (SOC_0 - SOC_(0-T)) / D, and, when T > D, the annual rate over the period uses T
--   instead of D (Eq. 2.25 text: "if T is greater than D, then use the value for T to obtain an
--   annual rate of change over the inventory time period"). SOC summed over strata per land use
--   and for the country ('all').
-- Grain: country, land_use; land_use 'all' for the national total.
-- Inputs: soc_stocks (country, year, land_use, stock_tc).
-- Params: $start_year (0 - T), $end_year (0), $transition_years (D, years).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   land_use: land-use code; 'all' for the national total
--   stock_start_tc [t C]: SOC stock in $start_year (year 0 - T); 0 when absent
--   stock_end_tc [t C]: SOC stock in $end_year (year 0); 0 when absent
--   period_years [yr]: length T of the period, end year - start year
--   divisor_years [yr]: divisor max(T, D)
--   dC_tc_per_yr [t C/yr]: annual stock change over the period, + = removal
WITH stocks AS (
    SELECT country, year, land_use, sum(stock_tc) AS stock_tc
    FROM soc_stocks
    WHERE year IN ($start_year, $end_year)
    GROUP BY ALL
    UNION ALL
    SELECT country, year, 'all' AS land_use, sum(stock_tc) AS stock_tc
    FROM soc_stocks
    WHERE year IN ($start_year, $end_year)
    GROUP BY ALL
),

period AS (
    SELECT country, land_use,
        coalesce(sum(stock_tc) FILTER (WHERE year = $start_year), 0) AS stock_start_tc,
        coalesce(sum(stock_tc) FILTER (WHERE year = $end_year), 0) AS stock_end_tc,
        $end_year - $start_year AS period_years,
        greatest($end_year - $start_year, $transition_years) AS divisor_years
    FROM stocks
    GROUP BY ALL
)

SELECT *, (stock_end_tc - stock_start_tc) / divisor_years AS dC_tc_per_yr
FROM period
ORDER BY country, land_use
