"""Issue 22, item 11: file names that collide as paths, and names equal but for case or form.

``x`` then ``x/y`` and a 300-character name gave a 500 and their bytes were not kept; NFC/NFD and
case-variant duplicates were accepted. Now every received byte is kept (the body, under the safe
name ``upload-body.bin``, the received names in the receipt) and the ambiguity is refused with
a message that names both files.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import httpx
import pytest
from attacks import package, zip_entries

from inventory.intake.package import Package, PackageProblem, name_clashes
from inventory.interfaces import uploads
from inventory.lake.zones import Lake

NFC = unicodedata.normalize("NFC", "Río.csv")
NFD = unicodedata.normalize("NFD", "Río.csv")
LONG = "a" * 296 + ".csv"  # 300 characters


def _body(tmp_path: Path, names: list[str]) -> tuple[Path, str]:
    request = httpx.Request(
        "POST",
        "http://x/v1/submissions",
        files=[("files", (n, b"year,area\n", "text/csv")) for n in names],
    )
    path = tmp_path / uploads.BODY_FILE  # where receive_body spools it
    path.write_bytes(request.read())
    return path, request.headers["content-type"]


@pytest.mark.parametrize(("names", "code", "words"), [
    (["x", "x/y"], "ambiguous_file_names", "a file and a folder of the same name"),
    (["x/y", "x"], "ambiguous_file_names", "a file and a folder of the same name"),
    ([NFC, NFD], "ambiguous_file_names", "the same path, ignoring case and Unicode form"),
    (["land_areas.csv", "LAND_AREAS.csv"], "ambiguous_file_names", "ignoring case"),
    ([LONG], "bad_file_name", "(300 characters) is longer than a file system stores"),
])  # fmt: skip
def test_colliding_or_unstorable_upload_names_are_refused_and_every_byte_kept(
    tmp_path, names, code, words
):
    body, content_type = _body(tmp_path, names)
    received_names: list[str] = []
    with pytest.raises(uploads.ApiError) as caught:
        uploads.unpack_body(content_type, body, tmp_path / "package", received_names)
    assert (caught.value.status, caught.value.code) == (400, code)
    assert words in caught.value.message
    assert received_names == names  # every name as received, up to the refusal
    lake = Lake.at(tmp_path / "lake")
    options = uploads.UploadOptions(lake, 10**6, process=lambda *a: {})
    received = uploads.ReceivedUpload(body, tmp_path / "package", [], caught.value, False,
                                      received_names)  # fmt: skip
    outcome = uploads.store_and_check(received, "KEN", options, submitter="t")
    assert outcome.status == 400 and outcome.body["error"] == code
    (receipt,) = (lake.root / "raw" / "KEN").glob("*/receipt.json")
    record = json.loads(receipt.read_text(encoding="utf-8"))
    assert record["received_names"] == names and record["refused"] == code
    stored = receipt.parent / "package" / uploads.BODY_FILE
    assert stored.read_bytes() == body.read_bytes()  # every byte, under a safe name


def test_a_zip_with_a_file_named_like_a_folder_or_nfd_twins_is_refused(tmp_path):
    for pair in (["x", "x/y"], [NFC, NFD], ["a/B.csv", "A/b.csv"]):
        path = tmp_path / "p.zip"
        path.write_bytes(zip_entries([("submission.yaml", "country: IRL\n"),
                                      *((n, "1\n") for n in pair)]))  # fmt: skip
        with pytest.raises(PackageProblem) as caught:
            Package(path)
        (problem,) = caught.value.failures
        assert problem["rule_id"] == "zip_duplicate_member" and problem["value"] == pair[1]


def test_a_folder_with_case_variant_names_is_refused(tmp_path):
    root = package(tmp_path)
    (root / "LAND_AREAS.csv").write_bytes((root / "land_areas.csv").read_bytes())
    with pytest.raises(PackageProblem) as caught:
        Package(root)
    problem = caught.value.failures[0]
    assert problem["rule_id"] == "file_names_ambiguous"
    assert "'land_areas.csv'" in problem["message"] and "'LAND_AREAS.csv'" in problem["message"]


def test_name_clashes_lists_each_clash_once():
    assert name_clashes(["a.csv", "b/c.csv", "B/C.csv", "b"]) == [
        ("B/C.csv", "b/c.csv", "the same path, ignoring case and Unicode form"),
        ("b", "b/c.csv", "a file and a folder of the same name"),
    ]
