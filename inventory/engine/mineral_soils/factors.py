"""IPCC default factor tables behind a strict loader, plus country-specific overrides.

The IPCC tables are kept unchanged (with their citation columns) in ``inventory/data/ipcc/``
(copied from the project's reference set; see its README for the provenance of every value).
``inventory/data/factor_level_map.csv`` maps our management/input codes to the printed table
levels and records every judgement call in its ``comment`` column.

The loader returns one canonical table, the shape every factor source is brought to::

    country        ISO3 of a country-specific factor, or '*' (IPCC defaults)
    factor         SOC_REF | F_LU | F_MG | F_I
    climate_zone   canonical zone code, or '*' (applies to every zone)
    soil_class     canonical soil class, or '*'
    land_use       canonical land use, or '*'
    level          management code (F_LU, F_MG), input code (F_I), or '*'
    value          dimensionless factor, or t C/ha for SOC_REF (0-30 cm)
    uncertainty_pct  +/- % of the value (95 % interval), NaN when the table gives none
    tier, source, priority   provenance; lower priority wins (submitted 1, derived 2, default 3)

:func:`factor_table` adds the Monte Carlo columns ``vocab.DRAW_COLUMNS``
(:mod:`inventory.engine.uncertainty.montecarlo`): ``source_row`` names the printed table row
(edition +
table + row) a default was read from, so that one draw of that row serves every climate zone the
row applies to.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal, get_args

import pandas as pd

from inventory.core import vocab
from inventory.core.errors import UserError
from inventory.engine.uncertainty import montecarlo

Edition = Literal["2019", "2006"]  # IPCC 2019 Refinement, IPCC 2006 Guidelines
EDITIONS: tuple[str, ...] = get_args(Edition)
DEFAULT_EDITION: Edition = "2019"
_REFERENCE_ZONE = {v: k for k, v in vocab.CLIMATE_TO_REFERENCE.items()}
_REFERENCE_SOIL = {v: k for k, v in vocab.SOIL_TO_REFERENCE.items()}


class FactorError(UserError, ValueError):
    """A factor table is malformed or a stratum has no factor."""


def _data_csv(name: str) -> pd.DataFrame:
    path = resources.files("inventory.data").joinpath(name)
    with path.open("rb") as handle:
        return pd.read_csv(handle, dtype={"code": str, "edition": str})


def _check_edition(edition: str) -> str:
    if edition not in EDITIONS:
        raise FactorError(f"unknown IPCC edition {edition!r}; choose one of {EDITIONS}")
    return edition


@lru_cache(maxsize=4)
def soc_ref_defaults(edition: str = DEFAULT_EDITION) -> pd.DataFrame:
    """Default reference SOC stocks SOC_REF [t C ha-1], 0-30 cm, in canonical factor form.

    Parameters
    ----------
    edition : {"2019", "2006"}, default "2019"
        IPCC edition of Table 2.3: the 2019 Refinement (updated table) or the 2006 Guidelines.

    Returns
    -------
    pandas.DataFrame
        ``vocab.FACTOR_COLUMNS``, one row per climate zone x soil class with a value:
        ``factor`` = SOC_REF, ``value`` [t C ha-1] (mineral soils under native vegetation,
        0-30 cm), ``uncertainty_pct`` [%] (+/- % of the value as printed: per cell in 2019,
        +/-90 % in 2006), tier ``tier1_default``, ``source`` (table and transcription),
        priority 3; ``country``, ``land_use`` and ``level`` are ``*``.

    Raises
    ------
    FactorError
        For an unknown edition, or a zone or soil code outside the vocabulary.

    Notes
    -----
    Blank cells (class absent in a zone) are dropped, so a stratum on such a cell fails the
    coverage check with its name. The values are secondary transcriptions of the tables with a
    ``confidence`` per row (``inventory/data/ipcc/soc_ref_mineral.csv`` and its README).

    References
    ----------
    .. [1] IPCC (2019). 2019 Refinement to the 2006 IPCC Guidelines for National Greenhouse
       Gas Inventories, Vol. 4, Ch. 2, Table 2.3 (updated).
    .. [2] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Table 2.3.
    """
    table = _data_csv("ipcc/soc_ref_mineral.csv")
    edition = _check_edition(edition)
    out = pd.DataFrame({
        "country": vocab.WILDCARD,
        "factor": "SOC_REF",
        "climate_zone": table["climate_zone"].map(_REFERENCE_ZONE),
        "soil_class": table["soil_class"].map(_REFERENCE_SOIL),
        "land_use": vocab.WILDCARD,
        "level": vocab.WILDCARD,
        "value": table[f"soc_ref_{edition}"],
        "uncertainty_pct": table[f"uncertainty_{edition}_pct"],
        "tier": "tier1_default",
        "source": f"IPCC {edition} Vol.4 Ch.2 Table 2.3; " + table[
            "source" if edition == "2019" else "source_2006"].astype(str),
    })  # fmt: skip
    if out[["climate_zone", "soil_class"]].isna().any().any():
        raise FactorError("soc_ref_mineral.csv has a zone or soil code outside the vocabulary")
    out["priority"] = vocab.FACTOR_PRIORITY["tier1_default"]
    # one printed cell = one source row: 2019 prints one Boreal and one Polar row for moist and dry
    out["source_row"] = (
        f"IPCC {edition} Vol.4 Ch.2 Table 2.3: " + table[f"table_row_{edition}"].astype(str)
        + " x " + table["soil_class_name"].astype(str)
    )  # fmt: skip
    out = out.dropna(subset=["value"]).reset_index(drop=True)
    return out[[*vocab.FACTOR_COLUMNS, "source_row"]]


def _table_rows(edition: str) -> pd.DataFrame:
    """Stock change factor rows of one edition, one row per applicable zone."""
    table = _data_csv("ipcc/stock_change_factors.csv")
    table = table[table["source_edition"].str.startswith(f"{edition} ")].copy()
    table["zone"] = table["applies_to_zones"].str.split(";")
    table = table.explode("zone")
    table["climate_zone"] = table["zone"].map(_REFERENCE_ZONE)
    table["row_key"] = (
        f"IPCC {edition} Vol.4 " + table["source_table"] + ": " + table["land_use"] + " "
        + table["factor_type"] + " " + table["level"] + " | " + table["temperature_regime"]
        + " | " + table["moisture_regime"]
    )  # fmt: skip
    return table.add_prefix("t_")


@lru_cache(maxsize=4)
def stock_change_defaults(edition: str = DEFAULT_EDITION) -> pd.DataFrame:
    """Default stock change factors F_LU, F_MG, F_I [-] of one edition, in canonical form.

    Parameters
    ----------
    edition : {"2019", "2006"}, default "2019"
        IPCC edition of Tables 5.5 and 6.2.

    Returns
    -------
    pandas.DataFrame
        ``vocab.FACTOR_COLUMNS``: ``value`` [-] (relative stock change factor over 20 years),
        ``uncertainty_pct`` [%] (+/- % of the value as printed; NaN for the fixed values),
        tier ``tier1_default``, priority 3; ``level`` is our management code (F_LU, F_MG) or
        input code (F_I), ``climate_zone`` one of our zones (or ``*`` for fixed values).

    Raises
    ------
    FactorError
        For an unknown edition, or when ``factor_level_map.csv`` names a table level absent
        from the edition's table.

    Notes
    -----
    Our management/input codes are mapped to the printed table levels by
    ``inventory/data/factor_level_map.csv`` (judgement calls in its ``comment`` column); each
    table row is expanded to the climate zones it applies to. Codes without a table level get
    a fixed value of 1 with the map's citation: e.g. tillage factors of paddy rice, perennial
    and set-aside cropland (defined for long-term cultivated land only, Table 5.5), grassland
    F_I other than for improved grassland (Table 6.2), and forest land, settlements,
    wetlands, other land and native land (reference condition at Tier 1).

    References
    ----------
    .. [1] IPCC (2019). 2019 Refinement to the 2006 IPCC Guidelines for National Greenhouse
       Gas Inventories, Vol. 4, Ch. 5, Table 5.5 (updated) and Ch. 6, Table 6.2 (updated).
    .. [2] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 5, Table 5.5 and Ch. 6, Table 6.2.
    """
    edition = _check_edition(edition)
    mapping = _data_csv("factor_level_map.csv")
    mapping = mapping[mapping["edition"].isin([vocab.WILDCARD, edition])]
    rows = _table_rows(edition)
    from_table = mapping[mapping["table_level"].notna()].merge(
        rows,
        left_on=["table_land_use", "factor", "table_level"],
        right_on=["t_land_use", "t_factor_type", "t_level"],
    )
    source = (
        "IPCC " + from_table["t_source_edition"] + " " + from_table["t_source_table"]
        + ", " + from_table["t_level"] + "; " + from_table["t_source"]
    )  # fmt: skip
    tabled = pd.DataFrame(
        {
            "country": vocab.WILDCARD,
            "factor": from_table["factor"],
            "climate_zone": from_table["t_climate_zone"],
            "soil_class": vocab.WILDCARD,
            "land_use": from_table["land_use"],
            "level": from_table["code"],
            "value": from_table["t_value"],
            "uncertainty_pct": from_table["t_error_pct"],
            "tier": "tier1_default",
            "source": source,
            "source_row": from_table["t_row_key"],
        }
    )
    fixed = mapping[mapping["table_level"].isna()]
    fixed = fixed.assign(factor=fixed["factor"].str.split("|")).explode("factor")
    fixed = pd.concat(
        [fixed[fixed["factor"] != vocab.WILDCARD]]
        + [fixed[fixed["factor"] == vocab.WILDCARD].assign(factor=f) for f in vocab.FACTORS[1:]]
    )
    fixed_rows = pd.DataFrame(
        {
            "country": vocab.WILDCARD,
            "factor": fixed["factor"],
            "climate_zone": vocab.WILDCARD,
            "soil_class": vocab.WILDCARD,
            "land_use": fixed["land_use"],
            "level": fixed["code"],
            "value": fixed["fixed_value"],
            "uncertainty_pct": float("nan"),
            "tier": "tier1_default",
            "source": fixed["source"] + " (" + fixed["comment"].fillna("") + ")",
            "source_row": "fixed value: "
            + fixed["land_use"]
            + " "
            + fixed["factor"]
            + " "
            + fixed["code"],
        }
    )
    out = pd.concat([tabled, fixed_rows], ignore_index=True)
    out["priority"] = vocab.FACTOR_PRIORITY["tier1_default"]
    _check_unmapped(mapping, from_table, edition)
    return out[[*vocab.FACTOR_COLUMNS, "source_row"]]


def _check_unmapped(mapping: pd.DataFrame, matched: pd.DataFrame, edition: str) -> None:
    wanted = mapping[mapping["table_level"].notna()]
    keys = ["land_use", "factor", "code", "table_level"]
    found = matched[keys].drop_duplicates()
    missing = wanted.merge(found, on=keys, how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"]
    if len(missing):
        raise FactorError(
            f"factor_level_map.csv names table levels not in the {edition} table: "
            + "; ".join(missing["table_level"].astype(str) + " (" + missing["factor"] + ")")
        )


def default_factors(edition: str = DEFAULT_EDITION) -> pd.DataFrame:
    """All Tier 1 defaults of one edition in canonical form (SOC_REF and F factors).

    Parameters
    ----------
    edition : {"2019", "2006"}, default "2019"
        IPCC edition (2019 Refinement or 2006 Guidelines); editions are never mixed.

    Returns
    -------
    pandas.DataFrame
        :func:`soc_ref_defaults` [t C ha-1] followed by :func:`stock_change_defaults` [-].
    """
    return pd.concat([soc_ref_defaults(edition), stock_change_defaults(edition)], ignore_index=True)


def submitted_factors(factors: pd.DataFrame | None, country: str = vocab.WILDCARD) -> pd.DataFrame:
    """Country-specific (Tier 2) factors of a submission (dataset ``factors``), canonical form.

    Parameters
    ----------
    factors : pandas.DataFrame or None
        Submitted rows: ``factor`` (SOC_REF | F_LU | F_MG | F_I, any case), optional
        ``country``, ``climate_zone``, ``soil_class``, ``land_use``, ``level``, ``value``
        [t C ha-1 for SOC_REF, - otherwise], ``uncertainty_pct`` [%] and ``source``. Empty key
        cells mean "applies to all" (wildcard). ``level`` is the management code for F_LU/F_MG
        and the input code for F_I.
    country : str, default "*"
        Country written when ``factors`` has no ``country`` column.

    Returns
    -------
    pandas.DataFrame
        ``vocab.FACTOR_COLUMNS`` with tier ``tier2_submitted``, priority 1 and ``source``
        prefixed ``submitted:``; empty when nothing was submitted.
    """
    if factors is None or factors.empty:
        return pd.DataFrame(columns=vocab.FACTOR_COLUMNS)
    out = factors.copy()
    out["country"] = out["country"] if "country" in out.columns else country
    for key in ("climate_zone", "soil_class", "land_use", "level"):
        column = out[key] if key in out.columns else pd.Series(None, index=out.index)
        out[key] = column.where(column.notna() & (column.astype(str) != ""), vocab.WILDCARD)
    out["factor"] = out["factor"].astype(str).str.upper()
    out["tier"] = "tier2_submitted"
    out["source"] = "submitted: " + out["source"].fillna("no source given").astype(str)
    out["priority"] = vocab.FACTOR_PRIORITY["tier2_submitted"]
    out["source_row"] = (
        "submitted " + out["country"].astype(str) + ": " + out["factor"] + " "
        + out[["climate_zone", "soil_class", "land_use", "level"]].astype(str).agg("/".join, axis=1)
        + " row " + (out.index.to_series() + 1).astype(str)
    )  # fmt: skip
    return out[[*vocab.FACTOR_COLUMNS, "source_row"]]


def factor_table(
    edition: str = DEFAULT_EDITION,
    *,
    submitted: pd.DataFrame | None = None,
    derived: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every candidate factor of a run, ranked by ``priority`` (resolved in SQL).

    Parameters
    ----------
    edition : {"2019", "2006"}, default "2019"
        IPCC edition of the Tier 1 defaults.
    submitted : pandas.DataFrame, optional
        Submitted country-specific factors (see :func:`submitted_factors`).
    derived : pandas.DataFrame, optional
        Derived Tier 2 factors in canonical form (e.g.
        :func:`inventory.engine.mineral_soils.tier2.derive_factors`).

    Returns
    -------
    pandas.DataFrame
        ``vocab.FACTOR_COLUMNS``: ``value`` [t C ha-1 for SOC_REF, - otherwise] and
        ``uncertainty_pct`` [%] as float64. ``submitted`` and ``derived`` carry a ``country``
        column, so one table serves a multi-country run without one country's factors leaking
        into another's. Lower ``priority`` wins when factors are resolved
        (``stratum_factors.sql``): submitted 1, derived 2, IPCC default 3.
    """
    parts = [default_factors(edition), submitted_factors(submitted)]
    if derived is not None and not derived.empty:
        parts.append(derived)
    table = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    table["uncertainty_pct"] = table["uncertainty_pct"].astype("float64")
    table["value"] = table["value"].astype("float64")
    return with_draw_columns(table)


