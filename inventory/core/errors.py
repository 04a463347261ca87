"""The one kind of error a user can cause: :class:`UserError`, its message and its action.

Every mistake a user (a country's contact point, a compiler, an operator) can make and fix is a
:class:`UserError`: bad rows, unknown codes, units, years outside a submission, a refused
publish, a damaged lake file, missing factors, methods, grids, tokens, a wrong command line, a
lake lock held too long, missing inputs. Each carries its ``message`` (what is wrong) and, where
there is one, its ``action`` (what resolves it). The interfaces show both and never a stack
trace: the CLI as one ``error:`` line and an ``action:`` line (exit 2), the HTTP API as a 4xx
JSON answer ``{"error", "message", "action"}``, the web portal as a page. Anything else is a bug,
answered with an internal-error reference.

A few third-party errors are user errors too (a damaged Parquet, DuckDB or JSON file of the
lake; a lock that timed out; invalid run parameters): :func:`as_user_error` is the one mapping of
them, which every interface calls in its one place.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from typing import Any, ClassVar

__all__ = [
    "DamagedLakeError", "LakeWriteError", "LockTimeoutError", "NotFoundError", "ParameterError",
    "UsageError", "UserError", "as_user_error", "lake_write_error", "user_error_types",
]  # fmt: skip


def _rebuild(cls: type[BaseException], args: tuple, state: dict) -> BaseException:
    """Unpickle a user error without calling its ``__init__`` (their signatures differ)."""
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class UserError(Exception):
    """A mistake the user can fix: ``message`` says what is wrong, ``action`` what to do.

    Parameters
    ----------
    message : str
        What is wrong, in the user's words (a listing of offending rows may follow, indented).
    action : str, optional
        What resolves it; the class's ``action`` when not given (None: the message says it).

    Attributes
    ----------
    code : str
        Machine-readable name of the kind of error (the HTTP API's ``error``), by default the
        class name in snake case (``PublishError`` -> ``publish_error``).
    """

    code: ClassVar[str] = "user_error"
    action: str | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "code" not in cls.__dict__:
            cls.code = re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()

    def __init__(self, message: str, action: str | None = None) -> None:
        super().__init__(message)
        if action is not None:
            self.action = action

    @property
    def message(self) -> str:
        """What is wrong (the exception's text)."""
        text = str(self.args[0]).strip() if self.args else ""
        return text or type(self).__name__

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[Any, ...]:
        # survives pickling (raised in a Prefect task or on a Dask worker), whatever __init__ takes
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class UsageError(UserError, ValueError):
    """A command, option or form value used wrongly (a malformed ``--years``, a bad choice)."""


class NotFoundError(UserError, FileNotFoundError):
    """Something the user named does not exist (a package path, a release, a submission)."""


class ParameterError(UserError, ValueError):
    """Run parameters that do not validate (pydantic's messages, one per field)."""

    @classmethod
    def from_validation(cls, err: Any) -> ParameterError:
        """The pydantic ``ValidationError`` ``err`` as one line ``field: problem; ...``."""
        parts, actions = [], []
        for problem in err.errors():
            where = ".".join(map(str, problem["loc"])) or "value"
            cause = (problem.get("ctx") or {}).get("error")
            if isinstance(cause, UserError):  # raised by a validator: its message and action
                parts.append(f"{where}: {cause.message}")
                actions += [cause.action] if cause.action and cause.action not in actions else []
            else:
                parts.append(f"{where}: {str(problem['msg']).removeprefix('Value error, ')}")
        return cls("; ".join(parts) or str(err), "; ".join(actions) or None)


class DamagedLakeError(UserError):
    """A file of the data lake cannot be read (Parquet, DuckDB or JSON damaged or truncated)."""

    action = ("restore it from a backup or rerun the step that writes it (submit, reprocess "
              "or run)")  # fmt: skip


class LakeWriteError(UserError):
    """The data lake cannot be written: its disk is full, or a zone is read-only or not the
    running user's. Every writer writes aside and renames into place (or removes what it
    staged), so nothing is left half-written; the step can simply be repeated."""

    action = "free space on the lake's disk or make the lake writable, then try again"


# errno of an OSError that means "the lake cannot be written" (not a bug of ours)
NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
NOT_WRITABLE_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})


def lake_write_error(err: BaseException) -> LakeWriteError | None:
    """``err`` as a :class:`LakeWriteError` naming the path and the action, or None when it is
    no OSError of a full disk or of a read-only/forbidden place."""
    if not isinstance(err, OSError):
        return None
    where = err.filename or "the data lake"
    folder = os.path.dirname(str(err.filename)) if err.filename else "the data lake's folders"
    reason = err.strerror or os.strerror(err.errno or 0)
    if err.errno in NO_SPACE_ERRNOS:
        return LakeWriteError(
            f"{where} cannot be written: {reason} (nothing was half-written)",
            f"free space on the disk holding {folder} (df -h {folder}), then repeat the step",
        )  # fmt: skip
    if err.errno in NOT_WRITABLE_ERRNOS:
        return LakeWriteError(
            f"{where} cannot be written: {reason} (nothing was half-written)",
            f"make {folder} writable for the user running soc-inventory (mounted read-write, "
            "owner and mode), then repeat the step",
        )  # fmt: skip
    return None


class LockTimeoutError(UserError):
    """A lake-wide lock was held by another process for longer than the wait allowed."""

    action = "another run is publishing or the lock is stale: try again when it has finished"


# Models whose validation errors are the user's (their fields are run options and form values).
PARAMETER_MODELS = frozenset({"RunParameters"})


def _damaged_lake_types() -> tuple[type[Exception], ...]:
    """Errors of reading a damaged lake file (only of the libraries already imported)."""
    import json

    found: list[type[Exception]] = [json.JSONDecodeError]
    duckdb = sys.modules.get("duckdb")
    if duckdb is not None:
        found += [duckdb.IOException, duckdb.InvalidInputException]
    pyarrow = sys.modules.get("pyarrow")
    if pyarrow is not None:
        found.append(pyarrow.ArrowException)
    return tuple(found)


def user_error_types() -> tuple[type[Exception], ...]:
    """Every exception type :func:`as_user_error` may turn into a :class:`UserError`."""
    from filelock import Timeout
    from pydantic import ValidationError

    return (UserError, ValidationError, Timeout, OSError, *_damaged_lake_types())


def as_user_error(err: BaseException) -> UserError | None:
    """``err`` as a :class:`UserError` when it is the user's to fix, else None (a bug).

    The one mapping of third-party errors: pydantic validation of the run parameters
    (:class:`ParameterError`), a file lock that timed out (:class:`LockTimeoutError`), a full
    disk or a read-only place (:class:`LakeWriteError`), a damaged Parquet, DuckDB or JSON file
    (:class:`DamagedLakeError`).
    """
    if isinstance(err, UserError):
        return err
    from filelock import Timeout
    from pydantic import ValidationError

    if isinstance(err, ValidationError):
        return ParameterError.from_validation(err) if err.title in PARAMETER_MODELS else None
    if isinstance(err, Timeout):
        return LockTimeoutError(f"the lock {err.lock_file} was not released in time")
    if isinstance(err, OSError) and err.errno in NO_SPACE_ERRNOS | NOT_WRITABLE_ERRNOS:
        return lake_write_error(err)
    if isinstance(err, _damaged_lake_types()):
        text = str(err).strip()
        first = text.splitlines()[0] if text else type(err).__name__
        return DamagedLakeError(f"a file of the data lake cannot be read ({first})")
    return None
