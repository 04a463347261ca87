"""Running the GX expectation suites of ``expectations/`` and turning results into failures.

One ephemeral GX context per process (built on first use; importing GX costs ~2 s), a pandas
datasource with one dataframe asset per dataset type, progress bars off (GX's tqdm bars would
fill the logs). Suites
are plain JSON (GX 1.x suite format); each expectation's ``meta`` carries our ``rule_id``,
``message`` template (``{value}``), ``fix`` and ``report_column`` (the submitted column to quote,
e.g. ``soc`` for a check on the derived ``soc_g_per_kg``). Results are asked for with
``result_format`` COMPLETE, whose ``unexpected_index_list`` holds the frame's index: the spreadsheet
row number (``inventory.intake.readers``). Map expectations skip nulls, so each suite pairs its
range and set checks with not-null checks on the required columns.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import threading
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from cachetools import LRUCache

from inventory.core import bundled, vocab
from inventory.core.failures import cap_text, failure_frame
from inventory.validation.rules import FACTOR_CODES, suggest_code

RESULT_FORMAT = {"result_format": "COMPLETE", "include_unexpected_rows": False}
_LOCK = threading.Lock()  # one GX context per process; validations take turns
# Memo of suite results of small frames (below MEMO_MAX_ROWS, where hashing is cheap and GX's
# fixed per-expectation cost dominates); MEMO_SIZE bounds its memory.
MEMO_MAX_ROWS = 100_000
MEMO_SIZE = 64
_MEMO: LRUCache[str, Any] = LRUCache(maxsize=MEMO_SIZE)
_VOCAB_FOR_FIX = {**vocab.VOCABULARIES, "factor": FACTOR_CODES,
                  "level": tuple(dict.fromkeys(vocab.MANAGEMENTS + vocab.INPUTS))}  # fmt: skip


@lru_cache(maxsize=8)
def load_suite(name: str) -> dict[str, Any]:
    """The suite JSON of a dataset type (``expectations/<name>.json``, shipped in the wheel)."""
    return json.loads(bundled.suite_file(name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _context() -> Any:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    # GX pins this module's logger at INFO on import ("Created temporary directory ...").
    logging.getLogger("great_expectations.data_context.types.base").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    context.data_sources.add_pandas("submissions")
    return context


@lru_cache(maxsize=16)
def _batch_definition(name: str) -> Any:
    source = _context().data_sources.get("submissions")
    return source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole")


def _columns_of(kwargs: dict) -> list[str]:
    return [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs]


def runnable_expectations(name: str, columns: set[str]) -> list[dict]:
    """The suite's expectations whose columns exist (existence itself is always checked)."""
    out = []
    for expectation in load_suite(name)["expectations"]:
        if (
            expectation["type"] == "expect_table_columns_to_match_set"
            or set(_columns_of(expectation["kwargs"])) <= columns
        ):
            out.append(expectation)
    return out


def _digest(name: str, frame: pd.DataFrame, parameters: dict[str, Any]) -> str:
    digest = hashlib.sha256(repr((name, sorted(parameters.items()), list(frame.columns),
                                  [str(t) for t in frame.dtypes])).encode())  # fmt: skip
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()


def run_suite(name: str, frame: pd.DataFrame, parameters: dict[str, Any]) -> Any:
    """Validate ``frame`` against suite ``name``; returns the GX suite validation result.

    GX spends ~50 ms per expectation building its metric graph whatever the data size, so the
    result for small frames is memoised on their content: a resubmission that changes one file
    re-validates only that file.
    """
    if len(frame) > MEMO_MAX_ROWS:
        return _run_suite(name, frame, parameters)
    key = _digest(name, frame, parameters)
    with _LOCK:
        cached = _MEMO.get(key)  # an LRU hit also refreshes the entry
    if cached is not None:
        return cached
    result = _run_suite(name, frame, parameters)
    with _LOCK:
        _MEMO[key] = result
    return result


def _run_suite(name: str, frame: pd.DataFrame, parameters: dict[str, Any]) -> Any:
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=name, expectations=runnable_expectations(
        name, set(frame.columns)))  # fmt: skip
    with _LOCK:
        batch = _batch_definition(name).get_batch(batch_parameters={"dataframe": frame})
        result = batch.validate(suite, result_format=RESULT_FORMAT,
                                expectation_parameters=parameters)  # fmt: skip
    for item in result.results:
        if item.exception_info and item.exception_info.get("raised_exception"):
            raise RuntimeError(
                f"GX expectation {item.expectation_config.type} on {name} failed "
                f"to run: {item.exception_info.get('exception_message')}"
            )
    return result


