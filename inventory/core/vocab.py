"""Controlled vocabularies and the column glossary of the submission format v1.

Codes are case-insensitive on input and canonical lower_snake on output. Aliases map
spellings found in national submissions to the canonical code; they are applied once, at the
edge, by :func:`canonical_code` (per distinct value of a column:
``inventory.validation.rules.normalise_code_columns``).
"""

from __future__ import annotations

CLIMATE_ZONES = (
    "boreal_dry", "boreal_moist", "cool_temperate_dry", "cool_temperate_moist",
    "warm_temperate_dry", "warm_temperate_moist", "tropical_montane", "tropical_dry",
    "tropical_moist", "tropical_wet", "polar_dry", "polar_moist",
)  # fmt: skip
# IPCC 2006 Vol.4 Ch.3 Annex 3A.5 calls the cool temperate zones "cold temperate".
CLIMATE_ALIASES = {
    "cold_temperate_dry": "cool_temperate_dry",
    "cold_temperate_moist": "cool_temperate_moist",
}
# Reference-table zone codes (inventory/data/ipcc/climate_zones.csv, column zone_code).
CLIMATE_TO_REFERENCE = {
    "boreal_dry": "BOREAL_DRY", "boreal_moist": "BOREAL_MOIST",
    "cool_temperate_dry": "COOL_TEMP_DRY", "cool_temperate_moist": "COOL_TEMP_MOIST",
    "warm_temperate_dry": "WARM_TEMP_DRY", "warm_temperate_moist": "WARM_TEMP_MOIST",
    "tropical_montane": "TROP_MONTANE", "tropical_dry": "TROP_DRY",
    "tropical_moist": "TROP_MOIST", "tropical_wet": "TROP_WET",
    "polar_dry": "POLAR_DRY", "polar_moist": "POLAR_MOIST",
}  # fmt: skip

SOIL_CLASSES = ("hac", "lac", "sandy", "spodic", "volcanic", "wetland")
SOIL_TO_REFERENCE = {
    "hac": "HAC", "lac": "LAC", "sandy": "SAN", "spodic": "POD", "volcanic": "VOL",
    "wetland": "WET",
}  # fmt: skip

LAND_USES = (
    "forest_land", "cropland", "grassland", "wetlands", "settlements", "other_land", "native",
)  # fmt: skip
MANAGEMENT_BY_LAND_USE = {
    "cropland": ("full_tillage", "reduced_tillage", "no_tillage", "paddy_rice", "perennial",
                 "set_aside"),
    "grassland": ("nominal", "moderately_degraded", "severely_degraded", "improved"),
}  # fmt: skip
NOT_APPLICABLE = "not_applicable"
# Carbon input levels F_I exist for cropland (IPCC 2006 Vol.4 Ch.5 Table 5.5: low, medium, high,
# high with manure) and improved grassland (Ch.6 Table 6.2: medium, high); other land uses have
# none (not_applicable).
INPUT_BY_LAND_USE = {
    "cropland": ("low", "medium", "high", "high_with_manure", "not_applicable"),
    "grassland": ("medium", "high", "not_applicable"),
}
MANAGEMENTS = tuple(m for ms in MANAGEMENT_BY_LAND_USE.values() for m in ms) + (NOT_APPLICABLE,)
INPUTS = ("low", "medium", "high", "high_with_manure", NOT_APPLICABLE)

# Laboratory methods of the submitted SOC value (converted to dry-combustion SOC by
# inventory.harmonise.methods with cited factors).
SOC_METHODS = (
    "dry_combustion", "walkley_black", "loss_on_ignition", "organic_matter", "total_carbon",
)  # fmt: skip

DRAINAGE = ("drained", "rewetted")
NUTRIENT_STATUS = ("nutrient_poor", "nutrient_rich", NOT_APPLICABLE)
DRAINAGE_DEPTH = ("deep", "shallow", NOT_APPLICABLE)

VOCABULARIES: dict[str, tuple[str, ...]] = {
    "climate_zone": CLIMATE_ZONES,
    "soil_class": SOIL_CLASSES,
    "land_use": LAND_USES,
    "management": MANAGEMENTS,
    "input": INPUTS,
    "soc_method": SOC_METHODS,
    "drainage": DRAINAGE,
    "nutrient_status": NUTRIENT_STATUS,
    "drainage_depth": DRAINAGE_DEPTH,
}
ALIASES: dict[str, dict[str, str]] = {"climate_zone": CLIMATE_ALIASES}

# Optional column of the area datasets (land_areas, land_units, land_use_changes,
# organic_soils): half-width of the 95 % interval of the row's area, % of the area (0-100).
AREA_UNCERTAINTY = "area_uncertainty_pct"
STRATUM_KEYS = ("climate_zone", "soil_class", "land_use", "management", "input")

# UNFCCC land-use categories (CRT sector 4): land use -> table code.
UNFCCC_CATEGORY = {
    "forest_land": "4.A", "cropland": "4.B", "grassland": "4.C",
    "wetlands": "4.D", "settlements": "4.E", "other_land": "4.F",
}  # fmt: skip


# The canonical factor form every factor source is brought to
# (inventory.engine.mineral_soils.factors).
FACTORS = ("SOC_REF", "F_LU", "F_MG", "F_I")
FACTOR_PRIORITY = {"tier2_submitted": 1, "tier2_derived": 2, "tier1_default": 3}  # lower wins
WILDCARD = "*"  # a factor row that applies to every code of its column
FACTOR_COLUMNS = [
    "country", "factor", "climate_zone", "soil_class", "land_use", "level",
    "value", "uncertainty_pct", "tier", "source", "priority",
]  # fmt: skip
# Monte Carlo description of a factor row (inventory.engine.uncertainty.montecarlo): the source
# table row it
# was read from (edition + table + row; drawn once per iteration and shared by every stratum
# using it), that row's mean, sd and degrees of freedom (NaN = normal), and for a ratio of two
# means (Tier 2) the reference row. The factor's value in a draw is row / ref (ref absent = 1).
DRAW_COLUMNS = [
    "source_row", "row_mean", "row_sd", "row_df", "ref_row", "ref_mean", "ref_sd", "ref_df",
]  # fmt: skip


def normalise_code(value: object) -> object:
    """One code to lower_snake: strip, lower-case, spaces and dashes to underscores."""
    if not isinstance(value, str):
        return value
    return "_".join(value.strip().lower().replace("-", " ").split())


def canonical_code(value: object, column: str) -> object:
    """``normalise_code`` plus the column's aliases (e.g. 2006 "cold temperate" zones)."""
    code = normalise_code(value)
    return ALIASES.get(column, {}).get(code, code) if isinstance(code, str) else code
