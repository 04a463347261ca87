"""Helpers of the security corpus: the minimal package, mutated, zipped, submitted."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

from inventory.harmonise import store
from inventory.intake.submission import receive_submission
from inventory.lake.zones import Lake
from inventory.validation import validate

MINIMAL = Path(__file__).resolve().parents[1] / "data" / "minimal"


def package(tmp_path: Path, name: str = "pkg") -> Path:
    """A fresh copy of the minimal valid package (IRL, 2018-2020, Approach 1, Tier 2)."""
    return Path(shutil.copytree(MINIMAL, tmp_path / name))


def set_cell(root: Path, file: str, row: int, column: str, value: str) -> None:
    """One cell of a comma CSV; ``row`` as in a spreadsheet (header = 1)."""
    lines = (root / file).read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    (root / file).write_text("\n".join(lines) + "\n", encoding="utf-8")


def zip_entries(entries: list[tuple[str, bytes | str]]) -> bytes:
    """A zip with these (name, content) entries in order; names may repeat (zipfile warns)."""
    import warnings

    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, content in entries:
                archive.writestr(name, content)
    return buffer.getvalue()


def folder_entries(root: Path) -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in sorted(root.iterdir()) if p.is_file()]


def submit(lake: Lake, path: Path, *, country: str | None = None) -> tuple[str, str, dict]:
    """Store, validate and file a package as the intake flow does (no Prefect)."""
    receipt = receive_submission(path, lake, country=country)
    result = validate.validate_stored(receipt)
    outcome = store.file_outcome(lake, receipt.country, receipt.submission_id, result)
    return receipt.country, receipt.submission_id, {**outcome, "result": result}


def rules(result: validate.ValidationResult) -> set[str]:
    return set(result.failures["rule_id"])


def tree_digest(root: Path) -> dict[str, bytes]:
    """Every file (following links) below ``root``: relative path -> bytes."""
    if not root.exists():
        return {}
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}  # fmt: skip


def xlsx_of_csv(csv_path: Path, *, sheet: str = "Sheet1") -> bytes:
    """The rows of a comma CSV as a one-sheet workbook (numbers as numbers)."""
    import openpyxl

    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for line in csv_path.read_text(encoding="utf-8").splitlines():
        ws.append([_number_or_text(c) for c in line.split(",")])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _number_or_text(cell: str) -> object:
    try:
        return float(cell) if "." in cell else int(cell)
    except ValueError:
        return cell


def patch_zip(data: bytes, edits: dict[str, object]) -> bytes:
    """A copy of a zip (e.g. an .xlsx) with members replaced (bytes), edited (a function of the
    text) or added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        names = source.namelist()
        for name in names + [n for n in edits if n not in names]:
            edit = edits.get(name)
            content = source.read(name) if name in names else b""
            if callable(edit):
                content = edit(content.decode("utf-8")).encode("utf-8")
            elif edit is not None:
                content = edit if isinstance(edit, bytes) else str(edit).encode()
            out.writestr(name, content)
    return buffer.getvalue()


def use_file(root: Path, dataset: str, name: str, content: bytes) -> None:
    """Put ``content`` in the package as ``name`` and point ``dataset`` at it."""
    import yaml

    (root / name).write_bytes(content)
    manifest = yaml.safe_load((root / "submission.yaml").read_text(encoding="utf-8"))
    old = manifest["files"].get(dataset)
    manifest["files"][dataset] = name
    (root / "submission.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    if old and old != name and (root / old).exists():
        (root / old).unlink()
