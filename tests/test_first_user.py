"""Small things a first user trips on: help text, the demo's examples, descriptions, labels."""

from __future__ import annotations

import argparse
import re

import pytest

from inventory.core import bundled
from inventory.engine.reporting_tables import published_schema as ps
from inventory.engine.run import RunParameters
from inventory.intake.manifest import APPROACH_LABELS, APPROACHES
from inventory.interfaces import cli
from inventory.lake.releases import PUBLISHED_TABLES


def _parsers(parser: argparse.ArgumentParser):
    yield parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                yield from _parsers(child)


def test_no_help_text_shows_restructuredtext_quotes(capsys):
    for parser in _parsers(cli.build_parser()):
        text = parser.format_help()
        assert "``" not in text, parser.prog


def test_demo_says_where_the_bundled_examples_are(tmp_path, monkeypatch, capsys):
    import flows.intake
    import flows.inventory_run

    def intake(path, lake, who):
        return {"country": path.rsplit("/", 1)[-1], "accepted": True}

    result = {"summary": [], "run_id": "run-x", "release_id": "release-x",
              "dashboard": str(tmp_path / "index.html")}  # fmt: skip
    monkeypatch.setattr(flows.intake, "intake", intake)
    monkeypatch.setattr(flows.inventory_run, "inventory_run_on",
                        lambda _: lambda params, lake: result)  # fmt: skip
    assert cli.main(["--lake", str(tmp_path / "lake"), "demo"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    line = next(li for li in out.splitlines() if li.startswith("bundled examples:"))
    assert str(bundled.examples_dir()) in line
    assert (bundled.examples_dir() / "CRI" / "submission.yaml").is_file()


def test_published_descriptions_have_no_unfilled_placeholders():
    fields = set(RunParameters.model_fields)
    for table in ps.data_dictionary(PUBLISHED_TABLES):
        for column in table.columns:
            assert "$" not in column.description, (table.table, column.name)
            for name in re.findall(r"the run parameter (\w+)", column.description):
                assert name in fields, (table.table, column.name, name)
    gwp = {c.name: c.description for c in ps.columns_of("organic_soil_emissions")}["gwp_set"]
    assert gwp == "GWP set of co2e_t (the run parameter gwp_set: AR4 | AR5 | AR6)"


@pytest.mark.parametrize("approach, label", [
    (2, "land-use change matrices or land units (land_use_changes or land_units)"),
    (3, "land units with histories (land_units)"),
])  # fmt: skip
def test_approach_labels_say_what_each_approach_is(approach, label):
    assert set(APPROACH_LABELS) == set(APPROACHES)
    assert APPROACH_LABELS[approach] == label
    description = RunParameters.model_fields["approach"].description or ""
    assert "2: land-use change matrices or land units; 3: land units with histories" in description
