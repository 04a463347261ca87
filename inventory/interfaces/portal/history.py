"""What the portal shows of the lake: submission histories, country states, releases, tables.

Read-only. A submission's state: ``received`` (stored in raw/, not filed), ``rejected``
(quarantine/), ``accepted`` (validated/ and harmonised when accepted), ``harmonised`` (accepted
and still the country's current harmonised input); and the releases whose numbers for the
country came from it (run manifests name the submission each country's inputs came from).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from inventory.core import spreadsheet
from inventory.interfaces.uploads import list_submissions, submission_report
from inventory.lake import releases
from inventory.lake.zones import Lake

RECEIPT_HIDDEN = ("raw_dir",)  # server paths are not shown to users


# ---------------------------------------------------------------------------- submissions
def receipt_of(report: dict) -> dict:
    receipt = dict(report.get("receipt") or {})
    return {k: v for k, v in receipt.items() if k not in RECEIPT_HIDDEN}


def _current_submission(lake: Lake, country: str) -> str | None:
    path = lake.root / "harmonised" / "manifests" / f"{country}.json"
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8")).get("submission_id")


def release_history(lake: Lake) -> list[dict]:
    """Every release so far (oldest first) with the run each country's numbers came from."""
    current = releases.current_release(lake)
    if current is None or not (current / releases.RELEASES_FILE).exists():
        return []
    runs: dict[str, str] = {}
    out = []
    for row in releases.read_history(current).to_dict("records"):
        for country in filter(None, str(row["countries"]).split(",")):
            runs[country] = str(row["run_id"])
        out.append({**row, "country_runs": dict(runs)})
    return out


def _run_submissions(lake: Lake, run_id: str) -> dict[str, str]:
    path = lake.run(run_id) / releases.MANIFEST
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("submissions") or {}


def releases_using(lake: Lake, country: str) -> dict[str, list[str]]:
    """Submission id -> the releases whose numbers for ``country`` were computed from it."""
    used: dict[str, list[str]] = {}
    manifests: dict[str, dict[str, str]] = {}
    for release in release_history(lake):
        run_id = release["country_runs"].get(country)
        if run_id is None:
            continue
        if run_id not in manifests:
            manifests[run_id] = _run_submissions(lake, run_id)
        submission = manifests[run_id].get(country)
        if submission:
            used.setdefault(submission, []).append(str(release["release_id"]))
    return used


def submission_history(lake: Lake, country: str) -> list[dict]:
    """The country's submissions, newest first, with state, receipt and releases using them."""
    current = _current_submission(lake, country)
    used = releases_using(lake, country)
    out = []
    for item in list_submissions(lake, country):
        report = submission_report(lake, country, item["submission_id"]) or {}
        receipt = receipt_of(report)
        status = item["status"]
        if status == "accepted" and item["submission_id"] == current:
            status = "harmonised"
        out.append({**item, "status": status, "received_at": receipt.get("received_at", ""),
                    "package_sha256": receipt.get("package_sha256", ""),
                    "package_name": receipt.get("package_name", ""),
                    "releases": used.get(item["submission_id"], [])})  # fmt: skip
    return out


def country_states(lake: Lake, countries: list[str]) -> list[dict]:
    """Per country: latest submission and its state, current harmonised input, last release."""
    history = release_history(lake)
    latest_release = {c: str(r["release_id"]) for r in history for c in r["country_runs"]}
    out = []
    for country in countries:
        subs = submission_history(lake, country)
        latest = subs[0] if subs else {}
        out.append({"country": country, "latest": latest.get("submission_id"),
                    "state": latest.get("status", "no submission"),
                    "received_at": latest.get("received_at", ""),
                    "harmonised": _current_submission(lake, country),
                    "release": latest_release.get(country)})  # fmt: skip
    return out


def known_countries(lake: Lake, token_records: list[dict]) -> list[str]:
    """Countries with a contact-point token, a submission or a harmonised input."""
    found = {t["country"] for t in token_records if t.get("country")}
    found |= {p.name for p in (lake.root / "raw").glob("*") if p.is_dir() and len(p.name) == 3}
    found |= {p.stem for p in (lake.root / "harmonised" / "manifests").glob("*.json")}
    return sorted(c for c in found if c.isalpha() and c.isupper())


# ---------------------------------------------------------------------------- downloads
def table_bytes(frame: pd.DataFrame, fmt: str, *, sheet: str = "data") -> bytes:
    """``frame`` as CSV (UTF-8), XLSX or Parquet bytes; CSV and XLSX through the one
    neutralising writer (``inventory.core.spreadsheet``: formula cells prefixed with ``'``,
    characters an XLSX cannot hold escaped)."""
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    if fmt == "xlsx":
        return spreadsheet.xlsx_bytes(frame, sheet=sheet)
    return spreadsheet.csv_bytes(frame)


def failures_frame(report: dict) -> pd.DataFrame:
    from inventory.core.failures import FAILURE_COLUMNS

    return pd.DataFrame(report.get("failures") or [], columns=FAILURE_COLUMNS)


def group_failures(failures: list[dict]) -> list[dict[str, Any]]:
    """Failures grouped by rule, largest group first: ``[{rule_id, count, rows}]``."""
    groups: dict[str, list[dict]] = {}
    for failure in failures:
        groups.setdefault(str(failure.get("rule_id") or "unknown"), []).append(failure)
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [{"rule_id": rule, "count": len(rows), "rows": rows} for rule, rows in ordered]


def country_table(lake: Lake, table: str, country: str) -> pd.DataFrame:
    """One published table, only ``country``'s rows (empty when nothing is published)."""
    frame = releases.read_published(lake, table)
    if frame.empty or "country" not in frame.columns:
        return pd.DataFrame()
    return frame[frame["country"] == country].reset_index(drop=True)


def published_countries(lake: Lake) -> set[str]:
    current = releases.current_release(lake)
    if current is None:
        return set()
    return {p.name.removeprefix("country=") for p in Path(current).glob("*/country=*")}
