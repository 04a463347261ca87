"""Encoding and delimiter detection of submitted CSV files (charset-normalizer, csv.Sniffer)."""

from __future__ import annotations

import pytest

from inventory.intake.readers import decode_text, read_csv_bytes


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-8", "utf-8-sig", "utf-16"])
def test_spreadsheet_encodings_decode_to_the_same_text(encoding):
    text = "land_use;source\ncropland;Señor Peña, Forêt domaniale, Grünland\n"
    decoded, _ = decode_text(text.encode(encoding), "factors.csv")
    assert decoded.replace("\ufeff", "") == text  # never cp1250's "Seńor Peńa"


def test_semicolon_file_with_decimal_commas_is_read_as_such():
    data = "year;area;area_unit\n1990;12,5;ha\n1991;13,25;ha\n".encode("cp1252")
    frame, found = read_csv_bytes(data, "land_areas.csv")
    assert (found.delimiter, found.decimal) == (";", ",")
    assert frame.loc[2, "area"] == "12,5" and frame.loc[3, "area"] == "13,25"  # rows 2 and 3


def test_single_column_file_needs_no_delimiter():
    frame, found = read_csv_bytes(b"year\n1990\n1991\n", "years.csv")
    assert found.delimiter == "," and frame["year"].tolist() == ["1990", "1991"]
