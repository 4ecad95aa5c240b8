"""Claim definition files: the built-ins, new files without code, overrides and refusals."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from engine.claim_checks.definitions import variants
from engine.claim_checks.kinds import registry
from engine.claim_checks.loading import kind_models, library_dir, load_definitions
from engine.claim_checks.runner import evaluate
from engine.errors import ConfigError
from tests.claims.builders import rsi_def
from tests.claims.test_rsi import walk_data
from tests.helpers import market_data

BUILTINS = {
    "first10days": "year_start_leadership",
    "rut_spx_streak": "relative_streak",
    "rsi_overbought": "rsi_cross",
    "first_five_days": "early_window",
    "small_cap_january": "relative_start",
    "equal_weight_lead": "relative_start",
    "smb_january_year": "january_signal",
    "smb_january_rest": "january_signal",
    "smb_january_effect": "month_effect",
    "rut_january_effect": "month_effect",
}


def test_the_builtin_claims_load():
    defs = load_definitions()
    assert {n: d.kind for n, d in defs.items()} == BUILTINS
    assert set(registry()) == set(kind_models())
    first = defs["first10days"]
    assert first.universes["index"].members == ["^GSPC", "^IXIC", "^RUT", "^DJI"]
    assert first.claimed.recent_hits == 9 and first.claimed.keeps_no1 == 0.54
    assert defs["rut_spx_streak"].as_of == dt.date(2026, 1, 22)
    assert defs["rsi_overbought"].date == dt.date(2026, 1, 15)
    assert defs["first_five_days"].start_year == 1950


def test_a_new_claim_of_an_existing_kind_needs_only_a_toml_file(tmp_path: Path):
    (tmp_path / "iwm_rsi_80.toml").write_text(
        'kind = "rsi_cross"\n'
        'title = "IWM above 80"\n'
        'quotes = ["IWM at 80 always falls"]\n'
        'ticker = "A"\nbenchmark = "B"\nthreshold = 80.0\nhorizons = [5]\nheadline_horizon = 5\n'
    )
    defs = load_definitions(claims_dir=tmp_path)
    assert set(defs) == {*BUILTINS, "iwm_rsi_80"}
    new = defs["iwm_rsi_80"]
    assert new.threshold == 80.0 and new.length == 14  # unspecified keys take the defaults
    result = evaluate(new, market_data(walk_data()))
    assert result.name == "iwm_rsi_80" and result.findings[0].key == "pullback_5"


def test_overrides_for_one_claim_for_stats_and_the_date():
    defs = load_definitions(
        overrides=["first10days.lead_days=15", "first10days.universe=etf", "stats.seed=7"],
        date=dt.date(2026, 1, 21),
    )
    assert defs["first10days"].lead_days == 15 and defs["first10days"].universe == "etf"
    assert all(d.stats.seed == 7 for d in defs.values())
    assert defs["rut_spx_streak"].as_of == dt.date(2026, 1, 21)
    assert defs["rsi_overbought"].date == dt.date(2026, 1, 21)
    assert defs["equal_weight_lead"].as_of == dt.date(2026, 1, 21)
    assert load_definitions()["first10days"].lead_days == 10


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (["first10days.lead_day=3"], "did you mean 'lead_days'"),
        (["first10days.lead_days=0"], "first10days.lead_days = 0 is refused"),
        (["first10days.universe=nosuch"], "universe 'nosuch' is not defined"),
        (["frist10days.lead_days=3"], "did you mean 'first10days'"),
        (["lead_days=3"], "expected NAME.KEY=VALUE"),
        (["rsi_overbought.sensitivity.treshold=[60]"], "did you mean 'threshold'"),
        (["stats.confidence=1.5"], "stats.confidence = 1.5 is refused"),
    ],
)
def test_bad_keys_and_values_are_refused_with_the_key_named(overrides, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        load_definitions(overrides=overrides)


@pytest.mark.parametrize(
    ("key", "text"),
    [("title", "IWM above 80\\u001b[2J"), ("quotes", "line one\\nline two"), ("source", "a\\tb")],
)
def test_a_control_character_in_a_title_quote_or_source_is_refused_at_load(
    tmp_path: Path, key: str, text: str
):
    values = {"title": '"IWM above 80"', "quotes": '["IWM at 80 always falls"]', "source": '""'}
    values[key] = f'["{text}"]' if key == "quotes" else f'"{text}"'
    (tmp_path / "iwm_rsi_80.toml").write_text(
        'kind = "rsi_cross"\n'
        + "".join(f"{k} = {v}\n" for k, v in values.items())
        + 'ticker = "A"\nbenchmark = "B"\nthreshold = 80.0\nhorizons = [5]\n'
        "headline_horizon = 5\n"
    )
    with pytest.raises(ConfigError, match=f"(?s)iwm_rsi_80.*{key}.*control character"):
        load_definitions(claims_dir=tmp_path)


def test_duplicate_names_unknown_kinds_and_missing_folders(tmp_path: Path):
    shutil.copy(library_dir() / "first10days.toml", tmp_path / "first10days.toml")
    with pytest.raises(ConfigError, match="two claim files are named 'first10days'"):
        load_definitions(claims_dir=tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "odd.toml").write_text('kind = "rsi_crosss"\ntitle = "t"\nquotes = ["q"]\n')
    with pytest.raises(ConfigError, match="did you mean 'rsi_cross'"):
        load_definitions(claims_dir=other)
    with pytest.raises(ConfigError, match="is not a folder"):
        load_definitions(claims_dir=tmp_path / "nope")


def test_sensitivity_variants_cover_every_combination_headline_first():
    defn = rsi_def(sensitivity={"min_below": [1, 10], "pullback": ["negative_return", "dip"]})
    combos = variants(defn)
    assert combos[0][0] == {"min_below": 10, "pullback": "negative_return"}  # the headline
    assert len(combos) == 4  # the headline repeats one of the 4 combinations: kept once
    assert {(v.min_below, v.pullback) for _, v in combos} == {
        (1, "negative_return"),
        (1, "dip"),
        (10, "negative_return"),
        (10, "dip"),
    }
    with pytest.raises(ConfigError, match="sensitivity combination"):
        variants(rsi_def(sensitivity={"min_below": [0]}))


def test_claim_files_live_beside_the_strategies_and_kinds_are_discovered():
    from engine.paths import PACKAGE_ROOT

    assert library_dir() == PACKAGE_ROOT / "claims"
    assert {p.stem for p in library_dir().glob("*.toml")} >= set(BUILTINS)
    import importlib

    for name, kind in registry().items():  # each kind's model is defined beside its code
        module = importlib.import_module(kind.model.__module__)
        assert module.KIND is kind and module.__name__.startswith("engine.claim_checks.kinds.")
        assert kind.model.model_fields["kind"].annotation.__args__ == (name,)


def test_load_claims_adds_a_folder_for_the_session(tmp_path: Path):
    import importlib

    import engine as rl

    api = importlib.import_module("engine.api.check_claims")

    (tmp_path / "iwm_rsi_80.toml").write_text(
        'kind = "rsi_cross"\ntitle = "IWM above 80"\nquotes = ["q"]\nthreshold = 80.0\n'
    )
    try:
        loaded = rl.load_claims(tmp_path)
        assert list(loaded) == ["iwm_rsi_80"] and loaded["iwm_rsi_80"].threshold == 80.0
        assert "iwm_rsi_80" in api.claim_definitions()  # the session now knows it
        assert "iwm_rsi_80" in api.claim_definitions(tmp_path)  # loading it again: no clash
        empty = tmp_path / "empty"
        empty.mkdir()
        with pytest.raises(rl.BadInputError, match="no claim file"):
            rl.load_claims(empty)
        with pytest.raises(ConfigError, match="is not a folder"):
            rl.load_claims(tmp_path / "nope")
    finally:
        api._loaded.clear()
    assert "iwm_rsi_80" not in api.claim_definitions()
