"""Publishing: the publish command, CSV and workbook text made inert (the site:
test_site.py; papers and workbook: their own test files)."""

import re

import openpyxl
import pytest

import fintech_index as fi
from fintech_index.publish.excel import write_workbook

from .helpers import declared_units


@pytest.fixture(scope="module")
def results():
    return fi.examples.load("fintech").build()


def test_cli_publish_writes_site_pdfs_and_workbook(tmp_path):
    from typer.testing import CliRunner

    from fintech_index.cli import app

    r = CliRunner().invoke(app, ["publish", "gfcdi-2025", "--site", str(tmp_path / "site"),
                                 "--pdf", str(tmp_path / "pdf"), "--xlsx",
                                 str(tmp_path / "e.xlsx"), "--store", str(tmp_path / "s.duckdb")])
    assert r.exit_code == 0, r.output
    assert len(list((tmp_path / "pdf").glob("*.pdf"))) == 10
    assert (tmp_path / "site" / "index.html").exists() and (tmp_path / "e.xlsx").exists()
    assert "stored in" in r.output


def test_formula_like_names_and_sources_come_out_inert_in_csv_and_excel(tmp_path):
    """A unit named '=HYPERLINK(...)' and a source starting with '@': every CSV and the
    workbook hold them as inert text (leading apostrophe)."""
    fw = fi.framework_from_dict({"units": declared_units("X", "Y"), "index": {
        "code": "i", "children": [{"code": "a"}, {"code": "b"}]}})
    data = tmp_path / "d.csv"
    data.write_text('unit,year,name,indicator,value,source\n'
                    'X,2024,"=HYPERLINK(""http://evil"")",a,1,@SUM(1)\n'
                    'X,2024,"=HYPERLINK(""http://evil"")",b,2,+cmd\n'
                    'Y,2024,-minus,a,3,ok\nY,2024,-minus,b,1,ok\n')
    res = fi.build(fw, fi.load_panel(data, fw))
    out = tmp_path / "out"
    res.write(out)
    ranking = (out / "ranking_2024.csv").read_text()
    assert "'=HYPERLINK" in ranking and "'-minus" in ranking
    assert not re.search(r"(^|,)[=+@-][A-Za-z]", ranking, re.M)
    p = write_workbook(res, tmp_path / "e.xlsx")
    wb = openpyxl.load_workbook(p)
    texts = [c.value for ws in wb for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)]
    assert "'=HYPERLINK(\"http://evil\")" in texts and "'@SUM(1)" in texts
    assert not [t for t in texts if t.startswith(("=", "+", "-", "@"))]


@pytest.mark.slow
def test_main_command_outputs_are_byte_identical_across_processes(tmp_path):
    """Two processes with different PYTHONHASHSEED: every file the main command writes
    (rankings, analyses, parquet, site, ten PDFs, workbook) has the same bytes."""
    import os
    import subprocess
    import sys

    outs = []
    for seed in ("1", "12345"):
        out = tmp_path / f"run{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-m", "fintech_index", "build", "--out", str(out)],
                       env=env, check=True, capture_output=True)
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert len(files) > 60
    for f in files:
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes(), f
