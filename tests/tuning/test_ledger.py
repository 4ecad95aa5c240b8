"""The trials ledger: rewritten atomically, a torn one reported and not fatal, named so that no
glob of sweep folders matches it, and the older `sweep-trials.csv` folded in."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from engine.tuning import ledger
from engine.tuning.ledger import LEDGER, OLD_LEDGER, read_ledger, record, recorded_trials

HEADER = "run_id,created_at,combinations,engine,grid\n"


def row(run_id: str, n: int) -> dict[str, object]:
    return {"run_id": run_id, "created_at": "2026-12-01T00:00:00+00:00", "combinations": n,
            "engine": "fast", "grid": "upper=60:85:5 lower=30,40"}  # fmt: skip


def test_records_add_up_and_the_file_is_whole_csv(tmp_path: Path) -> None:
    for i, n in enumerate((54, 12, 1)):
        record(tmp_path, row(f"r{i}", n))
    assert recorded_trials(tmp_path) == 67
    rows = list(csv.DictReader(io.StringIO((tmp_path / LEDGER).read_text())))
    assert [r["run_id"] for r in rows] == ["r0", "r1", "r2"]
    assert not list(tmp_path.glob("sweep-*"))  # the sweep folders' glob never matches it
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_torn_ledger_is_reported_counted_as_far_as_readable_and_repaired(
    tmp_path: Path, capsys
) -> None:
    (tmp_path / LEDGER).write_text(
        HEADER
        + "r0,2026-11-30T00:00:00+00:00,54,fast,upper=60:85:5\n"
        + "r1,2026-11-30T01:00:00+00:00,12,fast,n=7\n"
        + "r2,2026-11-30T02:00:00+00:00,3"  # torn by a crash mid-append
    )
    assert recorded_trials(tmp_path) == 66
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"warning: the trials ledger {tmp_path / LEDGER} has 1 unreadable")
    assert "(line 4)" in err and "2 readable sweep(s)" in err
    record(tmp_path, row("r3", 10))
    assert recorded_trials(tmp_path) == 76 and capsys.readouterr().err == ""
    [kept] = tmp_path.glob(f"{LEDGER}.corrupt-*")
    assert kept.read_text().endswith(",3")  # the damaged file, kept for inspection


@pytest.mark.parametrize(
    "text",
    ["", "garbage\x00\xff", "a,b\n1,2\n", HEADER + "r0,t,-5,fast,g\n" + "r1,t,abc,fast,g\n"],
)
def test_unreadable_ledgers_never_raise(tmp_path: Path, text: str) -> None:
    (tmp_path / LEDGER).write_text(text, encoding="utf-8", errors="surrogateescape")
    got = read_ledger(tmp_path)
    assert got.trials == 0 and (got.problem or text == "")


def test_the_old_ledger_name_is_read_and_folded_into_the_new_one(tmp_path: Path) -> None:
    (tmp_path / OLD_LEDGER).write_text(HEADER + "old,2026-01-01T00:00:00+00:00,40,fast,n=7\n")
    assert recorded_trials(tmp_path) == 40
    record(tmp_path, row("new", 2))
    assert not (tmp_path / OLD_LEDGER).exists()
    assert recorded_trials(tmp_path) == 42


def test_a_failed_rewrite_leaves_the_previous_ledger_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(tmp_path, row("r0", 5))
    before = (tmp_path / LEDGER).read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ledger.os, "replace", full_disk)
    with pytest.raises(ledger.LedgerError, match="could not be updated"):
        record(tmp_path, row("r1", 7))
    assert (tmp_path / LEDGER).read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
