"""A heatmap as an HTML table: each cell coloured by its value, its value written on it.

Drawn by the browser instead of matplotlib: a 10 x 10 heatmap costs a millisecond instead of a
third of a second of text layout and PNG encoding, the numbers stay crisp at any zoom, can be
selected and copied, and every cell names its row, column and value on hover. The colours are
matplotlib's colour maps and norms, so a table heatmap and a chart heatmap of the same values
look alike; the ink on each cell follows `charts.ink_on` (white on dark, black on light).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize, to_hex

from engine.report.toolkit.charts import NAN_COLOR, ink_on
from engine.report.toolkit.escape import markdown_cell

__all__ = ["HeatCell", "HeatTable", "Mark", "heat_markdown", "heat_table"]

SCALE_STOPS = 11  # colours of the scale bar under the table (low to high)
LABELS_SHOWN = 15  # column labels of a table too dense for its values (hover names each cell)


@dataclass(frozen=True)
class Mark:
    """Cells outlined to stand out (the default parameters, the best combination): `style` is
    a CSS class of the page ("mark-default", "mark-best"), `label` the legend's words."""

    label: str
    style: str
    cells: frozenset[tuple[int, int]]  # (row, column) positions
    emphasis: str = "**"  # how Markdown shows a marked value: "**" bold, "_" italics


@dataclass(frozen=True)
class HeatCell:
    text: str  # the value written on the cell, "" when the cells are too narrow for it
    title: str  # what hovering the cell says: its row, its column and its value
    style: str  # inline CSS: background and ink colours
    cls: str  # the marks' CSS classes, space-separated


@dataclass
class HeatTable:
    """A display heatmap: column labels, rows of (label, cells), and the colour scale."""

    corner: str  # the header cell above the row labels ("lower \\ upper")
    columns: list[str]
    rows: list[tuple[str, list[HeatCell]]]
    scale: str  # CSS gradient of the colour scale, low to high
    scale_values: tuple[float, float, float]  # the scale's low end, centre and high end
    scale_labels: tuple[str, str, str]  # the same, as the cells write values
    scale_name: str  # what the colours measure
    marks: list[Mark] = field(default_factory=list)
    written: bool = True  # whether the values are written on the cells

    @property
    def label_every(self) -> int:
        """Every how many columns a label is shown: each one when the values are written,
        about LABELS_SHOWN of them when the cells are too narrow for a label each."""
        return 1 if self.written else max(1, math.ceil(len(self.columns) / LABELS_SHOWN))

    @property
    def texts(self) -> list[str]:
        return [cell.text for _, cells in self.rows for cell in cells if cell.text]


def heat_table(
    values: np.ndarray,
    row_labels: Sequence[str],
    column_labels: Sequence[str],
    norm: Normalize,
    cmap_name: str,
    text: Callable[[float], str],
    *,
    corner: str = "",
    title: Callable[[int, int], str] | None = None,
    marks: Sequence[Mark] = (),
    scale_name: str = "",
    write_values: bool = True,
) -> HeatTable:
    """`values` (rows x columns) as coloured cells, NaN in light grey and left blank;
    `text` writes a finite value, `title(row, column)` names a cell for its hover text."""
    cmap = colormaps[cmap_name]
    rgba = cmap(norm(np.ma.masked_invalid(values)))
    finite = np.isfinite(values)
    rows = []
    for i, label in enumerate(row_labels):
        cells = []
        for j in range(values.shape[1]):
            classes = " ".join(m.style for m in marks if (i, j) in m.cells)
            name = title(i, j) if title is not None else ""
            if not finite[i, j]:
                style = f"background:{NAN_COLOR};color:#333333"
                cells.append(HeatCell("", f"{name}: n/a" if name else "", style, classes))
                continue
            value_text = text(float(values[i, j]))
            r, g, b = (float(c) for c in rgba[i, j, :3])
            style = f"background:{to_hex((r, g, b))};color:{ink_on(r, g, b)}"
            hover = f"{name}: {value_text}" if name else value_text
            cells.append(HeatCell(value_text if write_values else "", hover, style, classes))
        rows.append((str(label), cells))
    low, high = float(norm.vmin), float(norm.vmax)
    stops = np.linspace(low, high, SCALE_STOPS)
    gradient = ", ".join(to_hex(cmap(float(norm(v)))) for v in stops)
    centre = float(getattr(norm, "vcenter", (low + high) / 2))
    return HeatTable(
        corner=corner,
        columns=[str(c) for c in column_labels],
        rows=rows,
        scale=f"linear-gradient(to right, {gradient})",
        scale_values=(low, centre, high),
        scale_labels=(text(low), text(centre), text(high)),
        scale_name=scale_name,
        marks=list(marks),
        written=write_values,
    )


def heat_markdown(table: HeatTable) -> str:
    """The table in Markdown (which has no colours): the values, each marked cell's value
    emphasised, and a line saying which emphasis is which mark; "" when the values are not
    written."""
    if not table.written:
        return ""
    emphasis = {m.style: m.emphasis for m in table.marks}
    lines = [
        "| " + " | ".join(markdown_cell(c) for c in [table.corner, *table.columns]) + " |",
        "|" + "---|" + "---:|" * len(table.columns),
    ]
    for label, cells in table.rows:
        texts = []
        for cell in cells:
            text = markdown_cell(cell.text)
            for style in cell.cls.split():
                if text and style in emphasis:
                    text = f"{emphasis[style]}{text}{emphasis[style]}"
            texts.append(text)
        lines.append(f"| {markdown_cell(label)} | " + " | ".join(texts) + " |")
    words = {"**": "bold", "_": "italics"}
    legend = [f"{m.label} in {words.get(m.emphasis, m.emphasis)}" for m in table.marks]
    if legend:
        lines += ["", "; ".join(legend).capitalize() + "."]
    return "\n".join(lines)
