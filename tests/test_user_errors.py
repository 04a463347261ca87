"""Every user error, through every interface: the message and the action, never a reference.

Every :class:`~inventory.core.errors.UserError` subclass of the domain (found recursively after
importing every domain module), and the third-party errors mapped to one, is raised through
the CLI (``main`` with a command that raises: one ``error:`` line, the ``action:`` line, exit
2), the HTTP API (a route that raises: a 4xx JSON answer with ``error``, ``message`` and
``action``), a portal page (a route under ``/portal`` that raises: a page with both) and a
portal job (an inventory run that raises: the run's page shows both). An internal-error
reference is only ever shown for a real bug.
"""

from __future__ import annotations

import errno
import html
import importlib
import pickle
import pkgutil
import re
import warnings

import duckdb
import filelock
import pytest

with warnings.catch_warnings():  # Starlette asks for httpx2; the httpx client still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import inventory
from inventory.core.errors import UserError, _rebuild, as_user_error
from inventory.engine.run import RunParameters
from inventory.interfaces import api, cli
from inventory.interfaces.portal import jobs
from inventory.lake import tokens

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
INTERNAL = "internal error"


def _domain_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.walk_packages(inventory.__path__, prefix="inventory.")
                  if not m.name.startswith("inventory.interfaces"))  # fmt: skip


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def user_error_classes() -> list[type[UserError]]:
    """UserError and every subclass of it in the domain, each once."""
    for name in _domain_modules():
        importlib.import_module(name)
    classes = {c for c in [UserError, *_subclasses(UserError)] if c.__module__.startswith(
        "inventory.") and not c.__module__.startswith("inventory.interfaces")}  # fmt: skip
    return sorted(classes, key=lambda c: f"{c.__module__}.{c.__qualname__}")


CLASSES = user_error_classes()


def example(cls: type[UserError]) -> UserError:
    """An instance of ``cls`` with a recognisable message and action (built as unpickling does:
    the subclasses' constructors take rows, failures or text)."""
    err = _rebuild(cls, (f"{cls.__name__} says what is wrong",),
                   {"action": f"{cls.__name__} says what to do"})  # fmt: skip
    assert isinstance(err, cls)
    return err  # type: ignore[return-value]


def _validation_error() -> Exception:
    try:
        RunParameters(mc_draws=-1)
    except Exception as err:  # noqa: BLE001 - pydantic's ValidationError
        return err
    raise AssertionError("mc_draws=-1 validated")


THIRD_PARTY = {
    "duckdb": duckdb.IOException("No magic bytes found at end of file 'x.parquet'"),
    "filelock": filelock.Timeout("/lake/releases/.publish.lock"),
    "pydantic": _validation_error(),
    "no-space": OSError(errno.ENOSPC, "No space left on device", "/lake/raw/IRL/receipt.json"),
    "read-only": OSError(errno.EROFS, "Read-only file system", "/lake/raw/IRL"),
}


def expected(err: BaseException) -> UserError:
    mapped = as_user_error(err)
    assert mapped is not None, err
    return mapped


CASES = [pytest.param(example(c), id=c.__qualname__) for c in CLASSES] + [
    pytest.param(e, id=f"third-party-{k}") for k, e in THIRD_PARTY.items()
]


def test_every_domain_error_class_is_found():
    names = {c.__name__ for c in CLASSES}
    assert {"UserError", "RowListingError", "MissingFactorError", "LandUnitHistoryError",
            "UnitError", "RunYearsError", "PublishError", "DamagedLakeError", "FactorError",
            "OrganicFactorError", "MethodError", "GridError", "TokenError", "UsageError",
            "LockTimeoutError", "MissingInputError", "NotAcceptedError", "NotFoundError",
            "CountryCodeError", "ParameterError", "SubmissionError"} <= names  # fmt: skip


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__qualname__)
def test_each_user_error_survives_pickling_with_its_action(cls):
    err = example(cls)
    again = pickle.loads(pickle.dumps(err))  # as a Dask worker or a Prefect result sends it
    assert type(again) is cls and again.message == err.message and again.action == err.action


