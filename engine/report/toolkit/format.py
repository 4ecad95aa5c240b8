"""Text of values as every report writes them: dates, percentages, numbers, column names.

One place, so the single-run, compare, claims and sweep reports print a value the same way.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd

from engine.stats.metrics import METRICS

__all__ = [
    "BETTER",
    "column_kind",
    "format_cell",
    "format_stats",
    "format_value",
    "human_column",
    "is_missing",
    "iso",
    "pct",
    "plain",
    "sig4",
    "sign_class",
    "title_from_key",
    "versus_class",
]


def is_missing(value: object) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(float(value))
    return False


def iso(value: object) -> str:
    """A date-like value as ISO text: YYYY-MM-DD for dates and midnight timestamps."""
    if is_missing(value):
        return ""
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    if isinstance(value, dt.datetime):  # includes pd.Timestamp
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def pct(value: object, decimals: int = 2) -> str:
    if is_missing(value):
        return ""
    return f"{float(value) * 100:.{decimals}f}%"


def sig4(value: float) -> str:
    """4 significant digits; large magnitudes with thousands separators instead of exponents."""
    if math.isnan(value):
        return ""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if abs(value) >= 1e4:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def sign_class(value: object) -> str:
    """The CSS class of a signed number: "pos", "neg" or "" (zero or missing)."""
    if is_missing(value):
        return ""
    return "pos" if float(value) > 0 else "neg" if float(value) < 0 else ""


def format_value(value: object, kind: str) -> str:
    """A value by its kind ("pct", "ratio", "int", "money", "p", "date", "number", "flag"): the
    one rule the
    terminal, the tables and the words of every report share."""
    if is_missing(value):
        return "n/a"
    if kind == "pct":
        return f"{float(value) * 100:.2f}%"
    if kind == "ratio":
        return f"{float(value):.2f}"
    if kind == "int":
        return f"{int(value):d}"
    if kind == "money":
        return f"{float(value):,.2f}"
    if kind == "p":
        return "< 0.001" if float(value) < 0.001 else f"{float(value):.3f}"
    if kind == "date":
        return iso(value)
    if kind == "number":
        return sig4(float(value))
    if kind == "flag":
        return "yes" if float(value) else "no"
    return str(value)


# Words of a column name that make it a percentage (returns, shares, drawdowns...).
PERCENT_WORDS = ("ret", "return", "cagr", "difference", "diff", "share", "drawdown",
                 "volatility", "turnover", "time_in_market", "best_year", "worst_year")  # fmt: skip
RATIO_WORDS = ("sharpe", "sortino", "calmar", "beta", "correlation", "dsr", "pbo", "information")
FLAG_WORDS = ("pullback", "signal", "fired", "held", "recovered")


def column_kind(name: object, values: pd.Series | None = None) -> str:
    """How a column of numbers is written, from its name (and values): "p" (p-values, 3
    decimals), "pct", "ratio" (2 decimals), "flag" (0/1 as yes/no), "int" or "number" (4
    significant digits). The one rule every report's tables use; metric keys follow METRICS."""
    text = str(name).lower()
    if text in METRICS:
        return METRICS[text][1]
    words = [w for w in re.split(r"[^a-z0-9]+", text) if w]
    if "p" in words or text.endswith("_p") or text.startswith("p_"):
        return "p"
    finite = None
    if values is not None and pd.api.types.is_numeric_dtype(values.dtype):
        finite = values.to_numpy(dtype=float)
        finite = finite[np.isfinite(finite)]
        if any(w in text for w in FLAG_WORDS) and np.isin(finite, (0.0, 1.0)).all():
            return "flag"
        if pd.api.types.is_integer_dtype(values.dtype):
            return "int"
    if any(w in words for w in RATIO_WORDS) or text.endswith(RATIO_WORDS):
        return "ratio"
    is_pct = any(w in words for w in PERCENT_WORDS) or "ci" in words or text.startswith("ci_")
    is_pct = is_pct or any(w in text for w in ("cagr", "drawdown", "return"))
    if is_pct and (finite is None or bool(np.all(np.abs(finite) <= 5.0))):
        return "pct"
    return "number"


def format_cell(value: object, kind: str) -> str:
    """A table cell by its column's kind; missing values blank (the CSV keeps them)."""
    return "" if is_missing(value) else format_value(value, kind)


def format_stats(table: pd.DataFrame) -> pd.DataFrame:
    """A statistics table (metric keys x series) with labels as index and values as text."""
    out = table.copy().astype(object)
    for key in table.index:
        kind = METRICS[key][1]
        out.loc[key] = [format_value(v, kind) for v in table.loc[key]]
    out.index = [METRICS[k][0] for k in table.index]
    out.index.name = "metric"
    return out


