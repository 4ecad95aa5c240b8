"""End to end on the offline market-data mirror (read in place, never copied)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.config.settings import DataSettings
from engine.data import MarketData, load_market_data

pytestmark = pytest.mark.realdata

TICKERS = ["IWM", "SPY", "^TNX", "IJR", "^GSPC", "^RUT"]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[MarketData, MarketData]:
    """The same request twice: first from the mirror, then from the cache it filled."""
    mirror = Path(__file__).resolve().parents[2] / ".." / "shared" / "market-data"
    if not mirror.is_dir():
        pytest.skip(f"the offline market-data mirror {mirror} is absent")
    settings = DataSettings(
        providers=["cache", "mirror"],
        mirror_dir=str(mirror),
        cache_dir=str(tmp_path_factory.mktemp("cache")),
    )
    first = load_market_data(TICKERS, "2000-01-01", "2026-08-21", settings, Path("."))
    second = load_market_data(TICKERS, "2000-01-01", "2026-08-21", settings, Path("."))
    return first, second


def test_known_values(loaded: tuple[MarketData, MarketData]) -> None:
    data, _ = loaded
    close, adj, open_ = data.fields["close"], data.fields["adj_close"], data.fields["open"]
    assert close.loc["2026-01-22", "IWM"] == pytest.approx(269.790009, abs=1e-9)
    assert adj.loc["2026-01-22", "IWM"] == pytest.approx(268.672007, abs=1e-9)
    assert close.loc["2025-12-31", "^GSPC"] == 6845.5
    assert open_.loc["2026-01-02", "^RUT"] == pytest.approx(2491.820068, abs=1e-9)
    assert data.index[0].isoformat()[:10] == "2000-01-03"
    assert data.index[-1].isoformat()[:10] == "2026-08-21"
    assert data.sources["IWM"].rows == 6598 and data.sources["IWM"].first == "2000-05-26"


def test_known_issues(loaded: tuple[MarketData, MarketData]) -> None:
    data, _ = loaded
    late = [i for i in data.issues if i.ticker == "IWM" and i.kind == "starts_late"]
    assert len(late) == 1 and late[0].dates == ("2000-05-26",)
    [tnx_gaps] = [i for i in data.issues if i.ticker == "^TNX" and i.kind == "missing_sessions"]
    assert "2003-11-11" in tnx_gaps.dates  # Veterans Day: bond market shut, NYSE open
    assert not [i for i in data.issues if i.ticker in ("IWM", "SPY") and i.severity != "info"]


def test_close_only_ticker(loaded: tuple[MarketData, MarketData]) -> None:
    data, _ = loaded
    assert data.sources["IJR"].close_only and data.sources["^TNX"].close_only
    assert not data.sources["IWM"].close_only
    assert data.fields["open"]["IJR"].isna().all()
    assert data.fields["close"]["IJR"].loc["2001":"2026-07-31"].notna().all()


def test_second_load_is_served_from_cache_identically(
    loaded: tuple[MarketData, MarketData],
) -> None:
    first, second = loaded
    assert not any(s.served_from_cache for s in first.sources.values())
    assert all(s.served_from_cache for s in second.sources.values())
    assert second.fingerprint() == first.fingerprint()
    for name in first.fields:
        assert second.fields[name].equals(first.fields[name])
    assert [(i.ticker, i.kind, i.dates) for i in second.issues] == [
        (i.ticker, i.kind, i.dates) for i in first.issues
    ]
