"""Two more SYNTHETIC example packages: land areas of census years only (CRI), and land-use
change matrices with national totals (NZL). Called by ``generate.py`` (same determinism rules:
no random numbers here at all, fixed decimals, hand-written YAML).

CRI: ``land_areas`` and ``organic_soils`` reported for the census years 1990, 2000, 2010 and
2020 only; ``submission.yaml`` declares the gap filling (IPCC 2006 Vol.1 Ch.5): land areas
interpolated (held after 2020), organic soils extrapolated by trend.

NZL: ``land_use_changes``, 5-year matrices 1970-2020 (1970-1989 are the 20-year history) and
annual matrices 2021-2024, built from stratum shares at key years: each cell's area is
constant, and each matrix moves the area lost by some strata to those that gained (in a fixed
order, whole hectares, diagonal = unchanged area); ``national_totals``: the other sectors'
emissions for the key category analysis. Not official statistics of Costa Rica or New Zealand.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from generate import (
    LAND_AREA_COLUMNS,
    ORGANIC_COLUMNS,
    Cell,
    interpolate_shares,
    largest_remainder,
    write_csv,
)

NA = "not_applicable"
CENSUS_YEARS = (1990, 2000, 2010, 2020)
FIRST_YEAR, LAST_YEAR = 1990, 2024
MATRIX_YEARS = (*range(1970, 2021, 5), 2021, 2022, 2023, 2024)
MATRIX_COLUMNS = [
    "year", "from_year", "climate_zone", "soil_class", "from_land_use", "from_management",
    "from_input", "to_land_use", "to_management", "to_input", "area", "area_unit",
]  # fmt: skip
TOTAL_COLUMNS = ["year", "category", "gas", "emissions", "emissions_unit", "uncertainty_pct"]
TMO, TMON = "tropical_moist", "tropical_montane"
WTM, CTM = "warm_temperate_moist", "cool_temperate_moist"
NO_BOX = (0.0, 0.0, 0.0, 0.0)  # no profiles in these packages


def _cell(zone: str, soil: str, area_ha: int, shares: dict) -> Cell:
    return Cell(zone, soil, area_ha, shares, NO_BOX, (0, 0), 1.4)


FOREST, NOMINAL = ("forest_land", NA, NA), ("grassland", "nominal", NA)
CRI_CELLS = (  # shares at KEY_YEARS of generate.py (1970, 1990, 2000, 2010, 2024)
    _cell(
        TMO,
        "hac",
        900_000,
        {
            FOREST: (28, 30, 35, 42, 48),
            NOMINAL: (47, 45, 40, 34, 29),
            ("grassland", "moderately_degraded", NA): (10, 10, 9, 7, 6),
            ("cropland", "full_tillage", "low"): (10, 10, 10, 11, 11),
            ("cropland", "perennial", "medium"): (5, 5, 6, 6, 6),
        },
    ),  # fmt: skip
    _cell(
        TMO,
        "lac",
        1_100_000,
        {
            FOREST: (38, 40, 45, 50, 54),
            NOMINAL: (37, 35, 30, 27, 24),
            ("cropland", "full_tillage", "medium"): (15, 15, 15, 14, 13),
            ("cropland", "perennial", "medium"): (10, 10, 10, 9, 9),
        },
    ),  # fmt: skip
    _cell(
        TMON,
        "volcanic",
        500_000,
        {
            FOREST: (43, 45, 48, 52, 56),
            ("cropland", "perennial", "medium"): (26, 25, 24, 22, 19),
            ("grassland", "improved", "medium"): (20, 20, 19, 18, 17),
            NOMINAL: (11, 10, 9, 8, 8),
        },
    ),  # fmt: skip
)
CRI_ORGANIC = {  # reported in the census years only
    (TMO, "cropland", "drained", NA, NA): (1_200, 1_500, 1_800, 1_900),
    (TMON, "grassland", "drained", NA, NA): (3_000, 2_800, 2_600, 2_500),
}
NZL_CELLS = (
    _cell(
        WTM,
        "hac",
        2_400_000,
        {
            ("grassland", "improved", "high"): (20, 28, 33, 36, 37),
            ("grassland", "improved", "medium"): (40, 36, 32, 29, 28),
            NOMINAL: (22, 18, 15, 12, 10),
            FOREST: (10, 11, 13, 15, 17),
            ("cropland", "full_tillage", "medium"): (8, 7, 6, 5, 4),
            ("cropland", "reduced_tillage", "medium"): (0, 0, 1, 3, 4),
        },
    ),  # fmt: skip
    _cell(
        CTM,
        "hac",
        1_600_000,
        {
            ("grassland", "improved", "medium"): (45, 42, 40, 37, 35),
            NOMINAL: (30, 28, 26, 25, 24),
            FOREST: (15, 20, 24, 28, 31),
            ("cropland", "full_tillage", "medium"): (10, 10, 10, 10, 10),
        },
    ),  # fmt: skip
)
# Other sectors of the synthetic national inventory (kt CO2e in 1990 and 2024, linear between;
# +/- % of the 95 % interval), for the key category analysis.
NZL_TOTALS = (
    ("1.A Fuel combustion", "CO2", 23_000, 31_000, 3),
    ("2 Industrial processes", "CO2", 2_600, 3_100, 10),
    ("3.A Enteric fermentation", "CH4", 26_000, 27_500, 16),
    ("3.D Agricultural soils", "N2O", 5_200, 7_400, 45),
    ("5 Waste", "CH4", 4_300, 3_600, 40),
)


def _state_areas(cell: Cell, years: tuple[int, ...]) -> np.ndarray:
    """Strata x years whole hectares, constant cell total (shares interpolated, no noise)."""
    return largest_remainder(interpolate_shares(cell.shares, np.array(years)), cell.area_ha)


def land_area_rows(cells: tuple[Cell, ...], years: tuple[int, ...]) -> list[list[str]]:
    rows = []
    for cell in cells:
        areas = _state_areas(cell, years)
        for j, year in enumerate(years):
            rows += [[str(year), cell.zone, cell.soil, *stratum, str(areas[i, j]), "ha"]
                     for i, stratum in enumerate(cell.shares) if areas[i, j] > 0]  # fmt: skip
    return rows


def organic_rows() -> list[list[str]]:
    return [[str(year), zone, land_use, drainage, nutrient, depth, str(area), "ha"]
            for k, year in enumerate(CENSUS_YEARS)
            for (zone, land_use, drainage, nutrient, depth), areas in CRI_ORGANIC.items()
            for area in [areas[k]]]  # fmt: skip


def transitions(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A matrix (from x to) with these row and column sums: the diagonal keeps min(start,
    end); the area lost by strata (in stratum order) fills the gains (in stratum order)."""
    matrix = np.diag(np.minimum(start, end))
    losses, gains = start - np.diag(matrix), end - np.diag(matrix)
    i = j = 0
    while i < len(losses) and j < len(gains):
        moved = min(losses[i], gains[j])
        matrix[i, j] += moved
        losses[i] -= moved
        gains[j] -= moved
        i, j = (i + 1 if losses[i] == 0 else i), (j + 1 if gains[j] == 0 else j)
    return matrix


