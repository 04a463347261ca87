"""Words for ministry staff: how the portal writes values, times and states on its pages.

Registered as Jinja2 filters by :func:`install_filters`:

* ``when``: an ISO 8601 timestamp as ``2026-12-06 06:41 UTC`` (no seconds' fractions);
* ``value``: a value as a reader writes it: nothing for None/NaN, ``a, b`` for a list, ``k: v``
  pairs for a mapping, never Python's ``None``, ``nan``, ``['a']`` or ``{'k': 'v'}``;
* ``state_note``: a one-line explanation of a submission, country or run state.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime

from jinja2 import Environment

# What each state shown on the portal means, in one line.
STATES = {
    "received": "stored with its receipt, not yet validated",
    "rejected": "did not pass the checks; its report lists each problem and its fix",
    "accepted": "passed every check",
    "harmonised": "passed every check and is the country's current input for the next run",
    "no submission": "nothing submitted yet",
    "pending": "waiting to start",
    "running": "in progress; this page refreshes itself",
    "completed": "finished: the results are published",
    "failed": "stopped by an error; the reference lets the operators find the cause",
    "refused": "not started or not published; the message says why and what resolves it",
}


def when(value: object) -> str:
    """``2026-12-06T06:41:44.166724+00:00`` -> ``2026-12-06 06:41 UTC``; other text unchanged."""
    text = plain(value)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    zone = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return moment.strftime("%Y-%m-%d %H:%M") + zone


def plain(value: object) -> str:
    """A value as text for a reader: empty for None/NaN/NA, lists joined, mappings as pairs."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if type(value).__name__ in ("NAType", "NaTType"):
        return ""
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {plain(v)}" for k, v in value.items() if plain(v))
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(plain(v) for v in value)
    return str(value)


def state_note(state: object) -> str:
    """The one-line explanation of a state (empty for an unknown one)."""
    return STATES.get(str(state), "")


def install_filters(env: Environment) -> None:
    """Register ``when``, ``value`` and ``state_note`` on the portal's template environment."""
    env.filters.update({"when": when, "value": plain, "state_note": state_note})
