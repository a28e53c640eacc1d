"""White papers (Typst): the text holds the city's rank, rank interval from a real audit, raw
values with units and years, strengths with their reason and the district lines; the pages
have ink in the chart colours where the charts are; the Chinese paper embeds CJK fonts and
has no missing glyphs."""

import shutil
import subprocess

import numpy as np
import pandas as pd
import pypdf
import pytest
from PIL import Image

import fintech_index as fi
from fintech_index.audit.engine import Engine, load_spec
from fintech_index.audit.uncertainty import uncertainty
from fintech_index.examples import datasets_dir
from fintech_index.gfcdi.paper import paper_sections
from fintech_index.publish import paper_file_name, paper_units, publish_all
from fintech_index.publish.pdf import COLORS, SERIES, white_paper_data, write_white_paper

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None or
                                   shutil.which("pdffonts") is None,
                                   reason="poppler-utils not installed; .ci/run installs it")


@pytest.fixture(scope="module")
def results():
    return fi.examples.load("fintech").build()


@pytest.fixture(scope="module")
def sections(results):
    """The fintech index's own sections (title, cover figures, records, districts)."""
    return paper_sections(results)


@pytest.fixture(scope="module")
def audit(results):
    """A real (small) uncertainty analysis of the bundled spec: 128 replications."""
    spec = load_spec(datasets_dir() / "fintech" / "fintech.uncertainty.yaml")
    engine = Engine(results.framework, results.panel, results.methodology, spec)
    return uncertainty(engine, n=128).summary()


@pytest.fixture(scope="module")
def sfo(results, audit, sections, tmp_path_factory):
    return write_white_paper(results, "SFO", tmp_path_factory.mktemp("wp") / "sfo.pdf",
                             audit=audit, sections=sections)


@pytest.fixture(scope="module")
def sha_zh(results, audit, sections, tmp_path_factory):
    return write_white_paper(results, "SHA", tmp_path_factory.mktemp("wp") / "sha_zh.pdf",
                             audit=audit, lang="zh", sections=sections)


def _text(path) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(path).pages)


def test_text_holds_rank_interval_raw_values_and_districts(results, audit, sfo):
    from fintech_index.analysis.edition import Edition
    from fintech_index.analysis.profiles import profile
    from fintech_index.format import ordinal
    from fintech_index.publish.i18n import raw_value

    text = _text(sfo)
    rank, score = int(results.ranks().at["SFO", 2025]), results.scores().at["SFO", 2025]
    n = int(results.ranks()[2025].notna().sum())
    assert "San Francisco Bay Area fintech development white paper 2025" in text
    assert (f"San Francisco Bay Area ranks {ordinal(rank)} of {n} with a score of "
            f"{score:.2f} in 2025") in text
    lo, hi = round(audit.at["SFO", "rank_p05"]), round(audit.at["SFO", "rank_p95"])
    assert f"its rank lies between {lo} and {hi} in 90% of cases" in text
    assert (f"{lo}\u2013{hi}" if lo != hi else f"{lo}") in text  # the cover's key figure
    # raw values with units and source years, as in the data (CB Insights list 2025-10-07)
    data = results.panel.frame(2025).set_index(["unit", "indicator"])
    assert data.at[("SFO", "fintech_unicorns"), "value"] == 47 and "47 firms" in text
    fw = results.framework
    for code in fw.indicators:
        v = data.at[("SFO", code), "value"]
        if v == v:  # observed: its raw value with its unit (a rank with its list's size,
            # "first of 50") is in the ranking table
            assert raw_value(fw, code, v) in text, code
    # the largest weakness with its reason (rank gap and raw value)
    pr = profile(Edition.of(results), "SFO")
    w = pr.weaknesses.iloc[0]
    line = (f"{fw.nodes[w.node].name}: rank {int(w['rank'])}, {int(-w.rank_gap)} places below "
            "its overall rank")
    if fw.nodes[w.node].is_indicator:
        v = data.at[("SFO", w.node), "value"]
        line += (f" (raw value {raw_value(fw, w.node, v)}, "
                 f"{int(data.at[('SFO', w.node), 'source_year'])})")
    assert line in text
    # records-based counts and districts (CB Insights list of 2025-10-07)
    assert "list of 7 October 2025" in text
    assert ("327 unicorns are headquartered in 26 places of the metro. San Francisco holds "
            "60% of them and 39 of its 47 fintech unicorns") in text  # San Fransisco merged
    for line in ("Palo Alto 30 9% 3 0.70 Insurance (2; LQ 3.11)",
                 "San Mateo 10 3% 2 1.39 Financial Services (2; LQ 1.64)"):
        assert line in text
    assert "'West Palm Beach' (a shifted cell in the source)" in text
    assert "Methodology annex" in text and results.methodology.hash[:16] in text


