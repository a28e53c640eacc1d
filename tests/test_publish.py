"""Publishing: the static site (offline, numbers equal to the results) and the workbook."""

import html
import re

import openpyxl
import pandas as pd
import pytest

import fintech_index as fi
from fintech_index.examples import datasets_dir
from fintech_index.publish.excel import write_workbook
from fintech_index.publish.site import write_site


@pytest.fixture(scope="module")
def results():
    return fi.examples.load("fintech").build()


@pytest.fixture(scope="module")
def site(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    coords = pd.read_csv(datasets_dir() / "fintech" / "city_coordinates.csv")
    write_site(results, out, coordinates=coords)
    return out


def test_site_loads_nothing_from_the_network(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) == 3 + 41
    for page in pages:
        text = page.read_text()
        loads = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text)
        assert all(not re.match(r"(?i)(https?:)?//", u) for u in loads), page
        assert "@import" not in text and "url(" not in text
    assert (site / "assets" / "plotly.min.js").stat().st_size > 1_000_000


def test_every_number_on_a_city_page_equals_the_results(results, site):
    page = (site / "city" / "SHA.html").read_text()
    ranks, scores = results.ranks(), results.scores()
    assert f"Rank <b>{int(ranks.at['SHA', 2025])}</b> of 41" in page
    assert f"score <b>{scores.at['SHA', 2025]:.2f}</b>" in page
    rows = re.findall(r"<tr><td>(\d*)</td><td>([^<]*)</td><td>.*?</td><td>([\d.]*)</td></tr>",
                      page)
    names = {n.name: c for c, n in results.framework.nodes.items()}
    assert len(rows) == len(results.nodes)
    for rank, name, score in rows:
        node = names[html.unescape(name).replace(" (country figure)", "")]
        assert rank == str(int(results.ranks(node).at["SHA", 2025]))
        assert score == f"{results.scores(node).at['SHA', 2025]:.2f}"


def test_index_page_ranking_and_arrows(results, site):
    page = (site / "index.html").read_text()
    order = re.findall(r'<a href="city/([A-Z]{3})\.html">', page)
    assert order == list(results.ranking(2025).index)
    assert "No audit given" in page  # degrades clearly without an audit
    assert '<span class="up">&#9650;2</span>' in page  # Hong Kong climbed two places


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
