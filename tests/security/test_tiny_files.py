"""Issue 22, items 5 and 10: tiny files that cause large work, and workbooks that hide things.

Each case was reproduced before the fix (the numbers it cost are in the test's docstring); the
bounds are asserted loosely (CPU time and traced memory under generous ceilings, never a race).
"""

from __future__ import annotations

import io
import resource
import struct
import tracemalloc
import zipfile

import openpyxl
import pytest
from attacks import package, patch_zip, submit, use_file, xlsx_of_csv

from inventory.core import limits
from inventory.intake import manifest as manifest_schema
from inventory.intake.package import Package, PackageProblem
from inventory.intake.readers import read_xlsx_bytes
from inventory.intake.submission import SubmissionError, read_submission
from inventory.lake.zones import Lake
from inventory.validation import validate


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _land_areas_xlsx(tmp_path, **edits) -> bytes:
    return patch_zip(xlsx_of_csv(package(tmp_path, "src") / "land_areas.csv"), edits)


def test_a_sheet_declaring_a1_to_xfd1048576_is_read_with_bounded_work(tmp_path):
    """1.7 KB declaring A1:XFD1048576 cost minutes of CPU (openpyxl padded every row to 16384
    columns); now the cells present are read and nothing else."""
    data = _land_areas_xlsx(tmp_path, **{"xl/worksheets/sheet1.xml": lambda x: x.replace(
        '<dimension ref="A1:H13" />', '<dimension ref="A1:XFD1048576" />')})  # fmt: skip
    assert b"XFD1048576" in zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert len(data) < 10_000
    before = _cpu_seconds()
    frame, _ = read_xlsx_bytes(data, "land_areas.xlsx")
    assert _cpu_seconds() - before < 5  # was minutes
    # 12 records, rows 2-13; row 2 is 2018 cropland full_tillage 1500 ha
    assert list(frame.index) == list(range(2, 14)) and frame.loc[2, "area"] == "1500"


def test_a_cell_far_right_is_refused_naming_it(tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["year", "area"])
    book.active.cell(row=7, column=16384, value="x")  # XFD7
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(PackageProblem) as caught:
        read_xlsx_bytes(buffer.getvalue(), "land_areas.xlsx")
    problem = caught.value.failures[0]
    assert problem["rule_id"] == "xlsx_too_wide" and "cell XFD7" in problem["message"]
    assert f"the {limits.XLSX_MAX_COLUMNS}th" in problem["message"]


def test_a_formula_cell_with_a_stale_cached_value_is_refused(tmp_path):
    """'=1500*1000' cached as 1500 was read as 1500 ha, silently."""
    data = _land_areas_xlsx(
        tmp_path,
        **{
            "xl/worksheets/sheet1.xml": lambda x: x.replace(
                '<c r="G2" t="n"><v>1500</v></c>', '<c r="G2"><f>1500*1000</f><v>1500</v></c>'
            )
        },
    )
    assert b"<f>1500*1000</f>" in zipfile.ZipFile(io.BytesIO(data)).read(
        "xl/worksheets/sheet1.xml")  # fmt: skip
    with pytest.raises(PackageProblem) as caught:
        read_xlsx_bytes(data, "land_areas.xlsx")
    (problem,) = caught.value.failures
    assert (problem["rule_id"], problem["row"], problem["column"], problem["value"]) == (
        "xlsx_formula",
        2,
        "area",
        "=1500*1000",
    )
    assert "cell G2" in problem["message"] and "Paste Special > Values" in problem["fix"]


