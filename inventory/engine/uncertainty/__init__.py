"""Uncertainty: Monte Carlo draws per source-table row (IPCC 2006 Vol.1 Ch.3 Approach 2), and
the one-at-a-time perturbations of the same rows for the Approach 1 propagation (Eq. 3.1/3.2),
which the reporting tables run (:mod:`inventory.engine.reporting_tables.propagation`)."""
