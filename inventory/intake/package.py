"""Safe access to the files of a submission package: a folder or a ``.zip`` archive.

Members are read into memory (only a file that must be opened by path, a NetCDF grid, is copied
to a private temporary file: :meth:`Package.local_file`), after the whole archive has been
checked for path traversal, absolute names, symbolic links, encryption and zip bombs
(declared total size and per-member compression ratio). Declared sizes are never trusted to
bound the work: a member is inflated :data:`~inventory.core.limits.INFLATE_CHUNK_BYTES` at a
time with a running count of the bytes actually produced (:func:`inflate_bounded`), so a stream
declaring 421 bytes that would inflate to 200 MiB costs at most one piece of memory.
"""

from __future__ import annotations

import os
import stat
import tempfile
import unicodedata
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from inventory.core import limits as bounds
from inventory.core.failures import failure

MiB = 1024 * 1024
# A national dataset is a few MB; 1 M profile horizons as CSV are ~130 MB. Anything larger is
# far beyond a real submission and would exhaust memory (files are read whole).
DEFAULT_MAX_FILE_BYTES = 256 * MiB
# A profiles file read in batches (larger than SOILC_STREAM_PROFILES_MB: memory is bounded by the
# batch, not the file) may be larger: 10 M horizons as CSV are 1.3 GB.
DEFAULT_MAX_STREAMED_FILE_BYTES = 4096 * MiB
DEFAULT_MAX_TOTAL_BYTES = 1024 * MiB
# Text CSVs deflate 3-20x; zip bombs reach 1000x and more. Ratios are only judged on members
# large enough to matter (a tiny repetitive file can legitimately compress 100x).
DEFAULT_MAX_RATIO = 200.0
RATIO_MIN_BYTES = 1 * MiB
DEFAULT_MAX_MEMBERS = 1000  # a package holds ~6 files; thousands of entries is an attack
MAX_MANIFEST_BYTES = 1 * MiB  # submission.yaml is a few hundred bytes
MANIFEST_NAME = "submission.yaml"
# A stored submission: raw/<ISO3>/<submission_id>/package/ holds the bytes as received (the
# user's own file names), receipt.json beside it is the system's; they can never collide.
STORED_PACKAGE = "package"
RECEIPT_NAME = "receipt.json"
COPY_CHUNK_BYTES = bounds.INFLATE_CHUNK_BYTES  # zip member -> temporary file, in pieces
# File names: 255 bytes per path part is the limit of ext4, NTFS and APFS; 1024 in all.
MAX_NAME_BYTES = 255
MAX_PATH_BYTES = 1024
IGNORED_PREFIXES = ("__MACOSX/",)  # resource forks added by macOS "Compress"
_SYMLINK_MODE = 0o120000


def _stream_file_bytes() -> int:
    from inventory.core.settings import get_settings

    return int(get_settings().stream_profiles_mb * MiB)


@dataclass(frozen=True)
class Limits:
    """Size limits of a package (bytes); configurable per deployment.

    ``stream_file_bytes`` is no limit but where reading changes: a file of a dataset that can be
    validated in batches (``profiles``, CSV or Parquet) larger than this is not read whole
    (default ``SOILC_STREAM_PROFILES_MB``); such a file may be up to ``max_streamed_file_bytes``,
    every other file up to ``max_file_bytes``.
    """

    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES
    max_ratio: float = DEFAULT_MAX_RATIO
    max_members: int = DEFAULT_MAX_MEMBERS
    max_streamed_file_bytes: int = DEFAULT_MAX_STREAMED_FILE_BYTES
    stream_file_bytes: int = field(default_factory=_stream_file_bytes)


class PackageProblem(Exception):
    """A package-level problem; ``failures`` lists the failure records."""

    def __init__(self, failures: list[dict]):
        super().__init__("; ".join(f["message"] for f in failures))
        self.failures = failures


ZIP_ERRORS = (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError)


class InflateLimit(Exception):
    """A zip member inflated past its limit; ``inflated`` bytes were produced before stopping."""

    def __init__(self, inflated: int):
        super().__init__(f"inflated past the limit after {inflated:,} bytes")
        self.inflated = inflated


