"""Land representation and tracking: Approach 2/3 land units with histories, land-use change
matrices, partitions of the land units and the area-source flags (IPCC 2006 Vol.4 Ch.3; the
Approach 1 stratum areas are computed in mineral_soils)."""
