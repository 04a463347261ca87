"""The static dashboard: charts carry the data, and headless Chromium renders it."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest

from inventory.reporting.charts import Series, Target, line_chart, tick_label
from inventory.reporting.dashboard import Provenance, render_dashboard

YEARS = np.arange(2000, 2005)


def _tables() -> dict[str, pd.DataFrame]:
    stocks = pd.DataFrame({"country": "URY", "year": YEARS, "area_ha": 100.0,
                           "stock_tc": 4416.0 + 22.08 * (YEARS - 1999)})  # fmt: skip
    changes = pd.DataFrame({"country": "URY", "year": YEARS, "land_use": "cropland",
                            "land_use_category": "cropland_remaining_cropland",
                            "dC_tc_per_yr": 22.08, "dCO2_t_per_yr": -80.96})  # fmt: skip
    totals = changes.assign(land_use="all", dC_ci_low_tc_per_yr=15.0, dC_ci_high_tc_per_yr=30.0)
    fourp = pd.DataFrame({"country": "URY", "year": YEARS, "land_use": "all",
                          "rate_permille_per_yr": 5.0, "target_permille_per_yr": 4.0})  # fmt: skip
    offsets = pd.DataFrame({"country": "URY", "year": YEARS,
                            "organic_emissions_co2e_t_per_yr": 50.0,
                            "mineral_co2e_t_per_yr": -80.96})  # fmt: skip
    emissions = pd.DataFrame({"country": "URY", "year": YEARS, "co2e_t_per_yr": 50.0})
    return {"soc_stocks": stocks, "stock_changes": changes, "stock_change_totals": totals,
            "fourp1000_indicators": fourp, "peatland_offsets": offsets,
            "organic_soil_emissions": emissions}  # fmt: skip


PROVENANCE = [Provenance("URY", "run-test", "AR5", "2019 Refinement", "2", synthetic=True)]


def test_ticks_are_round_numbers_written_in_full():
    assert tick_label(2650.0, 50.0) == "2,650"  # never 2.65e+03
    assert tick_label(0.0045, 0.0005) == "0.0045"
    assert tick_label(-0.0, 0.5) == "0"
    assert tick_label(1_500_000.0, 500_000.0) == "1,500,000"


def test_line_chart_draws_band_target_and_round_ticks():
    years = np.array([2000, 2010])
    svg = line_chart("Stock change", "kt C / yr",
                     [Series("net", years, np.array([0.0, 2660.0]), np.array([-100.0, 2000.0]),
                             np.array([100.0, 3000.0]))],
                     target=Target("4 per 1000 target", 1500.0))  # fmt: skip
    assert svg.startswith("<svg class='chart' role='img'")
    assert "Stock change" in svg and "net, 95 % interval" in svg and "4 per 1000 target" in svg
    # y spans -100..3000 (+ margins): at most 5 bins of a round step (1, 2, 2.5, 5, 10 x 10^k)
    # -> steps of 1000: 0, 1,000, 2,000, 3,000, written in full
    ticks = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert ["0", "1,000", "2,000", "3,000"] == [t for t in ticks if t in {"0", "1,000", "2,000",
                                                                      "3,000"}]  # fmt: skip
    assert not [t for t in ticks if "e+" in t or "e-" in t]


def test_chart_svg_holds_no_css_so_a_strict_content_security_policy_draws_it():
    """The portal's CSP (style-src 'self') blocks inline style attributes and elements: the
    chart carries SVG presentation attributes instead, and its title as accessible name."""
    from xml.dom.minidom import parseString

    svg = line_chart("Stock <change>", "kt C / yr",
                     [Series("net", np.array([2000, 2010]), np.array([0.0, 2.0]))])  # fmt: skip
    assert "style" not in svg  # neither style="..." nor <style>
    root = parseString(svg).documentElement  # still well-formed XML
    assert root.getAttribute("aria-label") == "Stock <change>"
    assert root.getAttribute("stroke-linejoin") == "round"  # matplotlib's defaults, inherited
    assert 'stroke="#1b6ca8"' in svg and 'stroke-width="2"' in svg  # the line's own style


def test_charts_plot_the_inventory_stock_and_the_mineral_4p1000_scope():
    """#13: the stock chart shows S(y) (inventory_stocks, national), the rate chart the
    'mineral' scope only (not the sum of both scopes), and the summary takes S(y)."""
    from inventory.reporting.dashboard import country_charts, country_panels

    tables = _tables()
    tables["inventory_stocks"] = pd.DataFrame({
        "country": "URY", "year": np.tile(YEARS, 2), "scope": ["national"] * 5 + ["land_use"] * 5,
        "land_use": ["all"] * 5 + ["cropland"] * 5, "area_ha": 100.0,
        "stock_tc": [3000.0, 3010.0, 3020.0, 3030.0, 3040.0] * 2})  # fmt: skip
    mineral = tables["fourp1000_indicators"].assign(scope="mineral")
    both = mineral.assign(scope="mineral_and_organic", rate_permille_per_yr=7.0)
    tables["fourp1000_indicators"] = pd.concat([mineral, both], ignore_index=True)
    charts = country_charts(tables, "URY")
    rate_ticks = re.findall(r"<text[^>]*>([0-9.,-]+)</text>", charts[2]["svg"])
    years = {str(y) for y in YEARS}
    # rate 5.0 and target 4.0 only: the ticks stay below 6 (both scopes summed would be 12)
    assert max(float(t.replace(",", "")) for t in rate_ticks if t not in years) < 6
    assert country_panels(tables, "URY").count("<svg") == 4  # the portal's results page
    # summary: S(2004) = 3040 t C = 0.00304 Mt C (national rows only, not 2 x 3040)
    assert "<td>0.00304</td>" in render_dashboard(tables, "release-test", PROVENANCE)


def test_dashboard_states_release_gwp_edition_tier_and_synthetic_data():
    html = render_dashboard(_tables(), "release-test", PROVENANCE)
    assert html.count("<svg") == 4
    assert "4 per 1000: annual rate vs target" in html and "4 per 1000 target" in html
    assert "95 % interval" in html
    assert "Release <b>release-test</b>" in html and "GWP set <b>AR5</b>" in html
    assert "IPCC edition <b>2019 Refinement</b>" in html and "tier <b>2</b>" in html
    assert html.count("synthetic example") >= 2  # the page header and URY's panel
    # stock in 2004: 4416 + 5 x 22.08 = 4526.4 t C = 0.0045264 Mt C (4 significant digits)
    assert "<td>URY</td>" in html.replace(' class="text"', "") and "<td>0.004526</td>" in html


def test_dashboard_escapes_text_from_the_data():
    tables = _tables()
    tables["soc_stocks"] = tables["soc_stocks"].assign(country="<b>X</b>")
    html = render_dashboard(tables, "release-<test>")
    assert "<b>X</b>" not in html and "&lt;b&gt;X&lt;/b&gt;" in html
    assert "release-&lt;test&gt;" in html


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_dashboard_renders_in_headless_chromium(tmp_path):
    browser = _chromium()
    if browser is None:
        if os.environ.get("SOILC_REQUIRE_CHROMIUM"):
            pytest.fail("chromium is required here (SOILC_REQUIRE_CHROMIUM is set)")
        pytest.skip("chromium not installed (CI installs it: apt-get install chromium)")
    page = tmp_path / "index.html"
    page.write_text(render_dashboard(_tables(), "release-test", PROVENANCE), encoding="utf-8")
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


def test_dashboard_shows_the_intervals_of_the_change_and_the_organic_emissions():
    """Net change 22.08 t C/yr (95 %: 15 to 30 t C/yr = 0.015 to 0.03 kt C/yr); organic
    emissions 50 t CO2e/yr (95 %: 40 to 65 t CO2e/yr = 0.04 to 0.065 kt), in the summary table
    and as a band in the organic chart."""
    from inventory.reporting.dashboard import country_charts

    tables = _tables()
    tables["peatland_offsets"] = tables["peatland_offsets"].assign(
        organic_ci_low_co2e_t_per_yr=40.0, organic_ci_high_co2e_t_per_yr=65.0
    )
    html = render_dashboard(tables, "release-test", PROVENANCE)
    assert "<th>change 95 % kt C/yr</th>" in html and "<td>0.015 to 0.03</td>" in html
    assert "<th>organic 95 % kt CO2e/yr</th>" in html and "<td>0.04 to 0.065</td>" in html
    assert "organic soils, 95 % interval" in country_charts(tables, "URY")[3]["svg"]
    # without published draws the summary says so
    assert "<td>n/a</td>" in render_dashboard(_tables(), "release-test", PROVENANCE)


def test_a_tiny_stock_change_is_not_drawn_as_a_cliff():
    from inventory.reporting.charts import FROM_ZERO_NOTE, SPAN_NOTE, y_range

    years = np.array([2020, 2021])
    cri = [Series("stock", years, np.array([125.17, 125.24]))]  # Mt C: +0.056 %
    # a stock from 0 to the largest value plus 5 %: 125.24 x 1.05 = 131.502 Mt C
    low, high, note = y_range(cri, None, y_from_zero=True)
    assert (low, note) == (0.0, FROM_ZERO_NOTE) and high == pytest.approx(131.502)
    # any other chart: at least 5 % of the largest |value| (0.05 x 125.24 = 6.262) around the
    # middle (125.17 + 125.24) / 2 = 125.205 -> 122.074 .. 128.336
    low, high, note = y_range(cri, None, y_from_zero=False)
    assert (low, high) == pytest.approx((122.074, 128.336)) and note == SPAN_NOTE
    wide = [Series("change", years, np.array([-10.0, 30.0]))]
    assert y_range(wide, None, y_from_zero=False) is None  # a real change keeps its axis
    svg = line_chart("Mineral SOC inventory stock S(y), 0-30 cm", "Mt C", cri, y_from_zero=True)
    assert "Mt C (axis from 0)" in svg


def test_the_header_never_joins_two_editions_in_one_line():
    two = [*PROVENANCE, Provenance("KEN", "run-2", "AR5", "2006 Guidelines", "2", synthetic=False)]
    tables = {name: pd.concat([frame, frame.assign(country="KEN")], ignore_index=True)
              if "country" in frame.columns else frame
              for name, frame in _tables().items()}  # both countries in the release  # fmt: skip
    html = render_dashboard(tables, "release-test", two)
    assert "IPCC edition <b>by country (see the table below)</b>" in html
    assert "GWP set <b>AR5</b>" in html  # the same for both: stated once
    assert "2006 Guidelines, 2019 Refinement" not in html


def test_missing_values_are_empty_cells_never_python_words():
    from inventory.reporting.dashboard import format_number

    assert [format_number(v) for v in (None, float("nan"), pd.NA, 1234.56, 0.0012345)] == [
        "", "", "", "1,234.6", "0.001234"]  # fmt: skip
