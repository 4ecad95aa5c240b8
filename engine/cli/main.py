"""The command line. Strategies are sub-commands (`run_backtest.py first10days`), next to the
commands of `engine.cli.commands.COMMANDS` (`list`, `data`, ...).

Exit codes: 0 success, 2 bad input (config, arguments, unknown ticker), 1 failure while running.
Expected failures print one line of cause (plus the fix) instead of a traceback; `--debug`
shows the traceback for anything. SIGTERM (sent by `timeout`, CI cancels, container stops) is
handled like Ctrl-C: the run stops, removes its temporary files and says "interrupted".
"""

from __future__ import annotations

import argparse
import errno
import re
import signal
import sys
import threading
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from engine.cli.commands import COMMANDS, run_strategy
from engine.decisions.strategy import Strategy
from engine.errors import BadInputError, RotationLabError, closest, shorten

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
MAX_MESSAGE_LINES = 20
MAX_LINE = 4000  # a safety net: values are already shortened where they are quoted
INTERRUPTED = "interrupted: stopped before the end; no partial report or cache file is left"
# A full disk, a quota, a file-size limit or a read-only file system: the fix is the user's.
_NO_ROOM = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT, errno.EROFS}
_INVALID_CHOICE = re.compile(r"invalid choice: '(.*?)' \(choose from")


class _Signals:
    """Which signal stopped the run (None: none yet)."""

    received: str | None = None


def _on_signal(signum: int, frame: object) -> None:
    """SIGINT and SIGTERM both raise KeyboardInterrupt where Python is running; the flag lets
    an error that compiled code (numba, pyarrow) raised on the way out be read as the
    interruption it is, not as an unexpected failure such as SystemError."""
    _Signals.received = signal.Signals(signum).name
    raise KeyboardInterrupt


@contextmanager
def _signals_stop_the_run() -> Iterator[None]:
    """Install the handler for the duration of one command (main thread only), then restore."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, _on_signal)
    _Signals.received = None
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _caused_by_interrupt(exc: BaseException) -> bool:
    """True when a KeyboardInterrupt is in the exception's chain (cause or context)."""
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        if isinstance(node, KeyboardInterrupt):
            return True
        seen.add(id(node))
        node = node.__cause__ or node.__context__
    return False


def _message(text: str) -> str:
    """At most MAX_MESSAGE_LINES lines of at most MAX_LINE characters: a huge value echoed
    back (a fuzzer's, a pasted file) never floods the terminal."""
    lines = [shorten(line, MAX_LINE) for line in str(text).splitlines() or [""]]
    if len(lines) > MAX_MESSAGE_LINES:
        extra = len(lines) - MAX_MESSAGE_LINES
        lines = [*lines[:MAX_MESSAGE_LINES], f"... and {extra} more line(s)"]
    return "\n".join(lines)


class _Parser(argparse.ArgumentParser):
    """Bad arguments raise BadInputError (exit 2) so main() reports them like any bad input.

    A missing sub-command is answered with the valid ones, as an unknown one already is.
    """

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        for action in self._actions:
            if not isinstance(action, argparse._SubParsersAction):
                continue
            choices = list(action.choices)
            if action.metavar and f"required: {action.metavar}" in message:
                message += f" (choose from {', '.join(map(repr, choices))})"
            bad = _INVALID_CHOICE.search(message)
            if bad:
                hint = closest(bad.group(1), choices)
                tip = f"; did you mean {hint[0]!r}?" if hint else ""
                message = (
                    f"unknown {str(action.metavar or 'choice').lower()} "
                    f"{shorten(repr(bad.group(1)))}{tip} (choose from "
                    f"{', '.join(map(repr, choices))})"
                )
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
    sub = parser.add_subparsers(
        dest="command",
        metavar="COMMAND",
        parser_class=_Parser,
        help="a strategy (runs it) or a command, as listed below; COMMAND --help for its options",
    )
    sub.required = True
    # No help= per sub-parser: the epilog lists each strategy and command once.
    for name, strategy in sorted(strategies.items()):
        p = sub.add_parser(name, description=f"run {name}: {strategy.description}")
        run_strategy.add_arguments(p, strategy)
    for command in COMMANDS:
        if command.NAME in strategies:
            raise BadInputError(
                f"the strategy in {strategies[command.NAME].origin} is named {command.NAME!r}, "
                "like a command; rename it (Strategy(name=...))"
            )
        command.add_arguments(sub.add_parser(command.NAME, description=command.HELP), strategies)
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
    from engine.decisions.discovery import load_folder, merge_strategies

    found = dict(strategies)
    for folder in dirs:
        found = merge_strategies(found, load_folder(folder), f"--strategies-dir {folder}")
    return found


def main(
    strategies: Mapping[str, Strategy],
    argv: Sequence[str] | None = None,
    *,
    started: float | None = None,
    announce: bool = False,
) -> int:
    """Run one command. `started` is the `time.perf_counter()` reading the command's clock
    ("done in") starts from (default: now); `announce` reports numba compilations as they
    happen (the command line entry points set both; tests and embedders leave them)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    started = time.perf_counter() if started is None else started
    with _signals_stop_the_run():
        if not announce:
            return _main(strategies, argv, started)
        from engine.numba_cache import compile_progress

        with compile_progress():
            return _main(strategies, argv, started)


def _interrupted() -> int:
    by = f" by {_Signals.received}" if _Signals.received not in (None, "SIGINT") else ""
    print(INTERRUPTED.replace("interrupted:", f"interrupted{by}:", 1), file=sys.stderr)
    return EXIT_FAILURE


def _main(strategies: Mapping[str, Strategy], argv: list[str], started: float) -> int:
    debug = "--debug" in argv
    try:
        dirs, rest = split_strategies_dirs(argv)
        strategies = with_strategies_dirs(strategies, dirs)
        args = build_parser(strategies).parse_args(rest)
        args.started = started  # "done in" counts the whole command
        if args.command in strategies:  # argv, not rest: reports record the whole command
            return run_strategy.run(strategies[args.command], args, argv)
        command = next(c for c in COMMANDS if args.command == c.NAME)
        return command.run(args, strategies, argv)
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_FAILURE
    except RotationLabError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {_message(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:  # output piped into `head` and closed: not a failure
        sys.stderr.close()
        return EXIT_OK
    except KeyboardInterrupt:  # files are published atomically: nothing half-written remains
        return _interrupted()
    except OSError as exc:
        if _Signals.received is not None or _caused_by_interrupt(exc):
            return _interrupted()
        if exc.errno not in _NO_ROOM:
            return _unexpected(exc, debug)
        if debug:
            traceback.print_exc()
        where = f" ({shorten(str(exc.filename), 300)})" if exc.filename else ""
        print(
            f"error: could not write a file{where}: {exc.strerror or exc}; free some disk space "
            "or make the folder writable, then rerun (files already published are complete)",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    except Exception as exc:  # an unexpected failure: one line, the traceback on --debug
        if _Signals.received is not None or _caused_by_interrupt(exc):
            return _interrupted()  # e.g. SystemError from compiled code cut short by Ctrl-C
        return _unexpected(exc, debug)


def _unexpected(exc: BaseException, debug: bool) -> int:
    """An unexpected failure: one line, the traceback on --debug."""
    if debug:
        traceback.print_exc()
    print(
        f"unexpected failure: {type(exc).__name__}: {_message(str(exc))} (rerun with "
        "--debug for details)",
        file=sys.stderr,
    )
    return EXIT_FAILURE
