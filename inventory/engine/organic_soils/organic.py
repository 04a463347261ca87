"""Drained and rewetted organic soils: cited emission factors and the emission model.

Method: IPCC 2014, *2013 Supplement to the 2006 IPCC Guidelines: Wetlands* (the "Wetlands
Supplement", WS), Ch.2 (drained inland organic soils) and Ch.3 (rewetted organic soils):

- on-site CO2-C = A x EF (WS Ch.2 Table 2.1; rewetted Ch.3 Table 3.1), t CO2-C/ha/yr;
- off-site CO2-C from DOC = A x EF_DOC (WS Ch.2 Eq. 2.2 term, Table 2.2; rewetted Table 3.2);
- CH4 = A x [(1 - Frac_ditch) x EF_CH4_land + Frac_ditch x EF_CH4_ditch] (WS Ch.2 Eq. 2.6,
  Tables 2.3 and 2.4); rewetted: A x EF_CH4 (WS Ch.3 Eq. 3.8, Table 3.3, in kg CH4-C), no ditch
  term because former ditches are part of the rewetted site at Tier 1;
- N2O-N = A x EF (WS Ch.2 Table 2.5 = 2019 Refinement Vol.4 Ch.11 Table 11.1 EF2, feeding F_OS of
  2006 Vol.4 Ch.11 Eq. 11.1); rewetted: negligible at Tier 1 (WS Ch.3 text), EF = 0.

The printed tables are kept unchanged in ``inventory/data/ipcc/organic_soil_emission_factors.csv``
(with their citation columns). ``inventory/data/organic_ef_map.csv`` maps our stratum keys to
table rows; ``*`` in a key column means "any code" (the table does not split by that key), rows
without ``ref_table`` declare a stratum that has **no** Tier 1 factor, with the reason in
``comment``. The loader expands the map, converts every factor to the mass of the emitted gas
(t CO2, t CH4, t N2O per ha per yr; molar ratios from :mod:`inventory.core.units`) and checks
that every stratum of the vocabulary is either fully covered or declared as a gap.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal, get_args

import duckdb
import numpy as np
import pandas as pd

from inventory.core import units, vocab
from inventory.core.errors import UserError
from inventory.engine import sql_models

AREA_UNCERTAINTY = vocab.AREA_UNCERTAINTY

STRATUM_KEYS = ("climate_zone", "land_use", "drainage", "nutrient_status", "drainage_depth")
WILDCARD = vocab.WILDCARD
COMPONENT_GAS = {"on_site": "CO2", "doc": "CO2", "land": "CH4", "ditch": "CH4", "direct": "N2O"}
# WS Ch.2 Eq. 2.2/2.6 and Table 2.5 (drained); WS Ch.3 Tier 1: no ditch term, N2O = 0.
REQUIRED_COMPONENTS = {
    "drained": ("on_site", "doc", "land", "ditch", "direct"),
    "rewetted": ("on_site", "doc", "land", "direct"),
}
LAND_USES = tuple(lu for lu in vocab.LAND_USES if lu != "native")
EF_UNIT = {"CO2": "t CO2/ha/yr", "CH4": "t CH4/ha/yr", "N2O": "t N2O/ha/yr"}
DITCH_EF_UNIT = "t CH4/ha ditch/yr"
# Printed unit strings pint cannot read as such ("per ha of ditch surface" is a per-area rate).
_PINT_UNIT = {"kg CH4/ha of ditch surface/yr": "kg CH4/ha/yr"}
FRAC_DITCH_COMPONENT = "Frac_ditch"

GwpSet = Literal["AR4", "AR5", "AR6"]  # the GWP100 sets of gwp.csv
GWP_SETS: tuple[str, ...] = get_args(GwpSet)
DEFAULT_GWP_SET: GwpSet = "AR5"  # UNFCCC ETF (decision 18/CMA.1); see inventory/data/ipcc/gwp.csv
# AR6 WG1 Table 7.15: biogenic CH4 from peat/soil uses the non-fossil GWP100 (27.0).
_GWP_ROW_GAS = {("AR6", "CH4"): "CH4 (non-fossil, e.g. peat/soil)"}
GASES = ("CO2", "CH4", "N2O")

EF_COLUMNS = [
    *STRATUM_KEYS, "gas", "component", "ef", "ef_unit", "ci_low", "ci_high", "frac_ditch",
    "source_table", "source", "confidence", "ef_native", "ef_native_unit", "map_comment",
]  # fmt: skip
_REF_KEYS = ["ref_table", "ref_component", "ref_land_use", "ref_zone", "ref_qualifier"]


class OrganicFactorError(UserError, ValueError):
    """The organic-soil factor map is inconsistent, or a stratum has no emission factor."""


def _data_csv(name: str) -> pd.DataFrame:
    with resources.files("inventory.data").joinpath(name).open("rb") as handle:
        return pd.read_csv(handle, keep_default_na=False, na_values=[""])


def _zones_by_supplement_zone() -> dict[str, list[str]]:
    """WS zone (Boreal, Temperate, Tropical/Subtropical, '(not covered)') -> our 12 zones.

    From ``climate_zones.csv`` column ``wetlands_supplement_zone`` (2006 Vol.4 Ch.3 Annex 3A.5).
    """
    table = _data_csv("ipcc/climate_zones.csv")
    to_code = {ref: code for code, ref in vocab.CLIMATE_TO_REFERENCE.items()}
    zones: dict[str, list[str]] = {}
    for ref, ws_zone in zip(table["zone_code"], table["wetlands_supplement_zone"], strict=True):
        zones.setdefault(ws_zone, []).append(to_code[ref])
    zones[WILDCARD] = list(vocab.CLIMATE_ZONES)
    return zones


def _expand(rows: pd.DataFrame) -> pd.DataFrame:
    """Replace wildcards by every code of the vocabulary (one row per concrete stratum)."""
    zones = _zones_by_supplement_zone()
    domains = {
        "land_use": LAND_USES,
        "drainage": vocab.DRAINAGE,
        "nutrient_status": vocab.NUTRIENT_STATUS,
        "drainage_depth": vocab.DRAINAGE_DEPTH,
    }
    out = rows.assign(climate_zone=rows["ws_zone"].map(zones))
    if out["climate_zone"].isna().any():
        bad = sorted(set(rows.loc[out["climate_zone"].isna(), "ws_zone"]))
        raise OrganicFactorError(f"organic_ef_map.csv: unknown ws_zone {bad}")
    for column, domain in domains.items():
        out[column] = [list(domain) if v == WILDCARD else [v] for v in out[column]]
    for column in ("climate_zone", *domains):
        out = out.explode(column)
    out["component"] = [
        list(REQUIRED_COMPONENTS[d]) if c == WILDCARD else [c]
        for c, d in zip(out["component"], out["drainage"], strict=True)
    ]
    out = out.explode("component")
    needed = [c in REQUIRED_COMPONENTS[d] for c, d in zip(out.component, out.drainage, strict=True)]
    return out[needed].reset_index(drop=True)


def _reference_rows() -> pd.DataFrame:
    """The printed WS tables (unchanged copy), keyed like the map's ``ref_*`` columns."""
    ref = _data_csv("ipcc/organic_soil_emission_factors.csv")
    return ref.rename(columns={
        "source_table": "ref_table", "component": "ref_component", "land_use": "ref_land_use",
        "climate_zone": "ref_zone", "qualifier": "ref_qualifier",
    })  # fmt: skip