def with_draw_columns(table: pd.DataFrame) -> pd.DataFrame:
    """Canonical factor rows with their Monte Carlo description (``vocab.DRAW_COLUMNS``).

    Parameters
    ----------
    table : pandas.DataFrame
        ``vocab.FACTOR_COLUMNS`` and any of the ``vocab.DRAW_COLUMNS`` already known (e.g.
        ``source_row`` of the IPCC defaults, the profile means of Tier 2 ratios).

    Returns
    -------
    pandas.DataFrame
        ``vocab.FACTOR_COLUMNS + vocab.DRAW_COLUMNS``. Missing descriptions are filled for a
        single normal source row: ``source_row`` = the row's tier and keys, ``row_mean`` =
        ``value``, ``row_sd`` = ``value x U / 100 / 1.96`` [unit of the value]
        (:func:`inventory.engine.uncertainty.montecarlo.normal_sd`; 0 without U), ``row_df`` NaN, no
        reference row.

    Raises
    ------
    FactorError
        When a row's value is not its row mean over its reference mean.
    """
    out = table.copy()
    for column in vocab.DRAW_COLUMNS:
        if column not in out.columns:
            out[column] = None if column in ("source_row", "ref_row") else float("nan")
    keys = out[["tier", "country", "factor", "climate_zone", "soil_class", "land_use", "level"]]
    fallback = keys.astype(str).agg("|".join, axis=1) + "|" + out["source"].astype(str)
    out["source_row"] = out["source_row"].fillna(fallback)
    single = out["row_mean"].isna()
    out.loc[single, "row_mean"] = out.loc[single, "value"]
    sd = montecarlo.normal_sd(out["value"], out["uncertainty_pct"])
    out.loc[single, "row_sd"] = sd[single.to_numpy()]
    for column in ("row_mean", "row_sd", "row_df", "ref_mean", "ref_sd", "ref_df"):
        out[column] = out[column].astype("float64")
    ratio = out["row_mean"] / out["ref_mean"].fillna(1.0)
    if not ((ratio - out["value"]).abs() <= 1e-9 * out["value"].abs()).all():
        raise FactorError("factor rows whose value is not row_mean / ref_mean")
    return out[[*vocab.FACTOR_COLUMNS, *vocab.DRAW_COLUMNS]]
