"""Depth harmonisation of soil horizons: input cleaning, overlap splitting, equal-area spline.

Two methods bring horizon data to standard depth intervals (submission format v1,
``inventory.harmonise.depth``):

* **Overlap splitting** (default for IPCC 0-30 cm and 30-100 cm): a horizon's stock is shared
  among target intervals in proportion to the overlapping thickness (uniform carbon density
  within a horizon). The stocks of all horizons are conserved exactly when the targets cover
  the profile; each interval reports the fraction of its thickness covered by horizons.
* **Mass-preserving equal-area quadratic spline** of Bishop, McBratney & Laslett (1999),
  Geoderma 91:27-45, doi:10.1016/S0016-7061(99)00003-8, as implemented in the R package
  mpspline2 (O'Brien et al., https://github.com/obrl-soil/mpspline2, ``R/mpspline.R``):
  lambda 0.1 with depths in cm, evaluation at the top of every 1-cm slice (0-indexed, as
  splinetool.exe and mpspline2 do), linear infill across gaps, values clamped to
  ``[vlow, vhigh]``, interval values = mean of the 1-cm values with data, no extrapolation
  above the first or below the last horizon. Two mpspline2 defects are *not* reproduced:
  a single-horizon profile is assigned to every interval it overlaps (mpspline2 0.1.x picks
  intervals by ``d >= ud & d <= ld`` on the boundaries, so a 20-40 cm horizon lands in 30-60
  only; see also obrl-soil/mpspline2 issue #12), and a fractional bottom depth no longer
  recycles 1-cm values into 100-200 cm (mpspline2 pads with ``rep(length.out = max(d))`` and
  then blanks ``(nj + 1):md``, which skips the last index when ``nj`` is fractional). Here a
1-cm slice has data when its top ``k`` satisfies ``first upper <= k < last lower``, for whole
and fractional depths alike (mpspline2 stops at ``floor(max lower) - 1`` for fractional ones).

The spline is vectorised and streamed: profiles are taken in chunks of
:data:`SPLINE_CHUNK_PROFILES` (never splitting a profile), each chunk is batched by horizon count,
every batch's tridiagonal systems are solved together (one Thomas sweep across the batch), and
the 1-cm values are evaluated only for the slices with data, so memory grows with the chunk, not
with the number of profiles.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

IPCC_INTERVALS = ((0, 30), (30, 100))
GSM_INTERVALS = ((0, 5), (5, 15), (15, 30), (30, 60), (60, 100), (100, 200))  # GlobalSoilMap
SPLINE_LAMBDA = 0.1  # mpspline2 default smoothing parameter (depths in cm)
SPLINE_CHUNK_PROFILES = 16384  # profiles per chunk: ~16 k x ~200 slices x 8 B = 26 MB per array

CLEANING_COLUMNS = ["profile_id", "row", "action", "detail"]


# --------------------------------------------------------------------------- input cleaning
def clean_horizons(
    horizons: pd.DataFrame, *, profile_keys: Sequence[str] = ("profile_id", "year")
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Horizons with usable depths [cm], and a report of every horizon removed or repaired.

    Parameters
    ----------
    horizons : pandas.DataFrame
        Needs ``upper_cm`` and ``lower_cm`` [cm, positive downwards from the mineral surface],
        the ``profile_keys`` columns, ``profile_id`` and a ``row`` column (the submitted row
        number).
    profile_keys : sequence of str, default ("profile_id", "year")
        Columns identifying one profile.

    Returns
    -------
    kept : pandas.DataFrame
        The kept horizons sorted by profile and depth.
    cleaning : pandas.DataFrame
        One row per action, columns ``profile_id, row, action, detail``.

    Notes
    -----
    Actions, in order:

    1. missing depth: dropped;
    2. horizon entirely above the mineral surface, i.e. an organic layer with negative
       depths (lower depth <= 0): dropped, because litter and forest floor are dead organic
       matter ([1]_ Sec. 2.3.2), not the mineral soil of Sec. 2.3.3;
    3. horizon straddling the surface: upper depth clipped to 0 cm;
    4. zero thickness: dropped;
    5. inverted depths: dropped;
    6. overlapping horizons: the whole profile is dropped, as in mpspline2 [2]_, because which
       measurement to keep is the submitter's decision.

    References
    ----------
    .. [1] IPCC (2006). 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 4,
       Ch. 2, Sec. 2.3.2 (dead organic matter) and Sec. 2.3.3 (soil carbon).
    .. [2] O'Brien, L. et al. mpspline2: Mass-Preserving Spline Functions for Soil Data (R
       package), https://github.com/obrl-soil/mpspline2.
    """
    keys = list(profile_keys)
    actions: list[pd.DataFrame] = []
    frame = _drop(horizons.copy(), _SURFACE_RULES, actions)
    straddle = frame["upper_cm"] < 0
    actions.append(_actions(frame[straddle], "clipped_negative_upper", "upper depth set to 0 cm"))
    frame.loc[straddle, "upper_cm"] = 0.0
    frame = _drop(frame, _THICKNESS_RULES, actions)
    frame = frame.sort_values([*keys, "upper_cm", "lower_cm"], kind="stable")
    overlap = _overlapping_profiles(frame, keys)
    actions.append(
        _actions(
            frame[overlap],
            "dropped_profile_overlapping_horizons",
            "horizons of this profile overlap; fix depths and resubmit",
        )
    )
    cleaning = pd.concat(actions, ignore_index=True).sort_values("row", kind="stable")
    return frame[~overlap].reset_index(drop=True), cleaning.reset_index(drop=True)


