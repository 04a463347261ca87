"""Building test packages: the minimal package with one mutation (tests/data/bad/cases.yaml)."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import yaml

DATA = Path(__file__).resolve().parent / "data"
MINIMAL = DATA / "minimal"
CASES = yaml.safe_load((DATA / "bad" / "cases.yaml").read_text(encoding="utf-8"))["cases"]
MUTATIONS = ("set", "drop", "copy", "yaml", "text", "write", "remove")


def copy_minimal(target: Path) -> Path:
    shutil.copytree(MINIMAL, target)
    return target


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _write_lines(path: Path, lines: list[str]) -> None:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def set_cell(root: Path, file: str, row: int, column: str, value: str) -> None:
    """Set one cell of a simple comma CSV; ``row`` is the spreadsheet row (header = 1)."""
    lines = _lines(root / file)
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    _write_lines(root / file, lines)


def drop_column(root: Path, file: str, column: str) -> None:
    lines = [line.split(",") for line in _lines(root / file)]
    index = lines[0].index(column)
    _write_lines(root / file, [",".join(c[:index] + c[index + 1 :]) for c in lines])


def copy_row(root: Path, file: str, row: int) -> None:
    lines = _lines(root / file)
    _write_lines(root / file, [*lines, lines[row - 1]])


def set_yaml(root: Path, **changes: object) -> None:
    path = root / "submission.yaml"
    manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            manifest.pop(key, None)
        else:
            manifest[key] = value
    path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")


def replace_text(root: Path, file: str, old: str, new: str) -> None:
    path = root / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def apply(root: Path, case: dict) -> Path:
    """Apply the case's mutation to the package folder ``root``."""
    (kind,) = [k for k in MUTATIONS if k in case]
    args = case[kind]
    if kind == "set":
        set_cell(root, args["file"], args["row"], args["column"], args["value"])
    elif kind == "drop":
        drop_column(root, args["file"], args["column"])
    elif kind == "copy":
        copy_row(root, args["file"], args["row"])
    elif kind == "yaml":
        set_yaml(root, **args)
    elif kind == "text":
        replace_text(root, args["file"], args["old"], args["new"])
    elif kind == "write":
        (root / args["file"]).write_text(args["content"], encoding="utf-8")
    elif kind == "remove":
        (root / args["file"]).unlink()
    return root


def zip_folder(folder: Path, target: Path, *, top: str | None = None) -> Path:
    """Zip a package folder (optionally inside one top directory, as 'Compress folder' does)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                archive.write(path, f"{top}/{name}" if top else name)
    return target


def zip_bytes(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()
