"""Uncertainty: Monte Carlo draws per source-table row (IPCC 2006 Vol.1 Ch.3 Approach 2) and
error propagation (Approach 1, Eq. 3.1/3.2) over the same rows."""
