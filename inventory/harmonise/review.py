"""The compiler's review: a validated submission becomes a country's current input only when
a compiler approves it.

States (``inventory.harmonise.store.submission_state``)::

    received -> rejected
             -> validated (a "check only" upload: validated, kept and reported, never a candidate)
             -> candidate -> current (approved by a compiler, or auto-approved where the country
                                      is configured so: SOILC_AUTO_APPROVE)
                          -> returned (with a note the contact point sees)
    current -> superseded (a later submission became current)

Submissions are ordered by the sequence number the lake assigns when it receives them
(``inventory.lake.sequence``), never by their ids or a clock. :func:`change_summary` is what
the compiler sees before deciding: the strata, years and areas the candidate adds, drops or
changes against the current input, and the rows of the current release's ``soc_stocks`` the
candidate no longer covers (those the publish guard would refuse to drop). :func:`approve`
makes the candidate current (who and when recorded, shown in every release's provenance); an
approval that drops strata or years needs ``confirm_drop`` and is then the explicit decision
the publish guard accepts for that country in the next release. :func:`return_submission`
sends it back with a note. The CLI (``review``, ``approve``, ``return``), the HTTP API and the
portal's review pages all call these functions.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from inventory.core import vocab
from inventory.core.errors import NotFoundError, UsageError, UserError
from inventory.harmonise import store
from inventory.lake.zones import Lake, utc_now

COMPARED = ("land_areas", "land_units", "land_use_changes", "organic_soils")
NOT_KEYS = {"submission_id", "area_source", "country", "area_unit", "area"}
AREA = "area_ha"
AREA_TOLERANCE_HA = 0.5e-3  # areas differing by less than 0.5 m2 are the same (rounding)
EXAMPLES = 5  # strata listed by name in a summary


class ReviewError(UserError):
    """A review decision that cannot be taken (wrong state, missing note or confirmation)."""


class DropConfirmationNeeded(ReviewError):
    """Approving the candidate drops strata or years: the compiler must confirm it."""


def _frame(folder: Path, dataset: str) -> pd.DataFrame | None:
    path = folder / dataset / "part-0.parquet"
    return pd.read_parquet(path) if path.exists() else None


def _current_folder(lake: Lake, country: str) -> Path | None:
    folder = lake.root / "harmonised" / store.CURRENT / country
    return folder if (folder / "manifest.json").exists() else None


def _keys(frame: pd.DataFrame) -> list[str]:
    text = [
        c
        for c in frame.columns
        if c not in NOT_KEYS and c != AREA and not pd.api.types.is_numeric_dtype(frame[c])
    ]
    return (["year"] if "year" in frame.columns else []) + text  # fmt: skip


def _stratum(row: dict, keys: list[str]) -> str:
    return "/".join(str(row[k]) for k in keys if k != "year")


def compare_dataset(before: pd.DataFrame | None, after: pd.DataFrame | None) -> dict[str, Any]:
    """What ``after`` adds, drops and changes against ``before`` (vectorised).

    Returns years added/dropped, strata (key columns without the year) added/dropped (counts
    and up to :data:`EXAMPLES` names), rows whose area changed, and the total area of each
    side's last year [ha].
    """
    empty = pd.DataFrame({"year": pd.Series(dtype="int64")})
    before = empty if before is None else before
    after = empty if after is None else after
    keys = [k for k in _keys(after if len(after.columns) > 1 else before)
            if k in before.columns and k in after.columns]  # fmt: skip
    strata_keys = [k for k in keys if k != "year"]
    out: dict[str, Any] = {
        "rows_before": len(before), "rows_after": len(after),
        "years_added": sorted(set(after.get("year", [])) - set(before.get("year", []))),
        "years_dropped": sorted(set(before.get("year", [])) - set(after.get("year", []))),
    }  # fmt: skip
    out["years_added"] = [int(y) for y in out["years_added"]]
    out["years_dropped"] = [int(y) for y in out["years_dropped"]]
    if strata_keys:
        old = before[strata_keys].drop_duplicates()
        new = after[strata_keys].drop_duplicates()
        both = old.merge(new, how="outer", indicator=True)
        dropped = both[both["_merge"] == "left_only"].to_dict("records")
        added = both[both["_merge"] == "right_only"].to_dict("records")
        out.update(strata_dropped=len(dropped), strata_added=len(added),
                   strata_dropped_examples=[_stratum(r, keys) for r in dropped[:EXAMPLES]],
                   strata_added_examples=[_stratum(r, keys) for r in added[:EXAMPLES]])  # fmt: skip
    else:
        out.update(strata_dropped=0, strata_added=0, strata_dropped_examples=[],
                   strata_added_examples=[])  # fmt: skip
    if AREA in before.columns and AREA in after.columns and keys:
        old_area = before.groupby(keys, dropna=False)[AREA].sum().rename("old")
        new_area = after.groupby(keys, dropna=False)[AREA].sum().rename("new")
        joined = pd.concat([old_area, new_area], axis=1, join="inner")
        out["areas_changed"] = int(((joined["old"] - joined["new"]).abs()
                                    > AREA_TOLERANCE_HA).sum())  # fmt: skip
        out["area_last_year_before_ha"] = _last_year_area(before)
        out["area_last_year_after_ha"] = _last_year_area(after)
    return out


def _last_year_area(frame: pd.DataFrame) -> float | None:
    if frame.empty or "year" not in frame.columns:
        return None
    return float(frame.loc[frame["year"] == frame["year"].max(), AREA].sum())


def release_rows_dropped(lake: Lake, country: str, candidate: Path, record: dict) -> int:
    """Rows (year, stratum) of the current release's soc_stocks of ``country`` that the
    candidate does not cover: its years leave them out, or its land areas lack the stratum."""
    from inventory.lake import releases

    release = releases.current_release(lake)
    path = (
        None
        if release is None
        else (release / releases.COVERAGE_TABLE / f"country={country}" / releases.PARTITION_FILE)
    )
    if path is None or not path.exists():
        return 0
    published = pd.read_parquet(path)
    keys = [k for k in ("year", *vocab.STRATUM_KEYS) if k in published.columns]
    published = published[keys].drop_duplicates()
    years = (record.get("manifest") or {}).get("years") or []
    if years:
        outside = ~published["year"].between(int(years[0]), int(years[-1]))
    else:
        outside = pd.Series(False, index=published.index)
    areas = _frame(candidate, "land_areas")
    missing = pd.Series(False, index=published.index)
    if areas is not None and all(k in areas.columns for k in keys):
        covered = areas[keys].drop_duplicates().assign(_covered=True)
        marked = published.merge(covered, on=keys, how="left")
        missing = pd.Series(marked["_covered"].isna().to_numpy(), index=published.index)
    return int((outside | missing).sum())


def change_summary(lake: Lake, country: str, submission_id: str) -> dict[str, Any]:
    """What approving a candidate changes against the country's current input (module doc)."""
    candidate = store.candidate_dir(lake, country, submission_id)
    record = store.candidate_record(lake, country, submission_id)
    if record is None:
        raise NotFoundError(f"submission {submission_id} of {country} is not awaiting review",
                            "list the candidates (soc-inventory review)")  # fmt: skip
    current = _current_folder(lake, country)
    datasets = {}
    for dataset in COMPARED:
        before = _frame(current, dataset) if current is not None else None
        after = _frame(candidate, dataset)
        if before is None and after is None:
            continue
        datasets[dataset] = compare_dataset(before, after)
    dropped_rows = release_rows_dropped(lake, country, candidate, record)
    drops = dropped_rows > 0 or any(d["years_dropped"] or d["strata_dropped"]
                                    for d in datasets.values())  # fmt: skip
    current_record = store._current_record(lake, country) or {}
    return {
        "country": country, "submission_id": submission_id,
        "sequence": record.get("sequence"), "years": (record.get("manifest") or {}).get("years"),
        "current_submission_id": current_record.get("submission_id"),
        "current_years": (current_record.get("manifest") or {}).get("years"),
        "datasets": datasets, "release_rows_dropped": dropped_rows, "drops": bool(drops),
    }  # fmt: skip


