"""The validation report page (Jinja2 template): every value escaped, counts and rows shown."""

from __future__ import annotations

from inventory.core.failures import failure_frame
from inventory.validation.report import render_html


def test_report_page_escapes_submitted_values_and_counts_rules():
    failures = failure_frame([
        {"file": "land_areas.csv", "row": 3, "column": "land_use",
         "value": "<script>alert(1)</script>", "rule_id": "unknown_land_use",
         "message": "land_use '<script>' is not a code", "fix": "use cropland & co"},
        {"file": "land_areas.csv", "row": 4, "column": "area", "value": "-5",
         "rule_id": "area_negative", "message": "area -5 is negative", "fix": "remove the minus"},
    ])  # fmt: skip
    page = render_html(failures, {"country": "KEN"}, ok=False)
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "cropland &amp; co" in page
    assert "REJECTED: 2 problem(s) in 1 file(s) of the KEN submission" in page
    assert '<td><code>area_negative</code></td><td class="num">1</td>' in page
    assert "http://" not in page and "https://" not in page  # readable offline


def test_accepted_report_page_has_no_problem_tables():
    page = render_html(failure_frame(), {"country": "KEN", "rows": {"land_areas": 12}}, ok=True)
    assert "ACCEPTED: submission for KEN passed every check (land_areas 12)" in page
    assert "All problems" not in page