def inflate_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """The bytes of one member, inflated a piece at a time; raises :class:`InflateLimit` as soon
    as more than ``limit`` bytes were actually produced, whatever the member declares.

    (``ZipExtFile.read(n)`` inflates up to ``n`` bytes before cutting at the declared size:
    reading ``limit + 1`` at once let a 421-byte declaration allocate 399 MiB.) A member whose
    stream does not match its declaration ends in ``zipfile.BadZipFile`` (CRC) here.
    """
    out = bytearray()
    with archive.open(info) as handle:
        while chunk := handle.read(bounds.INFLATE_CHUNK_BYTES):
            out += chunk
            if len(out) > limit:
                raise InflateLimit(len(out))
    return bytes(out)


def _unsafe_name(name: str) -> str | None:
    """Why an archive member name is unsafe, or None."""
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "has an absolute path"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return "points outside the package ('..')"
    return None


def member_key(name: str) -> str:
    """The path a member would unpack to, NFC-normalised and case-folded (file systems that
    ignore case or normalise Unicode, as macOS and Windows do, store both names as one)."""
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    return unicodedata.normalize("NFC", "/".join(parts)).casefold()


SAME_PATH = "the same path, ignoring case and Unicode form"


def name_clashes(names: list[str]) -> list[tuple[str, str, str]]:
    """``(name, other, why)`` for every file name that collides with an earlier one: equal under
    :func:`member_key`, or a file name that is a folder of another (``x`` and ``x/y``)."""
    seen: dict[str, str] = {}
    clashes = []
    for name in names:
        key = member_key(name)
        if key in seen:
            clashes.append((name, seen[key], SAME_PATH))
            continue
        folders = ["/".join(key.split("/")[:i]) for i in range(1, key.count("/") + 1)]
        other = next((seen[f] for f in folders if f in seen), None)
        if other is None:
            other = next((n for k, n in seen.items() if k.startswith(key + "/")), None)
        if other is not None:
            clashes.append((name, other, "a file and a folder of the same name"))
        seen[key] = name
    return clashes


def name_too_long(name: str) -> bool:
    """A name no file system stores: a path part over 255 bytes (UTF-8), or over 1024 in all."""
    parts = name.replace("\\", "/").split("/")
    return len(name.encode()) > MAX_PATH_BYTES or any(
        len(p.encode()) > MAX_NAME_BYTES for p in parts)  # fmt: skip


def _duplicate_members(infos: list[zipfile.ZipInfo], label: str) -> list[dict]:
    """Members whose names unpack to the same path, or to a file and a folder of one name:
    which copy counts would be ambiguous.

    (A zip holding ``submission.yaml`` twice was read as one country by one reader and as
    another country by the next: such archives are refused outright.)
    """
    files = [i.filename for i in infos if not i.is_dir()]

    def message(name: str, other: str, why: str) -> str:
        if why == SAME_PATH:
            return f"the .zip holds {name!r} more than once (also as {other!r}; {why})"
        return f"the .zip holds {name!r} and {other!r}: {why}"

    return [failure("zip_duplicate_member", message(name, other, why), "give every file its "
                    "own name (not differing only in case or accents, and no file named like a "
                    "folder) and zip the package folder again", file=label, value=name)
            for name, other, why in name_clashes(files)]  # fmt: skip