def describe(summary: dict[str, Any]) -> list[str]:
    """The summary in plain lines (CLI, portal)."""
    lines = []
    if summary["current_submission_id"] is None:
        lines.append("no current input yet: this would be the country's first")
    else:
        lines.append(
            f"current input {summary['current_submission_id']} (years "
            f"{_span(summary['current_years'])}) -> years {_span(summary['years'])}"
        )
    for dataset, d in summary["datasets"].items():
        parts = [f"{d['rows_before']:,} -> {d['rows_after']:,} rows"]
        for what in ("years_added", "years_dropped"):
            if d[what]:
                parts.append(f"years {what.split('_')[1]}: {_years(d[what])}")
        for what in ("strata_added", "strata_dropped"):
            if d[what]:
                names = ", ".join(d[f"{what}_examples"])
                more = f" and {d[what] - len(d[f'{what}_examples'])} more" if d[what] > EXAMPLES \
                    else ""  # fmt: skip
                parts.append(f"{d[what]} strata {what.split('_')[1]} ({names}{more})")
        if d.get("areas_changed"):
            parts.append(f"{d['areas_changed']:,} areas changed")
        lines.append(f"{dataset}: " + "; ".join(parts))
    if summary["release_rows_dropped"]:
        lines.append(f"the current release has {summary['release_rows_dropped']:,} "
                     "country-year-stratum rows of soc_stocks this submission does not cover: "
                     "approving it drops them from the next release")  # fmt: skip
    return lines


def _span(years: Any) -> str:
    return f"{years[0]}-{years[-1]}" if years else "none"


