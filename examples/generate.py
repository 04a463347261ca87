"""Generate the bundled example submission packages (format v1): IRL, KEN, URY, CRI and NZL.

The data are SYNTHETIC: plausible in magnitude and trend, NOT official statistics of any
country. Everything below is a modelling assumption of this script (see examples/README.md).

    python examples/generate.py            # rewrite examples/IRL, KEN, URY, CRI and NZL
    python examples/generate.py --out DIR  # write the packages under DIR instead

CRI (census years only) and NZL (land-use change matrices) come from ``generate_national.py``.

Deterministic: numpy's PCG64 generator with fixed seeds (one stream per country and dataset),
values written with fixed decimals through the ``csv`` module and a hand-written YAML, so a
rerun reproduces every file byte for byte. Besides numpy and the standard library, only the
laboratory-method constants are taken from the package (``inventory.harmonise.methods``, whose
conversions the profiles reverse); the "true" factors behind the synthetic profiles are copied
into this file (not read from ``inventory/``), so editing the factor tables never changes the
examples.

Pipeline per country:
- ``land_areas.csv``: mineral-soil areas of each climate_zone x soil_class cell, split into
  strata by shares interpolated linearly between key years (1970, 1990, 2000, 2010, 2024) with a
  small smooth random perturbation, rounded to whole hectares by largest remainder so that each
  cell's total is exactly constant. 1970-1989 are the history needed by the 20-year transition.
- ``organic_soils.csv``: drained/rewetted organic-soil areas interpolated between key years.
- ``profiles.csv``: profiles whose 0-30 cm stock is ``SOC_REF_true x F_LU x F_MG x F_I`` with
  lognormal noise, SOC declining exponentially with depth, bulk density from a simple
  organic-matter mixing rule, reported in the lab method's own terms (see ``_reported_soc``).
"""

from __future__ import annotations

import argparse
import csv
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inventory.harmonise.methods import VAN_BEMMELEN_FRACTION, WALKLEY_BLACK_FACTOR

SEED = 41_000  # any fixed number; changing it changes every file
HISTORY_FIRST_YEAR, FIRST_YEAR, LAST_YEAR = 1970, 1990, 2024
KEY_YEARS = (1970, 1990, 2000, 2010, 2024)
NA = "not_applicable"
AREA_UNITS = {"ha": (1, 0), "kha": (1000, 3), "km2": (100, 2)}  # ha per unit, decimals written
PROFILE_WEIGHT_YEAR = 2010  # managed profiles are drawn by the strata's areas of this year
EXAMPLES_DIR = Path(__file__).resolve().parent

LAND_AREA_COLUMNS = [
    "year", "climate_zone", "soil_class", "land_use", "management", "input", "area", "area_unit",
]  # fmt: skip
PROFILE_COLUMNS = [
    "profile_id", "lat", "lon", "year", "land_use", "management", "input", "climate_zone",
    "soil_class", "upper_cm", "lower_cm", "soc", "soc_unit", "soc_method", "bulk_density",
    "bd_unit", "coarse_fragments_pct",
]  # fmt: skip
ORGANIC_COLUMNS = [
    "year", "climate_zone", "land_use", "drainage", "nutrient_status", "drainage_depth", "area",
    "area_unit",
]  # fmt: skip
FACTOR_COLUMNS = [
    "factor", "climate_zone", "soil_class", "land_use", "level", "value", "uncertainty_pct",
    "source",
]  # fmt: skip

# --- "true" factors behind the synthetic profiles --------------------------------------------
# Copied from IPCC 2019 Refinement Vol.4: Ch.2 Table 2.3 (SOC_REF, t C/ha, 0-30 cm), Ch.5
# Table 5.5 (cropland F_LU, F_MG, F_I) and Ch.6 Table 6.2 (grassland F_MG, F_I), for the cells
# and strata used below. Forest land and native vegetation are at reference (all factors 1).
SOC_REF_IPCC = {
    ("cool_temperate_moist", "hac"): 81, ("cool_temperate_moist", "wetland"): 128,
    ("cool_temperate_moist", "spodic"): 128, ("cool_temperate_moist", "sandy"): 51,
    ("tropical_dry", "lac"): 19, ("tropical_dry", "sandy"): 9, ("tropical_dry", "hac"): 21,
    ("tropical_montane", "lac"): 44, ("tropical_montane", "volcanic"): 96,
    ("tropical_montane", "hac"): 51, ("tropical_moist", "lac"): 38,
    ("tropical_moist", "sandy"): 27, ("tropical_moist", "hac"): 40,
    ("warm_temperate_moist", "hac"): 64, ("warm_temperate_moist", "lac"): 55,
    ("warm_temperate_moist", "sandy"): 36,
}  # fmt: skip
# Regime of each zone used here: cropland F_LU long-term cultivated, perennial, set-aside,
# F_MG reduced and no tillage, F_I low, high, high with manure, grassland moderately degraded,
# improved.
_ZONE_FACTORS = {
    "cool_temperate_moist": (0.70, 0.72, 0.82, 1.04, 1.09, 0.92, 1.11, 1.44, 0.95, 1.14),
    "warm_temperate_moist": (0.69, 0.72, 0.82, 1.05, 1.10, 0.92, 1.11, 1.44, 0.95, 1.14),
    "tropical_dry": (0.92, 1.01, 0.93, 0.99, 1.04, 0.95, 1.04, 1.37, 0.97, 1.17),
    "tropical_moist": (0.83, 1.01, 0.82, 1.04, 1.10, 0.92, 1.11, 1.44, 0.97, 1.17),
    "tropical_montane": (0.86, 1.10, 0.88, 1.02, 1.08, 0.94, 1.08, 1.41, 0.96, 1.16),
}
PADDY_F_LU = 1.35  # IPCC 2019 Vol.4 Ch.5 Table 5.5, paddy rice, all zones
SEVERELY_DEGRADED_F_MG = 0.70  # IPCC 2019 Vol.4 Ch.6 Table 6.2, all zones
GRASSLAND_HIGH_F_I = 1.11  # IPCC 2019 Vol.4 Ch.6 Table 6.2, improved grassland, high input

