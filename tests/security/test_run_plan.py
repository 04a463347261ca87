"""One preflight for every run (``engine.plan.plan_run``), one source of run options
(``RunParameters``), and the publish guard's refusal of repeated keys.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from attacks import package, submit  # tests/security: a small valid IRL package, 2018-2020
from publishing import tables, write

from inventory.core.countries import CountryCodeError
from inventory.core.errors import NotFoundError, ParameterError, UsageError
from inventory.engine.plan import RunYearsError, plan_run
from inventory.engine.run import RunParameters, parameter_choices, parameter_default
from inventory.harmonise.store import NotAcceptedError
from inventory.interfaces import cli
from inventory.lake import releases
from inventory.lake.zones import Lake

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def irl(tmp_path) -> Lake:
    lake = Lake.at(tmp_path / "lake")
    submit(lake, package(tmp_path))  # IRL reports 2018-2020
    return lake


# ---------------------------------------------------------------------------- countries
def test_the_plan_normalises_and_deduplicates_the_codes(irl):
    planned = plan_run(irl, RunParameters(countries=["irl", "IRL", " Irl "]))
    assert planned.countries == ["IRL"]
    assert planned.params.countries == ["IRL"]
    assert [(p.country, p.first_year, p.last_year, p.declared) for p in planned.plans] == [
        ("IRL", 2018, 2020, (2018, 2020))
    ]


def test_run_parameters_keep_each_country_once_upper_case():
    params = RunParameters(countries=["ken", "KEN", "irl"], withdraw=["ury", "URY"])
    assert params.countries == ["KEN", "IRL"] and params.withdraw == ["URY"]


def test_a_country_name_is_not_an_iso_code():
    with pytest.raises(ParameterError) as refused:
        RunParameters.checked(countries=["KENYA"])
    assert refused.value.message == "countries: 'KENYA' is not an ISO 3166 alpha-3 code"
    assert refused.value.action == CountryCodeError.action


def test_every_country_named_needs_an_accepted_submission(irl):
    with pytest.raises(NotAcceptedError, match=r"no accepted submission for KEN \(accepted: IRL\)"):
        plan_run(irl, RunParameters(countries=["IRL", "KEN"]))


def test_no_country_at_all_is_said_so(tmp_path):
    with pytest.raises(NotFoundError, match="no country to compute") as refused:
        plan_run(Lake.at(tmp_path / "lake"), RunParameters())
    assert "submit" in str(refused.value.action)


def test_without_countries_every_accepted_one_except_the_withdrawn(irl):
    assert plan_run(irl, RunParameters()).countries == ["IRL"]
    with pytest.raises(UsageError, match="every country with an accepted submission is withdrawn"):
        plan_run(irl, RunParameters(withdraw=["IRL"]))


# ---------------------------------------------------------------------------- years
def test_years_outside_the_submission_name_its_years(irl):
    with pytest.raises(RunYearsError) as refused:
        plan_run(irl, RunParameters(first_year=2010, last_year=2020))
    assert refused.value.message == (
        "years 2010-2020 are outside the submitted years (IRL reports 2018-2020)"
    )
    assert refused.value.action.startswith("choose years within them")
    planned = plan_run(irl, RunParameters(first_year=2019))
    assert [(p.first_year, p.last_year) for p in planned.plans] == [(2019, 2020)]


def test_the_plan_foresees_a_release_that_would_lose_published_years(irl):
    stratum = {k: v for k, v in tables("IRL", 1.0)["soc_stocks"].iloc[0].items()
               if k not in ("country", "year", "stock_tc")}  # fmt: skip
    write(irl, "run-old", tables("IRL", 1.0, years=(2018, 2019, 2020)))
    releases.publish_run(irl, "run-old")
    with pytest.raises(releases.PublishError) as refused:
        plan_run(irl, RunParameters(first_year=2019, last_year=2020))
    text = refused.value.message
    assert text.startswith("the release would drop 1 country-year-stratum row(s) of soc_stocks "
                           "of IRL that the previous release had: nothing published:")  # fmt: skip
    assert "country=IRL year=2018 " + " ".join(f"{k}={v}" for k, v in stratum.items()) in text
    assert "--withdraw IRL" in refused.value.action
    assert "approve the submission that drops them" in refused.value.action
    # withdrawing the country approves the loss: the plan goes ahead
    planned = plan_run(irl, RunParameters(countries=["IRL"], first_year=2019, last_year=2020,
                                          withdraw=["IRL"]))  # fmt: skip
    assert planned.countries == ["IRL"]


# ---------------------------------------------------------------------------- publish guard
def test_the_publish_guard_refuses_a_key_repeated_within_a_country(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    once = tables("KEN", 1.0)
    twice = {name: pd.concat([frame, frame]) for name, frame in once.items()}
    grain = {"soc_stocks": ["country", "year", "climate_zone", "soil_class", "land_use",
                            "management", "input"]}  # fmt: skip
    write(lake, "run-twice", twice, grain=grain)
    with pytest.raises(releases.PublishError) as refused:
        releases.publish_run(lake, "run-twice")
    assert refused.value.message == (
        "run run-twice not published: table soc_stocks has 2 key(s) repeated for KEN (key: "
        "country, year, climate_zone, soil_class, land_use, management, input), e.g. "
        "country=KEN year=2000 climate_zone=tropical_moist soil_class=hac land_use=cropland "
        "management=full_tillage input=medium (2 rows)"
    )
    assert "soc-inventory run --country KEN" in refused.value.action
    assert releases.current_release(lake) is None  # nothing published
    write(lake, "run-once", once, grain=grain)
    assert releases.publish_run(lake, "run-once").countries == ("KEN",)


# ---------------------------------------------------------------------------- one source
def test_the_cli_run_options_are_built_from_run_parameters():
    parser = cli.build_parser()
    run = next(a for a in parser._actions if a.dest == "command").choices["run"]
    options = {a.dest.removeprefix(cli.PARAMETER): a for a in run._actions
               if a.dest.startswith(cli.PARAMETER)}  # fmt: skip
    assert set(",".join(options).split(",")) == set(RunParameters.model_fields)
    assert options["first_year,last_year"].option_strings == ["--years"]
    assert options["countries"].option_strings == ["--country"]
    assert options["gwp_set"].option_strings == ["--gwp"]
    for name, action in options.items():
        assert action.default is None, name  # the model's default applies
        if "," not in name:
            field = RunParameters.model_fields[name]
            assert action.help.startswith(field.description.replace("%", "%%")), name
            assert tuple(action.choices or ()) == parameter_choices(name), name
    assert options["mc_draws"].help.endswith(f"(default {parameter_default('mc_draws')})")
    args = parser.parse_args(["run", "--country", "irl", "--country", "IRL", "--years",
                              "2019-2020", "--tier", "1", "--gwp", "AR6"])  # fmt: skip
    assert cli.parameters_from(args) == RunParameters(
        countries=["IRL"], first_year=2019, last_year=2020, tier=1, gwp_set="AR6"
    )
    assert cli.parameters_from(parser.parse_args(["run"])) == RunParameters()


def test_the_demo_keeps_its_mc_draws_option():
    args = cli.build_parser().parse_args(["demo", "--mc-draws", "200"])
    assert cli.parameters_from(args, countries=["KEN"]).mc_draws == 200
    args = cli.build_parser().parse_args(["demo"])
    assert cli.parameters_from(args).mc_draws == parameter_default("mc_draws") == 1000


def test_the_portal_run_form_choices_come_from_run_parameters():
    from inventory.interfaces.portal import compiler

    assert compiler.RUN_CHOICES == {"tier": ("1", "2"), "approach": ("", "1", "2", "3"),
                                    "edition": ("2019", "2006"),
                                    "gwp_set": ("AR4", "AR5", "AR6")}  # fmt: skip
    assert compiler.RUN_DEFAULTS == {"first_year": "", "last_year": "", "tier": "2",
                                     "approach": "", "edition": "2019", "gwp_set": "AR5",
                                     "mc_draws": "1000"}  # fmt: skip
    labels = {f["name"]: f["label"] for f in compiler.run_form_fields()}
    assert labels["mc_draws"] == RunParameters.model_fields["mc_draws"].title


def test_prefect_yaml_run_parameters_are_the_run_parameters_defaults():
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    (run,) = [d for d in spec["deployments"] if d["name"] == "inventory-run"]
    declared = run["parameters"]["params"]
    assert set(declared) <= set(RunParameters.model_fields)
    for name, value in declared.items():
        assert value == parameter_default(name), name


def test_the_flows_take_their_defaults_from_run_parameters():
    from flows.demo import demo
    from flows.reporting import scheduled_reporting

    for flow in (demo, scheduled_reporting):
        signature = inspect.signature(flow.fn)
        assert signature.parameters["mc_draws"].default == parameter_default("mc_draws")
    for path in (ROOT / "flows").glob("*.py"):
        assert "mc_draws: int = 1000" not in path.read_text(encoding="utf-8"), path


# ---------------------------------------------------------------------------- end to end
@pytest.mark.prefect
def test_run_with_a_country_twice_computes_and_publishes_it_once(prefect_harness, tmp_path, capsys):
    lake = Lake.at(tmp_path / "lake")
    submit(lake, package(tmp_path))
    argv = ["--lake", str(lake.root), "run", "--country", "IRL", "--country", "irl",
            "--mc-draws", "0"]  # fmt: skip
    assert cli.main(argv) == cli.EXIT_OK, capsys.readouterr().err
    (history,) = releases.read_published(lake, "releases").itertuples()
    assert history.countries == "IRL"
    manifest = json.loads((lake.run(history.run_id) / "manifest.json").read_text("utf-8"))
    assert manifest["countries"] == ["IRL"] and manifest["parameters"]["countries"] == ["IRL"]
    assert manifest["row_counts"]["soc_stocks"] == {"IRL": 12}  # 2018-2020 x 4 strata
    stocks = releases.read_published(lake, "soc_stocks")
    assert not stocks.duplicated(manifest["grain"]["soc_stocks"]).any()