# +1: higher is better, -1: lower is better; metrics not listed are not judged by colour.
BETTER = {"total_return": 1, "cagr": 1, "sharpe": 1, "sortino": 1, "calmar": 1,
          "max_drawdown": 1, "best_year": 1, "worst_year": 1, "ann_volatility": -1,
          "final_equity": 1}  # fmt: skip


def versus_class(value: object, benchmark: object, direction: int = 1) -> str:
    """The CSS class of a strategy's value against its benchmark's: "pos" when better, "neg"
    when worse, "" when equal, missing or not judged (colour never just follows the sign)."""
    if direction == 0 or is_missing(value) or is_missing(benchmark):
        return ""
    diff = (float(value) - float(benchmark)) * direction
    return "pos" if diff > 0 else "neg" if diff < 0 else ""


def title_from_key(key: str) -> str:
    """'per_year' -> 'Per year'."""
    words = str(key).replace("_", " ").replace("-", " ").split()
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def plain(value: object) -> str:
    """Generic text of a cell of unknown type."""
    if is_missing(value):
        return ""
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, dt.date | np.datetime64):
        return iso(value)
    if isinstance(value, float | np.floating):
        return sig4(float(value))
    return str(value)


# Words of machine column names, in the reader's words. Whole names first, then word by word:
# "IWM_rest_ret" -> "IWM rest of year", "diff_fwd_21_ret" -> "difference, 21 sessions ahead".
_WHOLE = {
    "year_complete": "complete year",
    "members_compared": "members compared",
    "small_cap_rank": "small-cap rank",
    "sessions_below_before": "sessions not above before",
    "horizon_sessions": "horizon (sessions)",
    "excluded_past_data": "left out (window past the data)",
    "rotation_p_two_sided": "p (circular shift, two-sided)",
    "binomial_p_two_sided": "p (binomial, two-sided)",
    "rotation_p": "p (circular shift)",
    "full_year_ret": "full-year return",
    "rest_of_year_ret": "rest-of-year return",
    "window_ret": "return over the window",
    "binomial_p": "p (binomial)",
    "share_fisher_p": "p of the share (Fisher, non-overlapping windows)",
    "pullback_fisher_p_two_sided": "p of the pullback share (Fisher, two-sided)",
}
_SUFFIXES = (  # (machine ending, words), the longest first
    ("_ci_low_ret", " interval low"),
    ("_ci_high_ret", " interval high"),
    ("_rest_of_year_ret", " rest of year"),
    ("_full_year_ret", " full year"),
    ("_window_ret", " over the window"),
    ("_rest_ret", " rest of year"),
    ("_year_ret", " full year"),
    ("_ret", " return"),
)
_FORWARD = re.compile(r"^(?:(?P<lead>.+?)_)?fwd_(?P<h>\d+)_ret$")
_WORDS = {"ret": "return", "ci": "interval", "fwd": "ahead", "oos": "out of sample",
          "is": "in sample", "pct": "%", "diff": "difference", "cagr": "CAGR",
          "sharpe": "Sharpe", "sortino": "Sortino", "calmar": "Calmar", "rsi": "RSI",
          "dsr": "DSR", "pbo": "PBO",
          "ann": "annual", "rel": "relative"}  # fmt: skip


def _is_ticker(word: str) -> bool:
    return bool(word) and (word.startswith("^") or (word.isupper() and len(word) <= 6))


def human_column(name: object) -> str:
    """A table column's header in words; tickers keep their case. CSV files keep the raw name."""
    words = _words(str(name))
    if len(words) <= 1 or _is_ticker(words.split(" ")[0].rstrip(",")):
        return words
    return words[:1].upper() + words[1:]


def _words(text: str) -> str:
    if text in _WHOLE:
        return _WHOLE[text]
    forward = _FORWARD.match(text)
    if forward:
        lead = forward.group("lead") or ""
        lead = {"diff": "difference", "rel": "minus benchmark"}.get(lead, lead)
        head = f"{lead}, " if lead else ""
        return f"{head}{forward.group('h')} sessions ahead".strip()
    for ending, words in _SUFFIXES:
        if text.endswith(ending) and len(text) > len(ending):
            head = " ".join(_WORDS.get(w, w) for w in text[: -len(ending)].split("_") if w)
            return head + words
    if text in _WORDS:
        return _WORDS[text]
    return " ".join(_WORDS.get(w, w) for w in text.split("_") if w)
