"""One pint registry for the project: soil concentrations, densities, stocks, areas and gases.

Default pint misreads soil unit strings (``g/100g`` becomes g squared, ``Mg C/ha`` becomes
coulomb, ``g cm-3`` fails). The preprocessors below fix those
before parsing. Carbon and the greenhouse gases are their own dimensions so that a t C value can
never be added to a t CO2 value by mistake; conversions between them use molar-mass ratios
(cited in ``inventory/data/ipcc/gwp.csv``, rows ``C -> CO2``, ``CH4-C -> CH4``, ``N2O-N -> N2O``).

Columns are converted with one factor per distinct unit string, never per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import lru_cache

import numpy as np
import pandas as pd
import pint

from inventory.core.errors import UserError

_LENGTH_EXPONENT = re.compile(r"\b(km|dm|cm|mm|m)(-?\d)\b")  # only after length units: CO2 stays
_PER_100_G = re.compile(r"\bg\s*/\s*100\s*g\b")
_CARBON_TOKEN = re.compile(r"(?<=[A-Za-z])\s+C\b")  # "Mg C/ha" -> "Mg carbon/ha", not coulomb
_GAS_TOKEN = re.compile(r"\b(CO2-C|CH4-C|N2O-N|CO2|CH4|N2O)\b")
_GAS_NAMES = {"CO2-C": "carbon", "CH4-C": "ch4_c", "N2O-N": "n2o_n",
              "CO2": "co2", "CH4": "ch4", "N2O": "n2o"}  # fmt: skip


def _preprocess(text: str) -> str:
    text = text.strip().replace("‰", " permille ").replace("%", " percent ")
    text = _PER_100_G.sub("percent", text)
    text = _GAS_TOKEN.sub(lambda m: _GAS_NAMES[m.group(1)], text)
    text = _CARBON_TOKEN.sub(" carbon", text)
    return _LENGTH_EXPONENT.sub(r"\1**\2", text)


def _build_registry() -> pint.UnitRegistry:
    ureg: pint.UnitRegistry = pint.UnitRegistry(preprocessors=[_preprocess], cache_folder=None)
    # Element masses as dimensions; molar-mass ratios 44/12, 16/12, 44/28 (IPCC 2006 Vol.4
    # Ch.2 Eq. 2.25 note and Wetlands Supplement Ch.2/3; see data/ipcc/gwp.csv conversion rows).
    ureg.define("carbon = [carbon_mass] = C_mass")
    ureg.define("co2 = 12/44 * carbon")
    ureg.define("methane = [methane_mass]")
    ureg.define("ch4 = methane")
    ureg.define("ch4_c = 16/12 * methane")
    ureg.define("nitrous_oxide = [nitrous_oxide_mass]")
    ureg.define("n2o = nitrous_oxide")
    ureg.define("n2o_n = 44/28 * nitrous_oxide")
    return ureg


ureg = _build_registry()

# Canonical units of the harmonised columns (the glossary's unit suffixes).
CANONICAL_UNITS = {
    "area": "ha",
    "soc": "g/kg",
    "bulk_density": "g/cm**3",
    "depth": "cm",
    "stock": "t/ha",
}


class UnitError(UserError, ValueError):
    """A unit string that cannot be parsed or has the wrong dimension."""


# Unit strings are parsed against a small grammar before pint sees them: unit names the registry
# knows, joined by '*', '/' or spaces, with optional parentheses and small integer exponents
# ('**' or '^', -4..4 without 0). No other number, so no arithmetic can be smuggled in
# ('ha/0', 'ha**0', 'ha*10**10**8' are refused without being evaluated).
MAX_UNIT_CHARS = 40
MAX_UNIT_TOKENS = 16
UNIT_PARSE_TIMEOUT_S = 1.0  # pint parses an allowed expression in well under a millisecond
_UNIT_TOKEN = re.compile(
    r"\s*(?:(?P<name>[A-Za-z_][A-Za-z_0-9]*)|(?P<power>\*\*|\^)\s*(?P<exp>-?[1-4])(?![0-9])"
    r"|(?P<op>[*/()]))"
)
_PARSER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="unit-parse")


def unit_expression_problem(unit: str) -> str | None:
    """Why ``unit`` is not an allowed unit expression (see above), or None when it is one.

    Parameters
    ----------
    unit : str
        Unit string as submitted (before the soil preprocessors run).

    Returns
    -------
    str or None
        A short reason, e.g. ``"'0' is a number, not a unit"``; None when allowed.
    """
    if len(unit) > MAX_UNIT_CHARS:
        return f"is longer than {MAX_UNIT_CHARS} characters"
    text, position, tokens, depth = _preprocess(unit), 0, 0, 0
    while position < len(text.rstrip()):
        match = _UNIT_TOKEN.match(text, position)
        if match is None:
            bad = text[position:].strip().split()[0]
            return f"{bad!r} is not a unit name" + (
                " (numbers are only allowed as exponents 1-4, e.g. m**2)" if bad[0].isdigit()
                else "")  # fmt: skip
        name, op = match.group("name"), match.group("op")
        if name is not None and name not in ureg:
            return f"{name!r} is not a known unit"
        depth += {"(": 1, ")": -1}.get(op or "", 0)
        tokens += 1
        if depth < 0 or tokens > MAX_UNIT_TOKENS:
            return "is not a simple unit expression"
        position = match.end()
    return None if depth == 0 and tokens else "is not a simple unit expression"


def _parse_bounded(unit: str, target: str) -> float:
    """pint's conversion of an allowed expression, given at most UNIT_PARSE_TIMEOUT_S."""
    future = _PARSER.submit(lambda: float(ureg.Quantity(1.0, unit).to(target).magnitude))
    try:
        return future.result(timeout=UNIT_PARSE_TIMEOUT_S)
    except FutureTimeout:
        raise UnitError(f"{unit!r} took longer than {UNIT_PARSE_TIMEOUT_S} s to parse") from None


