"""The package is typed (PEP 561): ``py.typed`` sits in the package and is package data."""

import tomllib
from importlib import resources
from pathlib import Path

import fintech_index

ROOT = Path(__file__).resolve().parents[1]


def test_py_typed_is_in_the_package_and_its_package_data():
    marker = resources.files(fintech_index) / "py.typed"
    assert marker.is_file() and marker.read_text() == ""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "py.typed" in config["tool"]["setuptools"]["package-data"]["fintech_index"]