# --- laboratory methods (how a dry-combustion value C is reported) ---------------------------
# The conventions of inventory/harmonise/methods.py (its defaults, imported above), applied in
# reverse: Walkley-Black wet oxidation recovers ~75 % of the organic C (Nelson & Sommers 1996,
# correction factor WALKLEY_BLACK_FACTOR = 1.33), so reported = C / 1.33, uncorrected. Loss on
# ignition measures the mass of organic matter; with the van Bemmelen fraction
# (VAN_BEMMELEN_FRACTION = 0.58 C in organic matter) the reported mass loss is C / 0.58.


def true_factor_product(zone: str, land_use: str, management: str, input_: str) -> float:
    """F_LU x F_MG x F_I of one stratum (IPCC 2019 defaults, copied above)."""
    lu_ltc, lu_per, lu_set, mg_red, mg_nt, i_low, i_high, i_man, g_mod, g_imp = _ZONE_FACTORS[zone]
    if land_use == "cropland":
        f_lu = {"perennial": lu_per, "set_aside": lu_set, "paddy_rice": PADDY_F_LU}.get(
            management, lu_ltc
        )
        f_mg = {"reduced_tillage": mg_red, "no_tillage": mg_nt}.get(management, 1.0)
        f_i = {"low": i_low, "high": i_high, "high_with_manure": i_man}.get(input_, 1.0)
        return f_lu * f_mg * f_i
    if land_use == "grassland":
        f_mg = {
            "moderately_degraded": g_mod, "severely_degraded": SEVERELY_DEGRADED_F_MG,
            "improved": g_imp,
        }.get(management, 1.0)  # fmt: skip
        return f_mg * (GRASSLAND_HIGH_F_I if input_ == "high" else 1.0)
    return 1.0


# --- country specifications -------------------------------------------------------------------
Stratum = tuple[str, str, str]  # land_use, management, input
Shares = dict[Stratum, tuple[float, ...]]  # relative shares at KEY_YEARS


def _forest() -> Stratum:
    return ("forest_land", NA, NA)


def _wetland() -> Stratum:
    return ("wetlands", NA, NA)


def _grass(management: str, input_: str = NA) -> Stratum:
    return ("grassland", management, input_)


def _crop(management: str, input_: str) -> Stratum:
    return ("cropland", management, input_)


@dataclass(frozen=True)
class Cell:
    """One climate_zone x soil_class cell: mineral-soil area [ha] and its stratum shares."""

    zone: str
    soil: str
    area_ha: int
    shares: Shares
    bbox: tuple[float, float, float, float]  # lat_min, lat_max, lon_min, lon_max of profiles
    coarse_pct: tuple[float, float]  # topsoil coarse fragments range [% vol]
    bd_mineral: float  # bulk density of the mineral fraction [g/cm3] (mixing rule)


@dataclass(frozen=True)
class Country:
    iso3: str
    name: str
    contact: tuple[str, str]
    cells: tuple[Cell, ...]
    organic: dict[tuple[str, str, str, str, str], dict[int, float]]  # stratum -> {year: ha}
    area_unit: str = "ha"
    organic_unit: str = "ha"
    soc_unit: str = "g/kg"
    bd_unit: str = "g/cm3"
    methods: dict[str, float] = field(default_factory=lambda: {"dry_combustion": 1.0})
    native_per_cell: int = 10
    managed_profiles: int = 80
    factors: tuple[tuple, ...] = ()  # submitted country-specific factors (IRL only)
    mixed_case_soil: str | None = None  # soil class whose land_areas rows use mixed-case codes


