"""Validation: the minimal package passes, each bad case fails with its rule, variants pass."""

from __future__ import annotations

import json
import pickle

import pandas as pd
import pytest
import yaml
from submission_cases import CASES, MINIMAL, apply, copy_minimal, set_cell, zip_folder

from inventory.core import vocab
from inventory.core.failures import FAILURE_COLUMNS
from inventory.harmonise import areas
from inventory.intake.submission import SubmissionError, read_submission
from inventory.validation.gx_suites import load_suite
from inventory.validation.rules import FACTOR_CODES, SPECS
from inventory.validation.validate import (
    ValidationResult,
    validate_submission,
    write_quarantine,
    write_validated,
)


def outcome(path):
    """Failures of a package, whether raised while reading or found by validation."""
    try:
        sub = read_submission(path)
    except SubmissionError as err:
        return None, err.failures
    result = validate_submission(sub)
    return result, result.failures


@pytest.fixture(scope="module")
def minimal_result():
    return validate_submission(read_submission(MINIMAL))


def test_minimal_package_is_accepted(minimal_result):
    assert minimal_result.ok, minimal_result.to_text()
    assert list(minimal_result.failures.columns) == FAILURE_COLUMNS
    assert set(minimal_result.datasets) == {"land_areas", "profiles", "organic_soils", "factors"}
    assert minimal_result.summary["rows"] == {"land_areas": 12, "profiles": 9,
                                              "organic_soils": 9, "factors": 2}  # fmt: skip


def test_accepted_datasets_are_canonical_and_typed(minimal_result):
    land = minimal_result.datasets["land_areas"]
    assert list(land.columns) == list(SPECS["land_areas"].columns)
    assert land["year"].dtype == "int64" and land["area"].dtype == "float64"
    profiles = minimal_result.datasets["profiles"]
    assert list(profiles.columns) == list(SPECS["profiles"].columns)
    assert profiles["upper_cm"].tolist()[:3] == [0.0, 15.0, 30.0]
    land_ha = areas.harmonise_land_areas(land.assign(country="IRL"))
    assert land_ha["area_ha"].sum() == pytest.approx(land["area"].sum())
    organic = areas.harmonise_organic_soils(
        minimal_result.datasets["organic_soils"].assign(country="IRL")
    )
    assert organic["area_ha"].sum() == pytest.approx(3 * (200 + 120 + 80))


_GROUP_OUTCOMES: dict[str, tuple] = {}


def case_outcome(case, tmp_path_factory):
    """Outcome of the case's package; cases of one ``group`` share one mutated package."""
    key = case.get("group", case["id"])
    if key not in _GROUP_OUTCOMES:
        package = copy_minimal(tmp_path_factory.mktemp(key) / "pkg")
        for member in [c for c in CASES if c.get("group", c["id"]) == key]:
            apply(package, member)
        _GROUP_OUTCOMES[key] = outcome(package)
    return _GROUP_OUTCOMES[key]


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_bad_case(case, tmp_path_factory):
    result, failures = case_outcome(case, tmp_path_factory)
    assert result is None or not result.ok
    hits = failures[failures["rule_id"] == case["rule_id"]]
    assert len(hits), (
        f"{case['rule_id']} not in {failures[['rule_id', 'message']].to_dict('records')}"
    )
    assert hits["message"].str.contains(str(case["message"]), regex=False).any(), hits[
        "message"
    ].tolist()
    if "row" in case:
        assert case["row"] in hits["row"].tolist(), hits["row"].tolist()
    assert hits["fix"].notna().all() and (hits["fix"].str.len() > 0).all()


def test_corpus_covers_at_least_40_cases_and_many_rules():
    assert len(CASES) >= 40
    assert len({c["rule_id"] for c in CASES}) >= 30


def test_all_failures_are_reported_at_once(tmp_path):
    package = copy_minimal(tmp_path / "pkg")
    set_cell(package, "land_areas.csv", 3, "climate_zone", "tropical_soggy")
    set_cell(package, "land_areas.csv", 4, "area", "-5")
    set_cell(package, "profiles.csv", 2, "soc", "750")
    set_cell(package, "factors.csv", 2, "factor", "F_X")
    set_cell(package, "organic_soils.csv", 2, "drainage", "flooded")
    result, failures = outcome(package)
    found = set(zip(failures["file"], failures["row"], failures["rule_id"], strict=True))
    assert {("land_areas.csv", 3, "unknown_climate_zone"), ("land_areas.csv", 4, "area_negative"),
            ("profiles.csv", 2, "soc_out_of_range"), ("factors.csv", 2, "unknown_factor"),
            ("organic_soils.csv", 2, "unknown_drainage")} <= found  # fmt: skip
    text = result.to_text()
    assert "REJECTED" in text and "tropical_soggy" in text and "did you mean" in text
    assert "| `area_negative` | 1 |" in result.to_markdown()


