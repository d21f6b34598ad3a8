"""What a package index shows: license, version source, and a README that reads there."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import livetrigger

ROOT = Path(__file__).resolve().parents[2]


def _project() -> dict[str, object]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project: dict[str, object] = data["project"]
    return project


def test_license_is_a_pep639_expression_with_its_file() -> None:
    project = _project()
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    # a license classifier next to an expression is an error for current setuptools
    assert not [c for c in project["classifiers"] if c.startswith("License ::")]  # type: ignore[attr-defined]


def test_version_has_one_source() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in data["project"]
    assert data["project"]["dynamic"] == ["version"]
    assert data["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "livetrigger.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", livetrigger.__version__)


def test_readme_has_no_relative_links() -> None:
    """A package index shows the README without the repository around it: a relative link
    (docs/config.md, an image) would lead nowhere there."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)]*)\)", readme) + re.findall(r"<img[^>]+src=\"([^\"]+)", readme)
    assert [t for t in targets if not re.match(r"[a-z]+://", t)] == []


def test_readme_says_how_to_install_before_how_to_develop() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    headings = re.findall(r"^## (.+)$", readme, flags=re.MULTILINE)
    assert headings.index("Install") < headings.index("Develop")
    install = readme.split("## Install", 1)[1].split("\n## ", 1)[0]
    assert "pipx install livetrigger" in install
    assert ".whl" in install
