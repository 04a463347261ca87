-- Model: inventory_stocks
-- Method: the mineral-soil SOC stock S(y) that the reported stock changes imply (IPCC 2006
--   Vol.4 Ch.2 Eq. 2.25 with the default linear transition; history before the first year
--   with data y0 = that first known state, at equilibrium):
--     national:  S(y) = 1/D x sum over u = y-D+1 .. y of SOC(max(u, y0))      [t C]
--                so that S(y) - S(y-1) = (SOC(y) - SOC(max(y - D, y0))) / D = dC(y) exactly;
--     land use:  S_lu(y) = S_lu(y-1) + dC_lu(y) + T_lu(y), S_lu(y0) = SOC_lu(y0)   [t C]
--                (dC_lu = remaining + converted categories of the land use, the reported
--                changes; T_lu = stock carried by land changing use: a land use losing L ha
--                gives L x S_lu(y-1) / A_lu(y-1) to the land uses gaining area, in proportion
--                to their gain; national net areas, a project method computed by
--                inventory.engine.mineral_soils.stocks.land_use_stocks). The transfers sum to 0, so the land
--                uses add up to S(y).
--   SOC(u) is the equilibrium stock of year u (soc_stocks.stock_tc, Eq. 2.25 stock term): the
--   stock the land would reach after D years in its year-u state, not the stock it holds.
--   D = $transition_years. The identities are checked by checks/inventory_stock_identity.sql.
-- Grain: country, year, scope, land_use
-- Inputs: equilibrium_stocks (soc_stocks of every year with data, history included: country,
--   year, land_use, area_ha, stock_tc), land_use_inventory_stocks (per land use and year with
--   data: area_ha, prev_area_ha, converted_area_ha, equilibrium_stock_tc, stock_tc,
--   prev_stock_tc, change_tc, transfer_tc; inventory.engine.mineral_soils.stocks.land_use_stocks).
-- Params: $transition_years (D, yr), $first_year, $last_year (reported years; NULL = all).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   year [yr]: inventory year
--   scope: 'national' (land_use 'all') or 'land_use' (one UNFCCC land category)
--   land_use: land-use code (inventory.core.vocab.LAND_USES); 'all' for scope 'national'
--   area_ha [ha]: mineral-soil area in year y
--   prev_area_ha [ha]: mineral-soil area in year y-1 (the first year with data stands in for
--     earlier years)
--   converted_area_ha [ha]: area of land converted to the land use within D years (all land
--     uses for scope 'national')
--   equilibrium_stock_tc [t C]: equilibrium stock of year y, SOC(y) (sum of soc_stocks.stock_tc)
--   stock_tc [t C]: inventory stock S(y), 0-30 cm
--   prev_stock_tc [t C]: inventory stock S(y-1)
--   change_tc [t C/yr]: reported stock change dC(y), + = removal
--   transfer_tc [t C/yr]: stock carried in (+) or out (-) by land changing use in year y;
--     0 for scope 'national'
WITH national_equilibrium AS (
    SELECT country, year, sum(area_ha) AS area_ha, sum(stock_tc) AS equilibrium_stock_tc
    FROM equilibrium_stocks
    GROUP BY ALL
),

bounds AS (
    SELECT country, min(year) AS first_data_year
    FROM national_equilibrium
    GROUP BY country
),

windows AS (
    -- S(y) x D = sum of the equilibrium stocks of the years y-D+1 .. y present in the data,
    -- plus the first year's stock for each of the window's years before the first year
    SELECT cur.country, cur.year,
        (sum(past.equilibrium_stock_tc)
            + ($transition_years - count(*)) * any_value(y0.equilibrium_stock_tc))
            / $transition_years AS stock_tc
    FROM national_equilibrium AS cur
    JOIN bounds AS b USING (country)
    JOIN national_equilibrium AS past
        ON past.country = cur.country
        AND past.year BETWEEN cur.year - $transition_years + 1 AND cur.year
    JOIN national_equilibrium AS y0
        ON y0.country = cur.country AND y0.year = b.first_data_year
    GROUP BY cur.country, cur.year
),

land_use_totals AS (
    SELECT country, year, sum(prev_area_ha) AS prev_area_ha,
        sum(converted_area_ha) AS converted_area_ha, sum(change_tc) AS change_tc
    FROM land_use_inventory_stocks
    GROUP BY ALL
),

national AS (
    SELECT n.country, n.year, 'national' AS scope, 'all' AS land_use, n.area_ha,
        t.prev_area_ha, t.converted_area_ha, n.equilibrium_stock_tc, w.stock_tc,
        coalesce(lag(w.stock_tc) OVER (PARTITION BY n.country ORDER BY n.year),
            n.equilibrium_stock_tc) AS prev_stock_tc,
        t.change_tc, 0.0 AS transfer_tc
    FROM national_equilibrium AS n
    JOIN windows AS w USING (country, year)
    JOIN land_use_totals AS t USING (country, year)
)

SELECT country, year, scope, land_use, area_ha, prev_area_ha, converted_area_ha,
    equilibrium_stock_tc, stock_tc, prev_stock_tc, change_tc, transfer_tc
FROM (
    SELECT * FROM national
    UNION ALL
    SELECT country, year, 'land_use' AS scope, land_use, area_ha, prev_area_ha,
        converted_area_ha, equilibrium_stock_tc, stock_tc, prev_stock_tc, change_tc,
        transfer_tc
    FROM land_use_inventory_stocks
)
WHERE ($first_year IS NULL OR year >= $first_year)
    AND ($last_year IS NULL OR year <= $last_year)
ORDER BY country, year, scope, land_use
