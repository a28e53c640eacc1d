"""The layers (docs/architecture.md) as import-linter contracts in pyproject.toml: the
contracts hold, name every part of the package, and a forbidden import breaks them; the
import graph has no circle."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp
import pytest

import fintech_index

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = ROOT / "pyproject.toml"
SRC = Path(fintech_index.__file__).resolve().parents[1]  # the tree under test
CONTRACTS = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]


def lint_imports(src: Path, cwd: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` on the package found in ``src``, with this project's contracts."""
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or "lint-imports"
    env = os.environ | {"PYTHONPATH": str(src)}
    return subprocess.run([exe, str(PYPROJECT), "--no-cache"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_lint_imports_keeps_every_contract(tmp_path):
    run = lint_imports(SRC, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in run.stdout


def test_a_forbidden_import_fails_the_check(tmp_path):
    """analysis importing the presentation layer (the words) breaks the layers, the
    facts-not-words contract and the no-circle one (publish imports analysis), naming the
    import."""
    copy = tmp_path / "src" / "fintech_index"
    shutil.copytree(SRC / "fintech_index", copy,
                    ignore=shutil.ignore_patterns("datasets", "__pycache__", "static",
                                                  "templates", "assets"))
    gaps = copy / "analysis" / "gaps.py"
    gaps.write_text(gaps.read_text() + "\nfrom ..publish import site as _site  # noqa\n")
    run = lint_imports(copy.parent, tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Contracts: 2 kept, 3 broken." in run.stdout
    assert "fintech_index.analysis.gaps -> fintech_index.publish.site" in run.stdout
    assert "fintech_index.analysis is not allowed to import fintech_index.publish" in run.stdout


def test_the_layers_name_every_part_of_the_package():
    """A new top-level module or package must be placed in a layer before it is used."""
    layers = next(c for c in CONTRACTS if c["type"] == "layers")["layers"]
    named = {m.strip() for layer in layers for m in layer.replace("|", ":").split(":")}
    parts = {f"fintech_index.{p.stem}" for p in (SRC / "fintech_index").iterdir()
             if (p.suffix == ".py" and p.stem != "__init__")
             or (p.is_dir() and (p / "__init__.py").exists())}
    assert parts == named


@pytest.fixture(scope="module")
def graph():
    return grimp.build_graph("fintech_index", exclude_type_checking_imports=True)


def test_the_import_graph_has_no_circle(graph):
    """No module reaches itself through its imports, inside functions included; the one
    pattern left is a registry package and its kernel modules (methods/__init__ imports
    each kernel module, which registers itself with the package)."""
    circles = []
    for m in sorted(graph.modules):
        for d in graph.find_modules_directly_imported_by(m):
            if d.startswith(m + ".") or m.startswith(d + "."):
                continue  # a package and its own module
            chain = graph.find_shortest_chain(importer=d, imported=m)
            if chain:
                circles.append((m, *chain))
    assert circles == []
