"""Coverage shown in every ranking a reader meets (site, papers, workbook), and the section
"How this edition differs from the official ranking": its figures equal compare_published's,
its drivers equal explain's (imputed values named), in English and Chinese; absent when the
index supplies no published ranking."""

import re

import openpyxl
import pandas as pd
import pypdf
import pytest

import fintech_index as fi
from fintech_index.analysis.differs import PublishedRanking, published_differences
from fintech_index.analysis.explain import compare_published, explain
from fintech_index.gfcdi.editions import official_ranking
from fintech_index.publish import differs as said
from fintech_index.publish import publish_all
from fintech_index.publish.i18n import strings
from fintech_index.publish.pdf import white_paper_data, write_white_paper
from fintech_index.publish.view import EditionView

from .helpers import panel, two_level_framework

NEW_KEYS = [k for k in strings("en") if k.startswith(("coverage_", "differs_")) or k in (
    "col_observed", "col_official", "col_ours", "col_compared", "col_difference",
    "col_drivers", "wb_differs")]
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
LATIN = re.compile(r"[A-Za-z]")
MARKED_2025 = {"MIA", "SZX", "MUC", "BLR", "DEL"}  # tests/test_coverage.py: under half


@pytest.fixture(scope="module")
def results():
    return fi.examples.load("fintech").build()


@pytest.fixture(scope="module")
def differences(results):
    return published_differences(results, official_ranking())


@pytest.fixture(scope="module")
def out(results, tmp_path_factory):
    """The site (en at the root, zh), Shenzhen's and Miami's papers in both languages and
    both workbooks, with the official ranking."""
    folder = tmp_path_factory.mktemp("differs")
    for lang in ("en", "zh"):
        publish_all(results, xlsx=folder / f"book_{lang}.xlsx", lang=lang,
                    published=official_ranking(),
                    site=folder / "site" if lang == "en" else None)
        view = EditionView(results)
        d = published_differences(results, official_ranking())
        for unit in ("SZX", "MIA"):
            write_white_paper(results, unit, folder / f"{unit}_{lang}.pdf", lang=lang,
                              view=view, differences=d)
    return folder


def _pdf_text(path) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(path).pages)


def test_the_new_strings_have_no_cjk_in_english_and_no_latin_in_chinese():
    assert len(NEW_KEYS) >= 20
    en, zh = strings("en"), strings("zh")
    for k in NEW_KEYS:
        assert not CJK.search(en[k]), k
        assert not LATIN.search(re.sub(r"\{\w+\}", "", zh[k])), k


def test_figures_equal_compare_published_and_drivers_equal_explain(results, differences):
    """The official 2024 top ten against our 2024 edition (the same year): Spearman 0.0667
    (issue 24: 0.07), Kendall -0.0222, 7 shared; Shenzhen, fifth officially and 19th here, is
    compared with Chicago (our fifth of the ten), its skilled-talent value imputed."""
    c = compare_published(results, official_ranking().ranks, 2024)
    assert differences.year == 2024 and differences.recomputed_on == 2025  # the back-cast
    assert "our ranking of 2024 (recomputed on the 2025 framework) has a Spearman" in \
        said.agreement(differences, "en")
    assert differences.comparison.spearman == c.spearman == pytest.approx(0.0666667, abs=1e-6)
    assert differences.comparison.kendall == c.kendall == pytest.approx(-0.0222222, abs=1e-6)
    assert differences.comparison.top_k_shared == c.top_k_shared == 7
    assert [d.unit for d in differences.distances] == ["NYC", "LON", "SHA", "BJS", "SZX",
                                                       "TYO", "CHI", "HKG", "SIN", "SFO"]
    szx = differences.of("SZX")
    assert (szx.published, szx.ours, szx.at_published) == (5, 19, "CHI")
    top = explain(results, "SZX", "CHI", 2024).top(3)["contribution"]
    assert [x.indicator for x in szx.drivers] == list(top.index) == [
        "student_city_rank", "economic_freedom", "skilled_talent"]
    assert [x.contribution for x in szx.drivers] == pytest.approx(top.to_list())
    assert [(x.imputed, x.imputed_other) for x in szx.drivers] == [
        (False, False), (False, False), (True, False)]
    assert szx.difference == pytest.approx(c.table.at["SZX", "difference"])
    assert differences.of("NYC").drivers == () and differences.of("LAX") is None


