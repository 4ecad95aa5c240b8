"""The report's content as plain display tables, and its rendering to one self-contained HTML page.

`build_view` turns a `ReportInput` into a `ReportView`: every table already formatted as text, so
the HTML page and the Markdown report (engine.report.markdown) show exactly the same numbers.
`render_html` fills templates/report.html.j2 (Jinja2, autoescaped) with the view and the two
charts embedded as base64 PNG data URIs, so the page opens offline with no external resource.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

import jinja2
import numpy as np
import pandas as pd

from engine.metrics import format_stats
from engine.report.model import ReportInput

TEMPLATES_DIR = Path(__file__).parent / "templates"
ORDERS_SHOWN = 200  # order rows shown in the HTML/Markdown report; orders.csv has them all
ALLOCATIONS_SHOWN = 500  # allocation-change rows shown; target_weights.csv has them all
ISSUE_DATES_SHOWN = 5  # affected dates listed per data issue


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

    @property
    def empty(self) -> bool:
        return not self.rows


@dataclass
class ReportView:
    """Everything the HTML and Markdown reports show, already formatted."""

    title: str
    description: str
    run_id: str
    command: str
    created_at: str
    period_start: str
    period_end: str
    period_note: str
    notes: list[str]
    stats: Table
    yearly: Table
    tables: list[Table]
    allocations: Table
    orders: Table
    provenance: Table
    issues: Table
    fingerprint: str
    config_toml: str
    versions: Table
    series: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- value formatting


def is_missing(value: object) -> bool:
    if value is None or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(float(value))
    return False


def iso(value: object) -> str:
    """A date-like value as ISO text: YYYY-MM-DD for dates and midnight timestamps."""
    if is_missing(value):
        return ""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):  # includes pd.Timestamp
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def pct(value: object, decimals: int = 2) -> str:
    if is_missing(value):
        return ""
    return f"{float(value) * 100:.{decimals}f}%"


def sig4(value: float) -> str:
    """4 significant digits; large magnitudes with thousands separators instead of exponents."""
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if abs(value) >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def sign_class(value: object) -> str:
    if is_missing(value):
        return ""
    return "pos" if float(value) > 0 else "neg" if float(value) < 0 else ""


def title_from_key(key: str) -> str:
    """'per_year' -> 'Per year'."""
    words = str(key).replace("_", " ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _plain(value: object) -> str:
    """Generic text of a cell of unknown type."""
    if is_missing(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, dt.date | np.datetime64):
        return iso(value)
    if isinstance(value, float | np.floating):
        return sig4(float(value))
    return str(value)


def _is_percent_column(name: object, values: pd.Series) -> bool:
    """Float columns named like a return ('ret' in the name) whose values all lie in [-5, 5]."""
    if "ret" not in str(name).lower():
        return False
    finite = values.to_numpy(dtype=float)
    finite = finite[np.isfinite(finite)]
    return bool(np.all((finite >= -5.0) & (finite <= 5.0)))


def _column_cells(name: object, values: pd.Series) -> tuple[list[Cell], bool]:
    """Formatted cells of one column and whether it is numeric."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return [Cell(_plain(v)) for v in values], False
    if pd.api.types.is_float_dtype(values.dtype):
        if _is_percent_column(name, values):
            return [Cell(pct(v), sign_class(v)) for v in values], True
        return [Cell(sig4(float(v))) for v in values], True
    if pd.api.types.is_integer_dtype(values.dtype):
        return [Cell("" if pd.isna(v) else str(int(v))) for v in values], True
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return [Cell(iso(v)) for v in values], False
    return [Cell(_plain(v)) for v in values], False


def has_meaningful_index(frame: pd.DataFrame) -> bool:
    index = frame.index
    if not isinstance(index, pd.RangeIndex) or index.name is not None:
        return True
    return not (index.start == 0 and index.step == 1)


