"""Bounds on the work one submission may cause, stated once (issue 22, "tiny files, large work").

Every bound is on what is actually read, never on what a file declares about itself: a zip
member is counted while it inflates, a workbook's cells while they are parsed, a grid's axes
before they are loaded, a YAML document's nesting before it is composed. The submission-format
page of the documentation lists :data:`DOCUMENTED` (``inventory.reporting.reference_docs``), so
the numbers there are these.
"""

from __future__ import annotations

MiB = 1024 * 1024

# Zip members (packages and the parts of an .xlsx) are inflated this much at a time; the running
# count of bytes actually inflated is compared with the limit after every piece.
INFLATE_CHUNK_BYTES = 1 * MiB
# An .xlsx is a zip of XML parts; real workbooks of a national dataset inflate to a few MB.
XLSX_MAX_INFLATED_BYTES = 256 * MiB

# Worksheet cells: the widest dataset of format v1 (profiles) has 17 columns; extra columns of a
# compiler's own are tolerated up to this. A cell further right is refused (the declared
# dimension of a sheet, e.g. A1:XFD1048576, is never trusted).
XLSX_MAX_COLUMNS = 64
# Excel's own last row; rows are counted as parsed, not as declared.
XLSX_MAX_ROWS = 1_048_576

# submission.yaml: nesting (a manifest needs 3 levels: files -> dataset -> key) and nodes.
YAML_MAX_DEPTH = 20
YAML_MAX_NODES = 5_000

# Grids (NetCDF): the points of one axis are loaded into memory as an index before anything
# else; 100,000 points is a 100 m grid over 100 degrees or a 250 m grid over 250 degrees (every
# country's extent fits). Cells of one variable: a 250 m grid of Brazil (8.5 M km2, 1.4e8
# cells) with margin.
GRID_MAX_AXIS_POINTS = 100_000
GRID_MAX_CELLS = 250_000_000

# Reports repeat a submitted value up to this many characters, then "... (N characters)".
REPORT_VALUE_MAX_CHARS = 200

# (name, value, what it bounds) for the documentation's table of limits.
DOCUMENTED = (
    ("zip member, inflated", "the package's max_file_bytes (256 MiB by default)",
     f"counted while inflating, {INFLATE_CHUNK_BYTES // MiB} MiB at a time; declared sizes "
     "are not trusted"),
    ("profiles file read in batches", "the package's max_streamed_file_bytes (4 GiB by "
     "default)", "a profiles CSV or Parquet file over SOILC_STREAM_PROFILES_MB (32 MiB) is "
     "validated and harmonised SOILC_PROFILE_BATCH_ROWS rows at a time, never read whole; "
     "one that cannot be streamed (not UTF-8, malformed) is read whole only up to "
     "max_file_bytes"),
    ("xlsx workbook, inflated", f"{XLSX_MAX_INFLATED_BYTES // MiB} MiB",
     "all parts of one workbook, counted while inflating"),
    ("xlsx columns", f"{XLSX_MAX_COLUMNS}", "columns holding a cell (the declared sheet "
     "dimension is ignored)"),
    ("xlsx rows", f"{XLSX_MAX_ROWS:,}", "rows as parsed"),
    ("submission.yaml nesting", f"{YAML_MAX_DEPTH} levels", "checked before the document is "
     "composed"),
    ("submission.yaml nodes", f"{YAML_MAX_NODES:,}", "scalars, lists and mappings"),
    ("grid axis", f"{GRID_MAX_AXIS_POINTS:,} points", "each dimension of the NetCDF file, "
     "read from its metadata before any value is loaded"),
    ("grid variable", f"{GRID_MAX_CELLS:,} cells", "the product of a variable's dimensions"),
    ("value repeated in a report", f"{REPORT_VALUE_MAX_CHARS} characters",
     "longer values are cut and followed by their length, in JSON, HTML, text, CSV and XLSX"),
)  # fmt: skip
