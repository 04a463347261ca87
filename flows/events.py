"""The ``soil.submission.received`` event: what ``submit`` (CLI and API) announces.

The event name and the resource id pattern are those of the ``intake`` deployment's trigger in
``prefect.yaml`` (read through :func:`flows.serve.deployment_specs`), so the trigger and the
emitter cannot disagree. The event is emitted once the submission is stored and filed: a
triggered ``intake`` run finds it filed and returns its outcome (nothing is validated twice), a
served deployment or an automation can react to it, and the event log lists every submission.
"""

from __future__ import annotations

from typing import Any

from flows.serve import deployment_specs


def submission_trigger() -> tuple[str, str]:
    """(event name, resource-id prefix) of the ``intake`` trigger, e.g. ``soil.submission.``."""
    (trigger,) = deployment_specs()["intake"]["triggers"]
    (event,) = trigger["expect"]
    pattern = str(trigger["match"]["prefect.resource.id"])
    return str(event), pattern.removesuffix("*")


def submission_event(outcome: dict[str, Any], raw_dir: str, submitter: str | None) -> dict:
    """The event's name, resource and payload for an intake ``outcome``."""
    event, prefix = submission_trigger()
    submission_id, country = outcome["submission_id"], outcome["country"]
    return {
        "event": event,
        "resource": {"prefect.resource.id": f"{prefix}{submission_id}",
                     "prefect.resource.name": f"{country} submission {submission_id}"},
        "payload": {"submission_id": submission_id, "country": country, "path": raw_dir,
                    "submitter": submitter or "", "accepted": bool(outcome.get("accepted"))},
    }  # fmt: skip


def emit_submission_received(outcome: dict[str, Any], raw_dir: str,
                             submitter: str | None = None) -> dict | None:  # fmt: skip
    """Emit ``soil.submission.received`` to the Prefect server in use; returns what was sent.

    Without a server (``PREFECT_API_URL`` unset: Prefect's ephemeral API, which runs no
    triggers and lives only as long as this process) nothing is sent and None is returned:
    no deployment could hear the event, and starting an API for it costs ~15 s.
    """
    from prefect.events import emit_event
    from prefect.events.worker import EventsWorker
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        return None
    sent = submission_event(outcome, raw_dir, submitter)
    emit_event(**sent)
    EventsWorker.drain_all(timeout=10, at_exit=False)  # delivered before the CLI exits
    return sent
