"""What the numbers say, in words and short tables: the summary paragraph at the top of a
single-run report, "beat SPY in X of Y calendar years", the worst drawdowns, and the one-line
summaries that stand in for the long allocation and order tables."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from engine.inference.verdicts import year_record
from engine.report.model import ReportInput
from engine.report.toolkit.format import human_column, is_missing, iso, pct
from engine.report.toolkit.tables import Cell, Table, frame_table
from engine.simulate.result import target_changes
from engine.stats.metrics import drawdown_periods
from engine.stats.returns_nb import PERIODS_PER_YEAR

__all__ = [
    "allocation_summary",
    "beat_lines",
    "drawdowns_view",
    "orders_summary",
    "strategy_first",
    "summary_text",
    "verdict_views",
]

WORST_DRAWDOWNS = 5


def strategy_first(frame: pd.DataFrame, strategy: str) -> pd.DataFrame:
    if strategy in frame.columns and frame.columns[0] != strategy:
        rest = [c for c in frame.columns if c != strategy]
        return frame[[strategy, *rest]]
    return frame


def beat_lines(strategy: pd.Series, benchmarks: Mapping[str, pd.Series], name: str) -> list[str]:
    """ "first10days beat SPY buy & hold in 5 of 25 complete calendar years", per benchmark,
    from the equity curves: the same count (complete years, 0.1-point ties) as the verdicts'
    binomial test (`engine.inference.verdicts.year_record`)."""
    out: list[str] = []
    partial: tuple[int, ...] = ()
    for bench, equity in benchmarks.items():
        record = year_record(strategy, equity, bench)
        partial = record.partial
        detail = [f"lagged in {record.losses}"] if record.losses else []
        if record.ties:
            detail.append(f"{record.ties} within 0.1 point")
        extra = f" ({'; '.join(detail)})" if detail else ""
        out.append(
            f"{name} beat {bench} in {record.wins} of {record.years} complete calendar "
            f"years{extra}."
        )
    if partial and out:
        out.append("Partial years left out of these counts: " + ", ".join(map(str, partial)) + ".")
    return out


def drawdowns_view(inp: ReportInput, top: int = WORST_DRAWDOWNS) -> Table:
    """The `top` deepest drawdowns of the strategy: peak, trough, recovery, depth, lengths."""
    table = drawdown_periods(inp.strategy.equity, top=top)
    rows = [
        [
            Cell(str(i)),
            Cell(iso(r.peak)),
            Cell(iso(r.trough)),
            Cell(iso(r.recovery) if r.recovered else "not yet"),
            Cell(pct(r.depth), "neg"),
            Cell(f"{r.decline_sessions:,}"),
            Cell(f"{r.length_sessions:,}" + ("" if r.recovered else " so far")),
        ]
        for i, r in enumerate(table.itertuples(index=False), 1)
    ]
    columns = ["#", "Peak", "Trough", "Recovery", "Depth", "Peak to trough (sessions)",
               "Peak to recovery (sessions)"]  # fmt: skip
    note = (
        f"The {len(rows)} deepest falls of {inp.strategy.name} below a previous high; a "
        "drawdown ends at the first new high (pyfolio's convention). Also in drawdowns.csv."
    )
    numeric = [True, False, False, False, True, True, True]
    return Table("Worst drawdowns", columns, rows, numeric, note)


def _average_holdings(inp: ReportInput) -> str:
    """'on average 38% IWM, 61% SPY and 1% cash' from the realised daily weights."""
    weights = inp.strategy.weights.fillna(0.0).mean()
    parts = [(str(t), float(w)) for t, w in weights.items() if w >= 0.005]
    cash = float(inp.strategy.cash_weight.fillna(0.0).mean())
    if cash >= 0.005:
        parts.append(("cash", cash))
    parts.sort(key=lambda p: -p[1])
    texts = [f"{w * 100:.0f}% {t}" for t, w in parts]
    if not texts:
        return ""
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def _metric(inp: ReportInput, key: str, name: str) -> object:
    try:
        return inp.stats.loc[key, name]
    except KeyError:
        return float("nan")


def summary_text(inp: ReportInput) -> str:
    """One paragraph in plain words: what the rule did, against what, over what period."""
    name = inp.strategy.name
    equity = inp.strategy.equity.dropna()
    start, end = iso(inp.period[0]), iso(inp.period[1])
    years = (len(equity) - 1) / PERIODS_PER_YEAR if len(equity) > 1 else 0.0
    first, last = float(equity.iloc[0]), float(equity.iloc[-1])

    def record(series: str) -> str:
        return (
            f"{pct(_metric(inp, 'cagr', series))} a year, Sharpe "
            f"{_fmt_ratio(_metric(inp, 'sharpe', series))}, worst drawdown "
            f"{pct(_metric(inp, 'max_drawdown', series), 1)}"
        )

    text = (
        f"From {start} to {end} ({years:.1f} years of sessions), {name} turned "
        f"{first:,.0f} into {last:,.0f}: {record(name)}."
    )
    holdings = _average_holdings(inp)
    changes = len(target_changes(inp.strategy.target_weights))
    if holdings:
        text += (
            f" It held on average {holdings}, and changed its target allocation {changes:,} "
            f"times ({changes / years:.1f} a year)."
            if years > 0
            else ""
        )
    others = list(inp.benchmarks)
    if others:
        main = others[0]
        text += f" Over the same sessions {main} made {record(main)}"
        rest = [f"{b} {pct(_metric(inp, 'cagr', b))} a year" for b in others[1:]]
        text += (" (" + "; ".join(rest) + ")") if rest else ""
        text += "."
        beats = beat_lines(inp.strategy.equity, {main: inp.benchmarks[main].equity}, name)
        if beats:
            text += " " + beats[0]
    return text


def _fmt_ratio(value: object) -> str:
    return "n/a" if is_missing(value) else f"{float(value):.2f}"


def allocation_summary(inp: ReportInput) -> str:
    target = inp.strategy.target_weights
    changes = target[~target.isna().all(axis=1)] if not target.empty else target
    if changes.empty:
        return "The strategy asked for no allocation."
    last_date = changes.index[-1]
    last = changes.iloc[-1].dropna()
    held = ", ".join(f"{w * 100:.0f}% {t}" for t, w in last.items() if abs(w) > 1e-9) or "cash"
    return (
        f"{len(changes):,} decision rows from {iso(changes.index[0])} to {iso(last_date)}; the "
        f"latest, on {iso(last_date)}, asks for {held}. Every row is in target_weights.csv and "
        "the realised daily weights in weights.csv."
    )


def orders_summary(inp: ReportInput) -> str:
    orders = inp.strategy.orders
    if orders.empty:
        return "No orders were filled."
    fees = float(orders["fees"].sum()) if "fees" in orders else float("nan")
    traded = float(orders["value"].abs().sum()) if "value" in orders else float("nan")
    return (
        f"{len(orders):,} orders filled on {orders['date'].nunique():,} sessions, "
        f"{traded:,.0f} traded in all and {fees:,.2f} paid in fees; every order is in orders.csv."
    )


def verdict_views(inp: ReportInput) -> list[Table]:
    return [frame_table(frame, title, label=human_column)
            for title, frame in inp.verdict_tables.items()]  # fmt: skip