CTM = "cool_temperate_moist"
IRL = Country(
    iso3="IRL",
    name="Ireland",
    contact=("Example Inventory Compiler (IE)", "soc.ie@example.org"),
    cells=(
        Cell(
            CTM,
            "hac",
            area_ha=3_150_000,
            bbox=(52.3, 53.8, -8.5, -6.6),
            coarse_pct=(4, 15),
            bd_mineral=1.45,
            shares={
                _grass("improved", "high"): (28, 36, 39, 40, 40),
                _grass("improved", "medium"): (24, 21, 19, 18, 17),
                _grass("nominal"): (22, 17, 15, 14, 13),
                _grass("moderately_degraded"): (2, 3.5, 3, 2, 1.5),
                _crop("full_tillage", "medium"): (6, 5, 3.5, 2.5, 2),
                _crop("full_tillage", "high"): (5, 5.5, 6, 5.5, 5.5),
                _crop("reduced_tillage", "high"): (0, 0, 0.5, 1.3, 2.2),
                _crop("full_tillage", "high_with_manure"): (1, 1, 0.8, 0.7, 0.7),
                _crop("set_aside", NA): (0, 0, 0.6, 0.2, 0.2),
                _forest(): (3.0, 3.5, 4.0, 4.3, 4.5),
            },
        ),
        Cell(
            CTM,
            "wetland",
            area_ha=1_050_000,
            bbox=(53.3, 53.9, -8.5, -7.3),
            coarse_pct=(0, 5),
            bd_mineral=1.35,
            shares={
                _grass("improved", "medium"): (30, 30, 29, 28, 27),
                _grass("improved", "high"): (10, 14, 15, 15, 15),
                _grass("nominal"): (46, 38, 34, 32, 31),
                _grass("moderately_degraded"): (4, 5, 4, 3, 2.5),
                _crop("full_tillage", "medium"): (3, 2, 1.5, 1.2, 1),
                _forest(): (6, 8.5, 11.5, 13.5, 15),
                _wetland(): (10, 10, 10, 10, 10),  # marsh and fen margins on gleyed mineral soils
            },
        ),
        Cell(
            CTM,
            "spodic",
            area_ha=420_000,
            bbox=(52.9, 53.15, -6.55, -6.35),
            coarse_pct=(10, 30),
            bd_mineral=1.35,
            shares={
                _grass("nominal"): (55, 45, 40, 37, 35),
                _grass("moderately_degraded"): (8, 15, 12, 8, 6),
                _grass("improved", "medium"): (12, 12, 11, 11, 11),
                _forest(): (22, 26, 33, 38, 40),
            },
        ),
        Cell(
            CTM,
            "sandy",
            area_ha=110_000,
            bbox=(52.3, 52.8, -7.5, -6.6),
            coarse_pct=(0, 5),
            bd_mineral=1.60,
            shares={
                _crop("full_tillage", "high"): (30, 32, 30, 28, 26),
                _crop("reduced_tillage", "high"): (0, 0, 2, 4, 6),
                _crop("no_tillage", "high"): (0, 0, 0, 1, 2),
                _grass("improved", "high"): (30, 33, 34, 34, 34),
                _grass("nominal"): (35, 30, 29, 28, 27),
                _forest(): (5, 5, 5, 5, 5),
            },
        ),
    ),
    organic={
        # Grassland on drained peat (nutrient-rich fen/cutover shallow- and deep-drained,
        # nutrient-poor blanket peat), slowly rewetted from 2015.
        (CTM, "grassland", "drained", "nutrient_rich", "shallow"): {
            1990: 182_000,
            2015: 176_000,
            2024: 169_000,
        },
        (CTM, "grassland", "drained", "nutrient_rich", "deep"): {1990: 61_000, 2024: 55_000},
        (CTM, "grassland", "drained", "nutrient_poor", NA): {1990: 92_000, 2024: 84_000},
        (CTM, "forest_land", "drained", NA, NA): {
            1990: 170_000,
            2000: 240_000,
            2012: 290_000,
            2024: 300_000,
        },
        # Industrial peat extraction, wound down after 2018, then rewetted.
        (CTM, "wetlands", "drained", NA, NA): {1990: 84_000, 2018: 80_000, 2024: 24_000},
        (CTM, "wetlands", "rewetted", "nutrient_poor", NA): {
            1990: 0,
            2005: 0,
            2018: 9_000,
            2024: 62_000,
        },
        (CTM, "grassland", "rewetted", "nutrient_rich", NA): {2014: 0, 2024: 3_200},
    },
    soc_unit="g/kg",
    bd_unit="g/cm3",
    methods={"dry_combustion": 0.75, "loss_on_ignition": 0.15, "walkley_black": 0.10},
    native_per_cell=10,
    managed_profiles=80,
    factors=(
        (
            "SOC_REF",
            CTM,
            "hac",
            "",
            "",
            92,
            12,
            "SYNTHETIC example value (not a published Irish factor): illustrates a submitted "
            "Tier 2 SOC_REF for cool temperate moist high-activity clay soils",
        ),
        (
            "F_MG",
            CTM,
            "",
            "grassland",
            "improved",
            1.10,
            8,
            "SYNTHETIC example value (not a published Irish factor): illustrates a submitted "
            "Tier 2 F_MG for improved grassland",
        ),
    ),
)