_SURFACE_RULES = (
    ("dropped_missing_depth", lambda f: f["upper_cm"].isna() | f["lower_cm"].isna(),
     "upper or lower depth missing"),
    ("dropped_organic_above_surface", lambda f: f["lower_cm"] <= 0,
     "horizon above the mineral surface"),
)  # fmt: skip
_THICKNESS_RULES = (
    ("dropped_zero_thickness", lambda f: f["lower_cm"] == f["upper_cm"],
     "upper depth equals lower depth"),
    ("dropped_inverted_depth", lambda f: f["lower_cm"] < f["upper_cm"],
     "upper depth below lower depth"),
)  # fmt: skip


def _drop(frame: pd.DataFrame, rules: tuple, actions: list[pd.DataFrame]) -> pd.DataFrame:
    """Apply (action, rule, text) rules in order, recording the rows each one drops."""
    for action, rule, text in rules:
        mask = rule(frame)
        actions.append(_actions(frame[mask], action, text))
        frame = frame[~mask]
    return frame


def _actions(rows: pd.DataFrame, action: str, text: str) -> pd.DataFrame:
    detail = (
        text
        + " ("
        + rows["upper_cm"].astype("string").fillna("NA")
        + "-"
        + rows["lower_cm"].astype("string").fillna("NA")
        + " cm)"
    )
    return pd.DataFrame(
        {
            "profile_id": rows["profile_id"].to_numpy(),
            "row": rows["row"].to_numpy(),
            "action": action,
            "detail": detail.to_numpy(),
        },
        columns=CLEANING_COLUMNS,
    )


