"""Options shared by several commands."""

from __future__ import annotations

import argparse
from pathlib import Path


def add_config_options(parser: argparse.ArgumentParser) -> None:
    add_defaults_option(parser)
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