def result_failures(result: Any, frame: pd.DataFrame, raw: pd.DataFrame, file: str) -> pd.DataFrame:
    """One failure row per unexpected row of every failed expectation."""
    parts = []
    for item in result.results:
        if item.success:
            continue
        meta, kwargs = item.expectation_config.meta or {}, item.expectation_config.kwargs
        rows = [_row_of(r) for r in item.result.get("unexpected_index_list") or []]
        missing = item.result.get("details", {}).get("mismatched", {}).get("missing")
        parts.append(expectation_failures(meta, kwargs, rows, missing, frame, raw, file))
    return failure_frame(pd.concat(parts)) if parts else failure_frame()


def expectation_failures(
    meta: dict,
    kwargs: dict,
    rows: list[int],
    missing: list | None,
    frame: pd.DataFrame,
    raw: pd.DataFrame,
    file: str,
) -> pd.DataFrame:
    """The failure records of one failed expectation: its unexpected ``rows`` (spreadsheet row
    numbers) or the ``missing`` columns of a table-level expectation."""
    column = meta.get("report_column") or kwargs.get("column")
    if missing:
        return failure_frame(pd.concat([_table_level(meta, name, file) for name in missing]))
    if column and column not in raw.columns and column not in frame.columns:
        return failure_frame()  # a missing column: reported once (missing_column)
    if not rows:
        return _table_level(meta, column, file)
    if kwargs.get("column_A"):
        values = _pair_values(raw, rows, kwargs["column_B"], kwargs["column_A"])
    else:
        source = raw if column in raw.columns else frame
        values = (
            source[column].reindex(rows) if column in source.columns
            else pd.Series([None] * len(rows), index=rows)
        )  # fmt: skip
    return _row_level(meta, column, file, rows, values)


# ----------------------------------------------------------------- the suites without GX
# The expectation types and arguments the suites use, evaluated with pandas in one pass per
# expectation, with GX's semantics (map expectations skip nulls; bounds inclusive). A suite
# holding anything else is not evaluated here (:func:`vectorised_supported`): GX runs instead.
VECTORISED_KWARGS = {
    "expect_table_columns_to_match_set": {"column_set", "exact_match"},
    "expect_column_values_to_not_be_null": {"column"},
    "expect_column_values_to_be_in_set": {"column", "value_set"},
    "expect_column_values_to_be_between": {
        "column", "min_value", "max_value", "strict_min", "strict_max"},
    "expect_column_pair_values_a_to_be_greater_than_b": {
        "column_A", "column_B", "or_equal", "ignore_row_if"},
    "expect_column_values_to_not_match_regex": {"column", "regex"},
}  # fmt: skip
PAIR_IGNORE = "either_value_is_missing"


def vectorised_supported(name: str) -> bool:
    """Whether :func:`vectorised_failures` can evaluate every expectation of suite ``name``."""
    for expectation in load_suite(name)["expectations"]:
        allowed = VECTORISED_KWARGS.get(expectation["type"])
        if allowed is None or not set(expectation["kwargs"]) <= allowed:
            return False
        if expectation["kwargs"].get("ignore_row_if", PAIR_IGNORE) != PAIR_IGNORE:
            return False
        if expectation["kwargs"].get("exact_match"):
            return False
    return True


def vectorised_failures(
    name: str,
    frame: pd.DataFrame,
    raw: pd.DataFrame,
    file: str,
    parameters: dict[str, Any],
    *,
    table_level: bool = True,
) -> pd.DataFrame:
    """The failures GX would report for suite ``name`` on ``frame`` (:func:`run_suite` +
    :func:`result_failures`), computed with pandas: the same records, in the same order.

    ``table_level``: include the missing-column records (once per file, not per batch).
    Only for suites with :func:`vectorised_supported`.
    """
    parts = []
    for expectation in runnable_expectations(name, set(frame.columns)):
        kind, kwargs = expectation["type"], expectation["kwargs"]
        meta = expectation.get("meta") or {}
        if kind == "expect_table_columns_to_match_set":
            missing = [c for c in kwargs["column_set"] if c not in frame.columns]
            if missing and table_level:
                parts.append(expectation_failures(meta, kwargs, [], missing, frame, raw, file))
            continue
        unexpected = _unexpected(kind, kwargs, frame, parameters)
        if unexpected.any():
            rows = [int(r) for r in frame.index[unexpected.to_numpy()]]
            parts.append(expectation_failures(meta, kwargs, rows, None, frame, raw, file))
    return failure_frame(pd.concat(parts)) if parts else failure_frame()


