"""The package is typed (PEP 561): ``py.typed`` sits in the package and is package data."""

import subprocess
import sys
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


def test_the_public_api_type_checks_and_a_misuse_is_refused(tmp_path):
    """mypy reads the package's own annotations (py.typed; errors inside the package are not
    the user's, hence follow-imports=silent): code using every exported name type-checks,
    and the two misuses in public_api_misuse.py are exactly the errors it reports."""
    folder = Path(__file__).parent / "typing"
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--follow-imports=silent", "--ignore-missing-imports",
         "--cache-dir", str(tmp_path / "cache"), "--no-error-summary",
         str(folder / "public_api_use.py"), str(folder / "public_api_misuse.py")],
        capture_output=True, text=True, cwd=ROOT)
    errors = [line.split(": error: ")[1] for line in run.stdout.splitlines()
              if ": error: " in line]
    assert all("public_api_misuse.py" in line for line in run.stdout.splitlines()), run.stdout
    assert errors == [
        'Argument 1 to "load_framework" has incompatible type "float"; expected "str | Path"  '
        "[arg-type]",
        '"Results" has no attribute "no_such_method"  [attr-defined]']