def _resolve(mapped: pd.DataFrame, ref: pd.DataFrame) -> pd.DataFrame:
    """Attach the one printed row each map row names; fail on no match or a blank value."""
    keyed = ref.fillna({"ref_qualifier": ""})
    out = mapped.fillna({"ref_qualifier": ""}).merge(
        keyed, on=_REF_KEYS, how="left", validate="many_to_one", indicator=True
    )
    bad = out[(out["_merge"] != "both") | out["value"].isna()]
    if len(bad):
        raise OrganicFactorError(
            "organic_ef_map.csv names table rows that are absent or blank: "
            + bad[_REF_KEYS].drop_duplicates().to_string(index=False)
        )
    return out.drop(columns="_merge")


def _frac_ditch(rows: pd.DataFrame, ref: pd.DataFrame) -> pd.Series:
    """Frac_ditch of each ditch row (WS Ch.2 Table 2.4), by ``frac_ditch_land_use``."""
    fracs = ref[ref["ref_component"] == FRAC_DITCH_COMPONENT]
    lookup = dict(zip(zip(fracs.ref_land_use, fracs.ref_zone, strict=True), fracs.value,
                      strict=True))  # fmt: skip
    keys = zip(rows["frac_ditch_land_use"], rows["ref_zone"], strict=True)
    values = pd.Series([lookup.get(k) for k in keys], index=rows.index, dtype="float64")
    missing = rows.index[(rows["component"] == "ditch") & values.isna()]
    if len(missing):
        raise OrganicFactorError(f"no Frac_ditch for map rows {list(missing)}")
    return values


