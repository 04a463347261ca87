"""Mineral soils: factor tables (Tier 1 defaults, submitted and profile-derived Tier 2), the
stock-change method of IPCC 2006 Vol.4 Ch.2 Eq. 2.25 on stratum areas, the inventory stock S(y),
and N2O from the loss of soil organic matter (Vol.4 Ch.11 Eq. 11.8)."""
