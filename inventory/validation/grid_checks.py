"""Validation of the ``grids`` dataset: every problem of the file as failure records.

A package names one NetCDF file under ``files.grids`` (format: :mod:`inventory.intake.grid_format`).
:func:`grid_failures` opens it by path and collects every problem as failure records (``row`` empty;
a cell is named in the message as ``lat=.., lon=..``): variables, flag attributes and their
vocabulary codes, the ``soc_stock`` unit, the lat/lon axes, and the stock range. The range check
runs on dask chunks, so a grid larger than memory is read chunk by chunk. An accepted grid is
harmonised by :func:`inventory.harmonise.gridded.harmonised_grid`; the NetCDF bytes stay in ``raw/``
only.

Cells whose stratum code is not among ``flag_values`` (fill value, sea) are not failures: the
zonal statistics leave them out by design (:mod:`inventory.harmonise.gridded`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from inventory.core import vocab
from inventory.core.failures import failure, failure_frame
from inventory.intake import grid_format
from inventory.intake.grid_format import SOC_UNIT, SOC_VAR, STRATA, GridSource, local_grid
from inventory.intake.package import PackageProblem
from inventory.validation.rules import suggest_code

# Plausible 0-30 cm stocks, t C/ha. Upper bound: 30 cm of pure peat (bulk density 0.2 g/cm3,
# 50 % C) holds 0.2 x 0.5 x 30 g C/cm2 = 3 g/cm2 = 300 t C/ha; 1000 leaves room for dense
# organic layers and still catches unit slips of x1000 (g instead of kg). Stocks are never < 0.
SOC_RANGE_TC_PER_HA = (0.0, 1000.0)
LAT_RANGE_DEG, LON_RANGE_DEG = (-90.0, 90.0), (-180.0, 360.0)  # centres; 0-360 east accepted
MAX_LISTED_CELLS = 5  # out-of-range cells named one by one; the message gives the total


# ---------------------------------------------------------------------------- checks
def grid_failures(source: GridSource) -> pd.DataFrame:
    """Every problem of the submitted grid as a failure table (empty: the grid is usable)."""
    try:
        with local_grid(source) as path:
            return check_grid_file(path, source.file)
    except PackageProblem as problem:
        return failure_frame(problem.failures)


def check_grid_file(path: str | Path, file: str) -> pd.DataFrame:
    """Open a NetCDF grid lazily (dask chunks) and check it; ``file`` names it in failures.

    The declared shapes are checked from the HDF5 metadata first: xarray loads every dimension
    coordinate whole on opening."""
    too_large = grid_format.stored_shape_problem(path)
    if too_large is not None:
        return failure_frame([failure("grid_too_large", f"{file}: {too_large}", "send a grid "
                                      "within the limits (README, submission format)",
                                      file=file)])  # fmt: skip
    try:
        # phony_dims: HDF5 datasets without dimension scales get sorted phony dimension names
        # (h5netcdf's netCDF-equivalent naming) instead of a warning
        ds = xr.open_dataset(path, engine="h5netcdf", chunks=grid_format.CHUNKS, phony_dims="sort")
    except (OSError, ValueError, TypeError) as err:  # h5py/h5netcdf: not HDF5, bad structure
        return failure_frame([failure(
            "grid_unreadable", f"{file} cannot be opened as NetCDF-4: {err}",
            "write the grid as NetCDF-4 (e.g. xarray to_netcdf, engine h5netcdf or netcdf4)",
            file=file)])  # fmt: skip
    with ds:
        return failure_frame(check_grid_dataset(ds, file))


def check_grid_dataset(ds: xr.Dataset, file: str) -> list[dict]:
    """Failure records of an open grid: all problems, not only the first (a grid too large to
    process is refused from its metadata, before any coordinate or value is read)."""
    too_large = grid_format.size_problem(ds)
    if too_large is not None:
        return [failure("grid_too_large", f"{file}: {too_large}", "send a grid within the "
                        "limits (README, submission format)", file=file)]  # fmt: skip
    records = [
        failure("grid_variable_missing", f"{file} has no variable {name!r}",
                f"add {name!r} ({_DESCRIBE[name]}) on the lat/lon grid", file=file, column=name)
        for name in (SOC_VAR, *STRATA) if name not in ds.data_vars
    ]  # fmt: skip
    lat, lat_problems = _axis(ds, grid_format.LAT_NAMES, LAT_RANGE_DEG, file)
    lon, lon_problems = _axis(ds, grid_format.LON_NAMES, LON_RANGE_DEG, file)
    records += lat_problems + lon_problems
    on_grid = []
    for name in (SOC_VAR, *STRATA):
        if name not in ds.data_vars or lat is None or lon is None:
            continue
        if set(ds[name].dims) != {lat, lon}:
            dims = " x ".join(map(str, ds[name].dims))
            records.append(failure("grid_dims", f"{name} has dimensions {dims}",
                                   f"put {name} on the ({lat}, {lon}) grid, with no other "
                                   "dimension (one time slice, one depth)", file=file,
                                   column=name, value=dims))  # fmt: skip
        else:
            on_grid.append(name)
    for name in STRATA:
        if name in ds.data_vars:
            records += _flag_problems(ds[name], file)
    if SOC_VAR in ds.data_vars:
        factor, unit_problems = _unit_factor(ds[SOC_VAR], file)
        records += unit_problems
        if factor is not None and SOC_VAR in on_grid:
            records += _range_problems(ds[SOC_VAR], factor, (lat, lon), file)
    return records


_DESCRIBE = {
    SOC_VAR: f"SOC stock 0-30 cm, {SOC_UNIT}",
    **{name: "integer codes with flag_values and flag_meanings" for name in STRATA},
}


def _axis(ds: xr.Dataset, names: tuple[str, ...], bounds: tuple[float, float], file: str):
    """(coordinate name or None, failure records) of the latitude or longitude axis."""
    name = next((n for n in names if n in ds.coords), None)
    if name is None:
        return None, [failure("grid_coordinates_missing", f"{file} has no coordinate "
                              f"{' or '.join(names)}", f"name the axis {names[0]!r}, cell "
                              "centres in degrees", file=file, column=names[0])]  # fmt: skip
    values = np.asarray(ds[name].values, dtype="float64")
    steps = np.diff(values) if values.ndim == 1 else np.array([np.nan])
    if values.ndim != 1 or values.size < 2 or not np.isfinite(values).all() or not (
        (steps > 0).all() or (steps < 0).all()
    ):  # fmt: skip
        return name, [failure("grid_coordinates_not_monotonic", f"{name} must be one axis of at "
                              "least 2 finite values, strictly increasing or decreasing",
                              f"give {name} as the sorted cell centres (no repeats, no gaps "
                              "filled with NaN)", file=file, column=name)]  # fmt: skip
    problems = []
    low, high = float(values.min()), float(values.max())
    if low < bounds[0] or high > bounds[1]:
        problems.append(failure("coordinates_out_of_range", f"{name} runs from {low:g} to "
                                f"{high:g}, outside {bounds[0]:g}..{bounds[1]:g} degrees",
                                f"give {name} in decimal degrees (WGS84), not projected metres",
                                file=file, column=name,
                                value=low if low < bounds[0] else high))  # fmt: skip
    try:
        grid_format.regular_step_deg(ds[name])
    except grid_format.GridError as err:
        problems.append(failure("grid_coordinates_irregular", str(err), "resample the grid to a "
                                "regular lat/lon grid (equal steps)", file=file,
                                column=name))  # fmt: skip
    return name, problems


def _flag_problems(da: xr.DataArray, file: str) -> list[dict]:
    """CF flag attributes present, matching, and naming codes of ``inventory.core.vocab``."""
    name = str(da.name)
    if "flag_values" not in da.attrs or "flag_meanings" not in da.attrs:
        return [failure("grid_flags_missing", f"{name} has no flag_values / flag_meanings",
                        "add the CF attributes flag_values (the integer codes) and "
                        f"flag_meanings (the {name} codes, space-separated, same order)",
                        file=file, column=name)]  # fmt: skip
    values = np.atleast_1d(da.attrs["flag_values"]).tolist()
    meanings = str(da.attrs["flag_meanings"]).split()
    if len(values) != len(meanings):
        return [failure("grid_flags_mismatch", f"{name}: {len(values)} flag_values but "
                        f"{len(meanings)} flag_meanings", "give one meaning per value, in the "
                        "same order", file=file, column=name,
                        value=str(da.attrs["flag_meanings"]))]  # fmt: skip
    allowed = vocab.VOCABULARIES[name]
    return [
        failure(f"unknown_{name}", f"{name}: flag meaning {m!r} (code {v}) is not a {name} "
                "code", suggest_code(m, allowed), file=file, column=name, value=m)
        for v, m in zip(values, meanings, strict=True)
        if vocab.canonical_code(m, name) not in allowed
    ]  # fmt: skip


def _unit_factor(soc: xr.DataArray, file: str) -> tuple[float | None, list[dict]]:
    try:
        return grid_format.soc_unit_factor(soc), []
    except grid_format.GridError as err:
        return None, [failure("unit_invalid", str(err), f"set the units attribute of "
                              f"{SOC_VAR} to {SOC_UNIT!r} (or e.g. 'kg C/m2')",
                              file=file, column=SOC_VAR,
                              value=soc.attrs.get("units"))]  # fmt: skip


def _range_problems(soc: xr.DataArray, factor: float, axes: tuple, file: str) -> list[dict]:
    """Cells outside :data:`SOC_RANGE_TC_PER_HA` (NaN = nodata passes); one pass over chunks."""
    lat, lon = axes
    stock = soc.astype("float64") * factor
    low, high = SOC_RANGE_TC_PER_HA
    bad = (stock < low) | (stock > high)
    per_row = bad.sum(dim=lon).compute().values  # 1-D over latitude: small
    total = int(per_row.sum())
    if total == 0:
        return []
    records: list[dict] = []
    for i in np.flatnonzero(per_row):
        row_bad = bad.isel({lat: i}).compute()
        row_stock = stock.isel({lat: i}).compute()
        for j in np.flatnonzero(row_bad.values)[: MAX_LISTED_CELLS - len(records)]:
            lat_v, lon_v = float(row_bad[lat]), float(row_bad[lon].values[j])
            value = float(row_stock.values[j])
            records.append(failure(
                "grid_soc_out_of_range", f"{SOC_VAR} {value:g} {SOC_UNIT} at "
                f"lat={lat_v:g}, lon={lon_v:g} is outside {low:g}..{high:g} "
                f"({total:,} cell(s) in all; at most {MAX_LISTED_CELLS} listed)",
                "check the unit attribute and the nodata value (write NaN or _FillValue for "
                "missing cells)", file=file, column=SOC_VAR, value=value))  # fmt: skip
        if len(records) >= MAX_LISTED_CELLS:
            break
    return records
