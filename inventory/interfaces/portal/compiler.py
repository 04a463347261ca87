"""Compiler pages: countries and their state, runs, releases and recalculations, tokens."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from inventory.core.errors import UsageError, UserError
from inventory.engine.plan import plan_run
from inventory.engine.run import (
    RunParameters,
    parameter_choices,
    parameter_default,
)
from inventory.harmonise.store import harmonised_countries
from inventory.interfaces.portal import history, jobs, web
from inventory.interfaces.portal.web import PORTAL, Compiler, PortalError
from inventory.lake import tokens

router = APIRouter(prefix="/compiler", include_in_schema=False)
DIFF_ROWS_SHOWN = 500  # the page shows this many recalculated rows; the CSV has all
DIFF_COLUMNS = ["country", "year", "land_use_category", "dC_tc_per_yr_old", "dC_tc_per_yr_new",
                "difference_tc", "cause"]  # fmt: skip
# The run form's fields (RunParameters fields: their labels, choices and defaults come from it).
RUN_FORM_FIELDS = ("first_year", "last_year", "tier", "approach", "edition", "gwp_set",
                   "mc_draws")  # fmt: skip


def _form_value(value: object) -> str:
    return "" if value is None else str(value)


def run_form_fields() -> list[dict]:
    """The run form's inputs from :class:`RunParameters`: name, label (the field's title),
    choices (a ``Literal``'s, as text; ``""`` first when the field may be empty) or none."""
    out = []
    for name in RUN_FORM_FIELDS:
        field = RunParameters.model_fields[name]
        choices = [_form_value(c) for c in parameter_choices(name)]
        if choices and parameter_default(name) is None:
            choices.insert(0, "")
        out.append({"name": name, "label": field.title or name, "choices": choices})
    return out


RUN_CHOICES = {f["name"]: tuple(f["choices"]) for f in run_form_fields() if f["choices"]}
RUN_DEFAULTS = {name: _form_value(parameter_default(name)) for name in RUN_FORM_FIELDS}


def _lake(request: Request):
    return request.app.state.lake


@router.get("")
def countries(request: Request, session: Compiler):
    lake = _lake(request)
    known = history.known_countries(lake, tokens.list_tokens(request.app.state.token_store))
    return web.render(request, "compiler.html", rows=history.country_states(lake, known))


# ---------------------------------------------------------------------------- runs
def _run_form(request: Request, status: int = 200, error: UserError | None = None,
              values: dict | None = None) -> Response:  # fmt: skip
    return web.render(
        request, "runs.html", status=status, error=error, values=values or dict(RUN_DEFAULTS),
        countries=harmonised_countries(_lake(request)), fields=run_form_fields(),
        jobs=web.portal(request).jobs.of_kind("run")[:20],
    )  # fmt: skip


@router.get("/runs")
def runs_page(request: Request, session: Compiler):
    return _run_form(request)


def run_parameters(form: dict[str, list[str]]) -> RunParameters:
    """The run form as :class:`RunParameters` (it checks every value: a
    :class:`~inventory.core.errors.ParameterError` when one is wrong)."""
    values: dict = {"countries": form.get("countries", []), "withdraw": form.get("withdraw", [])}
    for name in RUN_FORM_FIELDS:
        text = web.first(form, name)
        choices = parameter_choices(name)
        if text and choices and isinstance(choices[0], int) and text.isdigit():
            values[name] = int(text)  # a Literal of numbers takes numbers, not text
        elif text:
            values[name] = text
    return RunParameters.checked(**values)


@router.post("/runs")
async def start_run(request: Request, session: Compiler):
    form = await web.checked_form(request, session)
    values = {k: v if k in ("countries", "withdraw") else v[0] for k, v in form.items()}
    try:
        params = run_parameters(form)
        if not params.countries:
            raise UsageError("choose at least one country", "tick a country of the list")
        # the run flow's own preflight, answered on this form at once (the flow checks again)
        await run_in_threadpool(plan_run, _lake(request), params)
    except UserError as err:
        return _run_form(request, 422, err, values)
    # blocking (Prefect's sync client, a thread start): off the event loop
    job = await run_in_threadpool(jobs.start_run, web.portal(request).jobs, params,
                                  _lake(request).root)  # fmt: skip
    return web.redirect(f"{PORTAL}/compiler/runs/{job.job_id}")


@router.get("/runs/{job_id}")
def run_state(request: Request, job_id: str, session: Compiler):
    job = web.portal(request).jobs.get(job_id, "run")
    if job is None:
        raise PortalError(404, "Not found", "No such run (runs are followed until the portal "
                          "restarts; see Releases).")  # fmt: skip
    jobs.refresh_run(job)
    return web.render(request, "run_state.html", job=job, refresh=None if job.done else 2)


# ---------------------------------------------------------------------------- releases
def _release_ids(request: Request) -> list[str]:
    return [str(r["release_id"]) for r in history.release_history(_lake(request))]


@router.get("/releases")
def releases_page(request: Request, session: Compiler):
    rows = list(reversed(history.release_history(_lake(request))))
    return web.render(request, "releases.html", rows=rows)


@router.get("/releases/{release_id}")
def release_page(request: Request, release_id: str,
                 session: Compiler):  # fmt: skip
    rows = {str(r["release_id"]): r for r in history.release_history(_lake(request))}
    if release_id not in rows:
        raise PortalError(404, "Not found", f"There is no release {release_id}.")
    release = rows[release_id]
    manifest_path = _lake(request).run(str(release["run_id"])) / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return web.render(request, "release.html", release=release, manifest=manifest)


def _diff(request: Request, old: str, new: str):
    from inventory.reporting.recalculations import compare_releases

    known = _release_ids(request)
    if old not in known or new not in known:
        raise PortalError(404, "Not found", "Choose two published releases to compare.")
    return compare_releases(_lake(request), old, new)


@router.get("/diff")
def diff_page(request: Request, session: Compiler, old: str = "", new: str = ""):
    changes = _diff(request, old, new)
    rows = changes[DIFF_COLUMNS].head(DIFF_ROWS_SHOWN).to_dict("records")
    return web.render(request, "diff.html", old=old, new=new, rows=rows, total=len(changes),
                      shown=DIFF_ROWS_SHOWN)  # fmt: skip


@router.get("/diff.csv")
def diff_csv(request: Request, session: Compiler, old: str = "", new: str = ""):
    content = history.table_bytes(_diff(request, old, new), "csv")
    return web.download(content, f"recalculations_{old}_{new}.csv", "text/csv; charset=utf-8")


# ---------------------------------------------------------------------------- tokens
@router.get("/tokens")
def tokens_page(request: Request, session: Compiler):
    records = tokens.list_tokens(request.app.state.token_store)
    return web.render(request, "tokens.html", rows=list(reversed(records)), error="")


@router.post("/tokens")
async def create_token(request: Request, session: Compiler):
    form = await web.checked_form(request, session)
    role = tokens.COMPILER if web.first(form, "role") == tokens.COMPILER else tokens.CONTACT
    try:
        token = await run_in_threadpool(tokens.create_token, request.app.state.token_store,
                                        web.first(form, "country") or None, role=role)  # fmt: skip
    except tokens.TokenError as err:
        records = tokens.list_tokens(request.app.state.token_store)
        return web.render(request, "tokens.html", status=422, rows=list(reversed(records)),
                          error=str(err))  # fmt: skip
    web.log.info("portal: token %s (%s) created by %s", tokens.token_id_of(token), role,
                 session.token_id)  # fmt: skip
    # The secret is on this one response (not cached) and nowhere else, ever.
    return web.render(request, "token_created.html", token=token, role=role,
                      country=(web.first(form, "country") or "").upper())  # fmt: skip


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: str,
                       session: Compiler):  # fmt: skip
    await web.checked_form(request, session)
    try:
        tokens.revoke_token(request.app.state.token_store, token_id)
    except tokens.TokenError as err:
        raise PortalError(404, "Not found", str(err)) from None
    web.portal(request).sessions.drop_token(token_id)
    return web.redirect(f"{PORTAL}/compiler/tokens")


