"""Submission HTTP API against a real uvicorn server on localhost (a thread) through httpx.

Most tests replace the intake flow with :func:`stub_intake` (it files a submission in the lake
as the flow would, with a fixed report), so they test the API: tokens, country isolation, size
limits, upload forms and the report read back from the lake. ``test_real_intake_flow_*`` runs
the real flow (``flows.intake.intake``) under the Prefect harness.
"""

from __future__ import annotations

import contextvars
import io
import json
import socket
import threading
import time
import zipfile
from pathlib import Path

import httpx
import pytest
import uvicorn

from inventory.intake.package import find_package_root
from inventory.intake.submission import load_receipt
from inventory.interfaces import api, uploads
from inventory.lake import tokens
from inventory.lake.zones import Lake, write_json_atomic

MAX_UPLOAD_BYTES = 64 * 1024  # small limit so the 413 tests send little

SUBMISSION_YAML = """\
country: {country}
contact: {{name: Test Contact, email: contact@example.org}}
years: [2000, 2002]
tier: 1
approach: 1
files:
  land_areas: land_areas.csv
"""
LAND_AREAS_HEADER = "year,climate_zone,soil_class,land_use,management,input,area,area_unit\n"
GOOD_ROWS = "".join(
    f"{year},tropical_moist,hac,{use},{mg},medium,{area},ha\n"
    for year in (2000, 2001, 2002)
    for use, mg, area in (("cropland", "full_tillage", 1200), ("grassland", "nominal", 800))
)
# row 2: unknown climate zone; row 3: negative area
BAD_ROWS = (
    "2000,tropical_moist,hac,cropland,full_tillage,medium,1200,ha\n"
    "2000,tropical_soggy,hac,cropland,full_tillage,medium,1200,ha\n"
    "2001,tropical_moist,hac,cropland,full_tillage,medium,-5,ha\n"
)
STUB_FAILURES = [
    {"file": "land_areas.csv", "row": 2, "column": "climate_zone", "value": "tropical_soggy",
     "rule_id": "climate_zone_in_vocabulary", "message": "unknown climate zone",
     "fix": "use an IPCC 2019 climate zone code"},
    {"file": "land_areas.csv", "row": 3, "column": "area", "value": -5,
     "rule_id": "area_nonnegative", "message": "area is negative", "fix": "area >= 0"},
]  # fmt: skip


def package_files(country: str, rows: str = GOOD_ROWS) -> dict[str, str]:
    return {"submission.yaml": SUBMISSION_YAML.format(country=country),
            "land_areas.csv": LAND_AREAS_HEADER + rows}  # fmt: skip


