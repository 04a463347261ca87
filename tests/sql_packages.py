"""A tiny SQL model and temporary packages of SQL files, for the header, graph, runner and
invariant tests."""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

TOTALS_SQL = """\
-- Model: totals
-- Method: sum of the areas per country (no IPCC equation).
--   A second line of method.
-- Grain: country; one row per country.
-- Inputs: areas (country, year, area_ha).
-- Params: $min_year (yr, first year summed).
-- Columns:
--   country: ISO 3166-1 alpha-3 country code
--   area_ha [ha]: area summed over the years
--     from $min_year on
--   n_years [count]: years summed
SELECT country, sum(area_ha) AS area_ha, count(*) AS n_years  -- $not_a_param in a comment
FROM areas
WHERE year >= $min_year AND country <> '$not_a_param_either'
GROUP BY country
ORDER BY country
"""


def header(**replace: str) -> str:
    """TOTALS_SQL with header lines replaced (key: a line prefix -> its new text; DROP drops)."""
    lines = TOTALS_SQL.splitlines()
    for prefix, new in replace.items():
        lines = [new if line.startswith(prefix) else line for line in lines]
    return "\n".join(line for line in lines if line != "DROP") + "\n"


def model(name: str, inputs: list[str], columns: str = "n") -> str:
    """A model ``name`` reading ``inputs`` (one count column ``n``, or the given column)."""
    reads = ", ".join(inputs) if inputs else "none"
    body = " UNION ALL ".join(f"SELECT count(*) AS {columns} FROM {t}" for t in inputs)
    return (
        f"-- Model: {name}\n-- Method: test model.\n-- Grain: {columns}\n-- Inputs: {reads}.\n"
        f"-- Params: none.\n-- Columns:\n--   {columns} [count]: rows\n"
        f"{body or f'SELECT 1 AS {columns}'}\n"
    )


def sql_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], str]:
    """A new importable package under ``tmp_path``: returns write(name, text) -> package name."""
    name = f"sqlpkg_{uuid.uuid4().hex}"
    root = tmp_path / name
    root.mkdir()
    (root / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()

    def write(sql_name: str, text: str) -> str:
        (root / f"{sql_name}.sql").write_text(text)
        return name

    return write