TD, TMON, TMO = "tropical_dry", "tropical_montane", "tropical_moist"
KEN = Country(
    iso3="KEN",
    name="Kenya",
    contact=("Example Inventory Compiler (KE)", "soc.ke@example.org"),
    cells=(
        Cell(
            TD,
            "lac",
            area_ha=12_000_000,
            bbox=(0.5, 3.0, 37.0, 40.0),
            coarse_pct=(2, 10),
            bd_mineral=1.50,
            shares={
                _grass("nominal"): (80, 70, 64, 58, 52),
                _grass("moderately_degraded"): (12, 17, 20, 23, 25),
                _grass("severely_degraded"): (3, 6, 8, 10, 12),
                _crop("full_tillage", "low"): (3, 5, 6, 7, 8),
                _crop("reduced_tillage", "low"): (0, 0, 0.2, 0.6, 1.2),
                _forest(): (2, 2, 1.8, 1.4, 1.5),
            },
        ),
        Cell(
            TD,
            "sandy",
            area_ha=10_000_000,
            bbox=(1.0, 3.0, 38.0, 40.5),
            coarse_pct=(0, 5),
            bd_mineral=1.60,
            shares={
                _grass("nominal"): (85, 78, 72, 68, 64),
                _grass("moderately_degraded"): (10, 15, 19, 21, 23),
                _grass("severely_degraded"): (4, 6, 8, 10, 12),
                _crop("full_tillage", "low"): (1, 1, 1, 1, 1),
            },
        ),
        Cell(
            TD,
            "hac",
            area_ha=8_000_000,
            bbox=(-2.3, -1.0, 37.5, 38.8),
            coarse_pct=(5, 20),
            bd_mineral=1.45,
            shares={
                _grass("nominal"): (75, 68, 63, 58, 54),
                _grass("moderately_degraded"): (10, 13, 15, 17, 18),
                _grass("severely_degraded"): (2, 3, 4, 5, 6),
                _grass("improved", "medium"): (0, 0.5, 1, 1.5, 2),
                _crop("full_tillage", "low"): (8, 10, 11, 12, 12),
                _crop("full_tillage", "medium"): (3, 4, 4, 4, 4.5),
                _crop("reduced_tillage", "medium"): (0, 0, 0.3, 0.8, 1.5),
                _forest(): (2, 1.5, 1.5, 1.5, 1.5),
            },
        ),
        Cell(
            TMON,
            "lac",
            area_ha=3_200_000,
            bbox=(-1.2, 0.2, 36.6, 37.4),
            coarse_pct=(2, 10),
            bd_mineral=1.35,
            shares={
                _crop("full_tillage", "medium"): (20, 26, 28, 29, 29),
                _crop("full_tillage", "low"): (10, 12, 13, 12, 11),
                _crop("reduced_tillage", "medium"): (0, 0, 0.5, 2, 3.5),
                _crop("no_tillage", "medium"): (0, 0, 0, 0.3, 1),
                _crop("perennial", "medium"): (12, 14, 15, 15, 15.5),
                _crop("full_tillage", "high_with_manure"): (2, 3, 4, 5, 6),
                _grass("improved", "medium"): (8, 9, 9, 9, 9),
                _grass("nominal"): (18, 13, 10, 8, 7),
                _forest(): (30, 23, 20, 19, 19.5),
            },
        ),
        Cell(
            TMON,
            "volcanic",
            area_ha=1_500_000,
            bbox=(-0.5, 0.0, 35.2, 35.8),
            coarse_pct=(0, 3),
            bd_mineral=0.85,
            shares={
                _crop("perennial", "medium"): (12, 15, 17, 18, 18),
                _crop("full_tillage", "medium"): (12, 16, 18, 18, 18),
                _crop("full_tillage", "high_with_manure"): (2, 3, 3, 3.5, 4),
                _grass("improved", "medium"): (6, 7, 7, 7, 7),
                _grass("nominal"): (8, 6, 5, 4.5, 4),
                _forest(): (60, 53, 50, 49, 50),
            },
        ),
        Cell(
            TMON,
            "hac",
            area_ha=1_300_000,
            bbox=(0.3, 1.2, 35.0, 35.5),
            coarse_pct=(3, 12),
            bd_mineral=1.40,
            shares={
                _crop("full_tillage", "low"): (10, 14, 16, 17, 17),
                _crop("full_tillage", "medium"): (6, 8, 9, 10, 10),
                _grass("nominal"): (55, 48, 44, 40, 38),
                _grass("moderately_degraded"): (8, 11, 13, 14, 15),
                _grass("improved", "medium"): (3, 4, 4, 5, 5.5),
                _forest(): (18, 15, 14, 14, 14.5),
            },
        ),
        Cell(
            TMO,
            "lac",
            area_ha=2_600_000,
            bbox=(0.1, 0.8, 34.4, 35.0),
            coarse_pct=(2, 10),
            bd_mineral=1.40,
            shares={
                _crop("full_tillage", "low"): (25, 33, 37, 38, 38),
                _crop("full_tillage", "medium"): (6, 8, 9, 10, 11),
                _crop("perennial", "medium"): (3, 5, 6, 6, 6),
                _crop("set_aside", NA): (6, 5, 4, 3, 2.5),
                _grass("nominal"): (35, 28, 24, 22, 21),
                _grass("moderately_degraded"): (5, 7, 8, 9, 9),
                _forest(): (20, 14, 12, 12, 12.5),
            },
        ),
        Cell(
            TMO,
            "sandy",
            area_ha=700_000,
            bbox=(-4.0, -2.8, 39.2, 39.5),
            coarse_pct=(0, 3),
            bd_mineral=1.60,
            shares={
                _crop("full_tillage", "low"): (15, 18, 20, 21, 21),
                _crop("perennial", "medium"): (10, 10, 10, 10, 10),
                _grass("nominal"): (40, 38, 36, 35, 35),
                _forest(): (35, 34, 34, 34, 34),
            },
        ),
        Cell(
            TMO,
            "hac",
            area_ha=1_000_000,
            bbox=(-0.9, -0.55, 34.6, 35.0),
            coarse_pct=(3, 12),
            bd_mineral=1.40,
            shares={
                _crop("full_tillage", "low"): (18, 24, 27, 28, 28),
                _crop("full_tillage", "medium"): (4, 6, 7, 8, 9),
                _grass("nominal"): (45, 40, 37, 35, 34),
                _grass("moderately_degraded"): (5, 7, 8, 8, 8),
                _forest(): (28, 23, 21, 21, 21),
            },
        ),
    ),
    organic={
        # Drained papyrus swamp under cropland (Lake Victoria basin), highland valley peat
        # under grazing and plantation forest; a little rewetting after 2018. No drained
        # `wetlands` (peat extraction): the Wetlands Supplement gives no tropical CH4 factor.
        (TMO, "cropland", "drained", NA, NA): {
            1990: 2_300,
            2003: 2_300,
            2008: 6_900,
            2015: 9_200,
            2024: 9_400,
        },
        (TMON, "grassland", "drained", NA, NA): {1990: 4_100, 2024: 5_800},
        (TMON, "forest_land", "drained", NA, NA): {1990: 1_000, 2024: 1_250},
        (TMON, "grassland", "rewetted", NA, NA): {2017: 0, 2024: 320},
    },
    area_unit="kha",
    organic_unit="km2",
    soc_unit="%",
    bd_unit="g/cm3",
    methods={"walkley_black": 0.7, "dry_combustion": 0.3},
    native_per_cell=10,
    managed_profiles=90,
)