def _overlapping_profiles(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Boolean per row: its profile has a horizon starting above the previous one's bottom."""
    previous_lower = frame.groupby(keys, sort=False, dropna=False)["lower_cm"].shift()
    starts_inside = (frame["upper_cm"] < previous_lower).to_numpy()
    group = frame.groupby(keys, sort=False, dropna=False).ngroup().to_numpy()
    bad_groups = np.unique(group[starts_inside])
    return np.isin(group, bad_groups)


# --------------------------------------------------------------------------- overlap splitting
def overlap_thickness(
    upper_cm: np.ndarray, lower_cm: np.ndarray, targets: Sequence[tuple[float, float]]
) -> np.ndarray:
    """Thickness [cm] of each horizon inside each target interval.

    Parameters
    ----------
    upper_cm, lower_cm : numpy.ndarray
        Horizon depths [cm], shape (N,).
    targets : sequence of (float, float)
        (top, bottom) of each target interval [cm].

    Returns
    -------
    numpy.ndarray
        Shape (N, T): max(0, min(lower, bottom) - max(upper, top)) [cm].
    """
    bounds = np.asarray(targets, dtype="float64")
    top = np.maximum(upper_cm[:, None], bounds[None, :, 0])
    bottom = np.minimum(lower_cm[:, None], bounds[None, :, 1])
    return np.clip(bottom - top, 0.0, None)


def overlap_split(
    profile: np.ndarray,
    upper_cm: np.ndarray,
    lower_cm: np.ndarray,
    stock: np.ndarray,
    *,
    targets: Sequence[tuple[float, float]] = IPCC_INTERVALS,
    n_profiles: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Stocks of target depth intervals [unit of ``stock``] by overlap depth weighting.

    Parameters
    ----------
    profile : numpy.ndarray of int
        Profile index (0..P-1) of every horizon, shape (N,).
    upper_cm, lower_cm : numpy.ndarray of float
        Horizon depths [cm], cleaned (no overlaps; :func:`clean_horizons`), shape (N,).
    stock : numpy.ndarray of float
        Horizon stock (any extensive quantity, e.g. [t C ha-1]), shape (N,).
    targets : sequence of (float, float), default IPCC_INTERVALS
        (top, bottom) pairs [cm]; default 0-30 and 30-100 cm.
    n_profiles : int, optional
        P, the number of profiles [count] (default: largest index + 1).

    Returns
    -------
    interval_stock : numpy.ndarray
        Shape (P, T), in the unit of ``stock``; NaN where no horizon overlaps the interval
        (never a silent zero).
    coverage : numpy.ndarray
        Shape (P, T), covered thickness / interval thickness [0-1].

    Notes
    -----
    Uniform carbon density within a horizon: a horizon's stock is shared among the target
    intervals in proportion to the overlapping thickness,

    .. math:: S_{p,t} = \sum_{h \in p} S_h \,
        \frac{\max(0, \min(l_h, b_t) - \max(u_h, a_t))}{l_h - u_h}

    for horizon h with depths [u_h, l_h] and target [a_t, b_t]. The stocks of all horizons
    are conserved exactly when the targets cover the profile.
    """
    n = int(profile.max()) + 1 if n_profiles is None else n_profiles
    overlap = overlap_thickness(upper_cm, lower_cm, targets)
    share = stock[:, None] * overlap / (lower_cm - upper_cm)[:, None]
    bounds = np.asarray(targets, dtype="float64")
    interval = np.empty((n, len(bounds)))
    covered = np.empty((n, len(bounds)))
    for t in range(len(bounds)):  # loop over target intervals only (2 or 6)
        interval[:, t] = np.bincount(profile, weights=share[:, t], minlength=n)
        covered[:, t] = np.bincount(profile, weights=overlap[:, t], minlength=n)
    coverage = covered / (bounds[:, 1] - bounds[:, 0])[None, :]
    return np.where(covered > 0, interval, np.nan), coverage


# --------------------------------------------------------------------------- equal-area spline
def spline_coefficients(
    upper_cm: np.ndarray, lower_cm: np.ndarray, values: np.ndarray, *, lam: float = SPLINE_LAMBDA
) -> dict[str, np.ndarray]:
    r"""Mass-preserving (equal-area quadratic) spline coefficients of profiles with n horizons.

    Parameters
    ----------
    upper_cm, lower_cm : numpy.ndarray
        Horizon depths [cm], shape (P, n), sorted, no overlaps.
    values : numpy.ndarray
        Horizon means of the property [any unit], shape (P, n).
    lam : float, default 0.1
        Smoothing parameter lambda [-] (larger is smoother; 0.1 for depths in cm, the
        mpspline2 default).

    Returns
    -------
    dict of numpy.ndarray
        (P, n) arrays ``s_bar`` (fitted horizon means) [unit of ``values``], ``b0``, ``b1``
        (slopes at the top and bottom of each horizon) [unit cm-1], ``gamma`` [unit cm-2] and
        ``alfa`` [unit].

    Notes
    -----
    Eqs. 7-11 of [1]_ (applied to soil carbon by [2]_) as coded in mpspline2
    ``mpspline_est1`` [3]_. With thickness :math:`th_i`, gaps :math:`gp_i` between horizons,
    R the (n-1) x (n-1) tridiagonal matrix with diagonal :math:`2 th_i + 2 th_{i+1} + 6 gp_i`
    and off-diagonal :math:`th_{i+1}`, Q the (n-1) x n difference matrix and y the horizon
    values:

    .. math::

        Z = I + 6 n \lambda Q^T R^{-1} Q, \qquad \bar{s} = Z^{-1} y, \qquad
        b = 6 R^{-1} Q \bar{s}

        f(x) = \alpha_i + b_{0,i} (x - u_i) + \gamma_i (x - u_i)^2
        \quad \text{in horizon } i

    with :math:`b_0` = (0, b), :math:`b_1` = (b, 0), :math:`\gamma_i = (b_{1,i} - b_{0,i}) /
    (2 th_i)` and :math:`\alpha_i = \bar{s}_i - b_{0,i} th_i / 2 - \gamma_i th_i^2 / 3`, so
    that the mean of f over each horizon is :math:`\bar{s}_i`. A single horizon is its own
    (constant) spline.

    References
    ----------
    .. [1] Bishop, T.F.A., McBratney, A.B. and Laslett, G.M. (1999). Modelling soil attribute
       depth functions with equal-area quadratic smoothing splines. Geoderma 91, 27-45,
       doi:10.1016/S0016-7061(99)00003-8.
    .. [2] Malone, B.P., McBratney, A.B., Minasny, B. and Laslett, G.M. (2009). Mapping
       continuous depth functions of soil carbon storage and available water capacity.
       Geoderma 154, 138-152, doi:10.1016/j.geoderma.2009.10.007.
    .. [3] O'Brien, L. et al. mpspline2: Mass-Preserving Spline Functions for Soil Data (R
       package), https://github.com/obrl-soil/mpspline2, ``R/mpspline.R``.
    """
    p, n = values.shape
    th = lower_cm - upper_cm
    if n == 1:  # a single horizon is its own (constant) spline
        zero = np.zeros_like(values)
        return {
            "s_bar": values.copy(),
            "b0": zero,
            "b1": zero,
            "gamma": zero,
            "alfa": values.copy(),
        }
    nb = n - 1
    gp = upper_cm[:, 1:] - lower_cm[:, :-1]
    r = np.zeros((p, nb, nb))
    idx = np.arange(nb)
    r[:, idx, idx] = 2 * th[:, 1:] + 2 * th[:, :-1] + 6 * gp
    r[:, idx[:-1], idx[1:]] = th[:, 1:nb]
    r[:, idx[1:], idx[:-1]] = th[:, 1:nb]
    q = np.zeros((nb, n))
    q[idx, idx], q[idx, idx + 1] = -1.0, 1.0
    r_inv_q = np.linalg.solve(r, np.broadcast_to(q, (p, nb, n)))
    z = np.eye(n) + 6 * n * lam * (q.T @ r_inv_q)
    s_bar = np.linalg.solve(z, values[..., None])[..., 0]
    b = 6 * (r_inv_q @ s_bar[..., None])[..., 0]
    b0 = np.concatenate([np.zeros((p, 1)), b], axis=1)
    b1 = np.concatenate([b, np.zeros((p, 1))], axis=1)
    gamma = (b1 - b0) / (2 * th)
    alfa = s_bar - b0 * th / 2 - gamma * th**2 / 3
    return {"s_bar": s_bar, "b0": b0, "b1": b1, "gamma": gamma, "alfa": alfa}


def spline_1cm(
    coef: dict[str, np.ndarray],
    upper_cm: np.ndarray,
    lower_cm: np.ndarray,
    *,
    depth_cm: int,
    vlow: float = 0.0,
    vhigh: float = 1000.0,
) -> np.ndarray:
    """Spline values at the top of each 1-cm slice 0..depth_cm-1 [unit of the property].

    Parameters
    ----------
    coef : dict of numpy.ndarray
        Output of :func:`spline_coefficients` for the same profiles.
    upper_cm, lower_cm : numpy.ndarray
        Horizon depths [cm], shape (P, n).
    depth_cm : int
        Number of 1-cm slices to evaluate [cm].
    vlow, vhigh : float, default 0 and 1000
        Lower and upper clamp of the values [unit of the property] (mpspline2 defaults).

    Returns
    -------
    numpy.ndarray
        Shape (P, depth_cm), value at depth k = 0, 1, ... [cm] (top of each slice).

    Notes
    -----
    The spline of [1]_ (:func:`spline_coefficients`) at whole-cm depths. NaN above the first
    horizon and at or below the bottom of the last one (mpspline2 does not extrapolate); in a
    gap the value is linear with the slope at the bottom of the horizon above and meets the
    next horizon's top value (mpspline2 ``mpspline_fit1`` [2]_). Clamped to ``[vlow, vhigh]``.

    References
    ----------
    .. [1] Bishop, T.F.A., McBratney, A.B. and Laslett, G.M. (1999). Modelling soil attribute
       depth functions with equal-area quadratic smoothing splines. Geoderma 91, 27-45,
       doi:10.1016/S0016-7061(99)00003-8.
    .. [2] O'Brien, L. et al. mpspline2: Mass-Preserving Spline Functions for Soil Data (R
       package), https://github.com/obrl-soil/mpspline2, ``R/mpspline.R``.
    """
    grid, valid = _spline_grid(coef, upper_cm, lower_cm, depth_cm, vlow, vhigh)
    return np.where(valid, grid, np.nan)


def _segment_polynomials(
    coef: dict[str, np.ndarray], upper: np.ndarray, lower: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Polynomials of the 2n-1 horizon and gap segments and the 2n-2 edges between them.

    Returns
    -------
    poly : numpy.ndarray
        Shape (P, 2n-1, 3), coefficients ``c0, c1, c2`` of ``c0 + c1 k + c2 k^2`` in absolute
        depth k [cm]; horizons at even, gaps at odd positions.
    edges : numpy.ndarray
        Shape (P, 2n-2), depths [cm] where one segment ends and the next begins.
    """
    p, n = upper.shape
    a, b0, b1, g = coef["alfa"], coef["b0"], coef["b1"], coef["gamma"]
    poly = np.zeros((p, 2 * n - 1, 3))
    poly[:, 0::2] = np.stack([a - b0 * upper + g * upper**2, b0 - 2 * g * upper, g], axis=-1)
    poly[:, 1::2, 0] = a[:, 1:] - b1[:, :-1] * upper[:, 1:]  # gap: meets the next top value
    poly[:, 1::2, 1] = b1[:, :-1]  # with the slope at the bottom of the horizon above
    edges = np.empty((p, 2 * n - 2))
    edges[:, 0::2], edges[:, 1::2] = lower[:, :-1], upper[:, 1:]
    return poly, edges


