"""The one country list of the project: ISO 3166-1 alpha-3 codes and names (pycountry).

pycountry ships the ISO 3166-1 table (officially assigned codes). The European Union reports
to the UNFCCC as a Party under the code ``EUU``, which ISO 3166-1 does not assign; it is added
here so that an EU submission is accepted.
"""

from __future__ import annotations

import pycountry

UNFCCC_PARTIES_OUTSIDE_ISO = {"EUU": "European Union"}


def _normalised(code: object) -> str | None:
    if not isinstance(code, str) or isinstance(code, bool):
        return None
    code = code.strip().upper()
    return code if len(code) == 3 and code.isalpha() else None


def is_iso3(code: object) -> bool:
    """Whether ``code`` (any case, spaces around allowed) is an assigned alpha-3 code or EUU."""
    return country_name(code) is not None


def country_name(code: object) -> str | None:
    """The country's English short name (``KEN`` -> ``Kenya``), None for an unknown code."""
    normalised = _normalised(code)
    if normalised is None:
        return None
    if normalised in UNFCCC_PARTIES_OUTSIDE_ISO:
        return UNFCCC_PARTIES_OUTSIDE_ISO[normalised]
    found = pycountry.countries.get(alpha_3=normalised)
    return None if found is None else str(found.name)
