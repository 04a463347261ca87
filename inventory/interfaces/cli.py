"""``soc-inventory``: the command line of the inventory system.

Exit codes: 0 ok, 1 rejected submission (its report is printed), 2 any other user error (a bad
argument, a missing package, a refused release, a damaged lake file...), printed as one
``error:`` line (a listing of offending rows may follow, indented). User mistakes never print
a stack trace: :func:`main` is the one place they are caught (:func:`user_errors`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from inventory.core import settings

EXIT_OK, EXIT_REJECTED, EXIT_USAGE = 0, 1, 2
LONG_RUNNING = ("serve", "api")  # keep Prefect's console log: operators watch it


class UsageError(ValueError):
    """A command-line mistake found by the CLI itself (printed as one line, exit 2)."""


def _console():
    from rich.console import Console

    return Console()


def _print_table(rows: list[dict], title: str) -> None:
    from rich.table import Table

    if not rows:
        _console().print(f"{title}: nothing to show")
        return
    table = Table(title=title)
    for column in rows[0]:
        table.add_column(str(column), justify="right" if _numeric(rows[0][column]) else "left")
    for row in rows:
        table.add_row(*(_fmt(v) for v in row.values()))
    _console().print(table)


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


def _partitions(text: str) -> int:
    """``--partitions``: a count >= 1, or ``auto`` (0: one partition per SOILC_PARTITION_UNITS)."""
    if text.strip().lower() == "auto":
        return 0
    if text.strip().isdigit() and int(text) >= 1:
        return int(text)
    raise argparse.ArgumentTypeError(f"takes a number >= 1 or 'auto' (got {text!r})")


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
    from flows.intake import intake

    if not Path(args.path).exists():
        raise FileNotFoundError(f"no package at {args.path}")
    with _console().status(f"storing and validating {args.path}"):
        outcome = intake(str(Path(args.path).resolve()), str(args.lake), args.submitter)
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
    from inventory.engine.run import RunParameters, summary_rows

    first, last = _years(args.years)
    params = RunParameters(
        countries=[c.upper() for c in args.country], first_year=first, last_year=last,
        tier=args.tier, approach=args.approach, edition=args.edition, gwp_set=args.gwp,
        mc_draws=args.mc_draws, withdraw=[_country(c) for c in args.withdraw],
        partitions=args.partitions,
    )  # fmt: skip
    from inventory.engine.run import check_years
    from inventory.harmonise.store import harmonised_countries, require_accepted
    from inventory.lake.zones import Lake

    lake = Lake.at(args.lake)
    require_accepted(lake, params.countries)  # before any flow run starts
    chosen = params.countries or [c for c in harmonised_countries(lake) if c not in params.withdraw]
    check_years(lake, chosen, params)
    with _console().status(f"computing and publishing {', '.join(params.countries) or 'all'}"):
        result = inventory_run_on(args.dask)(params, str(args.lake))
    _print_table(summary_rows(result["summary"]), f"Inventory run {result['run_id']}")
    print(f"published release {result['release_id']} -> {args.lake / 'published'}")
    return EXIT_OK


def _country(code: str) -> str:
    from inventory.core.countries import country_code

    valid = country_code(code)
    if valid is None:
        raise UsageError(f"{code!r} is not an ISO 3166-1 alpha-3 country code (e.g. KEN)")
    return valid


def cmd_demo(args: argparse.Namespace) -> int:
    from flows.demo import demo
    from inventory.engine.run import summary_rows

    with _console().status("demo: intake, validation, inventory and publishing of 3 countries"):
        result = demo(str(args.lake), None, args.mc_draws)
    for outcome in result["intake"]:
        state = "accepted" if outcome["accepted"] else f"REJECTED ({outcome.get('report')})"
        print(f"intake {outcome['country']}: {state}")
    _print_table(summary_rows(result["summary"]), "National SOC inventory (last reported year)")
    print(f"run {result['run_id']} published as {result['release_id']}")
    print(f"dashboard:        {result['dashboard']}")
    print(f"published tables: {args.lake / 'published'}/<table>/country=<ISO3>/part-0.parquet")
    print(f"DuckDB views:     {settings.warehouse_path()}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace) -> int:
    from inventory.lake import releases
    from inventory.lake.zones import Lake

    history = releases.read_published(Lake.at(args.lake), "releases")
    _print_table(history.tail(10).to_dict("records"), "Releases (newest last)")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from inventory.engine.run import summarise
    from inventory.lake.zones import Lake
    from inventory.reporting import dashboard

    lake = Lake.at(args.lake)
    path = dashboard.build_dashboard(lake)
    tables = dashboard.published_tables(lake)
    _print_table(summarise(tables).round(3).to_dict("records"), "Current release")
    print(f"dashboard: {path}")
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    from inventory.lake.zones import Lake
    from inventory.reporting.recalculations import compare_releases

    changes = compare_releases(Lake.at(args.lake), args.release_a, args.release_b)
    columns = ["country", "year", "land_use_category", "dC_tc_per_yr_old", "dC_tc_per_yr_new",
               "difference_tc", "cause"]  # fmt: skip
    _print_table(
        changes[columns].head(args.limit).to_dict("records"),
        f"Recalculations {args.release_a} -> {args.release_b} ({len(changes)} rows)",
    )
    return EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from flows.serve import serve_all

    serve_all(str(args.lake), limit=args.limit)
    return EXIT_OK


def cmd_api(args: argparse.Namespace) -> int:
    from inventory.interfaces.api import serve_api

    serve_api(args.host, args.port, args.lake, max_upload_mb=args.max_upload_mb)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="soc-inventory", description=__doc__.splitlines()[0])
    parser.add_argument("--lake", type=Path, default=settings.lake_root(),
                        help="data lake root (default: $SOILC_LAKE or ./data_lake)")  # fmt: skip
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the whole pipeline on the bundled examples")
    demo.add_argument("--mc-draws", type=int, default=1000)
    demo.set_defaults(func=cmd_demo)
    validate = sub.add_parser("validate", help="check a submission package; stores nothing")
    validate.add_argument("path")
    validate.add_argument("--json", action="store_true", help="machine-readable report")
    validate.set_defaults(func=cmd_validate)
    submit = sub.add_parser("submit", help="store, validate and (if valid) harmonise a package")
    submit.add_argument("path")
    submit.add_argument("--submitter", default=None)
    submit.set_defaults(func=cmd_submit)
    reprocess = sub.add_parser("reprocess", help="validate and file a stored submission again "
                               "(one left 'received' by an interruption)")  # fmt: skip
    reprocess.add_argument("submission_id")
    reprocess.set_defaults(func=cmd_reprocess)
    run = sub.add_parser("run", help="compute and publish the inventory")
    run.add_argument("--country", action="append", default=[], help="ISO3 (repeatable)")
    run.add_argument("--years", help="reported years FIRST-LAST")
    run.add_argument("--tier", type=int, choices=(1, 2), default=2)
    run.add_argument("--approach", type=int, choices=(1, 2, 3), default=None,
                     help="1: stratum areas, 2/3: land units (default: as submitted)")  # fmt: skip
    run.add_argument("--edition", choices=("2019", "2006"), default="2019")
    run.add_argument("--gwp", choices=("AR4", "AR5", "AR6"), default="AR5")
    run.add_argument("--mc-draws", type=int, default=1000)
    run.add_argument("--withdraw", action="append", default=[], metavar="ISO3",
                     help="publish without this country's data, or let its strata and years "
                          "shrink (repeatable); refused otherwise")  # fmt: skip
    run.add_argument("--dask", default=None, metavar="local|ADDRESS",
                     help="per-country fan-out on Dask (default: $SOILC_DASK_ADDRESS, else "
                          "threads)")  # fmt: skip
    run.add_argument("--partitions", type=_partitions, default=1, metavar="N|auto",
                     help="Approach 2/3: land units in N partitions (on the Dask cluster "
                          "with --dask; auto: one per $SOILC_PARTITION_UNITS units)")  # fmt: skip
    run.set_defaults(func=cmd_run)
    status = sub.add_parser("status", help="list published releases")
    status.set_defaults(func=cmd_status)
    report = sub.add_parser("report", help="write the HTML dashboard of the current release")
    report.set_defaults(func=cmd_report)
    diff = sub.add_parser("diff", help="recalculations between two releases, with causes")
    diff.add_argument("release_a")
    diff.add_argument("release_b")
    diff.add_argument("--limit", type=int, default=50)
    diff.set_defaults(func=cmd_diff)
    serve = sub.add_parser("serve", help="serve the Prefect deployments in this process")
    serve.add_argument("--limit", type=int, default=2, help="concurrent flow runs")
    serve.set_defaults(func=cmd_serve)
    api = sub.add_parser("api", help="serve the submission HTTP API and the web portal (/portal)")
    api.add_argument("--host", default="127.0.0.1")
    api.add_argument("--port", type=int, default=8000)
    api.add_argument("--max-upload-mb", type=float, default=None, help="default 50")
    api.set_defaults(func=cmd_api)
    token = sub.add_parser("token", help="create, revoke or list API and portal tokens")
    verbs = token.add_subparsers(dest="verb", required=True)
    create = verbs.add_parser("create", help="new token for a country (or --admin)")
    create.add_argument("country", nargs="?", default=None, help="ISO3 of the contact point")
    create.add_argument("--admin", action="store_true",
                        help="a compiler token (portal compiler pages; no country)")  # fmt: skip
    verbs.add_parser("revoke", help="revoke by token id").add_argument("token_id")
    verbs.add_parser("list", help="token ids, countries, dates (never secrets)")
    token.set_defaults(func=cmd_token)
    grid = sub.add_parser("grid", help="zonal SOC statistics of a gridded (NetCDF) dataset")
    grid.add_argument("path")
    grid.add_argument("--country", required=True, help="ISO3")
    grid.set_defaults(func=cmd_grid)
    return parser


def main(argv: list[str] | None = None) -> int:
    settings.configure_prefect_environment()
    settings.quiet_libraries()
    args = build_parser().parse_args(argv)
    if args.command not in LONG_RUNNING:  # errors are printed once, by this CLI, as one line
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
    try:
        return args.func(args)
    except user_errors() as err:
        print(f"error: {describe_error(err)}", file=sys.stderr)
        return EXIT_USAGE


def describe_error(err: BaseException) -> str:
    """A user error as one line (a listing of offending rows may follow, indented)."""
    from pydantic import ValidationError

    if isinstance(err, ValidationError):
        return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'value'}: {e['msg']}"
                         for e in err.errors())  # fmt: skip
    if isinstance(err, damaged_lake_errors()):
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return (f"a file of the data lake cannot be read ({first}); restore it from a backup "
                "or rerun the step that writes it (submit, reprocess or run)")  # fmt: skip
    return str(err).strip() or type(err).__name__


def damaged_lake_errors() -> tuple[type[BaseException], ...]:
    """Errors of reading a damaged lake file (Parquet, DuckDB, JSON), not of the user's input."""
    import json as json_module

    import duckdb
    import pyarrow

    return (duckdb.IOException, duckdb.InvalidInputException, pyarrow.ArrowException,
            json_module.JSONDecodeError)  # fmt: skip


def user_errors() -> tuple[type[BaseException], ...]:
    """Every error that is the user's to fix (or the lake's): one line, exit 2, no traceback."""
    from filelock import Timeout
    from pydantic import ValidationError

    from inventory.core.failures import RowListingError
    from inventory.core.units import UnitError
    from inventory.engine.factors import FactorError
    from inventory.engine.organic import OrganicFactorError
    from inventory.engine.run import RunYearsError
    from inventory.harmonise.methods import MethodError
    from inventory.intake.grid_format import GridError
    from inventory.lake.releases import PublishError
    from inventory.lake.tokens import TokenError

    return (FileNotFoundError, UsageError, RowListingError, FactorError, OrganicFactorError,
            MethodError, ValidationError, TokenError, GridError, UnitError, PublishError,
            RunYearsError, Timeout, *damaged_lake_errors())  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
