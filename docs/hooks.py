"""MkDocs hook: add the generated reference pages at build time (``mkdocs build``).

The submission format, the data dictionary and the schema changelog are produced by
``inventory.reporting.reference_docs`` from the validation code, the GX suites and the SQL model
headers, so they are never edited by hand and never out of date.
"""

from __future__ import annotations

from mkdocs.structure.files import File, Files

from inventory.reporting import reference_docs

PAGES = {
    "submission-format.md": reference_docs.submission_format,
    "data-dictionary.md": reference_docs.data_dictionary,
    "changelog.md": reference_docs.schema_changelog,
}


def on_files(files: Files, config) -> Files:
    for name, render in PAGES.items():
        files.append(File.generated(config, name, content=render()))
    return files
