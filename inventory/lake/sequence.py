"""The lake's submission sequence: a monotonic counter, the one order of submissions.

Submission ids embed the wall-clock time they were received at; a clock stepped back (an NTP
correction, a worker with a skewed clock) gives a later submission a smaller id, so ids are
never compared to order submissions. :func:`next_sequence` hands out 1, 2, 3... under a lake
file lock (``config/.sequence.lock``) and persists the last number given
(``config/sequence.json``, written atomically) before returning it: two processes never get the
same number, a crash never hands one out twice, and no clock is read.
"""

from __future__ import annotations

import json

from filelock import FileLock

from inventory.lake.zones import Lake, write_json_atomic

SEQUENCE_FILE = "sequence.json"
SEQUENCE_LOCK = ".sequence.lock"
SUBMISSIONS = "submissions"


def _folder(lake: Lake):
    folder = lake.root / "config"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def next_sequence(lake: Lake, counter: str = SUBMISSIONS) -> int:
    """The next number of ``counter`` (1 for the first), persisted before it is returned.

    Parameters
    ----------
    lake : Lake
        The data lake whose counter is advanced.
    counter : str
        Name of the counter (``submissions``).

    Returns
    -------
    int
        The new number [dimensionless], one more than the last one handed out.
    """
    folder = _folder(lake)
    with FileLock(folder / SEQUENCE_LOCK):
        path = folder / SEQUENCE_FILE
        counters = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        number = int(counters.get(counter, 0)) + 1
        write_json_atomic(path, {**counters, counter: number})
    return number


def last_sequence(lake: Lake, counter: str = SUBMISSIONS) -> int:
    """The last number handed out (0 before the first)."""
    path = lake.root / "config" / SEQUENCE_FILE
    if not path.exists():
        return 0
    return int(json.loads(path.read_text(encoding="utf-8")).get(counter, 0))
