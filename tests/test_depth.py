"""inventory.harmonise.depth: mpspline2's published numbers, hand-computed cases, properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inventory.harmonise import depth
from tests.depth_reference import mpspline_one, overlap_one

GSM = (0, 5, 15, 30, 60, 100, 200)

# mpspline2 README (obrl-soil/mpspline2 README.md / CRAN 0.1.9 page, "Example"):
# SID 1, 0-10: 6, 20-30: 4, 40-50: 3, 60-70: 10; mpspline_tidy(...)$est_dcm, lam 0.1.
README_DEPTHS = ([0, 20, 40, 60], [10, 30, 50, 70], [6, 4, 3, 10])
README_EST_DCM = [6.105160, 5.618341, 4.316876, 4.192058, 9.732400]  # 0-5 ... 60-100 cm
# mpspline2 tests/testthat/test_mpspline.R, "mpspline_est1 does the thing": 0-10-20-30-40 cm,
# values 5.4, 5.3, 5.6, 7.0, lam 0.1; first element of s_bar, b1, gamma, alfa, Z.
EST1_DEPTHS = ([0, 10, 20, 30], [10, 20, 30, 40], [5.4, 5.3, 5.6, 7.0])
EST1_S_BAR_1 = 5.3938765799840498
EST1_B1_1 = -0.015308550039877671
EST1_GAMMA_1 = -0.00076542750199388358
EST1_ALFA_1 = 5.4193908300505127
EST1_Z_11 = 1.064285714  # hand: 1 + 6*4*0.1 * R^-1[1,1], R = tridiag(10, 40, 10): 1500/56000
# test_mpspline.R, "mpspline_rmse1 does the thing": 0-20-30-50-70 cm, values 6, 4, 3, 10.
RMSE_DEPTHS = ([0, 20, 30, 50], [20, 30, 50, 70], [6, 4, 3, 10])
RMSE = 0.19001524938836459
RMSE_IQR = 0.058466230581035256
# obrl-soil/mpspline2 pull request #7 (after the fix): P001 0-2-14-49-57-89 cm, clay
# 13, 7, 9, 14, 21 -> est_icm and the first 25 est_1cm values, printed to 6 decimals.
PR7_DEPTHS = ([0, 2, 14, 49, 57], [2, 14, 49, 57, 89], [13, 7, 9, 14, 21])
PR7_EST_ICM = [12.452349, 7.616554, 9.057302, 14.110644, 20.763151]
PR7_EST_1CM = [
    12.817450,
    12.543624,
    11.722148,
    10.678226,
    9.737063,
    8.898659,
    8.163014,
    7.530127,
    7.000000,
    6.572632,
    6.248022,
    6.026172,
    5.907080,
    5.890748,
    5.977174,
    6.116617,
    6.259335,
    6.405327,
    6.554593,
    6.707134,
    6.862949,
    7.022039,
    7.184403,
    7.350041,
    7.518954,
]


def _one(upper, lower, values, **kw):
    n = len(values)
    return depth.spline_intervals(
        np.zeros(n, int),
        np.asarray(upper, float),
        np.asarray(lower, float),
        np.asarray(values, float),
        **kw,
    )


def _coef(upper, lower, values):
    arrays = (np.asarray(a, float)[None, :] for a in (upper, lower, values))
    return depth.spline_coefficients(*arrays)


# ---------------------------------------------------------------- mpspline2 published outputs
def test_readme_example_est_dcm():
    mean, coverage, _ = _one(*README_DEPTHS)
    np.testing.assert_allclose(mean[0, :5], README_EST_DCM, atol=1e-6)
    assert math.isnan(mean[0, 5])  # 100-200 cm: no data, no extrapolation
    np.testing.assert_allclose(coverage[0], [1, 1, 1, 1, 10 / 40, 0])


def test_est1_coefficients():
    coef = _coef(*EST1_DEPTHS)
    assert coef["s_bar"][0, 0] == pytest.approx(EST1_S_BAR_1, abs=1e-12)
    assert coef["b0"][0, 0] == 0.0
    assert coef["b1"][0, 0] == pytest.approx(EST1_B1_1, abs=1e-12)
    assert coef["gamma"][0, 0] == pytest.approx(EST1_GAMMA_1, abs=1e-12)
    assert coef["alfa"][0, 0] == pytest.approx(EST1_ALFA_1, abs=1e-12)
    ref = mpspline_one(*EST1_DEPTHS)
    assert ref["est_icm"][0] == pytest.approx(EST1_S_BAR_1, abs=1e-12)


def test_est1_z_matrix_by_hand():
    from tests.depth_reference import _coefficients

    z = _coefficients(*(np.asarray(a, float) for a in EST1_DEPTHS), 0.1)["z"]
    assert z[0, 0] == pytest.approx(EST1_Z_11, abs=1e-9)
    assert z[0, 0] == pytest.approx(1 + 2.4 * 1500 / 56000, abs=1e-15)


def test_rmse_of_fitted_horizon_means():
    _, _, s_bar = _one(*RMSE_DEPTHS, vhigh=14)
    y = np.asarray(RMSE_DEPTHS[2], float)
    rmse = np.sqrt(np.mean((y - s_bar) ** 2))
    assert rmse == pytest.approx(RMSE, abs=1e-12)
    q75, q25 = np.percentile(y, [75, 25])  # R's IQR (quantile type 7)
    assert rmse / (q75 - q25) == pytest.approx(RMSE_IQR, abs=1e-12)


def test_pull_request_7_icm_and_1cm():
    coef = _coef(*PR7_DEPTHS)
    np.testing.assert_allclose(coef["s_bar"][0], PR7_EST_ICM, atol=1e-6)
    u, lo = (np.asarray(a, float)[None, :] for a in PR7_DEPTHS[:2])
    grid = depth.spline_1cm(coef, u, lo, depth_cm=200)
    np.testing.assert_allclose(grid[0, :25], PR7_EST_1CM, atol=1e-6)
    assert np.isnan(grid[0, 89:]).all() and not np.isnan(grid[0, :89]).any()


def test_fit1_shapes_and_limits():
    # test_mpspline.R "mpspline_fit1": 0-20-30-50-70 cm, 6 4 3 10, vhigh 14, vlow 0
    upper, lower, values = [0, 20, 30, 50], [20, 30, 50, 70], [6, 4, 3, 10]
    grid = depth.spline_1cm(
        _coef(upper, lower, values),
        np.asarray([upper], float),
        np.asarray([lower], float),
        depth_cm=200,
        vhigh=14,
    )
    assert np.isnan(grid).sum() == 130 and np.nanmax(grid) <= 14 and np.nanmin(grid) >= 0
    mean, _, _ = _one(upper, lower, values, vhigh=14)
    assert np.isnan(mean).sum() == 1
    short, _, _ = _one(upper, lower, values, targets=((0, 5), (5, 15), (15, 30)), vhigh=14)
    np.testing.assert_allclose(short[0], mean[0, :3])  # deeper than max(d): truncate
    gaps, _, _ = _one([0, 30, 50], [20, 50, 70], [6, 3, 10], vhigh=14)
    assert np.isnan(gaps).sum() == 1
    below = _coef([20, 30, 50], [30, 50, 70], [4, 3, 10])
    g = depth.spline_1cm(
        below, np.asarray([[20, 30, 50]], float), np.asarray([[30, 50, 70]], float), depth_cm=100
    )
    assert np.isnan(g[0, :20]).all() and np.isnan(g[0, 70:]).all()  # no extrapolation


def test_vectorised_matches_reference_on_mpspline2_examples():
    for upper, lower, values in (README_DEPTHS, RMSE_DEPTHS, PR7_DEPTHS, EST1_DEPTHS):
        mean, _, s_bar = _one(upper, lower, values)
        ref = mpspline_one(upper, lower, values)
        np.testing.assert_allclose(mean[0], ref["est_dcm"], atol=1e-12, equal_nan=True)
        np.testing.assert_allclose(s_bar, ref["est_icm"], atol=1e-12)


# ---------------------------------------------------------------- mpspline2 bugs not copied
def test_single_horizon_goes_to_every_interval_it_overlaps():
    # 20-40 cm, value 4: overlaps 15-30 (10 of 15 cm) and 30-60 (10 of 30 cm).
    mean, coverage, s_bar = _one([20], [40], [4.0])
    np.testing.assert_array_equal(np.isnan(mean[0]), [True, True, False, False, True, True])
    assert mean[0, 2] == 4.0 and mean[0, 3] == 4.0 and s_bar[0] == 4.0
    np.testing.assert_allclose(coverage[0], [0, 0, 10 / 15, 10 / 30, 0, 0])
    buggy = mpspline_one([20], [40], [4.0], mpspline2_bugs=True)["est_dcm"]
    assert math.isnan(buggy[2]) and buggy[3] == 4.0  # mpspline2 drops 15-30 cm


def test_single_horizon_deepest_boundary_issue_12():
    # obrl-soil/mpspline2 issue #12: one horizon 60-80 cm, d = c(0, 80) -> wrong length.
    mean, coverage, _ = _one([60], [80], [1.0], targets=((0, 80),))
    assert mean.shape == (1, 1) and mean[0, 0] == 1.0 and coverage[0, 0] == 0.25
    buggy = mpspline_one([60], [80], [1.0], d=(0, 80), mpspline2_bugs=True)["est_dcm"]
    assert math.isnan(buggy[0])  # mpspline2 leaves 0-80 cm empty (and appends an extra value)


def test_fractional_bottom_does_not_leak_below_data():
    upper, lower, values = [0, 30, 60], [30, 60, 99.5], [10.0, 8.0, 5.0]
    mean, coverage, _ = _one(upper, lower, values)
    assert math.isnan(mean[0, 5]) and coverage[0, 5] == 0.0  # 100-200 cm has no data
    assert coverage[0, 4] == 1.0  # slice tops 60..99 lie inside the data (99 < 99.5)
    buggy = mpspline_one(upper, lower, values, mpspline2_bugs=True)["est_dcm"]
    assert not math.isnan(buggy[5])  # mpspline2 recycles a 1-cm value into 100-200 cm


def test_non_integer_spline_targets_are_refused():
    with pytest.raises(ValueError, match="whole"):
        _one([0], [10], [1.0], targets=((0, 2.5),))


# ---------------------------------------------------------------- overlap splitting by hand
def _split(upper, lower, stock, targets=depth.IPCC_INTERVALS):
    n = len(stock)
    return depth.overlap_split(
        np.zeros(n, int),
        np.asarray(upper, float),
        np.asarray(lower, float),
        np.asarray(stock, float),
        targets=targets,
    )


def test_overlap_contiguous_horizons():
    # 0-20 cm 40 t/ha, 20-50 cm 60 t/ha: 0-30 = 40 + 60 x 10/30 = 60; 30-100 = 60 x 20/30 = 40.
    stock, coverage = _split([0, 20], [20, 50], [40, 60])
    np.testing.assert_allclose(stock[0], [60, 40])
    np.testing.assert_allclose(coverage[0], [1, 20 / 70])


def test_overlap_with_gap_and_deep_horizon():
    # 0-10 cm 10, 20-40 cm 20, 80-120 cm 40: 0-30 = 10 + 20 x 10/20 = 20 (covered 20 of 30);
    # 30-100 = 20 x 10/20 + 40 x 20/40 = 30 (covered 10 + 20 = 30 of 70).
    stock, coverage = _split([0, 20, 80], [10, 40, 120], [10, 20, 40])
    np.testing.assert_allclose(stock[0], [20, 30])
    np.testing.assert_allclose(coverage[0], [2 / 3, 3 / 7])


def test_overlap_uncovered_interval_is_nan_not_zero():
    stock, coverage = _split([0], [20], [30])
    assert stock[0, 0] == 30 * 20 / 20 and math.isnan(stock[0, 1]) and coverage[0, 1] == 0


# ---------------------------------------------------------------- cleaning, reported
def test_clean_horizons_reports_every_action():
    frame = pd.DataFrame(
        {
            "profile_id": ["A", "A", "A", "B", "B", "C", "C", "D", "D"],
            "year": 2020,
            "upper_cm": [-8, -3, 5, 10, 0, 0, 10, 0, 30],
            "lower_cm": [-3, 5, 20, 10, 30, 20, 30, 20, 20],
            "row": range(9),
        }
    )
    kept, cleaning = depth.clean_horizons(frame)
    actions = dict(zip(cleaning["row"], cleaning["action"], strict=True))
    assert actions == {
        0: "dropped_organic_above_surface",
        1: "clipped_negative_upper",
        3: "dropped_zero_thickness",
        5: "dropped_profile_overlapping_horizons",
        6: "dropped_profile_overlapping_horizons",
        8: "dropped_inverted_depth",
    }
    assert kept["row"].tolist() == [1, 2, 4, 7]
    assert kept["upper_cm"].tolist() == [0, 5, 0, 0]


# ---------------------------------------------------------------- properties
@st.composite
def profiles(draw, max_profiles=6, max_horizons=7):
    """Random batches of cleaned profiles (integer depths, optional gaps)."""
    rows = []
    for p in range(draw(st.integers(1, max_profiles))):
        top = draw(st.integers(0, 20))
        for _ in range(draw(st.integers(1, max_horizons))):
            top += draw(st.sampled_from([0, 0, 0, 5]))  # sometimes a gap
            bottom = top + draw(st.integers(1, 40))
            rows.append((p, top, bottom, draw(st.floats(0.1, 50.0))))
            top = bottom
    p, u, lo, v = (np.asarray(c) for c in zip(*rows, strict=True))
    return p.astype(int), u.astype(float), lo.astype(float), v.astype(float)


@settings(max_examples=60, deadline=None)
@given(profiles())
def test_overlap_conserves_mass_exactly(batch):
    profile, upper, lower, stock = batch
    targets = ((0, 5), (5, 30), (30, 100), (100, 400))  # a partition covering every horizon
    split, coverage = depth.overlap_split(profile, upper, lower, stock, targets=targets)
    totals = np.bincount(profile, weights=stock)
    np.testing.assert_allclose(np.nansum(split, axis=1), totals, rtol=1e-12)
    assert ((coverage >= 0) & (coverage <= 1 + 1e-12)).all()
    for p in range(profile.max() + 1):
        ref, cov = overlap_one(
            upper[profile == p], lower[profile == p], stock[profile == p], targets
        )
        np.testing.assert_allclose(split[p], ref, rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(coverage[p], cov, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(profiles())
def test_spline_fitted_means_preserve_total_and_shrink_towards_mean(batch):
    """Z is symmetric with Z 1 = 1, so sum(s_bar) = sum(y) and |s_bar - y| <= |y - mean(y)|."""
    profile, upper, lower, values = batch
    _, _, s_bar = depth.spline_intervals(profile, upper, lower, values)
    for p in range(profile.max() + 1):
        y, s = values[profile == p], s_bar[profile == p]
        assert s.sum() == pytest.approx(y.sum(), rel=1e-9)
        assert np.linalg.norm(s - y) <= np.linalg.norm(y - y.mean()) * (1 + 1e-9) + 1e-12


@settings(max_examples=40, deadline=None)
@given(profiles(max_profiles=3))
def test_spline_horizon_means_within_stated_tolerance(batch):
    """1-cm horizon means vs fitted means: exact difference -(b0 + b1)/4 + gamma/6.

    For a horizon of whole-cm thickness th, the mean of f(u), ..., f(u + th - 1) minus the
    analytic mean alfa + b0 th/2 + gamma th^2/3 (= s_bar) is -b0/2 + gamma (1 - 3 th)/6,
    which equals -(b0 + b1)/4 + gamma/6 because gamma th = (b1 - b0)/2. Stated tolerance:
    |difference| <= (|b0| + |b1|)/4 + |gamma|/6 (no clamping: vlow=-inf, vhigh=inf).
    With lam -> 0 the fitted means equal the inputs (mass preserving).
    """
    profile, upper, lower, values = batch
    for p in range(profile.max() + 1):
        u, lo, y = upper[profile == p], lower[profile == p], values[profile == p]
        coef = depth.spline_coefficients(u[None], lo[None], y[None])
        grid = depth.spline_1cm(
            coef, u[None], lo[None], depth_cm=int(lo.max()), vlow=-np.inf, vhigh=np.inf
        )[0]
        b0, b1, gamma = coef["b0"][0], coef["b1"][0], coef["gamma"][0]
        for i in range(len(y)):
            mean_1cm = grid[int(u[i]) : int(lo[i])].mean()
            expected = coef["s_bar"][0, i] - (b0[i] + b1[i]) / 4 + gamma[i] / 6
            assert mean_1cm == pytest.approx(expected, abs=1e-9)
            bound = (abs(b0[i]) + abs(b1[i])) / 4 + abs(gamma[i]) / 6
            assert abs(mean_1cm - coef["s_bar"][0, i]) <= bound + 1e-9
        exact = depth.spline_coefficients(u[None], lo[None], y[None], lam=1e-12)["s_bar"][0]
        np.testing.assert_allclose(exact, y, rtol=1e-6)


@settings(max_examples=40, deadline=None)
@given(profiles())
def test_vectorised_spline_matches_per_profile_reference(batch):
    profile, upper, lower, values = batch
    mean, _, s_bar = depth.spline_intervals(profile, upper, lower, values)
    for p in range(profile.max() + 1):
        sel = profile == p
        ref = mpspline_one(upper[sel], lower[sel], values[sel])
        np.testing.assert_allclose(mean[p], ref["est_dcm"], rtol=1e-9, atol=1e-9, equal_nan=True)
        np.testing.assert_allclose(s_bar[sel], ref["est_icm"], rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------- chunked evaluation
def _mixed_profiles():
    """Six profiles, shuffled: 1 to 4 horizons, gaps, fractional depths, one with no horizons."""
    horizons = [  # (profile, upper, lower, value)
        (0, 0, 10, 6.0), (0, 20, 30, 4.0), (0, 40, 50, 3.0), (0, 60, 70, 10.0),
        (1, 5, 35, 12.0),
        (2, 0, 2, 13.0), (2, 2, 14, 7.0), (2, 14, 49.5, 9.0),
        # profile 3 has no horizons
        (4, 0.5, 12.5, 2.0), (4, 12.5, 40, 1.0), (4, 55, 150, 0.5), (4, 150, 230, 0.1),
        (5, 10, 20, 8.0), (5, 20, 45, 5.0),
    ]  # fmt: skip
    order = np.random.default_rng(3).permutation(len(horizons))
    profile, upper, lower, values = (np.asarray(c, float) for c in zip(*horizons, strict=True))
    return profile.astype(int)[order], upper[order], lower[order], values[order]


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_chunked_spline_equals_unchunked(chunk):
    profile, upper, lower, values = _mixed_profiles()
    whole = depth.spline_intervals(profile, upper, lower, values, chunk_profiles=len(profile))
    parts = depth.spline_intervals(profile, upper, lower, values, chunk_profiles=chunk)
    for expected, got in zip(whole, parts, strict=True):
        np.testing.assert_array_equal(got, expected)
    assert np.isnan(whole[0][3]).all()  # the profile without horizons
    for p in (0, 1, 2, 4, 5):
        sel = np.flatnonzero(profile == p)
        sel = sel[np.argsort(upper[sel])]
        ref = mpspline_one(upper[sel], lower[sel], values[sel], d=GSM)
        np.testing.assert_allclose(whole[0][p], ref["est_dcm"], rtol=1e-9, equal_nan=True)
        np.testing.assert_allclose(whole[2][sel], ref["est_icm"], rtol=1e-9)


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_chunked_spline_stocks_equal_unchunked(chunk, monkeypatch):
    profile, upper, lower, values = _mixed_profiles()
    stock = values * (lower - upper)
    whole = depth.spline_stocks(profile, upper, lower, stock, targets=GSM_TARGETS)
    monkeypatch.setattr(depth, "SPLINE_CHUNK_PROFILES", chunk)
    parts = depth.spline_stocks(profile, upper, lower, stock, targets=GSM_TARGETS)
    for expected, got in zip(whole, parts, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_chunk_size_must_be_positive():
    profile, upper, lower, values = _mixed_profiles()
    with pytest.raises(ValueError, match="chunk_profiles"):
        depth.spline_intervals(profile, upper, lower, values, chunk_profiles=0)


GSM_TARGETS = tuple(zip(GSM[:-1], GSM[1:], strict=True))