def test_package_problems_are_collected(tmp_path):
    package = copy_minimal(tmp_path / "pkg")
    apply(package, {"yaml": {"tier": 3, "approach": 4, "country": "XYZ"}})
    (package / "profiles.csv").unlink()
    with pytest.raises(SubmissionError) as err:
        read_submission(package)
    rules = set(err.value.failures["rule_id"])
    assert {"manifest_tier", "manifest_approach", "manifest_country", "file_missing"} <= rules


def _rewrite(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))


def _semicolon_decimal_comma(root):
    text = (root / "profiles.csv").read_text()
    lines = [line.replace(",", ";") for line in text.splitlines()]
    lines = [lines[0]] + [line.replace(".", ",") for line in lines[1:]]
    lines = [line.replace("g/cm3", "g/cm3").replace("g/kg", "g/kg") for line in lines]
    _rewrite(root / "profiles.csv", "\n".join(lines) + "\n")


def _bom(root):
    (root / "land_areas.csv").write_bytes(b"\xef\xbb\xbf" + (root / "land_areas.csv").read_bytes())


def _latin1(root):
    text = (root / "factors.csv").read_text().replace("Fictional", "Étude fictive (Teagasc)")
    _rewrite(root / "factors.csv", text, "latin-1")


def _xlsx(root):
    frame = pd.read_csv(root / "land_areas.csv", dtype=str)
    frame["year"] = frame["year"].astype(int)  # typed cells as Excel stores them
    frame["area"] = frame["area"].astype(float)
    frame.to_excel(root / "land_areas.xlsx", index=False)
    apply(root, {"text": {"file": "submission.yaml", "old": "land_areas.csv",
                          "new": "land_areas.xlsx"}})  # fmt: skip


def _parquet(root):
    frame = pd.read_csv(root / "profiles.csv")
    frame.to_parquet(root / "profiles.parquet")
    apply(root, {"text": {"file": "submission.yaml", "old": "profiles.csv",
                          "new": "profiles.parquet"}})  # fmt: skip


def _mixed_case_codes(root):
    text = (root / "land_areas.csv").read_text()
    text = text.replace("cool_temperate_moist", "Cold Temperate Moist", 3)
    text = text.replace("cropland,full_tillage", "Cropland,Full-Tillage").replace(",hac,", ",HAC,")
    _rewrite(root / "land_areas.csv", text)


def _soc_percent_units(root):
    text = (root / "profiles.csv").read_text()
    text = text.replace("22.0,g/kg", "2.2,%").replace("15.5,g/kg", "1.55,g/100g")
    text = text.replace("1.25,g/cm3", "1250,kg/m3").replace("1.35,g/cm3", "1.35,Mg/m3")
    text = text.replace("1.45,g/cm3", "1.45,g cm-3")
    _rewrite(root / "profiles.csv", text)


def _area_units(root):
    text = (root / "land_areas.csv").read_text()
    text = text.replace("1500,ha", "15,km2").replace("3000,ha", "3000,hectare")
    _rewrite(root / "land_areas.csv", text)


def _unit_defaults(root):
    text = (root / "land_areas.csv").read_text().replace(",ha\n", ",\n")
    _rewrite(root / "land_areas.csv", text)
    apply(root, {"yaml": {"units": {"area": "ha"}}})


def _crlf_blank_lines_extra_column(root):
    lines = (root / "organic_soils.csv").read_text().splitlines()
    lines = [lines[0] + ",comment"] + [f"{line},note {i}" for i, line in enumerate(lines[1:])]
    lines.insert(3, "")
    _rewrite(root / "organic_soils.csv", "\r\n".join(lines) + "\r\n")


def _zipped_folder(root):
    return zip_folder(root, root.parent / "package.zip", top="irl_2024")


VARIANTS = {
    "semicolon_decimal_comma": _semicolon_decimal_comma, "utf8_bom": _bom, "latin1": _latin1,
    "xlsx": _xlsx, "parquet": _parquet, "mixed_case_and_alias_codes": _mixed_case_codes,
    "soc_and_bd_units": _soc_percent_units, "area_units": _area_units,
    "manifest_unit_defaults": _unit_defaults,
    "crlf_blank_line_extra_column": _crlf_blank_lines_extra_column, "zip": _zipped_folder,
}  # fmt: skip


@pytest.mark.parametrize("variant", VARIANTS)
def test_honest_variant_is_accepted(variant, tmp_path, minimal_result):
    root = copy_minimal(tmp_path / "pkg")
    path = VARIANTS[variant](root) or root
    result, failures = outcome(path)
    assert result is not None and result.ok, failures.to_dict("records")
    for name, frame in result.datasets.items():
        expected = minimal_result.datasets[name]
        assert frame.shape == expected.shape, name
        for column in ("climate_zone", "soil_class", "land_use", "management"):
            if column in frame:
                assert set(frame[column].dropna()) <= set(vocab.VOCABULARIES[column])


def test_decimal_comma_values_are_parsed(tmp_path, minimal_result):
    root = copy_minimal(tmp_path / "pkg")
    _semicolon_decimal_comma(root)
    result, _ = outcome(root)
    pd.testing.assert_frame_equal(result.datasets["profiles"], minimal_result.datasets["profiles"])


