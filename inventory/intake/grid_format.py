"""The ``grids`` file of a submission: its format, and opening it by path.

One NetCDF (or Zarr) dataset on a regular lat/lon grid with

* ``soc_stock`` — SOC stock, 0-30 cm, float, NaN = nodata; in t C/ha, or in the unit its
  ``units`` attribute names (anything :mod:`inventory.core.units` converts to t C/ha);
* ``climate_zone``, ``soil_class``, ``land_use`` — integer codes, CF flag variables: the
  attributes ``flag_values`` (the integers) and ``flag_meanings`` (space-separated vocabulary
  codes of :mod:`inventory.core.vocab`, in the same order). A code outside ``flag_values`` (fill
  value, sea) leaves the cell out of every stratum.

A zip member is first streamed to a temporary file, within the package size limits
(:meth:`inventory.intake.package.Package.local_file`); validation
(:mod:`inventory.validation.grid_checks`) and harmonisation (:mod:`inventory.harmonise.gridded`)
both open the grid through :func:`local_grid`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xarray as xr

from inventory.core import limits, units, vocab
from inventory.core.errors import UserError
from inventory.intake.package import Limits, Package

SOC_VAR = "soc_stock"
SOC_UNIT = "t C/ha"
STRATA = ("climate_zone", "soil_class", "land_use")
LAT_NAMES, LON_NAMES = ("lat", "latitude"), ("lon", "longitude")
CHUNKS = "auto"  # dask chunks: memory stays at a few chunks, whatever the grid size
# Caps on what a grid file may declare, checked from its HDF5 metadata before xarray loads
# anything (xarray loads every dimension coordinate whole, as an index: an 8 KB file declaring
# a 5e7-point axis allocated 1.4 GB): points per axis and cells per variable
# (inventory.core.limits, where the sizes are argued), and 8 GiB of declared (uncompressed)
# variables. A file declaring 1e10 cells is refused unread.
MAX_GRID_CELLS = limits.GRID_MAX_CELLS
MAX_GRID_AXIS_POINTS = limits.GRID_MAX_AXIS_POINTS
MAX_GRID_BYTES = 8 * 2**30


class GridError(UserError, ValueError):
    """The grid does not follow the ``grids`` format (names the variable and what to fix)."""


@dataclass(frozen=True)
class GridSource:
    """Where a submission's grid is: the package (folder or .zip) and the file inside it."""

    package: str
    file: str  # as named in submission.yaml
    limits: Limits = field(default_factory=Limits)


@contextmanager
def local_grid(source: GridSource) -> Iterator[Path]:
    """A path to the grid file for the duration of the block (see the module docstring)."""
    with Package(source.package, source.limits) as package, package.local_file(source.file) as p:
        yield p


def open_grid(path: str | Path, chunks: dict | str | None = None) -> xr.Dataset:
    """Open a NetCDF (``.nc``, via h5netcdf) or Zarr (a ``.zarr`` folder) grid and check it.

    ``chunks`` as for :func:`xarray.open_dataset` (e.g. ``{"lat": 2000, "lon": 2000}``) gives
    dask arrays, so grids larger than memory stream chunk by chunk (measured on 100 M cells in
    chunks of 2000 x 2000).
    """
    path = Path(path)
    if not path.exists():
        raise GridError(f"grid file {path} does not exist")
    engine = "zarr" if path.suffix == ".zarr" or path.is_dir() else None  # None: by content
    problem = stored_shape_problem(path) if engine is None else None
    if problem is not None:
        raise GridError(problem)
    ds = xr.open_dataset(path, engine=engine, chunks=chunks)
    problem = size_problem(ds)
    if problem is not None:
        ds.close()
        raise GridError(problem)
    check_grid(ds)
    soc_unit_factor(ds[SOC_VAR])  # unit problems surface on opening
    return ds


def _shape_problem(shapes: dict[str, tuple[int, ...]]) -> str | None:
    """Why variables of these shapes are too large to process (axis points, then cells)."""
    for name, shape in shapes.items():
        longest = max(shape, default=0)
        if longest > MAX_GRID_AXIS_POINTS:
            return (f"{name} declares {longest:,} points along one axis (limit "
                    f"{MAX_GRID_AXIS_POINTS:,}); send a coarser grid or the country's extent "
                    "only")  # fmt: skip
    cells = max((int(np.prod(s, dtype="float64")) for s in shapes.values()), default=0)
    if cells > MAX_GRID_CELLS:
        return (f"the grid declares {cells:,} cells (limit {MAX_GRID_CELLS:,}); send a coarser "
                "grid or the country's extent only")  # fmt: skip
    return None


