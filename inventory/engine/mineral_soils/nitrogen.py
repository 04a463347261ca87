"""N2O linked to the soil-carbon engine: F_SOM (Eq. 11.8) and the Agriculture 3.D rows.

A mineral soil losing carbon after a change of land use or management mineralises the nitrogen
of that organic matter (IPCC 2006 Vol.4 Ch.11 Eq. 11.8), part of which is emitted as N2O
(Eq. 11.1, EF1). The term sits next to the stock changes that cause it: the loss comes from
``stock_changes``; the C:N ratios and EF1 are cited rows of
``inventory/data/ipcc/n2o_soil_parameters.csv``.

UNFCCC reporting puts F_SOM N2O of cropland remaining cropland and the N2O of drained organic
soils of cropland and grassland in Agriculture 3.D (:func:`agriculture_n2o`); the rest stays
in LULUCF (4(III) for F_SOM, 4(II) for organic soils of forest land and wetlands).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Literal, get_args

import duckdb
import pandas as pd

from inventory.core import units, vocab
from inventory.engine import sql_models
from inventory.engine.mineral_soils import factors
from inventory.engine.organic_soils import organic

CN_OVERRIDE_COLUMNS = ["country", "land_use_category", "cn_ratio", "source"]
# EF1 of F_SOM: 'aggregated' (Table 11.1 of the run's edition, 2019: 0.010) or 'disaggregated'
# (2019 Refinement Vol.4 Ch.11 Table 11.1, wet / dry climates).
Ef1Option = Literal["aggregated", "disaggregated"]
EF1_OPTIONS: tuple[str, ...] = get_args(Ef1Option)
DEFAULT_EF1_OPTION: Ef1Option = "aggregated"
# n2o_soil_parameters.csv rows of the 2019 disaggregated EF1 that apply to F_SOM (an "other N
# input"): wet climates (other N inputs) and dry climates (all N inputs).
EF1_WET = "other N inputs (organic N, residues, F_SOM) wet climates (disaggregated)"
EF1_DRY = "all N inputs dry climates (disaggregated)"
# Climate zones that are dry in the sense of 2019 Table 11.1 (wet: temperate and boreal zones
# with precipitation > potential evapotranspiration, tropical zones with > 1000 mm/yr; the IPCC
# climate zones *_dry are those that fail it, IPCC 2006 Vol.4 Ch.3 Fig. 3A.5.1).
DRY_CLIMATE_ZONES = frozenset(z for z in vocab.CLIMATE_ZONES if z.endswith("_dry"))


@lru_cache(maxsize=1)
def n2o_soil_parameters() -> pd.DataFrame:
    """The cited EF1 and C:N rows (``inventory/data/ipcc/n2o_soil_parameters.csv``).

    Returns
    -------
    pandas.DataFrame
        ``parameter`` (EF1, CN_RATIO), ``edition``, ``applies_to``, ``value`` [kg N2O-N per
        kg N for EF1, t C per t N for CN_RATIO], ``low``, ``high``, ``used``, citation and
        confidence columns.
    """
    path = resources.files("inventory.data").joinpath("ipcc/n2o_soil_parameters.csv")
    with path.open("rb") as handle:
        return pd.read_csv(handle, dtype={"edition": str})


def _used(parameter: str, edition: str) -> pd.DataFrame:
    table = n2o_soil_parameters()
    rows = table[(table.parameter == parameter) & (table.edition == edition)]
    return rows[rows.used == "yes"]


def soc_loss_n2o(
    con: duckdb.DuckDBPyConnection,
    stock_changes: pd.DataFrame,
    *,
    edition: str = factors.DEFAULT_EDITION,
    gwp_set: str = organic.DEFAULT_GWP_SET,
    cn_ratios: pd.DataFrame | None = None,
    tier: int = 1,
    ef1_option: str = DEFAULT_EF1_OPTION,
    areas: pd.DataFrame | None = None,
    native_land_use: str = "grassland",
) -> pd.DataFrame:
    r"""Direct N2O [t N2O yr-1] from N mineralised with mineral-soil carbon losses (F_SOM).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection on which the views ``stock_changes``, ``cn_ratios``, ``cn_ratio_overrides``
        and ``gwp`` are (re)placed.
    stock_changes : pandas.DataFrame
        ``country``, ``year`` [yr], ``land_use``, ``land_use_category`` and ``dC_tc_per_yr``
        [t C yr-1], + = gain (IPCC 2006 Vol.4 Ch.2 Eq. 2.25).
    edition : {"2019", "2006"}, default "2019"
        Edition of EF1 (Table 11.1) and of the default C:N ratios.
    gwp_set : {"AR4", "AR5", "AR6"}, default "AR5"
        GWP100 set for ``co2e_t``.
    cn_ratios : pandas.DataFrame, optional
        Country-specific C:N ratios (Tier 2): ``country``, ``land_use_category``,
        ``cn_ratio`` [t C t N-1], ``source``; they replace the default of their category.
    tier : {1, 2}, default 1
        Netting of Eq. 11.8's note: 1 = one national net mineral-soil change (a loss only
        when the national net is a loss), 2 = the net change of each land use.
    ef1_option : {"aggregated", "disaggregated"}, default "aggregated"
        EF1 of Table 11.1: aggregated (the edition's single value), or the 2019 Refinement's
        wet / dry climate values weighted by the land use's mineral area in wet and dry zones.
    areas : pandas.DataFrame, optional
        ``country``, ``year`` [yr], ``climate_zone``, ``land_use``, ``area_ha`` [ha] (e.g.
        ``soc_stocks``), for the wet / dry weights of the disaggregated EF1.
    native_land_use : {"grassland", "forest_land"}, default "grassland"
        CRT land category whose Table 4(III) row reports land coded native.

    Returns
    -------
    pandas.DataFrame
        ``soc_loss_n2o``, one row per (country, year, land_use, land_use_category):
        ``reporting_category`` (3.D or 4(III)), ``soc_loss_tc_per_yr`` [t C yr-1],
        ``cn_ratio`` [t C t N-1], ``f_som_t_n_per_yr`` [t N yr-1], ``ef1`` [-], ``n2o_t``
        [t N2O yr-1], ``co2e_t`` [t CO2e yr-1], the sources, ``crt_code`` (3.D.1.e,
        4(III).A.1 ... 4(III).F.2), ``netting_scope``, ``scope_net_loss_tc_per_yr`` and
        ``attributed_loss_tc_per_yr`` [t C yr-1], ``ef1_option``.

    Notes
    -----
    .. math:: F_{SOM} = \frac{L_k}{R_k}, \qquad L_k = \max(-\sum_{j \in S} \Delta C_j, 0)
        \frac{\max(-\Delta C_k, 0)}{\sum_{j \in S} \max(-\Delta C_j, 0)}, \qquad
        N_2O = F_{SOM} \, EF_1 \, \frac{44}{28}

    Eq. 11.8 of [1]_ (there in kg N: x 1000) with Eq. 11.1's EF1 [1]_ [2]_. The note to
    Eq. 11.8: at Tier 1 the change is one national value (S = every category), at Tier 2 it
    is disaggregated by land use (S = the categories of k's land use); the scope's net loss is
    attributed to its losing categories k in proportion to their loss (this project's
    attribution, so each CRT row has its share).

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 11, Eq. 11.1, Eq. 11.8, Table 11.1.
    .. [2] IPCC (2019). 2019 Refinement to the 2006 IPCC Guidelines, Vol. 4, Ch. 11,
       Table 11.1 (EF1 aggregated 0.010; disaggregated wet / dry).
    """
    ef1 = _used("EF1", edition).iloc[0]
    table = n2o_soil_parameters()
    ef1_2019 = table[(table.parameter == "EF1") & (table.edition == "2019")]
    wet, dry = (ef1_2019[ef1_2019.applies_to == name].iloc[0] for name in (EF1_WET, EF1_DRY))
    defaults = _used("CN_RATIO", edition)
    overrides = pd.DataFrame(columns=CN_OVERRIDE_COLUMNS) if cn_ratios is None else cn_ratios
    sql_models.register(con, {
        "stock_changes": stock_changes,
        "cn_ratios": pd.DataFrame({
            "applies_to": defaults["applies_to"], "cn_ratio": defaults["value"],
            "cn_source": "IPCC " + defaults["source_table"] + " (" + defaults["confidence"] + ")",
        }),
        "cn_ratio_overrides": overrides[CN_OVERRIDE_COLUMNS].astype(
            {"country": "str", "land_use_category": "str", "cn_ratio": "float64",
             "source": "str"}),
        "gwp": organic.gwp_table(gwp_set)[["gas", "value"]],
        "land_use_wetness": land_use_wetness(areas),
        "unfccc_categories": pd.DataFrame(
            list(vocab.UNFCCC_CATEGORY.items()), columns=["land_use", "category_code"]),
    })  # fmt: skip
    params = {
        "ef1": float(ef1["value"]), "gwp_set": gwp_set,
        "ef1_source": f"IPCC {ef1['source_table']} ({ef1['confidence']})",
        "ef1_wet": float(wet["value"]), "ef1_dry": float(dry["value"]),
        "ef1_disaggregated_source": f"IPCC {wet['source_table']}: wet {wet['value']} "
        f"({wet['confidence']}), dry {dry['value']} ({dry['confidence']}), weighted by the "
        "land use's mineral area in wet and dry climate zones",
        "ef1_option": ef1_option, "tier": int(tier), "native_land_use": native_land_use,
        "n2o_per_n2o_n": units.conversion_factor("t N2O-N", "t N2O"),
    }  # fmt: skip
    return sql_models.run_model(con, "soc_loss_n2o", params)


def land_use_wetness(areas: pd.DataFrame | None) -> pd.DataFrame:
    """Share [-] of each land use's mineral area in wet climate zones (2019 Table 11.1 sense).

    Parameters
    ----------
    areas : pandas.DataFrame or None
        ``country``, ``year`` [yr], ``climate_zone``, ``land_use``, ``area_ha`` [ha].

    Returns
    -------
    pandas.DataFrame
        ``country``, ``year``, ``land_use``, ``wet_share`` [-] (climate zones not in
        :data:`DRY_CLIMATE_ZONES` are wet); empty without areas.
    """
    columns = ["country", "year", "land_use", "wet_share"]
    if areas is None or areas.empty:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "wet_share" else "str")
                             for c in columns}).astype({"year": "int64"})  # fmt: skip
    frame = areas.assign(
        wet_ha=areas["area_ha"].where(~areas["climate_zone"].isin(DRY_CLIMATE_ZONES), 0.0)
    )
    sums = frame.groupby(["country", "year", "land_use"], as_index=False)[
        ["wet_ha", "area_ha"]
    ].sum()
    sums = sums[sums["area_ha"] > 0]
    return sums.assign(wet_share=sums["wet_ha"] / sums["area_ha"])[columns]


def agriculture_n2o(
    con: duckdb.DuckDBPyConnection,
    organic_soil_emissions: pd.DataFrame,
    soc_loss: pd.DataFrame,
) -> pd.DataFrame:
    """Soil N2O reported in Agriculture 3.D [t N2O yr-1] (not in LULUCF: no double counting).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Connection on which the views ``organic_soil_emissions`` and ``soc_loss_n2o`` are
        (re)placed.
    organic_soil_emissions : pandas.DataFrame
        :func:`inventory.engine.organic_soils.organic.organic_soil_emissions` output.
    soc_loss : pandas.DataFrame
        :func:`soc_loss_n2o` output.

    Returns
    -------
    pandas.DataFrame
        ``agriculture_n2o``, one row per (country, year, source_category, land_use):
        ``cultivation_of_organic_soils`` (organic-soil N2O of cropland and grassland, WS Ch.2
        Table 2.5 EF2) and ``soil_organic_matter_loss`` (F_SOM N2O of cropland remaining
        cropland), ``area_ha`` [ha], ``n_mineralised_t`` [t N yr-1], ``n2o_t`` [t N2O yr-1],
        ``co2e_t`` [t CO2e yr-1].

    Notes
    -----
    Direct N2O from managed soils, IPCC 2006 Vol.4 Ch.11 Eq. 11.1 (terms F_OS and F_SOM); the
    UNFCCC CRT reports both in category 3.D, so ``unfccc_tables`` marks them IE in 4.B/4.C.
    """
    sql_models.register(con, {
        "organic_soil_emissions": organic_soil_emissions, "soc_loss_n2o": soc_loss,
    })  # fmt: skip
    return sql_models.run_model(con, "agriculture_n2o")
