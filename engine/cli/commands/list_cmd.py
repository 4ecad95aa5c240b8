"""`run_backtest.py list`: every strategy with its description and key parameters."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence

from engine.decisions.strategy import Strategy

NAME = "list"
HELP = "list strategies with their key parameters"


def add_arguments(parser: argparse.ArgumentParser, strategies: Mapping[str, Strategy]) -> None:
    return None


def run(args: argparse.Namespace, strategies: Mapping[str, Strategy], argv: Sequence[str]) -> int:
    from engine.api.catalog import StrategyInfo

    for name, strategy in sorted(strategies.items()):
        strategy.params_model()  # a broken model fails here with its own error
        info = StrategyInfo.of(strategy)
        print(f"{name}: {info.description}")
        for key in info.key_params:
            print(f"    {key} = {info.defaults[key]!r}")
    return 0