def stored_shape_problem(path: str | Path) -> str | None:
    """:func:`size_problem` from the file's HDF5 metadata alone (h5py: shapes, no value read),
    before xarray would load the coordinates; None for a file that is not HDF5 (the reader
    reports it)."""
    import h5py

    shapes: dict[str, tuple[int, ...]] = {}

    def visit(name: str, item: object) -> None:
        if isinstance(item, h5py.Dataset):
            shapes[name] = tuple(int(n) for n in item.shape)

    try:
        with h5py.File(path, "r") as handle:
            handle.visititems(visit)
    except OSError:
        return None
    return _shape_problem(shapes)


def size_problem(ds: xr.Dataset) -> str | None:
    """Why the grid is too large to process, from its declared shapes only (nothing read)."""
    shapes = {str(k): tuple(int(n) for n in v.shape) for k, v in ds.variables.items()}
    problem = _shape_problem(shapes)
    if problem is not None:
        return problem
    declared = sum(int(v.size) * v.dtype.itemsize for v in ds.variables.values())
    if declared > MAX_GRID_BYTES:
        return (f"the grid's variables declare {declared:,} bytes uncompressed (limit "
                f"{MAX_GRID_BYTES:,}); drop unused variables or send a coarser grid")  # fmt: skip
    return None


def coord_name(ds: xr.Dataset | xr.DataArray, names: tuple[str, ...]) -> str:
    for name in names:
        if name in ds.coords:
            return name
    raise GridError(f"grid has no coordinate named {' or '.join(names)}")


def check_grid(ds: xr.Dataset) -> None:
    """Raise :class:`GridError` when a variable, a flag attribute or the lat/lon grid is off."""
    missing = [v for v in (SOC_VAR, *STRATA) if v not in ds.data_vars]
    if missing:
        raise GridError(f"grid lacks variable(s) {missing}; needs {SOC_VAR} and {list(STRATA)}")
    lat, lon = coord_name(ds, LAT_NAMES), coord_name(ds, LON_NAMES)
    for name in (SOC_VAR, *STRATA):
        if set(ds[name].dims) != {lat, lon}:
            raise GridError(f"{name} has dims {ds[name].dims}; expected ({lat}, {lon})")
    for name in STRATA:
        stratum_codes(ds[name])


def stratum_codes(da: xr.DataArray) -> dict[int, str]:
    """``{integer code: vocabulary code}`` from the CF ``flag_values`` / ``flag_meanings``."""
    name = str(da.name)
    if "flag_values" not in da.attrs or "flag_meanings" not in da.attrs:
        raise GridError(f"{name} needs CF attributes flag_values and flag_meanings")
    values = np.atleast_1d(da.attrs["flag_values"]).tolist()
    meanings = str(da.attrs["flag_meanings"]).split()
    if len(values) != len(meanings):
        raise GridError(f"{name}: {len(values)} flag_values but {len(meanings)} flag_meanings")
    codes = [str(vocab.canonical_code(m, name)) for m in meanings]
    unknown = sorted(set(codes) - set(vocab.VOCABULARIES[name]))
    if unknown:
        raise GridError(f"{name}: flag_meanings {unknown} not in {vocab.VOCABULARIES[name]}")
    return {int(v): c for v, c in zip(values, codes, strict=True)}


def soc_unit_factor(soc: xr.DataArray) -> float:
    """Factor to t C/ha from the ``units`` attribute of ``soc_stock`` (absent: t C/ha)."""
    unit = soc.attrs.get("units")
    if unit is None:
        return 1.0
    try:
        return units.conversion_factor(str(unit), SOC_UNIT)
    except units.UnitError as err:
        raise GridError(
            f"{SOC_VAR} units {unit!r} do not convert to {SOC_UNIT} (write the "
            f"carbon explicitly, e.g. 'Mg C/ha' or 'kg C/m2'): {err}"
        ) from None


def regular_step_deg(coord: xr.DataArray) -> float:
    values = np.asarray(coord.values, dtype="float64")
    if values.size < 2:
        raise GridError(f"{coord.name} needs at least 2 points to define the grid spacing")
    steps = np.abs(np.diff(values))
    if not np.allclose(steps, steps[0], rtol=1e-6, atol=1e-9):
        raise GridError(
            f"{coord.name} is not regularly spaced (steps {steps.min()}..{steps.max()})"
        )
    return float(steps[0])
