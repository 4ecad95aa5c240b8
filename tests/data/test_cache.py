"""The parquet cache: round trip, provenance, atomic writes, corruption and freshness."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from engine.config.settings import DataSettings
from engine.data import cache, load_market_data
from engine.data.cache import CorruptCacheError, History
from engine.errors import DataUnavailableError

from .conftest import (
    FakeDownload,
    ohlcv_rows,
    sessions,
    write_csv,
    yf_download_shape,
    yf_per_ticker,
)


def make_history(ticker: str = "AAA", base: float = 10.0, n: int = 5, **kw: object) -> History:
    index = sessions("2024-01-02", "2024-02-29")[:n]
    values = base + np.arange(n, dtype=float)
    frame = pd.DataFrame(
        {
            "open": values - 0.25,
            "high": values + 1,
            "low": values - 1,
            "close": values,
            "adj_close": values * 0.9,
            "volume": np.arange(n, dtype=float) * 100,
        },
        index=index,
    )
    frame.loc[index[2], "open"] = np.nan
    defaults: dict[str, object] = {
        "provider": "yfinance",
        "origin": "Yahoo Finance (test)",
        "fetched_at": cache.utc_now_iso(),
    }
    defaults.update(kw)
    return History(ticker=ticker, frame=frame, **defaults)  # type: ignore[arg-type]


def test_round_trip_keeps_values_and_provenance(cache_dir: Path) -> None:
    history = make_history(extra={"mirror_size": "12"})
    path = cache.write_entry(cache_dir, history)
    assert path == cache_dir / "AAA.parquet"
    back = cache.read_entry(cache_dir, "AAA")
    assert back is not None
    pd.testing.assert_frame_equal(back.frame, history.frame, check_freq=False)
    assert back.provider == "yfinance" and back.origin == "Yahoo Finance (test)"
    assert back.fetched_at == history.fetched_at
    assert back.extra == {"mirror_size": "12"}
    meta = cache.read_meta(path)
    assert meta["first"] == "2024-01-02" and meta["last"] == "2024-01-08"
    assert meta["rows"] == "5" and meta["close_only"] == "false"
    assert meta["values_sha256"] == cache.values_sha256(history.frame)
    assert cache.read_entry(cache_dir, "ZZZ") is None


def test_failed_replace_leaves_previous_file_and_no_temp(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.write_entry(cache_dir, make_history(base=10.0))

    def crash(src: object, dst: object) -> None:
        raise OSError("simulated crash during rename")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(DataUnavailableError, match="AAA: could not write the cache file"):
        cache.write_entry(cache_dir, make_history(base=50.0))
    monkeypatch.undo()
    back = cache.read_entry(cache_dir, "AAA")
    assert back is not None and back.frame["close"].iloc[0] == 10.0
    leftovers = [p.name for p in cache_dir.iterdir() if p.suffix not in (".parquet", ".lock")]
    assert leftovers == []


def test_failed_write_midway_leaves_previous_file(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.write_entry(cache_dir, make_history(base=10.0))

    def half_write(table: pa.Table, where: object, **kw: object) -> None:
        where.write(b"PAR1 half a file")  # type: ignore[attr-defined]
        raise OSError("disk full")

    monkeypatch.setattr(pq, "write_table", half_write)
    with pytest.raises(DataUnavailableError, match="disk full"):
        cache.write_entry(cache_dir, make_history(base=50.0))
    monkeypatch.undo()
    back = cache.read_entry(cache_dir, "AAA")
    assert back is not None and back.frame["close"].iloc[0] == 10.0
    assert sorted(p.name for p in cache_dir.iterdir()) == ["AAA.parquet", "AAA.parquet.lock"]


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(2048))


def _wrong_columns(path: Path) -> None:
    meta = pq.read_schema(path).metadata
    table = pa.table({"date": [1, 2], "price": [1.0, 2.0]}).replace_schema_metadata(meta)
    pq.write_table(table, path)


def _tampered_values(path: Path) -> None:
    table = pq.read_table(path)
    close = pa.array(np.asarray(table.column("close")) * 2)
    table = table.set_column(table.schema.get_field_index("close"), "close", close)
    pq.write_table(table, path)  # metadata (checksum) kept, values changed


def _foreign_parquet(path: Path) -> None:
    pd.DataFrame({"x": [1, 2]}).to_parquet(path)


@pytest.mark.parametrize(
    "damage", [_truncate, _garbage, _wrong_columns, _tampered_values, _foreign_parquet]
)
def test_corrupt_entry_is_detected(cache_dir: Path, damage: Callable[[Path], None]) -> None:
    path = cache.write_entry(cache_dir, make_history())
    damage(path)
    with pytest.raises(CorruptCacheError) as err:
        cache.read_entry(cache_dir, "AAA")
    assert str(path) in str(err.value)


@pytest.mark.parametrize("damage", [_truncate, _garbage, _wrong_columns, _tampered_values])
def test_corrupt_entry_is_reported_moved_aside_and_refetched_from_mirror(
    mirror_dir: Path,
    cache_dir: Path,
    make_settings: Callable[..., DataSettings],
    damage: Callable[[Path], None],
) -> None:
    write_csv(mirror_dir, "AAA", ohlcv_rows(sessions("2024-01-02", "2024-01-31")))
    settings = make_settings(providers=["cache", "mirror"])
    first = load_market_data(["AAA"], "2024-01-02", "2024-01-31", settings, Path("."))
    path = cache_dir / "AAA.parquet"
    damage(path)

    again = load_market_data(["AAA"], "2024-01-02", "2024-01-31", settings, Path("."))
    corrupt = [i for i in again.issues if i.kind == "corrupt_cache"]
    assert [i.kind for i in again.issues] == ["corrupt_cache"]
    assert corrupt[0].severity == "warning" and str(path) in corrupt[0].message
    assert not again.sources["AAA"].served_from_cache
    assert again.sources["AAA"].provider == "mirror"
    assert again.fingerprint() == first.fingerprint()
    moved = list(cache_dir.glob("AAA.parquet.corrupt-*"))
    assert len(moved) == 1
    assert cache.read_entry(cache_dir, "AAA") is not None  # rewritten, readable
    third = load_market_data(["AAA"], "2024-01-02", "2024-01-31", settings, Path("."))
    assert third.sources["AAA"].served_from_cache
    assert not [i for i in third.issues if i.kind == "corrupt_cache"]


def test_mirror_entry_is_reimported_when_the_mirror_file_changes(
    mirror_dir: Path, cache_dir: Path, make_settings: Callable[..., DataSettings]
) -> None:
    days = sessions("2024-01-02", "2024-01-31")
    csv = write_csv(mirror_dir, "AAA", ohlcv_rows(days, base=100))
    settings = make_settings(providers=["cache", "mirror"])
    load = lambda: load_market_data(["AAA"], days[0], days[-1], settings, Path("."))  # noqa: E731
    assert not load().sources["AAA"].served_from_cache
    assert load().sources["AAA"].served_from_cache

    write_csv(mirror_dir, "AAA", ohlcv_rows(days, base=200))
    stat = csv.stat()
    os.utime(csv, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    changed = load()
    assert not changed.sources["AAA"].served_from_cache
    assert changed.fields["close"]["AAA"].iloc[0] == 200.0
    meta = cache.read_meta(cache_dir / "AAA.parquet")
    assert meta["mirror_mtime_ns"] == str(csv.stat().st_mtime_ns)
    assert load().sources["AAA"].served_from_cache

    csv.unlink()  # mirror file gone: the cached copy is still used, silently fresh
    gone = load()
    assert gone.sources["AAA"].served_from_cache
    assert gone.fields["close"]["AAA"].iloc[0] == 200.0
    assert not [i for i in gone.issues if i.kind == "stale_cache"]


def _yahoo_frame(ticker: str, base: float) -> pd.DataFrame:
    index = sessions("2024-01-02", "2024-01-31")
    values = base + np.arange(len(index), dtype=float)
    per = yf_per_ticker(
        index,
        {
            "Open": values,
            "High": values + 1,
            "Low": values - 1,
            "Close": values,
            "Adj Close": values,
            "Volume": np.full(len(index), 1e6),
        },
    )
    return yf_download_shape(ticker, per)


def test_downloaded_entry_is_fresh_until_max_age(
    cache_dir: Path,
    make_settings: Callable[..., DataSettings],
    no_network: FakeDownload,
) -> None:
    no_network.outcomes = [(_yahoo_frame("YYY", 10.0), [])]
    settings = make_settings(providers=["cache", "yfinance"], max_cache_age_days=1)
    load = lambda: load_market_data(["YYY"], "2024-01-02", "2024-01-31", settings, Path("."))  # noqa: E731
    assert not load().sources["YYY"].served_from_cache
    assert len(no_network.calls) == 1
    assert load().sources["YYY"].served_from_cache
    assert len(no_network.calls) == 1  # fresh: no download

    entry = cache.read_entry(cache_dir, "YYY")
    assert entry is not None
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).isoformat(timespec="seconds")
    cache.write_entry(
        cache_dir,
        History("YYY", entry.frame, entry.provider, entry.origin, old, dict(entry.extra)),
    )
    no_network.outcomes = [(_yahoo_frame("YYY", 20.0), [])]
    refreshed = load()
    assert len(no_network.calls) == 2
    assert not refreshed.sources["YYY"].served_from_cache
    assert refreshed.fields["close"]["YYY"].iloc[0] == 20.0


def test_stale_download_is_used_with_a_warning_when_refresh_fails(
    cache_dir: Path,
    make_settings: Callable[..., DataSettings],
    no_network: FakeDownload,
) -> None:
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(days=10)).isoformat(timespec="seconds")
    history = make_history("OLD", fetched_at=old)
    cache.write_entry(cache_dir, history)
    settings = make_settings(providers=["cache", "mirror", "yfinance"], download_retries=2)
    data = load_market_data(["OLD"], "2024-01-02", "2024-01-08", settings, Path("."))
    assert len(no_network.calls) == 2  # the refresh was attempted, with its retry
    assert data.sources["OLD"].served_from_cache
    stale = [i for i in data.issues if i.kind == "stale_cache"]
    assert len(stale) == 1
    assert stale[0].severity == "warning"
    assert old in stale[0].message and "Could not resolve host" in stale[0].message
    np.testing.assert_array_equal(
        data.fields["close"]["OLD"].to_numpy(), history.frame["close"].to_numpy()
    )