def frame_table(frame: pd.DataFrame, title: str, note: str = "") -> Table:
    """A strategy diagnostics frame as a display table (index first when it carries meaning)."""
    columns: list[str] = []
    numeric: list[bool] = []
    cell_columns: list[list[Cell]] = []
    if has_meaningful_index(frame):
        index_values = pd.Series(frame.index, index=range(len(frame)))
        cells, is_num = _column_cells(frame.index.name or "", index_values)
        columns.append(str(frame.index.name) if frame.index.name is not None else "")
        numeric.append(is_num)
        cell_columns.append(cells)
    for position, name in enumerate(frame.columns):
        cells, is_num = _column_cells(name, frame.iloc[:, position])
        columns.append(str(name))
        numeric.append(is_num)
        cell_columns.append(cells)
    rows = [list(row) for row in zip(*cell_columns, strict=True)] if cell_columns else []
    return Table(title=title, columns=columns, rows=rows, numeric=numeric, note=note)


# --------------------------------------------------------------------------- the sections


def series_names(inp: ReportInput) -> list[str]:
    """The strategy first, then the benchmarks, as the stats table orders its columns."""
    return [inp.strategy.name, *inp.benchmarks]


def strategy_first(frame: pd.DataFrame, strategy: str) -> pd.DataFrame:
    if strategy in frame.columns and frame.columns[0] != strategy:
        rest = [c for c in frame.columns if c != strategy]
        return frame[[strategy, *rest]]
    return frame


def stats_table_view(stats: pd.DataFrame, title: str = "Statistics") -> Table:
    """A metrics x series statistics frame (engine.metrics.stats_table) as a display table."""
    formatted = format_stats(stats)
    rows = [
        [Cell(str(label)), *(Cell(str(v)) for v in formatted.loc[label])]
        for label in formatted.index
    ]
    columns = ["Metric", *map(str, formatted.columns)]
    return Table(title, columns, rows, [False] + [True] * len(formatted.columns))


def yearly_table_view(yearly: pd.DataFrame, period: tuple[object, object]) -> Table:
    """Calendar-year returns (years x series) as a display table, signed cells coloured."""
    rows = [
        [Cell(_plain(year)), *(Cell(pct(v, 1), sign_class(v)) for v in values)]
        for year, values in zip(yearly.index, yearly.to_numpy(dtype=float), strict=True)
    ]
    note = (
        f"Simple returns per calendar year. The first year starts on {iso(period[0])} and "
        f"the last ends on {iso(period[1])}: either may be a partial year."
    )
    columns = ["Year", *map(str, yearly.columns)]
    return Table(
        "Calendar-year returns", columns, rows, [False] + [True] * len(yearly.columns), note
    )


def stats_view(inp: ReportInput) -> Table:
    return stats_table_view(strategy_first(inp.stats, inp.strategy.name))


def yearly_view(inp: ReportInput) -> Table:
    return yearly_table_view(strategy_first(inp.yearly, inp.strategy.name), inp.period)


def allocations_view(inp: ReportInput) -> Table:
    target = inp.strategy.target_weights
    changes = target[~target.isna().all(axis=1)] if not target.empty else target
    shown = changes.iloc[:ALLOCATIONS_SHOWN]
    rows = [
        [Cell(iso(date)), *(Cell(pct(w)) for w in values)]
        for date, values in zip(shown.index, shown.to_numpy(dtype=float), strict=True)
    ]
    if changes.empty:
        note = "The strategy asked for no allocation."
    elif len(changes) > len(shown):
        note = (
            f"The first {len(shown)} of {len(changes)} decision rows; all of them are in "
            "target_weights.csv. A blank cell means no weight given for that ticker."
        )
    else:
        note = (
            f"All {len(changes)} decision rows (target weights as the strategy asked for them, "
            "also in target_weights.csv). A blank cell means no weight given for that ticker."
        )
    columns = ["Date", *map(str, target.columns)]
    return Table("Allocation changes", columns, rows, [False] + [True] * len(target.columns), note)


def _quantity(value: object) -> str:
    if is_missing(value):
        return ""
    q = float(value)
    if q == int(q):
        return f"{int(q):,d}"
    return f"{q:,.4f}".rstrip("0").rstrip(".")


def _money(value: object, decimals: int = 2) -> str:
    return "" if is_missing(value) else f"{float(value):,.{decimals}f}"


ORDER_FORMATS = {
    "date": (iso, False),
    "ticker": (_plain, False),
    "side": (_plain, False),
    "quantity": (_quantity, True),
    "price": (lambda v: _money(v, 4), True),
    "value": (_money, True),
    "fees": (_money, True),
}


