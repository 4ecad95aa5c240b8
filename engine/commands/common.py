"""Options shared by several commands."""

from __future__ import annotations

import argparse
from pathlib import Path

from engine.settings import DataSettings


def add_config_options(parser: argparse.ArgumentParser) -> None:
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


def start_up(data: DataSettings, reports_root: Path | None) -> None:
    """Before any work: refuse report/data folders that are files, and clear what killed runs
    left (temporary report folders under `reports_root`, temporary cache files), one note each
    on stderr. `reports_root` None: the command writes no report (nothing is created there)."""
    from engine.cleanup import check_reports_root, clear_report_leftovers
    from engine.data.findings import notify
    from engine.data.maintenance import clear_leftovers
    from engine.data.providers import Dirs
    from engine.paths import PROJECT_ROOT

    Dirs.of(data, PROJECT_ROOT)  # a data folder that is a file: exit 2 now
    removed = clear_leftovers(data, PROJECT_ROOT)
    if reports_root is not None:
        check_reports_root(reports_root)
        removed += clear_report_leftovers(reports_root)
    for path in removed:
        notify(f"removed {path}, left by an interrupted run")
