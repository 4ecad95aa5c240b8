"""Strict parsing of mirror CSV files, and the cheap summary `data status` uses."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from engine.data import mirror
from engine.data.model import FIELDS
from engine.errors import DataUnavailableError

from .conftest import HEADER, write_csv


def test_full_ohlcv_file_parses_into_float_fields(mirror_dir: Path) -> None:
    write_csv(
        mirror_dir,
        "AAA",
        [
            "2024-01-02,10.5,11.25,10.0,11.0,10.8,12345",
            "2024-01-03,11.0,11.5,10.75,11.25,11.05,2000",
        ],
    )
    history = mirror.read_mirror(mirror_dir, "AAA")
    assert history is not None
    frame = history.frame
    assert list(frame.columns) == list(FIELDS)
    assert frame.index.name == "date"
    assert str(frame.index.dtype) == "datetime64[ns]"
    assert (frame.dtypes == "float64").all()
    assert frame.loc["2024-01-02"].tolist() == [10.5, 11.25, 10.0, 11.0, 10.8, 12345.0]
    assert frame.loc["2024-01-03", "adj_close"] == 11.05
    assert history.provider == "mirror"
    assert history.origin == str((mirror_dir / "AAA.csv").resolve())
    assert not history.close_only
    assert history.first == "2024-01-02" and history.last == "2024-01-03"
    stat = (mirror_dir / "AAA.csv").stat()
    assert history.extra["mirror_size"] == str(stat.st_size)
    assert history.extra["mirror_mtime_ns"] == str(stat.st_mtime_ns)
    assert len(history.extra["mirror_sha256"]) == 64


def test_close_only_file_has_nan_ohlc_and_volume(mirror_dir: Path) -> None:
    write_csv(mirror_dir, "CLO", ["2024-01-02,,,,5.5,5.5,", "2024-01-03,,,,5.75,5.75,"])
    history = mirror.read_mirror(mirror_dir, "CLO")
    assert history is not None
    assert history.close_only
    row = history.frame.loc["2024-01-03"]
    assert all(math.isnan(row[f]) for f in ("open", "high", "low", "volume"))
    assert row["close"] == 5.75


def test_absent_folder_or_file_means_the_mirror_lacks_the_ticker(tmp_path: Path) -> None:
    assert mirror.read_mirror(tmp_path / "nope", "IWM") is None
    assert mirror.read_mirror(tmp_path, "IWM") is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("date,open,high,low,close,adj_close", "missing column(s) volume"),
        (HEADER + ",dividends", "unexpected column(s) dividends"),
        ("date,high,open,low,close,adj_close,volume", "wrong order"),
    ],
)
def test_bad_header_is_refused_naming_file_and_line_1(
    mirror_dir: Path, header: str, expected: str
) -> None:
    path = write_csv(mirror_dir, "BAD", ["2024-01-02,1,2,0.5,1.5,1.5,10"], header=header)
    with pytest.raises(DataUnavailableError) as err:
        mirror.read_mirror(mirror_dir, "BAD")
    message = str(err.value)
    assert f"{path}, line 1" in message
    assert expected in message


def test_unparsable_date_names_its_line(mirror_dir: Path) -> None:
    path = write_csv(
        mirror_dir,
        "DT",
        [
            "2024-01-02,1,2,0.5,1.5,1.5,10",
            "2024-01-03,1,2,0.5,1.5,1.5,10",
            "2024-13-45,1,2,1,1,1,1",
        ],
    )
    with pytest.raises(DataUnavailableError) as err:
        mirror.read_mirror(mirror_dir, "DT")
    assert f"{path}, line 4" in str(err.value)
    assert "2024-13-45" in str(err.value)


@pytest.mark.parametrize(
    ("bad_line", "expected"),
    [
        ("2024-01-03,1,2,0.5,abc,1.5,10", "close value 'abc'"),
        ("2024-01-03,1,2,0.5,1.5,1.5", "6 fields, expected 7"),
        ("2024-01-03,1,2,0.5,1.5,1.5,10,99", "8 fields, expected 7"),
        ("2024-01-03,1,2,0.5,inf,1.5,10", "not a finite number"),
        ("01/03/2024,1,2,0.5,1.5,1.5,10", "unparsable date"),
        ("2023-12-29,1,2,0.5,1.5,1.5,10", "earlier than the line before"),
    ],
)
def test_malformed_rows_name_file_and_line(mirror_dir: Path, bad_line: str, expected: str) -> None:
    path = write_csv(mirror_dir, "M", ["2024-01-02,1,2,0.5,1.5,1.5,10", bad_line])
    with pytest.raises(DataUnavailableError) as err:
        mirror.read_mirror(mirror_dir, "M")
    assert f"{path}, line 3" in str(err.value)
    assert expected in str(err.value)


def test_blank_line_inside_data_is_refused_but_trailing_blank_lines_are_not(
    mirror_dir: Path,
) -> None:
    path = mirror_dir / "B.csv"
    path.write_text(f"{HEADER}\n2024-01-02,1,2,0.5,1.5,1.5,10\n\n2024-01-03,1,2,0.5,1.5,1.5,10\n")
    with pytest.raises(DataUnavailableError, match="line 3: blank line"):
        mirror.read_mirror(mirror_dir, "B")
    path.write_text(f"{HEADER}\n2024-01-02,1,2,0.5,1.5,1.5,10\n\n\n")
    history = mirror.read_mirror(mirror_dir, "B")
    assert history is not None and history.rows == 1


def test_header_only_file_is_an_error(mirror_dir: Path) -> None:
    write_csv(mirror_dir, "H", [])
    with pytest.raises(DataUnavailableError, match="header but no rows"):
        mirror.read_mirror(mirror_dir, "H")


def test_duplicate_dates_parse_and_are_left_to_validation(mirror_dir: Path) -> None:
    write_csv(
        mirror_dir,
        "DUP",
        ["2024-01-02,1,2,0.5,1.5,1.5,10", "2024-01-02,1,2,0.5,1.6,1.6,10"],
    )
    history = mirror.read_mirror(mirror_dir, "DUP")
    assert history is not None
    assert history.frame.index.duplicated().sum() == 1


def test_summary_reads_only_the_ends(mirror_dir: Path) -> None:
    path = write_csv(
        mirror_dir,
        "S",
        [f"{d.date()},1,2,0.5,1.5,1.5,10" for d in pd.bdate_range("2024-01-02", periods=300)],
    )
    assert mirror.summary(path) == ("2024-01-02", "2025-02-24", 300)
    path.write_text(path.read_text().rstrip("\n"))  # no final newline
    assert mirror.summary(path) == ("2024-01-02", "2025-02-24", 300)
    write_csv(mirror_dir, "E", [])
    assert mirror.summary(mirror_dir / "E.csv") == (None, None, 0)


def _counting_hashes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    from engine.data import mirror_file

    calls: list[Path] = []
    real = mirror_file.file_sha256
    monkeypatch.setattr(mirror_file, "_HASHED", {})
    monkeypatch.setattr(
        mirror_file, "file_sha256", lambda path, ticker: calls.append(path) or real(path, ticker)
    )
    return calls


def test_a_settled_mirror_file_is_hashed_again_after_an_edit_that_restores_its_time_stamp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib
    import os
    import time

    from engine.data import mirror_file

    calls = _counting_hashes(monkeypatch)
    monkeypatch.setattr(mirror_file, "_SETTLED_NS", -(10**12))  # every file counts as settled
    path = tmp_path / "AAA.csv"
    path.write_text(HEADER + "\n2024-01-02,1,1,1,1,1,1\n")
    first = mirror_file.current_sha256(path, "AAA")
    assert mirror_file.current_sha256(path, "AAA") == first
    assert len(calls) == 1  # unchanged: one stat, no second read
    before = path.stat()
    time.sleep(0.05)  # past the clock's coarse tick, so the edit moves the change time
    path.write_text(HEADER + "\n2024-01-02,2,2,2,2,2,2\n")  # same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # time stamp put back
    assert path.stat().st_size == before.st_size
    changed = mirror_file.current_sha256(path, "AAA")
    assert changed == hashlib.sha256(path.read_bytes()).hexdigest() != first
    assert len(calls) == 2


def test_a_mirror_file_changed_moments_ago_is_hashed_on_every_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from engine.data import mirror_file

    calls = _counting_hashes(monkeypatch)
    path = tmp_path / "AAA.csv"
    path.write_text(HEADER + "\n2024-01-02,1,1,1,1,1,1\n")
    for _ in range(3):
        mirror_file.current_sha256(path, "AAA")
    assert len(calls) == 3  # within the settling time nothing is remembered
