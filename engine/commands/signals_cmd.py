"""`run_backtest.py signals [STRATEGY...]`: what each rule wants now, on the latest data.

For every strategy (or those named), with its default config (or --config / --set when one
strategy is named): the allocation wanted after the latest close, the inputs of that decision,
when it last changed and when the next decision falls due, and the data's last date.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Mapping, Sequence

from engine.commands.common import add_config_options
from engine.errors import BadInputError
from engine.strategy import Strategy

NAME = "signals"
HELP = "what each strategy wants now on the latest data, and why"


def add_arguments(parser: argparse.ArgumentParser, strategies: Mapping[str, Strategy]) -> None:
    parser.add_argument(
        "strategies", nargs="*", metavar="STRATEGY", help="strategies to ask (default: all)"
    )
    add_config_options(parser)


def check_names(names: Sequence[str], strategies: Mapping[str, Strategy]) -> list[str]:
    """The names asked for (all when none), refusing an unknown one with a did-you-mean."""
    for name in names:
        if name not in strategies:
            close = difflib.get_close_matches(name, list(strategies), n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise BadInputError(
                f"unknown strategy {name!r}; {hint}known: {', '.join(sorted(strategies))}"
            )
    return list(dict.fromkeys(names)) or sorted(strategies)


def run(args: argparse.Namespace, strategies: Mapping[str, Strategy], argv: Sequence[str]) -> int:
    from engine.config import load_config
    from engine.paths import PROJECT_ROOT
    from engine.signals import compute_signal, render_signal

    names = check_names(args.strategies, strategies)
    if (args.config is not None or args.overrides) and len(names) != 1:
        raise BadInputError("--config and --set need exactly one STRATEGY")
    chosen = {n: strategies[n] for n in names}
    configs = {n: load_config(s, args.config, args.overrides) for n, s in chosen.items()}
    for i, (name, strategy) in enumerate(chosen.items()):  # each printed as soon as known
        signal = compute_signal(strategy, configs[name], PROJECT_ROOT)
        print(("\n" if i else "") + render_signal(signal), flush=True)
    return 0
