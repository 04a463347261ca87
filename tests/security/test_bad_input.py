"""Bad input that got through or crashed: each attack reproduced, each refused with a message."""

from __future__ import annotations

import time
import zipfile

import pandas as pd
import pytest
from attacks import package, rules, set_cell, submit, zip_entries

from inventory.core import units
from inventory.core.spreadsheet import neutralise_formulas
from inventory.intake import manifest as manifest_schema
from inventory.intake.package import Package, PackageProblem
from inventory.intake.readers import decode_text
from inventory.intake.submission import SubmissionError, read_submission
from inventory.lake import tokens
from inventory.lake.zones import Lake
from inventory.validation import validate


def _validate(path):
    return validate.validate_submission(read_submission(path))


@pytest.mark.parametrize("value", ["inf", "Infinity", "1e309", "-inf"])
@pytest.mark.parametrize(("file", "column"), [("land_areas.csv", "area"), ("factors.csv", "value"),
                                              ("factors.csv", "uncertainty_pct")])  # fmt: skip
def test_non_finite_numbers_are_refused(tmp_path, value, file, column):
    root = package(tmp_path)
    set_cell(root, file, 2, column, value)
    result = _validate(root)
    failure = result.failures[result.failures.rule_id == "not_finite"].iloc[0]
    assert (failure.file, failure.row, failure.column, failure.value) == (file, 2, column, value)


@pytest.mark.parametrize(("file", "column", "value", "rule"), [
    ("land_areas.csv", "area", "2e9", "area_too_large"),
    ("factors.csv", "value", "92000", "factor_value_too_large"),
    ("factors.csv", "uncertainty_pct", "1200", "uncertainty_too_large")])  # fmt: skip
def test_every_numeric_column_has_a_plausible_upper_bound(tmp_path, file, column, value, rule):
    root = package(tmp_path)
    set_cell(root, file, 2, column, value)
    assert rule in rules(_validate(root))


@pytest.mark.parametrize("unit", ["ha/0", "ha**0", "g/kg/0", "ha*10**10**8", "ha)", "1e309 ha"])
def test_unit_arithmetic_is_refused_quickly(tmp_path, unit):
    started = time.perf_counter()
    assert units.check_unit(unit, "ha") is not None
    assert time.perf_counter() - started < 1.0  # 'ha*10**10**8' once froze the API 5.6 min
    root = package(tmp_path)
    set_cell(root, "land_areas.csv", 2, "area_unit", unit)
    assert "unit_invalid" in rules(_validate(root))


def test_yaml_alias_bomb_and_tags_are_refused():
    bomb = b'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + b"".join(
        f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n".encode()
        for p, c in zip("abcdefgh", "bcdefghi", strict=True))  # fmt: skip
    assert len(bomb) < 1000
    manifest, problems = manifest_schema.parse_manifest(bomb)
    assert manifest is None and problems[0]["rule_id"] == "manifest_yaml_unsafe"
    _, problems = manifest_schema.parse_manifest(b"country: !!python/name:os.system KEN\n")
    assert problems[0]["rule_id"] == "manifest_yaml_unsafe"


def test_grid_declaring_ten_billion_cells_is_refused_unread(tmp_path):
    import h5py

    from inventory.validation.grid_checks import check_grid_file

    path = tmp_path / "huge.nc"
    with h5py.File(path, "w") as f:  # declared only: no chunk is ever written
        f.create_dataset("soc_stock", shape=(100_000, 100_000), dtype="f4", chunks=(1000, 1000))
    assert path.stat().st_size < 100_000
    started = time.perf_counter()
    failures = check_grid_file(path, "huge.nc")
    assert list(failures.rule_id) == ["grid_too_large"]
    assert "10,000,000,000 cells" in failures.message.iloc[0]
    assert time.perf_counter() - started < 5


def test_mixed_and_unknown_encodings_are_reported_not_guessed():
    mixed = "zone\nPaysandú\n".encode() + "Río\n".encode("cp1252")
    with pytest.raises(PackageProblem, match="line 3 has a byte that is not UTF-8"):
        decode_text(mixed, "land_areas.csv")
    with pytest.raises(PackageProblem, match="encoding cannot be told"):
        decode_text("name,zone\nМосква,Санкт-Петербург\n".encode("cp1251"), "x.csv")
    assert decode_text("zone\nRío Negro\n".encode("cp1252"), "x.csv") == ("zone\nRío Negro\n",
                                                                          "cp1252")  # fmt: skip


def _corrupt_zips(tmp_path) -> dict[str, bytes]:
    good = zip_entries([("submission.yaml", "country: IRL\n"), ("a.csv", "x\n" * 100)])
    bad_cd = good[: good.rfind(b"PK\x01\x02")] + b"PK\x01\x02garbage"
    crc = bytearray(good)
    crc[good.find(b"x\nx\n") if b"x\nx" in good else 60] ^= 0xFF
    unknown = bytearray(good)
    unknown[8:10] = (99).to_bytes(2, "little")  # local header compression method 99
    unknown[good.find(b"PK\x01\x02") + 10 : good.find(b"PK\x01\x02") + 12] = (99).to_bytes(
        2, "little"
    )
    entries = {"traversal": [("../../etc/x.csv", "x")], "absolute": [("/etc/x.csv", "x")]}
    out = {
        "bad_central_directory": bad_cd,
        "crc": bytes(crc),
        "unknown_compression": bytes(unknown),
    }
    out |= {k: zip_entries([("submission.yaml", "country: IRL\n"), *v]) for k, v in entries.items()}
    link = zipfile.ZipInfo("link.csv")
    link.external_attr = 0o120777 << 16
    buffer = __import__("io").BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("submission.yaml", "country: IRL\n")
        archive.writestr(link, "/etc/passwd")
    out["symlink"] = buffer.getvalue()
    encrypted = bytearray(zip_entries([("submission.yaml", "country: IRL\n")]))
    encrypted[6] |= 1
    encrypted[encrypted.find(b"PK\x01\x02") + 8] |= 1
    out["encrypted"] = bytes(encrypted)
    return out


