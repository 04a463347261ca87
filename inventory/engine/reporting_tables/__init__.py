"""National reporting tables: 4 per 1000 indicators, peatland offsets, CRT-style rows, CRT
Table 4.1, key categories (IPCC 2006 Vol.1 Ch.4) and the published schema of the release."""
