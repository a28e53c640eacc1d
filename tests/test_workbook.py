"""The workbook opened with openpyxl: a first sheet that explains the others, every node in
the rankings, number formats, frozen headers, widths, imputed cells marked with their
method, the methodology as a table, Chinese headers and names, inert text."""

import numpy as np
import openpyxl
import pandas as pd
import pytest

import fintech_index as fi
from fintech_index.publish.excel import IMPUTED_FILL, neutralise, write_workbook
from fintech_index.publish.provenance import method_note


@pytest.fixture(scope="module")
def results():
    return fi.examples.load("fintech").build()


@pytest.fixture(scope="module")
def audit(results):
    """An uncertainty summary in the shape the audit writes (values made up: synthetic)."""
    units = list(results.units)
    n = len(units)
    return pd.DataFrame({"rank_p05": np.arange(1, n + 1) + 0.15, "rank_p95": np.arange(3, n + 3)
                         - 0.15,
                         "median_rank": np.arange(2, n + 2), "p_top10": np.linspace(1, 0, n)},
                        index=pd.Index(units, name="unit"))


@pytest.fixture(scope="module")
def book(results, audit, tmp_path_factory):
    return openpyxl.load_workbook(write_workbook(
        results, tmp_path_factory.mktemp("wb") / "e.xlsx", audit=audit))


def test_first_sheet_explains_the_others(book, results):
    assert book.sheetnames == ["About", "Ranking 2025", "Ranking 2024 (back-cast)",
                               "Data and provenance", "Nodes", "Methodology"]
    about = book["About"]
    listed = {about.cell(r, 1).value: about.cell(r, 2).value for r in range(5, 10)}
    assert set(listed) == set(book.sheetnames[1:])
    # what each ranking sheet holds, as it holds it: 2025 has the change and the audit's
    # interval columns; 2024 (the first year) has no change column, and is a back-cast
    assert "change column" in listed["Ranking 2025"] and "interval" in listed["Ranking 2025"]
    assert listed["Ranking 2024 (back-cast)"] == (
        "Every city's rank and score on the index and on every dimension, pillar and indicator "
        "in 2024, best first. Observed weight: the share of the index weight resting on "
        "observed values (not imputed); a city under 50% is marked “under half observed” "
        "and stays ranked. A back-cast: 2024 recomputed on the 2025 framework and "
        "methodology, not the edition published in 2024.")
    heads = [c.value for c in book["Ranking 2024 (back-cast)"][1]]
    assert "rank change" not in heads and "rank change" in [
        c.value for c in book["Ranking 2025"][1]]
    assert "imputed" in about["A2"].value
    assert about.cell(5, 1).hyperlink.location == "'Ranking 2025'!A1"
    assert results.methodology.hash in [c.value for row in about.iter_rows() for c in row]


def test_ranking_has_every_node_with_formats_and_frozen_headers(book, results, audit):
    ws = book["Ranking 2025"]
    fw = results.framework
    assert ws.freeze_panes == "D3"  # two header rows, rank code and city stay in view
    header = [c.value for c in ws[1]]
    assert header[:8] == ["rank", "code", "city", "score", "rank change",
                          "rank interval from (5%)", "rank interval to (95%)", "P(top 10)"]
    assert header[8:10] == ["Observed weight", "under half observed"]  # test_differs.py
    names = [v for v in header[10:] if v is not None]
    assert len(names) == len(fw.nodes) - 1  # every node but the index (columns 1-4)
    first = fw.nodes[fw.index].children[0]
    assert names[:2] == [fw.nodes[first].name, fw.nodes[fw.nodes[first].children[0]].name]
    assert [c.value for c in ws[2]][10:12] == ["rank", "score"]
    row = [c.value for c in ws[3]]
    top = results.ranking(2025).index[0]
    assert row[:3] == [1, top, results.panel.units.at[top, "name"]]
    assert row[3] == pytest.approx(results.scores().at[top, 2025])
    # percentiles of ranks widened to whole ranks, as the site shows them: k + 0.15 down to
    # k, m - 0.15 up to m (a cell of 0 decimals would have been rounded by Excel instead)
    lo, hi = audit.at[top, "rank_p05"], audit.at[top, "rank_p95"]
    assert lo % 1 == pytest.approx(0.15) and hi % 1 == pytest.approx(0.85)
    assert row[5:8] == [int(lo), int(hi) + 1, pytest.approx(audit.at[top, "p_top10"])]
    assert ws["D3"].number_format == "0.00" and ws["A3"].number_format == "0"
    assert ws["E3"].number_format == '+0;-0;"="' and ws["H3"].number_format == "0%"
    assert ws.column_dimensions["C"].width >= len("San Francisco Bay Area")
    change = results.ranks()[2024] - results.ranks()[2025]
    for r in ws.iter_rows(min_row=3):
        if change[r[1].value] == change[r[1].value]:
            assert r[4].value == change[r[1].value], r[1].value
    # an indicator column: rank then score of each city
    code = fw.indicators[0]
    j = header.index(fw.nodes[code].name)
    assert ws.cell(3, j + 2).value == pytest.approx(results.scores(code).at[top, 2025])
    assert ws.cell(3, j + 1).value == results.ranks(code).at[top, 2025]


