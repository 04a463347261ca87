"""The one country list (pycountry, plus the EU as a UNFCCC Party)."""

from __future__ import annotations

import pytest

from inventory.core.countries import country_name, is_iso3


@pytest.mark.parametrize(
    ("code", "name"),
    [("KEN", "Kenya"), (" ury ", "Uruguay"), ("IRL", "Ireland"), ("EUU", "European Union")],
)
def test_known_codes_and_names(code, name):
    assert is_iso3(code) and country_name(code) == name


@pytest.mark.parametrize("code", ["XXX", "KE", "KENY", "", None, True, 404, "EU"])
def test_unknown_codes(code):
    assert not is_iso3(code) and country_name(code) is None