@pytest.mark.parametrize("kind", ["bad_central_directory", "crc", "unknown_compression",
                                  "traversal", "absolute", "symlink", "encrypted"])  # fmt: skip
def test_corrupt_or_hostile_zips_get_a_report_under_the_senders_country(tmp_path, kind):
    path = tmp_path / f"{kind}.zip"
    path.write_bytes(_corrupt_zips(tmp_path)[kind])
    lake = Lake.at(tmp_path / "lake")
    country, sid, outcome = submit(lake, path, country="KEN")
    assert (country, outcome["accepted"]) == ("KEN", False)
    assert (lake.root / "quarantine" / "KEN" / sid / "report.json").is_file()
    assert not (lake.root / "raw" / "UNKNOWN").exists()


def test_a_token_for_a_code_that_is_not_a_country_is_refused(tmp_path):
    with pytest.raises(tokens.TokenError, match="ISO 3166-1"):
        tokens.create_token(tmp_path / "tokens.json", "ZZZ")
    assert tokens.normalise_country("ken") == "KEN"


def test_user_files_named_like_system_files_or_with_spaces_are_kept_byte_for_byte(tmp_path):
    root = package(tmp_path)
    (root / "receipt.json").write_bytes(b'{"mine": true}')
    (root / "land_areas.csv").rename(root / "land areas.csv")
    yaml_text = (root / "submission.yaml").read_text().replace("land_areas.csv", "land areas.csv")
    (root / "submission.yaml").write_text(yaml_text)
    lake = Lake.at(tmp_path / "lake")
    country, sid, outcome = submit(lake, root)
    stored = lake.raw(country, sid) / "package"
    assert (stored / "receipt.json").read_bytes() == b'{"mine": true}'
    assert (stored / "land areas.csv").is_file() and outcome["accepted"]


def test_csv_formula_cells_are_neutralised():
    frame = pd.DataFrame({"value": ["=cmd|' /C calc'!A0", "+1", "-2", "@SUM(A1)", "ok"],
                          "row": [2, 3, 4, 5, 6]})  # fmt: skip
    out = neutralise_formulas(frame)
    assert out["value"].tolist() == ["'=cmd|' /C calc'!A0", "'+1", "'-2", "'@SUM(A1)", "ok"]
    assert out["row"].tolist() == [2, 3, 4, 5, 6]


def test_quarantine_reports_neither_run_scripts_nor_formulas(tmp_path):
    root = package(tmp_path)
    set_cell(root, "land_areas.csv", 2, "climate_zone", "<script>alert(1)</script>")
    set_cell(root, "land_areas.csv", 3, "soil_class", '=HYPERLINK("http://x")')
    result = _validate(root)
    where = validate.write_quarantine(result, tmp_path / "q")
    for page in [where / "report.html", *(where / "data_docs").glob("*.html")]:
        assert "<script>alert(1)" not in page.read_text(encoding="utf-8"), page.name
    failures = (where / "failures.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in failures and "\n=HYPERLINK" not in failures.replace(",=", "\n=")


def test_validation_gaps_seen_in_held_out_cases(tmp_path):
    root = package(tmp_path)
    header = (root / "land_areas.csv").read_text().splitlines()[0]
    (root / "land_areas.csv").write_text(header + "\n")
    with pytest.raises(SubmissionError, match="header but no data rows"):
        read_submission(root)
    root = package(tmp_path, "forest")
    set_cell(root, "land_areas.csv", 2, "land_use", "forest_land")  # full_tillage, medium
    found = rules(_validate(root))
    assert {"management_land_use_mismatch", "input_land_use_mismatch"} <= found
    root = package(tmp_path, "outside")
    text = (root / "submission.yaml").read_text().replace("factors.csv", "../../etc/passwd")
    (root / "submission.yaml").write_text(text)
    with pytest.raises(SubmissionError) as outside:
        read_submission(root)
    assert set(outside.value.failures.rule_id) == {"file_path_unsafe"}
    assert "outside the package" in outside.value.failures.message.iloc[0]


def test_text_report_never_cuts_a_column_name(tmp_path):
    root = package(tmp_path)
    set_cell(root, "profiles.csv", 2, "coarse_fragments_pct", "250")
    text = _validate(root).to_text()
    assert "coarse_fragments_pct" in text


def test_package_members_are_checked_before_storage_decisions(tmp_path):
    path = tmp_path / "ok.zip"
    path.write_bytes(zip_entries([("submission.yaml", "country: IRL\n")]))
    with Package(path) as opened:
        assert opened.members() == ["submission.yaml"]
