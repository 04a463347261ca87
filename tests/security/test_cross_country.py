"""Attacks on country isolation: one country's upload must never touch another country."""

from __future__ import annotations

import pytest
from attacks import folder_entries, package, submit, tree_digest, zip_entries

from inventory.harmonise import store
from inventory.intake.package import Package, PackageProblem
from inventory.intake.submission import read_submission, receive_submission
from inventory.lake.zones import Lake
from inventory.validation import validate


def _duplicate_manifest_zip(tmp_path, first: str, last: str) -> bytes:
    """submission.yaml twice: the first names ``first``, the last ``last`` (the 2026 attack)."""
    root = package(tmp_path)
    text = (root / "submission.yaml").read_text(encoding="utf-8")
    entries = [e for e in folder_entries(root) if e[0] != "submission.yaml"]
    return zip_entries([("submission.yaml", text.replace("IRL", first)), *entries,
                        ("submission.yaml", text.replace("IRL", last))])  # fmt: skip


def test_zip_with_a_member_twice_is_refused_whichever_copy_is_read(tmp_path):
    path = tmp_path / "dup.zip"
    path.write_bytes(_duplicate_manifest_zip(tmp_path, "KEN", "URY"))
    with pytest.raises(PackageProblem) as refused:
        Package(path)
    assert [f["rule_id"] for f in refused.value.failures] == ["zip_duplicate_member"]
    assert "submission.yaml" in refused.value.failures[0]["message"]


def test_duplicate_data_file_and_case_variants_are_refused_too(tmp_path):
    path = tmp_path / "dup.zip"
    path.write_bytes(zip_entries([("a/land.csv", "x"), ("a/./LAND.csv", "y")]))
    with pytest.raises(PackageProblem, match="more than once"):
        Package(path)


def test_ken_token_with_ury_manifest_changes_nothing_of_ury(tmp_path):
    """The attack end to end: KEN's token sends a package whose (last) manifest says URY."""
    lake = Lake.at(tmp_path / "lake")
    ury = package(tmp_path, "ury")
    (ury / "submission.yaml").write_text((ury / "submission.yaml").read_text().replace(
        "IRL", "URY"))  # fmt: skip
    submit(lake, ury)  # URY's own accepted submission
    before = {z: tree_digest(lake.root / z) for z in ("raw/URY", "harmonised", "validated/URY")}
    attack = tmp_path / "attack.zip"
    attack.write_bytes(_duplicate_manifest_zip(tmp_path, "KEN", "URY"))
    country, sid, outcome = submit(lake, attack, country="KEN")  # filed under the token's country
    assert (country, outcome["accepted"]) == ("KEN", False)
    assert (lake.root / "raw" / "KEN" / sid / "package" / "attack.zip").is_file()
    assert {z: tree_digest(lake.root / z) for z in before} == before  # URY untouched


def test_a_package_naming_another_country_is_never_harmonised(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    receipt = receive_submission(package(tmp_path), lake, country="KEN")  # says IRL inside
    result = validate.validate_stored(receipt)
    assert not result.ok and set(result.failures["rule_id"]) == {"country_not_sender"}
    assert "says country IRL" in result.failures["message"][0]
    store.file_outcome(lake, "KEN", receipt.submission_id, result)
    assert store.harmonised_countries(lake) == []
    forged = validate.validate_submission(read_submission(receipt.package_root))
    with pytest.raises(ValueError, match="filed under KEN"):  # the store's own guard
        store.file_outcome(lake, "KEN", receipt.submission_id, forged)
