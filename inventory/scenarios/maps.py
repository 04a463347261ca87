"""Maps of the potential stock gain of each measure on the country's gridded stock map.

When the country submitted a gridded SOC stock map (``files: grids:``, with its land-use,
climate-zone and soil codes), the stratum-level equilibrium gain of each practice measure is
spread over the cells of the climate zone x soil class x land use it acts in, in proportion to
each cell's own stock (a measure changes the stock by a factor ratio, so where the soil holds more
it gains more):

.. math:: g_c = G_z \\frac{SOC_c}{\\sum_{c' \\in z} SOC_{c'} \\, a_{c'}} \\quad [t C ha^{-1}],
    \\qquad G_z = \\sum_{s \\in z} A^{moved}_s \\, (p_{target(s)} - p_s) \\quad [t C]

with a the cell area [ha] (:func:`inventory.harmonise.gridded.cell_area_ha`), p the stock per
hectare SOC_REF x F_LU x F_MG x F_I of IPCC 2006 Vol.4 Ch.2 Eq. 2.25 (draw 0) and the moved area
of the horizon year; so the cell-area weighted sum over the cells of z is G_z, the stratum-level
answer. The rate over D is g / D [t C ha-1 yr-1] (the annual change while the transition runs).
Written as NetCDF (``<ISO3>.nc``: ``gain_tc_per_ha`` and ``gain_rate_tc_per_ha_per_yr`` per
measure) and a PNG picture. Strata the measure acts in but the map does not show stay in the
stratum answer and are counted in ``unmapped_gain_tc``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from inventory.harmonise.gridded import cell_area_ha
from inventory.intake.grid_format import (
    LAT_NAMES,
    LON_NAMES,
    SOC_VAR,
    STRATA,
    coord_name,
    soc_unit_factor,
    stratum_codes,
)
from inventory.scenarios.compute import Pathway
from inventory.scenarios.projection import MINERAL_KEYS

GROUP_KEYS = list(STRATA)  # climate_zone, soil_class, land_use: the codes a grid carries
FIG_WIDTH_IN, FIG_HEIGHT_IN, FIG_DPI = 4.5, 4.0, 90  # picture size per measure [in], [dpi]


def stratum_gain(effect: Pathway, year: int) -> pd.DataFrame:
    """Equilibrium stock gain [t C] of a measure's moves by climate zone x soil x land use.

    ``moved area in year`` x (p of the target stratum - p of the source stratum), summed over the
    strata of each group (p: draw 0 of the engine's stratum stock per hectare [t C ha-1]).
    """
    moves = effect.moves
    if moves.empty:
        return pd.DataFrame(columns=[*GROUP_KEYS, "gain_tc"])
    p = effect.stratum_stock.set_index(MINERAL_KEYS)["stock_per_ha"]
    source = p.reindex(pd.MultiIndex.from_frame(moves[MINERAL_KEYS])).to_numpy()
    target_keys = moves[[f"target_{k}" for k in MINERAL_KEYS]].set_axis(MINERAL_KEYS, axis=1)
    target = p.reindex(pd.MultiIndex.from_frame(target_keys)).to_numpy()
    span = (moves["end_year"] - moves["start_year"]).clip(lower=1)
    ramp = ((year - moves["start_year"]) / span).clip(0, 1)
    moved = moves["area_ha"] * moves["share"] * ramp
    gains = moves[GROUP_KEYS].assign(gain_tc=moved.to_numpy() * (target - source))
    return gains.groupby(GROUP_KEYS, as_index=False).agg(gain_tc=("gain_tc", "sum"))


def gain_map(ds: xr.Dataset, gains: pd.DataFrame) -> tuple[xr.DataArray, float]:
    """Per-cell gain [t C ha-1] whose cell-area weighted sum per group equals ``gain_tc``.

    Returns the map and the gain of groups with no cell on the map [t C] (not mapped).
    """
    lat, lon = coord_name(ds, LAT_NAMES), coord_name(ds, LON_NAMES)
    soc = ds[SOC_VAR].transpose(lat, lon).to_numpy().astype("float64") * soc_unit_factor(
        ds[SOC_VAR]
    )
    area = cell_area_ha(ds[lat], ds[lon]).transpose(lat, lon).to_numpy()
    labels = {}
    for key in GROUP_KEYS:
        codes = stratum_codes(ds[key])
        raw = ds[key].transpose(lat, lon).to_numpy()
        labels[key] = pd.Series(raw.ravel()).map(codes).to_numpy(dtype=object)
    cells = pd.DataFrame({**labels, "soc": soc.ravel(), "area": area.ravel()})
    cells["weight"] = np.where(np.isfinite(cells["soc"]), cells["soc"] * cells["area"], 0.0)
    totals = cells.groupby(GROUP_KEYS, dropna=False)["weight"].sum().rename("total")
    merged = cells.join(gains.set_index(GROUP_KEYS)["gain_tc"], on=GROUP_KEYS).join(
        totals, on=GROUP_KEYS
    )
    per_ha = np.where(
        merged["gain_tc"].notna() & (merged["total"] > 0) & np.isfinite(merged["soc"]),
        merged["gain_tc"].fillna(0) * merged["soc"] / merged["total"].where(merged["total"] > 0),
        np.where(np.isfinite(merged["soc"]), 0.0, np.nan),
    )
    mapped = gains.merge(totals[totals > 0].reset_index(), on=GROUP_KEYS, how="left")
    unmapped = float(mapped.loc[mapped["total"].isna(), "gain_tc"].sum())
    out = xr.DataArray(per_ha.reshape(soc.shape), coords={lat: ds[lat], lon: ds[lon]},
                       dims=(lat, lon))  # fmt: skip
    return out, unmapped


def write_maps(
    ds: xr.Dataset,
    effects: dict[str, Pathway],
    *,
    year: int,
    transition_years: int,
    folder: Path,
    country: str,
) -> dict:
    """NetCDF and PNG of every practice measure's gain; returns what was written and the totals.

    Returns
    -------
    dict
        ``netcdf`` and ``png`` file names, and per measure ``gain_tc`` (stratum answer [t C]),
        ``mapped_gain_tc`` (cell-area weighted sum of the map [t C]) and ``unmapped_gain_tc``.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    lat, lon = coord_name(ds, LAT_NAMES), coord_name(ds, LON_NAMES)
    area = cell_area_ha(ds[lat], ds[lon]).transpose(lat, lon)
    variables, totals = {}, {}
    for name, effect in effects.items():
        if effect.moves.empty:
            continue  # rewetting measures act on organic soils, which the stock map does not show
        gains = stratum_gain(effect, year)
        cell_gain, unmapped = gain_map(ds, gains)
        safe = "".join(ch if ch.isalnum() else "_" for ch in name)
        variables[f"gain_tc_per_ha__{safe}"] = cell_gain.assign_attrs(
            units="t C/ha", long_name=f"equilibrium SOC stock gain of {name} by {year}"
        )
        variables[f"gain_rate_tc_per_ha_per_yr__{safe}"] = (cell_gain / transition_years
                                                            ).assign_attrs(
            units="t C/ha/yr", long_name=f"annual SOC stock gain of {name} over D"
        )  # fmt: skip
        totals[name] = {
            "gain_tc": float(gains["gain_tc"].sum()),
            "mapped_gain_tc": float((cell_gain * area).sum(skipna=True)),
            "unmapped_gain_tc": unmapped,
        }
    if not variables:
        return {}
    folder.mkdir(parents=True, exist_ok=True)
    out = xr.Dataset(variables, attrs={"country": country, "year": year,
                                       "method": "inventory.scenarios.maps"})  # fmt: skip
    netcdf = folder / f"{country}.nc"
    out.to_netcdf(netcdf, engine="h5netcdf")
    gains_only = [v for v in variables if v.startswith("gain_tc_per_ha__")]
    size = (FIG_WIDTH_IN * len(gains_only), FIG_HEIGHT_IN)
    fig, axes = plt.subplots(1, len(gains_only), figsize=size, squeeze=False)
    for ax, var in zip(axes[0], gains_only, strict=True):
        out[var].plot.imshow(ax=ax, cmap="YlGn", cbar_kwargs={"label": "t C/ha"})
        ax.set_title(f"{country}: {var.split('__', 1)[1]} by {year}", fontsize=9)
    fig.tight_layout()
    png = folder / f"{country}.png"
    fig.savefig(png, dpi=FIG_DPI)
    plt.close(fig)
    return {"netcdf": netcdf.name, "png": png.name, "measures": totals}
