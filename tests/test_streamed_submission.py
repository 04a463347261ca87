"""The submission path with a profiles file validated and harmonised in batches (issue 24).

Every test submits the same package twice through the real intake functions (store in raw/,
``validate_stored``, ``store.file_outcome``; one test through ``soc-inventory submit``): once
read whole (the profiles file is below ``SOILC_STREAM_PROFILES_MB``) and once in batches
(threshold 0, a few rows per batch, so profiles and bad rows straddle batches and harmonisation
partitions), and checks that the failure table, the report, the accept/reject decision, the
validated Parquet and the harmonised datasets are the same.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from submission_cases import MINIMAL, zip_folder
from test_streaming import BAD, GOOD, HEADER, _profiles_lines

from inventory.harmonise import methods, profiles_file, store
from inventory.intake.package import Limits
from inventory.intake.submission import read_submission, receive_submission
from inventory.lake.zones import Lake
from inventory.validation import validate

BATCH_ROWS = 7  # rows per batch (validation) and per partition (harmonisation) when streamed


def _package(tmp_path: Path, name: str, body: str | bytes, *, file: str = "profiles.csv") -> Path:
    package = tmp_path / name
    shutil.copytree(MINIMAL, package)
    (package / "profiles.csv").unlink()
    target = package / file
    target.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    if file != "profiles.csv":
        manifest = package / "submission.yaml"
        text = manifest.read_text(encoding="utf-8").replace("profiles.csv", file)
        manifest.write_text(text, encoding="utf-8")
    return package


def _mode(monkeypatch, streamed: bool) -> None:
    monkeypatch.setenv("SOILC_STREAM_PROFILES_MB", "0" if streamed else "100000")
    monkeypatch.setenv("SOILC_PROFILE_BATCH_ROWS", str(BATCH_ROWS))


def _submit(tmp_path: Path, package: Path, monkeypatch, *, streamed: bool, limits=None):
    """Store, validate and file ``package`` as the intake flow does; the lake, receipt, the
    validation result and the outcome."""
    _mode(monkeypatch, streamed)
    lake = Lake.at(tmp_path / ("lake-streamed" if streamed else "lake-whole"))
    receipt = receive_submission(package, lake)
    result = validate.validate_stored(receipt, limits=limits)
    if result.manifest:  # validated (not refused as a package)
        assert ("profiles" in result.batched) is streamed
    outcome = store.file_outcome(lake, receipt.country, receipt.submission_id, result)
    return lake, receipt, result, outcome


def _both(tmp_path: Path, package: Path, monkeypatch, **kwargs):
    return (_submit(tmp_path, package, monkeypatch, streamed=False, **kwargs),
            _submit(tmp_path, package, monkeypatch, streamed=True, **kwargs))  # fmt: skip


def _same_summary(whole: dict, streamed: dict) -> None:
    drop = ("seconds", "package")
    assert {k: v for k, v in whole.items() if k not in drop} == {
        k: v for k, v in streamed.items() if k not in drop}  # fmt: skip


def _same_rejection(whole, streamed) -> None:
    (_, w_receipt, w_result, w_outcome), (_, receipt, result, outcome) = whole, streamed
    assert not w_outcome["accepted"] and not outcome["accepted"]
    assert outcome["failures"] == w_outcome["failures"]
    pd.testing.assert_frame_equal(result.failures, w_result.failures)
    _same_summary(w_result.summary, result.summary)
    where = Path(outcome["report"])
    w_where = Path(w_outcome["report"])
    for name in ("failures.csv", "report.txt"):
        assert (where / name).read_text(encoding="utf-8") == (w_where / name).read_text(
            encoding="utf-8").replace(w_receipt.submission_id, receipt.submission_id)  # fmt: skip
    assert json.loads((where / "report.json").read_text())["failures"] == json.loads(
        (w_where / "report.json").read_text())["failures"]  # fmt: skip
    assert (where / "data_docs" / "profiles.html").is_file()  # GX on the first batch


def _harmonised(lake: Lake, dataset: str) -> pd.DataFrame:
    return pd.read_parquet(lake.harmonised(dataset, "IRL") / "part-0.parquet").drop(
        columns="submission_id")  # fmt: skip


def _same_acceptance(whole, streamed) -> None:
    (w_lake, w_receipt, w_result, w_outcome), (lake, receipt, result, outcome) = whole, streamed
    assert w_outcome["accepted"] and outcome["accepted"], result.failures
    assert outcome["status"] == w_outcome["status"] == "current"
    assert outcome["flags"] == w_outcome["flags"]
    _same_summary(w_result.summary, result.summary)
    validated = pd.read_parquet(lake.validated("IRL", receipt.submission_id) / "profiles.parquet")
    pd.testing.assert_frame_equal(validated, pd.read_parquet(
        w_lake.validated("IRL", w_receipt.submission_id) / "profiles.parquet"))  # fmt: skip
    for dataset in ("profiles", "profile_horizons"):
        pd.testing.assert_frame_equal(_harmonised(lake, dataset), _harmonised(w_lake, dataset))
        tags = pd.read_parquet(lake.harmonised(dataset, "IRL") / "part-0.parquet")["submission_id"]
        assert set(tags) == {receipt.submission_id}
    for dataset in ("land_areas", "organic_soils", "factors"):
        pd.testing.assert_frame_equal(_harmonised(lake, dataset), _harmonised(w_lake, dataset))


# ---------------------------------------------------------------------------- valid profiles
def valid_profiles(*, seed: int = 24, profiles: int = 23, shuffle: bool = True) -> pd.DataFrame:
    """Valid horizons that exercise every harmonisation step: units, methods, missing bulk
    density (imputed; not above 120 g/kg), missing coarse fragments, gaps, profile ids whose
    sorted order is not the file's (upper and lower case, accents), and (``shuffle``) profiles
    scattered over the file."""
    rng = np.random.default_rng(seed)
    rows = []
    for p in range(profiles):
        pid = ("P-", "p-", "É-", "P_")[p % 4] + f"{(p * 7) % profiles:03d}"
        year = 2010 + p % 11
        grass = p % 3 == 0
        depth, layers = 0, 2 + p % 4
        for layer in range(layers):
            top = depth + (5 if layer == 2 and p % 5 == 0 else 0)  # a gap in some profiles
            bottom = top + int(rng.integers(5, 40))
            depth = bottom
            soc = round(float(rng.gamma(4.0, 6.0)) / (1 + layer), 2)
            unit, method = "g/kg", "dry_combustion"
            if p % 4 == 1:
                unit, soc = "%", round(soc / 10, 3)
            if p % 6 == 2:
                method = "walkley_black"
            if p == 5 and layer == 0:
                soc, unit = 300.0, "g/kg"  # organic material: no BD imputed, stock NaN
            bd = "" if (p + layer) % 5 == 0 else f"{rng.uniform(0.9, 1.6):.2f}"
            rows.append({
                "profile_id": pid, "lat": f"{51.5 + p / 10:.2f}", "lon": f"{-9 + p / 20:.2f}",
                "year": str(year), "land_use": "grassland" if grass else "cropland",
                "management": "nominal" if grass else "full_tillage",
                "input": "not_applicable" if grass else "medium",
                "climate_zone": "cool_temperate_moist", "soil_class": "hac",
                "upper_cm": str(top), "lower_cm": str(bottom), "soc": str(soc),
                "soc_unit": unit, "soc_method": method, "bulk_density": bd,
                "bd_unit": "g/cm3" if bd else "",
                "coarse_fragments_pct": "" if layer == 1 else f"{rng.uniform(0, 20):.1f}",
            })  # fmt: skip
    frame = pd.DataFrame(rows)
    if shuffle:
        frame = frame.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    else:
        frame = frame.sort_values(["profile_id", "year"], kind="stable").reset_index(drop=True)
    return frame


@pytest.mark.parametrize("shuffle", [True, False], ids=["scattered", "sorted"])
def test_valid_profiles_accepted_with_identical_harmonised_output(tmp_path, monkeypatch, shuffle):
    table = valid_profiles(shuffle=shuffle)
    assert len(table) > 4 * BATCH_ROWS
    package = _package(tmp_path, "pkg", table.to_csv(index=False))
    whole, streamed = _both(tmp_path, package, monkeypatch)
    _same_acceptance(whole, streamed)
    batched = streamed[2].batched["profiles"]
    assert batched["batches"] == -(-len(table) // BATCH_ROWS) and batched["streamed"]
    flags = streamed[3]["flags"]
    assert flags["profiles_bd_imputed"] > 0 and flags["profiles_cleaning"] > 0  # organic layer


def test_rejected_profiles_same_failures_rows_columns_values(tmp_path, monkeypatch):
    body = "\n".join([HEADER, *_profiles_lines()]) + "\n"
    whole, streamed = _both(tmp_path, _package(tmp_path, "pkg", body), monkeypatch)
    _same_rejection(whole, streamed)
    failures = streamed[2].failures
    # BAD[0] (SOC 900 g/kg) is spreadsheet row 5: header, S-1 twice, then G-0
    soc = failures[failures["rule_id"] == "soc_out_of_range"]
    assert soc[["file", "row", "column", "value"]].values.tolist() == [
        ["profiles.csv", 5, "soc", "900"]]  # fmt: skip
    last = len(_profiles_lines()) + 1  # the last line repeats row 3 (profile S-1, 10-20 cm)
    dup = failures[(failures["rule_id"] == "duplicate_horizon") & (failures["row"] == last)]
    assert dup[["column", "value"]].values.tolist() == [["upper_cm", "10-20"]]
    assert "row 3" in dup["message"].iloc[0]
    assert streamed[2].batched["profiles"]["batches"] > 5
    assert "left_out_rows" in streamed[2].summary
    assert not any(streamed[0].root.rglob(".spool-*"))  # the rejected rows are not kept


def test_a_large_profiles_file_streams_past_the_whole_file_limit(tmp_path, monkeypatch):
    """Files read whole stay limited to max_file_bytes; a profiles file validated in batches
    may be larger (up to max_streamed_file_bytes) and is accepted."""
    body = valid_profiles().to_csv(index=False)
    half = len(body) // 2
    package = _package(tmp_path, "pkg", body)
    _mode(monkeypatch, streamed=False)
    refused = validate.validate_stored(receive_submission(package, Lake.at(tmp_path / "a")),
                                       limits=Limits(max_file_bytes=half))  # fmt: skip
    assert set(refused.failures["rule_id"]) == {"file_too_large"}
    _, receipt, result, outcome = _submit(tmp_path, package, monkeypatch, streamed=True,
                                          limits=Limits(max_file_bytes=half,
                                                        stream_file_bytes=half))  # fmt: skip
    assert outcome["accepted"], result.failures
    tiny = Limits(max_file_bytes=half, max_streamed_file_bytes=half, stream_file_bytes=0)
    refused = validate.validate_stored(receive_submission(package, Lake.at(tmp_path / "b")),
                                       limits=tiny)  # fmt: skip
    (record,) = refused.failure_records()
    assert (record["rule_id"], record["file"]) == ("file_too_large", "profiles.csv")


# ---------------------------------------------------------------------------- file variants
def _bad_body(delimiter: str = ",", newline: str = "\n") -> str:
    lines = [HEADER, *_profiles_lines()]
    if delimiter == ";":  # decimal comma: 53.3 -> 53,3; cells holding a comma are quoted
        import csv
        import io

        rows = list(csv.reader(lines))
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\n")
        for row in rows:
            writer.writerow([c.replace(".", ",") if c.replace(".", "").isdigit() else c
                             for c in row])  # fmt: skip
        lines = out.getvalue().splitlines()
    return newline.join(lines) + newline


@pytest.mark.parametrize(
    ("body", "streams"),
    [
        (_bad_body(newline="\r\n"), True),
        ("\ufeff" + _bad_body(), True),
        (_bad_body(delimiter=";"), True),
        (_bad_body().replace(BAD[0], BAD[0].replace("B-01", "B-01é")).encode("cp1252"), False),
    ],
    ids=["crlf", "utf8-bom", "semicolon-decimal-comma", "windows-1252"],
)
def test_file_variants_give_the_whole_file_report(tmp_path, monkeypatch, body, streams):
    whole, streamed = _both(tmp_path, _package(tmp_path, "pkg", body), monkeypatch)
    _same_rejection(whole, streamed)
    assert streamed[2].batched["profiles"]["streamed"] is streams


def test_a_non_utf8_file_too_large_to_read_whole_is_refused(tmp_path, monkeypatch):
    """Windows-1252 text is read whole (Arrow streams UTF-8 only): above max_file_bytes it is
    refused with a readable reason and fix instead of being loaded into memory."""
    body = valid_profiles().to_csv(index=False).replace("P-001", "P-001é").encode("cp1252")
    package = _package(tmp_path, "pkg", body)
    limits = Limits(max_file_bytes=len(body) // 2, stream_file_bytes=0)
    _, _, result, outcome = _submit(tmp_path, package, monkeypatch, streamed=True, limits=limits)
    assert not outcome["accepted"]
    (record,) = result.failure_records()
    assert (record["file"], record["rule_id"]) == ("profiles.csv", "file_not_streamable")
    assert "UTF-8" in record["fix"]
    assert (Path(outcome["report"]) / "report.txt").is_file()


def test_zipped_package(tmp_path, monkeypatch):
    table = valid_profiles()
    folder = _package(tmp_path, "pkg", table.to_csv(index=False))
    archive = zip_folder(folder, tmp_path / "pkg.zip", top="pkg")
    _same_acceptance(*_both(tmp_path, archive, monkeypatch))


def test_parquet_profiles(tmp_path, monkeypatch):
    """A typed Parquet file (numbers as numbers) streams by row groups: same outcome."""
    table = valid_profiles()
    for column in ("lat", "lon", "upper_cm", "lower_cm", "soc"):
        table[column] = table[column].astype("float64")
    table["year"] = table["year"].astype("int64")
    package = _package(tmp_path, "pkg", b"", file="profiles.parquet")
    table.to_parquet(package / "profiles.parquet", row_group_size=5)
    _same_acceptance(*_both(tmp_path, package, monkeypatch))
    table.loc[3, "soc"] = 900.0  # out of range
    table.loc[11, "land_use"] = "moon"
    table.to_parquet(package / "profiles.parquet", row_group_size=5)
    whole, streamed = _both(tmp_path / "bad", package, monkeypatch)
    _same_rejection(whole, streamed)
    assert set(streamed[2].failures["row"].dropna()) >= {5, 13}


def test_refused_soc_methods_raise_the_same_error(tmp_path, monkeypatch):
    """total_carbon passes validation but harmonisation refuses it (not declared
    inorganic-free): the partitioned harmonisation raises the whole error, every row listed."""
    table = valid_profiles()
    table.loc[[2, 30, 57], "soc_method"] = "total_carbon"
    package = _package(tmp_path, "pkg", table.to_csv(index=False))
    errors = []
    for streamed in (False, True):
        _mode(monkeypatch, streamed)
        lake = Lake.at(tmp_path / f"lake-{streamed}")
        receipt = receive_submission(package, lake)
        result = validate.validate_stored(receipt)
        assert result.ok
        with pytest.raises(methods.MethodError) as err:
            store.file_outcome(lake, receipt.country, receipt.submission_id, result)
        errors.append(err.value.errors)
    pd.testing.assert_frame_equal(errors[1], errors[0])
    assert len(errors[0]) == 3


# ---------------------------------------------------------------------------- the pieces
@pytest.mark.parametrize("shuffle", [True, False], ids=["scattered", "sorted"])
@pytest.mark.parametrize("partition_rows", [1, 5, 1000])
def test_partitioned_harmonisation_equals_whole(tmp_path, partition_rows, shuffle):
    from inventory.harmonise.profiles import harmonise_profiles

    package = _package(tmp_path, "pkg", valid_profiles(shuffle=shuffle).to_csv(index=False))
    sub = read_submission(package)
    result = validate.validate_submission(sub)
    canonical = result.datasets["profiles"]
    spool = tmp_path / "canonical.parquet"
    canonical.to_parquet(spool, row_group_size=3)
    whole = harmonise_profiles(canonical.assign(country="IRL"))
    out = profiles_file.harmonise_profiles_file(spool, tmp_path / "out", submission_id="sub-x",
                                                partition_rows=partition_rows)  # fmt: skip
    for dataset, frame in (("profiles", whole.intervals), ("profile_horizons", whole.horizons)):
        written = pd.read_parquet(out.paths[dataset])
        assert set(written.pop("submission_id")) == {"sub-x"}
        pd.testing.assert_frame_equal(written, frame)
    assert out.cleaning_rows == len(whole.cleaning)
    assert out.bd_imputed == int(whole.horizons["bd_imputed"].sum())
    assert out.partitions == 1 if partition_rows >= len(canonical) else out.partitions > 5
    assert out.in_file_order is (not shuffle or out.partitions == 1)
    assert not (tmp_path / "out" / "parts").exists()  # the temporary parts are removed
    assert pq.ParquetFile(out.paths["profile_horizons"]).metadata.num_rows == len(whole.horizons)


def test_good_line_template_is_valid():
    """The streaming tests' GOOD line is a valid horizon (guards the fixtures above)."""
    assert GOOD.count(",") == HEADER.count(",")


