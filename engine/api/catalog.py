"""Which strategies the Python API knows: the shipped library, folders loaded in this session,
and `Strategy` objects passed directly."""

from __future__ import annotations

import difflib
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from engine.decisions.discovery import library, load_folder, merge_strategies
from engine.decisions.strategy import Strategy
from engine.errors import BadInputError

__all__ = [
    "StrategyInfo",
    "StrategySpec",
    "catalog_of",
    "known_strategies",
    "load_strategies",
    "lookup",
    "resolve_spec",
    "strategies",
]

StrategySpec = str | Strategy  # a name (of the library or a loaded folder) or the object itself

_loaded: dict[str, Strategy] = {}  # from load_strategies(), for this Python session


def load_strategies(folder: str | Path) -> dict[str, Strategy]:
    """Load every strategy module (*.py defining STRATEGY) of `folder`, as `--strategies-dir`
    does; afterwards `rl.run("its_name")` finds them (loading a name again replaces it).
    Returns the strategies loaded."""
    found = load_folder(folder)
    merge_strategies(library(), found, f"strategies folder {folder}")  # the library's names stay
    _loaded.update(found)
    return found


def known_strategies(extra_dirs: tuple[str | Path, ...] = ()) -> dict[str, Strategy]:
    """The library, the folders loaded this session, then `extra_dirs` (a folder's strategy
    may replace one loaded before, never one of the library)."""
    shipped = library()
    found = {**shipped, **_loaded}
    for folder in extra_dirs:
        extra = load_folder(folder)
        merge_strategies(shipped, extra, f"--strategies-dir {folder}")
        found.update(extra)
    return found


def lookup(spec: StrategySpec, known: Mapping[str, Strategy] | None = None) -> Strategy:
    """A Strategy from its name or itself; an unknown name is refused with the known ones."""
    if isinstance(spec, Strategy):
        return spec
    if not isinstance(spec, str):
        raise BadInputError(
            f"a strategy is given by its name or a Strategy object, got {type(spec).__name__}"
        )
    known = known_strategies() if known is None else known
    if spec not in known:
        hint = difflib.get_close_matches(spec, list(known), n=1)
        tip = f"; did you mean {hint[0]!r}?" if hint else ""
        raise BadInputError(
            f"unknown strategy {spec!r}{tip} (known: {', '.join(sorted(known))}); a strategy of "
            "your own loads from a folder (--strategies-dir DIR, rl.load_strategies(DIR)) or is "
            "passed as a Strategy object"
        )
    return known[spec]


def catalog_of(
    strategies_dir: str | Path | None = None, catalog: Mapping[str, Strategy] | None = None
) -> dict[str, Strategy]:
    """The strategies names resolve among: `catalog` when given (the CLI passes the ones it
    lists), else the library and the folders loaded, plus `strategies_dir`."""
    dirs = () if strategies_dir is None else (strategies_dir,)
    if catalog is None:
        return known_strategies(dirs)
    found = dict(catalog)
    for folder in dirs:
        found = merge_strategies(found, load_folder(folder), f"--strategies-dir {folder}")
    return found


def resolve_spec(
    spec: StrategySpec,
    strategies_dir: str | Path | None = None,
    catalog: Mapping[str, Strategy] | None = None,
) -> Strategy:
    """`lookup` among the known strategies (see `catalog_of`); an object is itself."""
    if isinstance(spec, Strategy):
        return spec
    return lookup(spec, catalog_of(strategies_dir, catalog))


_COMMENT = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*=.*?#\s*(.+?)\s*$")
_TABLE = re.compile(r"^\s*\[([A-Za-z_][\w-]*)\]\s*(?:#\s*(.+?))?\s*$")


def _toml_comments(path: Path | None) -> dict[str, str]:
    """Meanings the strategy's TOML documents: `key = value  # meaning` lines at the top level
    and `[table]  # meaning` headers (a table-valued parameter such as a weight map)."""
    if path is None or not Path(path).is_file():
        return {}
    out: dict[str, str] = {}
    in_table = False
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        table = _TABLE.match(line)
        if table:
            in_table = True
            if table.group(2):
                out.setdefault(table.group(1), table.group(2))
            continue
        if line.lstrip().startswith("["):
            in_table = True
            continue
        m = _COMMENT.match(line)
        if m and not in_table:
            out.setdefault(m.group(1), m.group(2))
    return out


@dataclass(frozen=True)
class StrategyInfo:
    """What a strategy is and which parameters it takes, with their defaults and meanings."""

    name: str
    description: str
    parameters: pd.DataFrame  # index = parameter; columns default, type, meaning
    key_params: tuple[str, ...]
    strategy: Strategy

    @classmethod
    def of(cls, strategy: Strategy) -> StrategyInfo:
        comments = _toml_comments(strategy.default_config)
        rows = {}
        for name, field in strategy.params_model.model_fields.items():
            annotation = field.annotation
            kind = getattr(annotation, "__name__", None) or str(annotation).replace("typing.", "")
            rows[name] = {
                "default": "(required)"
                if field.is_required()
                else field.get_default(call_default_factory=True),
                "type": kind,
                "meaning": field.description or comments.get(name, ""),
            }
        table = pd.DataFrame.from_dict(rows, orient="index", columns=["default", "type", "meaning"])
        table.index.name = "parameter"
        return cls(strategy.name, strategy.description, table, strategy.key_params, strategy)

    @property
    def defaults(self) -> dict[str, object]:
        return self.parameters["default"].to_dict()

    def _repr_html_(self) -> str:
        shown = self.parameters.assign(default=self.parameters["default"].map(repr))
        return f"<b>{html.escape(self.name)}</b>: {html.escape(self.description)}" + shown.to_html(
            escape=True
        )


class StrategyCatalog(dict[str, StrategyInfo]):
    """Name -> StrategyInfo, shown as one table in Jupyter."""

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "description": {n: i.description for n, i in self.items()},
                "key parameters": {
                    n: ", ".join(f"{k}={i.defaults[k]!r}" for k in i.key_params)
                    for n, i in self.items()
                },
            }
        ).rename_axis("strategy")

    def _repr_html_(self) -> str:
        return self.table().to_html(escape=True)


def strategies(strategies_dir: str | Path | None = None) -> StrategyCatalog:
    """Every strategy by name: its description and parameters (defaults and meanings)."""
    dirs = () if strategies_dir is None else (strategies_dir,)
    found = known_strategies(dirs)
    return StrategyCatalog({n: StrategyInfo.of(s) for n, s in sorted(found.items())})