class Package:
    """Read-only view of a package's members, keyed by path relative to the package root."""

    def __init__(self, path: str | Path, limits: Limits | None = None):
        self.path = Path(path)
        self.limits = limits or Limits()
        self.label = self.path.name
        self._zip: zipfile.ZipFile | None = None
        self._prefix = ""
        if self.path.is_dir():
            self.kind = "folder"
            clashes = name_clashes(self.members())
            if clashes:
                raise PackageProblem([failure(
                    "file_names_ambiguous", f"the package holds {name!r} and {other!r}: {why}",
                    "give every file its own name (not differing only in case or accents)",
                    file=self.label, value=name) for name, other, why in clashes])  # fmt: skip
        elif zipfile.is_zipfile(self.path):
            self.kind = "zip"
            self._open_zip()
        else:
            message = f"{self.label} is neither a folder nor a .zip archive"
            fix = "send the package as a folder or as a .zip of that folder"
            raise PackageProblem([failure("package_not_zip", message, fix, file=self.label)])

    # ------------------------------------------------------------------ zip
    def _open_zip(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.path)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as err:
            raise PackageProblem(
                [
                    failure(
                        "zip_corrupt",
                        f"the .zip cannot be opened: {err}",
                        "create the .zip again",
                        file=self.label,
                    )
                ]
            ) from None
        problems = self._check_members(infos)
        if problems:
            self.close()
            raise PackageProblem(problems)
        names = [i.filename for i in infos if not i.is_dir()]
        if MANIFEST_NAME not in names:
            tops = {n.split("/", 1)[0] for n in names if "/" in n}
            if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST_NAME}" in names:
                self._prefix = f"{next(iter(tops))}/"  # zipped folder: one top directory

    def _check_members(self, infos: list[zipfile.ZipInfo]) -> list[dict]:
        limits, problems = self.limits, []
        if len(infos) > limits.max_members:
            return [failure("zip_too_many_files", f"the .zip holds {len(infos)} entries "
                            f"(limit {limits.max_members})", "zip only the package files",
                            file=self.label)]  # fmt: skip
        problems += _duplicate_members(infos, self.label)
        total = 0
        for info in infos:
            name, size = info.filename, info.file_size
            total += size
            reason = _unsafe_name(name)
            if reason:
                problems.append(failure("zip_unsafe_path", f"archive entry {name!r} {reason}",
                                        "zip the package folder itself, with relative paths",
                                        file=self.label, value=name))  # fmt: skip
            if (info.external_attr >> 16) & 0o170000 == _SYMLINK_MODE:
                problems.append(failure("zip_symlink", f"archive entry {name!r} is a symbolic "
                                        "link", "replace links by the files themselves",
                                        file=self.label, value=name))  # fmt: skip
            if info.flag_bits & 0x1:
                problems.append(failure("zip_encrypted", f"archive entry {name!r} is encrypted",
                                        "zip the package without a password",
                                        file=self.label, value=name))  # fmt: skip
            ratio = size / max(info.compress_size, 1)
            if size >= RATIO_MIN_BYTES and ratio > limits.max_ratio:
                problems.append(failure("zip_bomb", f"archive entry {name!r} inflates "
                                        f"{ratio:,.0f}x (limit {limits.max_ratio:,.0f}x)",
                                        "send the real data files, zipped normally",
                                        file=self.label, value=name))  # fmt: skip
        if total > limits.max_total_bytes:
            problems.append(failure("zip_too_large", f"the .zip unpacks to {total:,} bytes "
                                    f"(limit {limits.max_total_bytes:,})", "split the submission "
                                    "or contact the inventory team", file=self.label))  # fmt: skip
        return problems

    # ------------------------------------------------------------------ members
    def members(self) -> list[str]:
        """Relative paths of all regular files (symbolic links in a folder excluded)."""
        if self._zip is not None:
            plen = len(self._prefix)
            return sorted(i.filename[plen:] for i in self._zip.infolist()
                          if not i.is_dir() and i.filename.startswith(self._prefix)
                          and not i.filename.startswith(IGNORED_PREFIXES))  # fmt: skip
        out = []
        for root, _dirs, files in os.walk(self.path, followlinks=False):
            for name in files:
                full = Path(root) / name
                if not full.is_symlink():
                    out.append(full.relative_to(self.path).as_posix())
        return sorted(out)

    def read(self, name: str, *, max_bytes: int | None = None) -> bytes:
        """Bytes of member ``name``; raises :class:`PackageProblem` (missing, unsafe, too big)."""
        limit = max_bytes or self.limits.max_file_bytes
        self.check_name(name)
        if self._zip is not None:
            return self._read_zip(name, limit)
        return self._folder_member(name, limit).read_bytes()

    def size(self, name: str, *, max_bytes: int | None = None) -> int:
        """Size in bytes of member ``name``, after the checks of :meth:`read` (nothing read)."""
        limit = max_bytes or self.limits.max_file_bytes
        self.check_name(name)
        if self._zip is not None:
            return self._zip_member(name, limit).file_size
        return self._folder_member(name, limit).stat().st_size

    @contextmanager
    def local_file(self, name: str, *, max_bytes: int | None = None) -> Iterator[Path]:
        """A path to member ``name`` on disk, for readers that open files by path (NetCDF, a
        profiles file read in batches).

        A folder member is checked as by :meth:`read` and given as is. A zip member is streamed
        (:data:`COPY_CHUNK_BYTES` at a time, never more than ``max_bytes``, default
        ``max_file_bytes``) into a private temporary folder, under its own base name, which is
        removed on exit.
        """
        limit = max_bytes or self.limits.max_file_bytes
        self.check_name(name)
        if self._zip is None:
            yield self._folder_member(name, limit)
            return
        info = self._zip_member(name, limit)
        with tempfile.TemporaryDirectory(prefix="soc-member-") as tmp:
            target = Path(tmp) / (PurePosixPath(name).name or "member")
            self._copy_zip_member(info, name, target, limit)
            yield target

    def check_name(self, name: str) -> None:
        """Raise :class:`PackageProblem` when ``name`` leaves the package (``..``, absolute)."""
        reason = _unsafe_name(name)
        if reason:
            raise PackageProblem([failure("file_path_unsafe", f"the path {name!r} {reason}",
                                          "name files relative to submission.yaml, e.g. "
                                          "'land_areas.csv'", file=name, value=name)])  # fmt: skip

    def _too_large(self, name: str, size: int, limit: int) -> PackageProblem:
        return PackageProblem([failure("file_too_large", f"{name} is {size:,} bytes "
                                       f"(limit {limit:,})", "split the file or contact the "
                                       "inventory team", file=name, value=size)])  # fmt: skip

    def _missing(self, name: str) -> PackageProblem:
        return PackageProblem([failure("file_missing", f"{name} is named in submission.yaml but "
                                       "is not in the package", "add the file or correct its "
                                       "name under 'files:'", file=name, value=name)])  # fmt: skip

    def _zip_member(self, name: str, limit: int) -> zipfile.ZipInfo:
        assert self._zip is not None
        try:
            info = self._zip.getinfo(self._prefix + name)
        except KeyError:
            raise self._missing(name) from None
        if info.is_dir():
            raise self._missing(name)
        if info.file_size > limit:
            raise self._too_large(name, info.file_size, limit)
        return info

    def _corrupt(self, name: str, err: Exception) -> PackageProblem:
        return PackageProblem([failure("zip_corrupt", f"{name} cannot be unpacked: {err}",
                                       "create the .zip again", file=name)])  # fmt: skip

    def _read_zip(self, name: str, limit: int) -> bytes:
        assert self._zip is not None
        info = self._zip_member(name, limit)
        try:
            return inflate_bounded(self._zip, info, limit)
        except InflateLimit as over:
            raise self._too_large(name, over.inflated, limit) from None
        except ZIP_ERRORS as err:
            raise self._corrupt(name, err) from None

    def _copy_zip_member(self, info: zipfile.ZipInfo, name: str, target: Path, limit: int) -> None:
        assert self._zip is not None
        copied = 0
        try:
            with self._zip.open(info) as source, open(target, "xb") as sink:
                while chunk := source.read(COPY_CHUNK_BYTES):
                    copied += len(chunk)
                    if copied > limit:  # zipfile stops at the declared size; belt and braces
                        raise self._too_large(name, copied, limit)
                    sink.write(chunk)
        except (zipfile.BadZipFile, EOFError, ValueError, NotImplementedError) as err:
            raise self._corrupt(name, err) from None

    def _folder_member(self, name: str, limit: int) -> Path:
        """The checked path of a folder member: no symbolic link on the way, regular, in size."""
        full = self.path
        for part in PurePosixPath(name.replace("\\", "/")).parts:
            full = full / part
            if full.is_symlink():
                raise PackageProblem([failure("file_symlink", f"{name} is a symbolic link",
                                              "copy the real file into the package",
                                              file=name, value=name)])  # fmt: skip
        try:
            st = full.lstat()
        except OSError:
            raise self._missing(name) from None
        if not stat.S_ISREG(st.st_mode):
            raise self._missing(name)
        if st.st_size > limit:
            raise self._too_large(name, st.st_size, limit)
        return full

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None

    def __enter__(self) -> Package:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def find_package_root(path: Path) -> Path:
    """The package inside ``path``: itself, or the single archive (or the single package
    folder) of a stored raw/ copy (``raw/<ISO3>/<id>/package/``, beside its ``receipt.json``)."""
    if path.is_file() and path.name == MANIFEST_NAME:
        return path.parent
    if (path / RECEIPT_NAME).is_file() and (path / STORED_PACKAGE).is_dir():
        path = path / STORED_PACKAGE
    if path.is_dir() and not (path / MANIFEST_NAME).exists():
        files = [p for p in path.iterdir() if p.is_file() and p.name != "receipt.json"]
        zips = sorted(p for p in files if p.suffix.lower() == ".zip" or zipfile.is_zipfile(p))
        subdirs = [p for p in path.iterdir() if p.is_dir() and (p / MANIFEST_NAME).exists()]
        if len(zips) == 1 and not subdirs:
            return zips[0]
        if len(subdirs) == 1 and not zips:
            return subdirs[0]
    return path
