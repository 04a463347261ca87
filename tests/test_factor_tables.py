"""Disputed IPCC factor rows: each resolved from a cited transcription, the decision in its note.

Sources checked (secondary transcriptions; the IPCC PDFs could not be opened here):
  GS402  Gold Standard SOC Framework Methodology v1.0 (2020), Table 3 (= 2019 Table 6.2) and
         Table 4 (= 2019 Table 5.5)
  ILCD   ILCD Handbook (JRC 2010) Annex B, Table 10 (= 2006 Table 2.3), Table 11 (= 2006
         Table 5.5 F_LU)
  BRFAC  a Python transcription of 2006 Tables 2.3 and 5.5 read from the IPCC PDF
"""

from __future__ import annotations

import csv
from importlib import resources

import pandas as pd
import pytest

from inventory.engine.mineral_soils import factors
from inventory.engine.mineral_soils.mineral import compute_mineral_inventory
from inventory.engine.options import EngineOptions


def _csv(name: str) -> list[dict[str, str]]:
    with resources.files("inventory.data").joinpath(name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _scf(level: str, regime: str, edition: str) -> dict[str, str]:
    rows = [r for r in _csv("ipcc/stock_change_factors.csv")
            if r["level"] == level and r["temperature_regime"] == regime
            and r["source_edition"].startswith(edition)]  # fmt: skip
    assert len(rows) == 1, (level, regime, edition, len(rows))
    return rows[0]


def _value(table: pd.DataFrame, land_use: str, level: str, zone: str, factor: str):
    rows = table[(table.land_use == land_use) & (table.level == level)
                 & (table.climate_zone == zone) & (table.factor == factor)]  # fmt: skip
    assert len(rows) == 1
    return rows.iloc[0]


def test_2019_tropical_perennial_is_1_01():
    # GS402 Table 4 and bonsai-ipcc: 1.01 (+/-25 %) for tropical dry and moist/wet; HESTIA 1.1
    row = _scf("Perennial/tree crop", "Tropical", "2019")
    assert (row["value"], row["error_pct"]) == ("1.01", "25")
    assert row["confidence"] == "verified-2-sources"
    assert "issue 13" in row["note"] and "Gold Standard" in row["source"]
    table = factors.stock_change_defaults("2019")
    for zone in ("tropical_dry", "tropical_moist", "tropical_wet"):
        assert _value(table, "cropland", "perennial", zone, "F_LU").value == 1.01


def test_2019_tropical_montane_perennial_is_a_labelled_judgement():
    row = _scf("Perennial/tree crop", "Tropical montane", "2019")
    # no montane perennial row in GS402: tropical 1.01 with the montane expert default +/-50 %
    assert (row["value"], row["error_pct"]) == ("1.01", "50")
    assert row["confidence"] == "recalled-unverified" and "judgement" in row["note"]


def test_2006_paddy_rice_error_is_50_pct():
    row = _scf("Paddy rice", "All", "2006")
    assert (row["value"], row["error_pct"]) == ("1.1", "50")  # ILCD Table 11 + BRFAC
    assert row["error_confidence"] == "verified-2-sources" and "ILCD" in row["source"]


def test_2006_set_aside_tropical_montane_error_stays_50_pct():
    row = _scf("Set-aside (<20 yr)", "Tropical montane", "2006")
    assert (row["value"], row["error_pct"]) == ("0.88", "50")  # BRFAC 50 vs ILCD 90
    assert "90 %" in row["note"] and "Decision: keep +/-50 %" in row["note"]


def test_2006_cool_temperate_dry_wetland_soc_ref_is_87():
    rows = [r for r in _csv("ipcc/soc_ref_mineral.csv")
            if r["climate_zone"] == "COOL_TEMP_DRY" and r["soil_class"] == "WET"]  # fmt: skip
    assert rows[0]["soc_ref_2006"] == "87" and "97" in rows[0]["note"]  # ILCD prints 97
    table = factors.soc_ref_defaults("2006")
    cell = table[(table.climate_zone == "cool_temperate_dry") & (table.soil_class == "wetland")]
    assert cell.value.tolist() == [87.0]


def test_2019_has_no_moderately_degraded_row():
    rows = [r for r in _csv("ipcc/stock_change_factors.csv")
            if r["level"] == "Moderately degraded"]  # fmt: skip
    assert {r["source_edition"][:4] for r in rows} == {"2006"}


def test_moderately_degraded_code_reaches_high_intensity_grazing_in_2019():
    """2019: F_MG 0.90 (high-intensity grazing, +/-8 %, one value for all climates) in every
    zone; 2006 keeps 'moderately degraded' (0.95 temperate, 0.97 tropical, 0.96 montane)."""
    t2019 = factors.stock_change_defaults("2019")
    for zone in ("tropical_dry", "warm_temperate_moist", "tropical_montane"):
        row = _value(t2019, "grassland", "moderately_degraded", zone, "F_MG")
        assert (row.value, row.uncertainty_pct) == (0.90, 8.0)
        assert "High-intensity grazing" in row.source
    t2006 = factors.stock_change_defaults("2006")
    assert _value(t2006, "grassland", "moderately_degraded", "tropical_dry", "F_MG").value == 0.97
    areas = pd.DataFrame({
        "country": "KEN", "year": [2000], "climate_zone": "warm_temperate_moist",
        "soil_class": "hac", "land_use": "grassland", "management": "moderately_degraded",
        "input": "not_applicable", "area_ha": 1.0,
    })  # fmt: skip
    for edition, expected in (("2019", 64 * 0.90), ("2006", 88 * 0.95)):
        # 2019: 64 t C/ha (warm temperate moist HAC) x 0.90 = 57.6 t C
        # 2006: 88 t C/ha x 0.95 (moderately degraded, temperate) = 83.6 t C
        stock = compute_mineral_inventory(
            areas, factors.factor_table(edition), EngineOptions(mc_draws=0)
        )
        assert stock.soc_stocks.stock_tc.iloc[0] == pytest.approx(expected, abs=1e-12)
