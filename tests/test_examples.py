"""The bundled example packages (``examples/``): reproducible, in format v1, computable at Tier 1.

Fast (no Prefect): each check loads the CSVs with pandas and runs the domain functions directly.
The magnitudes checked here are the generator's own assumptions (examples/README.md), stated as
ranges: the data are synthetic, so only plausibility can be tested, not agreement with
national statistics.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from inventory.core import vocab
from inventory.engine import sql_models
from inventory.engine.mineral_soils import factors, mineral
from inventory.engine.options import EngineOptions
from inventory.engine.organic_soils import organic
from inventory.harmonise import areas
from inventory.validation.rules import normalise_code_columns

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
COUNTRIES = ("IRL", "KEN", "URY")
HISTORY_FIRST_YEAR, FIRST_YEAR, LAST_YEAR = 1970, 1990, 2024

COLUMNS = {
    "land_areas": ["year", "climate_zone", "soil_class", "land_use", "management", "input",
                   "area", "area_unit"],
    "profiles": ["profile_id", "lat", "lon", "year", "land_use", "management", "input",
                 "climate_zone", "soil_class", "upper_cm", "lower_cm", "soc", "soc_unit",
                 "soc_method", "bulk_density", "bd_unit", "coarse_fragments_pct"],
    "organic_soils": ["year", "climate_zone", "land_use", "drainage", "nutrient_status",
                      "drainage_depth", "area", "area_unit"],
    "factors": ["factor", "climate_zone", "soil_class", "land_use", "level", "value",
                "uncertainty_pct", "source"],
}  # fmt: skip
# Covered mineral area, ha (the generator's cells; national land areas: IRL 6.9, KEN 58.0,
# URY 17.6 M ha, so each must be a large part of, and below, the national area).
COVERED_HA = {"IRL": (3.5e6, 6.9e6), "KEN": (25e6, 58e6), "URY": (10e6, 17.6e6)}
# Country bounding boxes (lat_min, lat_max, lon_min, lon_max), degrees.
BBOX = {"IRL": (51.4, 55.4, -10.7, -5.9), "KEN": (-4.7, 5.1, 33.9, 41.9),
        "URY": (-35.0, -30.0, -58.5, -53.0)}  # fmt: skip
MIN_NATIVE_PROFILES = 8  # per climate_zone x soil_class of land_areas, for a Tier 2 SOC_REF
MAX_FILE_BYTES = 1_000_000


def _read(iso3: str, dataset: str) -> pd.DataFrame:
    return pd.read_csv(EXAMPLES / iso3 / f"{dataset}.csv")


def _normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with the vocabulary codes canonical, as the pipeline's preparation step has them."""
    return normalise_code_columns(frame.copy(), vocab.VOCABULARIES)


def _canonical(iso3: str, dataset: str) -> pd.DataFrame:
    frame = _normalised(_read(iso3, dataset))
    frame.insert(0, "country", iso3)
    return frame


def _land_areas(iso3: str) -> pd.DataFrame:
    return areas.harmonise_land_areas(_canonical(iso3, "land_areas"))


