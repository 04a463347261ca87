"""Line charts of the dashboard: matplotlib to inline SVG (renders offline, no CDN, no fonts).

Ticks are round numbers (``MaxNLocator`` steps 1, 2, 2.5, 5, 10) written in full with thousands
separators and as many decimals as the tick step needs (``2,650`` never ``2.65e+03``).
A series may carry a 95 % band (shaded) and a chart a horizontal target line.

The y axis never turns a tiny change into a cliff: a chart of stocks starts at 0
(``y_from_zero``), any other spans at least :data:`MIN_RELATIVE_SPAN` of its largest absolute
value around its data, and the axis label says so when either applies.

The SVG holds no CSS: matplotlib's ``style="..."`` declarations become SVG presentation
attributes (``fill="#fff"``) and its ``<style>`` element attributes of the root, so that a page
whose Content-Security-Policy forbids inline styles (the web portal's) draws it unchanged. The
chart's title is its accessible name (``aria-label``).
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from html import escape
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: files only

import numpy as np  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402
from matplotlib import ticker  # noqa: E402

PALETTE = ("#1b6ca8", "#d1495b", "#2e933c", "#edae49", "#6a4c93", "#00798c")
TARGET_COLOUR = "#555555"
FIGSIZE_IN = (6.4, 3.0)
TICK_STEPS = (1, 2, 2.5, 5, 10)
BAND_ALPHA = 0.2
# Smallest y span, as a share of the largest |value| drawn: a 0.05 % change of a stock is not
# drawn as a cliff (presentation choice, not a science parameter).
MIN_RELATIVE_SPAN = 0.05
FROM_ZERO_NOTE = "axis from 0"
SPAN_NOTE = f"axis spans at least {MIN_RELATIVE_SPAN:.0%} of the largest value"
STYLE: Any = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False,
         "axes.spines.right": False, "svg.hashsalt": "soc-inventory"}  # fmt: skip


@dataclass
class Series:
    """One line: x values (years), y values, optional 95 % band (low, high), a label."""

    label: str
    x: np.ndarray
    y: np.ndarray
    low: np.ndarray | None = None
    high: np.ndarray | None = None
    dashed: bool = False


@dataclass(frozen=True)
class Target:
    """A horizontal reference line (e.g. the 4 per 1000 target rate)."""

    label: str
    value: float


def tick_label(value: float, step: float) -> str:
    """A tick written in full: thousands separators, the decimals the step needs."""
    decimals = max(0, -math.floor(math.log10(step))) if step > 0 else 0
    text = f"{value:,.{decimals}f}"
    return "0" if text.strip("-0.,") == "" else text


class _RoundTicks(ticker.Formatter):
    def __call__(self, x: float, pos: int | None = None) -> str:
        axis: Any = self.axis
        locs = np.asarray(axis.get_majorticklocs() if axis is not None else [], dtype=float)
        step = float(np.min(np.diff(locs))) if len(locs) > 1 else abs(x) or 1.0
        return tick_label(x, step)


def line_chart(title: str, y_label: str, series: list[Series], *,
               target: Target | None = None, y_from_zero: bool = False) -> str:  # fmt: skip
    """An ``<svg>`` element: one line per series (band shaded), legend, optional target line.

    ``y_from_zero`` starts the y axis at 0 (quantities >= 0 such as stocks [t C]); otherwise
    the axis spans at least :data:`MIN_RELATIVE_SPAN` of the largest absolute value.
    """
    if not series or all(len(s.x) == 0 for s in series):
        return ""
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=FIGSIZE_IN)
        for i, s in enumerate(series):
            _draw(ax, s, PALETTE[i % len(PALETTE)])
        if target is not None:
            ax.axhline(target.value, color=TARGET_COLOUR, linestyle="--", linewidth=1.2,
                       label=target.label)  # fmt: skip
        note = _y_limits(ax, series, target, y_from_zero)
        _axes(ax, title, f"{y_label} ({note})" if note else y_label)
        svg = _to_svg(fig, title)
        plt.close(fig)
    return svg


def y_range(series: list[Series], target: Target | None,
            y_from_zero: bool) -> tuple[float, float, str] | None:  # fmt: skip
    """The y limits a chart needs, with the note that states them, or None (automatic).

    Returns
    -------
    tuple of (float, float, str) or None
        ``(low, high, note)``: from 0 to the largest value when ``y_from_zero`` and no value is
        negative; else, when the data span less than :data:`MIN_RELATIVE_SPAN` x the largest
        absolute value, that span centred on the data; None when the automatic axis is fine.
    """
    parts = [s.y for s in series] + [b for s in series for b in (s.low, s.high) if b is not None]
    values = np.concatenate([np.asarray(p, dtype=float) for p in parts] or [np.array([])])
    if target is not None:
        values = np.append(values, target.value)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return None
    low, high = float(values.min()), float(values.max())
    if y_from_zero and low >= 0:
        return 0.0, high * (1 + MIN_RELATIVE_SPAN) or 1.0, FROM_ZERO_NOTE
    span = MIN_RELATIVE_SPAN * float(np.abs(values).max())
    if span > 0 and high - low < span:
        middle = (high + low) / 2
        return middle - span / 2, middle + span / 2, SPAN_NOTE
    return None


def _y_limits(ax, series: list[Series], target: Target | None, y_from_zero: bool) -> str:
    limits = y_range(series, target, y_from_zero)
    if limits is None:
        return ""
    ax.set_ylim(limits[0], limits[1])
    return limits[2]


def _draw(ax, s: Series, colour: str) -> None:
    x, y = s.x.astype(float), s.y.astype(float)
    if s.low is not None and s.high is not None:
        band = f"{s.label}, 95 % interval"
        ax.fill_between(x, s.low.astype(float), s.high.astype(float), color=colour,
                        alpha=BAND_ALPHA, linewidth=0, label=band)  # fmt: skip
    ax.plot(x, y, color=colour, linewidth=2, linestyle="--" if s.dashed else "-", label=s.label)


def _axes(ax, title: str, y_label: str) -> None:
    ax.set_title(title, loc="left", fontsize=10, fontweight="bold")
    ax.set_ylabel(y_label)
    ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=5, steps=list(TICK_STEPS)))
    ax.yaxis.set_major_formatter(_RoundTicks())
    ax.xaxis.set_major_locator(ticker.MaxNLocator(nbins=6, integer=True))
    ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:.0f}"))
    ax.grid(axis="y", color="#e5e5e5")
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)


_STYLE_ATTRIBUTE = re.compile(r' style="([^"]*)"')
_STYLE_ELEMENT = re.compile(r"\s*<style[^>]*>\*\{([^}]*)\}</style>")


def _presentation(declarations: str) -> str:
    """``fill: #fff; stroke-width: 2`` as SVG presentation attributes ``fill="#fff" ...``."""
    pairs = (d.split(":", 1) for d in declarations.split(";") if ":" in d)
    values = ((k.strip(), escape(v.strip(), quote=False).replace('"', "&quot;")) for k, v in pairs)
    return "".join(f' {key}="{value}"' for key, value in values)


def _to_svg(fig, title: str) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    root = _STYLE_ELEMENT.search(text)  # matplotlib's "*{stroke-linejoin: ...}" defaults
    inherited = _presentation(root.group(1)) if root else ""
    text = _STYLE_ATTRIBUTE.sub(lambda m: _presentation(m.group(1)), _STYLE_ELEMENT.sub("", text))
    label = escape(title, quote=True)
    return text.replace("<svg ", f"<svg class='chart' role='img' aria-label='{label}'{inherited} ",
                        1)  # fmt: skip
