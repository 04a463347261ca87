"""Soil profiles to layer stocks and standard-depth interval stocks, with per-row provenance.

Pipeline of :func:`harmonise_profiles` (each step vectorised over all rows):

1. units: ``soc`` + ``soc_unit`` to g/kg, ``bulk_density`` + ``bd_unit`` to g/cm3
   (``inventory.core.units.convert_soil_column``);
2. laboratory method to dry-combustion SOC (``inventory.harmonise.methods``, factor recorded
   per row);
3. depth cleaning (``inventory.harmonise.depth.clean_horizons``, every action reported);
4. missing bulk density from a published SOC-only pedotransfer function (flagged per row);
   missing coarse fragments default to 0 % (flagged per row);
5. layer stock, then target-interval stocks by overlap splitting or the equal-area spline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from inventory.core import units
from inventory.harmonise import depth, methods

SITE_COLUMNS = [
    "profile_id",
    "year",
    "lat",
    "lon",
    "climate_zone",
    "soil_class",
    "land_use",
    "management",
    "input",
]
HORIZON_COLUMNS = [
    *SITE_COLUMNS,
    "upper_cm",
    "lower_cm",
    "soc_g_per_kg",
    "soc_method",
    "method_factor",
    "method_converted",
    "bd_g_per_cm3",
    "bd_imputed",
    "bd_method",
    "coarse_fraction",
    "coarse_defaulted",
    "stock_tc_per_ha",
    "row",
]
INTERVAL_COLUMNS = [
    *SITE_COLUMNS,
    "upper_cm",
    "lower_cm",
    "stock_tc_per_ha",
    "coverage_fraction",
    "depth_method",
    "any_bd_imputed",
    "any_method_converted",
]
DEPTH_METHODS = ("overlap", "spline")
PROFILE_KEYS = ("profile_id", "year")

COARSE_FRAGMENTS_DEFAULT_PCT = 0.0  # stated default when not measured; flagged per row
# Pedotransfer functions are calibrated on mineral soils; above 120 g/kg SOC (the FAO/WRB
# histic organic-material threshold of 12 % OC for mineral-matrix soils) no BD is imputed.
PTF_MAX_SOC_G_PER_KG = 120.0


def bulk_density_manrique_jones_1991(soc_g_per_kg: np.ndarray) -> np.ndarray:
    r"""Bulk density [g cm-3] from organic carbon alone, Manrique & Jones (1991) pedotransfer.

    Parameters
    ----------
    soc_g_per_kg : numpy.ndarray
        SOC concentration [g kg-1] (dry combustion).

    Returns
    -------
    numpy.ndarray
        Bulk density of the fine earth [g cm-3].

    Notes
    -----
    .. math:: BD = 1.660 - 0.318 \sqrt{OC}

    with OC in % (= g kg-1 / 10), fitted on about 12 000 US pedons [1]_ and evaluated by
    [2]_. Calibrated on mineral soils: :func:`harmonise_profiles` does not impute above
    ``PTF_MAX_SOC_G_PER_KG`` (120 g kg-1).

    References
    ----------
    .. [1] Manrique, L.A. and Jones, C.A. (1991). Bulk density of soils in relation to soil
       physical and chemical properties. Soil Sci. Soc. Am. J. 55, 476-481.
    .. [2] De Vos, B. et al. (2005). Soil Sci. Soc. Am. J. 69, 500-510.
    """
    return 1.660 - 0.318 * np.sqrt(soc_g_per_kg / 10.0)


def bulk_density_alexander_1980(soc_g_per_kg: np.ndarray) -> np.ndarray:
    r"""Bulk density [g cm-3] from organic carbon alone, Alexander (1980) pedotransfer.

    Parameters
    ----------
    soc_g_per_kg : numpy.ndarray
        SOC concentration [g kg-1] (dry combustion).

    Returns
    -------
    numpy.ndarray
        Bulk density of the fine earth [g cm-3].

    Notes
    -----
    .. math:: BD = 1.72 - 0.294 \sqrt{OC}

    with OC in % (= g kg-1 / 10) [1]_.

    References
    ----------
    .. [1] Alexander, E.B. (1980). Bulk densities of California soils in relation to other
       soil properties. Soil Sci. Soc. Am. J. 44, 689-692.
    """
    return 1.72 - 0.294 * np.sqrt(soc_g_per_kg / 10.0)


PEDOTRANSFER_FUNCTIONS = {
    "manrique_jones_1991": bulk_density_manrique_jones_1991,
    "alexander_1980": bulk_density_alexander_1980,
}


def layer_soc_stock(
    soc_g_per_kg: np.ndarray,
    bd_g_per_cm3: np.ndarray,
    thickness_cm: np.ndarray,
    coarse_fraction: np.ndarray,
) -> np.ndarray:
    r"""SOC stock of a soil layer [t C ha-1].

    Parameters
    ----------
    soc_g_per_kg : numpy.ndarray
        SOC concentration of the fine earth [g C kg-1].
    bd_g_per_cm3 : numpy.ndarray
        Bulk density of the fine earth [g cm-3].
    thickness_cm : numpy.ndarray
        Layer thickness [cm].
    coarse_fraction : numpy.ndarray
        Volume fraction of coarse fragments (> 2 mm) [0-1].

    Returns
    -------
    numpy.ndarray
        Layer stock [t C ha-1]; NaN where any input is NaN.

    Notes
    -----
    Stock of a sampled layer [1]_:

    .. math:: SOC_{stock} = \frac{SOC \times BD \times th \times (1 - f_{coarse})}{10}

    the 1/10 turns g C kg-1 x g cm-3 x cm (= 1e-3 g C cm-2) into t C ha-1
    (1 g cm-2 = 100 t ha-1).

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Sec. 2.3.3.1.
    """
    return soc_g_per_kg * bd_g_per_cm3 * thickness_cm * (1.0 - coarse_fraction) / 10.0


@dataclass(frozen=True)
class HarmonisedProfiles:
    """Cleaned horizons with layer stocks, interval stocks, and the cleaning report."""

    horizons: pd.DataFrame
    intervals: pd.DataFrame
    cleaning: pd.DataFrame


def harmonise_profiles(
    profiles: pd.DataFrame,
    *,
    depth_method: str = "overlap",
    targets: Sequence[tuple[float, float]] = depth.IPCC_INTERVALS,
    method_options: Mapping[str, object] | None = None,
    rows: np.ndarray | None = None,
) -> HarmonisedProfiles:
    """Horizon stocks and standard-depth interval stocks [t C ha-1] of submitted soil profiles.

    Parameters
    ----------
    profiles : pandas.DataFrame
        Submitted profiles (format v1 ``profiles`` columns): site columns (``SITE_COLUMNS``),
        ``upper_cm``, ``lower_cm`` [cm], ``soc`` with ``soc_unit`` (e.g. [g kg-1], [%]),
        ``soc_method``, ``bulk_density`` with ``bd_unit`` (e.g. [g cm-3], [Mg m-3]; may be
        missing) and ``coarse_fragments_pct`` [%] (may be missing).
    depth_method : {"overlap", "spline"}, default "overlap"
        Overlap depth weighting (:func:`inventory.harmonise.depth.overlap_split`) or the
        mass-preserving spline (:func:`inventory.harmonise.depth.spline_stocks`).
    targets : sequence of (float, float), default depth.IPCC_INTERVALS
        (top, bottom) of the target intervals [cm]; default 0-30 and 30-100 cm.
    method_options : mapping, optional
        :class:`inventory.harmonise.methods.MethodOptions` fields plus ``bd_pedotransfer`` (a
        key of :data:`PEDOTRANSFER_FUNCTIONS`, default Manrique & Jones).
    rows : numpy.ndarray of int, optional
        The ``row`` of each submitted horizon in the outputs and the cleaning report (default
        its position in ``profiles``, 0-based); a part of a larger file gives its positions in
        the file (:mod:`inventory.harmonise.profiles_file`).

    Returns
    -------
    HarmonisedProfiles
        ``horizons`` (``HORIZON_COLUMNS``: ``soc_g_per_kg`` [g kg-1, dry-combustion
        equivalent], ``method_factor`` [-], ``bd_g_per_cm3`` [g cm-3], ``bd_imputed``,
        ``bd_method``, ``coarse_fraction`` [0-1], ``coarse_defaulted``, ``stock_tc_per_ha``
        [t C ha-1], ...), ``intervals`` (``INTERVAL_COLUMNS``: one row per profile x target,
        ``stock_tc_per_ha`` [t C ha-1], ``coverage_fraction`` [0-1], ``any_bd_imputed``,
        ``any_method_converted``) and ``cleaning`` (every row dropped, repaired or imputed,
        with a reason).

    Raises
    ------
    inventory.harmonise.methods.MethodError
        For refused methods (e.g. total carbon not declared inorganic-free).
    ValueError
        For an unknown ``depth_method`` or ``bd_pedotransfer``.

    Notes
    -----
    Steps: units to g kg-1 and g cm-3; laboratory method to dry-combustion SOC
    (:func:`inventory.harmonise.methods.dry_combustion_soc`); depth cleaning
    (:func:`inventory.harmonise.depth.clean_horizons`); missing bulk density from the
    pedotransfer function, not imputed above ``PTF_MAX_SOC_G_PER_KG`` (120 g kg-1, the FAO/WRB
    histic organic-material threshold of 12 % OC: such layers get a NaN stock); missing coarse
    fragments default to 0 % (flagged per row); layer stock by :func:`layer_soc_stock`;
    interval stocks by the chosen depth method (horizons with a NaN stock count as not
    covered).
    """
    if depth_method not in DEPTH_METHODS:
        raise ValueError(f"depth_method must be one of {DEPTH_METHODS}, not {depth_method!r}")
    options = dict(method_options or {})
    ptf_name = str(options.pop("bd_pedotransfer", "manrique_jones_1991"))
    if ptf_name not in PEDOTRANSFER_FUNCTIONS:
        raise ValueError(f"bd_pedotransfer must be one of {sorted(PEDOTRANSFER_FUNCTIONS)}")
    opts = methods.MethodOptions.from_mapping(options)
    frame, cleaning = _concentrations(profiles, opts, rows)
    frame, depth_cleaning = depth.clean_horizons(frame, profile_keys=PROFILE_KEYS)
    frame, ptf_cleaning = _bulk_density(frame, ptf_name)
    frame = _stocks(frame)
    intervals = _intervals(frame, targets, depth_method)
    report = pd.concat([cleaning, depth_cleaning, ptf_cleaning], ignore_index=True)
    report = report.sort_values("row", kind="stable").reset_index(drop=True)
    return HarmonisedProfiles(frame[HORIZON_COLUMNS], intervals, report)


def _concentrations(
    profiles: pd.DataFrame, opts: methods.MethodOptions, rows: np.ndarray | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Canonical units and dry-combustion SOC; rows without usable SOC are dropped (reported)."""
    frame = profiles.reset_index(drop=True)
    frame = frame.assign(row=np.arange(len(frame)) if rows is None else np.asarray(rows))
    soc = units.convert_soil_column(frame["soc"], frame["soc_unit"], "soc")
    bd = units.convert_soil_column(frame["bulk_density"], frame["bd_unit"], "bulk_density")
    bad_bd = frame["bulk_density"].notna().to_numpy() & np.isnan(bd)
    missing = np.isnan(soc)
    cleaning = pd.concat(
        [
            _report(frame[missing], "dropped_missing_soc", "SOC value or unit missing/unusable"),
            _report(
                frame[bad_bd & ~missing],
                "bd_unit_unusable",
                "bulk density unit unusable; BD imputed",
            ),
        ],
        ignore_index=True,
    )
    frame = frame.assign(soc_g_per_kg=soc, bd_g_per_cm3=bd)[~missing]
    dc, factor, converted = methods.dry_combustion_soc(
        frame["soc_g_per_kg"].to_numpy(), frame["soc_method"].set_axis(frame["row"]), opts
    )
    return frame.assign(soc_g_per_kg=dc, method_factor=factor, method_converted=converted), cleaning


