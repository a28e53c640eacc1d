"""Publishing: the workbook, the white papers and the publish command (the site: test_site.py)."""

import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

import fintech_index as fi
from fintech_index.publish.excel import neutralise, write_workbook


@pytest.fixture(scope="module")
def results():
    return fi.examples.load("fintech").build()


def test_workbook_sheets_provenance_and_neutralised_text(results, tmp_path):
    assert neutralise("=HYPERLINK(1)") == "'=HYPERLINK(1)" and neutralise("Paris") == "Paris"
    p = write_workbook(results, tmp_path / "e.xlsx")
    wb = openpyxl.load_workbook(p)
    assert wb.sheetnames == ["Ranking 2025", "Ranking 2024", "Data and provenance", "Nodes",
                             "Methodology"]
    ws = wb["Ranking 2025"]
    assert [c.value for c in ws[2]][:3] == [1, "NYC", "New York"]
    data = pd.DataFrame(wb["Data and provenance"].values)
    header = list(data.iloc[0])
    data = data.iloc[1:]
    data.columns = header
    gfci = data[(data["indicator"] == "gfci_rating") & (data["year"] == 2025)]
    assert (gfci["value"].isna() == (gfci["imputed"] == "yes")).all()
    assert (data.loc[data["indicator"] == "rd_gdp", "figure_level"] == "country").all()
    for row in wb["Data and provenance"].iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@"))
    assert np.isclose(ws.cell(2, 4).value, results.scores().at["NYC", 2025])


def test_white_paper_text_holds_the_results_and_pages_are_not_blank(results, tmp_path):
    import shutil
    import subprocess

    import pypdf

    from fintech_index.publish.pdf import write_white_paper

    p = write_white_paper(results, "SHA", tmp_path / "sha.pdf")
    reader = pypdf.PdfReader(p)
    text = " ".join(page.extract_text() for page in reader.pages)
    rank, score = int(results.ranks().at["SHA", 2025]), results.scores().at["SHA", 2025]
    assert "Shanghai fintech development white paper 2025" in text
    assert f"Shanghai ranks {rank} of 43 with a score of {score:.2f}" in text
    for dim in ("level", "potential", "environment"):
        name = results.framework.nodes[dim].name
        assert f"{name} {int(results.ranks(dim).at['SHA', 2025])} " \
               f"{results.scores(dim).at['SHA', 2025]:.2f}" in text
    assert "No district records for this city in the store." in text
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler-utils (pdftoppm) not installed; .ci/run installs it")
    subprocess.run(["pdftoppm", "-png", "-r", "30", str(p), str(tmp_path / "page")],
                   check=True)
    from PIL import Image

    pngs = sorted(tmp_path.glob("page*.png"))
    assert len(pngs) == len(reader.pages) >= 2
    for png in pngs:
        pixels = np.asarray(Image.open(png).convert("L"))
        assert (pixels < 128).mean() > 0.005, png  # some ink on every page


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
    fw = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "a"}, {"code": "b"}]}})
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
