"""Receiving a submission upload: the one path of the HTTP API and the web portal.

:func:`submit_upload` takes the streamed request of an authenticated country and returns the
outcome (HTTP status and JSON body); the API (:mod:`inventory.interfaces.api`) and the portal
call it the same way. In order:

1. the body is spooled to a private temporary folder, never more than ``max_upload_bytes``
   (checked while streaming: a chunked upload is cut off at the limit);
2. its file parts are written under the names the client gave (kept byte for byte, never
   renamed; a name that would leave the folder, is too long for a file system, or collides
   with another (the same under Unicode NFC and case folding, or a file named like another's
   folder: ``x`` and ``x/y``) is refused, and the whole body is then kept as received, under the
   safe name ``upload-body.bin``, with the received names in the receipt);
3. everything received is stored in ``raw/<token country>/<submission_id>/`` with its receipt,
   whatever the package claims: the parsed files, or the spooled body itself when the upload was
   cut at the limit or is not a readable multipart form (the receipt says why it was refused);
4. the stored package is checked before any validation (archive sanity, duplicate members,
   unpacked size, ``submission.yaml``, its country against the token's): a failure is filed in
   ``quarantine/<token country>/`` and answered 422 (403 for another country, 413 for size);
5. otherwise the intake flow validates and files it (``process``), the filed submission is
   announced (``announce``: the ``soil.submission.received`` event), and the report is answered
   201 (accepted) or 422 (rejected).

Answers carry ids and URLs, never a server path. Nothing of one country's upload is ever
written under another country.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request

from inventory.intake.package import MAX_NAME_BYTES, Limits, name_clashes, name_too_long
from inventory.intake.submission import Receipt, receive_submission
from inventory.lake.zones import Lake

MAX_PACKAGE_FILES = 200
UNPACK_RATIO = 10  # a zip may unpack to at most 10 x the upload limit (zip-bomb guard)
SPOOL_CHUNK = 1 << 16
BODY_FILE = "upload-body.bin"  # the stored request body of an upload that could not be unpacked
# Failure rule ids of the pre-storage checks answered with a status other than 422.
STATUS_OF_RULE = {"country_not_sender": 403, "zip_too_large": 413, "zip_too_many_files": 413,
                  "zip_bomb": 413, "file_too_large": 413}  # fmt: skip
ERROR_OF_STATUS = {403: "wrong_country", 413: "payload_too_large"}
# (lake root, submission id) -> outcome of the intake flow on the stored submission
ProcessBackend = Callable[[Path, str], dict]
# (outcome {submission_id, country, accepted}, stored raw folder, submitter) -> None
Announce = Callable[[dict, str, "str | None"], None]


class ApiError(Exception):
    """A user-facing error: HTTP status, machine-readable code, message (no stack trace)."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


@dataclass(frozen=True)
class UploadOptions:
    """Where and how uploads are received (one per app)."""

    lake: Lake
    max_upload_bytes: int
    process: ProcessBackend
    upload_dir: Path | None = None
    unpack_ratio: int = 10  # a zip may unpack to this many times the upload limit
    announce: Announce | None = None  # told of each submission the intake flow filed


def upload_options(state: Any) -> UploadOptions:
    """How an app receives uploads (API and portal alike), from its ``app.state``: lake,
    limit, intake backend (one submission at a time), spool folder, announcer."""
    return UploadOptions(state.lake, state.max_upload_bytes, _serialised(state),
                         state.upload_dir, UNPACK_RATIO, state.announce)  # fmt: skip


def _serialised(state: Any) -> ProcessBackend:
    """The app's intake backend, one submission at a time (``state.intake`` may be replaced)."""

    def process(lake_root: Path, submission_id: str) -> dict:
        with state.lock:
            return state.intake(lake_root, submission_id)

    return process


@dataclass(frozen=True)
class UploadOutcome:
    status: int
    body: dict[str, Any]


