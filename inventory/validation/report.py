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


def render_text(failures: pd.DataFrame, summary: dict, *, ok: bool) -> str:
    """A plain-text table grouped by file: row, column, value, rule, then message and fix."""
    lines = [_headline(failures, summary, ok)]
    if ok or failures.empty:
        return "\n".join(lines) + "\n"
    lines.append("(rows are spreadsheet rows: the header is row 1)")
    shown = failures.head(TEXT_MAX_ROWS)
    for file, group in shown.groupby(shown["file"].fillna("package"), sort=False):
        lines += ["", f"== {file} ({int((failures['file'].fillna('package') == file).sum())})"]
        header = "  ".join(k.ljust(w) for k, w in _WIDTHS.items()) + "  message"
        lines.append(header)
        for record in group.itertuples(index=False):
            cells = [_clip(getattr(record, k), w).ljust(w) for k, w in _WIDTHS.items()]
            lines.append("  ".join(cells) + "  " + str(record.message))
            lines.append(
                " " * (sum(_WIDTHS.values()) + 2 * len(_WIDTHS)) + "fix: " + str(record.fix)
            )
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
    parts = [f"## {_headline(failures, summary, ok)}", ""]
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
        by_rule=_by_rule(failures) if problems else {},
        more=max(len(failures) - HTML_MAX_ROWS, 0) if problems else 0,
    )  # fmt: skip