def _interval_sums(
    coef: dict[str, np.ndarray],
    upper: np.ndarray,
    lower: np.ndarray,
    bounds: np.ndarray,
    vlow: float,
    vhigh: float,
) -> np.ndarray:
    """Sums of the clamped 1-cm values with data in each target interval, shape (P, T).

    Only the slices with data (``first upper <= k < last lower``, k < the deepest target) are
    evaluated: they are laid out profile after profile in one flat array, each segment's
    polynomial repeated over its slices (a segment's slices start at the first whole cm at or
    below its top edge, as in :func:`_spline_grid`). One ``add.reduceat`` sums the runs between
    consecutive target boundaries of every profile; an interval is the sum of its runs (one run
    when the targets do not overlap). Intervals without data get 0 (their slice count is 0).
    """
    p, n = upper.shape
    depth_cm = int(bounds[:, 1].max())
    poly, edges = _segment_polynomials(coef, upper, lower)
    start = np.clip(np.ceil(upper[:, 0]), 0, depth_cm).astype(np.intp)
    stop = np.clip(np.ceil(lower[:, -1]), start, depth_cm).astype(np.intp)
    cuts = np.clip(np.sort(np.ceil(edges), axis=1), start[:, None], stop[:, None])
    cuts = np.concatenate([start[:, None], cuts.astype(np.intp), stop[:, None]], axis=1)
    slices = np.diff(cuts, axis=1).ravel()  # slices per segment
    cells = stop - start
    offset = np.concatenate([[0], np.cumsum(cells)])
    k = np.arange(offset[-1], dtype=np.intp) - np.repeat(offset[:-1] - start, cells)
    depth = k.astype("float64")
    c = poly.reshape(-1, 3)
    value = np.repeat(c[:, 0], slices) + depth * (
        np.repeat(c[:, 1], slices) + depth * np.repeat(c[:, 2], slices)
    )
    value = np.append(np.clip(value, vlow, vhigh), 0.0)  # a last cell for runs ending at the end
    breaks = np.unique(bounds)  # every target top and bottom, sorted
    cut = (
        offset[:-1, None] + np.clip(breaks[None, :], start[:, None], stop[:, None]) - start[:, None]
    )
    pieces = np.add.reduceat(value, cut.ravel()).reshape(p, len(breaks))[:, :-1]
    pieces = np.where(cut[:, 1:] > cut[:, :-1], pieces, 0.0)  # reduceat gives a cell, not 0
    sums = np.empty((p, len(bounds)))
    for t, (top, bottom) in enumerate(bounds):
        inside = np.flatnonzero((breaks[:-1] >= top) & (breaks[1:] <= bottom))
        sums[:, t] = pieces[:, inside[0]] if len(inside) == 1 else pieces[:, inside].sum(axis=1)
    return sums