# ---------------------------------------------------------------------------- the CLI
@pytest.mark.parametrize("err", CASES)
def test_the_cli_prints_the_message_and_the_action_and_exits_2(err, tmp_path, monkeypatch, capsys):
    def raising(_args):
        raise err

    monkeypatch.setattr(cli, "cmd_status", raising)
    assert cli.main(["--lake", str(tmp_path / "lake"), "status"]) == cli.EXIT_USAGE
    captured = capsys.readouterr()
    want = expected(err)
    lines = captured.err.rstrip("\n").split("\n")
    assert lines[0] == f"error: {want.message.splitlines()[0]}"
    if want.action:
        assert lines[-1] == f"action: {want.action}"
    assert INTERNAL not in captured.err and "Traceback" not in captured.err


# ---------------------------------------------------------------------------- API and portal
@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("user-errors")
    lake = root / "lake"
    compiler = tokens.create_token(tokens.store_path(lake), None, role=tokens.COMPILER)
    app = api.create_app(lake, upload_dir=root)
    raised: dict[str, BaseException] = {}

    def raise_it():
        raise raised["error"]

    app.add_api_route("/v1/test-raise", raise_it)
    app.add_api_route("/portal/test-raise", raise_it)
    client = TestClient(app, raise_server_exceptions=False)
    page = client.get("/portal/signin")
    csrf = CSRF_RE.search(page.text).group(1)
    signed_in = client.post("/portal/signin", data={"token": compiler, "csrf_token": csrf},
                            follow_redirects=False)  # fmt: skip
    assert signed_in.status_code == 303, signed_in.text
    return {"app": app, "client": client, "raised": raised, "lake": lake}


@pytest.mark.parametrize("err", CASES)
def test_the_api_answers_4xx_json_with_error_message_and_action(err, site):
    site["raised"]["error"] = err
    answer = site["client"].get("/v1/test-raise")
    want = expected(err)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json() == {"error": want.code, "message": want.message, "action": want.action}
    assert INTERNAL not in answer.text


@pytest.mark.parametrize("err", CASES)
def test_a_portal_page_shows_the_message_and_the_action(err, site):
    site["raised"]["error"] = err
    page = site["client"].get("/portal/test-raise")
    want = expected(err)
    assert 400 <= page.status_code < 500
    assert page.headers["content-type"].startswith("text/html")
    text = html.unescape(page.text)
    assert want.message in text and INTERNAL not in text
    if want.action:
        assert f"What to do: {want.action}" in re.sub(r"<[^>]+>", "", text)


@pytest.mark.parametrize("err", CASES)
def test_a_portal_run_shows_the_message_and_the_action(err, site, monkeypatch):
    import flows.inventory_run

    def run_raising(*_args):
        raise err

    monkeypatch.setattr(flows.inventory_run, "inventory_run_on", lambda *_a: run_raising)
    registry = site["app"].state.portal.jobs
    job = registry.new("run", parameters=RunParameters(countries=["KEN"]).model_dump())
    jobs._run_locally(registry, job, RunParameters(countries=["KEN"]), str(site["lake"]))
    want = expected(err)
    assert job.state == jobs.REFUSED and job.message == want.message
    assert job.result["action"] == want.action
    page = site["client"].get(f"/portal/compiler/runs/{job.job_id}")
    assert page.status_code == 200
    text = re.sub(r"<[^>]+>", "", html.unescape(page.text))
    assert "refused" in text and want.message in text and INTERNAL not in text
    if want.action:
        assert f"What to do: {want.action}" in text


def test_a_bug_is_shown_as_an_internal_error_reference_only(site, monkeypatch):
    site["raised"]["error"] = KeyError("secret detail of a bug")
    answer = site["client"].get("/v1/test-raise")
    assert answer.status_code == 500 and answer.json()["error"] == "internal_error"
    assert "secret" not in answer.text
    page = site["client"].get("/portal/test-raise")
    assert page.status_code == 500 and "secret" not in page.text
