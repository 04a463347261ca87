"""The ``soil.run.refused`` event: one per country an inventory run did not publish.

A run of many countries publishes every country that passes; each refused one (its years, a
user error while computing it, the publish guard) is announced with the reason and the action
that resolves it, so the scheduled run's refusals reach whoever watches the event log or an
automation. Without a Prefect API (the ephemeral one runs no automations) nothing is sent.
"""

from __future__ import annotations

from typing import Any

RUN_REFUSED = "soil.run.refused"


def refusal_events(run_id: str, release_id: str, refused: list[dict[str, Any]]) -> list[dict]:
    """One ``soil.run.refused`` event per country a run did not publish (reason and action)."""
    return [{
        "event": RUN_REFUSED,
        "resource": {"prefect.resource.id": f"soil.country.{r['country']}",
                     "prefect.resource.name": f"{r['country']} refused by run {run_id}"},
        "payload": {"run_id": run_id, "release_id": release_id, **r},
    } for r in refused]  # fmt: skip


def announce_refusals(run_id: str, release_id: str, refused: list[dict[str, Any]]) -> list[dict]:
    """Emit :func:`refusal_events` (inside a flow run: the flow's own events client; nothing
    is sent without a Prefect API, as for submissions); returns the events built."""
    from prefect.events import emit_event
    from prefect.settings import PREFECT_API_URL

    events = refusal_events(run_id, release_id, refused)
    if PREFECT_API_URL.value():
        for event in events:
            emit_event(**event)
    return events
