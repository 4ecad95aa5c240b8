"""Chart primitives every report uses: a figure without pyplot, PNG bytes, readable axes.

Figures are built from `matplotlib.figure.Figure` with an explicit Agg canvas: pyplot is never
imported, so no global figure registry or backend switch leaks into the caller's process.
Charts are at most 12.5 inches at 100 dpi (1,250 px), so they fit a 1,400 px page unscaled.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib import dates as mdates
from matplotlib import ticker as mticker
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

__all__ = [
    "DPI",
    "FIGSIZE",
    "NAN_COLOR",
    "annotated_heatmap",
    "date_axis",
    "equity_ticks",
    "ink_on",
    "label_cells",
    "log_ticks",
    "money",
    "new_figure",
    "percent_text",
    "png",
]

FIGSIZE = (12.0, 6.0)  # inches; at DPI this is 1200 x 600 px
DPI = 100
NAN_COLOR = "#eeeeee"


def new_figure(
    size: tuple[float, float] = FIGSIZE, layout: str | None = "constrained"
) -> tuple[Figure, Axes]:
    """A figure with its own Agg canvas (no pyplot) and one axes; `layout=None` for a chart
    that places its axes itself (a layout engine lays out every text once more)."""
    fig = Figure(figsize=size, dpi=DPI, layout=layout)
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None})
    return buf.getvalue()


def date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=5, maxticks=12)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def money(value: float, _pos: object = None) -> str:
    """An axis value in currency units: whole units from 10 up, cents below."""
    return f"{value:,.0f}" if abs(value) >= 10 else f"{value:,.2f}"


def log_ticks(lo: float, hi: float) -> list[float]:
    """Readable ticks for a log axis over [lo, hi]: 1-2-5 steps, finer or linear when narrow."""
    if not (lo > 0 and hi > lo):
        return [lo] if lo > 0 else []
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mults in ((1.0,), (1.0, 2.0, 5.0), (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0)):
        ticks = [
            m * 10.0**e for e in range(first, last + 1) for m in mults if lo <= m * 10.0**e <= hi
        ]
        if 4 <= len(ticks) <= 12:
            return ticks
    linear = mticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    return [float(t) for t in linear if lo <= t <= hi and t > 0]


def equity_ticks(lo: float, hi: float, keep: Sequence[float] = ()) -> list[float]:
    """Ticks over the whole log range [lo, hi], at least 6 when the range allows, with the
    values of `keep` (the start value, the lowest points) always labelled; a round tick closer
    than 6% to a kept value is dropped so the labels never overlap."""
    ticks = log_ticks(lo, hi)
    if len(ticks) < 6 and lo > 0 and hi > lo:
        first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
        mults = (1.0, 1.5, 2.0, 3.0, 5.0, 7.0)
        finer = [m * 10.0**e for e in range(first, last + 1) for m in mults]
        finer = [t for t in finer if lo <= t <= hi]
        if len(finer) <= 14:
            ticks = finer
    kept: list[float] = []
    for k in sorted(float(k) for k in keep if lo <= k <= hi):
        if all(abs(math.log(k / other)) > 0.06 for other in kept):  # near-equal lows: one label
            kept.append(k)
    out = [t for t in ticks if all(abs(math.log(t / k)) > 0.06 for k in kept)]
    return sorted({*out, *kept})


def percent_text(value: float, decimals: int = 1) -> str:
    """A return as the heatmaps write it: one decimal and a percent sign; n/a when missing."""
    return "n/a" if math.isnan(value) else f"{value * 100:.{decimals}f}%"


def annotated_heatmap(
    ax: Axes,
    values: np.ndarray,
    norm: Normalize,
    cmap_name: str,
    texts: list[list[str]],
    bar_format: mticker.Formatter | None = None,
    fontsize: float = 8.5,
    colorbar: bool = True,
    bar_label: str = "",
) -> None:
    """`values` as coloured cells (NaN in light grey) with each cell's text written on it."""
    cmap = colormaps[cmap_name].with_extremes(bad=NAN_COLOR)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    label_cells(image, texts, fontsize)
    if colorbar:
        bar = ax.figure.colorbar(image, ax=ax, shrink=0.85, label=bar_label)
        if bar_format is not None:
            bar.ax.yaxis.set_major_formatter(bar_format)


def label_cells(image: AxesImage, texts: list[list[str]], fontsize: float = 8.5) -> None:
    """Each cell's text on the heatmap `image`, white on dark cells and black on light ones
    (relative luminance); an empty text draws nothing and costs no artist."""
    ax, cmap, norm = image.axes, image.cmap, image.norm
    values = np.ma.filled(image.get_array(), np.nan)
    for (row, col), value in np.ndenumerate(values):
        if not texts[row][col]:
            continue
        if math.isnan(value):
            color = "#333333"
        else:
            r, g, b, _ = cmap(float(norm(value)))
            color = ink_on(r, g, b)
        ax.text(col, row, texts[row][col], ha="center", va="center", fontsize=fontsize,
                color=color)  # fmt: skip


def ink_on(r: float, g: float, b: float) -> str:
    """The text colour that reads on a cell of colour (r, g, b) in 0..1: white on dark cells,
    black on light ones, by relative luminance (ITU-R BT.709 weights)."""
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.45 else "black"