def test_shanghai_gets_cited_district_notes_not_numbers(results, sections):
    data = white_paper_data(results, "SHA", sections=sections)
    notes = data["districts"]["notes"]
    assert any(n["area"] == "Lujiazui Financial City" and "Xinhua-AsiaNet" in n["cite"]
               for n in notes)
    assert "not comparable" in data["districts"]["caveat"]
    # one place holds all but one firm: said plainly, no "Shanghai holds 97%" and no table
    assert data["districts"]["lines"][0] == (
        "34 of the metro's 35 unicorns are headquartered in Shanghai and 1 in Pudong: no "
        "other place has 3 or more, so no split inside the metro is possible from these "
        "records.")
    assert data["districts"]["rows"] == []
    zh = white_paper_data(results, "SHA", lang="zh", sections=sections)["districts"]
    assert zh["lines"][0] == ("该都市区35家独角兽中，34家总部位于上海，1家位于浦东；其他地点均"
                              "不足3家，无法据此分析内部区域分布。")
    # records-based counts: listed brokerages above 1 billion yuan of IT investment, counted
    # by DuckDB from the bundled records (Shanghai: Guotai Junan 2019 at the stated floor of
    # 1 billion yuan, ...)
    recs = pd.read_csv(datasets_dir() / "fintech" / "brokerage_it_investment_records.csv")
    sha = recs[(recs["unit"] == "SHA") & (recs["amount"] >= 1e9)].groupby("year").size()
    expected = " and ".join(", ".join(f"{n} for {y}" for y, n in sha.items()).rsplit(", ", 1))
    assert data["records"]["lines"] == [
        "Listed brokerages headquartered in Shanghai that disclosed more than 1 billion yuan "
        f"of IT investment: {expected} (counted from the press reports of the firms' own "
        "disclosures bundled with the index; the threshold is 1 billion CNY ($137 million) at "
        "0.137 USD per CNY on 2024-12-17)."]
    assert white_paper_data(results, "SFO", sections=sections)["records"]["lines"] == []


def test_without_audit_the_paper_says_so(results, sections):
    data = white_paper_data(results, "NYC", sections=sections)
    assert data["interval"] is None
    assert "No uncertainty audit was given" in " ".join(data["summary"])


