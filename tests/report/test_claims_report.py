"""The claims report folder: files, hashes, CSV round trips, atomic publish; the CLI's refusals."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from engine.claim_checks.runner import evaluate
from engine.cli.main import main
from engine.report.claims import report as claims_report
from engine.report.claims.report import write_claims_report
from engine.report.toolkit.folder import LATEST_FILE, ReportError
from strategies import discover
from tests.claims.builders import leadership_def, streak_def
from tests.claims.test_leadership import planted as planted_years
from tests.claims.test_streak import planted_pair
from tests.helpers import market_data


@pytest.fixture(scope="module")
def results():
    streak = evaluate(
        streak_def(
            as_of="2020-03-10",
            claimed={"lengths": [7], "since_year": 2019},
            sensitivity={"headline_k": [3, 5]},
        ),
        market_data(planted_pair()),
    )
    lead = evaluate(
        leadership_def(sensitivity={"anchor": ["prior_close", "first_close"]}),
        market_data(planted_years()),
    )
    return [streak, lead]


@pytest.fixture
def written(results, tmp_path: Path) -> Path:
    return write_claims_report(results, tmp_path, "python run_backtest.py claims", run_id="r1")


def test_folder_layout(written: Path, tmp_path: Path):
    assert written == tmp_path / "claims" / "r1"
    names = {str(p.relative_to(written)) for p in written.rglob("*") if p.is_file()}
    assert {
        "report.html",
        "report.md",
        "summary.txt",
        "findings.csv",
        "run.json",
        "streak/events.csv",
        "streak/sensitivity.csv",
        "streak/longest_streaks.csv",
        "streak/definition.toml",
        "lead/events.csv",
        "lead/members.csv",
    } <= names
    assert (written.parent / LATEST_FILE).read_text() == "r1"
    assert not [p for p in written.parent.iterdir() if p.name.startswith(".tmp-")]


def test_run_json_lists_every_file_with_its_hash(written: Path):
    text = (written / "run.json").read_text()
    assert "NaN" not in text
    run = json.loads(text)
    listed = {f["name"]: f["sha256"] for f in run["files"]}
    on_disk = {str(p.relative_to(written)) for p in written.rglob("*") if p.is_file()} - {
        "run.json"
    }
    assert set(listed) == on_disk
    for name, digest in listed.items():
        assert hashlib.sha256((written / name).read_bytes()).hexdigest() == digest
    assert set(run["claims"]) == {"streak", "lead"}
    assert run["claims"]["streak"]["findings"][0]["verdict"] == "reproduced"
    assert any("too few cases to tell" in r for r in run["verdict_rules"])


def test_csv_round_trips(written: Path, results):
    streak = results[0]
    events = pd.read_csv(written / "streak" / "events.csv")
    assert events["event_date"].tolist() == [str(d) for d in streak.events["event_date"]]
    assert events["diff_fwd_3_ret"].to_numpy() == pytest.approx(
        streak.events["diff_fwd_3_ret"].to_numpy(), nan_ok=True, rel=1e-15
    )
    years = pd.read_csv(written / "lead" / "events.csv", index_col="year")
    assert years.index.tolist() == list(range(2015, 2022))
    assert years["signal"].tolist() == [True, False, True, True, False, True, True]
    assert pd.isna(years.loc[2021, "year_up"])  # incomplete year: empty, not "<NA>"
    sens = pd.read_csv(written / "streak" / "sensitivity.csv")
    assert set(sens["set_headline_k"]) == {3, 5}
    findings = pd.read_csv(written / "findings.csv")
    assert findings["claim"].tolist().count("lead") == 3
    first = findings[findings["claim"] == "streak"].iloc[0]  # the quoted streak length
    assert first["claim_type"] == "quoted fact" and first["verdict"] == "reproduced"
    assert first["verdict_label"] == "reproduced (the quoted fact is in the data)"
    assert bool(first["quote_reproduced"]) and first["answer"].startswith('Quoted "7"')
    lead = findings[findings["claim"] == "lead"].iloc[0]
    assert lead["claim_type"] == "predictive claim"


def test_html_and_markdown_show_quotes_verdicts_and_caveats(written: Path):
    html = (written / "report.html").read_text()
    md = (written / "report.md").read_text()
    for text in (html, md):
        assert "a quote" in text
        assert "Many conventions, many chances" in text
        assert "too few cases to tell" in text
        assert "Sensitivity to conventions" in text
        assert "<NA>" not in text and ">nan<" not in text
    assert "<script" not in html


def test_an_existing_run_is_never_overwritten(written: Path, results, tmp_path: Path):
    before = (written / "report.html").read_bytes()
    with pytest.raises(ReportError, match="already exists"):
        write_claims_report(results, tmp_path, "again", run_id="r1")
    assert (written / "report.html").read_bytes() == before


def test_a_failure_leaves_no_partial_folder(results, tmp_path: Path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(claims_report, "render_markdown", boom)
    with pytest.raises(RuntimeError, match="disk on fire"):
        write_claims_report(results, tmp_path, "cmd", run_id="r2")
    folder = tmp_path / "claims"
    assert not (folder / "r2").exists()
    assert [p.name for p in folder.iterdir()] == []


STRATEGIES = discover()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["claims", "nosuch"], "no claim is named 'nosuch' (claims: equal_weight_lead"),
        (["claims", "rsi_overbougth"], "did you mean 'rsi_overbought'"),
        (["claims", "--date", "2026-13-01"], "--date '2026-13-01' is not a date"),
        (["claims", "--set", "first10days.lead_day=3"], "did you mean 'lead_days'"),
        (["claims", "--set", "data.nosuch=1"], "unknown key 'data.nosuch'"),
        (["claims", "--claims-dir", "/no/such/dir"], "is not a folder"),
    ],
)
def test_cli_bad_input_exits_2(argv, message, capsys):
    assert main(STRATEGIES, argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_cli_lists_the_claims(capsys):
    assert main(STRATEGIES, ["claims", "--list"]) == 0
    out = capsys.readouterr().out
    for name in ("first10days", "rut_spx_streak", "rsi_overbought", "first_five_days"):
        assert f"{name} (" in out
    assert "the longest streak since 2008" in out