def orders_view(inp: ReportInput) -> Table:
    orders = inp.strategy.orders
    shown = orders.iloc[:ORDERS_SHOWN]
    columns = list(orders.columns)
    formats = [ORDER_FORMATS.get(str(c), (_plain, False)) for c in columns]
    rows = [
        [
            Cell(fmt(v), sign_class(v) if str(c) == "value" else "")
            for (fmt, _), v, c in zip(formats, row, columns, strict=True)
        ]
        for row in shown.itertuples(index=False, name=None)
    ]
    if orders.empty:
        note = "No orders were filled."
    elif len(orders) > ORDERS_SHOWN:
        note = f"The first {ORDERS_SHOWN} of {len(orders)} orders; the full list is in orders.csv."
    else:
        note = f"All {len(orders)} orders (also in orders.csv)."
    return Table("Order log", [str(c) for c in columns], rows, [n for _, n in formats], note)


PROVENANCE_COLUMNS = (
    "ticker",
    "provider",
    "origin",
    "fetched_at",
    "first",
    "last",
    "rows",
    "served_from_cache",
    "close_only",
)


def provenance_view(inp: ReportInput) -> Table:
    sources = inp.data.sources
    order = [t for t in inp.data.tickers if t in sources] + [
        t for t in sources if t not in inp.data.tickers
    ]
    rows = []
    for ticker in order:
        info = asdict(sources[ticker])
        rows.append([Cell(_plain(info[c])) for c in PROVENANCE_COLUMNS])
    numeric = [c == "rows" for c in PROVENANCE_COLUMNS]
    note = "" if rows else "No provenance was recorded for the price data."
    return Table("Data provenance", list(PROVENANCE_COLUMNS), rows, numeric, note)


def _issue_dates(dates: tuple[str, ...]) -> str:
    shown = ", ".join(iso(d) for d in dates[:ISSUE_DATES_SHOWN])
    more = len(dates) - ISSUE_DATES_SHOWN
    return f"{shown}, … (+{more} more)" if more > 0 else shown


def issues_view(inp: ReportInput) -> Table:
    rows = [
        [
            Cell(issue.ticker),
            Cell(issue.kind),
            Cell(issue.severity, f"sev-{issue.severity}"),
            Cell(issue.message),
            Cell(str(len(issue.dates))),
            Cell(_issue_dates(tuple(issue.dates))),
        ]
        for issue in inp.data.issues
    ]
    columns = ["ticker", "kind", "severity", "message", "dates", "first dates"]
    note = "" if rows else "Validation found no issue in the price data."
    numeric = [False, False, False, False, True, False]
    return Table("Data validation issues", columns, rows, numeric, note)


def versions_view(inp: ReportInput) -> Table:
    rows = [[Cell(str(name)), Cell(str(version))] for name, version in inp.versions.items()]
    return Table("Package versions", ["package", "version"], rows, [False, False])


def build_view(
    inp: ReportInput, fingerprint: str | None = None, created_at: str | None = None
) -> ReportView:
    """Format every section of the report once, for both HTML and Markdown."""
    if fingerprint is None:
        fingerprint = inp.data.fingerprint()
    if created_at is None:
        created_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    tables = [frame_table(frame, title_from_key(key)) for key, frame in inp.tables.items()]
    return ReportView(
        title=inp.title,
        description=inp.description,
        run_id=inp.run_id,
        command=inp.command,
        created_at=created_at,
        period_start=iso(inp.period[0]),
        period_end=iso(inp.period[1]),
        period_note=inp.period_note,
        notes=list(inp.notes),
        stats=stats_view(inp),
        yearly=yearly_view(inp),
        tables=tables,
        allocations=allocations_view(inp),
        orders=orders_view(inp),
        provenance=provenance_view(inp),
        issues=issues_view(inp),
        fingerprint=fingerprint,
        config_toml=inp.config_toml,
        versions=versions_view(inp),
        series=series_names(inp),
    )


# --------------------------------------------------------------------------- HTML


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    # The template is named report.html.j2: ".j2" must be listed or autoescaping would be off.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=jinja2.select_autoescape(
            enabled_extensions=("html", "htm", "xml", "j2"), default=True
        ),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def png_data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def render_html(view: ReportView, equity_png: bytes, drawdown_png: bytes) -> str:
    template = environment().get_template("report.html.j2")
    return template.render(
        v=view,
        equity_src=png_data_uri(equity_png),
        drawdown_src=png_data_uri(drawdown_png),
    )
