"""Options shared by several commands."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_config_options(parser: argparse.ArgumentParser) -> None:
    add_defaults_option(parser)
    parser.add_argument(
        "--config", type=Path, help="TOML file replacing the strategy's default config"
    )
    add_set_option(parser, "KEY=VALUE", "override one config value (dotted keys, TOML values)")
    parser.add_argument(
        "--strict",
        dest="overrides",
        action="append_const",
        const="data.strict=true",
        help="stop on any data warning (data.strict = true) instead of reporting it",
    )


def add_defaults_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--defaults",
        type=Path,
        metavar="FILE",
        help="shared-defaults TOML ([backtest], [data], [report], [[benchmarks]]) over the "
        "project's and the user's, under the strategy's own config",
    )


def add_repeatable(
    parser: argparse.ArgumentParser, flag: str, metavar: str, help: str, dest: str | None = None
) -> None:
    """An option given any number of times, its values collected in a list (empty if never)."""
    parser.add_argument(flag, dest=dest, action="append", default=[], metavar=metavar, help=help)


def add_set_option(parser: argparse.ArgumentParser, metavar: str, help: str) -> None:
    """`--set`: config overrides, collected in `args.overrides` (as the API's `overrides=`)."""
    add_repeatable(parser, "--set", metavar, f"{help}, repeatable", dest="overrides")
