"""The one list of country codes: ISO 3166-1 alpha-3, used by submission.yaml and API tokens.

Codes come from pycountry (the ISO 3166-1 officially assigned alpha-3 codes, 249 entries),
plus ``EUU``, the code the UNFCCC uses for the European Union as a Party. Nothing else in the
system keeps its own list: a code accepted here is accepted everywhere, and only here.
"""

from __future__ import annotations

from functools import lru_cache

import pycountry

# UNFCCC Parties that are not ISO 3166-1 countries: code -> name.
UNFCCC_EXTRA = {"EUU": "European Union"}


@lru_cache(maxsize=1)
def iso3_codes() -> frozenset[str]:
    """Every accepted country code (upper case)."""
    return frozenset(c.alpha_3 for c in pycountry.countries) | frozenset(UNFCCC_EXTRA)


def country_code(value: object) -> str | None:
    """``value`` as an accepted upper-case alpha-3 code, or None when it is not one."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    return code if code in iso3_codes() else None


def country_name(code: str) -> str:
    """The English short name of an accepted code (``KEN`` -> ``Kenya``)."""
    if code in UNFCCC_EXTRA:
        return UNFCCC_EXTRA[code]
    record = pycountry.countries.get(alpha_3=code)
    if record is None:
        raise KeyError(f"{code!r} is not an ISO 3166-1 alpha-3 code")
    return str(record.name)