@pytest.mark.prefect
def test_cli_submit_streams_the_profiles_file(tmp_path, prefect_harness, monkeypatch, capsys):
    """``soc-inventory submit`` (the intake flow): the rejected package prints the whole-file
    report; the valid one is harmonised as the whole-file path harmonises it."""
    from inventory.interfaces import cli

    bad = _package(tmp_path, "bad", "\n".join([HEADER, *_profiles_lines()]) + "\n")
    good = _package(tmp_path, "good", valid_profiles().to_csv(index=False))
    whole_bad = _submit(tmp_path / "w1", bad, monkeypatch, streamed=False)
    whole_good = _submit(tmp_path / "w2", good, monkeypatch, streamed=False)
    _mode(monkeypatch, streamed=True)
    lake = tmp_path / "cli-lake"
    capsys.readouterr()
    assert cli.main(["--lake", str(lake), "submit", str(bad)]) == cli.EXIT_REJECTED
    out = capsys.readouterr().out
    expected = (Path(whole_bad[3]["report"]) / "report.txt").read_text(encoding="utf-8")
    assert expected in out  # the same report, word for word
    assert cli.main(["--lake", str(lake), "submit", str(good)]) == cli.EXIT_OK
    for dataset in ("profiles", "profile_horizons"):
        pd.testing.assert_frame_equal(_harmonised(Lake.at(lake), dataset),
                                      _harmonised(whole_good[0], dataset))  # fmt: skip
    assert not list((lake / "validated" / "IRL").glob(".spool-*"))  # the spool is removed