def _imputed(results, year=2025):
    from fintech_index.publish.provenance import value_table

    v = value_table(results, year)
    return v[v["imputed"]]


def test_imputed_cells_are_marked_with_their_method(book, results):
    """Every imputed value: its indicator's rank and score cells in orange with a note
    naming the method; in the data sheet with the method and the value the build used."""
    ws = book["Ranking 2025"]
    header = [c.value for c in ws[1]]
    fw = results.framework
    imputed = _imputed(results)
    assert len(imputed) > 0
    marks = {(r.unit, r.indicator): method_note(r.imputation_method, r.imputation_auxiliary)
             for r in imputed.itertuples()}
    assert marks["SZX", "gdp_nominal"] == "i_aux_ratio (gdp_nbs_cny = 32387.68)"
    orange = "FF" + IMPUTED_FILL[1:].upper()
    for code in fw.indicators:
        j = header.index(fw.nodes[code].name) + 2  # its score column (1-based)
        for r in ws.iter_rows(min_row=3):
            cell, method = r[j - 1], marks.get((r[1].value, code))
            assert (cell.fill.fgColor.rgb == orange) == (method is not None)
            if method is not None:
                assert cell.comment.text == f"imputed ({method})"
            else:
                assert cell.comment is None
    data = pd.DataFrame(book["Data and provenance"].values)
    data.columns = list(data.iloc[0])
    data = data.iloc[1:]
    d25 = data[data["year"] == 2025].set_index(["code", "indicator"])
    for (unit, code), method in marks.items():
        assert d25.at[(unit, code), "imputed"] == f"imputed ({method})"
        assert d25.at[(unit, code), "value"] is None  # missing stays missing ...
        assert d25.at[(unit, code), "value used"] is not None  # ... and what was used shows
    assert d25["imputed"].notna().sum() == len(marks)
    country = [c for c in fw.indicators if fw.nodes[c].figure_level == "country"]
    assert (data.loc[data["indicator"].isin(country), "figure level"] == "country").all()
    assert book["Data and provenance"].freeze_panes == "A2"


def test_methodology_is_a_readable_table(book, results):
    rows = [[c.value for c in r] for r in book["Methodology"].iter_rows()]
    assert rows[0] == ["stage", "applies to", "method", "parameters", "reason"]
    impute = results.methodology.impute
    assert ["impute", "default", impute.method,
            ", ".join(f"{k} = {v}" for k, v in sorted(impute.params.items())) or None] in [
                r[:4] for r in rows]
    for node, choice in results.methodology.treat.by_node.items():
        scope = f"{results.framework.nodes[node].name} ({node})"
        row = rows[[r[:2] for r in rows].index(["treat (outliers)", scope])]  # impute has nodes too
        assert ["treat (outliers)", scope, choice.method] == row[:3]
        assert row[4] == " ".join(choice.reason.split())  # why, as the methodology says
    assert not any("{" in str(v) for r in rows for v in r)  # no dict text


def test_chinese_workbook(results, tmp_path):
    wb = openpyxl.load_workbook(write_workbook(results, tmp_path / "zh.xlsx", lang="zh"))
    assert wb.sheetnames == ["说明", "2025年排名", "2024年排名（回溯测算）", "数据与来源",
                             "指标体系", "方法"]
    assert [c.value for c in wb["2025年排名"][1]][:5] == ["排名", "代码", "城市", "得分",
                                                       "排名变化"]
    data = pd.DataFrame(wb["数据与来源"].values)
    methods = {method_note(m, a) for m, a in zip(_imputed(results)["imputation_method"],
                                                 _imputed(results)["imputation_auxiliary"],
                                                 strict=True)}
    assert {f"插补（{m}）" for m in methods} <= set(data[11])
    sha = [c.value for r in wb["2025年排名"].iter_rows(min_row=3) for c in r[1:3]]
    assert sha[sha.index("SHA") + 1] == "上海"  # names from the reviewed name_zh column
    # the methodology in Chinese: stage, scope and reason from the reviewed tables
    rows = [[c.value for c in r] for r in wb["方法"].iter_rows()]
    assert rows[0] == ["步骤", "适用范围", "方法", "参数", "理由"]
    assert ["异常值处理", "金融科技独角兽企业数量（fintech_unicorns）", "log_CT", None,
            "厚尾分布的计数：对数变换保留领先者的次序，缩尾处理则会使其并列（旧金山湾区47家金融科技"
            "独角兽，班加罗尔9家）"] in rows
    assert ["排名", "全部节点", "并列处理：min", None, None] in rows


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
