"""`run_backtest.py signals [STRATEGY...]`: what each rule wants now, on the latest data.

For every strategy (or those named), with its default config (or --config / --set when one
strategy is named): the allocation wanted after the latest close, the inputs of that decision,
when it last changed and when the next decision falls due, and the data's last date.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from engine.cli.commands.common import add_config_options
from engine.decisions.strategy import Strategy

NAME = "signals"
HELP = "what each strategy wants now on the latest data, and why"


def add_arguments(parser: argparse.ArgumentParser, strategies: Mapping[str, Strategy]) -> None:
    parser.add_argument(
        "strategies", nargs="*", metavar="STRATEGY", help="strategies to ask (default: all)"
    )
    add_config_options(parser)


def run(args: argparse.Namespace, strategies: Mapping[str, Strategy], argv: Sequence[str]) -> int:
    from engine.api.current_signals import signals
    from engine.api.signal_view import render_signal

    found = signals(
        args.strategies or None,
        config=args.config,
        defaults=args.defaults,
        overrides=args.overrides,
        catalog=strategies,
    )
    print("\n\n".join(render_signal(signal) for signal in found))
    return 0
