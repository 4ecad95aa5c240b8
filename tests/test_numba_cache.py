"""Where compiled kernels are kept and what invalidates them (engine/numba_cache.py), the
first-run notice, the cached NYSE calendar, and `--help` listing each strategy once."""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from engine import calendar, numba_cache
from engine.cli.main import build_parser
from engine.stats import returns_nb as stats_nb
from strategies import discover


@pytest.fixture
def tree(tmp_path, monkeypatch):
    """A fake checkout: engine/kernel.py (numba) imports engine/consts.py and engine/inner.py
    (numba), which imports engine/deep.py; engine/other.py is unrelated."""
    files = {
        "kernel.py": "import numba\nfrom engine.consts import N\nfrom engine import inner\n",
        "consts.py": "N = 3\n",
        "inner.py": "import numba\nfrom engine.deep import M\n",
        "deep.py": "M = 1\n",
        "other.py": "X = 1\n",
    }
    (tmp_path / "engine").mkdir()
    for name, text in files.items():
        (tmp_path / "engine" / name).write_text(text)
    monkeypatch.setattr(numba_cache, "PACKAGE_ROOT", tmp_path)
    numba_cache.source_key.cache_clear()
    numba_cache._read.cache_clear()
    yield tmp_path / "engine"
    numba_cache.source_key.cache_clear()
    numba_cache._read.cache_clear()


def _key(folder: Path) -> str:
    numba_cache.source_key.cache_clear()
    numba_cache._read.cache_clear()
    return numba_cache.source_key(folder / "kernel.py")


def test_the_key_follows_imported_constants_and_kernels_only(tree) -> None:
    found = numba_cache._direct_imports(tree / "kernel.py")
    assert sorted(p.name for p in found) == ["consts.py", "inner.py"]
    before = _key(tree)
    (tree / "other.py").write_text("X = 2\n")
    assert _key(tree) == before  # an unrelated module changes nothing
    for name, text in [("consts.py", "N = 4\n"), ("deep.py", "M = 2\n")]:
        (tree / name).write_text(text)
        after = _key(tree)
        assert after != before  # a constant, or a constant of a called kernel's module
        before = after


def test_the_key_does_not_depend_on_where_the_clone_is(tree, tmp_path, monkeypatch) -> None:
    key = _key(tree)
    clone = tmp_path / "elsewhere"
    (clone / "engine").mkdir(parents=True)
    for path in tree.iterdir():
        (clone / "engine" / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(numba_cache, "PACKAGE_ROOT", clone)
    assert _key(clone / "engine") == key


def test_project_kernels_are_cached_in_the_user_cache_folder() -> None:
    path = Path(stats_nb.cagr_nb._cache._cache_path)
    assert path.parent == numba_cache.cache_root()
    assert path.name == f"engine_stats_returns_nb_{numba_cache.source_key(Path(stats_nb.__file__))}"


def test_cache_root_honours_numba_cache_dir_and_xdg(tmp_path) -> None:
    env = {"NUMBA_CACHE_DIR": str(tmp_path / "nb")}
    assert numba_cache.cache_root(env) == tmp_path / "nb" / "rotation-lab"
    if sys.platform.startswith("linux"):
        xdg = numba_cache.cache_root({"XDG_CACHE_HOME": str(tmp_path / "xdg")})
        assert xdg == tmp_path / "xdg" / "rotation-lab" / "numba"


def test_the_first_run_notice_is_said_once(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert numba_cache.first_run_notice() is True
    assert "numba compiles the engine's kernels once" in capsys.readouterr().err
    numba_cache.mark_warm()
    assert numba_cache.first_run_notice() is False
    assert capsys.readouterr().err == ""


def test_the_cached_calendar_equals_a_fresh_one(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    calendar._xnys_sessions.cache_clear()
    try:
        built = calendar._xnys_sessions()  # builds and saves
        assert calendar._cache_file().is_file()
        calendar._xnys_sessions.cache_clear()
        loaded = calendar._xnys_sessions()  # loads
        assert loaded.equals(built) and loaded.name == "date" and loaded.tz is None
        assert loaded[0] == calendar.CALENDAR_START
        assert pd.Timestamp("2024-07-04") not in loaded and pd.Timestamp("2024-07-05") in loaded
        calendar._cache_file().write_bytes(b"not a numpy file")  # corrupt: rebuilt
        calendar._xnys_sessions.cache_clear()
        assert calendar._xnys_sessions().equals(built)
    finally:
        calendar._xnys_sessions.cache_clear()


def test_help_lists_each_strategy_once() -> None:
    strategies = discover()
    text = build_parser(strategies).format_help()
    for name in strategies:
        assert sum(line.split()[:1] == [name] for line in text.splitlines()) == 1, name
