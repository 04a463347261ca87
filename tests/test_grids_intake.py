"""The optional ``grids`` dataset through intake: validation failures by rule_id, harmonised zonal
statistics of a hand-checked 2 x 2 grid, and the published ``grid_statistics`` table."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from inventory.harmonise import gridded, store
from inventory.intake import grid_format
from inventory.intake.package import Limits
from inventory.intake.submission import SubmissionError, read_submission
from inventory.lake.zones import Lake
from inventory.validation import grid_checks
from inventory.validation.validate import validate_submission

MINIMAL = Path(__file__).parent / "data" / "minimal"
R = 6_371_007.181  # GRS80 authalic radius, m (Moritz 2000), as in inventory.harmonise.gridded
# 1 deg x 1 deg cells, ha (Snyder 1987, p. 77; the formula of tests/test_gridded.py):
# A = R^2 * (pi/180) * (sin(phi_north) - sin(phi_south)) / 1e4
A52 = R**2 * math.pi / 180 * (math.sin(math.radians(53)) - math.sin(math.radians(52))) / 1e4
A53 = R**2 * math.pi / 180 * (math.sin(math.radians(54)) - math.sin(math.radians(53))) / 1e4


def _grid() -> xr.Dataset:
    """2 x 2 grid, 1-degree cells over Ireland: row 52-53 N (A52), row 53-54 N (A53).

    soc (t C/ha)     land_use
    row 52.5: 10 20  native   native
    row 53.5: 30 NaN cropland cropland
    climate_zone all cool_temperate_moist, soil_class all hac.
    """
    dims = ("lat", "lon")

    def flags(values, meanings, codes):
        attrs = {"flag_values": np.array(values, dtype="int8"), "flag_meanings": meanings}
        return (dims, np.array(codes, dtype="int8"), attrs)

    soc = np.array([[10.0, 20.0], [30.0, np.nan]], dtype="float32")
    return xr.Dataset(
        {
            "soc_stock": (dims, soc, {"units": "t C/ha"}),
            "land_use": flags([1, 2], "native cropland", [[1, 1], [2, 2]]),
            "climate_zone": flags([1], "cool_temperate_moist", [[1, 1], [1, 1]]),
            "soil_class": flags([1], "hac", [[1, 1], [1, 1]]),
        },
        coords={"lat": [52.5, 53.5], "lon": [-7.5, -6.5]},
    )


# Hand computation:
# (cool_temperate_moist, hac, native): cells 10, 20 in row 52.5 -> valid = 2 A52,
#     stock = 10 A52 + 20 A52 = 30 A52 t C, mean = 15 t C/ha, n = 2
# (cool_temperate_moist, hac, cropland): 30 (A53) and NaN (A53) -> area = 2 A53, valid = A53,
#     stock = 30 A53, mean = 30 t C/ha, n = 1
NATIVE_STOCK_TC = 30 * A52  # = 22 580 512 t C (A52 = 752 683.75 ha)
CROP_STOCK_TC = 30 * A53  # = 22 063 493 t C (A53 = 735 449.76 ha)


def _package(tmp_path: Path, grid: xr.Dataset | bytes | None = None, name: str = "grid.nc"):
    """The minimal package plus ``files.grids: <name>`` (the grid written there if given)."""
    package = tmp_path / "package"
    shutil.copytree(MINIMAL, package)
    with (package / "submission.yaml").open("a", encoding="utf-8") as handle:
        handle.write(f"  grids: {name}\n")  # 'files:' is the last mapping of the manifest
    if isinstance(grid, bytes):
        (package / name).write_bytes(grid)
    elif grid is not None:
        grid.to_netcdf(package / name, engine="h5netcdf")
    return package


def _validate(package: Path):
    return validate_submission(read_submission(package))


def test_package_with_grid_validates(tmp_path):
    result = _validate(_package(tmp_path, _grid()))
    assert result.ok, result.failures.to_string()
    assert result.grid is not None and result.grid.file == "grid.nc"
    assert result.summary["files"]["grids"] == "grid.nc"


def _drop_soil(ds):
    return ds.drop_vars("soil_class")


def _bad_unit(ds):
    ds["soc_stock"].attrs["units"] = "t/ha"  # no carbon: soil mass or carbon?
    return ds


def _unknown_land_use(ds):
    ds["land_use"].attrs["flag_meanings"] = "native orchard"
    return ds


def _negative_stock(ds):
    ds["soc_stock"][0, 1] = -5.0
    return ds


def _lat_out_of_range(ds):
    return ds.assign_coords(lat=[89.5, 90.5])


def _lat_repeated(ds):
    return ds.assign_coords(lat=[52.5, 52.5])


def _no_flags(ds):
    del ds["climate_zone"].attrs["flag_values"]
    return ds


def _extra_dim(ds):
    return ds.assign(soc_stock=ds["soc_stock"].expand_dims(depth=[15.0]))


@pytest.mark.parametrize(
    ("spoil", "rule_id", "column", "value"),
    [
        (_drop_soil, "grid_variable_missing", "soil_class", None),
        (_bad_unit, "unit_invalid", "soc_stock", "t/ha"),
        (_unknown_land_use, "unknown_land_use", "land_use", "orchard"),
        (_negative_stock, "grid_soc_out_of_range", "soc_stock", "-5"),
        (_lat_out_of_range, "coordinates_out_of_range", "lat", "90.5"),
        (_lat_repeated, "grid_coordinates_not_monotonic", "lat", None),
        (_no_flags, "grid_flags_missing", "climate_zone", None),
        (_extra_dim, "grid_dims", "soc_stock", "depth x lat x lon"),
    ],
)
def test_bad_grids_give_their_rule_id(tmp_path, spoil, rule_id, column, value):
    source = grid_format.GridSource(str(_package(tmp_path, spoil(_grid()))), "grid.nc")
    failures = grid_checks.grid_failures(source)
    assert list(failures["rule_id"]) == [rule_id], failures.to_string()
    row = failures.iloc[0]
    assert (row["file"], row["column"]) == ("grid.nc", column)
    assert pd.isna(row["row"])
    assert (None if pd.isna(row["value"]) else row["value"]) == value
    assert row["message"] and row["fix"]


def test_out_of_range_cell_is_named_by_its_coordinates(tmp_path):
    result = _validate(_package(tmp_path, _negative_stock(_grid())))  # the whole validation
    assert not result.ok and list(result.failures["rule_id"]) == ["grid_soc_out_of_range"]
    assert "lat=52.5, lon=-6.5" in result.failures.iloc[0]["message"]
    assert "1 cell(s) in all" in result.failures.iloc[0]["message"]


def test_unreadable_grid_and_package_level_problems(tmp_path):
    source = grid_format.GridSource(str(_package(tmp_path / "a", b"not a netcdf file")), "grid.nc")
    assert list(grid_checks.grid_failures(source)["rule_id"]) == ["grid_unreadable"]
    with pytest.raises(SubmissionError) as missing:
        read_submission(_package(tmp_path / "b"))
    assert list(missing.value.failures["rule_id"]) == ["file_missing"]
    with pytest.raises(SubmissionError) as tif:
        read_submission(_package(tmp_path / "c", b"II*\0", name="grid.tif"))
    assert list(tif.value.failures["rule_id"]) == ["file_type_unsupported"]


def test_grid_size_limit_holds_for_zip_members(tmp_path):
    zipped = Path(shutil.make_archive(str(tmp_path / "irl"), "zip", _package(tmp_path, _grid())))
    with pytest.raises(SubmissionError) as large:  # grid.nc is ~11 kB, the CSVs < 2 kB
        read_submission(zipped, limits=Limits(max_file_bytes=4096))
    assert list(large.value.failures[["file", "rule_id"]].itertuples(index=False, name=None)) == [
        ("grid.nc", "file_too_large")]  # fmt: skip
    source = grid_format.GridSource(str(zipped), "grid.nc", Limits(max_file_bytes=4096))
    assert list(grid_checks.grid_failures(source)["rule_id"]) == ["file_too_large"]


@pytest.fixture(scope="module")
def accepted_lake(tmp_path_factory):
    """The package with the 2 x 2 grid, zipped (grid copied to a temporary file), accepted."""
    tmp_path = tmp_path_factory.mktemp("grids")
    zipped = Path(shutil.make_archive(str(tmp_path / "irl"), "zip", _package(tmp_path, _grid())))
    lake = Lake.at(tmp_path / "lake")
    outcome = store.file_outcome(lake, "IRL", "sub-grid", _validate(zipped))
    assert outcome["accepted"] and outcome["flags"]["grid_cells"] == 3
    return lake


def test_harmonised_grid_zonal_hand_computed(accepted_lake):
    zonal = store.read_harmonised(accepted_lake, "grid_zonal", "IRL")
    keyed = zonal.set_index("land_use")
    assert set(zonal["climate_zone"]) == {"cool_temperate_moist"} and set(zonal["soil_class"]) == {
        "hac"}  # fmt: skip
    native, crop = keyed.loc["native"], keyed.loc["cropland"]
    assert native["area_ha"] == pytest.approx(2 * A52, rel=1e-12)
    assert native["stock_tc"] == pytest.approx(NATIVE_STOCK_TC, rel=1e-12)
    assert native["mean_stock_tc_per_ha"] == pytest.approx(15.0, rel=1e-12)
    assert (native["n_cells"], crop["n_cells"]) == (2, 1)
    assert crop["area_ha"] == pytest.approx(2 * A53, rel=1e-12)
    assert crop["valid_area_ha"] == pytest.approx(A53, rel=1e-12)
    assert crop["stock_tc"] == pytest.approx(CROP_STOCK_TC, rel=1e-12)
    assert set(zonal["source"]) == {"gridded: grid.nc"}  # the package's name, not a temp file
    assert set(zonal["submission_id"]) == {"sub-grid"}
    (candidate,) = store.read_harmonised(accepted_lake, "grid_soc_ref", "IRL").itertuples()
    assert (candidate.factor, candidate.climate_zone, candidate.soil_class) == (
        "SOC_REF", "cool_temperate_moist", "hac")  # fmt: skip
    assert candidate.value == pytest.approx(15.0, rel=1e-12)
    assert candidate.source == "gridded: grid.nc"
    # the NetCDF bytes are not copied into the harmonised zone
    assert not list((accepted_lake.root / "harmonised").rglob("*.nc"))


def test_grid_statistics_published_and_factors_unchanged(accepted_lake):
    from inventory.engine.run import RunParameters, compute_country

    params = RunParameters(mc_draws=0)
    result = compute_country(accepted_lake, "IRL", params)
    grid = result.tables["grid_statistics"]
    assert set(grid["country"]) == {"IRL"} and len(grid) == 2
    assert grid["stock_tc"].sum() == pytest.approx(NATIVE_STOCK_TC + CROP_STOCK_TC, rel=1e-12)
    assert "grid_zonal" in result.inputs
    # grid SOC_REF candidates are reported, not used: no factor comes from the grid
    assert not result.tables["stratum_factors"].astype(str).apply(
        lambda c: c.str.contains("gridded")).any().any()  # fmt: skip


def test_later_submission_without_grid_clears_the_grid_tables(tmp_path):
    source = grid_format.GridSource(str(_package(tmp_path, _grid())), "grid.nc")
    lake = Lake.at(tmp_path / "lake")
    store.store_harmonised(lake, "IRL", "sub-1", {}, gridded.harmonised_grid(source, "IRL"))
    assert len(store.read_harmonised(lake, "grid_zonal", "IRL")) == 2
    store.store_harmonised(lake, "IRL", "sub-2", {}, {})  # accepted again, without a grid
    assert store.read_harmonised(lake, "grid_zonal", "IRL") is None
    assert store.read_harmonised(lake, "grid_soc_ref", "IRL") is None
