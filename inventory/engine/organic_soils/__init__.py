"""Organic soils: emissions of drained and rewetted organic soils (2013 Wetlands Supplement
Ch.2 and Ch.3) with their CO2-equivalents."""
