"""Config and defaults files: bounded reads, a byte-order mark accepted, and environment
variables naming a missing file or folder refused with the variable named."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import engine as rl
from engine.cli.main import main
from engine.config.run_config import USER_DEFAULTS_ENV, load_config, read_toml
from engine.errors import BadInputError, ConfigError
from engine.paths import ROOT_ENV, project_root
from strategies import discover

STRATEGIES = discover()


@pytest.fixture(autouse=True)
def no_user_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(USER_DEFAULTS_ENV, raising=False)
    monkeypatch.delenv(ROOT_ENV, raising=False)


def _cli(argv: list[str], capsys) -> tuple[int, str]:
    code = main(STRATEGIES, argv)
    return code, capsys.readouterr().err


def test_a_config_saved_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbflead_days = 12\n[backtest]\nfees_bps = 3.0\n")
    cfg = load_config(STRATEGIES["first10days"], config_file=path)
    assert (cfg.params.lead_days, cfg.backtest.fees_bps) == (12, 3.0)


@pytest.mark.parametrize("option", ["--config", "--defaults"])
def test_a_named_pipe_or_a_device_is_refused_before_it_is_opened(tmp_path, capsys, option):
    pipe = tmp_path / "pipe.toml"
    os.mkfifo(pipe)  # opening it would block until a writer appears
    code, err = _cli(["first10days", option, str(pipe), "--no-report"], capsys)
    what = "config file" if option == "--config" else "defaults file"
    assert code == 2
    assert err == f"error: {what} {pipe} is a named pipe, not a file; give a .toml file\n"
    code, err = _cli(["first10days", option, "/dev/zero", "--no-report"], capsys)
    assert code == 2 and err.startswith(f"error: {what} /dev/zero is a device, not a file")


def test_an_oversized_config_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.toml"
    with big.open("wb") as handle:
        handle.truncate(5 * 2**20)  # sparse: nothing is written or read
    with pytest.raises(ConfigError, match=r"is 5\.0 MB, more than the 4 MB"):
        read_toml(big)


def test_defaults_variable_naming_a_missing_file_is_named(monkeypatch, capsys) -> None:
    monkeypatch.setenv(USER_DEFAULTS_ENV, "/no/such/defaults.toml")
    code, err = _cli(["first10days", "--no-report"], capsys)
    assert code == 2
    assert err.startswith(f"error: {USER_DEFAULTS_ENV}=/no/such/defaults.toml names no file")
    with pytest.raises(BadInputError, match=USER_DEFAULTS_ENV):
        rl.run("first10days")


def test_root_variable_naming_a_missing_folder_is_named(monkeypatch, capsys) -> None:
    monkeypatch.setenv(ROOT_ENV, "/no/such/folder")
    with pytest.raises(BadInputError, match=f"{ROOT_ENV}=/no/such/folder is not a folder"):
        project_root()
    code, err = _cli(["first10days", "--no-report"], capsys)  # refused before any download
    assert code == 2 and f"{ROOT_ENV}=/no/such/folder is not a folder" in err
    code, err = _cli(["data", "status"], capsys)
    assert code == 2 and ROOT_ENV in err
