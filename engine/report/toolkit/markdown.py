"""Display tables and code as Markdown, the same text as the HTML page shows.

Tables go through `DataFrame.to_markdown()` (tabulate, pipe format) with number parsing off, so
every cell keeps the exact text of the HTML report.
"""

from __future__ import annotations

import re

import pandas as pd

from engine.report.toolkit.escape import markdown_cell
from engine.report.toolkit.tables import Table

__all__ = ["fenced", "table_markdown"]


def _cell(text: str) -> str:
    """Cell text safe inside a pipe table: one line, HTML and link syntax escaped, pipes
    escaped (`engine.report.toolkit.escape`)."""
    return markdown_cell(text)


def table_markdown(table: Table) -> str:
    """The table (with its note, if any) as Markdown; just the note when it has no rows."""
    parts = []
    if table.note:
        parts.append(f"_{_cell(table.note)}_")
    if not table.empty:
        frame = pd.DataFrame(
            [[_cell(c.text) for c in row] for row in table.rows],
            columns=[_cell(c) or " " for c in table.columns],
        )
        align = ["right" if n else "left" for n in table.numeric]
        parts.append(
            frame.to_markdown(index=False, disable_numparse=True, colalign=align, tablefmt="pipe")
        )
    if table.footnotes:
        parts.append("\n".join(f"- {_cell(f)}" for f in table.footnotes))
    if table.details:
        label = f"{table.details_label}:\n\n" if table.details_label else ""
        parts.append(label + "\n".join(f"- {_cell(d)}" for d in table.details))
    return "\n\n".join(parts)


def fenced(text: str, lang: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run inside `text`."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip(chr(10))}\n{fence}"
