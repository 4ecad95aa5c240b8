"""Display tables: every cell formatted once as text, so HTML and Markdown show the same."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from engine.report.toolkit.format import column_kind, format_cell, iso, plain, sign_class

__all__ = ["Cell", "Table", "column_cells", "frame_table", "has_meaningful_index"]

WRAP_AT = 40  # characters: a longer text cell may wrap (and gets a minimum width)


@dataclass(frozen=True)
class Cell:
    """One formatted table cell; `cls` is a CSS class ("pos", "neg", ...) or ""."""

    text: str
    cls: str = ""


@dataclass
class Table:
    """A display table: header texts, rows of cells, which columns are numeric (right-aligned)."""

    title: str
    columns: list[str]
    rows: list[list[Cell]]
    numeric: list[bool]
    note: str = ""
    footnotes: list[str] = field(default_factory=list)  # shown under the table, one a line
    # the full text behind grouped rows: collapsed under the table in HTML, listed in Markdown
    details: list[str] = field(default_factory=list)
    details_label: str = ""

    @property
    def empty(self) -> bool:
        return not self.rows

    @property
    def wrapping(self) -> list[bool]:
        """Columns holding long text: they wrap in a box of readable width, never word by word."""
        out = [False] * len(self.columns)
        for row in self.rows:
            for i, cell in enumerate(row):
                if len(cell.text) > WRAP_AT:
                    out[i] = True
        return out


def column_cells(name: object, values: pd.Series) -> tuple[list[Cell], bool]:
    """Formatted cells of one column and whether it is numeric (engine.report.toolkit.format's
    `column_kind` decides how numbers are written; percentages are coloured by sign)."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return [Cell(plain(v)) for v in values], False
    if pd.api.types.is_numeric_dtype(values.dtype):
        kind = column_kind(name, values)
        signed = kind == "pct"
        return [Cell(format_cell(v, kind), sign_class(v) if signed else "") for v in values], (
            kind != "flag"
        )
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return [Cell(iso(v)) for v in values], False
    return [Cell(plain(v)) for v in values], False


def has_meaningful_index(frame: pd.DataFrame) -> bool:
    index = frame.index
    if not isinstance(index, pd.RangeIndex) or index.name is not None:
        return True
    return not (index.start == 0 and index.step == 1)


NOTE_COLUMNS = ("note", "notes", "comment")
WIDE_TABLE = 12  # columns: past this, a free-text note column moves under the table


def frame_table(
    frame: pd.DataFrame,
    title: str,
    note: str = "",
    label: Callable[[object], str] = str,
    footnote_notes: bool = False,
) -> Table:
    """A frame as a display table (index first when it carries meaning); `label` names the
    columns (engine.report.toolkit.format.human_column for words instead of machine names). With
    `footnote_notes`, a free-text note column of a wide table becomes footnotes ("2000: no IWM
    price at the anchor") under it, so the table stays narrow and the text reads as sentences."""
    footnotes: list[str] = []
    notes = [c for c in frame.columns if str(c).lower() in NOTE_COLUMNS]
    if footnote_notes and notes and len(frame.columns) > WIDE_TABLE:
        keys = (
            [plain(v) for v in frame.index]
            if has_meaningful_index(frame)
            else [str(i + 1) for i in range(len(frame))]
        )
        for key, text in zip(keys, frame[notes[0]], strict=True):
            if isinstance(text, str) and text.strip():
                footnotes.append(f"{key}: {text.strip()}")
        frame = frame.drop(columns=notes[0])
    columns: list[str] = []
    numeric: list[bool] = []
    cell_columns: list[list[Cell]] = []
    if has_meaningful_index(frame):
        index_values = pd.Series(frame.index, index=range(len(frame)))
        cells, is_num = column_cells(frame.index.name or "", index_values)
        columns.append(label(frame.index.name) if frame.index.name is not None else "")
        numeric.append(is_num)
        cell_columns.append(cells)
    for position, name in enumerate(frame.columns):
        cells, is_num = column_cells(name, frame.iloc[:, position])
        columns.append(label(name))
        numeric.append(is_num)
        cell_columns.append(cells)
    rows = [list(row) for row in zip(*cell_columns, strict=True)] if cell_columns else []
    return Table(title=title, columns=columns, rows=rows, numeric=numeric, note=note,
                 footnotes=footnotes)  # fmt: skip
