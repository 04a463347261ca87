"""``soc-inventory``: the command line of the inventory system.

Exit codes: 0 ok, 1 rejected submission (its report is printed), 2 any other user error (a bad
argument, a missing package, a refused release, a damaged lake file...: every
:class:`~inventory.core.errors.UserError`), printed as one ``error:`` line (a listing of
offending rows may follow, indented) and, when there is one, an ``action:`` line saying what
resolves it. User mistakes never print a stack trace: :func:`main` is the one place they are
caught (:func:`report_user_error`); anything else is a bug and keeps its traceback.

The ``run`` options are built from the fields of
:class:`~inventory.engine.run.RunParameters` (:func:`add_parameter_options`): their names,
types, choices, defaults and help live there, once.

Tables fit the terminal: text folds onto more lines, identifiers are never cut (copy them into
``diff``); long steps show a progress bar.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from inventory.core import settings
from inventory.core.errors import NotFoundError, UsageError, UserError, as_user_error

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
DIFF_ROWS = 50
LONG_RUNNING = ("serve", "api")  # keep Prefect's console log: operators watch it
__all__ = ["EXIT_OK", "EXIT_REJECTED", "EXIT_USAGE", "UsageError", "add_parameter_options",
           "build_parser", "main", "parameters_from", "report_user_error"]  # fmt: skip
PARAMETER = "parameter:"  # argparse dest prefix of the RunParameters options


def _console():
    from rich.console import Console

    return Console()


def _print_table(rows: list[dict], title: str, *, caption: str | None = None) -> None:
    """A rich table; id columns keep their full width (folded, never cut, when too narrow)."""
    from rich import box
    from rich.table import Table

    if not rows:
        _console().print(f"{title}: nothing to show")
        return
    table = Table(title=title, caption=caption, box=box.SIMPLE_HEAD, caption_justify="left")
    for column in rows[0]:
        values = [_fmt(row[column]) for row in rows]
        is_id = str(column).endswith("id")
        table.add_column(str(column), justify="right" if _numeric(rows[0][column]) else "left",
                         overflow="fold", no_wrap=is_id,
                         min_width=max(map(len, values)) if is_id else None)  # fmt: skip
    for row in rows:
        table.add_row(*(_fmt(v) for v in row.values()))
    _console().print(table)


class _Steps:
    """A progress bar over named steps (``next("what now")``)."""

    def __init__(self, progress, task: int) -> None:
        self._progress, self._task, self._started = progress, task, False

    def next(self, description: str) -> None:
        advance = 1 if self._started else 0
        self._progress.update(self._task, advance=advance, description=description)
        self._started = True

    def finish(self, description: str = "done") -> None:
        self._progress.update(self._task, completed=self._progress.tasks[0].total,
                              description=description)  # fmt: skip


@contextmanager
def _steps(total: int) -> Iterator[_Steps]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
               MofNCompleteColumn(), TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=_console()) as progress:
        yield _Steps(progress, progress.add_task("starting", total=total))


def _numeric(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fmt(value: object) -> str:
    from inventory.reporting.dashboard import format_number

    return format_number(value)


def _years(text: str | None) -> tuple[int | None, int | None]:
    if not text:
        return None, None
    first, _, last = text.partition("-")
    try:
        years = int(first), int(last or first)
    except ValueError:
        raise UsageError(f"--years takes FIRST-LAST, e.g. 1990-2024 (got {text!r})") from None
    if years[0] > years[1]:
        raise UsageError(f"--years {text}: the first year is after the last (write FIRST-LAST, "
                         f"e.g. {years[1]}-{years[0]})")  # fmt: skip
    return years


def _number_or_word(words: dict[str, int]):
    """An argparse type: a whole number, or one of ``words`` (``auto``)."""

    def parse(text: str) -> int:
        word = text.strip().lower()
        if word in words:
            return words[word]
        if word.isdigit():
            return int(word)
        raise argparse.ArgumentTypeError(f"takes a number or {' or '.join(map(repr, words))} "
                                         f"(got {text!r})")  # fmt: skip

    return parse


def _parameter_flags() -> dict[str, list[str]]:
    """CLI flag -> the RunParameters fields it sets (two fields: a ``FIRST-LAST`` range)."""
    from inventory.engine.run import RunParameters, parameter_ask

    flags: dict[str, list[str]] = {}
    for name in RunParameters.model_fields:
        flag = parameter_ask(name).flag or "--" + name.replace("_", "-")
        flags.setdefault(flag, []).append(name)
    return flags


def add_parameter_options(parser: argparse.ArgumentParser,
                          only: Iterable[str] | None = None) -> None:  # fmt: skip
    """Add an option per :class:`~inventory.engine.run.RunParameters` field (or the fields
    ``only``): flag and value name from its ``Ask`` metadata, type and choices from its
    annotation, help from its description, the default shown from the model. An option not
    given leaves the model's default: the CLI states none of its own."""
    from inventory.engine.run import (
        RunParameters,
        parameter_ask,
        parameter_choices,
        parameter_default,
    )

    wanted = None if only is None else set(only)
    for flag, names in _parameter_flags().items():
        if wanted is not None and not wanted & set(names):
            continue
        field = RunParameters.model_fields[names[0]]
        ask, default = parameter_ask(names[0]), parameter_default(names[0])
        text = (field.description or field.title or names[0]).replace("%", "%%")
        dest = PARAMETER + ",".join(names)
        if len(names) == 2:  # FIRST-LAST (parsed in parameters_from: one error line)
            parser.add_argument(flag, dest=dest, metavar=ask.metavar or "FIRST-LAST", help=text)
            continue
        shown = "" if default in (None, []) else f" (default {default})"
        choices = parameter_choices(names[0])
        kind: Any = type(choices[0]) if choices else _scalar_type(field.annotation)
        if ask.words:
            kind = _number_or_word(dict(ask.words))
            shown = f" (default {default})"
        metavar = ask.metavar or (None if choices else names[0].upper())
        if isinstance(default, list):
            parser.add_argument(flag, dest=dest, action="append", metavar=metavar,
                                help=f"{text} (repeatable: one {metavar} each)")  # fmt: skip
        else:
            parser.add_argument(flag, dest=dest, type=kind, choices=choices or None,
                                metavar=metavar, help=text + shown)  # fmt: skip


