"""The report as Markdown: the same sections and numbers as report.html (one `ReportView`).

Tables go through `DataFrame.to_markdown()` (tabulate, pipe format) with number parsing off, so
every cell keeps the exact text of the HTML report; charts are the PNG files next to report.md.
"""

from __future__ import annotations

from engine.report.run.header import RunHeader
from engine.report.run.html import ReportView
from engine.report.toolkit.escape import markdown_cell, markdown_text
from engine.report.toolkit.markdown import fenced, table_markdown


def run_header_markdown(view: RunHeader) -> list[str]:
    """The period, the command that made the report and the notes, as Markdown blocks."""
    period = f"**Period:** {view.period_start} to {view.period_end}"
    out = [f"{period}. {view.period_note}" if view.period_note else period]
    out.append("**Command:**\n\n" + fenced(view.command, "sh"))
    if view.notes:
        lines = ["> **Notes and caveats**", ">"]
        lines += [f"> - {markdown_cell(note)}" for note in view.notes]
        out.append("\n".join(lines))
    return out


def render_markdown(
    view: ReportView, equity_image: str = "equity.png", drawdown_image: str = "drawdown.png"
) -> str:
    out: list[str] = [f"# {markdown_cell(view.title)}"]
    if view.description:
        out.append(markdown_text(view.description))
    out.append(f"Run `{view.run_id}`, generated {view.created_at}")
    header = run_header_markdown(view)
    notes = [header.pop()] if view.notes else []  # the notes come after summary and verdicts
    out += header
    if view.summary:
        out.append(view.summary)
    if view.verdict_lines or view.verdict_tables:
        out.append("## Did it beat its benchmarks, and could that be luck?")
        out.append("\n".join(f"- {markdown_cell(line)}" for line in view.verdict_lines))
        for table in view.verdict_tables:
            out += [f"### {markdown_cell(table.title)}", table_markdown(table)]
    out += notes

    out.append("## Statistics")
    out.append(table_markdown(view.stats))
    out.append("## Equity")
    out.append(f"![Equity curves (log scale)]({equity_image})")
    out.append("## Drawdown")
    out.append(f"![Drawdowns]({drawdown_image})")
    if view.drawdowns is not None:
        out += [f"### {view.drawdowns.title}", table_markdown(view.drawdowns)]
    out.append("## Allocation over time")
    out.append("![Allocation over time](allocation.png)")
    out.append(f"## {view.yearly.title}")
    out.append("\n".join(f"- {markdown_cell(line)}" for line in view.beats))
    out.append("![Calendar-year returns](yearly_returns.png)")
    out.append(table_markdown(view.yearly))
    out.append("## Monthly returns")
    out.append("![Monthly returns](monthly_returns.png)")
    out.append("## Rolling 12 months")
    out.append("![Rolling return difference, Sharpe ratio and beta](rolling.png)")

    if view.tables:
        out.append("## Strategy diagnostics")
        for table in view.tables:
            out.append(f"### {markdown_cell(table.title)}")
            out.append(table_markdown(table))

    out.append(f"## {view.allocations.title}")
    out.append(view.allocation_summary)
    out.append(table_markdown(view.allocations))
    out.append(f"## {view.orders.title}")
    out.append(view.orders_summary)
    out.append(table_markdown(view.orders))

    out.append("## Data")
    out.append(f"### {view.provenance.title}")
    out.append(table_markdown(view.provenance))
    out.append(f"### {view.issues.title}")
    out.append(table_markdown(view.issues))
    out.append("### Price data fingerprint")
    out.append(f"SHA-256 of every price used: `{view.fingerprint}`")

    out.append("## Effective configuration")
    out.append(fenced(view.config_toml, "toml"))
    out.append(f"## {view.versions.title}")
    out.append(table_markdown(view.versions))
    return "\n\n".join(part for part in out if part) + "\n"