WTM = "warm_temperate_moist"
URY = Country(
    iso3="URY",
    name="Uruguay",
    contact=("Example Inventory Compiler (UY)", "soc.uy@example.org"),
    cells=(
        Cell(
            WTM,
            "hac",
            area_ha=12_000_000,
            bbox=(-34.2, -32.0, -57.6, -55.5),
            coarse_pct=(0, 5),
            bd_mineral=1.40,
            shares={
                _grass("nominal"): (70, 66, 62, 56, 53),
                _grass("moderately_degraded"): (8, 9, 9, 9, 8),
                _grass("improved", "medium"): (4, 7, 8, 9, 9.5),
                _grass("improved", "high"): (1, 2, 3, 4, 5),
                _crop("full_tillage", "medium"): (5, 4, 2.5, 1, 0.4),
                _crop("reduced_tillage", "medium"): (0, 0.3, 0.8, 1, 0.5),
                _crop("no_tillage", "medium"): (0, 0, 0.3, 5.5, 5),
                _crop("no_tillage", "high"): (0, 0, 0, 2, 3),
                _crop("paddy_rice", "medium"): (0.4, 1.0, 1.5, 1.5, 1.4),
                _forest(): (5, 5, 5.3, 5.6, 5.8),
                _wetland(): (0.5, 0.5, 0.5, 0.5, 0.5),  # marshes of the eastern lowlands
            },
        ),
        Cell(
            WTM,
            "lac",
            area_ha=1_800_000,
            bbox=(-33.2, -32.2, -55.2, -54.3),
            coarse_pct=(5, 15),
            bd_mineral=1.45,
            shares={
                _grass("nominal"): (78, 75, 68, 60, 55),
                _grass("moderately_degraded"): (8, 9, 9, 8, 7),
                _grass("improved", "medium"): (3, 4, 4, 4, 4),
                _crop("full_tillage", "medium"): (4, 4, 2.5, 0.8, 0.4),
                _crop("no_tillage", "medium"): (0, 0, 0.5, 2.5, 3),
                _forest(): (7, 8, 16, 25, 30.6),
            },
        ),
        Cell(
            WTM,
            "sandy",
            area_ha=1_700_000,
            bbox=(-31.8, -31.2, -56.3, -55.7),
            coarse_pct=(0, 3),
            bd_mineral=1.60,
            shares={
                _grass("nominal"): (80, 78, 62, 50, 44),
                _grass("moderately_degraded"): (8, 9, 8, 7, 6),
                _grass("improved", "medium"): (2, 2, 2, 2, 2),
                _crop("full_tillage", "medium"): (3, 3, 2, 1, 1),
                _crop("no_tillage", "medium"): (0, 0, 0.3, 1, 1.2),
                _forest(): (7, 8, 26, 39, 45.8),
            },
        ),
    ),
    organic={
        # Drained organic soils of the eastern wetlands (Banados del Este) under rice/cropland
        # and grazing; partly rewetted after 2012.
        (WTM, "cropland", "drained", NA, NA): {1990: 6_100, 2024: 5_200},
        (WTM, "grassland", "drained", "nutrient_rich", "shallow"): {
            1990: 12_300,
            2012: 12_000,
            2024: 10_100,
        },
        (WTM, "wetlands", "rewetted", "nutrient_rich", NA): {2012: 0, 2024: 1_900},
    },
    soc_unit="g/100g",
    bd_unit="Mg/m3",
    methods={"walkley_black": 0.5, "dry_combustion": 0.5},
    native_per_cell=14,
    managed_profiles=80,
    mixed_case_soil="sandy",
)

