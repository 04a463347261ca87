"""Gridded upscaling: cell areas, zonal stocks by stratum, SOC_REF candidates, dask = in-memory."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from inventory.core.vocab import FACTOR_COLUMNS
from inventory.harmonise import gridded
from inventory.intake import grid_format

R = 6_371_007.181  # GRS80 authalic radius, m (Moritz 2000)
# Measured when the grid code was written: "a 10 x 20 degree box at the equator summed to
# 246.1 Mha". Closed form for
# 0-10 N x 20 deg: R^2 * (20 pi/180) * (sin 10 deg - sin 0) = 2.46033e12 m^2 = 246.033 Mha
# (the measured 246.1 is that figure, rounded up; a box centred on the equator gives 246.97).
BOX_MHA_CLOSED_FORM = 246.0332381
BOX_MHA_MEASURED = 246.1
# 1 deg x 1 deg cells, ha: R^2 * (pi/180) * (sin(j+1 deg) - sin(j deg)) / 1e4 for the rows
# 0-1 N, 1-2 N, 2-3 N.
A0, A1, A2 = 1_236_371.186145, 1_235_994.575504, 1_235_241.468943


def _axis(name: str, values) -> xr.DataArray:
    return xr.DataArray(np.asarray(values, dtype="float64"), dims=name, name=name).pipe(
        lambda da: da.assign_coords({name: da})
    )


def test_cell_area_of_a_10_by_20_degree_equatorial_box():
    lat = _axis("lat", np.arange(0.25, 10, 0.5))  # 0.5-degree cells, 0-10 N
    lon = _axis("lon", np.arange(30.25, 50, 0.5))  # 20 degrees of longitude
    area = gridded.cell_area_ha(lat, lon)
    assert area.dims == ("lat", "lon") and area.shape == (20, 40)
    total_mha = float(area.sum()) / 1e6
    assert total_mha == pytest.approx(BOX_MHA_CLOSED_FORM, rel=1e-9)
    assert abs(total_mha - BOX_MHA_MEASURED) < 0.1
    # cells shrink poleward; all cells of a row are equal
    assert float(area[0, 0]) > float(area[-1, 0])
    assert float(area[3].max()) == float(area[3].min())


def test_cell_area_does_not_depend_on_latitude_order():
    lat = _axis("lat", [2.5, 1.5, 0.5])
    lon = _axis("lon", [10.5, 11.5])
    area = gridded.cell_area_ha(lat, lon)
    np.testing.assert_allclose(area[:, 0].values, [A2, A1, A0], rtol=1e-12)


def _hand_grid() -> xr.Dataset:
    """3 x 3 grid, 1-degree cells, rows 0-1 N (A0), 1-2 N (A1), 2-3 N (A2).

    soc (t C/ha)         land_use (1 native, 2 cropland, 0 fill)   soil (1 hac, 2 lac)
    row 0: 10  20  NaN   1 1 2                                      1 1 1
    row 1: 30  40  50    1 2 2                                      1 1 1
    row 2: 60  70  80    2 2 0                                      2 2 2
    climate_zone: all 1 = tropical_moist.
    """
    soc = np.array([[10, 20, np.nan], [30, 40, 50], [60, 70, 80]], dtype="float32")
    land_use = np.array([[1, 1, 2], [1, 2, 2], [2, 2, 0]], dtype="int8")
    soil = np.array([[1, 1, 1], [1, 1, 1], [2, 2, 2]], dtype="int8")
    climate = np.ones((3, 3), dtype="int8")

    def flags(values, meanings):
        return {"flag_values": np.array(values, dtype="int8"), "flag_meanings": meanings}

    dims = ("lat", "lon")
    return xr.Dataset(
        {
            "soc_stock": (dims, soc, {"units": "t C/ha"}),
            "land_use": (dims, land_use, flags([1, 2], "native cropland")),
            "soil_class": (dims, soil, flags([1, 2], "HAC lac")),  # case-insensitive
            "climate_zone": (dims, climate, flags([1], "tropical_moist")),
        },
        coords={"lat": [0.5, 1.5, 2.5], "lon": [36.5, 37.5, 38.5]},
    )


# Hand computation (rows' cell areas A0, A1, A2):
# (tropical_moist, hac, native):  cells 10 (A0), 20 (A0), 30 (A1)
#     valid = 2 A0 + A1; stock = 30 A0 + 30 A1; n = 3
# (tropical_moist, hac, cropland): NaN (A0), 40 (A1), 50 (A1)
#     area = A0 + 2 A1; valid = 2 A1; stock = 90 A1; mean = 45; n = 2
# (tropical_moist, lac, cropland): 60 (A2), 70 (A2); the 80 cell has land_use 0 (fill): excluded
#     valid = 2 A2; stock = 130 A2; mean = 65; n = 2
NATIVE_VALID = 2 * A0 + A1
NATIVE_STOCK = 30 * A0 + 30 * A1
NATIVE_MEAN = NATIVE_STOCK / NATIVE_VALID  # 19.99898 t C/ha (A1 slightly smaller than A0)
# Weighted spread of the native stratum, weights w = (A0, A0, A1), x = (10, 20, 30):
# V1 = sum w, V2 = sum w^2; variance = sum w (x - mean)^2 / (V1 - V2 / V1) (reliability
# weights); n_eff = V1^2 / V2 = 2.99999994; SE = sqrt(variance / n_eff).
_V1, _V2 = NATIVE_VALID, 2 * A0**2 + A1**2
_SS = A0 * (10 - NATIVE_MEAN) ** 2 + A0 * (20 - NATIVE_MEAN) ** 2 + A1 * (30 - NATIVE_MEAN) ** 2
NATIVE_SD = math.sqrt(_SS / (_V1 - _V2 / _V1))  # 9.999746 t C/ha
NATIVE_SE = NATIVE_SD / math.sqrt(_V1**2 / _V2)  # 5.773356 t C/ha (~ 10 / sqrt 3)


@pytest.mark.parametrize("engine", ["flox", "numpy"])
def test_zonal_stocks_hand_computed_3x3(engine):
    zonal = gridded.zonal_stocks(_hand_grid(), engine=engine)
    assert list(zonal.columns) == gridded.ZONAL_COLUMNS
    keyed = zonal.set_index(["soil_class", "land_use"])
    assert sorted(keyed.index) == [("hac", "cropland"), ("hac", "native"), ("lac", "cropland")]
    assert set(zonal["climate_zone"]) == {"tropical_moist"}
    native, crop, lac = keyed.loc[("hac", "native")], keyed.loc[("hac", "cropland")], keyed.loc[
        ("lac", "cropland")]  # fmt: skip
    assert native["n_cells"] == 3 and crop["n_cells"] == 2 and lac["n_cells"] == 2
    assert native["valid_area_ha"] == pytest.approx(NATIVE_VALID, rel=1e-12)
    assert native["stock_tc"] == pytest.approx(NATIVE_STOCK, rel=1e-12)
    assert native["mean_stock_tc_per_ha"] == pytest.approx(NATIVE_MEAN, rel=1e-12)
    assert NATIVE_MEAN == pytest.approx(19.99898, abs=1e-5)
    assert crop["area_ha"] == pytest.approx(A0 + 2 * A1, rel=1e-12)
    assert crop["valid_area_ha"] == pytest.approx(2 * A1, rel=1e-12)
    assert crop["stock_tc"] == pytest.approx(90 * A1, rel=1e-12)
    assert crop["mean_stock_tc_per_ha"] == pytest.approx(45.0, rel=1e-12)
    # equal weights (both cells in row 1): sample SD of 40, 50 = sqrt(50) = 7.0711; SE = s/sqrt(2)
    assert crop["sd_stock_tc_per_ha"] == pytest.approx(math.sqrt(50), rel=1e-9)
    assert crop["n_eff"] == pytest.approx(2.0, rel=1e-12)
    assert crop["se_stock_tc_per_ha"] == pytest.approx(5.0, rel=1e-9)
    # native: weights A0, A0, A1 (A1 / A0 = 0.99970): SD ~ 10 (sample SD of 10, 20, 30)
    assert native["sd_stock_tc_per_ha"] == pytest.approx(NATIVE_SD, rel=1e-9)
    assert native["se_stock_tc_per_ha"] == pytest.approx(NATIVE_SE, rel=1e-9)
    assert lac["stock_tc"] == pytest.approx(130 * A2, rel=1e-12)
    assert lac["mean_stock_tc_per_ha"] == pytest.approx(65.0, rel=1e-12)


def test_national_totals_of_the_hand_grid():
    totals = gridded.national_totals(gridded.zonal_stocks(_hand_grid())).iloc[0]
    stock = NATIVE_STOCK + 90 * A1 + 130 * A2
    valid = NATIVE_VALID + 2 * A1 + 2 * A2
    assert totals["n_cells"] == 7
    assert totals["area_ha"] == pytest.approx(3 * A0 + 3 * A1 + 2 * A2, rel=1e-12)
    assert totals["stock_tc"] == pytest.approx(stock, rel=1e-12)
    assert totals["mean_stock_tc_per_ha"] == pytest.approx(stock / valid, rel=1e-12)
    by_use = gridded.national_totals(gridded.zonal_stocks(_hand_grid()), by=("land_use",))
    assert by_use.set_index("land_use").loc["cropland", "n_cells"] == 4


def test_soc_ref_candidates_in_canonical_factor_form():
    zonal = gridded.zonal_stocks(_hand_grid())
    candidates = gridded.soc_ref_candidates(zonal, "ken", source="hand.nc")
    assert list(candidates.columns) == [*FACTOR_COLUMNS, "n_cells", "n_eff", "se_tc_per_ha"]
    assert len(candidates) == 1  # only (tropical_moist, hac) has native cells
    row = candidates.iloc[0]
    assert (row["country"], row["factor"], row["climate_zone"], row["soil_class"]) == (
        "KEN", "SOC_REF", "tropical_moist", "hac")  # fmt: skip
    assert (row["land_use"], row["level"], row["tier"], row["priority"]) == (
        "*", "*", "tier2_derived", 2)  # fmt: skip
    assert row["value"] == pytest.approx(NATIVE_MEAN, rel=1e-12)
    assert (row["n_cells"], row["se_tc_per_ha"]) == (3, pytest.approx(NATIVE_SE, rel=1e-9))
    assert math.isnan(row["uncertainty_pct"])
    assert row["source"] == "gridded: hand.nc"
    spatial = gridded.soc_ref_candidates(zonal, "KEN", uncertainty="spatial_se").iloc[0]
    # 95 % half-width 1.959964 x 5.773356 = 11.3157 t C/ha = 56.58 % of 19.99898
    assert spatial["uncertainty_pct"] == pytest.approx(100 * 1.959964 * NATIVE_SE / NATIVE_MEAN)
    assert spatial["uncertainty_pct"] == pytest.approx(56.58, abs=0.01)
    assert gridded.soc_ref_candidates(zonal, "KEN", min_cells=4).empty


def test_stratum_without_valid_cells_keeps_its_area():
    ds = _hand_grid()
    ds["soc_stock"][2, :2] = np.nan  # the two (lac, cropland) cells lose their SOC
    zonal = gridded.zonal_stocks(ds).set_index(["soil_class", "land_use"])
    lac = zonal.loc[("lac", "cropland")]
    assert lac["n_cells"] == 0 and lac["area_ha"] == pytest.approx(2 * A2, rel=1e-12)
    assert math.isnan(lac["mean_stock_tc_per_ha"])
    totals = gridded.national_totals(zonal.reset_index()).iloc[0]
    assert totals["area_ha"] == pytest.approx(3 * A0 + 3 * A1 + 2 * A2, rel=1e-12)
    assert totals["n_cells"] == 5


def test_dask_chunked_result_equals_in_memory(tmp_path):
    path = gridded.write_example_grid(tmp_path / "example.nc", shape=(30, 40), seed=3)
    in_memory = gridded.zonal_stocks(gridded.open_grid(path))
    chunked_ds = gridded.open_grid(path, chunks={"lat": 7, "lon": 16})
    assert chunked_ds["soc_stock"].chunks is not None  # dask-backed
    chunked = gridded.zonal_stocks(chunked_ds)
    pd.testing.assert_frame_equal(chunked, in_memory, check_exact=False, rtol=1e-12)
    numpy_impl = gridded.zonal_stocks(gridded.open_grid(path), engine="numpy")
    pd.testing.assert_frame_equal(numpy_impl, in_memory, check_exact=False, rtol=1e-12)
    assert in_memory["n_cells"].sum() == int(chunked_ds["soc_stock"].notnull().sum())
    assert in_memory.attrs["source"] == "example.nc"
    assert len(in_memory) == 12  # 2 climate zones x 2 soils x 3 land uses, all present


def test_grid_errors_name_the_problem():
    ds = _hand_grid()
    del ds["land_use"].attrs["flag_meanings"]
    with pytest.raises(grid_format.GridError, match="land_use needs CF attributes"):
        gridded.zonal_stocks(ds)
    ds = _hand_grid()
    ds["soil_class"].attrs["flag_meanings"] = "hac peat"
    with pytest.raises(grid_format.GridError, match=r"flag_meanings \['peat'\]"):
        gridded.zonal_stocks(ds)
    with pytest.raises(grid_format.GridError, match="lacks variable"):
        gridded.zonal_stocks(_hand_grid().drop_vars("soc_stock"))


def test_upscale_grid_from_a_netcdf_file(tmp_path):
    path = tmp_path / "hand.nc"
    _hand_grid().to_netcdf(path, engine="h5netcdf")
    out = gridded.upscale_grid(path, "KEN", chunks={"lat": 2, "lon": 2})
    assert set(out) == {"zonal", "national", "by_land_use", "soc_ref_candidates"}
    national = out["national"].iloc[0]
    assert national["stock_tc"] == pytest.approx(NATIVE_STOCK + 90 * A1 + 130 * A2, rel=1e-12)
    candidate = out["soc_ref_candidates"].iloc[0]
    assert candidate["value"] == pytest.approx(NATIVE_MEAN, rel=1e-12)
    assert candidate["source"] == "gridded: hand.nc"


def test_soc_units_attribute_is_converted():
    ds = _hand_grid()
    ds["soc_stock"] = ds["soc_stock"] / 10  # 1 kg C/m2 = 10 t C/ha (1 ha = 10^4 m2)
    ds["soc_stock"].attrs["units"] = "kg C/m2"
    zonal = gridded.zonal_stocks(ds).set_index(["soil_class", "land_use"])
    assert zonal.loc[("hac", "cropland"), "mean_stock_tc_per_ha"] == pytest.approx(45.0)
    ds["soc_stock"].attrs["units"] = "t/ha"  # no carbon: ambiguous (soil mass?)
    with pytest.raises(grid_format.GridError, match="do not convert to t C/ha"):
        gridded.zonal_stocks(ds)
