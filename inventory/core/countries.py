"""The one country list of the project: ISO 3166-1 alpha-3 codes and names (pycountry).

Used by ``submission.yaml`` checks and API tokens alike: a code accepted here is accepted
everywhere, and only here. pycountry ships the ISO 3166-1 table (the officially assigned alpha-3
codes, 249 entries). The European Union reports to the UNFCCC as a Party under the code ``EUU``,
which ISO 3166-1 does not assign; it is added here so that an EU submission is accepted.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry

from inventory.core.errors import UserError

# UNFCCC Parties that are not ISO 3166-1 countries: code -> name.
UNFCCC_PARTIES_OUTSIDE_ISO = {"EUU": "European Union"}


@lru_cache(maxsize=1)
def iso3_codes() -> frozenset[str]:
    """Every accepted country code (upper case)."""
    return frozenset(c.alpha_3 for c in pycountry.countries) | frozenset(UNFCCC_PARTIES_OUTSIDE_ISO)


def country_code(value: object) -> str | None:
    """``value`` (any case, spaces around allowed) as an accepted upper-case code, else None."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    return code if code in iso3_codes() else None


class CountryCodeError(UserError, ValueError):
    """A country named by something else than an ISO 3166-1 alpha-3 code (or EUU)."""

    action = "name the country by its three-letter code, e.g. KEN (EUU: the European Union)"


def require_code(value: object) -> str:
    """``value`` as an accepted upper-case code; :class:`CountryCodeError` when it is none."""
    code = country_code(value)
    if code is None:
        raise CountryCodeError(f"{value!r} is not an ISO 3166 alpha-3 code")
    return code


def is_iso3(code: object) -> bool:
    """Whether ``code`` (any case, spaces around allowed) is an assigned alpha-3 code or EUU."""
    return country_code(code) is not None


def country_name(code: object) -> str | None:
    """The country's English short name (``KEN`` -> ``Kenya``), None for an unknown code."""
    normalised = country_code(code)
    if normalised is None:
        return None
    if normalised in UNFCCC_PARTIES_OUTSIDE_ISO:
        return UNFCCC_PARTIES_OUTSIDE_ISO[normalised]
    found = pycountry.countries.get(alpha_3=normalised)
    return None if found is None else str(found.name)