@lru_cache(maxsize=4096)
def conversion_factor(unit: str, target: str) -> float:
    """Multiplicative factor [target unit per unit] converting a value in ``unit`` to ``target``.

    Parameters
    ----------
    unit : str
        Unit string as submitted (e.g. ``"g/100g"``, ``"Mg/m3"``, ``"km2"``).
    target : str
        Canonical unit (e.g. ``"g/kg"``).

    Returns
    -------
    float
        Value in ``target`` of 1 ``unit``. Carbon and the gases are their own dimensions;
        between them pint applies the molar-mass ratios C -> CO2 44/12, CH4-C -> CH4 16/12
        and N2O-N -> N2O 44/28 (``inventory/data/ipcc/gwp.csv`` conversion rows).

    Raises
    ------
    UnitError
        When the string does not parse or measures another dimension.
    """
    problem = unit_expression_problem(unit) if isinstance(unit, str) else "is not text"
    if problem is not None:
        raise UnitError(f"cannot convert {unit!r} to {target}: {problem}")
    try:
        factor = _parse_bounded(unit, target)
    except (pint.errors.PintError, AttributeError, TypeError, ValueError, AssertionError,
            ZeroDivisionError, OverflowError) as err:  # fmt: skip
        raise UnitError(f"cannot convert {unit!r} to {target}: {err}") from err
    if not np.isfinite(factor) or factor <= 0:
        raise UnitError(f"cannot convert {unit!r} to {target}: factor {factor} is not positive")
    return factor


def check_unit(unit: object, target: str) -> str | None:
    """Return None when ``unit`` converts to ``target``, else a short reason.

    Parameters
    ----------
    unit : object
        Unit string to check (anything else, or a blank string, is "missing unit").
    target : str
        Canonical unit.

    Returns
    -------
    str or None
        None when the conversion works, else the reason (for validation messages).
    """
    if not isinstance(unit, str) or not unit.strip():
        return "missing unit"
    try:
        conversion_factor(unit, target)
    except UnitError as err:
        return str(err)
    return None


def convert_column(values: pd.Series, units: pd.Series, target: str) -> np.ndarray:
    """Values of a column with a parallel unit column, converted to ``target``.

    Parameters
    ----------
    values : pandas.Series
        Values [in the unit of the same row of ``units``].
    units : pandas.Series
        Unit string of each row.
    target : str
        Canonical unit (e.g. ``"ha"``).

    Returns
    -------
    numpy.ndarray
        Values [``target``], float64. One pint conversion per distinct unit string
        (vectorised); rows with unusable units become NaN (the validation stage has rejected
        them before harmonisation runs).
    """
    return _convert_by_unit(values, units, lambda unit: conversion_factor(unit, target))


def _convert_by_unit(
    values: pd.Series, units: pd.Series, factor_of: Callable[[str], float]
) -> np.ndarray:
    """values x factor_of(unit), one factor per distinct unit string; unusable units -> NaN."""
    distinct: Iterable[str] = pd.unique(units.dropna())
    factors = {}
    for unit in distinct:
        try:
            factors[unit] = factor_of(str(unit))
        except UnitError:
            factors[unit] = np.nan
    factor = units.map(factors).astype("float64").to_numpy()
    return values.astype("float64").to_numpy() * factor