def _to_gas_mass(rows: pd.DataFrame) -> pd.DataFrame:
    """Convert value and CI to t gas/ha/yr (x 44/12, x 16/12, x 44/28 via inventory.core.units)."""
    gas = rows["component"].map(COMPONENT_GAS)
    factor = [
        units.conversion_factor(_PINT_UNIT.get(u, u), EF_UNIT[g])
        for u, g in zip(rows["unit"], gas, strict=True)
    ]
    unit = [
        DITCH_EF_UNIT if c == "ditch" else EF_UNIT[g]
        for c, g in zip(rows.component, gas, strict=True)
    ]
    return rows.assign(
        gas=gas, ef=rows["value"] * factor, ci_low=rows["ci_low"] * factor,
        ci_high=rows["ci_high"] * factor, ef_unit=unit,
    )  # fmt: skip


def _check_coverage(ef: pd.DataFrame, gaps: pd.DataFrame) -> None:
    """Every (stratum, required component) is mapped once or declared a gap, never both."""
    keys = [*STRATUM_KEYS, "component"]
    problems = []
    if ef.duplicated(keys).any():
        problems.append("mapped twice:\n" + ef.loc[ef.duplicated(keys), keys].to_string())
    clash = ef[keys].merge(gaps[keys], on=keys)
    if len(clash):
        problems.append("both mapped and declared without factor:\n" + clash.to_string())
    full = _expand(pd.DataFrame([{
        "ws_zone": WILDCARD, **dict.fromkeys(STRATUM_KEYS[1:], WILDCARD), "component": WILDCARD,
    }]))  # fmt: skip
    known = pd.concat([ef[keys], gaps[keys]]).drop_duplicates()
    uncovered = full[keys].merge(known, on=keys, how="left", indicator=True)
    uncovered = uncovered[uncovered["_merge"] == "left_only"]
    if len(uncovered):
        problems.append("neither mapped nor declared:\n" + uncovered[keys].to_string())
    if problems:
        raise OrganicFactorError("organic_ef_map.csv coverage: " + "\n".join(problems))


@lru_cache(maxsize=1)
def _load() -> tuple[pd.DataFrame, pd.DataFrame]:
    table = _data_csv("organic_ef_map.csv").fillna({"comment": ""})
    expanded = _expand(table)
    is_gap = expanded["ref_table"].isna()
    gaps = expanded.loc[is_gap, [*STRATUM_KEYS, "component", "comment"]]
    gaps = gaps.drop_duplicates([*STRATUM_KEYS, "component"]).reset_index(drop=True)
    ref = _reference_rows()
    rows = _resolve(expanded[~is_gap], ref)
    rows["frac_ditch"] = _frac_ditch(rows, ref)
    rows = _to_gas_mass(rows)
    ef = rows.assign(
        source_table=rows["ref_table"] + " (" + rows["source_edition"] + ")",
        ef_native=rows["value"], ef_native_unit=rows["unit"], map_comment=rows["comment"],
    )  # fmt: skip
    ef = _attach_land_frac(ef)[EF_COLUMNS]
    _check_coverage(ef, gaps)
    return ef.sort_values([*STRATUM_KEYS, "component"]).reset_index(drop=True), gaps


