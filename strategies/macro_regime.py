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

The rule is written once, in batch form (`decide`): a sweep's table of combinations gets
one average per (yield ticker, distinct m), one measure per distinct (m, stale),
then one labelling pass per combination; a single run is the batch of one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import Field

from engine.config.settings import Strict, weight_map_fields
from engine.data.model import MarketData
from engine.decisions.batch import Decisions, param_values
from engine.decisions.strategy import single_combination
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

    _weights = weight_map_fields("small_caps", "otherwise")


def tickers(params: Params) -> list[str]:
    wanted = [params.rate_ticker, params.vol_ticker, *params.small_caps, *params.otherwise]
    return list(dict.fromkeys(wanted))


# ------------------------------------------------------------------ shared pieces


def _prices(data: MarketData, ticker: str) -> np.ndarray:
    return data.adj_close[ticker].to_numpy(dtype=np.float64)


def _yield_and_average(published: np.ndarray, pairs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The yield and its m-observation average as the signal uses them, per (m, stale) pair
    (rows): both carried over sessions without a published yield for at most `stale` sessions.
    One average per distinct m, one carried yield per distinct stale."""
    windows, window_row = np.unique(pairs[:, 0], return_inverse=True)
    averages = rules.sma_on_observations(published, windows)
    stales = {int(s): rules.carry_last_published(published, int(s)) for s in np.unique(pairs[:, 1])}
    rate = np.vstack([stales[int(s)] for s in pairs[:, 1]])
    average = np.vstack(
        [
            rules.carry_last_published(averages[i], int(s))
            for i, s in zip(window_row, pairs[:, 1], strict=True)
        ]
    )
    return rate, average


def _measure(rate: np.ndarray, average: np.ndarray, vix: np.ndarray) -> np.ndarray:
    """Minus VIX while rates fall (yield below its average), -inf while they do not, NaN where
    the yield, its average or VIX is missing (no decision). "Small caps" is then exactly
    "measure above minus the VIX threshold": VIX < threshold while rates fall, never otherwise."""
    with np.errstate(invalid="ignore"):
        falling = rate < average
    known = ~(np.isnan(rate) | np.isnan(average) | np.isnan(vix))
    return np.where(known, np.where(falling, -vix, -np.inf), np.nan)


def _rule_columns(params: Params, table: pd.DataFrame) -> dict[str, np.ndarray]:
    def col(name: str) -> np.ndarray:
        return param_values(table, params, name)

    return {
        "rate": col("rate_ticker"),
        "vol": col("vol_ticker"),
        "pairs": np.column_stack(
            [col("rate_ma_days").astype(np.int64), col("yield_max_stale_sessions").astype(np.int64)]
        ),
        "thresholds": -col("vix_threshold").astype(np.float64),
        "small_caps": col("small_caps"),
        "otherwise": col("otherwise"),
    }


# ------------------------------------------------------------------ the batch form


def decide(data: MarketData, params: Params, table: pd.DataFrame) -> Decisions:
    """Decisions of every combination of `table`: one average per (yield ticker, distinct m),
    one measure per distinct (m, stale), then one labelling pass per combination."""
    c = _rule_columns(params, table)
    blocks, which = [], np.empty(len(table), dtype=np.int64)
    offset = 0
    for (rate_ticker, vol_ticker), rows in rules.group_rows(c["rate"], c["vol"]).items():
        pairs, position = np.unique(c["pairs"][rows], axis=0, return_inverse=True)
        rate, average = _yield_and_average(_prices(data, rate_ticker), pairs)
        blocks.append(_measure(rate, average, _prices(data, vol_ticker)))
        which[rows] = offset + position.reshape(-1)
        offset += len(pairs)
    palette, columns, on, off = rules.two_state_palette(c["small_caps"], c["otherwise"])
    return rules.threshold_decisions(
        np.vstack(blocks), which, c["thresholds"], on, off, palette, data.index, columns
    )


# ------------------------------------------------------------------ one run, in words


def signal(data: MarketData, params: Params) -> pd.DataFrame:
    """Per session: the yield and its average as used (carried over bond holidays), VIX, each
    condition, the decision (1/0/NaN) and the state held after the close."""
    c = _rule_columns(params, single_combination())
    published = _prices(data, params.rate_ticker)
    vix = _prices(data, params.vol_ticker)
    rate, average = (x[0] for x in _yield_and_average(published, c["pairs"]))
    measure = _measure(rate, average, vix)
    decision = rules.threshold_decision(measure, c["thresholds"][0])
    with np.errstate(invalid="ignore"):
        rates_falling, calm = rate < average, vix < params.vix_threshold
    frame = pd.DataFrame(
        {
            "yield": rate,
            "yield_ma": average,
            "yield_carried": np.isnan(published) & ~np.isnan(rate),
            "vix": vix,
            "rates_falling": rates_falling,
            "calm": calm,
            "decision": decision,
        },
        index=data.index,
    )
    frame["small_caps"] = rules.hold_state(frame["decision"], initial=False)
    return frame


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


def active_and_base(params: Params) -> tuple[dict[str, float], dict[str, float]]:
    return dict(params.small_caps), dict(params.otherwise)


def explain(data: MarketData, params: Params) -> dict[str, str]:
    """What decided the allocation wanted after the last close of `data`, in words."""
    sig = signal(data, params)

    def describe(p: int) -> str:
        row = sig.iloc[p]
        carried = " (last published yield, carried)" if row["yield_carried"] else ""
        rates = "<" if row["rates_falling"] else ">="
        calm = "<" if row["calm"] else ">="
        verdict = "risk-on, small caps" if row["decision"] == 1 else "risk-off, otherwise"
        return (
            f"{params.rate_ticker} {row['yield']:.2f}%{carried} {rates} its "
            f"{params.rate_ma_days}-value mean {row['yield_ma']:.2f}%, {params.vol_ticker} "
            f"{row['vix']:.1f} {calm} {params.vix_threshold:g}: {verdict}"
        )

    missing = f"the yield, its average or {params.vol_ticker} is missing"
    return rules.explain_latest(sig["decision"], describe, missing, "otherwise")


STRATEGY = rules.module_strategy(
    globals(),
    name="macro_regime",
    description="Small caps while the 10-year yield is below its average and VIX is calm.",
    params_model=Params,
    valid_combinations=rules.cross_checked(),
    # m yield observations plus room for the bond-market holidays they skip (about 2 a year).
    lookback_sessions=lambda params: params.rate_ma_days + 10,
    key_params=("rate_ma_days", "vix_threshold", "small_caps", "otherwise"),
)