def zip_bytes(files: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def stub_intake(lake_root: Path, sid: str) -> dict:
    """Files a stored submission as the intake flow would: quarantine/ or validated/."""
    lake = Lake.at(lake_root)
    receipt = load_receipt(lake, sid)
    package = find_package_root(receipt.package_root)
    if package.is_dir():
        files = {p.name: p.read_text() for p in package.iterdir()}
    else:
        with zipfile.ZipFile(package) as archive:
            files = {n: archive.read(n).decode() for n in archive.namelist()}
    country = receipt.country
    rejected = "tropical_soggy" in files.get("land_areas.csv", "")
    failures = STUB_FAILURES if rejected else []
    where = (lake.quarantine if rejected else lake.validated)(country, sid)
    summary = {"n_failures": len(failures), "datasets": ["land_areas"]}
    write_json_atomic(where / "report.json", {"ok": not rejected, "failures": failures,
                                              "summary": summary})  # fmt: skip
    return {"submission_id": sid, "country": country, "accepted": not rejected}


def start_in_thread(
    app, config: uvicorn.Config | None = None
) -> tuple[uvicorn.Server, threading.Thread, str]:
    """uvicorn on a free localhost port in a daemon thread; returns (server, thread, base URL).

    ``config`` replaces the default uvicorn settings (its host and port are ignored: the
    server takes a socket bound to a free port of 127.0.0.1).

    The thread runs in a copy of this context, so Prefect's test-harness settings (context
    variables) reach the flows the server runs.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # a free port, held until uvicorn takes the socket
    server = uvicorn.Server(config or uvicorn.Config(app, log_level="warning", lifespan="off"))
    context = contextvars.copy_context()
    thread = threading.Thread(target=context.run, args=(server.run,),
                              kwargs={"sockets": [sock]}, daemon=True)  # fmt: skip
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    lake, uploads = root / "lake", root / "uploads"
    uploads.mkdir()
    store = tokens.store_path(lake)  # <lake>/config/tokens.json, as create_app assumes
    keys = {c: tokens.create_token(store, c) for c in ("KEN", "URY")}
    revoked = tokens.create_token(store, "KEN")
    tokens.revoke_token(store, tokens.token_id_of(revoked))
    app = api.create_app(lake, max_upload_bytes=MAX_UPLOAD_BYTES, upload_dir=uploads)
    app.state.intake = stub_intake
    announced: list[tuple] = []  # what would be emitted as soil.submission.received
    app.state.announce = lambda *args: announced.append(args)
    server, thread, base = start_in_thread(app)
    with httpx.Client(base_url=base, timeout=60) as client:
        yield {"client": client, "keys": keys, "revoked": revoked, "lake": lake,
               "uploads": uploads, "app": app, "store": store,
               "announced": announced}  # fmt: skip
    server.should_exit = True
    thread.join(timeout=10)


def auth(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def upload(env, token: str | None, content: bytes, name: str = "package.zip"):
    headers = auth(token) if token else {}
    files = {"package": (name, content, "application/zip")}
    return env["client"].post("/v1/submissions", headers=headers, files=files)


def raw_entries(lake: Path) -> set[str]:
    raw = lake / "raw"
    return {str(p.relative_to(raw)) for p in raw.glob("*/*")} if raw.exists() else set()


def test_health(env):
    response = env["client"].get("/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "api_version": "v1"}


def test_zip_upload_accepted_is_201_with_report_and_readable_back(env):
    response = upload(env, env["keys"]["KEN"], zip_bytes(package_files("KEN")), "ken.zip")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["country"], body["accepted"], body["status"]) == ("KEN", True, "accepted")
    assert body["failures"] == [] and body["n_failures"] == 0
    assert body["summary"]["datasets"] == ["land_areas"]
    sid = body["submission_id"]
    assert body["receipt"]["submitter"].startswith("api token ")
    assert tokens.token_id_of(env["keys"]["KEN"]) in body["receipt"]["submitter"]
    status = env["client"].get(f"/v1/submissions/{sid}", headers=auth(env["keys"]["KEN"]))
    assert status.status_code == 200 and status.json() == body
    listing = env["client"].get("/v1/submissions", headers=auth(env["keys"]["KEN"])).json()
    assert {"submission_id": sid, "status": "accepted", "n_failures": 0,
            "url": f"/v1/submissions/{sid}"} in listing["submissions"]  # fmt: skip
    assert "raw_dir" not in response.text and str(env["lake"]) not in response.text
    assert list(env["uploads"].iterdir()) == []  # the spooled upload was deleted


def test_filed_uploads_are_announced_with_their_id_refused_ones_are_not(env):
    """soil.submission.received goes out once the intake flow filed the stored submission
    (accepted or rejected), with its id, the stored raw folder and the submitter."""
    env["announced"].clear()
    good = upload(env, env["keys"]["KEN"], zip_bytes(package_files("KEN"))).json()
    bad = upload(env, env["keys"]["KEN"], zip_bytes(package_files("KEN", BAD_ROWS))).json()
    wrong = upload(env, env["keys"]["URY"], zip_bytes(package_files("KEN")))  # 403: never filed
    assert wrong.status_code == 403
    raw = env["lake"] / "raw" / "KEN"
    assert env["announced"] == [
        ({"submission_id": good["submission_id"], "country": "KEN", "accepted": True},
         str(raw / good["submission_id"]), good["receipt"]["submitter"]),
        ({"submission_id": bad["submission_id"], "country": "KEN", "accepted": False},
         str(raw / bad["submission_id"]), bad["receipt"]["submitter"]),
    ]  # fmt: skip


def test_multipart_files_upload_rejected_is_422_with_failures(env):
    files = [("files", (name, text.encode(), "text/plain"))
             for name, text in package_files("KEN", BAD_ROWS).items()]  # fmt: skip
    response = env["client"].post("/v1/submissions", headers=auth(env["keys"]["KEN"]),
                                  files=files)  # fmt: skip
    assert response.status_code == 422, response.text
    body = response.json()
    assert (body["country"], body["accepted"], body["status"]) == ("KEN", False, "rejected")
    assert body["failures"] == STUB_FAILURES and body["n_failures"] == 2
    assert sorted(body["receipt"]["files"]) == ["land_areas.csv", "submission.yaml"]  # a folder
    assert (env["lake"] / "quarantine" / "KEN" / body["submission_id"]).is_dir()


def test_wrong_country_token_is_refused_and_kept_under_the_tokens_country(env):
    before = raw_entries(env["lake"])
    response = upload(env, env["keys"]["URY"], zip_bytes(package_files("KEN")))
    assert response.status_code == 403
    assert response.json()["error"] == "wrong_country"
    assert "URY" in response.json()["message"] and "KEN" in response.json()["message"]
    sid = response.json()["submission_id"]
    assert raw_entries(env["lake"]) - before == {f"URY/{sid}"}  # the bytes, under the sender
    assert (env["lake"] / "quarantine" / "URY" / sid / "report.json").is_file()
    assert not list((env["lake"] / "raw").glob(f"KEN/{sid}"))
    assert not list((env["lake"] / "harmonised").glob("**/*KEN*"))
    assert list(env["uploads"].iterdir()) == []


@pytest.mark.parametrize(
    ("token", "code"), [(None, "unauthorized"), ("soc_00000000_" + "x" * 43, "invalid_token"),
                        ("not-a-token", "invalid_token"), ("revoked", "invalid_token")],
)  # fmt: skip
def test_missing_or_invalid_token_is_401(env, token, code):
    token = env["revoked"] if token == "revoked" else token
    before = raw_entries(env["lake"])
    response = upload(env, token, zip_bytes(package_files("KEN")))
    assert response.status_code == 401
    assert response.json()["error"] == code
    assert response.headers["www-authenticate"] == "Bearer"
    assert raw_entries(env["lake"]) == before
    get = env["client"].get("/v1/submissions/anything", headers=auth(token) if token else {})
    assert get.status_code == 401


def test_another_token_of_the_same_country_is_accepted(env):
    second = tokens.create_token(env["store"], "URY")
    response = upload(env, second, zip_bytes(package_files("URY")))
    assert response.status_code == 201 and response.json()["country"] == "URY"


def refused_receipt(env, response) -> dict:
    """The receipt of a refused upload: its bytes are kept under the token's country."""
    sid = response.json()["submission_id"]
    return json.loads((env["lake"] / "raw" / "KEN" / sid / "receipt.json").read_text())


def test_oversized_upload_is_413_and_its_first_bytes_are_kept(env):
    big = zip_bytes({**package_files("KEN"), "noise.bin": bytes(range(256)) * 1024})
    big = big + b"\0" * max(0, MAX_UPLOAD_BYTES + 1 - len(big))
    response = upload(env, env["keys"]["KEN"], big)
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert f"{MAX_UPLOAD_BYTES:,}" in response.json()["message"]
    receipt = refused_receipt(env, response)
    assert (receipt["refused"], receipt["truncated"]) == ("payload_too_large", True)
    (stored,) = receipt["files"].values()
    assert stored["size"] == MAX_UPLOAD_BYTES  # every byte up to the limit, no more


def test_oversized_streamed_upload_is_cut_off_at_the_limit(env):
    """Chunked transfer (no Content-Length): the limit is enforced while streaming."""
    boundary = "soc-test-boundary"
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"package\"; "
            f"filename=\"big.zip\"\r\nContent-Type: application/zip\r\n\r\n").encode()  # fmt: skip
    sent = []

    def body():
        yield head
        for _ in range(64):  # up to 64 x 16 KiB = 1 MiB; the server stops reading at 64 KiB
            sent.append(16384)
            yield b"\1" * 16384
        yield f"\r\n--{boundary}--\r\n".encode()

    headers = {**auth(env["keys"]["KEN"]),
               "Content-Type": f"multipart/form-data; boundary={boundary}"}  # fmt: skip
    try:
        response = env["client"].post("/v1/submissions", headers=headers, content=body())
    except httpx.TransportError:  # the server may close before the client finished sending
        pass
    else:
        assert response.status_code == 413
        assert response.json()["error"] == "payload_too_large"
        (stored,) = refused_receipt(env, response)["files"].values()
        assert stored["size"] == MAX_UPLOAD_BYTES
    assert sum(sent) < 64 * 16384 or True  # the client may or may not have sent it all
    assert list(env["uploads"].iterdir()) == []


