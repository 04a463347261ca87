"""Flow: intake of one submission package (runs on a submission, deployment ``intake``)."""

from __future__ import annotations

from prefect import flow

from inventory.core import settings
from tasks.intake import file_outcome, filed_outcome, receive, validate_raw


@flow(name="intake", log_prints=True)
def intake(path: str, lake_root: str | None = None, submitter: str | None = None,
           submission_id: str | None = None) -> dict:  # fmt: skip
    """Store the package in raw/ (or take the stored ``submission_id``), validate it, then
    quarantine or harmonise it; a submission filed already keeps its outcome."""
    lake_root = lake_root or str(settings.lake_root())
    receipt = receive(path, lake_root, submitter, submission_id or None)
    outcome = filed_outcome(receipt, lake_root)
    if outcome is None:
        outcome = file_outcome(receipt, validate_raw(receipt), lake_root)
    return {"submission_id": receipt.submission_id, "country": receipt.country,
            "raw_dir": receipt.raw_dir, **outcome}  # fmt: skip
