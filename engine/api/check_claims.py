"""`rl.claim` and `rl.claims`: press claims as event studies, as `run_backtest.py claims`."""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from engine.api.inputs import as_overrides
from engine.api.startup import check_reports_root, report_once, start_up
from engine.config.run_config import apply_overrides, shared_defaults, validate_model
from engine.config.settings import DataSettings, ReportSettings
from engine.errors import BadInputError, ConfigError
from engine.paths import project_root, resolve

__all__ = [
    "ClaimCheck",
    "ClaimsResult",
    "claim",
    "claim_definitions",
    "claims",
    "load_claims",
]

_loaded: dict[Path, None] = {}  # folders loaded with load_claims(), for this Python session


def parse_date(value: str | dt.date | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise BadInputError(f"--date {value!r} is not a date; use YYYY-MM-DD") from None


def _section(overrides: Sequence[str], name: str, model: type, shared: dict[str, Any]) -> Any:
    """[data] or [report]: the shared defaults (as for strategies), then the overrides."""
    texts = [t for t in overrides if t.startswith(f"{name}.")]
    doc = apply_overrides({name: shared.get(name, {})}, texts).get(name, {})
    return validate_model(model, doc, name)


def selected(names: Sequence[str], known: list[str]) -> list[str]:
    """The claims asked for (all when none), refusing unknown names with a "did you mean"."""
    if not names:
        return known
    for name in names:
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            tip = f"; did you mean {hint[0]!r}?" if hint else ""
            raise BadInputError(f"no claim is named {name!r}{tip} (claims: {', '.join(known)})")
    return list(dict.fromkeys(names))


def claim_definitions(
    claims_dir: str | Path | None = None,
    overrides: Sequence[str] | str | None = None,
    date: str | dt.date | None = None,
) -> dict[str, Any]:
    """Name -> validated claim definition: the shipped files (the project's `claims/`), the
    folders loaded with `load_claims`, then `claims_dir`."""
    from engine.claim_checks import load_definitions

    folder = None if claims_dir is None else Path(claims_dir).expanduser()
    same = None if folder is None or not folder.is_dir() else folder.resolve()
    extra = tuple(d for d in _loaded if d != same)
    return load_definitions(folder, as_overrides(overrides), parse_date(date), extra)


def load_claims(folder: str | Path) -> dict[str, Any]:
    """Load every claim file (*.toml) of `folder`, as `--claims-dir` does; afterwards
    `rl.claims()` runs them with the shipped ones and `rl.claim("its_name")` finds them
    (loading a folder again reloads it). Returns the definitions loaded (name -> definition)."""
    from engine.claim_checks.loading import definition_files

    path = Path(folder).expanduser().resolve()
    found = claim_definitions(path)  # validated with the others: a name taken is refused
    theirs = sorted(set(definition_files(path)) - set(definition_files()))
    if not theirs:
        raise BadInputError(f"load_claims: no claim file (*.toml) in {folder}")
    _loaded[path] = None
    return {name: found[name] for name in theirs}


@dataclass
class ClaimCheck:
    """One claim's result: `verdict` (its headline finding's), `findings` (one row per tested
    statement), `events` (every year, streak or cross with its outcomes), `sensitivity`."""

    result: Any  # engine.claim_checks.result.ClaimResult

    @property
    def name(self) -> str:
        return self.result.name

    @property
    def verdict(self) -> str:
        return self.result.verdict

    @property
    def events(self) -> pd.DataFrame:
        return self.result.events

    @property
    def findings(self) -> pd.DataFrame:
        from engine.claim_checks.runner import finding_row

        return pd.DataFrame([finding_row(f) for f in self.result.findings])

    @property
    def sensitivity(self) -> pd.DataFrame:
        return self.result.sensitivity

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return self.result.tables

    @property
    def notes(self) -> list[str]:
        return self.result.notes

    def summary(self) -> str:
        from engine.claim_checks import run_summary

        return run_summary([self.result])

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.summary())}</pre>"

    def __str__(self) -> str:
        from engine.api.display import claims_text

        return claims_text([self.result])

    def __repr__(self) -> str:
        return f"<ClaimCheck {self.name}: {self.verdict}>"


@dataclass
class ClaimsResult:
    """Several claims checked together, as one report."""

    checks: list[ClaimCheck]
    output_dir: str
    command: str
    _folders: dict[Path, Path] = field(default_factory=dict, repr=False)

    def __getitem__(self, name: str) -> ClaimCheck:
        return {c.name: c for c in self.checks}[name]

    @property
    def summary(self) -> str:
        from engine.claim_checks import run_summary

        return run_summary([c.result for c in self.checks])

    def report(self, folder: str | Path | None = None) -> Path:
        """Write the claims report under `folder` (default: report.output_dir)."""
        from engine.report.claims.report import write_claims_report

        def write(root: Path) -> Path:
            results = [c.result for c in self.checks]
            return write_claims_report(results, root, self.command, self.summary)

        return report_once(self._folders, folder, self.output_dir, write)

    def _repr_html_(self) -> str:
        import html

        return f"<pre>{html.escape(self.summary)}</pre>"

    def __str__(self) -> str:
        from engine.api.display import claims_text

        return claims_text([c.result for c in self.checks])


def claims(
    names: Sequence[str] = (),
    *,
    date: str | dt.date | None = None,
    claims_dir: str | Path | None = None,
    overrides: Sequence[str] | str | None = None,
    defaults: str | Path | None = None,
    command: str | None = None,
) -> ClaimsResult:
    """Check the named claims (all when none). `overrides` are the CLI's `--set` strings:
    'CLAIM.KEY=VALUE', 'stats.KEY=VALUE' or a data/report setting ('data.cache_dir=...'); the
    [data] and [report] settings start from the shared defaults (`defaults` adds a file)."""
    from engine.claim_checks import run_claims

    texts = as_overrides(overrides)
    if isinstance(names, str):
        names = [names]
    definitions = claim_definitions(claims_dir, texts, date)
    chosen = selected(list(names), list(definitions))
    try:
        shared = shared_defaults(None if defaults is None else Path(defaults))
        data = _section(texts, "data", DataSettings, shared)
        report = _section(texts, "report", ReportSettings, shared)
    except ConfigError as exc:
        raise ConfigError(f"claims: {exc}") from None
    start_up(data, None)
    check_reports_root(resolve(report.output_dir))  # a file there: refused before any work
    results = run_claims([definitions[n] for n in chosen], data, project_root())
    shown = command or f"rl.claims({list(chosen)!r})"
    return ClaimsResult([ClaimCheck(r) for r in results], report.output_dir, shown)


def claim(
    name: str,
    *,
    date: str | dt.date | None = None,
    claims_dir: str | Path | None = None,
    overrides: Sequence[str] | str | None = None,
    defaults: str | Path | None = None,
) -> ClaimCheck:
    """Check one claim, e.g. `rl.claim("first_five_days").verdict`."""
    if not isinstance(name, str):
        raise BadInputError(f"a claim is named by a string, got {name!r}")
    found = claims([name], date=date, claims_dir=claims_dir, overrides=overrides, defaults=defaults)
    return found.checks[0]