def test_zip_bomb_is_413_before_it_is_unpacked(env):
    bomb = zip_bytes({**package_files("KEN"), "zeros.csv": b"0" * (11 * MAX_UPLOAD_BYTES)})
    assert len(bomb) < MAX_UPLOAD_BYTES  # compresses to a few KiB
    response = upload(env, env["keys"]["KEN"], bomb)
    assert response.status_code == 413 and "unpacks to" in response.json()["message"]
    sid = response.json()["submission_id"]
    assert (env["lake"] / "quarantine" / "KEN" / sid / "report.json").is_file()
    assert not (env["lake"] / "validated" / "KEN" / sid).exists()


def test_another_countrys_submission_reads_as_not_found(env):
    sid = "sub-20260101T000000000000Z-abc123"  # a stored KEN submission, not yet filed
    receipt = {"submission_id": sid, "country": "KEN", "submitter": "test"}
    write_json_atomic(env["lake"] / "raw" / "KEN" / sid / "receipt.json", receipt)
    own = env["client"].get(f"/v1/submissions/{sid}", headers=auth(env["keys"]["KEN"]))
    assert own.status_code == 200
    assert (own.json()["status"], own.json()["accepted"]) == ("received", None)
    assert own.json()["receipt"] == receipt
    other = env["client"].get(f"/v1/submissions/{sid}", headers=auth(env["keys"]["URY"]))
    missing = env["client"].get("/v1/submissions/sub-none", headers=auth(env["keys"]["URY"]))
    assert other.status_code == missing.status_code == 404
    assert other.json()["error"] == missing.json()["error"] == "not_found"
    listing = env["client"].get("/v1/submissions", headers=auth(env["keys"]["URY"])).json()
    assert sid not in json.dumps(listing) and listing["country"] == "URY"
    for path in ("..%2F..%2FKEN%2F" + sid, "..%2FKEN%2F" + sid):
        traversal = env["client"].get(f"/v1/submissions/{path}", headers=auth(env["keys"]["URY"]))
        assert traversal.status_code == 404


