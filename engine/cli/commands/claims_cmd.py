"""`run_backtest.py claims [NAME ...]`: test the press's market claims as event studies."""

from __future__ import annotations

import argparse
import shlex
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from engine.cli.commands.common import add_defaults_option, add_set_option
from engine.decisions.strategy import Strategy

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
    add_set_option(
        parser,
        "NAME.KEY=VALUE",
        "override a claim's key (first10days.lead_days=15), a stats key for every claim "
        "(stats.seed=1) or a data/report setting (data.cache_dir=...)",
    )
    add_defaults_option(parser)
    parser.add_argument("--no-report", action="store_true", help="print only, write nothing")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="print each claim's definition and every finding (default: its answer and verdict)",
    )


def run(args: argparse.Namespace, strategies: Mapping[str, Strategy], argv: Sequence[str]) -> int:
    from engine.api.check_claims import claim_definitions, claims
    from engine.api.display import claims_text
    from engine.data.findings import terminal_lines

    started = getattr(args, "started", None) or time.perf_counter()  # the whole command
    if args.list:
        definitions = claim_definitions(args.claims_dir, args.overrides, args.date)
        for name, defn in definitions.items():
            print(f"{name} ({defn.kind}): {defn.title}")
            print(f'    "{defn.quotes[0]}"')
        return 0
    command = "python run_backtest.py " + " ".join(shlex.quote(a) for a in argv)
    result = claims(
        args.names,
        date=args.date,
        claims_dir=args.claims_dir,
        overrides=args.overrides,
        defaults=args.defaults,
        command=command,
    )
    shown = (line for c in result.checks if c.result.data is not None
             for line in terminal_lines(c.result.data))  # fmt: skip
    for line in dict.fromkeys(shown):
        print(line)
    print(claims_text([c.result for c in result.checks], args.verbose))
    if not args.no_report:
        folder = result.report()
        print(f"report: {folder / 'report.html'}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return 0