COUNTRIES = (IRL, KEN, URY)
# Display spellings used in URY's sandy-soil rows to exercise case-insensitive codes.
MIXED_CASE = {"grassland": "Grassland", "forest_land": "Forest land", "cropland": "CropLand",
              "no_tillage": "No-Tillage", "full_tillage": "Full tillage"}  # fmt: skip


# --- land areas -------------------------------------------------------------------------------
def interpolate_shares(shares: Shares, years: np.ndarray) -> np.ndarray:
    """Stratum x year matrix of shares, linear between KEY_YEARS (percent, not normalised)."""
    return np.array([np.interp(years, KEY_YEARS, values) for values in shares.values()])


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int], *, sd: float, phi: float):
    """AR(1) noise along the year axis (unit-variance stationary, scaled by ``sd``)."""
    eps = rng.normal(size=shape)
    out = np.empty(shape)
    out[:, 0] = eps[:, 0]
    for t in range(1, shape[1]):
        out[:, t] = phi * out[:, t - 1] + math.sqrt(1 - phi**2) * eps[:, t]
    return sd * out


def largest_remainder(weights: np.ndarray, total: int) -> np.ndarray:
    """Integers proportional to ``weights`` summing exactly to ``total`` (per column)."""
    exact = weights / weights.sum(axis=0) * total
    out = np.floor(exact).astype(np.int64)
    short = total - out.sum(axis=0)
    order = np.argsort(-(exact - out), axis=0, kind="stable")
    for col in range(out.shape[1]):
        out[order[: short[col], col], col] += 1
    return out


def cell_areas(cell: Cell, rng: np.random.Generator, years: np.ndarray) -> np.ndarray:
    """Stratum x year areas [ha] of one cell; zero shares stay zero, totals exact."""
    base = interpolate_shares(cell.shares, years)
    noise = smooth_noise(rng, base.shape, sd=0.015, phi=0.85)
    return largest_remainder(base * np.exp(noise), cell.area_ha)


def land_area_rows(country: Country, rng: np.random.Generator) -> list[list[str]]:
    years = np.arange(HISTORY_FIRST_YEAR, LAST_YEAR + 1)
    scale = AREA_UNITS[country.area_unit]
    rows = []
    for cell in country.cells:
        areas = cell_areas(cell, rng, years)
        for j, year in enumerate(years):
            for i, stratum in enumerate(cell.shares):
                if areas[i, j] == 0:
                    continue  # a stratum absent in a year is simply not listed
                codes = _display(stratum, country.mixed_case_soil == cell.soil)
                value = f"{areas[i, j] / scale[0]:.{scale[1]}f}"
                rows.append([str(year), cell.zone, cell.soil, *codes, value, country.area_unit])
    return rows


def _display(stratum: Stratum, mixed: bool) -> list[str]:
    return [MIXED_CASE.get(code, code) if mixed else code for code in stratum]


# --- organic soils ----------------------------------------------------------------------------
def organic_rows(country: Country) -> list[list[str]]:
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    scale = AREA_UNITS[country.organic_unit]
    rows = []
    for year_index, year in enumerate(years):
        for stratum, keys in country.organic.items():
            key_years = sorted(keys)
            area = np.interp(years, key_years, [keys[y] for y in key_years])[year_index]
            area = round(float(area) / 10) * 10  # areas reported to 10 ha
            if area <= 0:
                continue
            zone, land_use, drainage, nutrient, depth = stratum
            value = f"{area / scale[0]:.{scale[1]}f}"
            rows.append([str(year), zone, land_use, drainage, nutrient, depth, value,
                         country.organic_unit])  # fmt: skip
    return rows


# --- profiles ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProfileSite:
    cell: Cell
    stratum: Stratum  # ("native", NA, NA) for reference sites
    stock_0_30: float  # target 0-30 cm stock [t C/ha] on the dry-combustion basis