def _spline_grid(
    coef: dict[str, np.ndarray],
    upper: np.ndarray,
    lower: np.ndarray,
    depth_cm: int,
    vlow: float,
    vhigh: float,
) -> tuple[np.ndarray, np.ndarray]:
    """1-cm values (0 where invalid) and the validity mask, by piecewise polynomials.

    Horizons and gaps alternate as 2n-1 segments, each a polynomial ``c0 + c1 k + c2 k^2`` in
    absolute depth ``k``; a slice's segment is the number of segment boundaries at or above
    it, counted with one ``bincount`` + ``cumsum`` instead of a comparison per horizon.
    """
    p, n = upper.shape
    poly, edges = _segment_polynomials(coef, upper, lower)
    first = np.minimum(np.ceil(edges), depth_cm).astype(np.intp)  # first slice past an edge
    flat = (np.arange(p)[:, None] * (depth_cm + 1) + first).ravel()
    steps = np.bincount(flat, minlength=p * (depth_cm + 1)).reshape(p, depth_cm + 1)
    segment = np.cumsum(steps[:, :depth_cm], axis=1) + (np.arange(p) * (2 * n - 1))[:, None]
    k = np.arange(depth_cm, dtype="float64")[None, :]
    c = poly.reshape(-1, 3)
    value = np.take(c[:, 0], segment) + k * (
        np.take(c[:, 1], segment) + k * np.take(c[:, 2], segment)
    )
    valid = (k >= upper[:, :1]) & (k < lower[:, -1:])
    return np.where(valid, np.clip(value, vlow, vhigh), 0.0), valid


