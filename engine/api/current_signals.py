"""`rl.signals`: what each rule wants today, as `run_backtest.py signals` prints it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from engine.api.catalog import StrategySpec, catalog_of, resolve_spec
from engine.api.inputs import config_for
from engine.api.signal_view import Signal, compute_signal
from engine.api.startup import start_up
from engine.decisions.strategy import Strategy
from engine.errors import BadInputError, unknown_name
from engine.paths import project_root

__all__ = ["signals"]


def signals(
    strategies: StrategySpec | Sequence[StrategySpec] | None = None,
    *,
    config: str | Path | None = None,
    defaults: str | Path | None = None,
    overrides: Sequence[str] | str | None = None,
    strategies_dir: str | Path | None = None,
    catalog: Mapping[str, Strategy] | None = None,
) -> list[Signal]:
    """The signal of each strategy named (every known one when none) on the latest data: the
    allocation it wants now, the inputs of that decision, when it last changed and when the
    next decision falls due. `config` and `overrides` need exactly one strategy."""
    known = catalog_of(strategies_dir, catalog)
    if strategies is None:
        chosen = [known[name] for name in sorted(known)]
    else:
        specs = [strategies] if isinstance(strategies, str | Strategy) else list(strategies)
        for spec in specs:
            if isinstance(spec, str) and spec not in known:
                raise BadInputError(unknown_name("strategy", spec, sorted(known)))
        chosen = list({s.name: s for s in (resolve_spec(p, None, known) for p in specs)}.values())
    if (config is not None or overrides) and len(chosen) != 1:
        raise BadInputError("--config and --set need exactly one STRATEGY")
    out = []
    for strategy in chosen:
        cfg = config_for(strategy, config, defaults, overrides)
        start_up(cfg.data, None)
        out.append(compute_signal(strategy, cfg, project_root()))
    return out
