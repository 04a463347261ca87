"""Human-readable renderings of a failure table: plain text (CLI), Markdown (Prefect artifact)
and a self-contained HTML page (inline CSS, no scripts, readable offline).
"""

from __future__ import annotations

import pandas as pd

from inventory.core.failures import FAILURE_COLUMNS

# Long reports are cut in the readable renderings; failures.csv / report.json keep every row.
TEXT_MAX_ROWS = 500
MARKDOWN_MAX_ROWS = 100  # Prefect artifacts are meant to be glanced at
HTML_MAX_ROWS = 5000
_WIDTHS = {"row": 6, "column": 16, "value": 18, "rule_id": 28}


def _by_rule(failures: pd.DataFrame) -> dict[str, int]:
    counts = failures["rule_id"].value_counts().sort_index()
    return {str(k): int(v) for k, v in counts.items()}


def _headline(failures: pd.DataFrame, summary: dict, ok: bool) -> str:
    country = summary.get("country") or "?"
    of = f"the {country} submission" if country not in ("?", "UNKNOWN") else "the submission"
    if ok:
        rows = ", ".join(f"{k} {v:,}" for k, v in summary.get("rows", {}).items())
        return f"ACCEPTED: submission for {country} passed every check ({rows})"
    files = failures["file"].fillna("package").nunique()
    return f"REJECTED: {len(failures):,} problem(s) in {files} file(s) of {of}"


def _clip(value: object, width: int) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    if text in ("<NA>", "nan", "None"):
        text = ""
    return text if len(text) <= width else text[: width - 1] + "…"


def _widths(failures: pd.DataFrame) -> dict[str, int]:
    """Column widths: column names and rule ids are never cut (only long values are)."""
    widths = dict(_WIDTHS)
    for key in ("column", "rule_id"):
        longest = failures[key].dropna().astype("str").str.len().max()
        widths[key] = max(widths[key], int(longest) if pd.notna(longest) else 0)
    return widths


FILLED_MAX_STRATA = 50  # strata listed per dataset in the readable renderings


def filled_lines(summary: dict) -> list[str]:
    """The gap-filled years per dataset and stratum (IPCC 2006 Vol.1 Ch.5), one line each."""
    lines = []
    for dataset, info in (summary.get("time_series") or {}).items():
        filled = info.get("filled") or []
        if not filled:
            continue
        first, last = info["span"]
        lines.append(f"{dataset}: {len(filled)} stratum/strata gap-filled by "
                     f"{info.get('method')} (years {first}-{last}):")  # fmt: skip
        lines += [f"  {r['stratum']}: {r['years']} ({r['area_source']})"
                  for r in filled[:FILLED_MAX_STRATA]]  # fmt: skip
        if len(filled) > FILLED_MAX_STRATA:
            lines.append(f"  ... and {len(filled) - FILLED_MAX_STRATA} more (see report.json)")
    return lines


def history_lines(summary: dict) -> list[str]:
    """The history years ``land_areas`` lack before the first reported year, and what fills
    them (never a silent zero): the run's ``history`` parameter (IPCC 2006 Vol.1 Ch.5)."""
    info = summary.get("history")
    if not info:
        return []
    return [f"land_areas start in {info['first_record']}: {info['missing_years']} of the "
            f"history years from {info['needed_from']} are missing; the run fills them by its "
            "history parameter (trend by default: the first recorded years' trend back-cast; "
            "hold; surrogate), flagged area_source = backcast_<method> and counted in "
            "stock_change_totals.n_history_years_filled"]  # fmt: skip


def area_uncertainty_lines(summary: dict) -> list[str]:
    """The per-dataset area uncertainty of ``submission.yaml`` and the rows it was given to."""
    given = summary.get("area_uncertainty_defaults") or {}
    return [f"{dataset}: area_uncertainty_pct {info['pct']:g} % (submission.yaml) given to "
            f"{info['rows']:,} row(s) without their own value"
            for dataset, info in given.items()]  # fmt: skip


def ignored_lines(summary: dict) -> list[str]:
    """What was not read, per file (a workbook's other sheets, hidden ones included), and the
    rows refused for their own values that the checks across rows and years left out."""
    ignored = [f"{file}: not read: {', '.join(what)}"
               for file, what in (summary.get("ignored") or {}).items()]  # fmt: skip
    return ignored + left_out_lines(summary)


def left_out_lines(summary: dict) -> list[str]:
    """One line per file whose refused rows were left out of the checks across rows."""
    return [f"{file}: {count:,} row(s) refused for their own values (listed first) were left out "
            "of the checks across rows and years (gap filling, total land area, matrices, organic "
            "within land): fix them first; those checks run again on the corrected rows"
            for file, count in (summary.get("left_out_rows") or {}).items()]  # fmt: skip


