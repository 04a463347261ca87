-- Check: peatland_offsets rows are internally consistent:
--   net_co2e = organic_emissions_co2e - mineral_sequestration_co2e,
--   required_additional_sequestration_co2e = max(net_co2e, 0) >= 0,
--   offset_ratio present exactly when organic emissions are positive.
-- Returns: the offending rows; empty = pass. Tolerance 1e-6 t CO2e (floating point only).
-- Inputs: peatland_offsets.
SELECT *
FROM peatland_offsets
WHERE abs(net_co2e - (organic_emissions_co2e - mineral_sequestration_co2e)) > 1e-6
    OR abs(required_additional_sequestration_co2e - greatest(net_co2e, 0)) > 1e-6
    OR (offset_ratio IS NULL) <> (organic_emissions_co2e <= 0)
ORDER BY ALL