def carbon_to_co2(mass_c: float | np.ndarray) -> float | np.ndarray:
    """CO2 mass [t CO2] of a carbon mass [t C] (x 44/12).

    Parameters
    ----------
    mass_c : float or numpy.ndarray
        Carbon mass [t C] (or any mass unit; the result is in the same unit of CO2).

    Returns
    -------
    float or numpy.ndarray
        CO2 mass [t CO2].

    Notes
    -----
    The molar-mass ratio 44/12 [1]_ (``inventory/data/ipcc/gwp.csv``, row ``C -> CO2``),
    computed by the pint registry from its ``co2 = 12/44 * carbon`` definition.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Sec. 2.2.3 note.
    """
    return mass_c * conversion_factor("t carbon", "t co2")


# --- Soil profile quantities (issue 7): accepted unit strings and whole-column conversion ---
# Unit strings seen in national profile submissions, per quantity; each converts to the
# canonical unit with one pint factor (the preprocessors above fix the parsing).
SOIL_UNIT_STRINGS: dict[str, tuple[str, ...]] = {
    "soc": ("g/kg", "%", "percent", "g/100g", "g/100 g", "mg/g", "dag/kg", "permille", "‰"),
    "bulk_density": ("g/cm3", "g/cm^3", "g/cm**3", "g cm-3", "Mg/m3", "Mg/m^3", "Mg m-3",
                     "t/m3", "kg/m3", "kg m-3", "kg/dm3"),
    "stock": ("t/ha", "Mg/ha", "kg/m2", "kg m-2", "g/m2", "t C/ha", "Mg C/ha", "kg C/m2"),
    "depth": ("cm", "m", "mm", "dm"),
}  # fmt: skip
# Carbon stocks may be submitted as plain mass ("t/ha") or as carbon ("t C/ha"); both mean
# carbon mass per area and convert to t C/ha.
CARBON_STOCK_UNIT = "t carbon/ha"


def soil_conversion_factor(unit: str, quantity: str) -> float:
    """Factor converting ``unit`` to the canonical unit of a soil ``quantity``.

    Parameters
    ----------
    unit : str
        Submitted unit string (e.g. ``"%"``, ``"Mg/m3"``, ``"kg C/m2"``, ``"m"``).
    quantity : str
        One of ``soc`` (to g/kg), ``bulk_density`` (to g/cm3), ``stock`` (to t C/ha, plain
        mass per area read as carbon mass) or ``depth`` (to cm).

    Returns
    -------
    float
        Value in the canonical unit (g kg-1, g cm-3, t C ha-1 or cm) of 1 ``unit``, rounded to
        12 significant digits (soil unit factors are exact decimal ratios; this removes pint's
        float noise).

    Raises
    ------
    UnitError
        Unknown quantity, unparsable string or wrong dimension.
    """
    if quantity not in SOIL_UNIT_STRINGS:
        raise UnitError(f"unknown soil quantity {quantity!r}; known: {sorted(SOIL_UNIT_STRINGS)}")
    if quantity == "stock":
        try:
            factor = conversion_factor(unit, CARBON_STOCK_UNIT)
        except UnitError:
            factor = conversion_factor(unit, CANONICAL_UNITS["stock"])
    else:
        factor = conversion_factor(unit, CANONICAL_UNITS[quantity])
    # pint's float arithmetic leaves noise (Mg/m3 -> 1.0000000000000002 g/cm3); soil unit
    # factors are exact decimal ratios, so 12 significant digits lose nothing.
    return float(f"{factor:.12g}")


def convert_soil_column(values: pd.Series, units: pd.Series, quantity: str) -> np.ndarray:
    """Values of a soil column with a parallel unit column, in the canonical unit.

    Parameters
    ----------
    values : pandas.Series
        Values [in the unit of the same row of ``units``].
    units : pandas.Series
        Unit string of each row (e.g. ``"%"``, ``"Mg/m3"``).
    quantity : str
        ``soc`` [g kg-1], ``bulk_density`` [g cm-3], ``stock`` [t C ha-1] or ``depth`` [cm]
        (:func:`soil_conversion_factor`).

    Returns
    -------
    numpy.ndarray
        Values in the canonical unit, float64. One conversion per distinct unit string
        (vectorised); unusable or missing units give NaN, which the caller must report
        (validation rejects such rows before harmonisation).
    """
    return _convert_by_unit(values, units, lambda unit: soil_conversion_factor(unit, quantity))
