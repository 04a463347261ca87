"""How the HTTP API and the web portal answer a failure: a user's mistake, or a bug.

A :class:`~inventory.core.errors.UserError` (or a third-party error that
:func:`~inventory.core.errors.as_user_error` maps to one) is answered with its message and its
action and a 4xx status (:func:`user_error_status`); anything else is a bug, answered with a
500 naming only a reference to the server log (:func:`internal_error`). Imported by both
:mod:`inventory.interfaces.api` and :mod:`inventory.interfaces.portal` (which never imports the
API module).
"""

from __future__ import annotations

import logging
import secrets

from inventory.core.errors import (
    DamagedLakeError,
    LakeWriteError,
    LockTimeoutError,
    NotFoundError,
    UserError,
)
from inventory.harmonise.store import NotAcceptedError
from inventory.interfaces.uploads import ApiError
from inventory.lake.releases import PublishError

log = logging.getLogger("inventory.interfaces.api")

# HTTP status of a user error, by its most specific class listed here (422 otherwise).
USER_ERROR_STATUS: dict[type[UserError], int] = {
    NotFoundError: 404,
    NotAcceptedError: 409,
    PublishError: 409,
    LockTimeoutError: 409,
    DamagedLakeError: 409,
    LakeWriteError: 409,
}
DEFAULT_USER_ERROR_STATUS = 422


def user_error_status(err: UserError) -> int:
    """The 4xx status of ``err``: its class's (or nearest base's) in :data:`USER_ERROR_STATUS`."""
    for cls in type(err).__mro__:
        if cls in USER_ERROR_STATUS:
            return USER_ERROR_STATUS[cls]
    return DEFAULT_USER_ERROR_STATUS


def user_error_body(err: UserError) -> dict[str, str | None]:
    """The JSON answer of a user error: ``error`` (its code), ``message`` and ``action``."""
    return {"error": err.code, "message": err.message, "action": err.action}


def internal_error(err: BaseException) -> ApiError:
    """A 500 naming only a reference; the traceback goes to the server log."""
    ref = secrets.token_hex(4)
    log.error("internal error (ref %s)", ref, exc_info=err)
    return ApiError(500, "internal_error", f"internal error, reference {ref}; the inventory "
                    "team can look it up in the server log")  # fmt: skip
