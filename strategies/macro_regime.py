"""macro_regime: small caps only while rates fall and volatility is calm.

The rule from the press: small caps, with more floating-rate debt, do well when yields are
falling and markets are calm. At the close of each session t, the "small_caps" allocation (IWM)
is wanted when both hold:

- the 10-year yield (^TNX, percent) is below its m-observation simple moving average, and
- ^VIX closes below `vix_threshold`;

otherwise the "otherwise" allocation (SPY, or a defensive mix).

^TNX skips bond-market holidays (Columbus Day, Veterans Day, ...) on which the NYSE trades. Its
average is computed on its own published values (m observations, not m sessions), and on an
NYSE session without a ^TNX value the signal uses the last published yield and its average, for
at most `yield_max_stale_sessions` sessions in a row. That carry is for the signal only: ^TNX is
never traded, and no traded price is filled. A session where the yield (after the carry), its
average or ^VIX is still missing makes no decision and keeps the previous allocation; before
the first decision "otherwise" is wanted.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from pydantic import Field, field_validator

from engine.data.model import MarketData
from engine.settings import Strict, check_weight_map
from engine.strategy import Strategy
from strategies import rules


class Params(Strict):
    """Defaults here are the documented defaults; strategies/macro_regime.toml repeats them."""

    rate_ticker: str = Field(default="^TNX", description="Yield series in percent")
    vol_ticker: str = Field(default="^VIX", description="Volatility index")
    rate_ma_days: int = Field(default=50, ge=2, le=500, description="m, in yield observations")
    vix_threshold: float = Field(default=20.0, gt=0, le=100, description="VIX must be below this")
    yield_max_stale_sessions: int = Field(
        default=5, ge=0, le=20, description="Sessions the last published yield may be carried"
    )
    small_caps: dict[str, float] = Field(default={"IWM": 1.0}, min_length=1)
    otherwise: dict[str, float] = Field(default={"SPY": 1.0}, min_length=1)

    @field_validator("small_caps", "otherwise")
    @classmethod
    def _weights(cls, v: dict[str, float]) -> dict[str, float]:
        check_weight_map(v)
        return v


def tickers(params: Params) -> list[str]:
    wanted = [params.rate_ticker, params.vol_ticker, *params.small_caps, *params.otherwise]
    return list(dict.fromkeys(wanted))


def signal(data: MarketData, params: Params) -> pd.DataFrame:
    """Per session: the yield and its average as used (carried over bond holidays), VIX, each
    condition, the decision (1/0/NaN) and the state held after the close."""
    published = data.adj_close[params.rate_ticker]
    average = rules.sma_on_observations(published, params.rate_ma_days)
    stale = params.yield_max_stale_sessions
    rate = rules.carry_last_published(published, stale)
    rate_ma = rules.carry_last_published(average, stale)
    vix = data.adj_close[params.vol_ticker]
    rates_falling = rate < rate_ma
    calm = vix < params.vix_threshold
    decision = rules.decide(rates_falling & calm, rate, rate_ma, vix)
    return pd.DataFrame(
        {
            "yield": rate,
            "yield_ma": rate_ma,
            "yield_carried": published.isna() & rate.notna(),
            "vix": vix,
            "rates_falling": rates_falling,
            "calm": calm,
            "decision": decision,
            "small_caps": rules.hold_state(decision, initial=False),
        }
    )


def target_weights(data: MarketData, params: Params) -> pd.DataFrame:
    """Rows only where the wanted allocation changes (and on the first session)."""
    return rules.flag_rows(signal(data, params)["decision"], params.small_caps, params.otherwise)


def tables(data: MarketData, params: Params) -> dict[str, pd.DataFrame]:
    """Per year, over the sessions with decisions: sessions in small caps, switches, and how often
    each condition held and the yield had to be carried over a bond-market holiday."""
    sig = signal(data, params)
    state = rules.decided_span(sig["small_caps"], sig["decision"])
    table = rules.yearly_state_summary(state, "small_caps")
    kept = sig.loc[state.index]
    years = kept.index.year
    table["rates_falling_share"] = kept["rates_falling"].groupby(years).mean()
    table["calm_share"] = kept["calm"].groupby(years).mean()
    table["yield_carried_sessions"] = kept["yield_carried"].groupby(years).sum().astype(int)
    return {"per_year": table}


STRATEGY = Strategy(
    name="macro_regime",
    description="Small caps while the 10-year yield is below its average and VIX is calm.",
    params_model=Params,
    default_config=Path(__file__).with_suffix(".toml"),
    tickers=tickers,
    target_weights=target_weights,
    tables=tables,
    # m yield observations plus room for the bond-market holidays they skip (about 2 a year).
    lookback_sessions=lambda params: params.rate_ma_days + 10,
    key_params=("rate_ma_days", "vix_threshold", "small_caps", "otherwise"),
)