def _scalar_type(annotation: Any) -> Any:
    """int, float or str: the type of a (possibly optional) field annotation."""
    for candidate in (int, float):
        if annotation is candidate or candidate in getattr(annotation, "__args__", ()):
            return candidate
    return str


def parameters_from(args: argparse.Namespace, **fixed: Any):
    """The :class:`~inventory.engine.run.RunParameters` of the options given (plus ``fixed``);
    a :class:`~inventory.core.errors.UserError` when one does not validate."""
    from inventory.engine.run import RunParameters

    values: dict[str, Any] = {}
    for dest, value in vars(args).items():
        if not dest.startswith(PARAMETER) or value is None:
            continue
        names = dest.removeprefix(PARAMETER).split(",")
        if len(names) == 2:
            first, last = _years(value)
            values.update({names[0]: first, names[1]: last})
        else:
            values[names[0]] = value
    return RunParameters.checked(**{**values, **fixed})


def cmd_validate(args: argparse.Namespace) -> int:
    """Validate a package without storing anything."""
    from inventory.intake import submission
    from inventory.validation import validate

    try:
        sub = submission.read_submission(args.path)
    except submission.SubmissionError as err:
        result = validate.ValidationResult(
            ok=False, failures=err.failures, datasets={}, manifest={},
            summary={"n_failures": len(err.failures)},
        )  # fmt: skip
    else:
        result = validate.validate_submission(sub)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, default=str))
    else:
        print(result.to_text())
    return EXIT_OK if result.ok else EXIT_REJECTED


