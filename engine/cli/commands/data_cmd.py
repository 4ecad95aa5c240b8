"""`run_backtest.py data status|update`: inspect or refresh the local price cache."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from engine.cli.commands.common import add_repeatable
from engine.decisions.strategy import Strategy

NAME = "data"
HELP = "inspect or refresh the local price cache"


def add_arguments(parser: argparse.ArgumentParser, strategies: Mapping[str, Strategy]) -> None:
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION", parser_class=type(parser))
    sub.required = True
    status = sub.add_parser("status", help="cached and mirrored tickers with their ranges")
    update = sub.add_parser("update", help="refresh tickers from the providers")
    update.add_argument("tickers", nargs="+", metavar="TICKER")
    update.add_argument("--source", choices=["mirror", "yfinance"], help="only this provider")
    for p in (status, update):
        add_repeatable(p, "--set", "data.KEY=VALUE", "override a [data] setting", dest="overrides")


def run(args: argparse.Namespace, strategies: Mapping[str, Strategy], argv: Sequence[str]) -> int:
    from tabulate import tabulate

    from engine.api.data import data_status, update_data

    if args.data_command == "status":
        table = data_status(overrides=args.overrides)
        if table.empty:
            print("no ticker in the cache or the mirror folder")
        else:
            shown = table.astype(object).where(table.notna(), "-")
            print(tabulate(shown, headers="keys", tablefmt="simple", showindex=False))
        return 0
    for info in update_data(args.tickers, source=args.source, overrides=args.overrides):
        print(f"{info.ticker}: {info.rows} rows {info.first}..{info.last} from {info.origin}")
    return 0
