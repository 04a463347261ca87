"""When a task is retried: only on transient I/O errors, never on a user's mistake.

A retried user error (a missing package, a bad parameter, a refused release) fails the same way
again and fills the log with tracebacks; a transient one (a file lock taking too long, a busy
or briefly full disk, an interrupted network file system call) may succeed on the next try.
"""

from __future__ import annotations

import errno
from typing import Any

from filelock import Timeout

from inventory.core.errors import LockTimeoutError

# OSError numbers worth another try (POSIX errno): busy, interrupted, try again, no space
# (a clean-up may free it), stale NFS handle, timed out, I/O error.
TRANSIENT_ERRNOS = frozenset(
    {
        errno.EBUSY,
        errno.EINTR,
        errno.EAGAIN,
        errno.ENOSPC,
        errno.ESTALE,
        errno.ETIMEDOUT,
        errno.EIO,
    }  # fmt: skip
)


def is_transient(error: BaseException | None) -> bool:
    """True for errors worth retrying (see the module docstring)."""
    if isinstance(error, (Timeout, LockTimeoutError)):
        return True
    return isinstance(error, OSError) and error.errno in TRANSIENT_ERRNOS


def transient_only(_task: Any, _task_run: Any, state: Any) -> bool:
    """Prefect ``retry_condition_fn``: retry the failed task only on a transient error."""
    try:
        state.result()
    except Exception as error:  # the task's own exception, re-raised by Prefect
        return is_transient(error)
    return False
