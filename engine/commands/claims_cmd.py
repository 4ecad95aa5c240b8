"""`run_backtest.py claims [NAME ...]`: test the press's market claims as event studies."""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import shlex
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from engine.commands.common import start_up
from engine.config import apply_overrides, validate_model
from engine.errors import BadInputError, ConfigError
from engine.paths import PROJECT_ROOT, resolve
from engine.settings import DataSettings, ReportSettings
from engine.strategy import Strategy

NAME = "claims"
HELP = "test press claims (streaks, RSI, first days...) with sample sizes and intervals"


def add_arguments(parser: argparse.ArgumentParser, strategies: Mapping[str, Strategy]) -> None:
    parser.add_argument("names", nargs="*", metavar="NAME", help="claims to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the claims and exit")
    parser.add_argument(
        "--date", help="the claim date (YYYY-MM-DD) for claims that have one (RSI on a date...)"
    )
    parser.add_argument(
        "--claims-dir", type=Path, help="folder of extra claim definition files (*.toml)"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="NAME.KEY=VALUE",
        help="override a claim's key (first10days.lead_days=15), a stats key for every claim "
        "(stats.seed=1) or a data/report setting (data.cache_dir=...), repeatable",
    )
    parser.add_argument("--no-report", action="store_true", help="print only, write nothing")


def _date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadInputError(f"--date {text!r} is not a date; use YYYY-MM-DD") from None


def _section(overrides: list[str], name: str, model: type) -> object:
    texts = [t for t in overrides if t.startswith(f"{name}.")]
    doc = apply_overrides({}, texts).get(name, {})
    return validate_model(model, doc, name)


def _selected(names: list[str], known: list[str]) -> list[str]:
    if not names:
        return known
    for name in names:
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            tip = f"; did you mean {hint[0]!r}?" if hint else ""
            raise BadInputError(f"no claim is named {name!r}{tip} (claims: {', '.join(known)})")
    return list(dict.fromkeys(names))


def run(args: argparse.Namespace, strategies: Mapping[str, Strategy], argv: Sequence[str]) -> int:
    from engine.claims import load_definitions, run_claim, run_summary
    from engine.data.findings import terminal_lines

    started = time.perf_counter()
    definitions = load_definitions(args.claims_dir, args.overrides, _date(args.date))
    if args.list:
        for name, defn in definitions.items():
            print(f"{name} ({defn.kind}): {defn.title}")
            print(f'    "{defn.quotes[0]}"')
        return 0
    names = _selected(args.names, list(definitions))
    try:
        data = _section(args.overrides, "data", DataSettings)
        report = _section(args.overrides, "report", ReportSettings)
    except ConfigError as exc:
        raise ConfigError(f"claims: {exc}") from None
    root = None if args.no_report else resolve(report.output_dir)  # type: ignore[attr-defined]
    start_up(data, root)  # type: ignore[arg-type]
    results = [run_claim(definitions[n], data, PROJECT_ROOT) for n in names]  # type: ignore[arg-type]
    shown = (line for r in results if r.data is not None for line in terminal_lines(r.data))
    for line in dict.fromkeys(shown):
        print(line)
    summary = run_summary(results)
    print(summary)
    if not args.no_report:
        from engine.claims.report import write_claims_report

        command = "python run_backtest.py " + " ".join(shlex.quote(a) for a in argv)
        folder = write_claims_report(
            results,
            resolve(report.output_dir),
            command,
            summary,  # type: ignore[attr-defined]
        )
        print(f"report: {folder / 'report.html'}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0
