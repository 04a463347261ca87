"""inventory.core.units soil quantities: canonical factors and round trips (hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.core import units

# Hand values: 2.5 % = 25 g/kg; 1300 kg/m3 = 1.3 g/cm3; 5 kg C/m2 = 50 t C/ha; 0.3 m = 30 cm.
EXPECTED = [
    ("soc", "%", 10.0),
    ("soc", "g/100g", 10.0),
    ("soc", "mg/g", 1.0),
    ("soc", "g/kg", 1.0),
    ("bulk_density", "g/cm3", 1.0),
    ("bulk_density", "Mg/m3", 1.0),
    ("bulk_density", "kg/m3", 0.001),
    ("bulk_density", "g cm-3", 1.0),
    ("stock", "t/ha", 1.0),
    ("stock", "Mg/ha", 1.0),
    ("stock", "kg/m2", 10.0),
    ("stock", "Mg C/ha", 1.0),
    ("stock", "kg C/m2", 10.0),
    ("depth", "cm", 1.0),
    ("depth", "m", 100.0),
]


@pytest.mark.parametrize(("quantity", "unit", "factor"), EXPECTED)
def test_soil_factors(quantity, unit, factor):
    assert units.soil_conversion_factor(unit, quantity) == factor  # exact after rounding


def test_every_listed_string_converts():
    for quantity, strings in units.SOIL_UNIT_STRINGS.items():
        for unit in strings:
            assert units.soil_conversion_factor(unit, quantity) > 0


@pytest.mark.parametrize(
    ("quantity", "unit"),
    [("soc", "g/cm3"), ("bulk_density", "%"), ("stock", "cm"), ("depth", "kg"), ("soc", "furlong")],
)
def test_wrong_dimension_is_an_error(quantity, unit):
    with pytest.raises(units.UnitError):
        units.soil_conversion_factor(unit, quantity)


def test_column_conversion_is_vectorised_and_nan_for_bad_units():
    values = pd.Series([2.5, 25.0, 10.0, 1.0, 3.0])
    unit_col = pd.Series(["%", "g/kg", "mg/g", "g/cm3", None])
    out = units.convert_soil_column(values, unit_col, "soc")
    np.testing.assert_array_equal(out[:3], [25.0, 25.0, 10.0])
    assert np.isnan(out[3:]).all()


PAIRS = [(q, u) for q, strings in units.SOIL_UNIT_STRINGS.items() for u in strings]


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(PAIRS), st.floats(1e-6, 1e6, allow_nan=False))
def test_round_trip_to_canonical_and_back(pair, value):
    quantity, unit = pair
    factor = units.soil_conversion_factor(unit, quantity)
    canonical = value * factor
    assert canonical / factor == pytest.approx(value, rel=2e-16, abs=0)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(PAIRS), st.sampled_from(PAIRS))
def test_factors_compose(first, second):
    """a -> canonical -> b equals the direct pint factor a -> b (same quantity)."""
    (q1, u1), (q2, u2) = first, second
    if q1 != q2 or q1 == "stock":  # stock mixes carbon and plain mass strings
        return
    direct = units.conversion_factor(u1, u2)
    via = units.soil_conversion_factor(u1, q1) / units.soil_conversion_factor(u2, q2)
    assert via == pytest.approx(direct, rel=1e-12)


def test_existing_api_unchanged():
    assert units.CANONICAL_UNITS["soc"] == "g/kg"
    assert units.check_unit("g/100g", "g/kg") is None
    assert units.conversion_factor("kg/m2", "t/ha") == pytest.approx(10.0)
