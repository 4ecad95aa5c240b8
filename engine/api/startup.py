"""Start-up clean-up of what a killed run (SIGKILL, power loss) left behind.

Reports are assembled in `<reports>/<title>/.tmp-*` folders (engine.report.run.writer) and cache
entries in `.<TICKER>.parquet.*.tmp` files (engine.data.cache); an ordinary failure or Ctrl-C
removes them, but a killed process cannot. The next command clears them, without ever touching
a live run's files:

- cache temporaries are tied to the ticker's lock, which dies with its process
  (`engine.data.cache.clear_leftovers`);
- report temporaries carry no owner, so every command that writes reports holds a shared OS
  lock for its whole life on a file named after the reports folder in the system's temporary
  folder (not in the project: a failed run leaves no folder behind); temporaries are removed
  only by a process that can take that lock exclusively, i.e. when no other such command is
  running. A killed process's lock is released by the OS with it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from engine.config.settings import DataSettings
from engine.errors import BadInputError, shorten
from engine.paths import resolve
from engine.report.toolkit.folder import TEMP_PREFIX

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no flock, no report clean-up
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "active_lock_path",
    "check_reports_root",
    "clear_report_leftovers",
    "prepare_reports_root",
    "report_once",
    "start_up",
]

_held: dict[Path, int] = {}  # reports root -> the fd holding our shared lock


def check_reports_root(root: Path) -> None:
    """A report folder that exists as a file is bad input, refused before any work."""
    if root.exists() and not root.is_dir():
        raise BadInputError(
            f"report.output_dir = {shorten(str(root), 300)} is a file, not a folder; point "
            "report.output_dir to a folder (or move the file away)"
        )


def active_lock_path(root: Path) -> Path:
    """The lock file every command writing reports under `root` holds shared."""
    digest = hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:20]
    return Path(tempfile.gettempdir()) / f"rotation-lab-active-{digest}.lock"


def _leftovers(root: Path) -> list[Path]:
    found: list[Path] = []
    if not root.is_dir():
        return found
    for title_dir in sorted(root.iterdir()):
        if title_dir.is_dir() and not title_dir.name.startswith("."):
            found.extend(sorted(title_dir.glob(f"{TEMP_PREFIX}*")))
    return found


def clear_report_leftovers(root: Path) -> list[Path]:
    """Remove temporary report folders and files of killed runs under `root`, then hold the
    shared "a run is active" lock until the process ends. Returns what was removed."""
    check_reports_root(root)
    if fcntl is None:
        return []
    root = root.resolve()
    previous = _held.pop(root, None)
    if previous is not None:  # a second command in the same process (tests, the Python API)
        os.close(previous)
    try:
        fd = os.open(active_lock_path(root), os.O_RDWR | os.O_CREAT, 0o666)
    except OSError:
        return []  # no lock, no safe clean-up: leftovers stay until a later start
    removed: list[Path] = []
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass  # another command is running: its temporaries may be live, leave them all
    else:
        for path in _leftovers(root):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            if not path.exists():
                removed.append(path)
    fcntl.flock(fd, fcntl.LOCK_SH)  # waits only while another process cleans
    _held[root] = fd
    return removed


def start_up(data: DataSettings, reports_root: Path | None) -> None:
    """Before any work: refuse report/data folders that are files, and clear what killed runs
    left (temporary report folders under `reports_root`, temporary cache files), one note each
    on stderr. `reports_root` None: the command writes no report (nothing is created there)."""
    from engine.data.findings import notify
    from engine.data.maintenance import clear_leftovers
    from engine.data.providers import Dirs
    from engine.paths import project_root

    root = project_root()
    Dirs.of(data, root)  # a data folder that is a file: exit 2 now
    for path in clear_leftovers(data, root):
        notify(f"removed {path}, left by an interrupted run")
    if reports_root is not None:
        prepare_reports_root(reports_root)


def prepare_reports_root(root: Path) -> None:
    """Before a report is written under `root`: refuse a file there, and clear the temporary
    folders killed runs left (one note each on stderr)."""
    from engine.data.findings import notify

    check_reports_root(root)
    for path in clear_report_leftovers(root):
        notify(f"removed {path}, left by an interrupted run")


def report_once(
    written: dict[Path, Path],
    folder: str | Path | None,
    default: str | Path,
    write: Callable[[Path], Path],
) -> Path:
    """A result's report under `folder` (default: `default`, the config's report.output_dir):
    `write(root)` makes it on the first ask, `written` (root -> report folder) answers again.
    A file at the root is refused and killed runs' debris cleared first."""
    root = resolve(folder if folder is not None else default)
    prepare_reports_root(root)
    if root not in written:
        written[root] = write(root)
    return written[root]
