"""Receiving and reading submission packages: raw storage, receipts, zip safety, robustness."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import stat
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from submission_cases import MINIMAL, apply, copy_minimal, zip_bytes, zip_folder

from inventory.intake.package import Limits
from inventory.intake.submission import (
    Receipt,
    SubmissionError,
    read_submission,
    receive_submission,
    stored_files_unchanged,
)
from inventory.lake.zones import Lake

MINIMAL_FILES = {p.name: p.read_bytes() for p in MINIMAL.iterdir() if p.is_file()}


def digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}  # fmt: skip


def rules_of(path, **kwargs) -> set[str]:
    with pytest.raises(SubmissionError) as err:
        read_submission(path, **kwargs)
    return set(err.value.failures["rule_id"])


# ---------------------------------------------------------------------------- receiving
def test_folder_is_stored_byte_identical_with_receipt(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    before = digests(MINIMAL)
    receipt = receive_submission(MINIMAL, lake, submitter="analyst@example.org")
    raw = Path(receipt.raw_dir)
    assert raw == lake.raw("IRL", receipt.submission_id) and receipt.country == "IRL"
    stored = digests(raw / "package")  # the user's files, apart from the system's receipt
    assert (raw / "receipt.json").is_file() and "receipt.json" not in stored
    assert stored == before == receipt.sha256
    record = json.loads((raw / "receipt.json").read_text())
    assert record["submitter"] == "analyst@example.org" and record["received_at"]
    assert record["files"]["land_areas.csv"]["size"] == (MINIMAL / "land_areas.csv").stat().st_size
    assert all(not os.stat(raw / "package" / name).st_mode & stat.S_IWUSR for name in stored)
    assert digests(MINIMAL) == before  # the source is untouched
    assert stored_files_unchanged(receipt)


def test_zip_is_stored_as_received_and_readable_from_raw(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    package = zip_folder(MINIMAL, tmp_path / "irl.zip", top="irl")
    receipt = receive_submission(package, lake)
    stored = Path(receipt.raw_dir) / "package" / "irl.zip"
    assert stored.read_bytes() == package.read_bytes()
    assert receipt.package_sha256 == hashlib.sha256(package.read_bytes()).hexdigest()
    assert receipt.package_kind == "zip"
    sub = read_submission(receipt.raw_dir)
    assert sub.country == "IRL"
    assert set(sub.datasets) == {"land_areas", "profiles", "organic_soils", "factors"}


def test_resubmission_gets_a_new_id_and_keeps_the_first(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    first = receive_submission(MINIMAL, lake)
    second = receive_submission(MINIMAL, lake)
    assert first.submission_id != second.submission_id
    assert Path(first.raw_dir).is_dir() and Path(second.raw_dir).is_dir()
    assert stored_files_unchanged(first) and first.sha256 == second.sha256


def test_broken_package_is_stored_under_unknown(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"definitely not a zip")
    receipt = receive_submission(junk, lake)
    assert receipt.country == "UNKNOWN"
    assert (Path(receipt.raw_dir) / "package" / "junk.zip").read_bytes() == b"definitely not a zip"
    assert "package_not_zip" in rules_of(receipt.raw_dir)
    assert (Path(receipt.raw_dir) / "package" / "junk.zip").read_bytes() == b"definitely not a zip"


def test_raw_bytes_unchanged_after_rejection(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    package = apply(copy_minimal(tmp_path / "pkg"), {"yaml": {"tier": 7}})
    receipt = receive_submission(package, lake)
    before = digests(Path(receipt.raw_dir))
    assert "manifest_tier" in rules_of(receipt.raw_dir)
    assert digests(Path(receipt.raw_dir)) == before and stored_files_unchanged(receipt)


def test_receipt_is_picklable_and_hashable(tmp_path):
    receipt = receive_submission(MINIMAL, Lake.at(tmp_path / "lake"))
    clone = pickle.loads(pickle.dumps(receipt))
    assert clone == receipt and isinstance(hash(receipt), int) and isinstance(clone, Receipt)


def test_folder_symlinks_are_neither_followed_nor_copied(tmp_path):
    package = copy_minimal(tmp_path / "pkg")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not copy")
    (package / "link.txt").symlink_to(secret)
    receipt = receive_submission(package, Lake.at(tmp_path / "lake"))
    assert not (Path(receipt.raw_dir) / "package" / "link.txt").exists()
    record = json.loads((Path(receipt.raw_dir) / "receipt.json").read_text())
    assert record["skipped_symlinks"] == ["link.txt"]


# ---------------------------------------------------------------------------- package safety
def test_symlinked_data_file_is_refused(tmp_path):
    package = copy_minimal(tmp_path / "pkg")
    target = tmp_path / "elsewhere.csv"
    (package / "factors.csv").rename(target)
    (package / "factors.csv").symlink_to(target)
    assert "file_symlink" in rules_of(package)


def _zip_with(tmp_path: Path, extra: dict[str, bytes | str], name="p.zip") -> Path:
    path = tmp_path / name
    path.write_bytes(zip_bytes({**MINIMAL_FILES, **extra}))
    return path


@pytest.mark.parametrize("entry", ["../evil.csv", "/etc/evil.csv", "a/../../evil.csv",
                                   "C:/evil.csv"])  # fmt: skip
def test_zip_path_traversal_is_refused(tmp_path, entry):
    assert "zip_unsafe_path" in rules_of(_zip_with(tmp_path, {entry: "x"}))


def test_zip_symlink_entry_is_refused(tmp_path):
    path = tmp_path / "link.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in MINIMAL_FILES.items():
            archive.writestr(name, content)
        info = zipfile.ZipInfo("profiles_link.csv")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    assert "zip_symlink" in rules_of(path)


def test_zip_bomb_ratio_is_refused(tmp_path):
    bomb = b"\0" * (8 * 1024 * 1024)  # deflates ~1000x
    assert "zip_bomb" in rules_of(_zip_with(tmp_path, {"padding.bin": bomb}))


def test_zip_total_and_file_size_limits(tmp_path):
    path = _zip_with(tmp_path, {})
    assert "zip_too_large" in rules_of(path, limits=Limits(max_total_bytes=1000))
    assert "file_too_large" in rules_of(path, limits=Limits(max_file_bytes=200))
    assert "file_too_large" in rules_of(MINIMAL, limits=Limits(max_file_bytes=200))


def test_corrupt_and_non_zip_packages(tmp_path):
    good = zip_bytes(MINIMAL_FILES)
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(good[: len(good) // 2] + good[-22:])  # keep the end record
    assert rules_of(truncated) & {"zip_corrupt", "package_not_zip", "csv_malformed",
                                  "file_missing", "missing_submission_yaml"}  # fmt: skip
    text = tmp_path / "package.txt"
    text.write_text("hello")
    assert rules_of(text) == {"package_not_zip"}


def test_zipped_folder_with_top_directory_is_read(tmp_path):
    sub = read_submission(zip_folder(MINIMAL, tmp_path / "p.zip", top="IRL 2024"))
    assert sub.manifest["country"] == "IRL" and len(sub.datasets["profiles"]) == 9
    assert sub.datasets["profiles"].index[0] == 2  # spreadsheet row numbers


def test_missing_path_is_a_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_submission(tmp_path / "nothing")
    with pytest.raises(FileNotFoundError):
        receive_submission(tmp_path / "nothing", Lake.at(tmp_path / "lake"))


# ---------------------------------------------------------------------------- robustness
ONE_FILE_YAML = """country: IRL
contact: {name: Fuzz, email: fuzz@example.org}
years: [2018, 2020]
tier: 1
approach: 1
files: {land_areas: land_areas.csv}
"""
FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip


def _read_never_crashes(path: Path) -> None:
    try:
        read_submission(path)
    except SubmissionError as err:
        assert len(err.failures) and err.failures["rule_id"].notna().all()


@FUZZ
@given(data=st.binary(max_size=2000))
def test_arbitrary_csv_bytes_never_crash(tmp_path, data):
    package = tmp_path / "fuzz_csv"
    package.mkdir(exist_ok=True)
    (package / "submission.yaml").write_text(ONE_FILE_YAML, encoding="utf-8")
    (package / "land_areas.csv").write_bytes(data)
    _read_never_crashes(package)


@FUZZ
@given(data=st.binary(max_size=2000))
def test_arbitrary_yaml_bytes_never_crash(tmp_path, data):
    package = tmp_path / "fuzz_yaml"
    package.mkdir(exist_ok=True)
    (package / "submission.yaml").write_bytes(data)
    _read_never_crashes(package)


@FUZZ
@given(data=st.binary(max_size=2000), cut=st.integers(min_value=0, max_value=4000))
def test_arbitrary_zip_bytes_never_crash(tmp_path, data, cut):
    good = zip_bytes(MINIMAL_FILES)
    path = tmp_path / "fuzz.zip"
    path.write_bytes(good[:cut] + data + good[cut:])  # also random bytes inside a real zip
    _read_never_crashes(path)


@FUZZ
@given(text=st.text(max_size=300))
def test_arbitrary_yaml_text_never_crashes(tmp_path, text):
    package = tmp_path / "fuzz_text"
    package.mkdir(exist_ok=True)
    (package / "submission.yaml").write_text(text, encoding="utf-8")
    _read_never_crashes(package)