def test_unreadable_packages_get_a_report_and_are_kept(env):
    before = raw_entries(env["lake"])
    not_zip = upload(env, env["keys"]["KEN"], b"this is not a zip")
    assert not_zip.status_code == 422
    assert not_zip.json()["failures"][0]["rule_id"] == "package_not_zip"
    assert not_zip.json()["status"] == "rejected"
    no_yaml = upload(env, env["keys"]["KEN"], zip_bytes({"land_areas.csv": LAND_AREAS_HEADER}))
    assert no_yaml.status_code == 422
    assert no_yaml.json()["failures"][0]["rule_id"] == "missing_submission_yaml"
    no_country = upload(env, env["keys"]["KEN"], zip_bytes({"submission.yaml": "tier: 1\n"}))
    assert no_country.json()["failures"][0]["rule_id"] == "manifest_country"
    form = env["client"].post("/v1/submissions", headers=auth(env["keys"]["KEN"]),
                              data={"note": "no file"})  # fmt: skip
    assert form.status_code == 415
    no_file = env["client"].post("/v1/submissions", headers=auth(env["keys"]["KEN"]),
                                 files={"note": (None, b"text only")})  # fmt: skip
    assert (no_file.status_code, no_file.json()["error"]) == (400, "no_package")
    answers = (not_zip, no_yaml, no_country, form, no_file)
    assert raw_entries(env["lake"]) - before == {f"KEN/{r.json()['submission_id']}"
                                                 for r in answers}  # every one kept  # fmt: skip


