"""The workbook opened with openpyxl: a first sheet that explains the others, every node in
the rankings, number formats, frozen headers, widths, imputed cells marked with their
method, the methodology as a table, Chinese headers and names, inert text."""

import numpy as np
import openpyxl
import pandas as pd
import pytest

import fintech_index as fi
from fintech_index.publish.excel import IMPUTED_FILL, neutralise, write_workbook


@pytest.fixture(scope="module")
def results():
    return fi.examples.load("fintech").build()


@pytest.fixture(scope="module")
def audit(results):
    """An uncertainty summary in the shape the audit writes (values made up: synthetic)."""
    units = list(results.units)
    n = len(units)
    return pd.DataFrame({"rank_p05": np.arange(1, n + 1), "rank_p95": np.arange(3, n + 3),
                         "median_rank": np.arange(2, n + 2), "p_top10": np.linspace(1, 0, n)},
                        index=pd.Index(units, name="unit"))


@pytest.fixture(scope="module")
def book(results, audit, tmp_path_factory):
    return openpyxl.load_workbook(write_workbook(
        results, tmp_path_factory.mktemp("wb") / "e.xlsx", audit=audit))


def test_first_sheet_explains_the_others(book, results):
    assert book.sheetnames == ["About", "Ranking 2025", "Ranking 2024", "Data and provenance",
                               "Nodes", "Methodology"]
    about = book["About"]
    listed = {about.cell(r, 1).value: about.cell(r, 2).value for r in range(5, 10)}
    assert set(listed) == set(book.sheetnames[1:])
    assert "imputed" in about["A2"].value
    assert about.cell(5, 1).hyperlink.location == "'Ranking 2025'!A1"
    assert results.methodology.hash in [c.value for row in about.iter_rows() for c in row]


def test_ranking_has_every_node_with_formats_and_frozen_headers(book, results, audit):
    ws = book["Ranking 2025"]
    fw = results.framework
    assert ws.freeze_panes == "D3"  # two header rows, rank code and city stay in view
    header = [c.value for c in ws[1]]
    assert header[:8] == ["rank", "code", "city", "score", "rank change", "rank 5%",
                          "rank 95%", "P(top 10)"]
    names = [v for v in header[8:] if v is not None]
    assert len(names) == len(fw.nodes) - 1  # every node but the index (columns 1-4)
    assert names[:2] == ["Industry", "Fintech firms"]
    assert [c.value for c in ws[2]][8:10] == ["rank", "score"]
    row = [c.value for c in ws[3]]
    assert row[:3] == [1, "NYC", "New York"]
    assert row[3] == pytest.approx(results.scores().at["NYC", 2025])
    assert row[5:8] == [audit.at["NYC", "rank_p05"], audit.at["NYC", "rank_p95"],
                        pytest.approx(audit.at["NYC", "p_top10"])]
    assert ws["D3"].number_format == "0.00" and ws["A3"].number_format == "0"
    assert ws["E3"].number_format == "+0;-0;0" and ws["H3"].number_format == "0%"
    assert ws.column_dimensions["C"].width >= len("San Francisco Bay Area")
    # Tokyo climbed one place against the 2024 back-cast (as the site shows)
    tyo = next(r for r in ws.iter_rows(min_row=3) if r[1].value == "TYO")
    assert tyo[4].value == 1
    # an indicator column: rank then score of the GFCI rank for each city
    j = header.index("Global Financial Centres Index rank (top 20)")
    nyc = ws.cell(3, j + 2).value
    assert nyc == pytest.approx(results.scores("gfci_rank").at["NYC", 2025])


def test_imputed_cells_are_marked_with_their_method(book, results):
    """GPCI covers 34 of the cities: the others' patents scores are imputed by bounded EM,
    in orange, with a note; in the data sheet with the method named."""
    ws = book["Ranking 2025"]
    header = [c.value for c in ws[1]]
    j = header.index("Number of patents") + 2  # the score column
    flags = results.panel.frame(2025).set_index(["unit", "indicator"])["value"]
    marked = 0
    for r in ws.iter_rows(min_row=3):
        cell = r[j - 1]
        imputed = np.isnan(flags[(r[1].value, "patents")])
        assert (cell.fill.fgColor.rgb == "FF" + IMPUTED_FILL[1:].upper()) == imputed
        assert (cell.comment is not None and "imputed (i_EM_bounded)" in cell.comment.text
                ) == imputed
        marked += imputed
    assert marked > 0
    data = pd.DataFrame(book["Data and provenance"].values)
    data.columns = list(data.iloc[0])
    data = data.iloc[1:]
    patents = data[(data["indicator"] == "patents") & (data["year"] == 2025)]
    assert (patents["value"].isna() == (patents["imputed"] == "imputed (i_EM_bounded)")).all()
    assert patents["value used"].notna().all()  # the value the build used is shown
    assert (data.loc[data["indicator"] == "rd_expenditure", "figure level"] == "country").all()
    country = data[(data["indicator"] == "ict_readiness") & data["imputed"].notna()]
    assert (country["imputed"] == "imputed (i_EM_bounded)").all() and len(country)
    assert book["Data and provenance"].freeze_panes == "A2"


def test_methodology_is_a_readable_table(book):
    rows = [[c.value for c in r] for r in book["Methodology"].iter_rows()]
    assert rows[0] == ["stage", "applies to", "method", "parameters"]
    assert ["impute", "default", "i_EM_bounded", None] in rows
    assert ["treat", "node fintech_unicorns", "log_CT", None] in rows
    assert not any("{" in str(v) for r in rows for v in r)  # no dict text


def test_chinese_workbook(results, tmp_path):
    wb = openpyxl.load_workbook(write_workbook(results, tmp_path / "zh.xlsx", lang="zh"))
    assert wb.sheetnames == ["说明", "2025年排名", "2024年排名", "数据与来源", "指标体系", "方法"]
    assert [c.value for c in wb["2025年排名"][1]][:5] == ["排名", "代码", "城市", "得分",
                                                       "排名变化"]
    data = pd.DataFrame(wb["数据与来源"].values)
    assert "插补（i_EM_bounded）" in set(data[11])


def test_text_is_inert(results, tmp_path):
    assert neutralise("=HYPERLINK(1)") == "'=HYPERLINK(1)" and neutralise("Paris") == "Paris"
    wb = openpyxl.load_workbook(write_workbook(results, tmp_path / "e.xlsx"))
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), cell.coordinate


def test_same_results_same_bytes(results, tmp_path):
    a = write_workbook(results, tmp_path / "a.xlsx", lang="zh").read_bytes()
    assert a == write_workbook(results, tmp_path / "b.xlsx", lang="zh").read_bytes()
