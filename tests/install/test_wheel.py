"""The package as a user gets it: sdist and wheel built from the checkout (twine's checks pass),
the wheel installed into a fresh venv outside the checkout, and its command run from there:
--version, init, check, a short demo, and the service installer's dry run.

One build and one install for the module (about a minute: pip takes the dependencies from its
cache or the package index). ``-m "not wheel"`` leaves it out of a quick run."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import livetrigger

# one worker builds and installs once (the fixtures are per module, and per worker under xdist)
pytestmark = [pytest.mark.wheel, pytest.mark.xdist_group("wheel")]

ROOT = Path(__file__).resolve().parents[2]
_NOT_SOURCE = (".git", ".venv*", "*.egg-info", "build", "dist", "__pycache__", ".*_cache")
_NOT_SOURCE += (".hypothesis", "out", "corpus-*")


def _run(argv: list[str], cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # build from a copy: setuptools writes livetrigger.egg-info into the tree it builds, and
    # a checkout's leftovers (venvs, caches, old builds) must not reach the sdist
    tree = tmp_path_factory.mktemp("tree") / "livetrigger"
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*_NOT_SOURCE))
    built = _run([sys.executable, "-m", "build", "--outdir", str(out), str(tree)], cwd=out)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("user")
    made = _run([sys.executable, "-m", "venv", str(home / "venv")], cwd=home)
    assert made.returncode == 0, made.stderr
    (wheel,) = dist.glob("livetrigger-*.whl")
    pip = _run([str(home / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)], cwd=home)
    assert pip.returncode == 0, pip.stdout[-3000:] + pip.stderr[-3000:]
    yield home


def lt(venv: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return _run([str(venv / "venv" / "bin" / "livetrigger"), *args], cwd=venv, timeout=timeout)


def test_sdist_and_wheel_pass_twine_check(dist: Path) -> None:
    names = sorted(p.name for p in dist.iterdir())
    version = livetrigger.__version__
    assert names == [f"livetrigger-{version}-py3-none-any.whl", f"livetrigger-{version}.tar.gz"]
    checked = _run([sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())], cwd=dist)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_sdist_carries_what_the_readme_names_and_the_wheel_the_license(dist: Path) -> None:
    version = livetrigger.__version__
    with tarfile.open(dist / f"livetrigger-{version}.tar.gz") as sdist:
        names = {n.split("/", 1)[1] for n in sdist.getnames() if "/" in n}
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:docs/)?[\w.-]+\.(?:md|yaml))`", readme)) | {"LICENSE"}
    assert named - names == set()
    with zipfile.ZipFile(dist / f"livetrigger-{version}-py3-none-any.whl") as wheel:
        inside = set(wheel.namelist())
    assert f"livetrigger-{version}.dist-info/licenses/LICENSE" in inside
    assert "livetrigger/systemd/livetrigger.service" in inside
    assert "livetrigger/examples/starter.yaml" in inside


def test_version_comes_from_the_installed_package(venv: Path) -> None:
    done = lt(venv, "--version")
    assert (done.returncode, done.stdout.strip()) == (0, f"livetrigger {livetrigger.__version__}")
    where = _run(
        [str(venv / "venv" / "bin" / "python"), "-c", "import livetrigger; print(livetrigger.__file__)"],
        cwd=venv,
    )
    assert where.stdout.startswith(str(venv / "venv")), where.stdout  # not the checkout


def test_init_then_check(venv: Path) -> None:
    done = lt(venv, "init", "conf/")
    assert done.returncode == 0, done.stderr
    names = {p.name for p in (venv / "conf").iterdir()}
    assert names == {"config.yaml", "config.example.yaml", "config.schema.json"}
    for name in ("config.yaml", "config.example.yaml"):
        checked = lt(venv, "check", f"conf/{name}")
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert f"conf/{name}: OK" in checked.stdout


def test_a_short_demo(venv: Path) -> None:
    done = lt(venv, "demo", "--speed", "20", "--no-color", timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    # how many fire depends on timing at 20x speed on a busy machine; that they fire does not
    fired = re.search(r"done: (\d+) rule firings", done.stdout)
    assert fired and int(fired.group(1)) >= 1, done.stdout[-2000:]


@pytest.mark.skipif(shutil.which("systemd-sysusers") is None, reason="systemd-sysusers not installed")
def test_the_installer_finds_its_unit_in_the_wheel(venv: Path) -> None:
    root = venv / "root"
    (root / "etc").mkdir(parents=True)
    done = lt(venv, "install-service", "--root", str(root), "--exec", "/bin/true", "--dry-run")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "would create /etc/systemd/system/livetrigger.service" in done.stdout
    assert list(root.rglob("*")) == [root / "etc"]
