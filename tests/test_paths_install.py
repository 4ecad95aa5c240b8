"""Paths resolve from the checkout, $ROTATION_LAB_ROOT or the working folder, never from
site-packages; a non-editable install runs from another folder; the example script runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine.paths import PACKAGE_ROOT, ROOT_ENV, checkout_root, project_root, resolve
from tests.helpers import MIRROR

REPO = Path(__file__).resolve().parents[1]


def test_a_checkout_resolves_from_itself_whatever_the_working_folder(tmp_path):
    assert checkout_root() == REPO == PACKAGE_ROOT
    assert project_root(environ={}, cwd=tmp_path) == REPO


def test_an_installed_copy_resolves_from_the_working_folder(tmp_path):
    site = tmp_path / "site-packages"  # engine/ installed without the project's pyproject.toml
    (site / "engine").mkdir(parents=True)
    work = tmp_path / "work"
    work.mkdir()
    assert checkout_root(site) is None
    assert project_root(environ={}, package_root=site, cwd=work) == work
    # another project's pyproject.toml beside site-packages does not make it a checkout
    (site / "pyproject.toml").write_text('[project]\nname = "other"\n', encoding="utf-8")
    assert project_root(environ={}, package_root=site, cwd=work) == work


def test_the_environment_variable_wins(tmp_path):
    env = {ROOT_ENV: str(tmp_path)}
    assert project_root(environ=env, cwd=Path("/")) == tmp_path.resolve()
    assert resolve("reports", tmp_path) == tmp_path / "reports"
    assert resolve(tmp_path / "x", Path("/elsewhere")) == tmp_path / "x"  # absolute: as given


def _python_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", ROOT_ENV)}
    return {**env, **extra}


@pytest.mark.realdata
def test_pip_install_into_a_folder_runs_from_another_working_folder(tmp_path):
    """`pip install .` (non-editable, no dependencies: they are the running venv's) into a
    target folder, then a run from a third folder: reports and cache land there."""
    if not MIRROR.is_dir():
        pytest.skip(f"no market-data mirror at {MIRROR}")
    target, work, source = tmp_path / "site", tmp_path / "work", tmp_path / "source"
    work.mkdir()
    # build from a copy, so setuptools' build/ and *.egg-info never land in the checkout
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for package in ("engine", "strategies", "claims"):
        skip = shutil.ignore_patterns("__pycache__")
        shutil.copytree(REPO / package, source / package, ignore=skip)
    pip = [sys.executable, "-m", "pip", "install", "--no-deps", "--no-compile", "-q"]
    built = subprocess.run(
        [*pip, "--target", str(target), str(source)], capture_output=True, text=True, timeout=170
    )
    if built.returncode != 0:
        pytest.skip(f"pip cannot build here (offline?): {built.stderr.strip()[-300:]}")
    assert (target / "engine" / "config" / "defaults.toml").is_file()
    assert (target / "claims" / "first10days.toml").is_file()  # the shipped claims
    assert not (target / "pyproject.toml").exists()
    script = (
        "import engine as rl, engine.paths as p\n"
        "print(p.PACKAGE_ROOT)\n"
        "print(p.project_root())\n"
        "print(len(rl.strategies()))\n"
        f"r = rl.run('fixed_mix', data={{'mirror_dir': {str(MIRROR)!r}, "
        "'providers': ['cache', 'mirror']})\n"
        "print(r.report())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=work,
        env=_python_env(PYTHONPATH=str(target)),
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert done.returncode == 0, done.stderr
    package, root, count, folder = done.stdout.split()
    assert Path(package) == target.resolve()  # the installed copy, not the checkout
    assert Path(root) == work.resolve() and int(count) >= 8
    assert Path(folder).is_relative_to(work.resolve() / "reports" / "fixed_mix")
    assert list((work / "data_cache").glob("*.parquet"))
    assert not (target / "reports").exists() and not (target / "data_cache").exists()
    # the command line of the installed copy: `rotation-lab` and `python -m engine`
    for command in ([str(target / "bin" / "rotation-lab")], [sys.executable, "-m", "engine"]):
        listed = subprocess.run(
            [*command, "list"],
            cwd=work,
            env=_python_env(PYTHONPATH=str(target)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert listed.returncode == 0, listed.stderr
        assert "first10days: Hold small caps" in listed.stdout
    claims = subprocess.run(
        [str(target / "bin" / "rotation-lab"), "claims", "--list"],
        cwd=work,
        env=_python_env(PYTHONPATH=str(target)),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert claims.returncode == 0, claims.stderr
    assert "first_five_days (early_window)" in claims.stdout  # found in the installed copy


@pytest.mark.realdata
def test_the_worked_example_runs(tmp_path):
    """examples/relative_momentum.py as a user runs it, isolated by a user defaults file."""
    if not MIRROR.is_dir():
        pytest.skip(f"no market-data mirror at {MIRROR}")
    user = tmp_path / "defaults.toml"
    user.write_text(
        f"[data]\nmirror_dir = {str(MIRROR)!r}\ncache_dir = {str(tmp_path / 'cache')!r}\n"
        "providers = ['cache', 'mirror']\n"
        f"[report]\noutput_dir = {str(tmp_path / 'reports')!r}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "relative_momentum.py")],
        cwd=tmp_path,
        env=_python_env(PYTHONPATH=str(REPO), ROTATION_LAB_DEFAULTS=str(user)),
        capture_output=True,
        text=True,
        timeout=170,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "relative_momentum" in out and "first10days" in out
    assert "deflated Sharpe" in out
    report = Path(out.strip().splitlines()[-1].removeprefix("report: "))
    assert (report / "report.html").is_file()
    assert report.is_relative_to(tmp_path / "reports" / "relative_momentum")
