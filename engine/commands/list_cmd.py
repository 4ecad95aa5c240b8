"""`run_backtest.py list`: every strategy with its description and key parameters."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from engine.strategy import Strategy

NAME = "list"
HELP = "list strategies with their key parameters"


def add_arguments(parser: argparse.ArgumentParser, strategies: Mapping[str, Strategy]) -> None:
    return None


def run(args: argparse.Namespace, strategies: Mapping[str, Strategy], argv: Sequence[str]) -> int:
    for name, strategy in sorted(strategies.items()):
        print(f"{name}: {strategy.description}")
        defaults = strategy.params_model()
        for key in strategy.key_params:
            print(f"    {key} = {getattr(defaults, key)!r}")
    return 0