def true_soc_ref(country: Country, cell: Cell, multiplier: float) -> float:
    """The synthetic 'true' SOC_REF of a cell: a submitted value, else IPCC x a multiplier."""
    for factor, zone, soil, *_rest, value, _unc, _src in country.factors:
        if factor == "SOC_REF" and (zone, soil) == (cell.zone, cell.soil):
            return float(value)
    return SOC_REF_IPCC[(cell.zone, cell.soil)] * multiplier


def true_stock(country: Country, cell: Cell, soc_ref: float, stratum: Stratum) -> float:
    land_use, management, input_ = stratum
    product = true_factor_product(cell.zone, land_use, management, input_)
    for factor, _zone, _soil, f_land_use, level, value, *_ in country.factors:
        if factor == "F_MG" and (f_land_use, level) == (land_use, management):
            product *= value / _ZONE_FACTORS[cell.zone][9]  # replaces IPCC "improved" F_MG
    return soc_ref * product


def profile_sites(country: Country, rng: np.random.Generator) -> list[ProfileSite]:
    """Native reference sites per cell, then managed sites drawn by sqrt(area) weight."""
    multipliers = rng.uniform(0.88, 1.15, size=len(country.cells))
    refs = [true_soc_ref(country, c, m) for c, m in zip(country.cells, multipliers, strict=True)]
    sites = []
    for cell, ref in zip(country.cells, refs, strict=True):
        for _ in range(country.native_per_cell):
            noise = math.exp(rng.normal(0, 0.18))
            sites.append(ProfileSite(cell, ("native", NA, NA), ref * noise))
    k = KEY_YEARS.index(PROFILE_WEIGHT_YEAR)
    options = [
        (cell, ref, stratum, math.sqrt(cell.area_ha * shares[k]))
        for cell, ref in zip(country.cells, refs, strict=True)
        for stratum, shares in cell.shares.items()
        if shares[k] > 0
    ]
    weights = np.array([o[3] for o in options])
    picks = rng.choice(len(options), size=country.managed_profiles, p=weights / weights.sum())
    for pick in picks:
        cell, ref, stratum, _ = options[pick]
        noise = math.exp(rng.normal(0, 0.2))
        sites.append(ProfileSite(cell, stratum, true_stock(country, cell, ref, stratum) * noise))
    return sites


def horizon_bounds(rng: np.random.Generator) -> list[tuple[int, int]]:
    """3-6 horizons from 0 cm to 90-120 cm, thickening with depth, each at least 5 cm thick."""
    n = int(rng.integers(3, 7))
    bottom = int(rng.choice([90, 100, 100, 100, 105, 110, 120]))
    weights = rng.uniform(0.7, 1.3, size=n) * (1 + 0.5 * np.arange(n))
    edges = np.round(np.cumsum(weights) / weights.sum() * bottom).astype(int)
    edges = [0, *[int(e) for e in edges[:-1]], bottom]
    for k in range(1, n):  # keep every horizon at least 5 cm thick
        edges[k] = max(edges[k], edges[k - 1] + 5)
    return list(zip(edges, edges[1:], strict=False))


def _mean_shape(upper: float, lower: float, length: float, floor: float) -> float:
    """Mean over [upper, lower] cm of floor + (1 - floor) exp(-z / length)."""
    decay = length * (math.exp(-upper / length) - math.exp(-lower / length)) / (lower - upper)
    return floor + (1 - floor) * decay


def bulk_density(soc_g_per_kg: float, bd_mineral: float, depth_cm: float) -> float:
    """Mixing rule (Adams 1973, J. Soil Sci. 24: 10-17) with organic matter = 1.724 x SOC.

    bd = 100 / (OM% / 0.244 + (100 - OM%) / bd_mineral), compaction +0.1 g/cm3 below 30 cm.
    """
    om_pct = soc_g_per_kg / 10 / VAN_BEMMELEN_FRACTION
    bd = 100 / (om_pct / 0.244 + (100 - om_pct) / bd_mineral)
    return bd + (0.1 if depth_cm > 30 else 0.0)


