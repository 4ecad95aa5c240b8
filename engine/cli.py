"""The command line: `run_backtest.py STRATEGY`, `list`, `data status`, `data update`.

Exit codes: 0 success, 2 bad input (config, arguments, unknown ticker), 1 failure while running.
Expected failures print one line of cause (plus the fix) instead of a traceback; `--debug`
shows the traceback for anything.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path

from engine.config import apply_overrides, load_config, validate_model
from engine.errors import BadInputError, RotationLabError
from engine.paths import PROJECT_ROOT, resolve
from engine.strategy import Strategy

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad arguments, which is our 'bad input' code; keep its message."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise BadInputError(f"{self.prog}: {message}")


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", type=Path, help="TOML file replacing the strategy's default config"
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config value (dotted keys, TOML values), repeatable",
    )


def build_parser(strategies: Mapping[str, Strategy]) -> argparse.ArgumentParser:
    listing = "\n".join(f"  {n:<16} {s.description}" for n, s in sorted(strategies.items()))
    parser = _Parser(
        prog="run_backtest.py",
        description="rotation-lab: backtest small-cap rotation rules and press claims.",
        epilog=f"strategies:\n{listing}\n\nexamples:\n"
        "  python run_backtest.py first10days\n"
        "  python run_backtest.py first10days --set lead_days=15 --set anchor=first_close\n"
        "  python run_backtest.py data status",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on failure")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, strategy in sorted(strategies.items()):
        p = sub.add_parser(name, help=f"run {name}: {strategy.description}")
        _add_config_options(p)
        p.add_argument("--no-report", action="store_true", help="print the stats, write nothing")
    sub.add_parser("list", help="list strategies with their key parameters")
    data = sub.add_parser("data", help="inspect or refresh the local price cache")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION", parser_class=_Parser)
    data_sub.required = True
    status = data_sub.add_parser("status", help="cached and mirrored tickers with their ranges")
    update = data_sub.add_parser("update", help="refresh tickers from the providers")
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
    return parser


def _cmd_run(strategy: Strategy, args: argparse.Namespace, argv: Sequence[str]) -> int:
    from engine.pipeline import run_strategy  # heavy imports only when a run is asked for
    from engine.report import render_terminal_summary, write_report

    started = time.perf_counter()
    cfg = load_config(strategy, args.config, args.overrides)
    command = "python run_backtest.py " + " ".join(shlex.quote(a) for a in argv)
    inp = run_strategy(strategy, cfg, PROJECT_ROOT, command)
    print(render_terminal_summary(inp))
    for note in inp.notes:
        print(f"note: {note}")
    if not args.no_report:
        folder = write_report(inp, resolve(cfg.report.output_dir))
        print(f"report: {folder / 'report.html'}")
    print(f"done in {time.perf_counter() - started:.1f} s")
    return EXIT_OK


def _cmd_list(strategies: Mapping[str, Strategy]) -> int:
    for name, strategy in sorted(strategies.items()):
        print(f"{name}: {strategy.description}")
        defaults = strategy.params_model()
        for key in strategy.key_params:
            print(f"    {key} = {getattr(defaults, key)!r}")
    return EXIT_OK


def _data_settings(overrides: list[str]):
    from engine.settings import DataSettings

    for text in overrides:
        if not text.startswith("data."):
            raise BadInputError(f"--set {text!r}: data commands take only data.KEY=VALUE")
    doc = apply_overrides({}, overrides).get("data", {})
    return validate_model(DataSettings, doc, "data")


def _cmd_data(args: argparse.Namespace) -> int:
    from tabulate import tabulate

    from engine.data import data_status, update_tickers

    settings = _data_settings(args.overrides)
    if args.data_command == "status":
        table = data_status(settings, PROJECT_ROOT)
        if table.empty:
            print("no ticker in the cache or the mirror folder")
        else:
            print(tabulate(table, headers="keys", tablefmt="simple", showindex=False))
        return EXIT_OK
    infos = update_tickers(args.tickers, settings, PROJECT_ROOT, source=args.source)
    for info in infos:
        print(f"{info.ticker}: {info.rows} rows {info.first}..{info.last} from {info.origin}")
    return EXIT_OK


def main(strategies: Mapping[str, Strategy], argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        args = build_parser(strategies).parse_args(argv)
        if args.command == "list":
            return _cmd_list(strategies)
        if args.command == "data":
            return _cmd_data(args)
        return _cmd_run(strategies[args.command], args, argv)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except RotationLabError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: no report was written", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # an unexpected failure: one line, the traceback on --debug
        if debug:
            traceback.print_exc()
        print(
            f"unexpected failure: {type(exc).__name__}: {exc} (rerun with --debug for details)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
