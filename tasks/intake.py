"""Prefect tasks of submission intake: thin wrappers over intake, validation and the store."""

from __future__ import annotations

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from inventory.harmonise import store
from inventory.intake import submission
from inventory.lake.zones import Lake
from inventory.validation import validate
from tasks.retries import transient_only


@task(retries=2, retry_delay_seconds=1, retry_condition_fn=transient_only, cache_policy=NO_CACHE)
def receive(path: str, lake_root: str, submitter: str | None = None) -> submission.Receipt:
    """Store the bytes as received in raw/ with a receipt (I/O: retried)."""
    return submission.receive_submission(path, Lake.at(lake_root), submitter=submitter)


@task(cache_policy=NO_CACHE)
def stored(submission_id: str, lake_root: str) -> submission.Receipt:
    """The receipt of a submission already in raw/ (API uploads, ``reprocess``, the
    ``soil.submission.received`` trigger)."""
    return submission.load_receipt(Lake.at(lake_root), submission_id)


@task(cache_policy=NO_CACHE)
def filed_outcome(receipt: submission.Receipt, lake_root: str) -> dict | None:
    """The outcome of a submission validated before (quarantined or accepted), else None."""
    return store.filed_outcome(Lake.at(lake_root), receipt.country, receipt.submission_id)


@task(cache_policy=NO_CACHE)
def validate_raw(receipt: submission.Receipt) -> validate.ValidationResult:
    """Read the stored copy and run the GX suites and consistency checks on it."""
    return validate.validate_stored(receipt)


@task(cache_policy=NO_CACHE)
def file_outcome(
    receipt: submission.Receipt, result: validate.ValidationResult, lake_root: str
) -> dict:
    """Quarantine a rejected submission, or store and harmonise an accepted one."""
    create_markdown_artifact(
        key=f"validation-{receipt.country.lower()}", markdown=result.to_markdown(),
        description=f"Validation of submission {receipt.submission_id}",
    )  # fmt: skip
    try:
        return store.file_outcome(Lake.at(lake_root), receipt.country, receipt.submission_id,
                                  result)  # fmt: skip
    finally:
        result.discard()  # a profiles file validated in batches: its spooled rows