def _attach_land_frac(ef: pd.DataFrame) -> pd.DataFrame:
    """CH4 land rows carry the stratum's Frac_ditch (WS Ch.2 Eq. 2.6 weight 1 - Frac_ditch).

    Rewetted land rows get 0: no ditch term at Tier 1 (WS Ch.3). A drained land row without a
    ditch row keeps NaN, so its emission is NULL and the invariant checks report it.
    """
    ditch = ef.loc[ef.component == "ditch", [*STRATUM_KEYS, "frac_ditch"]]
    land = ef.component == "land"
    merged = ef.loc[land, list(STRATUM_KEYS)].merge(ditch, on=list(STRATUM_KEYS), how="left")
    frac = merged["frac_ditch"].where(merged["drainage"] == "drained", 0.0)
    out = ef.copy()
    out.loc[land, "frac_ditch"] = frac.to_numpy()
    return out


def organic_ef_table() -> pd.DataFrame:
    """Tier 1 organic-soil emission factors [t gas ha-1 yr-1], one row per stratum and component.

    Returns
    -------
    pandas.DataFrame
        Validated at load (every stratum of the vocabulary mapped once or declared a gap).
        Columns: the five stratum keys (``climate_zone``, ``land_use``, ``drainage``,
        ``nutrient_status``, ``drainage_depth``), ``gas`` (CO2 | CH4 | N2O), ``component``
        (on_site | doc | land | ditch | direct), ``ef`` [t gas ha-1 yr-1; ditch: per ha of
        ditch surface], ``ef_unit``, ``ci_low``, ``ci_high`` [same unit; 95 % interval as
        printed], ``frac_ditch`` [0-1] (fraction of the stratum area that is ditch, CH4 rows;
        0 for rewetted land rows), ``source_table`` (WS chapter and table, with edition),
        ``source``, ``confidence``, ``ef_native`` and ``ef_native_unit`` (as printed:
        ``t CO2-C/ha/yr``, ``kg CH4/ha/yr``, ``kg CH4/ha of ditch surface/yr``,
        ``kg CH4-C/ha/yr``, ``kg N2O-N/ha/yr``) and ``map_comment``.

    Notes
    -----
    The printed factors are converted to the mass of the emitted gas with the molar-mass
    ratios CO2-C x 44/12, CH4-C x 16/12 and N2O-N x 44/28 (:mod:`inventory.core.units`), so
    that no molar ratio is needed downstream. Drained organic soils: Tables 2.1 (on-site
    CO2-C), 2.2 (DOC), 2.3 (CH4 land), 2.4 (CH4 ditch and Frac_ditch) and 2.5 (N2O-N) of [1]_
    Ch. 2; rewetted: Tables 3.1 (CO2-C), 3.2 (DOC) and 3.3 (CH4, in CH4-C) of [1]_ Ch. 3, with
    no ditch term and N2O negligible (EF = 0) at Tier 1.

    References
    ----------
    .. [1] IPCC (2014). 2013 Supplement to the 2006 IPCC Guidelines for National Greenhouse Gas
       Inventories: Wetlands, Ch. 2 Tables 2.1-2.5, Ch. 3 Tables 3.1-3.3.
    """
    return _load()[0].copy()