def matrix_rows() -> list[list[str]]:
    rows = []
    for cell in NZL_CELLS:
        areas, strata = _state_areas(cell, MATRIX_YEARS), list(cell.shares)
        for k in range(1, len(MATRIX_YEARS)):
            matrix = transitions(areas[:, k - 1].copy(), areas[:, k].copy())
            for a, b in zip(*np.nonzero(matrix), strict=True):
                period = [str(MATRIX_YEARS[k]), str(MATRIX_YEARS[k - 1])]
                rows.append([*period, cell.zone, cell.soil, *strata[a], *strata[b],
                             str(matrix[a, b]), "ha"])  # fmt: skip
    return rows


def total_rows() -> list[list[str]]:
    years = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    return [[str(y), category, gas, f"{v:.1f}", "kt CO2e", str(uncertainty)]
            for category, gas, start, end, uncertainty in NZL_TOTALS
            for y, v in zip(years, np.linspace(start, end, len(years)), strict=True)]  # fmt: skip


def _yaml(iso3: str, name: str, approach: int, files: dict, extra: list[str]) -> str:
    lines = [
        f"# {name}: SYNTHETIC example submission (format v1), NOT official statistics.",
        "# Generated by examples/generate.py (generate_national.py).",
        f"country: {iso3}", "contact:", f"  name: Example Inventory Compiler ({iso3[:2]})",
        f"  email: soc.{iso3[:2].lower()}@example.org", f"years: [{FIRST_YEAR}, {LAST_YEAR}]",
        "tier: 1", f"approach: {approach}",
        'synthetic: true           # made-up example data: reports label it "synthetic example"',
        "files:",
        *[f"  {dataset}: {file}" for dataset, file in files.items()], *extra,
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def write_packages(out: Path) -> list[str]:
    """Write CRI and NZL under ``out``; returns their codes."""
    cri, nzl = out / "CRI", out / "NZL"
    cri.mkdir(parents=True, exist_ok=True)
    nzl.mkdir(parents=True, exist_ok=True)
    (cri / "submission.yaml").write_text(_yaml(
        "CRI", "Costa Rica (census years only)", 1,
        {"land_areas": "land_areas.csv", "organic_soils": "organic_soils.csv"},
        ["# Areas are reported for the census years; the missing years are filled (IPCC 2006",
         "# Vol.1 Ch.5) and flagged in area_source.", "time_series:",
         "  land_areas: {method: interpolate}", "  organic_soils: {method: trend, fit_years: 2}",
         "  total_area_tolerance_pct: 0.5"],
    ), encoding="utf-8")  # fmt: skip
    write_csv(cri / "land_areas.csv", LAND_AREA_COLUMNS, land_area_rows(CRI_CELLS, CENSUS_YEARS))
    write_csv(cri / "organic_soils.csv", ORGANIC_COLUMNS, organic_rows())
    (nzl / "submission.yaml").write_text(_yaml(
        "NZL", "New Zealand (land-use change matrices)", 2,
        {"land_use_changes": "land_use_changes.csv", "national_totals": "national_totals.csv"},
        ["# Approach 2 from land-use change matrices: 5-year periods 1970-2020, then annual."],
    ), encoding="utf-8")  # fmt: skip
    write_csv(nzl / "land_use_changes.csv", MATRIX_COLUMNS, matrix_rows())
    write_csv(nzl / "national_totals.csv", TOTAL_COLUMNS, total_rows())
    return ["CRI", "NZL"]
