"""Every text a report writes is escaped for its format: Markdown like HTML, CSV cells that a
spreadsheet would run neutralised (OWASP), names with control characters refused."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import BadInputError
from engine.names import refuse_control_characters
from engine.report.toolkit.escape import (
    FORMULA_PREFIXES,
    csv_cell,
    csv_frame,
    markdown_cell,
    markdown_text,
)
from engine.report.toolkit.folder import csv_text
from engine.report.toolkit.markdown import table_markdown
from engine.report.toolkit.tables import Cell, Table

ATTACKS = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    "<javascript:alert(1)>",
    "![x](http://evil/x.png)",
    "a | b",
    "name\n# heading",
    "`code`",
]


@pytest.mark.parametrize("text", ATTACKS)
def test_markdown_text_has_no_raw_html_links_headings_or_cells(text: str) -> None:
    for safe in (markdown_cell(text), markdown_text(text)):
        assert "<" not in safe and ">" not in safe.replace("&gt;", "")
        assert "\n" not in safe
        assert "](" not in safe.replace("\\](", "")  # no unescaped link target
        assert "|" not in safe.replace("\\|", "")
    assert not markdown_text("# title").startswith("#")
    assert markdown_text("# title") == "\\# title"


def test_markdown_keeps_ordinary_text_and_numbers_readable() -> None:
    assert markdown_cell("rsi_trim (lead 15, 2020-01-02)") == "rsi_trim (lead 15, 2020-01-02)"
    assert markdown_cell("-3.25%") == "-3.25%"
    assert markdown_text("1. first") == "1\\. first"
    assert markdown_text("2020-01-02 close") == "2020-01-02 close"


def test_a_table_with_hostile_names_renders_as_text() -> None:
    table = Table(
        title="t",
        columns=["run", "CAGR"],
        rows=[[Cell("<img src=x onerror=alert(1)>"), Cell("5.0%")], [Cell("a|b\nc"), Cell("1%")]],
        numeric=[False, True],
    )
    text = table_markdown(table)
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "a\\|b c" in text
    assert len(text.splitlines()) == 4  # header, rule, two rows


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("+cmd", "'+cmd"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-0.25", "-0.25"),  # a number stays a number
        ("SPY buy & hold", "SPY buy & hold"),
        (1.5, 1.5),
    ],
)
def test_csv_cells_a_spreadsheet_would_run_are_neutralised(value, expected) -> None:
    assert csv_cell(value) == expected


def test_csv_text_neutralises_cells_columns_and_index_and_keeps_numbers() -> None:
    frame = pd.DataFrame(
        {"=evil": ["=1+2", "ok"], "value": [-0.5, 1.25]},
        index=pd.Index(["@run", "plain"], name="name"),
    )
    lines = csv_text(frame).splitlines()
    assert lines[0] == "name,'=evil,value"
    assert lines[1] == "'@run,'=1+2,-0.5"
    assert lines[2] == "plain,ok,1.25"
    untouched = pd.DataFrame({"x": [1.0, -2.0]})
    assert csv_frame(untouched) is untouched


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(allow_nan=True, allow_infinity=True, width=64), min_size=1, max_size=8),
    st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), min_size=8, max_size=8),
)
def test_fuzz_a_table_of_numbers_is_written_as_pandas_writes_it(floats, ints) -> None:
    """Tables of plain numbers (without their index, or indexed by dates) take a faster path
    than `DataFrame.to_csv`; its text must be pandas' own to the byte: every float's shortest
    repr, "" for NaN, -0.0, inf, bools, ISO dates."""
    n = len(floats)
    frame = pd.DataFrame(
        {
            "x": floats,
            'n, "quoted"': ints[:n],
            "=flag": [i % 2 == 0 for i in ints[:n]],
            "y": [f * 1e-300 for f in floats],
        }
    )
    expected = csv_frame(frame).to_csv(index=False, lineterminator="\n")
    assert csv_text(frame, index=False) == expected
    dated = frame.set_axis(pd.date_range("1999-12-30", periods=n, freq="B", name="date"))
    expected = csv_frame(dated).to_csv(date_format="%Y-%m-%d", lineterminator="\n")
    assert csv_text(dated) == expected and "\n1999-12-30," in expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_fuzz_no_csv_text_cell_starts_like_a_formula(text: str) -> None:
    cell = csv_cell(text)
    if cell.startswith(FORMULA_PREFIXES):  # only a plain number may keep its sign
        assert cell == text
        float(text.strip().rstrip("%"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_fuzz_markdown_never_holds_a_tag_a_newline_or_a_bare_link(text: str) -> None:
    safe = markdown_text(text)
    assert "<" not in safe and "\n" not in safe and "\r" not in safe
    assert "](" not in safe.replace("\\](", "")
    assert "`" not in safe.replace("\\`", "")


@pytest.mark.parametrize("name", ["a\nb", "a\x1b[31m", "tab\there", "nul\x00", "line\u2028sep"])
def test_names_with_control_characters_are_refused(name: str) -> None:
    with pytest.raises(BadInputError, match="control character"):
        refuse_control_characters(name, "a benchmark name")
    assert refuse_control_characters("plain name", "x") == "plain name"
