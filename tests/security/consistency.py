"""Is every zone of a lake consistent? (used by the kill -9 campaign and its tests)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from inventory.lake.zones import sha256_file


def problems(root: Path) -> list[str]:
    """Every inconsistency found in the lake at ``root`` (empty: consistent)."""
    return [*_raw(root), *_filed(root), *_harmonised(root), *_published(root)]


def _visible(folder: Path) -> list[Path]:
    return (
        sorted(p for p in folder.glob("*/*") if not p.name.startswith("."))
        if folder.exists()
        else []
    )


def _raw(root: Path) -> list[str]:
    out = []
    for sub in _visible(root / "raw"):
        receipt = sub / "receipt.json"
        if not receipt.is_file():
            out.append(f"raw {sub.name}: no receipt")
            continue
        record = json.loads(receipt.read_text())
        base = sub / record.get("package_dir", "")
        for name, meta in record["files"].items():
            if not (base / name).is_file() or sha256_file(base / name) != meta["sha256"]:
                out.append(f"raw {sub.name}: {name} differs from its receipt")
    return out


def _filed(root: Path) -> list[str]:
    out = []
    for zone, marker in (("quarantine", "report.json"), ("validated", "manifest.json")):
        out += [f"{zone} {d.name}: incomplete" for d in _visible(root / zone)
                if not (d / marker).is_file()]  # fmt: skip
    return out


def _harmonised(root: Path) -> list[str]:
    out = []
    current = root / "harmonised" / ".current"
    for link in sorted(current.iterdir()) if current.exists() else []:
        manifest = link / "manifest.json"
        if not manifest.is_file():
            out.append(f"harmonised {link.name}: current version has no manifest")
            continue
        record = json.loads(manifest.read_text())
        for dataset in record["datasets"]:
            part = root / "harmonised" / dataset / f"country={link.name}" / "part-0.parquet"
            if not part.is_file():
                out.append(f"harmonised {link.name}: {dataset} missing")
            elif set(pd.read_parquet(part, columns=["submission_id"]).submission_id) - {
                record["submission_id"]}:  # fmt: skip
                out.append(f"harmonised {link.name}: {dataset} from another submission")
    return out


def _published(root: Path) -> list[str]:
    link = root / "published"
    if not link.is_symlink():
        return []
    release = link.resolve()
    sums = release / "checksums.json"
    if not sums.is_file():
        return [f"published {release.name}: no checksums"]
    out = [f"published {release.name}: {p} differs" for p, h in json.loads(sums.read_text()).items()
           if sha256_file(release / p) != h]  # fmt: skip
    history = pd.read_parquet(release / "releases.parquet")
    if history.release_id.iloc[-1] != release.name:
        out.append("published: history does not end with the current release")
    if history.previous_release_id.iloc[1:].tolist() != history.release_id.iloc[:-1].tolist():
        out.append("published: release history has a gap")
    return out