def _two_sheet_book(tmp_path, first: str, state: str) -> bytes:
    book = openpyxl.Workbook()
    decoy = book.active
    decoy.title = first
    decoy.append(["year", "climate_zone", "soil_class", "land_use", "management", "input",
                  "area", "area_unit"])  # fmt: skip
    decoy.append([2018, "cool_temperate_moist", "hac", "cropland", "full_tillage", "medium",
                  999999, "ha"])  # fmt: skip
    decoy.sheet_state = state
    real = book.create_sheet("Sheet2")
    source = openpyxl.load_workbook(io.BytesIO(xlsx_of_csv(package(tmp_path, "s") /
                                                           "land_areas.csv"))).active  # fmt: skip
    for row in source.iter_rows(values_only=True):
        real.append(row)
    book.active = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_a_hidden_first_sheet_is_not_read_and_the_report_says_so(tmp_path):
    """The hidden first sheet (999999 ha) was read in place of the visible one."""
    root = package(tmp_path)
    use_file(root, "land_areas", "land_areas.xlsx", _two_sheet_book(tmp_path, "old", "hidden"))
    result = validate.validate_submission(read_submission(root))
    assert result.ok, result.failures
    assert result.datasets["land_areas"]["area"].iloc[0] == 1500.0  # the visible sheet's row 2
    assert result.summary["ignored"] == {"land_areas.xlsx": ["sheet 'old' (hidden)"]}
    assert "land_areas.xlsx: not read: sheet 'old' (hidden)" in result.to_text()


def test_two_visible_data_sheets_are_refused_as_ambiguous(tmp_path):
    with pytest.raises(PackageProblem) as caught:
        read_xlsx_bytes(_two_sheet_book(tmp_path, "old", "visible"), "areas.xlsx",
                        sheet="land_areas")  # fmt: skip
    problem = caught.value.failures[0]
    assert problem["rule_id"] == "xlsx_sheet_ambiguous"
    assert "2 visible data sheets ('old', 'Sheet2')" in problem["message"]
    assert "'land_areas'" in problem["fix"]


def test_the_sheet_named_like_the_dataset_is_read(tmp_path):
    frame, fmt = read_xlsx_bytes(_two_sheet_book(tmp_path, "land_areas", "visible"),
                                 "areas.xlsx", sheet="land_areas")  # fmt: skip
    assert frame.loc[2, "area"] == "999999" and fmt.ignored == ("sheet 'Sheet2' (visible)",)