def spline_intervals(
    profile: np.ndarray,
    upper_cm: np.ndarray,
    lower_cm: np.ndarray,
    values: np.ndarray,
    *,
    targets: Sequence[tuple[float, float]] = GSM_INTERVALS,
    lam: float = SPLINE_LAMBDA,
    vlow: float = 0.0,
    vhigh: float = 1000.0,
    n_profiles: int | None = None,
    chunk_profiles: int | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean of a mass-preserving spline over target depth intervals [unit of the property].

    Parameters
    ----------
    profile : numpy.ndarray of int
        Profile index 0..P-1 of every horizon, shape (N,).
    upper_cm, lower_cm : numpy.ndarray of float
        Cleaned horizon depths [cm], shape (N,).
    values : numpy.ndarray of float
        Horizon means of the property [any unit], shape (N,).
    targets : sequence of (int, int), default GSM_INTERVALS
        (top, bottom) pairs in whole cm [cm] (the spline is evaluated per 1-cm slice);
        default the GlobalSoilMap intervals 0-5, 5-15, 15-30, 30-60, 60-100, 100-200 cm.
    lam : float, default 0.1
        Smoothing parameter lambda [-] (:func:`spline_coefficients`).
    vlow, vhigh : float, default 0 and 1000
        Clamp of the 1-cm values [unit of the property].
    n_profiles : int, optional
        P, the number of profiles [count] (default: largest index + 1).
    chunk_profiles : int, optional
        Profiles per chunk [count] (default :data:`SPLINE_CHUNK_PROFILES`); memory grows with
        the chunk. A profile is never split, and the result does not depend on the chunk size.

    Returns
    -------
    mean : numpy.ndarray
        Shape (P, T), mean of the 1-cm values with data in each interval (NaN without data).
    coverage : numpy.ndarray
        Shape (P, T), fraction of the interval's 1-cm slices that have data [0-1].
    s_bar : numpy.ndarray
        Shape (N,), fitted horizon means (mpspline2 ``est_icm``), in input order.

    Raises
    ------
    ValueError
        When targets are not (top, bottom) pairs of whole, non-negative cm with top < bottom,
        or ``chunk_profiles`` is not positive.

    Notes
    -----
    The spline of [1]_ (:func:`spline_coefficients`) is evaluated at the top of every 1-cm
    slice (0-indexed, as splinetool.exe and mpspline2 do), with linear infill across gaps and
    values clamped to ``[vlow, vhigh]``; the interval value is the mean of the 1-cm values with
    data, as in the standard-depth estimates of [2]_ and mpspline2 [3]_. A slice has data when
    its top k satisfies first upper <= k < last lower, for whole and fractional depths alike;
    there is no extrapolation above the first or below the last horizon. Departures from
    mpspline2 0.1.x (see the module docstring): a single-horizon profile is assigned to every
    interval it overlaps, and a fractional bottom depth does not recycle 1-cm values.

    References
    ----------
    .. [1] Bishop et al. (1999), Geoderma 91, 27-45 (in full: :func:`spline_coefficients`).
    .. [2] Malone et al. (2009), Geoderma 154, 138-152.
    .. [3] mpspline2 (R package), ``R/mpspline.R``.
    """
    bounds = _integer_targets(targets)
    n = int(profile.max()) + 1 if n_profiles is None else n_profiles
    chunk = SPLINE_CHUNK_PROFILES if chunk_profiles is None else chunk_profiles
    if chunk < 1:
        raise ValueError(f"chunk_profiles must be a positive count: {chunk_profiles!r}")
    order = _profile_order(profile, upper_cm)
    counts = np.bincount(profile, minlength=n)
    ends = np.cumsum(counts)
    sums = np.full((n, len(bounds)), np.nan)
    hits = np.zeros((n, len(bounds)))
    s_bar = np.empty(len(values))
    for first in range(0, n, chunk):  # whole profiles first..first+chunk-1
        part = slice(first, min(first + chunk, n))
        chunk_counts = counts[part]
        chunk_starts = ends[part] - chunk_counts
        for size in np.unique(chunk_counts[chunk_counts > 0]):  # one batch per horizon count
            local = np.flatnonzero(chunk_counts == size)
            members = first + local
            rows = order[chunk_starts[local][:, None] + np.arange(size)[None, :]]
            up, low = upper_cm[rows], lower_cm[rows]
            coef = spline_coefficients(up, low, values[rows], lam=lam)
            s_bar[rows] = coef["s_bar"]
            sums[members] = _interval_sums(coef, up, low, bounds, vlow, vhigh)
            hits[members] = _slices_with_data(up[:, 0], low[:, -1], bounds)
    width = (bounds[:, 1] - bounds[:, 0])[None, :]
    mean = np.where(hits > 0, sums / np.where(hits > 0, hits, 1), np.nan)
    return mean, hits / width, s_bar


def _profile_order(profile: np.ndarray, upper_cm: np.ndarray) -> np.ndarray:
    """Horizon indices sorted by profile, then upper depth (stable); no sort when already so."""
    same = profile[1:] == profile[:-1]
    if (profile[1:] >= profile[:-1]).all() and (upper_cm[1:][same] >= upper_cm[:-1][same]).all():
        return np.arange(len(profile))
    return np.lexsort((upper_cm, profile))


def spline_stocks(
    profile: np.ndarray,
    upper_cm: np.ndarray,
    lower_cm: np.ndarray,
    stock: np.ndarray,
    *,
    targets: Sequence[tuple[float, float]] = IPCC_INTERVALS,
    lam: float = SPLINE_LAMBDA,
    n_profiles: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Interval stocks [unit of ``stock``] from a mass-preserving spline of carbon density.

    Parameters
    ----------
    profile : numpy.ndarray of int
        Profile index 0..P-1 of every horizon, shape (N,).
    upper_cm, lower_cm : numpy.ndarray of float
        Cleaned horizon depths [cm], shape (N,).
    stock : numpy.ndarray of float
        Horizon stock, e.g. [t C ha-1], shape (N,).
    targets : sequence of (int, int), default IPCC_INTERVALS
        (top, bottom) pairs in whole cm [cm]; default 0-30 and 30-100 cm.
    lam : float, default 0.1
        Smoothing parameter lambda [-].
    n_profiles : int, optional
        P, the number of profiles [count] (default: largest index + 1).

    Returns
    -------
    interval_stock : numpy.ndarray
        Shape (P, T), stock of the covered part of each interval [unit of ``stock``]; NaN
        without data.
    coverage : numpy.ndarray
        Shape (P, T), fraction of the interval's 1-cm slices with data [0-1]; < 1 means a
        partial stock.

    Notes
    -----
    The horizon density :math:`\rho_h = S_h / (l_h - u_h)` (stock per cm, e.g.
    [t C ha-1 cm-1]) is splined with :func:`spline_intervals` ([1]_, [2]_, [3]_; lower limit 0,
    no upper limit) and the interval stock is the sum of the 1-cm densities with data times 1 cm:

    .. math:: S_t = \sum_{k \in t, \text{ data}} f(k) \times 1\ \text{cm}
        = \bar{f}_t \times c_t \times (b_t - a_t)

    with mean :math:`\bar{f}_t` and coverage :math:`c_t`. Unlike overlap splitting
    (:func:`overlap_split`) this is not exactly mass-conserving: smoothing (``lam`` > 0) moves
    mass between horizons, and in a horizon of whole-cm depths the mean of the 1-cm point
    values differs from the fitted horizon mean by :math:`-(b_0 + b_1)/4 + \gamma/6` [density
    unit] (see tests/test_depth.py).

    References
    ----------
    .. [1] Bishop et al. (1999), Geoderma 91, 27-45 (in full: :func:`spline_coefficients`).
    .. [2] Malone et al. (2009), Geoderma 154, 138-152.
    .. [3] mpspline2 (R package), ``R/mpspline.R``.
    """
    density = stock / (lower_cm - upper_cm)
    mean, coverage, _ = spline_intervals(
        profile,
        upper_cm,
        lower_cm,
        density,
        targets=targets,
        lam=lam,
        vlow=0.0,
        vhigh=np.inf,
        n_profiles=n_profiles,
    )
    width = np.asarray([b - t for t, b in targets], dtype="float64")[None, :]
    return mean * coverage * width, coverage


def _slices_with_data(top_cm: np.ndarray, bottom_cm: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Number of 1-cm slice tops k with top <= k < bottom inside each interval, (P, T)."""
    first = np.ceil(top_cm)[:, None]
    last = np.ceil(bottom_cm)[:, None]  # exclusive
    return np.clip(
        np.minimum(last, bounds[None, :, 1]) - np.maximum(first, bounds[None, :, 0]), 0, None
    )


def _integer_targets(targets: Sequence[tuple[float, float]]) -> np.ndarray:
    bounds = np.asarray(targets, dtype="float64")
    if bounds.ndim != 2 or bounds.shape[1] != 2 or (bounds[:, 1] <= bounds[:, 0]).any():
        raise ValueError(f"targets must be (top, bottom) pairs with top < bottom: {targets!r}")
    if (bounds < 0).any() or (bounds != np.round(bounds)).any():
        raise ValueError(f"spline targets must be whole, non-negative cm: {targets!r}")
    return bounds.astype(np.intp)