def gwp_table(gwp_set: str = DEFAULT_GWP_SET) -> pd.DataFrame:
    """GWP100 [t CO2e t-1 gas] of CO2, CH4 and N2O for one IPCC assessment report.

    Parameters
    ----------
    gwp_set : {"AR4", "AR5", "AR6"}, default "AR5"
        Assessment report whose 100-year GWPs are used; AR5 without climate-carbon feedback is
        the set the UNFCCC enhanced transparency framework requires (CH4 28, N2O 265).

    Returns
    -------
    pandas.DataFrame
        Three rows (CO2, CH4, N2O) read from ``inventory/data/ipcc/gwp.csv``: ``gas``,
        ``value`` [t CO2e per t gas], ``gwp_set`` and ``source``.

    Raises
    ------
    OrganicFactorError
        For an unknown ``gwp_set``, or when ``gwp.csv`` lacks a single row for a gas.

    Notes
    -----
    Values from ``inventory/data/ipcc/gwp.csv``: AR4 [1]_, AR5 without climate-carbon
    feedback [2]_ (the set the UNFCCC ETF requires [4]_), AR6 [3]_. For AR6 the biogenic
    (non-fossil) CH4 value, 27.0, is used for soil/peat methane, not the generic 27.9 or the
    fossil 29.8.

    References
    ----------
    .. [1] IPCC (2007). AR4 WG1 Ch. 2, Table 2.14 (table number recalled, not verified; see
       ``inventory/data/ipcc/README.md``).
    .. [2] IPCC (2013). AR5 WG1 Ch. 8, Table 8.7 (without climate-carbon feedback).
    .. [3] IPCC (2021). AR6 WG1 Ch. 7, Table 7.15 (non-fossil CH4 27.0).
    .. [4] UNFCCC decision 18/CMA.1, annex (ETF: AR5 GWP100; decision paragraph recalled).
    """
    if gwp_set not in GWP_SETS:
        raise OrganicFactorError(f"unknown GWP set {gwp_set!r}; choose one of {GWP_SETS}")
    table = _data_csv("ipcc/gwp.csv")
    table = table[(table["metric"] == "GWP100") & (table["report"] == gwp_set)]
    rows = []
    for gas in GASES:
        match = table[table["gas"] == _GWP_ROW_GAS.get((gwp_set, gas), gas)]
        if len(match) != 1:
            raise OrganicFactorError(f"gwp.csv: expected one {gas} row for {gwp_set}")
        row = match.iloc[0]
        rows.append({"gas": gas, "value": float(row["value"]), "gwp_set": gwp_set,
                     "source": str(row["source"])})  # fmt: skip
    return pd.DataFrame(rows)


def missing_strata(organic_soils: pd.DataFrame) -> pd.DataFrame:
    """Submitted organic-soil strata without a complete Tier 1 factor set, with a reason.

    Parameters
    ----------
    organic_soils : pandas.DataFrame
        Organic-soil areas with the five stratum keys (``climate_zone``, ``land_use``,
        ``drainage``, ``nutrient_status``, ``drainage_depth``).

    Returns
    -------
    pandas.DataFrame
        One row per incomplete stratum: the five keys, ``components`` (the components without
        a factor, or ``all``) and ``reason`` (the ``comment`` of ``organic_ef_map.csv``, or
        "unknown code in a stratum key"). A stratum is complete when it has every component
        its drainage requires (drained: on_site, doc, land, ditch, direct; rewetted: on_site,
        doc, land, direct; Wetlands Supplement Ch. 2 Eqs. 2.2/2.6 and Table 2.5, Ch. 3 Tier 1).
    """
    ef, gaps = _load()
    keys = list(STRATUM_KEYS)
    strata = organic_soils[keys].drop_duplicates()
    count = ef.groupby(keys, as_index=False).size()
    complete = count["size"] == count["drainage"].map(lambda d: len(REQUIRED_COMPONENTS[d]))
    covered = count.loc[complete, keys]
    missing = strata.merge(covered, on=keys, how="left", indicator=True)
    missing = missing.loc[missing["_merge"] == "left_only", keys]
    reasons = gaps.groupby(keys, as_index=False).agg(
        components=("component", ", ".join), reason=("comment", lambda c: "; ".join(set(c)))
    )
    out = missing.merge(reasons, on=keys, how="left")
    return out.fillna({"components": "all", "reason": "unknown code in a stratum key"})


def check_strata(organic_soils: pd.DataFrame) -> None:
    """Raise :class:`OrganicFactorError` naming every stratum that has no emission factor.

    Parameters
    ----------
    organic_soils : pandas.DataFrame
        Organic-soil areas with the five stratum keys (see :func:`missing_strata`).

    Raises
    ------
    OrganicFactorError
        Listing each incomplete stratum, its missing components and the reason.
    """
    missing = missing_strata(organic_soils)
    if len(missing):
        lines = [
            ", ".join(f"{k}={row[k]}" for k in STRATUM_KEYS)
            + f" (components: {row['components']}): {row['reason']}"
            for _, row in missing.iterrows()
        ]
        raise OrganicFactorError(
            "no organic-soil emission factor for stratum:\n  " + "\n  ".join(lines)
        )


