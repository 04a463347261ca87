"""The inventory engine, grouped as the method reads.

- ``land/``: land representation and tracking (land units, change matrices, partitions).
- ``mineral_soils/``: factors, Tier 2, Eq. 2.25 stock changes, S(y), N2O from SOC loss.
- ``organic_soils/``: emissions of drained and rewetted organic soils.
- ``uncertainty/``: Monte Carlo draws per source-table row (the engines draw with them).
- ``reporting_tables/``: 4p1000 indicators, CRT rows, uncertainty analysis (error propagation
  over the engines), key categories, the published schema.
- ``run.py`` computes one country; ``invariants.py`` checks it; ``sql/`` holds the SQL models.
"""