def test_a_workbook_with_macros_is_refused(tmp_path):
    root = package(tmp_path)
    data = _land_areas_xlsx(tmp_path, **{"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})
    use_file(root, "land_areas", "land_areas.xlsm", data)
    with pytest.raises(SubmissionError) as caught:
        read_submission(root)
    row = caught.value.failures.iloc[0]
    assert (row.rule_id, row.file) == ("xlsx_macro", "land_areas.xlsm")
    assert "xl/vbaProject.bin" in row.message


def _lying_zip(tmp_path, declared: int, real: bytes) -> bytes:
    """A package zip whose member big.csv declares ``declared`` bytes but inflates to ``real``."""
    root = package(tmp_path, "z")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(root.iterdir()):
            archive.writestr(path.name, path.read_bytes())
        archive.writestr("big.csv", real)
    data = bytearray(buffer.getvalue())
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("big.csv")
    struct.pack_into("<I", data, info.header_offset + 22, declared)  # local header
    struct.pack_into("<I", data, data.rfind(b"PK\x01\x02") + 24, declared)  # central directory
    return bytes(data)


def test_a_deflate_stream_declaring_421_bytes_is_not_inflated_to_200_mib(tmp_path):
    """Declared 421 bytes, inflating to 200 MiB: reading it cost 399 MiB (437 MiB traced)."""
    path = tmp_path / "bomb.zip"
    path.write_bytes(_lying_zip(tmp_path, 421, b"0," * (100 * limits.MiB)))
    assert path.stat().st_size < 300_000
    tracemalloc.start()
    try:
        with Package(path) as pkg, pytest.raises(PackageProblem) as caught:
            pkg.read("big.csv")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * limits.MiB  # one 1 MiB piece at a time (measured 2.4 MiB)
    assert caught.value.failures[0]["rule_id"] == "zip_corrupt"  # the stream is not 421 bytes


def test_inflation_is_counted_while_inflating_and_cut_past_the_limit(tmp_path):
    from inventory.intake.package import InflateLimit, inflate_bounded

    path = tmp_path / "big.zip"
    path.write_bytes(_lying_zip(tmp_path, 3 * limits.MiB, b"0" * (3 * limits.MiB)))
    with zipfile.ZipFile(path) as archive, pytest.raises(InflateLimit) as caught:
        inflate_bounded(archive, archive.getinfo("big.csv"), 2000)
    # stopped after the first piece: 1 MiB = 1,048,576 bytes > 2,000, not after 3 MiB
    assert caught.value.inflated == 1_048_576


def test_an_xlsx_part_lying_about_its_size_is_refused_before_openpyxl(tmp_path):
    data = bytearray(patch_zip(_land_areas_xlsx(tmp_path), {"xl/big.xml": b"<a/>" * 2**20}))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("xl/big.xml")
    struct.pack_into("<I", data, info.header_offset + 22, 421)
    central = bytes(data).find(b"PK\x01\x02" + bytes(data[info.header_offset + 4:
                                                           info.header_offset + 26]))  # fmt: skip
    struct.pack_into("<I", data, central + 24 if central > 0 else 0, 421)
    with pytest.raises(PackageProblem) as caught:
        read_xlsx_bytes(bytes(data), "land_areas.xlsx")
    assert caught.value.failures[0]["rule_id"] == "xlsx_unreadable"


NESTED = b"country: IRL\nx: " + b"[" * 600 + b"]" * 600 + b"\n"


def test_submission_yaml_nested_600_levels_is_refused_not_a_recursion_error():
    """Gave RecursionError: a 500 over the API, a traceback in the CLI."""
    manifest, problems = manifest_schema.parse_manifest(NESTED)
    assert manifest is None and problems[0]["rule_id"] == "manifest_yaml_unsafe"
    # the document's mapping is level 1: the 20th '[' opens level 21 > 20, at column
    # len('x: ') + 20 = 23 of line 2
    assert problems[0]["message"] == (
        "submission.yaml (line 2, column 23): lists or mappings "
        f"nested more than {limits.YAML_MAX_DEPTH} levels deep"
    )


def test_a_deeply_nested_submission_is_filed_as_rejected_with_a_report(tmp_path):
    root = package(tmp_path)
    (root / "submission.yaml").write_bytes(
        (root / "submission.yaml").read_bytes() + b"notes: " + b"{a: " * 600 + b"}" * 600 + b"\n"
    )
    lake = Lake.at(tmp_path / "lake")
    country, sid, outcome = submit(lake, root, country="IRL")
    assert outcome["accepted"] is False
    report = (lake.root / "quarantine" / "IRL" / sid / "report.json").read_text()
    assert "manifest_yaml_unsafe" in report and "nested more than 20 levels" in report


def test_an_8_kb_netcdf_declaring_a_5e7_point_axis_is_refused_before_allocation(tmp_path):
    """xarray loaded the declared axis as an index: 1,400 MiB traced (1,583 MiB max RSS)."""
    import h5netcdf

    from inventory.intake import grid_format
    from inventory.validation.grid_checks import check_grid_file

    path = tmp_path / "soc_map.nc"
    with h5netcdf.File(path, "w") as f:  # declared only: no chunk of lat is written
        f.dimensions = {"lat": 50_000_000, "lon": 2}
        f.create_variable("lat", ("lat",), "f8", chunks=(1_000_000,))
        f.create_variable("lon", ("lon",), "f8")[:] = [0.0, 1.0]
        f.create_variable("soc_stock", ("lat", "lon"), "f4", chunks=(1_000_000, 2))
    assert path.stat().st_size < 10_000
    tracemalloc.start()
    try:
        failures = check_grid_file(path, "soc_map.nc")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * limits.MiB  # measured 0.2 MiB
    assert list(failures.rule_id) == ["grid_too_large"]
    assert failures.message.iloc[0] == ("soc_map.nc: lat declares 50,000,000 points along one "
                                        "axis (limit 100,000); send a coarser grid or the "
                                        "country's extent only")  # fmt: skip
    with pytest.raises(grid_format.GridError, match="50,000,000 points"):
        grid_format.open_grid(path)