# ---------------------------------------------------------------------------- file names
def safe_relative_path(filename: str) -> Path | None:
    """A client file name as a relative path, unchanged (spaces kept), or None when it would
    leave the upload folder or holds control characters."""
    if any(ord(c) < 32 for c in filename):
        return None
    parts = [p for p in filename.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return Path(*parts)


# ---------------------------------------------------------------------------- streaming
def _too_large(limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"the upload exceeds the limit of {limit:,} bytes; "
                    "split the package or ask the inventory team to raise the limit")  # fmt: skip


async def spool_body(request: Request, target: Path, limit: int) -> bool:
    """Stream the body to ``target``; at most ``limit`` bytes are kept. True when it was cut."""
    declared = request.headers.get("content-length", "")
    received, cut = 0, declared.isdigit() and int(declared) > limit
    with open(target, "wb") as sink:
        async for chunk in request.stream():
            keep = chunk[: max(0, limit - received)]
            sink.write(keep)
            received += len(chunk)
            if received > limit:
                return True
    return cut


class _FileParts:
    """python-multipart callbacks writing every file part of the body below ``target``."""

    def __init__(self, target: Path, names: list[str] | None = None):
        self.target: Path = target
        self.files: list[Path] = []
        self.names: list[str] = names if names is not None else []  # as received
        self._handle: Any = None
        self._headers: dict[bytes, bytes] = {}
        self._field, self._value = b"", b""

    def callbacks(self) -> dict:
        return {"on_part_begin": self._begin, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished, "on_part_data": self._data,
                "on_part_end": self.close}  # fmt: skip

    def _begin(self) -> None:
        self._headers, self._field, self._value = {}, b"", b""

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if b"filename" not in options:
            return  # a plain form field: ignored
        name = options[b"filename"].decode("utf-8", "replace")
        self.names.append(name)
        relative = safe_relative_path(name)
        if relative is None:
            raise ApiError(400, "bad_file_name", f"file name {name!r} is not a relative path "
                           "inside the package")  # fmt: skip
        if name_too_long(name):
            raise ApiError(400, "bad_file_name", f"file name {name[:60]!r}... ({len(name)} "
                           f"characters) is longer than a file system stores ({MAX_NAME_BYTES} "
                           "bytes per name); shorten it")  # fmt: skip
        received = [p.relative_to(self.target).as_posix() for p in self.files]
        clash = next((c for c in name_clashes([*received, relative.as_posix()])), None)
        if clash is not None:
            raise ApiError(
                400,
                "ambiguous_file_names",
                f"the upload holds {clash[0]!r} and "
                f"{clash[1]!r}: {clash[2]}; give every file its own name (not "
                "differing only in case or accents, no file named like a folder)",
            )
        if len(self.files) >= MAX_PACKAGE_FILES:
            raise ApiError(400, "bad_file_list", f"more than {MAX_PACKAGE_FILES} files in the "
                           "upload")  # fmt: skip
        path = self.target / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = open(path, "xb")  # closed at part end / close()
        except OSError as err:  # a name this file system cannot hold
            raise ApiError(400, "bad_file_name", f"file name {name[:60]!r} cannot be stored "
                           f"as a file ({err.strerror}); rename it") from None  # fmt: skip
        self.files.append(path)

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._handle is not None:
            self._handle.write(data[start:end])

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def unpack_body(content_type: str, body: Path, target: Path,
                names: list[str] | None = None) -> list[Path]:  # fmt: skip
    """The file parts of a spooled multipart body, written below ``target``; ``names`` gets
    every file name as received (also when a refusal stops the unpacking)."""
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser, parse_options_header

    ctype, options = parse_options_header(content_type)
    if ctype != b"multipart/form-data" or not options.get(b"boundary"):
        raise ApiError(415, "unsupported_media_type", "send the package as multipart/form-data: "
                       "one .zip, or submission.yaml and its data files")  # fmt: skip
    sink = _FileParts(target, names)
    parser = MultipartParser(options[b"boundary"], sink.callbacks())  # type: ignore[arg-type]
    try:
        with open(body, "rb") as source:
            while chunk := source.read(SPOOL_CHUNK):
                parser.write(chunk)
        parser.finalize()
    except MultipartParseError as err:
        raise ApiError(400, "malformed_upload", f"the multipart body is malformed: {err}") from None
    finally:
        sink.close()
    if not sink.files:
        raise ApiError(400, "no_package", "no file in the upload: send the .zip (curl -F "
                       "package=@submission.zip) or the package's files")  # fmt: skip
    return sink.files


def package_path(files: list[Path], folder: Path) -> Path:
    """The one uploaded file (a .zip, or whatever it is), or the folder of uploaded files."""
    if len(files) == 1 and files[0].name != "submission.yaml" and files[0].parent == folder:
        return files[0]
    return folder


# ---------------------------------------------------------------------------- the one path
@dataclass
class ReceivedUpload:
    """A request body spooled to disk (at most the limit) and, unless refused, its files."""

    body: Path
    folder: Path
    files: list[Path]
    refusal: ApiError | None
    cut: bool
    names: list[str] = field(default_factory=list)  # file names as received


async def receive_body(request: Request, spool: Path, limit: int) -> ReceivedUpload:
    """Stream the body into ``spool`` (at most ``limit`` bytes) and unpack its file parts.

    Nothing is stored in the lake yet; a refusal (413, 415, 400) is returned, not raised, so
    that :func:`store_and_check` keeps the received bytes with a receipt all the same.
    """
    body, folder = spool / BODY_FILE, spool / "package"
    cut = await spool_body(request, body, limit)
    refusal = _too_large(limit) if cut else None
    files: list[Path] = []
    names: list[str] = []
    if refusal is None:
        try:
            files = unpack_body(request.headers.get("content-type", ""), body, folder, names)
        except ApiError as err:
            refusal = err
    return ReceivedUpload(body, folder, files, refusal, cut, names)


def store_and_check(received: ReceivedUpload, country: str, options: UploadOptions, *,
                    submitter: str) -> UploadOutcome:  # fmt: skip
    """Keep the bytes in raw/ under ``country`` (the sender's), then check and process them."""
    refusal = received.refusal
    source = received.body if refusal is not None else package_path(
        received.files, received.folder)  # fmt: skip
    notes = {"refused": refusal.code, "truncated": received.cut,
             "received_names": received.names} if refusal else {}  # fmt: skip
    receipt = receive_submission(source, options.lake, submitter=submitter, country=country,
                                 notes=notes)  # fmt: skip
    if refusal is not None:
        return _error(refusal.status, refusal.code, refusal.message, receipt.submission_id)
    return _check_and_process(receipt, options)


async def submit_upload(request: Request, country: str, options: UploadOptions, *,
                        submitter: str) -> UploadOutcome:  # fmt: skip
    """Receive, store, check and process one upload of ``country`` (module docstring)."""
    from fastapi.concurrency import run_in_threadpool

    with tempfile.TemporaryDirectory(prefix="soc-upload-", dir=options.upload_dir) as tmp:
        received = await receive_body(request, Path(tmp), options.max_upload_bytes)
        return await run_in_threadpool(
            store_and_check, received, country, options, submitter=submitter
        )


def _error(status: int, code: str, message: str, submission_id: str | None) -> UploadOutcome:
    return UploadOutcome(status, {"error": code, "message": message,
                                  "submission_id": submission_id,
                                  "url": submission_url(submission_id)})  # fmt: skip


def submission_url(submission_id: str | None) -> str | None:
    return f"/v1/submissions/{submission_id}" if submission_id else None


def _check_and_process(receipt: Receipt, options: UploadOptions) -> UploadOutcome:
    """Pre-checks of the stored package, then the intake flow; the outcome to answer."""
    from inventory.validation import validate

    limits = Limits(max_total_bytes=options.max_upload_bytes * options.unpack_ratio)
    problem = validate.precheck_stored(receipt, limits=limits)
    if problem is not None:
        where = options.lake.quarantine(receipt.country, receipt.submission_id)
        validate.write_quarantine(problem, where)
        status = max((STATUS_OF_RULE.get(str(r), 422) for r in problem.failures["rule_id"]),
                     key=lambda s: s != 422)  # fmt: skip
        if status != 422:
            message = "; ".join(str(m) for m in problem.failures["message"])
            return _error(status, ERROR_OF_STATUS[status], message, receipt.submission_id)
    else:
        outcome = options.process(options.lake.root, receipt.submission_id)
        if outcome.get("country") not in (None, receipt.country):  # never happens by design
            raise RuntimeError(f"intake filed {outcome.get('country')} for {receipt.country}")
    report = submission_report(options.lake, receipt.country, receipt.submission_id)
    if report is None:
        raise RuntimeError(f"submission {receipt.submission_id} was stored but has no receipt")
    if problem is None and options.announce is not None:
        options.announce({k: report[k] for k in ("submission_id", "country", "accepted")},
                         receipt.raw_dir, receipt.submitter)  # fmt: skip
    return UploadOutcome(201 if report["accepted"] else 422, report)


# ---------------------------------------------------------------------------- reports
def _failure_records(failures: Any) -> list[dict]:
    if isinstance(failures, dict):  # pandas "columns" orientation {column: {row: value}}
        rows = sorted({k for column in failures.values() for k in column}, key=str)
        return [{c: failures[c].get(r) for c in failures} for r in rows]
    return list(failures or [])


def read_report(where: Path) -> tuple[list[dict], dict]:
    """Failures and summary of the JSON validation report in ``where`` (``report.json`` first)."""
    import json

    candidates = [where / "report.json", *sorted(where.glob("*.json"))]
    for path in candidates:
        if not path.is_file():
            continue
        payload = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(payload, dict) and ("failures" in payload or "summary" in payload):
            return _failure_records(payload.get("failures")), dict(payload.get("summary") or {})
    return [], {}


PRIVATE_KEYS = ("raw_dir", "package", "package_dir")  # server paths are never answered


def submission_report(lake: Lake, country: str, submission_id: str) -> dict | None:
    """Receipt and validation report of ``country``'s submission (ids and URLs, no server
    path); None when it has none."""
    import json

    from inventory.intake.submission import SUBMISSION_ID_RE

    if not SUBMISSION_ID_RE.match(submission_id):
        return None
    receipt_path = lake.raw(country, submission_id) / "receipt.json"
    if not receipt_path.is_file():
        return None
    if lake.quarantine(country, submission_id).is_dir():
        status, accepted = "rejected", False
        failures, summary = read_report(lake.quarantine(country, submission_id))
    elif lake.validated(country, submission_id).is_dir():
        status, accepted = "accepted", True
        where = lake.validated(country, submission_id)
        failures, summary = read_report(where)
        summary = summary or {"datasets": sorted(p.stem for p in where.glob("*.parquet"))}
    else:  # stored, not yet (or, after an interruption, never) filed: see `reprocess`
        status, accepted, failures, summary = "received", None, [], {}
    receipt = json.loads(receipt_path.read_text(encoding="utf-8"))
    if receipt.get("refused"):
        status, accepted = "refused", False
    public = {k: v for k, v in receipt.items() if k not in PRIVATE_KEYS}
    return json.loads(json.dumps({
        "submission_id": submission_id, "country": country, "accepted": accepted,
        "status": status, "url": submission_url(submission_id), "failures": failures,
        "n_failures": len(failures),
        "summary": {k: v for k, v in summary.items() if k not in PRIVATE_KEYS},
        "receipt": public,
    }, default=str))  # fmt: skip


def list_submissions(lake: Lake, country: str) -> list[dict]:
    """Status of each of ``country``'s stored submissions, newest first (no failure rows)."""
    out = []
    for receipt in sorted((lake.root / "raw" / country).glob("*/receipt.json"), reverse=True):
        report = submission_report(lake, country, receipt.parent.name)
        if report is not None:
            out.append({k: report[k] for k in ("submission_id", "status", "n_failures", "url")})
    return out
