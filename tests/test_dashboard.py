"""The static dashboard: charts carry the data, and headless Chromium renders it."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from inventory.reporting.charts import Series, line_chart
from inventory.reporting.dashboard import render_dashboard

YEARS = np.arange(2000, 2005)


def _tables() -> dict[str, pd.DataFrame]:
    stocks = pd.DataFrame({"country": "URY", "year": YEARS, "area_ha": 100.0,
                           "stock_tc": 4416.0 + 22.08 * (YEARS - 1999)})  # fmt: skip
    changes = pd.DataFrame({"country": "URY", "year": YEARS, "land_use": "cropland",
                            "land_use_category": "cropland_remaining_cropland",
                            "dC_tc_per_yr": 22.08, "dCO2_t_per_yr": -80.96})  # fmt: skip
    totals = changes.assign(land_use="all", ci_low=15.0, ci_high=30.0)
    fourp = pd.DataFrame({"country": "URY", "year": YEARS, "land_use": "all",
                          "rate_permille": 5.0, "target_permille": 4.0})  # fmt: skip
    offsets = pd.DataFrame({"country": "URY", "year": YEARS, "organic_emissions_co2e": 50.0,
                            "mineral_sequestration_co2e": 80.96})  # fmt: skip
    emissions = pd.DataFrame({"country": "URY", "year": YEARS, "co2e_t": 50.0})
    return {"soc_stocks": stocks, "stock_changes": changes, "stock_change_totals": totals,
            "fourp1000_indicators": fourp, "peatland_offsets": offsets,
            "organic_soil_emissions": emissions}  # fmt: skip


def test_line_chart_scales_points_into_the_plot_area():
    svg = line_chart("t", "y", [Series("a", np.array([2000, 2010]), np.array([0.0, 10.0]))])
    # y range 0..10 padded by 5 % = -0.5..10.5; plot spans y 264 (bottom) .. 28 (top):
    # y = 0 -> 264 - (0.5 / 11) * 236 = 253.3; x = 2000 -> 78 (left), 2010 -> 490 (right)
    assert "M78.0,253.3 L490.0,38.7" in svg


def test_dashboard_html_has_every_panel_and_the_summary():
    html = render_dashboard(_tables(), "release-test")
    assert html.count("<svg") == 4
    assert "4 per 1000: annual rate vs target" in html
    assert "stock change, 95 % band" in html and "class='band'" in html
    assert (
        "<td>URY</td>" in html and "<td>0.004526</td>" in html
    )  # stock in 2004: 4416 + 5 x 22.08 = 4526.4 t C = 0.0045264 Mt C


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_dashboard_renders_in_headless_chromium(tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("SOILC_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required here (SOILC_REQUIRE_CHROMIUM is set)")
        pytest.skip("chromium not installed (CI installs it: apt-get install chromium)")
    page = tmp_path / "index.html"
    page.write_text(render_dashboard(_tables(), "release-test"), encoding="utf-8")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=1280,1600", f"--screenshot={shot}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    from PIL import Image

    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 1600)
    colours = np.asarray(image).reshape(-1, 3)
    # the first series colour (#1b6ca8) must be painted: the charts drew their lines
    assert (np.abs(colours.astype(int) - [0x1B, 0x6C, 0xA8]).sum(axis=1) < 30).sum() > 200