def _bulk_density(frame: pd.DataFrame, ptf_name: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Impute missing BD with the pedotransfer function, within its calibration range."""
    soc = frame["soc_g_per_kg"].to_numpy()
    measured = frame["bd_g_per_cm3"].to_numpy()
    imputed = np.isnan(measured)
    organic = imputed & (soc > PTF_MAX_SOC_G_PER_KG)
    ptf = PEDOTRANSFER_FUNCTIONS[ptf_name](np.where(organic, 0.0, soc))
    bd = np.where(imputed, np.where(organic, np.nan, ptf), measured)
    method = np.where(imputed, np.where(organic, "none_organic_material", ptf_name), "measured")
    text = f"SOC above {PTF_MAX_SOC_G_PER_KG:g} g/kg is outside the {ptf_name} calibration"
    cleaning = _report(frame[organic], "bd_not_imputed_organic_material", text + "; stock NaN")
    return frame.assign(bd_g_per_cm3=bd, bd_imputed=imputed, bd_method=method), cleaning


def _stocks(frame: pd.DataFrame) -> pd.DataFrame:
    """Coarse-fragment default and the layer stock (t C/ha)."""
    coarse_pct = frame["coarse_fragments_pct"].astype("float64")
    defaulted = coarse_pct.isna().to_numpy()
    coarse = coarse_pct.fillna(COARSE_FRAGMENTS_DEFAULT_PCT).to_numpy() / 100.0
    thickness = (frame["lower_cm"] - frame["upper_cm"]).to_numpy()
    stock = layer_soc_stock(
        frame["soc_g_per_kg"].to_numpy(), frame["bd_g_per_cm3"].to_numpy(), thickness, coarse
    )
    return frame.assign(coarse_fraction=coarse, coarse_defaulted=defaulted, stock_tc_per_ha=stock)


def _intervals(
    frame: pd.DataFrame, targets: Sequence[tuple[float, float]], depth_method: str
) -> pd.DataFrame:
    """One row per profile x target interval.

    Horizons with NaN stock count as not covered; ``any_bd_imputed`` / ``any_method_converted``
    are over the horizons overlapping the interval.
    """
    sites = frame.drop_duplicates(list(PROFILE_KEYS))[SITE_COLUMNS].reset_index(drop=True)
    code = frame.groupby(list(PROFILE_KEYS), sort=False, dropna=False).ngroup().to_numpy()
    known = ~np.isnan(frame["stock_tc_per_ha"].to_numpy())
    n, bounds = len(sites), np.asarray(targets, dtype="float64")
    up, low = frame["upper_cm"].to_numpy("float64"), frame["lower_cm"].to_numpy("float64")
    stock = frame["stock_tc_per_ha"].to_numpy()
    if not known.any():
        values, coverage = np.full((n, len(bounds)), np.nan), np.zeros((n, len(bounds)))
    elif depth_method == "overlap":
        values, coverage = depth.overlap_split(
            code[known], up[known], low[known], stock[known], targets=targets, n_profiles=n
        )
    else:
        values, coverage = depth.spline_stocks(
            code[known], up[known], low[known], stock[known], targets=targets, n_profiles=n
        )
    touches = depth.overlap_thickness(up, low, targets) > 0
    flags = {
        name: np.stack(
            [
                np.bincount(code, weights=touches[:, t] & frame[col].to_numpy(bool), minlength=n)
                > 0
                for t in range(len(bounds))
            ],
            axis=1,
        )
        for name, col in (
            ("any_bd_imputed", "bd_imputed"),
            ("any_method_converted", "method_converted"),
        )
    }
    out = sites.loc[np.repeat(np.arange(n), len(bounds))].reset_index(drop=True)
    return out.assign(
        upper_cm=np.tile(bounds[:, 0], n),
        lower_cm=np.tile(bounds[:, 1], n),
        stock_tc_per_ha=values.ravel(),
        coverage_fraction=coverage.ravel(),
        depth_method=depth_method,
        any_bd_imputed=flags["any_bd_imputed"].ravel(),
        any_method_converted=flags["any_method_converted"].ravel(),
    )[INTERVAL_COLUMNS]


def _report(rows: pd.DataFrame, action: str, detail: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "profile_id": rows["profile_id"].to_numpy(),
            "row": rows["row"].to_numpy(),
            "action": action,
            "detail": detail,
        },
        columns=depth.CLEANING_COLUMNS,
    )
