"""CLI commands, one module each. A module exposes:

    NAME: str                       the sub-command ("list", "data", ...)
    HELP: str                       one line for --help
    add_arguments(parser, strategies) -> None
    run(args, strategies, argv) -> int (exit code)

`engine.cli.main` builds the parser from `COMMANDS`; strategies themselves are sub-commands too
(`run_backtest.py first10days`), handled by `engine.cli.commands.run_strategy`.
"""

from __future__ import annotations

from engine.cli.commands import (
    claims_cmd,
    compare_cmd,
    data_cmd,
    list_cmd,
    signals_cmd,
    sweep_cmd,
)

COMMANDS = (list_cmd, data_cmd, compare_cmd, claims_cmd, sweep_cmd, signals_cmd)