def horizon_values(
    site: ProfileSite, bounds: list[tuple[int, int]], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SOC [g/kg, dry combustion], bd [g/cm3], coarse fragments [% vol] per horizon.

    The SOC level is scaled (fixed-point on bulk density) so that the 0-30 cm stock of the
    horizons, by depth-weighted overlap, equals the site's target stock.
    """
    length = float(rng.uniform(18, 40))
    floor = float(rng.uniform(0.06, 0.15))
    shape = np.array([_mean_shape(u, lo, length, floor) for u, lo in bounds])
    cf_top = rng.uniform(*site.cell.coarse_pct)
    coarse = np.array([min(60.0, cf_top * (1 + lo / 100)) for _, lo in bounds])
    bd_noise = rng.normal(0, 0.05, size=len(bounds))
    overlap = np.array([max(0, min(lo, 30) - u) for u, lo in bounds])
    level = 20.0
    for _ in range(30):
        soc = level * shape
        bd = np.array([bulk_density(s, site.cell.bd_mineral, (u + lo) / 2)
                       for s, (u, lo) in zip(soc, bounds, strict=True)]) + bd_noise  # fmt: skip
        bd = np.clip(bd, 0.2, 1.8)
        # stock [t C/ha] = SOC [g/kg] x bd [g/cm3] x thickness [cm] x (1 - CF) x 0.1
        stock = float(np.sum(soc * bd * overlap * (1 - coarse / 100) * 0.1))
        level *= site.stock_0_30 / stock
    return level * shape, bd, coarse


def _reported_soc(soc: float, method: str) -> float:
    """A dry-combustion SOC value [g/kg] as the lab method reports it (see module constants)."""
    if method == "walkley_black":
        return soc / WALKLEY_BLACK_FACTOR
    if method == "loss_on_ignition":
        return soc / VAN_BEMMELEN_FRACTION
    return soc


def profile_rows(country: Country, rng: np.random.Generator) -> list[list[str]]:
    soc_scale, soc_decimals = {"g/kg": (1, 1), "%": (10, 3), "g/100g": (10, 3)}[country.soc_unit]
    methods = list(country.methods)
    probabilities = np.array([country.methods[m] for m in methods])
    rows = []
    for number, site in enumerate(profile_sites(country, rng), start=1):
        lat0, lat1, lon0, lon1 = site.cell.bbox
        lat, lon = rng.uniform(lat0, lat1), rng.uniform(lon0, lon1)
        year = int(rng.integers(1982, 2024))
        method = methods[int(rng.choice(len(methods), p=probabilities))]
        bounds = horizon_bounds(rng)
        soc, bd, coarse = horizon_values(site, bounds, rng)
        # No bulk density sampled at 20 % of sites (imputed downstream by a pedotransfer
        # function); always measured on volcanic soils, where such functions do not apply.
        bd_missing = rng.random() < 0.2 and site.cell.soil != "volcanic"
        for (upper, lower), s, b, c in zip(bounds, soc, bd, coarse, strict=True):
            reported = _reported_soc(float(s), method) * (1 + rng.normal(0, 0.03))
            deep_missing = lower > 60 and rng.random() < 0.3 and site.cell.soil != "volcanic"
            bd_text = "" if bd_missing or deep_missing else f"{b:.2f}"
            cf_text = "" if rng.random() < 0.08 else f"{c:.0f}"
            rows.append([
                f"{country.iso3}-P{number:04d}", f"{lat:.4f}", f"{lon:.4f}", str(year),
                *site.stratum, site.cell.zone, site.cell.soil, str(upper), str(lower),
                f"{reported / soc_scale:.{soc_decimals}f}", country.soc_unit, method, bd_text,
                country.bd_unit, cf_text,
            ])  # fmt: skip
    return rows


# --- files ------------------------------------------------------------------------------------
def submission_yaml(country: Country) -> str:
    files = {"land_areas": "land_areas.csv", "profiles": "profiles.csv",
             "organic_soils": "organic_soils.csv"}  # fmt: skip
    if country.factors:
        files["factors"] = "factors.csv"
    lines = [
        f"# {country.name}: SYNTHETIC example submission (format v1), NOT official statistics.",
        "# Generated by examples/generate.py; land_areas 1970-1989 are the 20-year history.",
        f"country: {country.iso3}",
        "contact:",
        f"  name: {country.contact[0]}",
        f"  email: {country.contact[1]}",
        f"years: [{FIRST_YEAR}, {LAST_YEAR}]",
        "tier: 2",
        "approach: 1",
        'synthetic: true           # made-up example data: reports label it "synthetic example"',
        "files:",
        *[f"  {dataset}: {name}" for dataset, name in files.items()],
    ]
    return "\n".join(lines) + "\n"


def write_csv(path: Path, header: list[str], rows: Iterable[list]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def factor_rows(country: Country) -> list[list[str]]:
    return [[str(v) for v in row] for row in country.factors]


def write_country(country: Country, index: int, out: Path) -> None:
    """Write one package; each dataset draws from its own seeded stream."""
    folder = out / country.iso3
    folder.mkdir(parents=True, exist_ok=True)

    def stream(part: int) -> np.random.Generator:
        return np.random.default_rng([SEED, index, part])

    (folder / "submission.yaml").write_text(submission_yaml(country), encoding="utf-8")
    write_csv(folder / "land_areas.csv", LAND_AREA_COLUMNS, land_area_rows(country, stream(1)))
    write_csv(folder / "organic_soils.csv", ORGANIC_COLUMNS, organic_rows(country))
    write_csv(folder / "profiles.csv", PROFILE_COLUMNS, profile_rows(country, stream(2)))
    if country.factors:
        write_csv(folder / "factors.csv", FACTOR_COLUMNS, factor_rows(country))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=EXAMPLES_DIR, help="output folder")
    args = parser.parse_args(argv)
    for index, country in enumerate(COUNTRIES):
        write_country(country, index, args.out)
    import generate_national  # CRI (census years only) and NZL (matrices); imports this module

    written = [c.iso3 for c in COUNTRIES] + generate_national.write_packages(args.out)
    print(f"wrote {', '.join(written)} under {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
