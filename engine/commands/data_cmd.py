"""`run_backtest.py data status|update`: inspect or refresh the local price cache."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from engine.cleanup import start_up
from engine.config import apply_overrides, validate_model
from engine.errors import BadInputError
from engine.paths import project_root
from engine.settings import DataSettings
from engine.strategy import Strategy

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
        p.add_argument(
            "--set",
            dest="overrides",
            action="append",
            default=[],
            metavar="data.KEY=VALUE",
            help="override a [data] setting",
        )


def _settings(overrides: list[str]) -> DataSettings:
    for text in overrides:
        if not text.startswith("data."):
            raise BadInputError(f"--set {text!r}: data commands take only data.KEY=VALUE")
    doc = apply_overrides({}, overrides).get("data", {})
    return validate_model(DataSettings, doc, "data")  # type: ignore[return-value]


def run(args: argparse.Namespace, strategies: Mapping[str, Strategy], argv: Sequence[str]) -> int:
    from tabulate import tabulate

    from engine.data import data_status, update_tickers

    settings = _settings(args.overrides)
    start_up(settings, None)
    if args.data_command == "status":
        table = data_status(settings, project_root())
        if table.empty:
            print("no ticker in the cache or the mirror folder")
        else:
            for col in ("cache_rows", "mirror_rows"):
                table[col] = table[col].astype("Int64")
            shown = table.astype(object).where(table.notna(), "-")
            print(tabulate(shown, headers="keys", tablefmt="simple", showindex=False))
        return 0
    infos = update_tickers(args.tickers, settings, project_root(), source=args.source)
    for info in infos:
        print(f"{info.ticker}: {info.rows} rows {info.first}..{info.last} from {info.origin}")
    return 0
