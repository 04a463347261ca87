"""Dependency-free SVG line charts for the static dashboard (renders offline, no CDN)."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

import numpy as np

WIDTH, HEIGHT = 640, 300
MARGIN = {"left": 78, "right": 150, "top": 28, "bottom": 36}
PALETTE = ("#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#00798c")
TICKS = 5


@dataclass
class Series:
    """One line: x values (years), y values, optional band (low, high), a label."""

    label: str
    x: np.ndarray
    y: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    dashed: bool = False


def _scale(values: np.ndarray, lo: float, hi: float, out_lo: float, out_hi: float) -> np.ndarray:
    span = (hi - lo) or 1.0
    return out_lo + (values - lo) / span * (out_hi - out_lo)


def _bounds(series: list[Series]) -> tuple[float, float, float, float]:
    xs = np.concatenate([s.x for s in series]).astype(float)
    parts = [s.y for s in series] + [b for s in series for b in (s.low, s.high) if b is not None]
    ys = np.concatenate(parts).astype(float)
    ys = ys[np.isfinite(ys)]
    y_lo, y_hi = (float(ys.min()), float(ys.max())) if ys.size else (0.0, 1.0)
    pad = (y_hi - y_lo) * 0.05 or abs(y_hi) * 0.05 or 1.0
    return float(xs.min()), float(xs.max()), y_lo - pad, y_hi + pad


def _path(px: np.ndarray, py: np.ndarray) -> str:
    ok = np.isfinite(py)
    return " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}"
                    for i, (x, y) in enumerate(zip(px[ok], py[ok], strict=True)))  # fmt: skip


def line_chart(title: str, y_label: str, series: list[Series]) -> str:
    """An SVG element with one line (and optional shaded band) per series, legend at right."""
    if not series or all(len(s.x) == 0 for s in series):
        return f"<p class='empty'>{escape(title)}: no data</p>"
    x_lo, x_hi, y_lo, y_hi = _bounds(series)
    left, right = MARGIN["left"], WIDTH - MARGIN["right"]
    top, bottom = MARGIN["top"], HEIGHT - MARGIN["bottom"]
    parts = [f"<svg class='chart' role='img' viewBox='0 0 {WIDTH} {HEIGHT}' "
             f"xmlns='http://www.w3.org/2000/svg'><title>{escape(title)}</title>",
             f"<text x='{left}' y='18' class='title'>{escape(title)}</text>"]  # fmt: skip
    for tick in np.linspace(y_lo, y_hi, TICKS):
        y = _scale(np.array([tick]), y_lo, y_hi, bottom, top)[0]
        parts.append(f"<line x1='{left}' x2='{right}' y1='{y:.1f}' y2='{y:.1f}' class='grid'/>"
                     f"<text x='{left - 6}' y='{y + 4:.1f}' class='tick' text-anchor='end'>"
                     f"{tick:,.3g}</text>")  # fmt: skip
    for tick in np.unique(np.linspace(x_lo, x_hi, TICKS).round()):
        x = _scale(np.array([tick]), x_lo, x_hi, left, right)[0]
        parts.append(f"<text x='{x:.1f}' y='{bottom + 18}' class='tick' text-anchor='middle'>"
                     f"{int(tick)}</text>")  # fmt: skip
    parts.append(f"<text x='14' y='{(top + bottom) / 2:.0f}' class='axis' "
                 f"transform='rotate(-90 14 {(top + bottom) / 2:.0f})' text-anchor='middle'>"
                 f"{escape(y_label)}</text>")  # fmt: skip
    for i, s in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        px = _scale(s.x.astype(float), x_lo, x_hi, left, right)
        if s.low is not None and s.high is not None:
            hi = _scale(s.high.astype(float), y_lo, y_hi, bottom, top)
            lo = _scale(s.low.astype(float), y_lo, y_hi, bottom, top)
            band = _path(np.concatenate([px, px[::-1]]), np.concatenate([hi, lo[::-1]]))
            parts.append(f"<path d='{band} Z' fill='{color}' opacity='0.18' class='band'/>")
        py = _scale(s.y.astype(float), y_lo, y_hi, bottom, top)
        dash = " stroke-dasharray='6 4'" if s.dashed else ""
        parts.append(f"<path d='{_path(px, py)}' fill='none' stroke='{color}' "
                     f"stroke-width='2'{dash} class='line'/>")  # fmt: skip
        parts.append(f"<text x='{right + 10}' y='{top + 16 * (i + 1)}' fill='{color}' "
                     f"class='legend'>{escape(s.label)}</text>")  # fmt: skip
    parts.append("</svg>")
    return "".join(parts)
