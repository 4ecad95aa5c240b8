"""The report's content as plain display tables, and its rendering to one self-contained HTML page.

`build_view` turns a `ReportInput` into a `ReportView`: every table already formatted as text, so
the HTML page and the Markdown report (engine.report.run.markdown) show exactly the same numbers.
`render_html` fills templates/report.html.j2 (which extends the toolkit's base.html.j2) with the
view and the charts embedded as base64 PNG data URIs, so the page opens offline.
Formatting, tables and the Jinja environment are the report toolkit's (engine.report.toolkit).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from engine.report.model import ReportInput
from engine.report.run.header import RunHeader, header_fields
from engine.report.run.narrative import (
    allocation_summary,
    beat_lines,
    drawdowns_view,
    orders_summary,
    strategy_first,
    summary_text,
    verdict_views,
)
from engine.report.toolkit.format import (
    BETTER,
    format_stats,
    human_column,
    is_missing,
    iso,
    pct,
    sign_class,
    title_from_key,
    versus_class,
)
from engine.report.toolkit.format import plain as _plain
from engine.report.toolkit.page import environment, png_data_uri
from engine.report.toolkit.tables import Cell, Table, frame_table

__all__ = [
    "KEY_METRICS",
    "ReportView",
    "build_view",
    "key_stats_view",
    "render_html",
    "stats_table_view",
    "yearly_table_view",
]

ORDERS_SHOWN = 200  # order rows shown in the HTML/Markdown report; orders.csv has them all
ALLOCATIONS_SHOWN = 500  # allocation-change rows shown; target_weights.csv has them all


@dataclass(kw_only=True)
class ReportView(RunHeader):
    """Everything the HTML and Markdown reports show, already formatted."""

    description: str
    stats: Table
    key_stats: Table
    yearly: Table
    tables: list[Table]
    allocations: Table
    orders: Table
    config_toml: str
    series: list[str] = field(default_factory=list)
    summary: str = ""
    verdict_lines: list[str] = field(default_factory=list)
    verdict_tables: list[Table] = field(default_factory=list)
    beats: list[str] = field(default_factory=list)
    drawdowns: Table | None = None
    allocation_summary: str = ""
    orders_summary: str = ""


# --------------------------------------------------------------------------- the sections


def series_names(inp: ReportInput) -> list[str]:
    """The strategy first, then the benchmarks, as the stats table orders its columns."""
    return [inp.strategy.name, *inp.benchmarks]


KEY_METRICS = ("cagr", "total_return", "sharpe", "max_drawdown", "ann_volatility",
               "time_in_market", "worst_year")  # fmt: skip


def stats_table_view(
    stats: pd.DataFrame, title: str = "Statistics", judged: int = 0, benchmark: str = ""
) -> Table:
    """A metrics x series statistics frame (engine.stats.metrics.stats_table) as a display table.
    The first `judged` columns are coloured better or worse than the `benchmark` column."""
    formatted = format_stats(stats)
    names = list(stats.columns)

    def cls(key: object, column: int) -> str:
        if column >= judged or benchmark not in names:
            return ""
        raw = stats.loc[key]
        return versus_class(raw.iloc[column], raw[benchmark], BETTER.get(str(key), 0))

    rows = [
        [Cell(str(label)), *(Cell(str(v), cls(key, i)) for i, v in enumerate(formatted.loc[label]))]
        for key, label in zip(stats.index, formatted.index, strict=True)
    ]
    columns = ["Metric", *map(str, formatted.columns)]
    return Table(title, columns, rows, [False] + [True] * len(formatted.columns))


def yearly_table_view(
    yearly: pd.DataFrame, period: tuple[object, object], judged: int = 0, benchmark: str = ""
) -> Table:
    """Calendar-year returns (years x series) as a display table; the first `judged` columns
    coloured better or worse than the `benchmark` column that year."""
    base = (
        yearly[benchmark].to_numpy(dtype=float)
        if benchmark in yearly.columns
        else [float("nan")] * len(yearly)
    )
    rows = [
        [
            Cell(_plain(year)),
            *(
                Cell(pct(v, 1), versus_class(v, b) if i < judged else "")
                for i, v in enumerate(values)
            ),
        ]
        for year, values, b in zip(yearly.index, yearly.to_numpy(dtype=float), base, strict=True)
    ]
    note = (
        f"Simple returns per calendar year. The first year starts on {iso(period[0])} and "
        f"the last ends on {iso(period[1])}: either may be a partial year."
    )
    columns = ["Year", *map(str, yearly.columns)]
    return Table(
        "Calendar-year returns", columns, rows, [False] + [True] * len(yearly.columns), note
    )


def _main_benchmark(inp: ReportInput) -> str:
    return next(iter(inp.benchmarks), "")


def stats_view(inp: ReportInput) -> Table:
    stats = strategy_first(inp.stats, inp.strategy.name)
    return stats_table_view(stats, judged=1, benchmark=_main_benchmark(inp))


def key_stats_view(inp: ReportInput) -> Table:
    """The first screen's statistics: the key metrics of the strategy beside its benchmarks,
    its cells coloured better or worse than the main benchmark."""
    stats = strategy_first(inp.stats, inp.strategy.name)
    stats = stats.loc[[k for k in KEY_METRICS if k in stats.index]]
    table = stats_table_view(stats, "Key statistics", judged=1, benchmark=_main_benchmark(inp))
    main = _main_benchmark(inp)
    table.note = f"Green: better than {main}; red: worse." if main else ""
    return table


def yearly_view(inp: ReportInput) -> Table:
    yearly = strategy_first(inp.yearly, inp.strategy.name)
    return yearly_table_view(yearly, inp.period, judged=1, benchmark=_main_benchmark(inp))


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


def build_view(
    inp: ReportInput, fingerprint: str | None = None, created_at: str | None = None
) -> ReportView:
    """Format every section of the report once, for both HTML and Markdown."""
    tables = [
        frame_table(frame, title_from_key(key), label=human_column, footnote_notes=True)
        for key, frame in inp.tables.items()
    ]
    return ReportView(
        **header_fields(inp, inp.title, fingerprint, created_at),
        description=inp.description,
        stats=stats_view(inp),
        key_stats=key_stats_view(inp),
        yearly=yearly_view(inp),
        tables=tables,
        allocations=allocations_view(inp),
        orders=orders_view(inp),
        config_toml=inp.config_toml,
        series=series_names(inp),
        summary=" ".join(t for t in (summary_text(inp), inp.warmup_note) if t),
        verdict_lines=list(inp.verdict_lines),
        verdict_tables=verdict_views(inp),
        beats=beat_lines(
            inp.strategy.equity,
            {name: result.equity for name, result in inp.benchmarks.items()},
            inp.strategy.name,
        ),
        drawdowns=drawdowns_view(inp),
        allocation_summary=allocation_summary(inp),
        orders_summary=orders_summary(inp),
    )


# --------------------------------------------------------------------------- HTML


def render_html(
    view: ReportView,
    equity_png: bytes,
    drawdown_png: bytes,
    charts: dict[str, bytes] | None = None,
) -> str:
    """The page; `charts` adds the other figures by file name (allocation.png, ...)."""
    template = environment().get_template("report.html.j2")
    sources = {name: png_data_uri(data) for name, data in (charts or {}).items()}
    return template.render(
        v=view,
        equity_src=png_data_uri(equity_png),
        equity_width=int.from_bytes(equity_png[16:20], "big"),  # from the PNG's IHDR chunk
        equity_height=int.from_bytes(equity_png[20:24], "big"),
        drawdown_src=png_data_uri(drawdown_png),
        src=sources,
    )
