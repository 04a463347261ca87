"""What every mineral-soil engine takes besides its inputs: :class:`EngineOptions`.

The four entry points (Approach 1 :func:`~inventory.engine.mineral_soils.mineral.
compute_mineral_inventory`, land units :func:`~inventory.engine.land.approach2.
compute_land_unit_inventory`, land-use change matrices :func:`~inventory.engine.land.
land_use_changes.compute_matrix_inventory`, land units by partitions
:func:`~inventory.engine.land.partitioned.compute_partitioned_inventory`) take one
``EngineOptions`` and a DuckDB connection; a run builds it from its parameters
(:meth:`inventory.engine.run.RunParameters.engine_options`).
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TRANSITION_YEARS = 20  # D, IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.1 (default time dependence)
DEFAULT_MC_DRAWS = 1000
DEFAULT_SEED = 20061


@dataclass(frozen=True)
class EngineOptions:
    """Options of the mineral-soil engines (all four take the same).

    Attributes
    ----------
    transition_years : int, default 20
        D, the period over which a change of stratum (or state) moves the stock [yr].
    first_year, last_year : int, optional
        First and last reported year [yr]; earlier years only serve as history. None reports
        every year (land-use change matrices hold the last state up to ``last_year``).
    mc_draws : int, default 1000
        Monte Carlo iterations for the 95 % intervals [count] (0 = none).
    seed : int, default 20061
        Seed of the Monte Carlo draws [-]
        (:func:`~inventory.engine.uncertainty.montecarlo.factor_draws`); makes the intervals
        repeatable.
    """

    transition_years: int = DEFAULT_TRANSITION_YEARS
    first_year: int | None = None
    last_year: int | None = None
    mc_draws: int = DEFAULT_MC_DRAWS
    seed: int = DEFAULT_SEED

    @property
    def years(self) -> tuple[int | None, int | None]:
        """(first_year, last_year)."""
        return (self.first_year, self.last_year)
