"""Flow: intake of one submission package (runs on a submission, deployment ``intake``).

Either a package ``path`` is stored in raw/ first (CLI ``submit``, the event trigger), or a
``submission_id`` names one already stored (API uploads store the bytes before anything else;
``soc-inventory reprocess`` files a submission whose processing was interrupted).
"""

from __future__ import annotations

from prefect import flow

from inventory.core import settings
from tasks.intake import file_outcome, filed_outcome, receive, stored, validate_raw


@flow(name="intake", log_prints=True)
def intake(path: str | None = None, lake_root: str | None = None, submitter: str | None = None,
           submission_id: str | None = None) -> dict:  # fmt: skip
    """Store the package in raw/ (or take the stored ``submission_id``), validate it, then
    quarantine or harmonise it; a submission filed already keeps its outcome (the
    ``soil.submission.received`` trigger may start this for a submission filed in-process)."""
    lake_root = lake_root or str(settings.lake_root())
    if submission_id:
        receipt = stored(submission_id, lake_root)
    elif path:
        receipt = receive(path, lake_root, submitter)
    else:
        raise ValueError("intake needs a package path or a stored submission_id")
    outcome = filed_outcome(receipt, lake_root)
    if outcome is None:
        outcome = file_outcome(receipt, validate_raw(receipt), lake_root)
    return {"submission_id": receipt.submission_id, "country": receipt.country,
            "raw_dir": receipt.raw_dir, **outcome}  # fmt: skip