def _unexpected(kind: str, kwargs: dict, frame: pd.DataFrame, parameters: dict) -> pd.Series:
    """Boolean per row: the row fails the expectation (GX's map-expectation semantics)."""
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = frame[kwargs["column_A"]], frame[kwargs["column_B"]]
        both = a.notna() & b.notna()
        greater = a >= b if kwargs.get("or_equal") else a > b
        return both & ~greater.fillna(False).astype(bool)
    column = frame[kwargs["column"]]
    present = column.notna()
    if kind == "expect_column_values_to_not_be_null":
        return ~present
    if kind == "expect_column_values_to_be_in_set":
        return present & ~column.isin(kwargs["value_set"])
    if kind == "expect_column_values_to_be_between":
        low, high = (_parameter(kwargs.get(k), parameters) for k in ("min_value", "max_value"))
        inside = pd.Series(True, index=frame.index)
        if low is not None:
            above = column > low if kwargs.get("strict_min") else column >= low
            inside &= above.fillna(False).astype(bool)
        if high is not None:
            below = column < high if kwargs.get("strict_max") else column <= high
            inside &= below.fillna(False).astype(bool)
        return present & ~inside
    matched = column.astype("str").str.contains(kwargs["regex"], regex=True, na=False)
    return present & matched.astype(bool)


def _parameter(value: Any, parameters: dict) -> Any:
    """A suite argument, its ``{"$PARAMETER": name}`` placeholder resolved."""
    if isinstance(value, dict) and "$PARAMETER" in value:
        return parameters[value["$PARAMETER"]]
    return value


def _row_of(entry: Any) -> int:
    """An unexpected index entry: the index value, or ``{"row": n, ...}`` for a named index."""
    if isinstance(entry, dict):
        return int(entry.get("row", next(iter(entry.values()))))
    return int(entry)


def _pair_values(raw: pd.DataFrame, rows: list, upper: str, lower: str) -> pd.Series:
    top, bottom = raw[upper].reindex(rows).astype("str"), raw[lower].reindex(rows).astype("str")
    return upper + " " + top + ", " + lower + " " + bottom


def _table_level(meta: dict, column: str | None, file: str) -> pd.DataFrame:
    fill = column or ""
    return failure_frame([{"file": file, "row": 1, "column": column, "value": None,
                           "rule_id": meta["rule_id"],
                           "message": meta["message"].replace("{value}", fill),
                           "fix": meta["fix"].replace("{value}", fill)}])  # fmt: skip


def _row_level(meta: dict, column: str | None, file: str, rows: list,
               values: pd.Series) -> pd.DataFrame:  # fmt: skip
    shown = values.astype("object").where(values.notna(), None)
    text = shown.map(lambda v: "(empty)" if v is None else str(v))
    message = np.char.replace(np.array([meta["message"]] * len(rows), dtype=object).astype(str),
                              "{value}", text.to_numpy().astype(str))  # fmt: skip
    fix: Any = meta["fix"]
    if fix.startswith("vocabulary:"):
        allowed = _VOCAB_FOR_FIX[fix.split(":", 1)[1]]
        fixes = {v: suggest_code(v, allowed) for v in pd.unique(text)}
        fix = text.map(fixes).to_numpy()
    return failure_frame(pd.DataFrame({
        "file": file, "row": np.asarray(rows, dtype="int64"), "column": column,
        "value": shown.to_numpy(), "rule_id": meta["rule_id"], "message": message, "fix": fix,
    }))  # fmt: skip


def render_data_docs(result: Any) -> str:
    """GX Data Docs HTML page of one suite validation result (CSS/JS from CDNs).

    Submitted cell values are HTML-escaped before rendering (a cell holding ``<script>`` must
    show as text, never run in the reader's browser)."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaPageView

    page = ValidationResultsPageRenderer().render(_escaped(result))
    return DefaultJinjaPageView().render(page)


def _escaped(result: Any) -> Any:
    """A copy of a suite result whose submitted values (unexpected lists, counts) are escaped."""
    import copy

    clean = copy.deepcopy(result)
    for item in clean.results:
        item.result = _escape_values(item.result)
    return clean


def _escape_values(value: Any) -> Any:
    if isinstance(value, str):
        return html.escape(cap_text(value))
    if isinstance(value, dict):
        return {k: _escape_values(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_escape_values(v) for v in value)
    return value
