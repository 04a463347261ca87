"""Concurrent-publish stress: N publishers released by one barrier, R rounds.

    .venv/bin/python benchmarks/publish_barrier.py [--rounds 40] [--publishers 4]

Each round starts from a fresh lake with one published release, then N processes (one country
each) wait on a barrier and publish at the same moment. A round holds when the history lists
every release (N + 1, unbroken) and the final release has every country. Slow: not part of the
test suite (tests/security/test_publishing.py runs one round); numbers in the README.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "security"))

COUNTRIES = ["KEN", "URY", "BRA", "FRA", "IND", "CHN", "USA", "ZAF"]


def one_round(publishers: int) -> bool:
    from publishing import concurrent_publishes, release_countries, tables, write

    from inventory.lake import releases
    from inventory.lake.zones import Lake

    lake = Lake.at(Path(tempfile.mkdtemp(prefix="barrier-")) / "lake")
    write(lake, "run-base", tables("IRL", 1.0))
    releases.publish_run(lake, "run-base")
    countries = COUNTRIES[:publishers]
    codes = concurrent_publishes(lake, countries)
    history = releases.read_published(lake, "releases")
    chained = history.previous_release_id.iloc[1:].tolist() == history.release_id.iloc[:-1].tolist()
    return (codes == [0] * publishers and len(history) == publishers + 1 and chained
            and release_countries(lake) == {"IRL", *countries})  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--publishers", type=int, default=4)
    args = parser.parse_args()
    started = time.perf_counter()
    held = sum(one_round(args.publishers) for _ in range(args.rounds))
    print(
        f"{held}/{args.rounds} rounds held ({args.publishers} concurrent publishers each), "
        f"{time.perf_counter() - started:.1f} s"
    )