# ---------------------------------------------------------------------------- scenarios
EXAMPLE_SCENARIO = ("scenarios", "demo_4p1000.yaml")  # examples/scenarios/, in the wheel


def _example_scenario() -> str:
    from inventory.core import bundled

    path = bundled.examples_dir().joinpath(*EXAMPLE_SCENARIO)
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _scenario_form(request: Request, status: int = 200, error: UserError | None = None,
                   text: str | None = None) -> Response:  # fmt: skip
    from inventory.scenarios.run import published_scenarios

    answers = list(reversed(published_scenarios(_lake(request))))[:50]
    return web.render(request, "scenarios.html", status=status, error=error,
                      text=_example_scenario() if text is None else text,
                      answers=answers)  # fmt: skip


@router.get("/scenarios")
def scenarios_page(request: Request, session: Compiler):
    return _scenario_form(request)


@router.post("/scenarios")
async def run_scenario(request: Request, session: Compiler):
    from inventory.scenarios.model import parse_scenario

    form = await web.checked_form(request, session)
    text = web.first(form, "scenario")
    try:
        parse_scenario(text)  # a bad file is answered on the form at once
        # blocking (Prefect's sync client, the computation): off the event loop
        result = await run_in_threadpool(request.app.state.scenario, _lake(request).root, text)
    except UserError as err:
        return _scenario_form(request, 422, err, text)
    return web.redirect(f"{PORTAL}/compiler/scenarios/{result['scenario']}/"
                        f"{result['scenario_sha256']}/{result['release_id']}")  # fmt: skip


def _answer(request: Request, name: str, sha: str, release_id: str) -> dict:
    """A published scenario answer named by the URL, looked up (never a path from the URL)."""
    from inventory.scenarios.run import published_scenarios

    for record in published_scenarios(_lake(request)):
        if (record["scenario"], record["scenario_sha256"], record["release_id"]) == (
            name, sha, release_id):  # fmt: skip
            return record
    raise PortalError(404, "Not found", "No such scenario answer (see Scenarios).")


@router.get("/scenarios/{name}/{sha}/{release_id}")
def scenario_page(request: Request, name: str, sha: str, release_id: str, session: Compiler):
    from inventory.reporting.scenario_charts import scenario_charts
    from inventory.scenarios.run import read_answer

    record = _answer(request, name, sha, release_id)
    pathways = read_answer(record["path"], "scenario_pathways")
    measures = read_answer(record["path"], "scenario_measures")
    horizon = measures[measures["year"] == record["horizon"]] if not measures.empty else measures
    charts = [c for country in record["countries"] for c in scenario_charts(pathways, country)]
    return web.render(request, "scenario.html", record=record, charts=charts,
                      measures=horizon.to_dict("records"))  # fmt: skip


@router.get("/scenarios/{name}/{sha}/{release_id}/maps/{country}.png")
def scenario_map(request: Request, name: str, sha: str, release_id: str, country: str,
                 session: Compiler):  # fmt: skip
    from pathlib import Path

    record = _answer(request, name, sha, release_id)
    files = (record.get("maps") or {}).get(country)
    if not files:
        raise PortalError(404, "Not found", f"No map of {country} in this scenario answer.")
    png = Path(record["path"]) / "maps" / str(files["png"])
    return web.download(png.read_bytes(), f"{name}_{country}.png", "image/png")
