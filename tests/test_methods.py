"""inventory.harmonise.methods: cited factors, per-row provenance, refusal of total carbon."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from inventory.core.failures import FAILURE_COLUMNS
from inventory.harmonise import methods

# Walkley-Black 20 g/kg x 1.33 = 26.6; LOI (organic matter) 50 g/kg x 0.58 = 29.0,
# x 0.5 (Pribyl 2010) = 25.0; dry combustion unchanged.
VALUES = np.array([20.0, 20.0, 50.0, 50.0])
CODES = pd.Series(["dry_combustion", "walkley_black", "loss_on_ignition", "organic_matter"])


def test_default_factors_are_the_cited_ones():
    soc, factor, converted = methods.dry_combustion_soc(VALUES, CODES)
    np.testing.assert_allclose(factor, [1.0, 1.33, 0.58, 0.58])
    np.testing.assert_allclose(soc, [20.0, 26.6, 29.0, 29.0])
    assert converted.tolist() == [False, True, True, True]
    assert methods.WALKLEY_BLACK_1934_FACTOR == pytest.approx(1.2987, abs=1e-4)
    assert 1 / methods.VAN_BEMMELEN_FRACTION == pytest.approx(1.724, abs=1e-3)


def test_options_per_submission():
    opts = methods.MethodOptions.from_mapping(
        {"walkley_black_factor": methods.WALKLEY_BLACK_1934_FACTOR, "organic_carbon_fraction": 0.5}
    )
    soc, factor, _ = methods.dry_combustion_soc(VALUES, CODES, opts)
    np.testing.assert_allclose(soc, [20.0, 20.0 / 0.77, 25.0, 25.0])
    np.testing.assert_allclose(factor[2:], 0.5)


def test_unknown_or_implausible_options_are_refused():
    with pytest.raises(ValueError, match="unknown method option"):
        methods.MethodOptions.from_mapping({"wb": 1.3})
    with pytest.raises(ValueError, match="organic_carbon_fraction"):
        methods.MethodOptions.from_mapping({"organic_carbon_fraction": 1.724})


def test_total_carbon_refused_with_one_table_of_rows():
    codes = pd.Series(
        ["total_carbon", "dry_combustion", "total_carbon", "tyurin"], index=[7, 8, 9, 10]
    )
    with pytest.raises(methods.MethodError) as err:
        methods.dry_combustion_soc(np.ones(4), codes)
    table = err.value.errors
    assert table["row"].tolist() == [7, 9, 10]
    assert table["rule_id"].tolist() == ["total_carbon_refused"] * 2 + ["unknown_soc_method"]
    assert list(table.columns) == FAILURE_COLUMNS
    assert "inorganic" in table["fix"].iloc[0]


def test_total_carbon_accepted_when_declared_inorganic_free():
    opts = methods.MethodOptions(total_carbon_inorganic_free=True)
    soc, factor, converted = methods.dry_combustion_soc(
        np.array([12.0]), pd.Series(["total_carbon"]), opts
    )
    assert soc[0] == 12.0 and factor[0] == 1.0 and converted[0]
