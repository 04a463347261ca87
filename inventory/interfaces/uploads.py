"""Receiving a submission upload: streaming multipart parts to disk and pre-storage checks.

Used by :mod:`inventory.interfaces.api`. Everything here runs **before** anything is stored in the
lake: the body is streamed to a spool folder with a byte limit (413), client file names are reduced
to safe relative paths, a zip is checked for its unpacked size (zip-bomb guard) and the country its
``submission.yaml`` declares is read, so a package for another country than the token's is refused
without touching ``raw/``.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

import yaml
from fastapi import Request

from inventory.core.failures import failure

MAX_PACKAGE_FILES = 200
MAX_YAML_BYTES = 2**20  # submission.yaml is a few hundred bytes
_UNSAFE_RE = re.compile(r"[^A-Za-z0-9._-]")


class ApiError(Exception):
    """A user-facing error: HTTP status, machine-readable code, message (no stack trace)."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers


class PackageRejected(Exception):
    """The package cannot be read far enough to store it; answered 422 with ``failures``."""

    def __init__(self, rule_id: str, message: str, fix: str, *, file: str = "", value=None):
        super().__init__(message)
        self.failures = [failure(rule_id, message, fix, file=file, value=value)]


# ---------------------------------------------------------------------------- upload streaming
def safe_relative_path(filename: str) -> Path | None:
    """A client file name as a safe relative path (parts sanitised, no ``..``), else None."""
    parts = [p for p in filename.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        return None
    return Path(*(_UNSAFE_RE.sub("_", p) for p in parts))


class _FileParts:
    """python-multipart callbacks writing every file part of the body below ``target``."""

    def __init__(self, target: Path):
        self.target: Path = target
        self.files: list[Path] = []
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
        relative = safe_relative_path(name)
        if relative is None:
            raise ApiError(400, "bad_file_name", f"file name {name!r} is not a relative path")
        path = self.target / relative
        if path in self.files or len(self.files) >= MAX_PACKAGE_FILES:
            raise ApiError(400, "bad_file_list", f"duplicate file {name!r} or more than "
                           f"{MAX_PACKAGE_FILES} files in the upload")  # fmt: skip
        path.parent.mkdir(parents=True, exist_ok=True)
        self.files.append(path)
        self._handle = open(path, "wb")  # closed at part end / close()

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._handle is not None:
            self._handle.write(data[start:end])

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _too_large(what: str, limit: int) -> ApiError:
    return ApiError(413, "payload_too_large", f"the {what} exceeds the limit of {limit:,} bytes; "
                    "split the package or ask the inventory team to raise the limit")  # fmt: skip


async def receive_upload(request: Request, target: Path, limit: int) -> list[Path]:
    """Stream the multipart body's file parts to ``target``, enforcing ``limit`` bytes."""
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser, parse_options_header

    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large("upload", limit)
    ctype, options = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data" or not options.get(b"boundary"):
        raise ApiError(415, "unsupported_media_type", "send the package as multipart/form-data: "
                       "one .zip, or submission.yaml and its data files")  # fmt: skip
    sink, received = _FileParts(target), 0
    parser = MultipartParser(options[b"boundary"], sink.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limit:
                raise _too_large("upload", limit)
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


# ---------------------------------------------------------------------------- package checks
def package_path(files: list[Path], folder: Path) -> Path:
    """The one uploaded .zip, or the folder of uploaded files when they include the yaml."""
    if len(files) == 1 and files[0].name != "submission.yaml":
        return files[0]
    return folder


def _check_zip(package: Path, max_unpacked: int) -> str:
    """Text of the zip's ``submission.yaml`` (root or one top folder), after size checks."""
    if not zipfile.is_zipfile(package):
        raise PackageRejected("package_not_zip", "a single uploaded file must be a .zip of the "
                              "package", "zip the package folder, or upload its files together",
                              file=package.name)  # fmt: skip
    with zipfile.ZipFile(package) as archive:
        infos = archive.infolist()
        if sum(i.file_size for i in infos) > max_unpacked or len(infos) > MAX_PACKAGE_FILES:
            raise _too_large("unpacked package", max_unpacked)
        yamls = [i for i in infos if Path(i.filename).name == "submission.yaml"
                 and len(Path(i.filename).parts) <= 2]  # fmt: skip
        if not yamls:
            raise PackageRejected("missing_submission_yaml", "the package has no submission.yaml",
                                  "add submission.yaml (format v1) at the top of the zip",
                                  file=package.name)  # fmt: skip
        info = min(yamls, key=lambda i: len(Path(i.filename).parts))
        if info.file_size > MAX_YAML_BYTES:
            raise PackageRejected(
                "submission_yaml_too_large",
                "submission.yaml is over 1 MiB",
                "keep only the metadata in it",
                file=info.filename,
            )
        return archive.read(info).decode("utf-8", "replace")


def package_country(package: Path, *, max_unpacked: int) -> str:
    """ISO3 ``country`` declared in the package's ``submission.yaml`` (zip or folder)."""
    if package.is_dir():
        meta_file = package / "submission.yaml"
        if not meta_file.is_file() or meta_file.stat().st_size > MAX_YAML_BYTES:
            raise PackageRejected("missing_submission_yaml", "the uploaded files include no "
                                  "submission.yaml (at most 1 MiB)", "upload submission.yaml "
                                  "with the data files", file="submission.yaml")  # fmt: skip
        text = meta_file.read_text(encoding="utf-8", errors="replace")
    else:
        text = _check_zip(package, max_unpacked)
    try:
        meta = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise PackageRejected(
            "submission_yaml_invalid",
            f"submission.yaml is not valid YAML: {err}",
            "fix the YAML syntax",
            file="submission.yaml",
        ) from None
    country = meta.get("country") if isinstance(meta, dict) else None
    if not isinstance(country, str) or not re.fullmatch(r"[A-Za-z]{3}", country.strip()):
        raise PackageRejected("country_missing", "submission.yaml needs 'country' as an ISO "
                              "3166-1 alpha-3 code", "e.g. 'country: KEN'",
                              file="submission.yaml", value=country)  # fmt: skip
    return country.strip().upper()