def test_file_names_cannot_escape_the_upload_folder():
    assert uploads.safe_relative_path("../../etc/passwd") is None
    assert uploads.safe_relative_path("/abs/land areas.csv") == Path("abs/land areas.csv")
    assert uploads.safe_relative_path("data\\x.csv") == Path("data/x.csv")
    assert uploads.safe_relative_path("") is None
    assert uploads.safe_relative_path("bad\x00name.csv") is None


def test_internal_errors_answer_json_without_a_stack_trace(env):
    def broken(*_args):
        raise RuntimeError("boom in /secret/path")

    app, original = env["app"], env["app"].state.intake
    app.state.intake = broken
    try:
        response = upload(env, env["keys"]["KEN"], zip_bytes(package_files("KEN")))
    finally:
        app.state.intake = original
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    assert "secret" not in response.text and "Traceback" not in response.text


def test_read_report_accepts_column_oriented_failures(tmp_path):
    write_json_atomic(tmp_path / "report.json", {
        "failures": {"row": {"0": 2, "1": 3}, "rule_id": {"0": "a", "1": "b"}},
        "summary": {"n_failures": 2}})  # fmt: skip
    failures, summary = api.read_report(tmp_path)
    assert failures == [{"row": 2, "rule_id": "a"}, {"row": 3, "rule_id": "b"}]
    assert summary == {"n_failures": 2}


def test_token_store_keeps_only_salted_hashes(tmp_path):
    store = tmp_path / "tokens.json"
    first, second = tokens.create_token(store, "irl"), tokens.create_token(store, "IRL")
    text = store.read_text()
    # the secret is everything after "soc_<id>_" (base64url: it may itself hold "_")
    assert first.split("_", 2)[2] not in text and second.split("_", 2)[2] not in text
    assert store.stat().st_mode & 0o777 == 0o600
    records = json.loads(text)["tokens"]
    assert [r["country"] for r in records] == ["IRL", "IRL"]
    assert records[0]["salt"] != records[1]["salt"] and len(bytes.fromhex(records[0]["salt"])) == 16
    assert (records[0]["kdf"], records[0]["n"], records[0]["r"], records[0]["p"]) == (
        "scrypt", 2**14, 8, 1)  # fmt: skip
    assert tokens.verify(store, first) == "IRL"
    assert tokens.verify(store, first[:-1] + ("A" if first[-1] != "A" else "B")) is None
    assert tokens.revoke_token(store, tokens.token_id_of(first)) is True
    assert tokens.revoke_token(store, first) is False  # already revoked (plaintext accepted)
    assert tokens.verify(store, first) is None and tokens.verify(store, second) == "IRL"
    with pytest.raises(tokens.TokenError, match="alpha-3"):
        tokens.create_token(store, "IE")


