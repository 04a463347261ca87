"""Flow: intake of one submission package (runs on a submission, deployment ``intake``)."""

from __future__ import annotations

from prefect import flow

from inventory.core import settings
from tasks.intake import file_outcome, receive, validate_raw


@flow(name="intake", log_prints=True)
def intake(path: str, lake_root: str | None = None, submitter: str | None = None) -> dict:
    """Store the package in raw/, validate it, then quarantine it or harmonise it."""
    lake_root = lake_root or str(settings.lake_root())
    receipt = receive(path, lake_root, submitter)
    result = validate_raw(receipt)
    outcome = file_outcome(receipt, result, lake_root)
    return {"submission_id": receipt.submission_id, "country": receipt.country, **outcome}