def cmd_submit(args: argparse.Namespace) -> int:
    from flows.events import emit_submission_received
    from flows.intake import intake
    from inventory.intake.submission import receive_submission
    from inventory.lake.zones import Lake

    if not Path(args.path).exists():
        raise NotFoundError(f"no package at {args.path}")
    with _steps(3) as steps:
        steps.next(f"storing {args.path} byte-for-byte in raw/")
        receipt = receive_submission(Path(args.path).resolve(), Lake.at(args.lake),
                                     submitter=args.submitter)  # fmt: skip
        steps.next(f"validating and harmonising {receipt.country} {receipt.submission_id}")
        outcome = intake(lake_root=str(args.lake), submission_id=receipt.submission_id)
        steps.next("announcing soil.submission.received")
        event = emit_submission_received(outcome, receipt.raw_dir, args.submitter)
        steps.finish()
    if event is None:
        print(
            "not announced: no Prefect server (PREFECT_API_URL) to send soil.submission.received to"
        )
    else:
        print(f"announced {event['event']}: {event['resource']['prefect.resource.id']}")
    return _print_outcome(outcome)


def cmd_reprocess(args: argparse.Namespace) -> int:
    """Validate and file a stored submission whose processing was interrupted."""
    from flows.intake import intake
    from inventory.intake.submission import load_receipt
    from inventory.lake.zones import Lake

    lake = Lake.at(args.lake)
    receipt = load_receipt(lake, args.submission_id)
    for zone, status in ((lake.quarantine, "rejected"), (lake.validated, "accepted")):
        if zone(receipt.country, receipt.submission_id).is_dir():
            raise UsageError(f"submission {receipt.submission_id} is already filed as {status}; "
                             "submit the package again to process it anew")  # fmt: skip
    with _console().status(f"validating stored submission {receipt.submission_id}"):
        outcome = intake(lake_root=str(args.lake), submission_id=receipt.submission_id)
    return _print_outcome(outcome)


def _print_outcome(outcome: dict) -> int:
    if outcome["accepted"]:
        _console().print(f"[green]accepted[/green] {outcome['country']} "
                         f"submission {outcome['submission_id']}")  # fmt: skip
        return EXIT_OK
    _console().print(f"[red]rejected[/red] submission {outcome['submission_id']}: "
                     f"{outcome['failures']} problem(s); report: {outcome['report']}")  # fmt: skip
    report = Path(outcome["report"]) / "report.txt"
    if report.exists():
        print(report.read_text(encoding="utf-8"))
    return EXIT_REJECTED


def cmd_run(args: argparse.Namespace) -> int:
    from flows.inventory_run import inventory_run_on
    from inventory.engine.plan import plan_run
    from inventory.engine.run import summary_rows
    from inventory.lake.zones import Lake

    params = parameters_from(args)
    planned = plan_run(Lake.at(args.lake), params)  # the flow's own preflight, answered at once
    _console().print(_runner_note(args.dask))
    with _steps(1) as steps:
        steps.next(f"computing and publishing {', '.join(planned.countries)}")
        result = inventory_run_on(args.dask)(params, str(args.lake))
        steps.finish()
    _print_table(summary_rows(result["summary"]), f"Inventory run {result['run_id']}")
    print(f"published release {result['release_id']} -> {args.lake / 'published'}")
    return EXIT_OK


def _runner_note(dask: str | None) -> str:
    """Which task runner the per-country computation uses (also in the run manifest)."""
    from flows.runners import LOCAL, dask_target

    target = dask_target(dask)
    if target is None:
        return "per-country computation: Prefect thread pool (no Dask)"
    where = "a local Dask cluster" if target == LOCAL else f"the Dask scheduler at {target}"
    return f"per-country computation: Dask, on {where}"


