"""`data status` (metadata only) and `data update` (refresh into the cache)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from engine.config.settings import DataSettings
from engine.data import cache, data_status, update_tickers
from engine.errors import BadInputError, UnknownTickerError

from .conftest import ohlcv_rows, sessions, write_csv

COLUMNS = [
    "ticker",
    "cache_provider",
    "cache_first",
    "cache_last",
    "cache_rows",
    "fetched_at",
    "mirror_first",
    "mirror_last",
    "mirror_rows",
]


def test_status_unions_cache_and_mirror_from_metadata_only(
    mirror_dir: Path,
    cache_dir: Path,
    make_settings: Callable[..., DataSettings],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = make_settings(providers=["cache", "mirror"])
    write_csv(mirror_dir, "^RUT", ohlcv_rows(sessions("2024-01-02", "2024-01-31")))
    write_csv(mirror_dir, "BBB", ohlcv_rows(sessions("2024-02-01", "2024-02-29")))
    [info] = update_tickers(["^rut"], settings, Path("."))
    (mirror_dir / "^RUT.csv").unlink()  # now only in the cache
    (cache_dir / "JUNK.parquet").write_bytes(b"not parquet")

    def no_full_reads(*args: object, **kwargs: object) -> None:
        raise AssertionError("data_status must not read values")

    monkeypatch.setattr(pq, "read_table", no_full_reads)
    status = data_status(settings, Path("."))
    assert list(status.columns) == COLUMNS
    assert status["ticker"].tolist() == ["BBB", "JUNK", "^RUT"]
    rut = status.set_index("ticker").loc["^RUT"]
    assert rut["cache_provider"] == "mirror"
    assert (rut["cache_first"], rut["cache_last"], rut["cache_rows"]) == (
        "2024-01-02",
        "2024-01-31",
        21.0,
    )
    assert rut["fetched_at"] == info.fetched_at
    assert math.isnan(rut["mirror_rows"])
    bbb = status.set_index("ticker").loc["BBB"]
    assert (bbb["mirror_first"], bbb["mirror_last"], bbb["mirror_rows"]) == (
        "2024-02-01",
        "2024-02-29",
        20.0,
    )
    assert math.isnan(bbb["cache_rows"]) and bbb["cache_provider"] is None
    assert status.set_index("ticker").loc["JUNK", "cache_provider"] == "unreadable"


def test_status_of_absent_folders_is_empty(make_settings: Callable[..., DataSettings]) -> None:
    status = data_status(make_settings(mirror_dir="/nonexistent/x"), Path("."))
    assert status.empty and list(status.columns) == COLUMNS


def test_update_writes_the_cache_and_names_the_failed_ticker(
    mirror_dir: Path, cache_dir: Path, make_settings: Callable[..., DataSettings]
) -> None:
    write_csv(mirror_dir, "AAA", ohlcv_rows(sessions("2024-01-02", "2024-01-31")))
    settings = make_settings(providers=["cache", "mirror"])
    with pytest.raises(UnknownTickerError) as err:
        update_tickers(["NOPE", "AAA"], settings, Path("."), source="mirror")
    assert "NOPE" in str(err.value) and "updated: AAA" in str(err.value)
    entry = cache.read_entry(cache_dir, "AAA")
    assert entry is not None and entry.provider == "mirror" and entry.rows == 21
    [info] = update_tickers(["aaa"], settings, Path("."), source="mirror")
    assert info.ticker == "AAA" and not info.served_from_cache and info.rows == 21
    with pytest.raises(BadInputError, match="source 'cache'"):
        update_tickers(["AAA"], settings, Path("."), source="cache")


def test_relative_folders_resolve_against_project_root(
    tmp_path: Path, make_settings: Callable[..., DataSettings]
) -> None:
    root = tmp_path / "project"
    root.mkdir()
    write_csv(tmp_path / "shared", "AAA", ohlcv_rows(sessions("2024-01-02", "2024-01-31")))
    settings = make_settings(mirror_dir="../shared", cache_dir="data_cache")
    [info] = update_tickers(["AAA"], settings, root, source="mirror")
    assert (root / "data_cache" / "AAA.parquet").is_file()
    assert info.origin == str((tmp_path / "shared" / "AAA.csv").resolve())


def test_the_api_and_the_data_command_show_one_table(
    mirror_dir: Path, cache_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`data status|update` are the API's `rl.data_status` / `rl.update_data`, printed."""
    import engine as rl
    from engine.cli.main import main
    from strategies import discover

    write_csv(mirror_dir, "BBB", ohlcv_rows(sessions("2024-02-01", "2024-02-29")))
    where = [f"data.mirror_dir={mirror_dir}", f"data.cache_dir={cache_dir}"]
    [info] = rl.update_data(["bbb"], source="mirror", overrides=where)
    assert (info.ticker, info.rows, str(info.first), str(info.last)) == (
        "BBB",
        20,
        "2024-02-01",
        "2024-02-29",
    )
    table = rl.data_status(data={"mirror_dir": str(mirror_dir), "cache_dir": str(cache_dir)})
    assert table["ticker"].tolist() == ["BBB"]
    assert int(table["cache_rows"].iloc[0]) == 20 and int(table["mirror_rows"].iloc[0]) == 20
    flags = [x for w in where for x in ("--set", w)]
    assert main(discover(), ["data", "status", *flags]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].split() == COLUMNS and printed[2].split()[0] == "BBB"
    assert "20" in printed[2].split()
    with pytest.raises(BadInputError, match="source = 'ftp'"):
        rl.update_data(["BBB"], source="ftp", overrides=where)
