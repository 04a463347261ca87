"""National reporting tables: 4 per 1000 indicators, peatland offsets, CRT-style rows, CRT
Table 4.1, the uncertainty analysis (IPCC 2006 Vol.1 Ch.3, by error propagation over the
engines and their Monte Carlo draws), key categories (Vol.1 Ch.4) and the published schema of
the release."""