@needs_poppler
def test_chart_pages_have_ink_in_the_chart_colours(sfo, tmp_path):
    """Page 1: the dimension bars (city, top-ten mean, peers: three colours) in the lower
    part of the page; the page headed "Rank history": its lines in the series colours."""
    subprocess.run(["pdftoppm", "-png", "-r", "50", str(sfo), str(tmp_path / "p")], check=True)
    pages = sorted(tmp_path.glob("p-*.png"))
    assert len(pages) == len(pypdf.PdfReader(sfo).pages) >= 5

    def share_of(img: np.ndarray, hex_colour: str) -> float:
        rgb = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
        return float((np.abs(img.astype(int) - rgb).sum(axis=2) < 40).mean())

    first = np.asarray(Image.open(pages[0]).convert("RGB"))
    chart = first[first.shape[0] * 2 // 5:]  # the chart fills the lower part of page 1
    for colour in COLORS.values():
        assert share_of(chart, colour) > 0.002, colour
    at = [i for i, p in enumerate(pypdf.PdfReader(sfo).pages) if "Rank history" in p.extract_text()]
    history = np.asarray(Image.open(pages[at[0]]).convert("RGB"))
    for colour in SERIES[:4]:
        assert share_of(history, colour) > 0.0002, colour
    for page in pages[:-1]:  # full pages; the last may hold the end of the annex table
        assert (np.asarray(Image.open(page).convert("L")) < 128).mean() > 0.005, page
    assert (np.asarray(Image.open(pages[-1]).convert("L")) < 128).mean() > 0.001


@needs_poppler
def test_chinese_paper_embeds_cjk_fonts_without_missing_glyphs(sha_zh, audit):
    fonts = subprocess.run(["pdffonts", str(sha_zh)], capture_output=True, text=True,
                           check=True).stdout
    cjk = [line for line in fonts.splitlines() if "CJK" in line]
    assert cjk and all(" yes yes yes " in line for line in cjk)  # embedded, subset, unicode
    text = _text(sha_zh)
    assert "金融科技发展白皮书 2025" in text
    assert "核心数据" in text and "区位商" in text and "方法附录" in text
    lo, hi = round(audit.at["SHA", "rank_p05"]), round(audit.at["SHA", "rank_p95"])
    compact = "".join(text.split())  # Typst spaces CJK from Latin; pypdf reads it as a space
    assert f"其排名90%落在第{lo}至第{hi}位之间" in compact
    assert "\ufffd" not in text  # no replacement characters
    # every CJK character typeset is in an embedded CJK font's ToUnicode map: none missing
    reader = pypdf.PdfReader(sha_zh)
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get(
                "/FontFile3") is not None or "/FontFile2" in font["/DescendantFonts"][
                0].get_object()["/FontDescriptor"]


def test_papers_go_to_the_top_ten_plus_extra_cities(results, tmp_path):
    top = list(results.ranking(2025).index[:10])
    assert paper_units(results) == top
    assert paper_units(results, ["SHA", "NYC"]) == top + ["SHA"]
    with pytest.raises(fi.FintechIndexError, match=r"'XXX' is not one of the cities"):
        paper_units(results, ["XXX"])
    assert paper_file_name(results, "SFO", "zh") == \
        "San_Francisco_Bay_Area_white_paper_2025_zh.pdf"  # readable; codes added on a clash


@pytest.mark.slow
def test_publish_all_writes_eleven_papers_and_the_same_bytes_twice(results, sections, tmp_path):
    a = publish_all(results, pdf=tmp_path / "a", cities=["SHA"], lang="zh", sections=sections)
    b = publish_all(results, pdf=tmp_path / "b", cities=["SHA"], lang="zh", sections=sections)
    assert len(a) == 11 and a[-1].name == "Shanghai_white_paper_2025_zh.pdf"
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.name


@pytest.mark.slow
def test_cli_publishes_chinese_papers_and_workbook_for_extra_cities(tmp_path):
    from typer.testing import CliRunner

    from fintech_index.cli import app

    r = CliRunner().invoke(app, ["publish", "gfcdi-2025", "--pdf", str(tmp_path / "pdf"),
                                 "--xlsx", str(tmp_path / "zh.xlsx"), "--cities", "SHA",
                                 "--lang", "zh"])
    assert r.exit_code == 0, r.output
    papers = sorted(p.name for p in (tmp_path / "pdf").glob("*.pdf"))
    assert len(papers) == 11 and "Shanghai_white_paper_2025_zh.pdf" in papers
    assert "上海金融科技发展白皮书" in "".join(_text(tmp_path / "pdf" /
                                               "Shanghai_white_paper_2025_zh.pdf").split())
    import openpyxl

    assert openpyxl.load_workbook(tmp_path / "zh.xlsx").sheetnames[0] == "说明"
    bad = CliRunner().invoke(app, ["publish", "x", "--pdf", str(tmp_path / "p2"),
                                   "--cities", "SHA,ATL"])
    assert bad.exit_code == 2 and "--cities: 'ATL' is not one of the cities" in bad.output


def test_names_with_typst_markup_are_printed_as_text(results, tmp_path):
    """A city named with Typst markup and code: the paper prints the name literally (the
    template receives text as JSON strings, never as markup)."""
    from dataclasses import replace

    evil = '#set page(width: 1cm) *bold* $x^2$ _u_ #"q" \\ <l> @ref // c'
    units = results.panel.units.copy()
    units.loc["SFO", "name"] = evil
    if "name_zh" in units:
        units.loc["SFO", "name_zh"] = evil
    res = replace(results, panel=replace(results.panel, units=units))
    text = _text(write_white_paper(res, "SFO", tmp_path / "evil.pdf",
                                   sections=paper_sections(res)))
    assert evil + " fintech development white paper 2025" in text
    assert pypdf.PdfReader(tmp_path / "evil.pdf").pages[0].mediabox.width > 500  # A4 kept


def test_another_index_gets_a_paper_without_the_fintech_sections(tmp_path):
    res = fi.examples.load("asem").build()
    assert paper_sections(res) is None  # the fintech index's sections are its own
    data = white_paper_data(res, "CHE")
    assert data["records"] is None and data["districts"] is None
    name = res.framework.nodes[res.framework.index].name
    assert data["title"] == f"Switzerland: {name} white paper {res.years[-1]}"
    text = _text(write_white_paper(res, "CHE", tmp_path / "che.pdf"))
    assert "Methodology annex" in text and "unicorn" not in text


def test_the_change_box_names_the_previous_year_as_a_back_cast(results, sections):
    """2024 is recomputed on the 2025 framework (the framework's meta: edition), and the
    cover's change box says so, as the sentences do; Shanghai is 14th in 2025 and 14th in
    the back-cast."""
    data = white_paper_data(results, "SHA", sections=sections)
    cover = {f["label"]: f for f in data["cover"]["figures"]}
    assert cover["Change since 2024"]["note"] == "2024 (recomputed on the 2025 framework): 14"
    zh = white_paper_data(results, "SHA", lang="zh",
                          sections=sections)["cover"]["figures"][2]["note"]
    assert zh == "2024年（按2025年框架重新计算）：第14位"


def test_the_papers_charts_are_plots_figures_with_the_results_data(results, sections):
    """The dimensions chart is plot.profile's bars (the city, the top-ten mean, its peers'
    mean on every aggregate, top down) and the rank history plot.rank_history's lines (the
    city on the index and each dimension), in the Okabe-Ito colours: the values equal the
    results."""
    from fintech_index import plot
    from fintech_index.analysis.edition import Edition
    from fintech_index.analysis.profiles import profile

    data = white_paper_data(results, "SFO", sections=sections)
    fw, year = results.framework, results.years[-1]
    ed = Edition.of(results, year)
    aggs = [c for c, d in fw.top_down() if d > 0 and not fw.nodes[c].is_indicator]
    top, peers = list(ed.ranked().index[:10]), list(profile(ed, "SFO").peers)
    want = np.stack([ed.scores.loc["SFO", aggs], ed.scores.loc[top, aggs].mean(),
                     ed.scores.loc[peers, aggs].mean()], axis=1)
    got = np.array([r["values"] for r in data["chart"]["rows"]])
    np.testing.assert_allclose(got, want, atol=5e-5)  # rounded to 4 decimals for Typst
    assert [r["label"] for r in data["chart"]["rows"]] == [fw.nodes[c].name for c in aggs]
    assert data["chart"]["colors"] == list(plot.SERIES[:3])
    hist = data["history"]["series"]
    assert [s["label"] for s in hist] == [fw.nodes[c].name for c in
                                          [fw.index, *fw.nodes[fw.index].children]]
    for s, code in zip(hist, [fw.index, *fw.nodes[fw.index].children], strict=True):
        assert s["ranks"] == [int(r) for r in results.ranks(code).loc["SFO"]]
    assert [s["color"] for s in hist] == list(plot.SERIES[:len(hist)])


def test_summary_takes_a_point_of_view_against_the_peers(results, sections):
    """The summary ranks the city in words and names where it leads and trails its peers
    most (score minus the peers' mean, every dimension and pillar): New York against London
    and the Bay Area leads on Innovation outcomes and trails on Higher education, never
    'none' for the leader; both gaps checked against the scores."""
    from fintech_index.analysis.edition import Edition

    data = white_paper_data(results, "NYC", sections=sections)
    assert data["summary"][0].startswith("New York ranks first of 39 with a score of 82.70")
    assert data["summary"][2] == (
        "Against its peers (London and San Francisco Bay Area), New York leads most on "
        "Innovation outcomes (84.6 against their mean of 13.5) and trails most on Higher "
        "education (68.4 against 84.4).")
    ed = Edition.of(results)
    fw = results.framework
    nodes = [c for c in fw.nodes if c != fw.index and not fw.nodes[c].is_indicator]
    gap = ed.scores.loc["NYC", nodes] - ed.scores.loc[["LON", "SFO"], nodes].mean()
    assert [ed.node_names[gap.idxmax()], ed.node_names[gap.idxmin()]] == [
        "Innovation outcomes", "Higher education"]
    zh = white_paper_data(results, "SHA", lang="zh", sections=sections)["summary"]
    assert zh[0] == "2025年，上海在39个城市中排名第14位，得分44.64（较2024年持平）。"
    assert zh[2] == ("与相邻城市（华盛顿、阿姆斯特丹、深圳和苏黎世）相比，上海在金融中心地位上"
                     "领先最多（65.0分，相邻城市平均31.2分），在风险与经济自由上落后最多（28.6分，"
                     "相邻城市平均66.2分）。")
    peers = ed.scores.loc[["WAS", "AMS", "SZX", "ZRH"]].mean()  # ranks 12, 13, 15, 16
    assert (round(peers["financial_centre"], 1), round(peers["governance"], 1)) == (31.2, 66.2)


def test_one_place_metros_count_one_firm_towns_instead_of_naming_them(results, sections):
    """New York's records: 121 of 130 unicorns in New York, 2 in Hoboken and seven towns
    with one each, counted rather than named (a list of towns tells a reader nothing, and
    most have no Chinese name); Geneva's single unicorn is said in the singular."""
    def line(unit, lang):
        return white_paper_data(results, unit, lang=lang, sections=sections)["districts"][
            "lines"][0]
    assert line("NYC", "en") == (
        "121 of the metro's 130 unicorns are headquartered in New York and 2 in Hoboken and 7 "
        "in 7 other places, one each: no other place has 3 or more, so no split inside the "
        "metro is possible from these records.")
    assert line("NYC", "zh").startswith("该都市区130家独角兽中，121家总部位于纽约，2家位于霍博肯")
    assert line("GVA", "en").startswith("The metro's one unicorn is headquartered in Geneva")
