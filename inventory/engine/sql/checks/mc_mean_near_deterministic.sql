-- Check: the mean of the Monte Carlo draws of every reported total lies close to the
--   deterministic estimate (draw 0), within a tenth of the 95 % interval width (about 12
--   standard errors of the mean at 1000 draws; meant for runs with >= 200 draws). Factor draws
--   are normal and the totals linear in each factor, so a larger gap means a biased draw (e.g.
--   truncation at 0 of a factor whose uncertainty exceeds ~50 %) or a bug. Runs with fewer
--   draws are not judged (at 20 draws the tolerance is under 2 standard errors).
-- Returns: offending rows; empty = pass.
-- Inputs: stock_change_totals.
SELECT country, year, scope, land_use, dC_tc_per_yr, mc_mean, ci_low, ci_high
FROM stock_change_totals
WHERE mc_draws >= 200
    AND abs(mc_mean - dC_tc_per_yr) > 0.1 * (ci_high - ci_low) + 1e-9
ORDER BY ALL
