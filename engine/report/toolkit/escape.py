"""Every text a report writes, escaped for the format it lands in (one place for each rule).

Names and titles come from users (benchmark names, strategy names, claim titles, table cells of
a strategy's own diagnostics), so each writer passes them through here:

- Markdown is read as HTML by most viewers, so text is HTML-escaped and Markdown's own syntax
  (headings, links, emphasis, table pipes, line breaks) is neutralised with backslashes.
- CSV cells that a spreadsheet would run as a formula are prefixed with a single quote: the
  OWASP rule for CSV injection (cells starting with =, +, -, @, a tab or a carriage return).
  A number (a negative return) is data, not a formula, and is left as it is.
- Names holding control characters (newlines, escapes, NUL...) are refused at the door, since
  no format can show them faithfully.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

__all__ = [
    "csv_cell",
    "csv_frame",
    "markdown_cell",
    "markdown_text",
]

# OWASP, "CSV Injection": cells beginning with these are run by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Inline Markdown that can make a link, an image, code or a table cell out of plain text.
_MARKDOWN_INLINE = re.compile(r"([\\`\[\]|])")
# Block syntax that only acts at the start of a line: headings, quotes, lists, rules.
_MARKDOWN_BLOCK_START = re.compile(r"^(\s*)([#>+*=-])|^(\s*\d+)([.)])")
_ENTITY = re.compile(r"&(?=#?\w+;)")  # '&' that would start an HTML entity ("&lt;")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?%?$")


def markdown_cell(value: Any) -> str:
    """Text safe inside a Markdown line or table cell: one line (a newline cannot start a
    heading), HTML-escaped as an HTML report is (no raw tags, no `<javascript:...>` autolink),
    and the inline syntax that makes links, images, code or cells (`[`, `]`, `` ` ``, `|`,
    `\\`) backslash-escaped. Prose keeps its look: parentheses, dashes and underscores stay."""
    text = " ".join(str(value).split())
    text = _ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_INLINE.sub(r"\\\1", text)


def markdown_text(value: Any) -> str:
    """As `markdown_cell`, for text that starts a line (a title, a list item, a paragraph):
    a leading '#', '>', '-', '+', '*', '=' or '1.' is escaped so it stays text."""
    return _MARKDOWN_BLOCK_START.sub(_escape_block_start, markdown_cell(value))


def _escape_block_start(match: re.Match[str]) -> str:
    if match.group(2) is not None:
        return f"{match.group(1)}\\{match.group(2)}"
    return f"{match.group(3)}\\{match.group(4)}"


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet shows as text: a string starting like a formula gets a leading
    single quote (OWASP); numbers and other values pass unchanged."""
    if not isinstance(value, str) or not value.startswith(FORMULA_PREFIXES):
        return value
    if _NUMBER.match(value.strip()):
        return value
    return "'" + value


def _safe_labels(labels: pd.Index) -> pd.Index:
    if isinstance(labels, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [tuple(csv_cell(v) for v in t) for t in labels], names=labels.names
        )
    return pd.Index([csv_cell(v) for v in labels], name=csv_cell(labels.name))


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of `frame` whose text cells, column names and index labels are `csv_cell`-safe;
    numeric columns are untouched (the frame is returned as is when nothing needs a change)."""
    text_columns = [c for c in frame.columns if frame[c].dtype == object or _is_text(frame[c])]
    needs_labels = any(
        isinstance(v, str) and v != csv_cell(v)
        for v in [*_maybe_text(frame.columns), *_maybe_text(frame.index), frame.index.name]
    )
    if not text_columns and not needs_labels:
        return frame
    out = frame.copy()
    for column in text_columns:
        out[column] = out[column].map(csv_cell)
    if needs_labels:
        out.columns = _safe_labels(out.columns)
        out.index = _safe_labels(out.index)
    return out


def _maybe_text(labels: pd.Index) -> pd.Index | list:
    """The labels, when some may be text; none of dates or numbers can be (and walking a
    date index builds a Timestamp per date: a tenth of a second for 6,600 sessions)."""
    return labels if labels.dtype == object or _is_text(labels) else []


def _is_text(column: pd.Series | pd.Index) -> bool:
    return pd.api.types.is_string_dtype(column)