def cmd_demo(args: argparse.Namespace) -> int:
    from flows.intake import intake
    from flows.inventory_run import inventory_run_on
    from inventory.core import bundled
    from inventory.engine.run import summary_rows

    countries = bundled.EXAMPLE_COUNTRIES
    outcomes = []
    with _steps(len(countries) + 1) as steps:
        for country in countries:
            steps.next(f"intake of the {country} example: store, validate, harmonise")
            outcomes.append(intake(str(bundled.example_package(country)), str(args.lake), "demo"))
        accepted = [o["country"] for o in outcomes if o["accepted"]]
        steps.next(f"inventory of {', '.join(accepted)}: compute and publish")
        params = parameters_from(args, countries=accepted)
        result = inventory_run_on(None)(params, str(args.lake))
        steps.finish()
    for outcome in outcomes:
        state = "accepted" if outcome["accepted"] else f"REJECTED ({outcome.get('report')})"
        print(f"intake {outcome['country']}: {state}")
    _print_table(summary_rows(result["summary"]), "National SOC inventory (last reported year)")
    print(f"run {result['run_id']} published as {result['release_id']}")
    print(f"dashboard:        {result['dashboard']}")
    print(f"published tables: {args.lake / 'published'}/<table>/country=<ISO3>/part-0.parquet")
    print(f"DuckDB views:     {settings.get_settings().duckdb or args.lake / 'inventory.duckdb'}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from inventory.lake import releases
    from inventory.lake.zones import Lake

    history = releases.read_published(Lake.at(args.lake), "releases")
    if history.empty:
        print("no release published yet: run `soc-inventory demo` or `soc-inventory run`")
        return EXIT_OK
    shown = history.tail(args.limit)
    rows = [{"release_id": r.release_id, "published (UTC)": str(r.published_at)[:16],
             "countries": r.countries} for r in shown.itertuples()]  # fmt: skip
    caption = (f"{len(shown)} of {len(history)} releases (--limit); run ids and the full list: "
               f"{Path(args.lake) / 'published' / 'releases.parquet'}")  # fmt: skip
    _print_table(rows, "Releases (newest last)", caption=caption)
    print(f"current release: {history['release_id'].iloc[-1]}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from inventory.engine.run import summarise, summary_rows
    from inventory.lake.zones import Lake
    from inventory.reporting import dashboard

    lake = Lake.at(args.lake)
    path = dashboard.build_dashboard(lake)
    tables = dashboard.published_tables(lake)
    caption = (
        f"last reported year per country only; every year, stratum and table: "
        f"{lake.published}/<table>/country=<ISO3>/part-0.parquet (docs: data dictionary)"
    )
    _print_table(summary_rows(summarise(tables).to_dict("records")), "Current release",
                 caption=caption)  # fmt: skip
    print(f"dashboard: {path}")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from inventory.lake.zones import Lake, write_csv_atomic
    from inventory.reporting.recalculations import compare_releases

    lake = Lake.at(args.lake)
    changes = compare_releases(lake, args.release_a, args.release_b)
    full = lake.root / "recalculations" / f"{args.release_a}__{args.release_b}.csv"
    write_csv_atomic(changes, full)
    columns = ["country", "year", "land_use_category", "dC_tc_per_yr_old", "dC_tc_per_yr_new",
               "difference_tc", "cause"]  # fmt: skip
    shown = changes[columns].head(args.limit)
    caption = (
        f"{len(shown)} of {len(changes)} changed rows (--limit {args.limit}; sorted by "
        f"country, year, land use, category); every row and column: {full}"
    )
    _print_table(shown.to_dict("records"), f"Recalculations {args.release_a} -> "
                 f"{args.release_b}", caption=caption)  # fmt: skip
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from flows.serve import serve_all

    serve_all(str(args.lake), limit=args.limit)
    return EXIT_OK


def cmd_api(args: argparse.Namespace) -> int:
    from inventory.interfaces.api import serve_api

    serve_api(args.host, args.port, args.lake, max_upload_mb=args.max_upload_mb,
              workers=args.workers)  # fmt: skip
    return EXIT_OK


def cmd_token(args: argparse.Namespace) -> int:
    from inventory.lake import tokens

    store = tokens.store_path(args.lake)
    if args.verb == "create":
        role = tokens.COMPILER if args.admin else tokens.CONTACT
        token = tokens.create_token(store, args.country, role=role)
        who = "a compiler" if args.admin else tokens.normalise_country(args.country)
        print(f"token for {who} (shown once, store it now):")
        print(token)
    elif args.verb == "revoke":
        print("revoked" if tokens.revoke_token(store, args.token_id) else "already revoked")
    else:
        _print_table(tokens.list_tokens(store), f"Tokens in {store}")
    return EXIT_OK


def cmd_grid(args: argparse.Namespace) -> int:
    from inventory.harmonise import gridded

    out = gridded.upscale_grid(args.path, args.country)
    _print_table(out["by_land_use"].to_dict("records"), "Gridded SOC stock by land use")
    _print_table(out["national"].to_dict("records"), "National total (0-30 cm)")
    columns = ["climate_zone", "soil_class", "value", "n_cells", "se_tc_per_ha"]
    candidates = out["soc_ref_candidates"][columns].to_dict("records")
    _print_table(candidates, "Tier 2 SOC_REF candidates (t C/ha, native land)")
    return EXIT_OK


def cmd_scenario(args: argparse.Namespace) -> int:
    """Runs in this process, without Prefect (seconds, like ``report`` and ``diff``); the
    ``scenario-run`` flow does the same for the API, the portal and deployments."""
    from inventory.lake.zones import Lake
    from inventory.scenarios.model import load_scenario
    from inventory.scenarios.run import run_scenario

    path = Path(args.file)
    load_scenario(path)  # checked here first: a bad file is one error line, nothing started
    with _steps(1) as steps:
        steps.next(f"scenario {path.name}: computing and publishing")
        result = run_scenario(Lake.at(args.lake), path.read_bytes(), source=path.name)
        steps.finish()
    rows = []
    for s in result["summary"]:
        row = {"country": s["country"], "year": s["year"]}
        for label in ("scenario", "bau", "difference"):
            r = s[label]
            row[f"{label} (per mille/yr, 95 %)"] = (
                f"{_num(r['rate_permille_per_yr'])} [{_num(r['rate_ci_low_permille_per_yr'])}, "
                f"{_num(r['rate_ci_high_permille_per_yr'])}]"
            )
        if "adoption" in s:
            row["adoption"] = s["adoption"]["statement"]
        rows.append(row)
    _print_table(rows, f"Scenario {result['scenario']} (4 per mille rate, mineral soils)",
                 caption=f"target {result['target_permille']:g} per mille/yr; every year, scope "
                 f"and measure: {result['path']}")  # fmt: skip
    print(f"scenario {result['scenario']} sha256 {result['scenario_sha256']} on release "
          f"{result['release_id']} -> {result['path']}")  # fmt: skip
    return EXIT_OK


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="soc-inventory", description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, default=settings.lake_root(),
                        help="data lake root (default: $SOILC_LAKE, else ./data_lake in the "
                             "working directory; now %(default)s)")  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _demo_parser(sub)
    _intake_parsers(sub)
    _run_parser(sub)
    _report_parsers(sub)
    _scenario_parser(sub)
    _service_parsers(sub)
    return parser


def _scenario_parser(sub) -> None:
    scenario = sub.add_parser("scenario", help="practice scenarios toward 4 per 1000")
    verbs = scenario.add_subparsers(dest="verb", required=True, metavar="VERB")
    run = verbs.add_parser("run", help="compute a scenario file from a published release and "
                           "publish its answers (docs: scenarios)")  # fmt: skip
    run.add_argument("file", help="scenario YAML file, e.g. examples/scenarios/demo_4p1000.yaml")
    scenario.set_defaults(func=cmd_scenario)


def _demo_parser(sub) -> None:
    demo = sub.add_parser("demo", help="run the whole pipeline on the bundled examples")
    add_parameter_options(demo, only=["mc_draws"])
    demo.set_defaults(func=cmd_demo)


def _intake_parsers(sub) -> None:
    validate = sub.add_parser("validate", help="check a submission package; stores nothing")
    validate.add_argument("path", help="package folder or .zip (submission.yaml + data files)")
    validate.add_argument("--json", action="store_true", help="machine-readable report")
    validate.set_defaults(func=cmd_validate)
    submit = sub.add_parser("submit", help="store, validate and (if valid) harmonise a package")
    submit.add_argument("path", help="package folder or .zip (submission.yaml + data files)")
    submit.add_argument(
        "--submitter", default=None, help="who submits (name or e-mail), recorded in the receipt"
    )
    submit.set_defaults(func=cmd_submit)
    reprocess = sub.add_parser("reprocess", help="validate and file a stored submission again "
                               "(one left 'received' by an interruption)")  # fmt: skip
    reprocess.add_argument(
        "submission_id", help="id of the stored submission (see raw/<ISO3>/ or the API answer)"
    )
    reprocess.set_defaults(func=cmd_reprocess)


def _run_parser(sub) -> None:
    run = sub.add_parser("run", help="compute and publish the inventory")
    add_parameter_options(run)  # one option per RunParameters field
    run.add_argument(
        "--dask",
        default=None,
        metavar="local|ADDRESS",
        help="per-country fan-out on Dask (default: $SOILC_DASK_ADDRESS, else threads)",
    )
    run.set_defaults(func=cmd_run)


def _report_parsers(sub) -> None:
    status = sub.add_parser("status", help="list published releases")
    status.add_argument(
        "--limit", type=int, default=10, help="newest releases to list (default %(default)s)"
    )
    status.set_defaults(func=cmd_status)
    report = sub.add_parser("report", help="write the HTML dashboard of the current release")
    report.set_defaults(func=cmd_report)
    diff = sub.add_parser("diff", help="recalculations between two releases, with causes")
    diff.add_argument("release_a", help="the older release id (see `soc-inventory status`)")
    diff.add_argument("release_b", help="the newer release id")
    diff.add_argument(
        "--limit",
        type=int,
        default=DIFF_ROWS,
        help="rows to print; every row goes to a CSV (default %(default)s)",
    )
    diff.set_defaults(func=cmd_diff)
    grid = sub.add_parser("grid", help="zonal SOC statistics of a gridded (NetCDF) dataset")
    grid.add_argument("path", help="NetCDF file with soc_stock and the stratum variables")
    grid.add_argument("--country", required=True, metavar="ISO3", help="country of the grid")
    grid.set_defaults(func=cmd_grid)


def _service_parsers(sub) -> None:
    serve = sub.add_parser("serve", help="serve the Prefect deployments in this process")
    serve.add_argument(
        "--limit", type=int, default=2, help="flow runs at the same time (default %(default)s)"
    )
    serve.set_defaults(func=cmd_serve)
    api = sub.add_parser("api", help="serve the submission HTTP API and the web portal (/portal)")
    api.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    api.add_argument("--port", type=int, default=8000, help="port (default %(default)s)")
    api.add_argument(
        "--max-upload-mb",
        type=float,
        default=None,
        help="largest upload in MiB (default $SOILC_API_MAX_UPLOAD_MB, else 50)",
    )
    api.add_argument("--workers", type=int, default=1,
                     help="server processes on one port, sharing the lake's portal state "
                     "(default %(default)s)")  # fmt: skip
    api.set_defaults(func=cmd_api)
    token = sub.add_parser("token", help="create, revoke or list API and portal tokens")
    verbs = token.add_subparsers(dest="verb", required=True, metavar="VERB")
    create = verbs.add_parser("create", help="new token for a country, or --admin (printed once)")
    create.add_argument("country", nargs="?", default=None, metavar="ISO3",
                        help="country the contact point's token may submit for")  # fmt: skip
    create.add_argument("--admin", action="store_true",
                        help="a compiler token (portal compiler pages; no country)")  # fmt: skip
    revoke = verbs.add_parser("revoke", help="revoke by token id")
    revoke.add_argument("token_id", help="id shown by `soc-inventory token list`")
    verbs.add_parser("list", help="token ids, countries, dates (never secrets)")
    token.set_defaults(func=cmd_token)


def main(argv: list[str] | None = None) -> int:
    settings.configure_prefect_environment()
    settings.quiet_libraries()
    args = build_parser().parse_args(argv)
    if args.command not in LONG_RUNNING:  # errors are printed once, by this CLI, as one line
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    try:
        return args.func(args)
    except Exception as err:
        user_error = as_user_error(err)
        if user_error is None:
            raise  # a bug: its traceback is what the inventory team needs
        return report_user_error(user_error)


def report_user_error(err: UserError) -> int:
    """A user error as one ``error:`` line (a listing of rows may follow, indented) and an
    ``action:`` line when one resolves it, on stderr; the exit code (2)."""
    print(f"error: {err.message}", file=sys.stderr)
    if err.action:
        print(f"action: {err.action}", file=sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
