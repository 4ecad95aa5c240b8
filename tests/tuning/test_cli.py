"""The sweep command refuses bad input before loading anything: exit 2 and one line."""

from __future__ import annotations

import pytest

from engine.cli.main import main
from engine.paths import PROJECT_ROOT
from tests.tuning.conftest import STRATEGIES

LONG_TERM = PROJECT_ROOT / "strategies" / "configs" / "fixed_mix_long_term.toml"  # no [sweep]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sweep", "nope", "--grid", "n=7"], "unknown strategy 'nope'"),
        (["sweep", "rsi_trim", "--grid", "uper=60"], "did you mean 'upper'"),
        (["sweep", "rsi_trim", "--grid", "n=7", "--blocks", "7"], "even number"),
        (["sweep", "fixed_mix", "--config", str(LONG_TERM)], "no parameter grid"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, message, capsys):
    assert main(STRATEGIES, args) == 2
    assert message in capsys.readouterr().err