def organic_soil_emissions(
    con: duckdb.DuckDBPyConnection,
    organic_soils_df: pd.DataFrame,
    *,
    gwp_set: str = DEFAULT_GWP_SET,
) -> pd.DataFrame:
    r"""Emissions [t gas yr-1] and CO2e [t CO2e yr-1] of drained and rewetted organic soils.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection on which the views ``organic_soils``, ``organic_ef`` and ``gwp`` are
        (re)placed.
    organic_soils_df : pandas.DataFrame
        Columns ``country``, ``year`` [yr], the five stratum keys (``climate_zone``,
        ``land_use``, ``drainage``, ``nutrient_status``, ``drainage_depth``) and ``area_ha``
        [ha] of organic soil.
    gwp_set : {"AR4", "AR5", "AR6"}, default "AR5"
        GWP100 set for the CO2-equivalents (AR5 = UNFCCC ETF; :func:`gwp_table`).

    Returns
    -------
    pandas.DataFrame
        The ``organic_soil_emissions`` table, one row per (country, year, stratum, component):
        ``area_ha`` [ha of organic soil in the stratum], ``gas``, ``component``, ``emission``
        [t gas yr-1; negative = removal], ``unit`` (``t CO2/yr`` | ``t CH4/yr`` |
        ``t N2O/yr``), ``co2e_t`` [t CO2e yr-1], ``gwp_set``, ``ef`` [t gas ha-1 yr-1; ditch per
        ha of ditch], ``frac_ditch`` [0-1] and ``ef_source`` (WS table).

    Raises
    ------
    OrganicFactorError
        Naming each stratum without a factor, or for an unknown ``gwp_set``.

    Notes
    -----
    Tier 1, A x EF per stratum and component ([1]_; EFs already converted to the mass of the
    emitted gas by :func:`organic_ef_table`):

    .. math::

        CO_{2,on-site} = A \times EF_{CO_2}, \qquad CO_{2,DOC} = A \times EF_{DOC}

        CH_4 = A \times \left[(1 - Frac_{ditch}) \, EF_{CH_4,land}
        + Frac_{ditch} \, EF_{CH_4,ditch}\right]

        N_2O = A \times EF_{N_2O}, \qquad CO_2e = \text{emission} \times GWP_{100}(gas)

    * on-site CO2: Ch. 2 Table 2.1; rewetted Ch. 3 Table 3.1;
    * DOC (off-site CO2): the Ch. 2 Eq. 2.2 term (equation number as cited by SELA, see
      ``inventory/data/ipcc/README.md``), Table 2.2; rewetted Ch. 3 Table 3.2;
    * CH4: Ch. 2 Eq. 2.6, Tables 2.3 and 2.4 (ditch EF per ha of ditch surface); rewetted
      Ch. 3 Eq. 3.8, Table 3.3 (printed in CH4-C), with Frac_ditch = 0 because former
      ditches are part of the rewetted site at Tier 1;
    * N2O: Ch. 2 Table 2.5 (= [2]_ EF2, feeding F_OS of [3]_); rewetted: negligible at
      Tier 1, EF = 0.

    The equation numbers of the other Ch. 2 CO2/DOC equations (2.3-2.5) are recalled, not
    verified; fire emissions are not covered.

    References
    ----------
    .. [1] IPCC (2014). 2013 Supplement to the 2006 IPCC Guidelines for National Greenhouse Gas
       Inventories: Wetlands, Ch. 2 (drained inland organic soils) Eqs. 2.2 and 2.6,
       Tables 2.1-2.5; Ch. 3 (rewetted organic soils) Eq. 3.8, Tables 3.1-3.3.
    .. [2] IPCC (2019). 2019 Refinement to the 2006 IPCC Guidelines for National Greenhouse
       Gas Inventories, Vol. 4, Ch. 11, Table 11.1.
    .. [3] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 11, Eq. 11.1.
    """
    gwp = gwp_table(gwp_set)
    check_strata(organic_soils_df)
    if AREA_UNCERTAINTY not in organic_soils_df.columns:  # optional column: none submitted
        organic_soils_df = organic_soils_df.assign(**{AREA_UNCERTAINTY: np.nan})
    sql_models.register(con, {
        "organic_soils": organic_soils_df, "organic_ef": organic_ef_table(),
        "gwp": gwp[["gas", "value"]],
    })  # fmt: skip
    return sql_models.run_model(con, "organic_soil_emissions", {"gwp_set": gwp_set})