def test_a_small_index_hand_worked(tmp_path):
    """Four units, arithmetic throughout: the published ranking reverses u0 and u3; the
    comparison year is the one nearest the published edition (2020 for 2019)."""
    fw = two_level_framework()
    values = [[1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 4.0, 3.0], [3.0, 3.0, 1.0, 2.0],
              [4.0, 4.0, 4.0, 4.0]]
    r = fi.build(fw, panel(fw, values))
    ours = r.ranks()[2020]
    pub = PublishedRanking("P", 2019, pd.Series({u: 5 - ours[u] for u in r.units}))
    d = published_differences(r, pub, k=2)
    assert d.year == 2020 and d.recomputed_on is None  # no edition in the framework's meta
    assert said.headers(d, "en")[3] == "Our rank, 2020"
    assert d.comparison.spearman == pytest.approx(-1.0)
    assert d.comparison.kendall == pytest.approx(-1.0)
    first = d.distances[0]  # published first: our last, compared with our first
    assert first.published == 1 and first.at_published == ours.idxmin()
    assert sum(x.contribution for x in explain(r, first.unit, first.at_published)
               .contributions.itertuples()) == pytest.approx(first.difference, abs=1e-9)


def test_site_shows_coverage_everywhere_and_the_differs_page(results, out):
    site = out / "site"
    observed = results.observed_weight(2025)
    index = (site / "index.html").read_text()
    for unit in ("MIA", "NYC"):
        row = re.search(rf'city/{unit}\.html">.*?</tr>', index, re.S)[0]
        cell = re.search(r'<td class="observed">(.*?)</td>', row)[1]
        share = f"{observed[unit] * 100:.0f}%"
        assert cell == (f'{share} <span class="tag coverage">under half observed</span>'
                        if unit == "MIA" else share)
    assert index.count('class="tag coverage"') == len(MARKED_2025)
    assert "a city under 50% is marked" in index
    rankings = (site / "rankings.html").read_text()
    n_tables = rankings.count("<table>")
    assert rankings.count('class="tag coverage"') == len(MARKED_2025) * n_tables
    city = (site / "city" / "MIA.html").read_text()
    assert re.search(r'<b id="observed">41% <span class="tag coverage">under half observed'
                     r"</span></b>41% of Miami&#39;s index weight", city)
    assert '<b id="observed">100%</b>' in (site / "city" / "NYC.html").read_text()
    method = (site / "methodology.html").read_text()
    assert ("Marked in 2025: Shenzhen, Miami, Munich, Bengaluru and Delhi NCR."
            in method)
    page = (site / "differs.html").read_text()
    assert ("Spearman rank correlation of 0.07 and a Kendall rank correlation of \u22120.02; "
            "7 of the official top 10 are in our top 10.") in page
    assert len(re.findall(r'<tr data-unit="', page)) == 10
    szx = re.search(r'<tr data-unit="SZX">.*?</tr>', page)[0]
    assert "<td>19</td><td class=\"name\">Chicago</td><td>\u221214.47</td>" in szx
    assert "Availability of skilled human resources (\u22121.93; its value imputed)" in szx
    assert 'href="differs.html">How this edition differs' in index
    zh = (site / "zh" / "differs.html").read_text()
    agreement = re.search(r'<p id="agreement">(.*?)</p>', zh)[1]
    assert "斯皮尔曼等级相关系数为0.07" in agreement and not LATIN.search(agreement)
    assert "高技能人才可得性（−1.93；本城市数值为插补值）" in zh
    assert "观测不足一半" in (site / "zh" / "index.html").read_text()


def test_site_without_a_published_ranking_has_no_differs_page(results, tmp_path):
    publish_all(results, site=tmp_path)
    assert not (tmp_path / "differs.html").exists()
    assert "differs.html" not in (tmp_path / "index.html").read_text()
    assert 'class="tag coverage"' in (tmp_path / "index.html").read_text()


