"""The generated documentation pages cover everything the code enforces and publishes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from inventory.core import bundled, vocab
from inventory.engine.reporting_tables import published_schema
from inventory.lake.releases import PUBLISHED_TABLES
from inventory.reporting import reference_docs
from inventory.validation import rules

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def submission_page() -> str:
    return reference_docs.submission_format()


def test_every_submitted_column_has_a_meaning():
    columns = {c for spec in rules.SPECS.values() for c in spec.columns}
    assert columns - set(rules.COLUMN_GLOSSARY) == set()


def test_submission_page_lists_every_dataset_column_code_and_rule(submission_page):
    for name, spec in rules.SPECS.items():
        assert f"### `{name}`" in submission_page
        for column in spec.columns:
            assert f"| `{column}` |" in submission_page, (name, column)
    for codes in vocab.VOCABULARIES.values():
        for code in codes:
            assert f"`{code}`" in submission_page, code
    for name in bundled.suite_names():
        suite = json.loads(bundled.suite_file(name).read_text(encoding="utf-8"))
        for expectation in suite["expectations"]:
            assert f"`{expectation['meta']['rule_id']}`" in submission_page


def test_year_rule_states_the_history_window(submission_page):
    # land areas may start 20 years (IPCC default D) before the first declared year
    assert ">= the first declared year - 20 and <= the last declared year" in submission_page


def test_data_dictionary_describes_every_published_column():
    page = reference_docs.data_dictionary()
    for table in PUBLISHED_TABLES:
        assert f"## `{table}`" in page
        for column in published_schema.columns_of(table):
            unit, text = (s.replace("|", "\\|") for s in (column.unit or "", column.description))
            assert f"| `{column.name}` | {unit} | {text}" in page  # cells escape "|"
    assert page.count("**Sign convention:**") == len(PUBLISHED_TABLES)


def test_changelog_lists_old_and_new_names():
    page = reference_docs.schema_changelog()
    row = "| `peatland_offsets` | `mineral_sequestration_co2e` | `mineral_co2e_t_per_yr` |"
    assert row + " sign reversed: + = emission |" in page
    assert "| `stock_changes` | `ci_low` | `dC_ci_low_tc_per_yr` | renamed |" in page


def test_project_stands_alone():
    """README, docs and the package never send readers outside the project."""
    paths = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md"), *(ROOT / "inventory").rglob("*")]
    offenders = [p for p in paths if p.is_file() and p.suffix in {".py", ".md", ".sql", ".csv"}
                 and "shared/" in p.read_text(encoding="utf-8", errors="replace")]  # fmt: skip
    assert offenders == []


def test_named_functions_exist():
    """Every ``module.py: name`` the README and docs point to is defined in that module."""
    pages = [ROOT / "README.md", *(ROOT / "docs").rglob("*.md")]
    pattern = re.compile(r"`([\w/]+\.py): (\w+)`")
    references = {(m[1], m[2]) for page in pages for m in pattern.finditer(page.read_text("utf-8"))}
    assert references, "no `module.py: name` reference found"
    missing = [
        f"{path}: {name}" for path, name in sorted(references)
        if not (ROOT / "inventory" / path).is_file()
        or not re.search(rf"^(def|class) {name}\b|^{name}\b",
                         (ROOT / "inventory" / path).read_text("utf-8"), re.MULTILINE)
    ]  # fmt: skip
    assert missing == []