def test_blank_line_keeps_spreadsheet_row_numbers(tmp_path):
    root = copy_minimal(tmp_path / "pkg")
    lines = (root / "land_areas.csv").read_text().splitlines()
    lines.insert(2, "")  # spreadsheet row 3 is empty: old row 3 is now row 4
    lines[3] = lines[3].replace("no_tillage", "bogus")
    (root / "land_areas.csv").write_text("\n".join(lines) + "\n")
    _, failures = outcome(root)
    assert failures.loc[failures["rule_id"] == "unknown_management", "row"].tolist() == [4]


def test_xlsx_rows_are_sheet_rows(tmp_path):
    root = copy_minimal(tmp_path / "pkg")
    set_cell(root, "land_areas.csv", 5, "area", "-1")
    _xlsx(root)
    _, failures = outcome(root)
    hit = failures[failures["rule_id"] == "area_negative"]
    assert hit[["file", "row", "value"]].values.tolist() == [["land_areas.xlsx", 5, "-1"]]


def test_land_units_are_checked_for_constant_total_area(tmp_path):
    root = copy_minimal(tmp_path / "pkg")
    rows = ["unit_id,year,climate_zone,soil_class,land_use,management,input,area,area_unit"]
    for year in (2018, 2019, 2020):
        grown = 50 if year == 2020 else 0  # the 2020 total grows by 50 ha (5 %)
        rows.append(f"U1,{year},cool_temperate_moist,hac,cropland,full_tillage,medium,600,ha")
        rows.append(f"U2,{year},cool_temperate_moist,hac,grassland,nominal,not_applicable,"
                    f"{400 + grown},ha")  # fmt: skip
    (root / "land_units.csv").write_text("\n".join(rows) + "\n")
    apply(root, {"yaml": {"approach": 2, "files": {"land_units": "land_units.csv"}, "tier": 1}})
    _, failures = outcome(root)
    assert failures["rule_id"].tolist() == ["land_units_total_area_changes"]
    assert failures["row"].tolist() == [6] and "2020" in failures["message"].iloc[0]


def test_suites_match_the_vocabularies():
    for name in SPECS:
        suite = load_suite(name)
        for expectation in suite["expectations"]:
            meta = expectation["meta"]
            assert {"rule_id", "message", "fix"} <= set(meta)
            vocabulary = meta.get("vocabulary")
            if vocabulary in vocab.VOCABULARIES:
                assert tuple(expectation["kwargs"]["value_set"]) == vocab.VOCABULARIES[vocabulary]
            elif vocabulary == "factor":
                assert tuple(expectation["kwargs"]["value_set"]) == FACTOR_CODES
        required = [
            e for e in suite["expectations"] if e["type"] == "expect_table_columns_to_match_set"
        ]
        assert required[0]["kwargs"]["column_set"] == list(SPECS[name].required)


def test_quarantine_report_files(tmp_path):
    root = copy_minimal(tmp_path / "pkg")
    set_cell(root, "land_areas.csv", 3, "climate_zone", "tropical_soggy")
    result, _ = outcome(root)
    out = write_quarantine(result, tmp_path / "quarantine")
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert {"report.json", "report.txt", "report.md", "report.html", "failures.csv",
            "data_docs/land_areas.html"} <= names  # fmt: skip
    report = json.loads((out / "report.json").read_text())
    assert report["ok"] is False and report["failures"][0]["rule_id"] == "unknown_climate_zone"
    assert report["failures"][0]["row"] == 3
    html = (out / "report.html").read_text()
    assert "tropical_soggy" in html and "http://" not in html and "https://" not in html
    assert pd.read_csv(out / "failures.csv")["rule_id"].tolist() == ["unknown_climate_zone"]


def test_validated_parquet_round_trip(tmp_path, minimal_result):
    paths = write_validated(minimal_result, tmp_path / "validated")
    assert set(paths) == set(minimal_result.datasets)
    back = pd.read_parquet(paths["land_areas"])
    pd.testing.assert_frame_equal(back, minimal_result.datasets["land_areas"])
    assert (
        yaml.safe_load((tmp_path / "validated" / "manifest.json").read_text())["country"] == "IRL"
    )


def test_result_is_picklable(minimal_result):
    clone = pickle.loads(pickle.dumps(minimal_result))
    assert clone.ok and clone.summary == minimal_result.summary


def test_quarantine_of_an_unreadable_package(tmp_path):
    """What tasks.intake.validate_raw builds when reading fails: still a full report."""
    package = tmp_path / "x.zip"
    package.write_bytes(b"not a zip")
    with pytest.raises(SubmissionError) as err:
        read_submission(package)
    result = ValidationResult(ok=False, failures=err.value.failures, datasets={}, manifest={},
                              summary={"n_failures": len(err.value.failures)})  # fmt: skip
    out = write_quarantine(result, tmp_path / "quarantine")
    assert "package_not_zip 1" in (out / "report.txt").read_text()
    assert json.loads((out / "report.json").read_text())["failures"][0]["file"] == "x.zip"
    assert "package_not_zip" in result.to_markdown() and "x.zip" in result.to_html()