def render_text(failures: pd.DataFrame, summary: dict, *, ok: bool) -> str:
    """A plain-text table grouped by file: row, column, value, rule, then message and fix."""
    lines = [_headline(failures, summary, ok)]
    if filled_lines(summary):
        lines += ["", "Gap-filled years (IPCC 2006 Vol.1 Ch.5):", *filled_lines(summary)]
    if history_lines(summary):
        lines += ["", "History before the first record (IPCC 2006 Vol.1 Ch.5):",
                  *history_lines(summary)]  # fmt: skip
    if area_uncertainty_lines(summary):
        lines += ["", *area_uncertainty_lines(summary)]
    if ignored_lines(summary):
        lines += ["", *ignored_lines(summary)]
    if summary.get("skipped_checks"):
        lines += ["", "Checks not run (they need a missing column):"]
        lines += [f"  {check}: {why}" for check, why in summary["skipped_checks"].items()]
    if ok or failures.empty:
        return "\n".join(lines) + "\n"
    lines.append("(rows are spreadsheet rows: the header is row 1)")
    shown = failures.head(TEXT_MAX_ROWS)
    widths = _widths(shown)
    for file, group in shown.groupby(shown["file"].fillna("package"), sort=False):
        lines += ["", f"== {file} ({int((failures['file'].fillna('package') == file).sum())})"]
        header = "  ".join(k.ljust(w) for k, w in widths.items()) + "  message"
        lines.append(header)
        for record in group.itertuples(index=False):
            cells = [_clip(getattr(record, k), w).ljust(w) for k, w in widths.items()]
            lines.append("  ".join(cells) + "  " + str(record.message))
            lines.append(" " * (sum(widths.values()) + 2 * len(widths)) + "fix: " + str(record.fix))
    if len(failures) > TEXT_MAX_ROWS:
        lines += [
            "",
            f"... and {len(failures) - TEXT_MAX_ROWS:,} more (see failures.csv or --json)",
        ]
    lines += ["", "problems by rule: " + ", ".join(
        f"{k} {v}" for k, v in _by_rule(failures).items())]  # fmt: skip
    return "\n".join(lines) + "\n"


def _md_cell(value: object) -> str:
    return _clip(value, 200).replace("|", "\\|").replace("\n", " ")


def render_markdown(failures: pd.DataFrame, summary: dict, *, ok: bool) -> str:
    """Markdown: headline, counts per rule, then the first rows of the failure table."""
    parts = [f"## {_headline(failures, summary, ok)}", "", *ignored_lines(summary)]
    if filled_lines(summary):
        parts += ["Gap-filled years (IPCC 2006 Vol.1 Ch.5):", "", "```", *filled_lines(summary),
                  "```", ""]  # fmt: skip
    if ok or failures.empty:
        return "\n".join(parts)
    parts += ["| rule | failures |", "|---|---:|"]
    parts += [f"| `{k}` | {v} |" for k, v in _by_rule(failures).items()]
    columns = FAILURE_COLUMNS
    parts += ["", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for record in failures.head(MARKDOWN_MAX_ROWS).itertuples(index=False):
        parts.append("| " + " | ".join(_md_cell(getattr(record, c)) for c in columns) + " |")
    if len(failures) > MARKDOWN_MAX_ROWS:
        parts.append(f"\n… {len(failures) - MARKDOWN_MAX_ROWS:,} more rows in failures.csv")
    return "\n".join(parts)


def _template():
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(loader=PackageLoader("inventory.validation", "templates"),
                              autoescape=select_autoescape(["html"]))  # fmt: skip
    return environment.get_template("report.html")


def render_html(failures: pd.DataFrame, summary: dict, *, ok: bool) -> str:
    """One static page with inline CSS: no CDN, no script, prints and reads offline (Jinja2
    template ``templates/report.html``, every value escaped)."""
    problems = not ok and not failures.empty
    rows = [{"file": _clip(r.file, 80), "row": _clip(r.row, 12), "column": _clip(r.column, 40),
             "value": _clip(r.value, 80), "rule_id": str(r.rule_id), "message": str(r.message),
             "fix": str(r.fix)} for r in failures.head(HTML_MAX_ROWS).itertuples(index=False)
            ] if problems else []  # fmt: skip
    return _template().render(
        status="good" if ok else "bad", headline=_headline(failures, summary, ok), rows=rows,
        by_rule=_by_rule(failures) if problems else {}, filled="\n".join(filled_lines(summary)),
        notes=left_out_lines(summary),
        more=max(len(failures) - HTML_MAX_ROWS, 0) if problems else 0,
    )  # fmt: skip
