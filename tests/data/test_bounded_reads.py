"""Mirror files are read with bounded time and memory, and a cache entry is only served while
the mirror file's bytes (not just its size and time stamp) are unchanged."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from engine.config.settings import DataSettings
from engine.data import load_market_data, mirror
from engine.errors import DataUnavailableError

from .conftest import ohlcv_rows, sessions, write_csv


def test_a_mirror_file_edited_in_place_with_the_same_size_and_time_is_reimported(
    mirror_dir: Path, make_settings: Callable[..., DataSettings]
) -> None:
    days = sessions("2024-01-02", "2024-01-31")
    csv = write_csv(mirror_dir, "AAA", ohlcv_rows(days, base=100))
    settings = make_settings(providers=["cache", "mirror"])
    load = lambda: load_market_data(["AAA"], days[0], days[-1], settings, Path("."))  # noqa: E731
    assert load().fields["close"]["AAA"].iloc[0] == 100.0
    assert load().sources["AAA"].served_from_cache
    stat = csv.stat()
    csv.write_bytes(csv.read_bytes().replace(b",100.000000,", b",109.000000,", 1))
    os.utime(csv, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size, same time stamp
    assert (csv.stat().st_size, csv.stat().st_mtime_ns) == (stat.st_size, stat.st_mtime_ns)
    changed = load()
    assert not changed.sources["AAA"].served_from_cache
    assert changed.fields["close"]["AAA"].iloc[0] == 109.0
    assert load().sources["AAA"].served_from_cache  # re-imported once, then fresh again


def test_a_named_pipe_as_a_mirror_file_is_refused_without_opening_it(
    mirror_dir: Path, make_settings: Callable[..., DataSettings]
) -> None:
    os.mkfifo(mirror_dir / "AAA.csv")  # opening it for reading would block forever
    settings = make_settings(providers=["mirror"])
    with pytest.raises(DataUnavailableError, match=r"AAA\.csv is a named pipe, not a file"):
        load_market_data(["AAA"], "2024-01-02", "2024-01-31", settings, Path("."))


def test_a_huge_junk_mirror_file_is_refused_before_it_is_read(mirror_dir: Path) -> None:
    junk = mirror_dir / "AAA.csv"
    with junk.open("wb") as handle:  # 500 MB, sparse: no disk used, nothing read
        handle.truncate(500 * 2**20)
    with pytest.raises(DataUnavailableError) as caught:
        mirror.read_mirror(mirror_dir, "AAA")
    assert "is 500.0 MB, more than the 64 MB such a file can hold" in str(caught.value)
    assert "put AAA's daily prices there as CSV or remove it" in str(caught.value)


def test_a_device_as_a_mirror_file_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "mirror"
    folder.mkdir()
    (folder / "ZERO.csv").symlink_to("/dev/zero")  # endless
    with pytest.raises(DataUnavailableError, match="is a device, not a file"):
        mirror.read_mirror(folder, "ZERO")
    (folder / "LOOP.csv").symlink_to(folder / "LOOP.csv")
    with pytest.raises(DataUnavailableError, match="cannot be read"):
        mirror.read_mirror(folder, "LOOP")
