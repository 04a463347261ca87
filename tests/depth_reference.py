"""Straightforward per-profile reference implementations (a second implementation to test and
benchmark ``inventory.harmonise.depth`` against).

``mpspline_one`` follows mpspline2 0.1.x ``mpspline_est1`` / ``mpspline_fit1`` step by step, one
profile and one centimetre at a time. With ``mpspline2_bugs=True`` it also reproduces two mpspline2
defects (single horizon assigned by ``d >= ud & d <= ld`` with 1-cm values at ``ud:ld`` in R's
1-based indexing; fractional bottoms recycled into the deepest interval by ``rep(length.out =
md)``), so tests can show where ``inventory.harmonise.depth`` deliberately differs.
"""

from __future__ import annotations

import math

import numpy as np


def mpspline_one(
    upper,
    lower,
    values,
    *,
    lam=0.1,
    d=(0, 5, 15, 30, 60, 100, 200),
    vlow=0.0,
    vhigh=1000.0,
    mpspline2_bugs=False,
):
    """One profile's spline: dict with ``est_icm``, ``est_1cm`` (len max(d)), ``est_dcm``."""
    u, lo, y = (np.asarray(a, dtype="float64") for a in (upper, lower, values))
    md = int(max(d))
    if len(y) == 1:
        if mpspline2_bugs:
            return _single_horizon_buggy(u[0], lo[0], y[0], d, md, vlow, vhigh)
        coef = {"alfa": y, "b0": [0.0], "b1": [0.0], "gamma": [0.0], "s_bar": y}
    else:
        coef = _coefficients(u, lo, y, lam)
    n_cm = md if mpspline2_bugs is False else min(len(range(1, int(math.floor(max(lo))) + 1)), md)
    est = [math.nan] * md
    for k in range(md if not mpspline2_bugs else n_cm):
        est[k] = _value_at(k, u, lo, coef)
    est = [v if math.isnan(v) else min(max(v, vlow), vhigh) for v in est]
    if mpspline2_bugs and max(lo) < md and max(lo) != int(max(lo)):
        est = _recycle_like_r(est[:n_cm], max(lo), md)
    dcm = []
    for top, bottom in zip(d[:-1], d[1:], strict=True):
        block = [v for v in est[top:bottom] if not math.isnan(v)]
        dcm.append(sum(block) / len(block) if block else math.nan)
    return {
        "est_icm": np.asarray(coef["s_bar"]),
        "est_1cm": np.asarray(est),
        "est_dcm": np.asarray(dcm),
    }


def _coefficients(u, lo, y, lam):
    n, nb = len(y), len(y) - 1
    th, gp = lo - u, u[1:] - lo[:-1]
    r = np.zeros((nb, nb))
    for i in range(nb):
        r[i, i] = 2 * th[i + 1] + 2 * th[i] + 6 * gp[i]
        if i + 1 < nb:
            r[i, i + 1] = r[i + 1, i] = th[i + 1]
    q = np.zeros((nb, n))
    for i in range(nb):
        q[i, i], q[i, i + 1] = -1.0, 1.0
    r_inv = np.linalg.inv(r)
    z = np.eye(n) + 6 * n * lam * q.T @ r_inv @ q
    s_bar = np.linalg.solve(z, y)
    b = 6 * r_inv @ q @ s_bar
    b0, b1 = np.concatenate([[0.0], b]), np.concatenate([b, [0.0]])
    gamma = (b1 - b0) / (2 * th)
    alfa = s_bar - b0 * th / 2 - gamma * th**2 / 3
    return {"s_bar": s_bar, "b0": b0, "b1": b1, "gamma": gamma, "alfa": alfa, "z": z}


def _value_at(k, u, lo, c):
    if k < u[0] or k >= lo[-1]:
        return math.nan
    for h in range(len(u)):
        if u[h] <= k < lo[h]:
            return c["alfa"][h] + c["b0"][h] * (k - u[h]) + c["gamma"][h] * (k - u[h]) ** 2
    bh = max(h for h in range(len(u)) if lo[h] <= k)
    nh = min(h for h in range(len(u)) if u[h] >= k)
    return c["alfa"][nh] - c["b1"][bh] * (u[nh] - k)


def _single_horizon_buggy(ud, ld, value, d, md, vlow, vhigh):
    v = min(max(value, vlow), vhigh)
    one = [math.nan] * md
    for idx in range(int(ud), int(ld) + 1):  # R: not_1cm[ud:ld], 1-based, index 0 dropped
        if 1 <= idx <= md:
            one[idx - 1] = v
    dcm = [math.nan] * (len(d) - 1)
    for i, x in enumerate(d):  # R: not_dcm[which(d >= ud & d <= ld)]
        if ud <= x <= ld and i < len(dcm):
            dcm[i] = v
    return {"est_icm": np.asarray([value]), "est_1cm": np.asarray(one), "est_dcm": np.asarray(dcm)}


def _recycle_like_r(est, nj, md):
    """``rep(est, length.out = md)`` then ``est[(nj + 1):md] <- NA`` with fractional ``nj``."""
    out = [est[i % len(est)] for i in range(md)]
    start = nj + 1
    idx = start
    while idx <= md:
        out[int(idx) - 1] = math.nan  # R truncates fractional indices
        idx += 1
    return out


def overlap_one(upper, lower, stock, targets):
    """One profile's interval stocks and covered fractions by thickness-weighted overlap."""
    out, cover = [], []
    for top, bottom in targets:
        total, covered = 0.0, 0.0
        for u, lo, s in zip(upper, lower, stock, strict=True):
            part = max(0.0, min(bottom, lo) - max(top, u))
            total += s * part / (lo - u)
            covered += part
        out.append(total if covered > 0 else math.nan)
        cover.append(covered / (bottom - top))
    return out, cover