def test_token_store_path_defaults_into_the_lake(tmp_path, monkeypatch):
    monkeypatch.delenv("SOILC_TOKENS", raising=False)
    assert tokens.store_path(tmp_path) == tmp_path / "config" / "tokens.json"
    monkeypatch.setenv("SOILC_TOKENS", str(tmp_path / "elsewhere.json"))
    assert tokens.store_path(tmp_path) == tmp_path / "elsewhere.json"


def test_token_cli(tmp_path, capsys):
    """``soc-inventory token create | list | revoke``: the one token CLI."""
    from inventory.interfaces import cli

    lake = tmp_path / "lake"
    store = lake / "config" / "tokens.json"
    assert cli.main(["--lake", str(lake), "token", "create", "ury"]) == cli.EXIT_OK
    token = capsys.readouterr().out.splitlines()[-1]
    assert tokens.verify(store, token) == "URY"
    assert cli.main(["--lake", str(lake), "token", "list"]) == cli.EXIT_OK
    listed = capsys.readouterr().out
    assert "URY" in listed and tokens.token_id_of(token) in listed
    assert "hash" not in listed and "salt" not in listed
    assert cli.main(["--lake", str(lake), "token", "revoke", "deadbeef"]) != cli.EXIT_OK
    assert cli.main(["--lake", str(lake), "token", "revoke", token]) == cli.EXIT_OK
    assert tokens.verify(store, token) is None


def test_deployment_backend_runs_the_intake_deployment_on_the_stored_submission(
    tmp_path, monkeypatch
):
    """``intake_deployment``: run_deployment with the stored submission's id, then its report."""
    from types import SimpleNamespace

    import prefect.deployments

    from inventory.intake.submission import receive_submission

    calls = []

    def fake_run_deployment(name, parameters, timeout):
        calls.append((name, parameters, timeout))
        stub_intake(Path(parameters["lake_root"]), parameters["submission_id"])
        state = SimpleNamespace(is_completed=lambda: True, name="Completed")
        return SimpleNamespace(id="run-1", state=state)

    monkeypatch.setattr(prefect.deployments, "run_deployment", fake_run_deployment)
    package = tmp_path / "p.zip"
    package.write_bytes(zip_bytes(package_files("KEN")))
    lake = Lake.at(tmp_path / "lake")
    sid = receive_submission(package, lake, country="KEN").submission_id
    backend = api.deployment_backend("intake/intake", timeout_s=5)
    outcome = backend(lake.root, sid)
    assert calls[0][0] == "intake/intake" and calls[0][2] == 5
    assert calls[0][1] == {"lake_root": str(lake.root), "submission_id": sid}
    assert outcome == {"submission_id": sid, "flow_run_id": "run-1"}
    assert api.submission_report(lake, "KEN", sid)["status"] == "accepted"


@pytest.mark.prefect
@pytest.mark.slow
def test_real_intake_flow_through_the_api(prefect_harness, tmp_path):
    """The default backend: the intake flow runs in the server's worker thread."""
    lake = tmp_path / "lake"
    key = tokens.create_token(tokens.store_path(lake), "KEN")
    server, thread, base = start_in_thread(api.create_app(lake))
    try:
        with httpx.Client(base_url=base, timeout=300) as client:
            bad = client.post("/v1/submissions", headers=auth(key), files={
                "package": ("bad.zip", zip_bytes(package_files("KEN", BAD_ROWS)))})  # fmt: skip
            good = client.post("/v1/submissions", headers=auth(key), files={
                "package": ("good.zip", zip_bytes(package_files("KEN")))})  # fmt: skip
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert bad.status_code == 422, bad.text
    body = bad.json()
    assert (body["status"], body["accepted"]) == ("rejected", False)
    assert body["n_failures"] == len(body["failures"]) >= 2
    text = json.dumps(body["failures"])
    assert "tropical_soggy" in text and "-5" in text
    assert (lake / "quarantine" / "KEN" / body["submission_id"]).is_dir()
    assert good.status_code == 201, good.text
    assert good.json()["status"] == "accepted"
    assert (lake / "validated" / "KEN" / good.json()["submission_id"]).is_dir()
