"""The command line. Strategies are sub-commands (`run_backtest.py first10days`), next to the
commands of `engine.commands.COMMANDS` (`list`, `data`, ...).

Exit codes: 0 success, 2 bad input (config, arguments, unknown ticker), 1 failure while running.
Expected failures print one line of cause (plus the fix) instead of a traceback; `--debug`
shows the traceback for anything.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Mapping, Sequence

from engine.commands import COMMANDS, run_strategy
from engine.errors import BadInputError, RotationLabError
from engine.strategy import Strategy

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """Bad arguments raise BadInputError (exit 2) so main() reports them like any bad input.

    A missing sub-command is answered with the valid ones, as an unknown one already is.
    """

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        for action in self._actions:
            if (
                isinstance(action, argparse._SubParsersAction)
                and action.metavar
                and f"required: {action.metavar}" in message
            ):
                message += f" (choose from {', '.join(map(repr, action.choices))})"
        raise BadInputError(f"{self.prog}: {message}")


def build_parser(strategies: Mapping[str, Strategy]) -> argparse.ArgumentParser:
    commands = "\n".join(f"  {c.NAME:<18} {c.HELP}" for c in COMMANDS)
    parser = _Parser(
        prog="run_backtest.py",
        description="rotation-lab: backtest small-cap rotation rules and press claims.",
        epilog=f"strategies:\n{run_strategy.describe(strategies)}\n\ncommands:\n{commands}\n\n"
        "examples:\n"
        "  python run_backtest.py first10days\n"
        "  python run_backtest.py first10days --set lead_days=15 --set anchor=first_close\n"
        "  python run_backtest.py data status",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks on failure")
    parser.add_argument(
        "--strategies-dir",
        metavar="DIR",
        action="append",
        help="also load the strategy modules of DIR (*.py defining STRATEGY), repeatable",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, strategy in sorted(strategies.items()):
        p = sub.add_parser(name, help=f"run {name}: {strategy.description}")
        run_strategy.add_arguments(p, strategy)
    for command in COMMANDS:
        if command.NAME in strategies:
            raise RuntimeError(f"a strategy is named like the command {command.NAME!r}")
        command.add_arguments(sub.add_parser(command.NAME, help=command.HELP), strategies)
    return parser


def split_strategies_dirs(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """`--strategies-dir DIR` (anywhere in argv, repeatable) apart from the other arguments: the
    folders must be loaded before the parser is built, since strategies are sub-commands."""
    dirs: list[str] = []
    rest: list[str] = []
    items = iter(argv)
    for item in items:
        if item == "--":
            rest.append(item)
            rest.extend(items)
            break
        if item == "--strategies-dir":
            folder = next(items, None)
            if folder is None:
                raise BadInputError("--strategies-dir needs a folder: --strategies-dir DIR")
            dirs.append(folder)
        elif item.startswith("--strategies-dir="):
            dirs.append(item.partition("=")[2])
        else:
            rest.append(item)
    return dirs, rest


def with_strategies_dirs(strategies: Mapping[str, Strategy], dirs: list[str]) -> dict:
    from engine.plugins import load_folder, merge_strategies

    found = dict(strategies)
    for folder in dirs:
        found = merge_strategies(found, load_folder(folder), f"--strategies-dir {folder}")
    return found


def main(strategies: Mapping[str, Strategy], argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    try:
        dirs, rest = split_strategies_dirs(argv)
        strategies = with_strategies_dirs(strategies, dirs)
        args = build_parser(strategies).parse_args(rest)
        if args.command in strategies:  # argv, not rest: reports record the whole command
            return run_strategy.run(strategies[args.command], args, argv)
        command = next(c for c in COMMANDS if args.command == c.NAME)
        return command.run(args, strategies, argv)
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    except RotationLabError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # output piped into `head` and closed: not a failure
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:  # files are published atomically: nothing half-written remains
        print(
            "interrupted: stopped before the end; no partial report or cache file is left",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    except Exception as exc:  # an unexpected failure: one line, the traceback on --debug
        if debug:
            traceback.print_exc()
        print(
            f"unexpected failure: {type(exc).__name__}: {exc} (rerun with --debug for details)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