def test_papers_show_the_mark_and_the_city_paragraph(results, out, differences):
    en = _pdf_text(out / "SZX_en.pdf")
    assert "Observed weight 44% under half observed" in en
    assert "How this edition differs from the official ranking" in en
    assert "fifth officially, 19th here; \u221214.47 points against Chicago" in en
    assert not CJK.search(en)
    assert "Miami is not in the official top 10." in _pdf_text(out / "MIA_en.pdf")
    peers = en[en.index("Peers"):en.index("Rank history")]  # 13 AMS ... 17 TOR
    assert "Shenzhen (under half observed)" in peers and "Toronto 40.79" in peers
    assert peers.count("(under half observed)") == 1 and "Zurich 41.05" in peers
    zh = _pdf_text(out / "SZX_zh.pdf").replace(" ", "")
    assert "观测权重44%观测不足一半" in zh
    assert "深圳：官方排名第5位，本指数排名第19位；" in zh
    data = white_paper_data(results, "NYC", lang="zh", differences=differences)
    assert data["differs"]["text"].endswith("纽约：官方排名第1位，本指数排名第1位；"
                                            "在双方共同排名的城市中位次与官方一致。")
    cover = {f["label"]: f for f in data["cover"]["figures"]}["观测权重"]
    assert (cover["value"], cover["note"], cover["alert"]) == ("100%", "", False)
    assert white_paper_data(results, "NYC")["differs"] is None


def test_workbook_ranking_sheets_and_the_differs_sheet(results, out):
    book = openpyxl.load_workbook(out / "book_en.xlsx")
    for year, sheet in ((2025, "Ranking 2025"), (2024, "Ranking 2024 (back-cast)")):
        ws = book[sheet]
        header = [c.value for c in ws[1]]
        j = header.index("Observed weight")
        assert header[j + 1] == "under half observed"
        observed = results.observed_weight(year)
        rows = {r[1].value: r for r in ws.iter_rows(min_row=3)}
        assert rows["MIA"][j].value == pytest.approx(observed["MIA"])
        assert rows["MIA"][j].number_format == "0%"
        assert rows["MIA"][j + 1].value == "under half observed"
        assert rows["NYC"][j + 1].value is None
        marked = {u for u, r in rows.items() if r[j + 1].value}
        assert marked == set(observed[observed < 0.5].index)
    ws = book["Official ranking"]
    head = [c.value for c in ws[1]]
    assert head == ["Official rank", "Code", "City",
                    "Our rank, 2024 (recomputed on the 2025 framework)", "Compared with",
                    "Score difference", "Indicators that account for it"]
    rows = {r[1].value: [c.value for c in r] for r in ws.iter_rows(min_row=2)}
    assert list(rows) == ["NYC", "LON", "SHA", "BJS", "SZX", "TYO", "CHI", "HKG", "SIN",
                          "SFO"]
    assert rows["SZX"][:5] == [5, "SZX", "Shenzhen", 19, "Chicago"]
    assert rows["SZX"][5] == pytest.approx(-14.4663396, abs=1e-6)
    assert rows["SZX"][6].endswith("(\u22121.93; its value imputed)")
    assert rows["NYC"][4:] == [None, None, None]
    about = [c.value for c in book.worksheets[0]["B"]]
    assert any(v and v.startswith("Against the official Global Fintech Center") for v in about)
    zh = openpyxl.load_workbook(out / "book_zh.xlsx")
    ws = zh["与官方排名比较"]
    assert [c.value for c in ws[1]][:4] == ["官方排名", "代码", "城市",
                                            "本指数2024年（按2025年框架重新计算）排名"]
    header = [c.value for c in zh["2025年排名"][1]]
    assert "观测权重" in header and "观测不足一半" in header


def test_published_ranking_refuses_repeated_units_and_non_ranks():
    with pytest.raises(fi.FintechIndexError, match=r"SHA ranked more than once.*\[U30\]"):
        PublishedRanking("P", 2024, pd.Series([1, 2], index=["SHA", "SHA"]))
    with pytest.raises(fi.FintechIndexError, match=r"BJS: 2\.5 is not a rank.*\[U31\]"):
        PublishedRanking("P", 2024, pd.Series([1, 2.5], index=["SHA", "BJS"]))


def test_coverage_never_reads_as_the_minimum_when_marked():
    assert said.coverage(0.498, "en") == said.Coverage("49.8%", "under half observed")
    assert said.coverage(0.5, "zh") == said.Coverage("50%", "")
    assert said.coverage(0.411111, "zh").share == "41%"