def _years(years: list[int]) -> str:
    if len(years) > 1 and years == list(range(years[0], years[-1] + 1)):
        return f"{years[0]}-{years[-1]}"
    return ", ".join(map(str, years))


def candidates(lake: Lake, country: str | None = None) -> list[dict[str, Any]]:
    """Submissions awaiting review (every country, or one), oldest first by sequence."""
    root = lake.root / "harmonised" / store.CANDIDATES
    folders = sorted(root.glob(f"{country or '*'}/*/manifest.json"))
    out = []
    for path in folders:
        code, sid = path.parent.parent.name, path.parent.name
        if store.submission_state(lake, code, sid) != store.CANDIDATE:
            continue
        record = store.candidate_record(lake, code, sid) or {}
        receipt = store._receipt_record(lake, code, sid)
        out.append({"country": code, "submission_id": sid, "sequence": record.get("sequence"),
                    "received_at": receipt.get("received_at", ""),
                    "submitter": receipt.get("submitter") or "",
                    "years": _span((record.get("manifest") or {}).get("years"))})  # fmt: skip
    return sorted(out, key=lambda r: (r["country"], int(r["sequence"] or 0)))


def _require_candidate(lake: Lake, country: str, submission_id: str) -> None:
    state = store.submission_state(lake, country, submission_id)
    if not lake.raw(country, submission_id).is_dir():
        raise NotFoundError(f"no submission {submission_id} of {country}",
                            "list the candidates (soc-inventory review)")  # fmt: skip
    if state != store.CANDIDATE:
        raise ReviewError(f"submission {submission_id} of {country} is not awaiting review: it "
                          f"is {store.STATE_TEXT[state]}", "list the candidates (soc-inventory "
                          "review)")  # fmt: skip


def approve(lake: Lake, country: str, submission_id: str, *, by: str,
            confirm_drop: bool = False, note: str = "") -> dict[str, Any]:  # fmt: skip
    """Make a candidate the country's current input; the approval (who, when) is recorded.

    Raises :class:`DropConfirmationNeeded` when it drops strata or years (or rows of the current
    release) and ``confirm_drop`` is not given; with it, the drop is the explicit decision the
    publish guard accepts for this country in the next release (``accepts_drop``).
    """
    _require_candidate(lake, country, submission_id)
    summary = change_summary(lake, country, submission_id)
    if summary["drops"] and not confirm_drop:
        raise DropConfirmationNeeded(
            f"approving {submission_id} drops data of {country}: " + "; ".join(describe(summary)),
            f"if the drop is intended, approve again confirming it (soc-inventory approve "
            f"{submission_id} --confirm-drop, or tick the confirmation on the portal's review "
            "page); otherwise return it with a note",
        )  # fmt: skip
    approval = {"approved_by": by, "approved_at": utc_now().isoformat(timespec="seconds"),
                "accepts_drop": bool(summary["drops"]), "approval_note": note}  # fmt: skip
    record = store.make_current(lake, country, submission_id, approval)
    store.record_decision(lake, country, submission_id,
                          {"decision": "approved", **approval, "changes": summary})  # fmt: skip
    return {**record, "changes": summary}


def return_submission(lake: Lake, country: str, submission_id: str, *, by: str,
                      note: str) -> dict[str, Any]:  # fmt: skip
    """Return a candidate to its contact point with ``note`` (it never becomes current)."""
    if not note.strip():
        raise UsageError("a returned submission needs a note saying what to correct",
                         "write the note (soc-inventory return ID --note TEXT)")  # fmt: skip
    _require_candidate(lake, country, submission_id)
    decision = {"decision": store.RETURNED, "returned_by": by, "note": note.strip(),
                "returned_at": utc_now().isoformat(timespec="seconds")}  # fmt: skip
    store.record_decision(lake, country, submission_id, decision)
    shutil.rmtree(store.candidate_dir(lake, country, submission_id), ignore_errors=True)
    return decision


def country_of_submission(lake: Lake, submission_id: str) -> str:
    """The country a stored submission is filed under (its raw/ folder)."""
    from inventory.intake.submission import load_receipt

    return load_receipt(lake, submission_id).country


DEMO_APPROVER = "soc-inventory demo (bundled synthetic examples)"


def approve_demo(lake: Lake, outcomes: list[dict[str, Any]]) -> list[str]:
    """Approve the candidates the demo submitted (the bundled examples); the countries approved.

    The demo is one command: it approves what it submitted and says so. An approval that would
    drop data is not taken (:class:`DropConfirmationNeeded` is raised, as for a compiler).
    """
    approved = []
    for outcome in outcomes:
        if outcome.get("status") != store.CANDIDATE:
            continue
        approve(lake, outcome["country"], outcome["submission_id"], by=DEMO_APPROVER)
        outcome.update(store.outcome_of_state(store.CURRENT_STATE))
        approved.append(str(outcome["country"]))
    return approved
