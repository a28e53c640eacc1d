"""docs/notebook.py (a Jupytext notebook) runs: it shows the results table, the framework,
the methodology and the audit's tables, and draws every kind of fintech_index.plot."""

import contextlib
import io
import os
import runpy
import shutil
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "notebook.py"
KINDS = ["bar", "dot", "framework", "corr", "scatter", "dist", "uncertainty", "sensitivity",
         "rank_history", "gap", "profile"]


@pytest.fixture(scope="module")
def run():
    assert "FINTECH_INDEX_FIGURES" not in os.environ
    return _run()


def _run():
    """The notebook's variables and what it printed (run as a script, without IPython)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        names = runpy.run_path(str(NOTEBOOK), run_name="__main__")
    return names, out.getvalue()


def test_the_notebook_shows_the_tables(run):
    names, text = run
    res = names["res"]
    assert text.startswith(repr(res) + "\n")  # the first cell's table
    lines = text.splitlines()
    assert lines[2].split()[:2] == ["1", "FIN"]  # Finland first on the TAI
    for shown in (names["ex"].framework, names["ex"].methodology,
                  names["audit"].uncertainty, names["audit"].sensitivity):
        assert repr(shown) in text


def test_the_notebook_draws_every_plot(run):
    names, text = run
    figures, res = names["figures"], names["res"]
    assert list(figures) == KINDS
    assert text.count("Figure: ") == len(KINDS)
    bars = figures["bar"].data
    ranking = res.ranking()
    np.testing.assert_allclose(np.sum([t.y for t in bars], axis=0),
                               ranking["score"].to_numpy())
    assert len(figures["uncertainty"].data[0].x) == len(res.units)
    assert list(figures["sensitivity"].data[0].x) == list(names["audit"].sensitivity.factors)
    assert len(figures["gap"].data[0].x) == 5  # ASEM's panel: 2018-2022, one point a year
    fw, korea = res.framework, figures["profile"].data[0]
    shown = list(fw.nodes[fw.index].children)  # the TAI is flat: its eight indicators
    assert len(shown) == 8 and list(korea.y) == [fw.nodes[c].name for c in shown]
    np.testing.assert_allclose(korea.x, [res.scores(c).loc["KOR"].iloc[-1] for c in shown])


@pytest.mark.slow
def test_the_notebook_writes_its_figures_as_png(monkeypatch):
    if shutil.which("chromium") is None and shutil.which("google-chrome") is None:
        pytest.skip("static export needs a Chromium (kaleido)")
    out = ROOT / "test-artifacts" / "notebook"
    shutil.rmtree(out, ignore_errors=True)
    monkeypatch.setenv("FINTECH_INDEX_FIGURES", str(out))
    _run()
    for kind in KINDS:
        assert (out / f"{kind}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
