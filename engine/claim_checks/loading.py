"""Loading claim files: the shipped `claims/` folder and the user's, each file validated by
the model of the kind it names (kinds are discovered, so this module sits above them)."""

from __future__ import annotations

import datetime as dt
import difflib
import importlib
from pathlib import Path
from typing import Any

from engine.claim_checks.definitions import LIBRARY_PACKAGE, NAME_RE, RESERVED_NAMES, ClaimBase
from engine.config.run_config import apply_overrides, read_toml, validate_model
from engine.errors import ConfigError


def library_dir() -> Path:
    """The folder of the shipped claim files (the `claims` package, in a checkout or installed)."""
    package = importlib.import_module(LIBRARY_PACKAGE)
    return Path(next(iter(package.__path__)))


def kind_models() -> dict[str, type[ClaimBase]]:
    """Kind name -> its model, for every discovered kind."""
    from engine.claim_checks.kinds import registry

    return {name: kind.model for name, kind in registry().items()}


def definition_files(
    claims_dir: Path | None = None, extra_dirs: tuple[Path, ...] = ()
) -> dict[str, Path]:
    """Claim name -> TOML file: the shipped ones, those of `extra_dirs` (folders loaded with
    `rl.load_claims`), then those of `claims_dir`; a name defined twice is refused."""
    folders = [library_dir(), *extra_dirs]
    if claims_dir is not None:
        if not Path(claims_dir).is_dir():
            raise ConfigError(
                f"--claims-dir {claims_dir} is not a folder; give a folder of claim files (*.toml)"
            )
        folders.append(Path(claims_dir))
    found: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.toml")):
            name = path.stem
            if not NAME_RE.match(name) or name in RESERVED_NAMES:
                raise ConfigError(
                    f"claim file {path}: the name {name!r} cannot be used; use lower-case "
                    f"letters, digits, '_' or '-', and not {', '.join(RESERVED_NAMES)}"
                )
            if name in found:
                raise ConfigError(
                    f"two claim files are named {name!r}: {found[name]} and {path}; rename one"
                )
            found[name] = path
    return found


def build_definition(name: str, doc: dict[str, Any], where: str) -> ClaimBase:
    """Validate one claim document (its name comes from the file name)."""
    doc = dict(doc)
    if "name" in doc and doc["name"] != name:
        raise ConfigError(f"{where}: name = {doc['name']!r} differs from the file name {name!r}")
    doc["name"] = name
    kind = doc.get("kind")
    models = kind_models()
    if kind not in models:
        hint = difflib.get_close_matches(str(kind), list(models), n=1)
        tip = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ConfigError(
            f"{where}: kind = {kind!r} is not a known kind{tip} (kinds: {', '.join(models)})"
        )
    try:
        return validate_model(models[kind], doc, name)  # type: ignore[return-value]
    except ConfigError as exc:
        raise ConfigError(f"claim {name} ({where}) is invalid:\n{exc}") from None


def split_overrides(overrides: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    """'NAME.key=v' -> ({NAME: ['key=v']}, ...); 'data.'/'report.'/'stats.' ones go in the
    second list unchanged."""
    per_claim: dict[str, list[str]] = {}
    shared: list[str] = []
    for text in overrides:
        key, sep, raw = text.partition("=")
        head, dot, rest = key.strip().partition(".")
        if not sep or not dot or not rest:
            raise ConfigError(
                f"--set {text!r}: expected NAME.KEY=VALUE (a claim name, or data./report./"
                "stats.), e.g. --set first10days.lead_days=15"
            )
        if head in RESERVED_NAMES:
            shared.append(text)
        else:
            per_claim.setdefault(head, []).append(f"{rest}={raw}")
    return per_claim, shared


def load_definitions(
    claims_dir: Path | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    date: dt.date | None = None,
    extra_dirs: tuple[Path, ...] = (),
) -> dict[str, ClaimBase]:
    """Every claim definition, with `--set` overrides and `--date` applied, validated."""
    files = definition_files(claims_dir, extra_dirs)
    models = kind_models()
    per_claim, shared = split_overrides(list(overrides))
    for name in per_claim:
        if name not in files:
            hint = difflib.get_close_matches(name, list(files), n=1)
            tip = f"; did you mean {hint[0]!r}?" if hint else ""
            raise ConfigError(f"--set {name}.…: no claim is named {name!r}{tip}")
    stats_overrides = [t.removeprefix("stats.") for t in shared if t.startswith("stats.")]
    out: dict[str, ClaimBase] = {}
    for name, path in files.items():
        doc = read_toml(path)
        if stats_overrides:
            doc = apply_overrides(doc, [f"stats.{t}" for t in stats_overrides])
        doc = apply_overrides(doc, per_claim.get(name, []))
        kind_model = models.get(str(doc.get("kind")))
        if date is not None and kind_model is not None and kind_model.DATE_FIELD:
            doc[kind_model.DATE_FIELD] = date
        out[name] = build_definition(name, doc, str(path))
    return out