def _sha256_tree(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_generator_reproduces_bundled_files(tmp_path):
    subprocess.run(
        [sys.executable, str(EXAMPLES / "generate.py"), "--out", str(tmp_path)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    for iso3 in COUNTRIES:
        bundled, fresh = _sha256_tree(EXAMPLES / iso3), _sha256_tree(tmp_path / iso3)
        assert fresh == bundled, f"{iso3}: rerun examples/generate.py and commit the result"


@pytest.mark.parametrize("iso3", COUNTRIES)
def test_manifest_names_existing_files(iso3):
    manifest = yaml.safe_load((EXAMPLES / iso3 / "submission.yaml").read_text(encoding="utf-8"))
    assert manifest["country"] == iso3
    assert set(manifest["contact"]) == {"name", "email"}
    assert manifest["years"] == [FIRST_YEAR, LAST_YEAR]
    assert (manifest["tier"], manifest["approach"]) == (2, 1)
    expected = {"land_areas", "profiles", "organic_soils"} | (
        {"factors"} if iso3 == "IRL" else set()
    )
    assert set(manifest["files"]) == expected
    for dataset, name in manifest["files"].items():
        path = EXAMPLES / iso3 / name
        assert list(pd.read_csv(path, nrows=0).columns) == COLUMNS[dataset]
        assert path.stat().st_size < MAX_FILE_BYTES


@pytest.mark.parametrize("iso3", COUNTRIES)
def test_codes_are_vocabulary_codes(iso3):
    for dataset in ("land_areas", "profiles", "organic_soils"):
        frame = _normalised(_read(iso3, dataset))
        for column, codes in vocab.VOCABULARIES.items():
            if column in frame.columns:
                assert set(frame[column].dropna()) <= set(codes), (dataset, column)


def test_one_file_uses_mixed_case_codes():
    raw = _read("URY", "land_areas")
    changed = raw["land_use"] != _normalised(raw)["land_use"]
    assert changed.any() and not changed.all()


def test_one_country_uses_other_area_units():
    units = {iso3: set(_read(iso3, "land_areas")["area_unit"]) for iso3 in COUNTRIES}
    assert units["IRL"] == units["URY"] == {"ha"}
    assert units["KEN"] == {"kha"}
    assert set(_read("KEN", "organic_soils")["area_unit"]) == {"km2"}


@pytest.mark.parametrize("iso3", COUNTRIES)
def test_land_areas_cover_history_and_conserve_cell_area(iso3):
    areas = _land_areas(iso3)
    assert sorted(areas["year"].unique()) == list(range(HISTORY_FIRST_YEAR, LAST_YEAR + 1))
    per_cell = areas.groupby(["climate_zone", "soil_class", "year"])["area_ha"].sum()
    spread = per_cell.groupby(level=[0, 1]).agg(lambda a: a.max() / a.min() - 1)
    assert (spread < 0.001).all(), spread[spread >= 0.001]
    low, high = COVERED_HA[iso3]
    assert low < areas[areas["year"] == LAST_YEAR]["area_ha"].sum() < high


@pytest.mark.parametrize("iso3", COUNTRIES)
def test_land_use_changes_are_gradual(iso3):
    by_use = _land_areas(iso3).pivot_table("area_ha", "year", "land_use", aggfunc="sum").fillna(0)
    yearly = by_use.diff().abs().iloc[1:]
    # under 8 % of a land use's largest area per year (URY's soybean boom reaches ~5.5 %)
    assert (yearly.max() < 0.08 * by_use.max()).all()


@pytest.mark.parametrize("iso3", COUNTRIES)
def test_tier1_mineral_inventory_has_every_factor(iso3):
    areas = _land_areas(iso3)
    result = mineral.compute_mineral_inventory(
        areas, factors.factor_table("2019"), EngineOptions(mc_draws=0)
    )
    assert set(result.stratum_factors["tier"]) == {"tier1_default"}
    stocks = result.soc_stocks
    assert stocks["stock_tc"].notna().all() and (stocks["stock_tc"] > 0).all()
    density = stocks.groupby("year")["stock_tc"].sum() / stocks.groupby("year")["area_ha"].sum()
    assert density.between(15, 150).all()  # national mean t C/ha, 0-30 cm
    changes = result.stock_changes
    assert changes["dC_tc_per_yr"].notna().all()
    assert changes["year"].max() == LAST_YEAR


def test_submitted_factors_replace_defaults():
    submitted = _canonical("IRL", "factors")
    assert submitted["source"].str.startswith("SYNTHETIC").all()
    table = factors.factor_table("2019", submitted=submitted)
    result = mineral.compute_mineral_inventory(_land_areas("IRL"), table, EngineOptions(mc_draws=0))
    chosen = result.stratum_factors.query("tier == 'tier2_submitted'")
    assert set(chosen["factor"]) == {"SOC_REF", "F_MG"}
    assert set(chosen.query("factor == 'SOC_REF'")["soil_class"]) == {"hac"}
    assert set(chosen.query("factor == 'F_MG'")["management"]) == {"improved"}


@pytest.mark.parametrize("iso3", COUNTRIES)
def test_organic_soils_have_emission_factors(iso3):
    soils = areas.harmonise_organic_soils(_canonical(iso3, "organic_soils"))
    assert sorted(soils["year"].unique()) == list(range(FIRST_YEAR, LAST_YEAR + 1))
    emissions = organic.organic_soil_emissions(sql_models.connect(), soils, gwp_set="AR5")
    assert emissions["co2e_t"].notna().all()
    drained = soils[soils["drainage"] == "drained"]
    assert drained["area_ha"].sum() > 0
    tropical = drained["climate_zone"].str.startswith("tropical")
    assert not (tropical & (drained["land_use"] == "wetlands")).any()  # no WS Table 2.3 CH4 EF
    assert emissions.groupby("year")["co2e_t"].sum().gt(0).all()


@pytest.mark.parametrize("iso3", COUNTRIES)
def test_organic_area_fits_in_land_use_area(iso3):
    """The validation rule organic_area_exceeds_land_area, per year and land use."""
    soils = areas.harmonise_organic_soils(_canonical(iso3, "organic_soils"))
    land = _land_areas(iso3).groupby(["year", "land_use"])["area_ha"].sum()
    organic_area = soils.groupby(["year", "land_use"])["area_ha"].sum()
    assert (organic_area <= land.reindex(organic_area.index).fillna(0)).all()


@pytest.mark.slow
@pytest.mark.parametrize("iso3", COUNTRIES)
def test_package_passes_validation(iso3):
    from inventory.intake import submission
    from inventory.validation import validate

    result = validate.validate_submission(submission.read_submission(EXAMPLES / iso3))
    assert result.ok, result.to_text()


@pytest.mark.parametrize("iso3", COUNTRIES)
def test_profiles_are_plausible(iso3):
    profiles = _normalised(_read(iso3, "profiles"))
    sites = profiles.drop_duplicates("profile_id")
    assert 80 <= len(sites) <= 200
    horizons = profiles.groupby("profile_id").agg(n=("upper_cm", "size"), top=("upper_cm", "min"),
                                                  bottom=("lower_cm", "max"))  # fmt: skip
    assert horizons["n"].between(3, 6).all() and (horizons["top"] == 0).all()
    assert horizons["bottom"].between(90, 120).all()
    lat_min, lat_max, lon_min, lon_max = BBOX[iso3]
    assert sites["lat"].between(lat_min, lat_max).all()
    assert sites["lon"].between(lon_min, lon_max).all()
    assert profiles["bulk_density"].isna().any() and profiles["bulk_density"].notna().mean() > 0.5
    cf = profiles["coarse_fragments_pct"]
    assert cf.isna().any() and cf.notna().mean() > 0.8
    cells = _land_areas(iso3)[["climate_zone", "soil_class"]].drop_duplicates()
    native = sites[sites["land_use"] == "native"].groupby(["climate_zone", "soil_class"]).size()
    counts = cells.merge(native.rename("n").reset_index(), how="left").fillna({"n": 0})
    assert (counts["n"] >= MIN_NATIVE_PROFILES).all(), counts


@pytest.mark.parametrize("iso3", COUNTRIES)
def test_native_topsoil_stocks_near_ipcc_reference(iso3):
    """Harmonised 0-30 cm stocks of native profiles average near SOC_REF of their cell."""
    from inventory.harmonise.profiles import harmonise_profiles

    harmonised = harmonise_profiles(_normalised(_read(iso3, "profiles")))
    assert harmonised.cleaning.empty
    topsoil = harmonised.intervals.query(
        "upper_cm == 0 and lower_cm == 30 and land_use == 'native'"
    )
    means = topsoil.groupby(["climate_zone", "soil_class"], as_index=False)[
        "stock_tc_per_ha"
    ].mean()
    ref = factors.soc_ref_defaults("2019")[["climate_zone", "soil_class", "value"]]
    ratio = means.merge(ref, on=["climate_zone", "soil_class"])
    assert len(ratio) == len(means)
    # The generator draws each cell's "true" SOC_REF as IPCC x U(0.88, 1.15), plus sampling noise.
    assert (ratio["stock_tc_per_ha"] / ratio["value"]).between(0.75, 1.35).all(), ratio
