-- Check: each organic-soil component reports its own gas in that gas's mass unit
--   (on_site, doc: CO2; land, ditch: CH4; direct: N2O -- WS Ch.2 Eqs. 2.2-2.6, Table 2.5), and
--   co2e_t has the sign of the emission (GWP100 values are positive).
-- Returns: the offending rows of organic_soil_emissions; empty = pass.
-- Inputs: organic_soil_emissions.
SELECT *
FROM organic_soil_emissions
WHERE gas <> CASE component
        WHEN 'on_site' THEN 'CO2' WHEN 'doc' THEN 'CO2'
        WHEN 'land' THEN 'CH4' WHEN 'ditch' THEN 'CH4'
        WHEN 'direct' THEN 'N2O' END
    OR component IS NULL
    OR unit <> 't ' || gas || '/yr'
    OR sign(co2e_t) <> sign(emission)
ORDER BY ALL
