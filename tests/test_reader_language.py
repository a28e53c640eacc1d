"""What a reader meets, in each language (issue 25): the Chinese outputs hold no Latin word
outside codes, proper names without a Chinese form and units such as USD; the English
outputs hold no CJK character; no working note ("mirror", "scraped", "not yet checked",
"None") reaches a reader; sources are cited by publisher, title, year and address; raw
values read with their list sizes; the leader's paper lists strengths."""

import re
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pypdf
import pytest

import fintech_index as fi
from fintech_index import format as fmt
from fintech_index.gfcdi.districts import district_notes
from fintech_index.gfcdi.paper import _conversion, paper_sections
from fintech_index.publish.citations import caveats, citation
from fintech_index.publish.excel import write_workbook
from fintech_index.publish.i18n import raw_value, strings
from fintech_index.publish.pdf import write_white_paper
from fintech_index.publish.site import write_site

CJK = re.compile(r"[\u3400-\u9fff\u3000-\u303f\uff00-\uffef]")
URL = re.compile(r"(?:https?://)?[\w.-]+\.(?:com|cn|jp|uk|net|org)(?:/\S*)?")
# what a Chinese reader may meet in Latin letters (the allow-list): proper names without an
# established Chinese form (publishers, their lists, outlets, an R package, a cited author),
# units and abbreviations in capitals (USD, CNY, GDP, LQ, EM); the language switch. Codes
# (nodes, methods and their parameters, the hash, the framework file) and addresses are
# taken out first (:func:`without_codes`): the annex shows them as codes.
PROPER = {"CB", "Insights", "PitchBook", "QS", "Quacquarelli", "Symonds", "GaWC", "GPCI",
          "GDP", "Z", "Yen", "Alpha", "Alpha-", "Alpha+", "Alpha++", "English", "USD", "CNY",
          "SHINE", "Yicai", "Global", "AsiaNet", "LQ", "COINr", "Isard", "Becker's",
          "Hospital", "Review", "DuckDB", "n"}  # n, N: the location quotient's symbols
FORBIDDEN = ("mirror", "scraped", "not yet checked", "None")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        self.skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self.skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_text(path) -> str:
    p = _Text()
    p.feed(path.read_text(encoding="utf-8"))
    return " ".join(" ".join(p.parts).split())


def pdf_text(path) -> str:
    return " ".join(" ".join(pg.extract_text().split()) for pg in pypdf.PdfReader(path).pages)


def codes(results) -> list[str]:
    """What the outputs show as codes: node codes, the methodology's methods and parameters
    as the annex prints them (both languages), the hash, the framework file, the citations'
    addresses; longest first."""
    from fintech_index.publish.citations import _table
    from fintech_index.publish.provenance import methodology_rows

    meth = results.methodology
    rows = [methodology_rows(results, lang) for lang in ("en", "zh")]
    found = {*results.framework.nodes, meth.hash, meth.hash[:16],
             Path(results.framework.source_file).name, *(e["url"] for e in _table()),
             *district_notes("SHA")["source_url"].dropna()}
    for r in rows:
        found |= {x for col in ("method", "parameters") for x in r[col] if x}
        found |= {x.split("：", 1)[1] for x in r["method"] if "：" in x}  # 并列处理：min
    return sorted(found, key=len, reverse=True)


def without_codes(text: str, shown: list[str]) -> str:
    """``text`` without the codes ``shown`` (a PDF may break one over a line: any spaces
    inside it are allowed)."""
    for code in shown:
        inner = r"\s?".join(map(re.escape, code.replace(" ", "")))
        text = re.sub(rf"(?<![A-Za-z0-9_.-]){inner}(?![A-Za-z0-9_-])", " ", text)
    return text


def cells(path) -> dict[str, str]:
    """A workbook's text, by sheet: the sheet's name and every text cell."""
    book = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: " ".join([ws.title, *(c for row in ws.iter_rows(values_only=True)
                                            for c in row if isinstance(c, str))])
            for ws in book.worksheets}


def latin_words(text: str) -> set[str]:
    """Latin words of a Chinese text, addresses and codes (upper-case, digits) left out."""
    text = URL.sub(" ", text)
    # the rest of an address a page or line break cut off ("programmes/financial-...",
    # "http://big5.", "8285393.htm")
    text = " ".join(w for w in CJK.sub(" ", text).split()
                    if "/" not in w and not w.startswith("http")
                    and not re.search(r"[a-z0-9]\.[a-z]", w))
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_'+\-]*", text))
    return {w for w in words
            if w not in PROPER and not w.isupper() and "_" not in w}  # n_ps: a symbol


@pytest.fixture(scope="module")
def results():
    return fi.examples.load("fintech").build()


@pytest.fixture(scope="module")
def site(results, tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    write_site(results, out)
    return out


@pytest.fixture(scope="module")
def papers(results, tmp_path_factory):
    """The leader's, Shanghai's, Boston's (districts with two places) and the Bay Area's
    (26 places, a shifted source cell) papers in both languages, as pypdf reads them."""
    out, sections = tmp_path_factory.mktemp("wp"), paper_sections(results)
    return {(u, lang): pdf_text(write_white_paper(results, u, out / f"{u}_{lang}.pdf",
                                                  lang=lang, sections=sections))
            for u in ("NYC", "SHA", "BOS", "SFO") for lang in ("en", "zh")}


@pytest.fixture(scope="module")
def books(results, tmp_path_factory):
    """The workbook in each language, by sheet (:func:`cells`)."""
    out = tmp_path_factory.mktemp("wb")
    return {lang: cells(write_workbook(results, out / f"{lang}.xlsx", lang=lang))
            for lang in ("en", "zh")}


def test_chinese_site_pages_are_all_chinese(site, results):
    """Every Chinese page (index, rankings, methodology, every city): Latin only in the
    allow-list and in codes."""
    shown = codes(results)
    pages = sorted((site / "zh").rglob("*.html"))
    assert len(pages) == 3 + len(results.ranking().dropna(subset=["rank"]))
    for page in pages:
        assert latin_words(without_codes(html_text(page), shown)) == set(), page
    assert "第14位" in html_text(site / "zh" / "city" / "SHA.html")


def test_english_site_pages_hold_no_chinese(site):
    """Every English page: no CJK character but the language switch (中文)."""
    for page in [site / "index.html", site / "rankings.html", site / "methodology.html",
                 *sorted((site / "city").glob("*.html"))]:
        text = html_text(page).replace("中文", "")
        assert not CJK.search(text), (page.name, CJK.search(text))


def test_no_working_notes_reach_a_reader(site, papers, books):
    pages = [*site.rglob("*.html")]
    for page in pages:
        text = html_text(page)
        assert not any(w in text for w in FORBIDDEN), page
    for key, text in papers.items():
        assert not any(w in text for w in FORBIDDEN), key
    for lang, sheets in books.items():
        for name, text in sheets.items():
            assert not any(w in text for w in FORBIDDEN), (lang, name)


def test_chinese_papers_are_all_chinese(papers, results):
    """Every page of the Chinese papers (cover, tree, strengths, records, districts, the
    methodology annex with its reasons): Latin only in the allow-list and in codes."""
    shown = codes(results)
    for (unit, lang), text in papers.items():
        if lang == "zh":
            assert latin_words(without_codes(text, shown)) == set(), unit
    zh = papers[("NYC", "zh")].replace(" ", "")
    assert "厚尾分布的计数：对数变换保留领先者的次序" in zh and "heavy-tailed" not in zh
    assert "异常值处理金融科技独角兽企业数量（fintech_unicorns）log_CT" in zh
    assert "排名全部节点并列处理：min" in zh and "2024年（按2025年框架重新计算）：第1位" in zh
    assert "剑桥" in papers[("BOS", "zh")]


def test_english_papers_and_workbook_hold_no_chinese(papers, books):
    for (unit, lang), text in papers.items():
        if lang == "en":
            assert not CJK.search(text), (unit, CJK.search(text))
    for name, text in books["en"].items():
        assert not CJK.search(text), (name, CJK.search(text))


def test_chinese_workbook_is_all_chinese(books, results):
    """Sheet names, headers, the data's units, levels and sources, the tree, the
    methodology with its reasons: Chinese, Latin only in the allow-list and in codes."""
    shown = codes(results)
    for name, text in books["zh"].items():
        assert latin_words(without_codes(text, shown)) == set(), name
    assert list(books["zh"]) == ["说明", "2025年排名", "2024年排名（回溯测算）", "数据与来源",
                                 "指标体系", "方法"]
    assert "各指标的平均交叉验证误差最低" in books["zh"]["方法"]


def test_chinese_workbook_gives_billions_in_yi(results, tmp_path):
    """Shanghai's two fintech unicorns are worth 2.90 USD bn in English, 29 亿美元 in
    Chinese (the value and the value used x 10, the unit 亿美元); levels in words."""
    rows = {}
    for lang in ("en", "zh"):
        ws = openpyxl.load_workbook(write_workbook(results, tmp_path / f"{lang}.xlsx",
                                                   lang=lang), read_only=True).worksheets[3]
        rows[lang] = next(r for r in ws.iter_rows(values_only=True)
                          if r[:4] == ("SHA", r[1], 2025, "fintech_unicorn_value"))
    assert rows["en"][5:8] == (pytest.approx(2.9), pytest.approx(2.9), "USD bn")
    assert rows["zh"][5:8] == (pytest.approx(29.0), pytest.approx(29.0), "亿美元")
    assert (rows["en"][10], rows["zh"][10]) == ("metro", "都市区")


def test_every_bundled_reason_has_a_reviewed_chinese_text():
    """A reason a bundled methodology gives (methodology file: the English) is in the
    reviewed table, so no Chinese output falls back to the English."""
    import yaml

    from fintech_index.publish.i18n import _reasons, reason_text

    said = []

    def walk(x):
        if isinstance(x, dict):
            said.extend(" ".join(v.split()) for k, v in x.items() if k == "reason")
            for v in x.values():
                walk(v)
    for f in Path(fi.__file__).parent.glob("datasets/*/*.methodology.yaml"):
        walk(yaml.safe_load(f.read_text(encoding="utf-8")))
    assert len(said) == 27 and set(said) <= set(_reasons())  # fintech 26, ND-GAIN 1
    assert reason_text("a reason nobody translated", "zh") == "a reason nobody translated"
    assert reason_text(said[0], "en") == said[0]


def test_english_papers_give_the_shanghai_notes_in_english(papers):
    """The district notes from the reviewed table: English statements, the original cited
    by outlet, date and address; no Chinese in the English paper."""
    en = papers[("SHA", "en")]
    assert not CJK.search(en), CJK.search(en)
    assert "Insurance, trust, bank and other financial institutions: more than 90" in en
    assert "at least 500 million yuan a year" in en and "The Paper (thepaper.cn)" in en
    zh = papers[("SHA", "zh")]
    assert "保险、信托、银行等金融机构：90余家" in zh
    # the district section says plainly that one place holds the firms (issue 25 item 6)
    assert "34家总部位于上海，1家位于浦东" in zh.replace(" ", "") and "Shanghai" not in zh
    assert "占97%" not in zh.replace(" ", "")
    assert ("10亿元人民币（约1.37亿美元，按2024年12月17日1元人民币兑0.137美元计）"
            in zh.replace(" ", ""))


def test_leader_paper_lists_strengths_and_raw_values_read_with_list_sizes(papers):
    en = papers[("NYC", "en")]
    part = en[en.index("Strengths and weaknesses"):en.index("Weaknesses", en.index(
        "Strengths and weaknesses") + 30)]
    assert "• none" not in part and "Industry: rank 1, as high as its overall rank." in part
    assert "rank" not in re.findall(r"raw value ([^,]*),", en)
    assert "(raw value 17th of 160, 2023)" in en  # QS Best Student Cities: 160 listed


def test_citation_publisher_title_year_address():
    gawc = ("GaWC, The World According to GaWC 2024, tier Alpha (secondary source: a copy "
            "of the GaWC page, not yet checked against it)")
    assert citation(gawc) == (
        "Globalization and World Cities Research Network (GaWC), Loughborough University, "
        "The World According to GaWC 2024, "
        "https://gawc.lboro.ac.uk/gawc-worlds/the-world-according-to-gawc/world-cities-2024/")
    assert citation("Z/Yen & CDI, GFCI 38, rank in the top 20 (https://en.wikipedia.org/x)",
                    "zh", 2025) == (
        "英国Z/Yen集团与中国（深圳）综合开发研究院，全球金融中心指数（2025年），"
        "https://www.longfinance.net/programmes/financial-centre-futures/"
        "global-financial-centres-index/")
    assert citation("a source the table does not know") == "a source the table does not know"
    # the caveats: each source's once, in the table's order, none for a clean source
    said = caveats([gawc, gawc, "QS Quacquarelli Symonds, QS Best Student Cities 2024"])
    assert len(said) == 1 and said[0].startswith("The GaWC tiers are taken from a copy")


def test_chinese_number_and_unit_conventions(results):
    fw = results.framework
    assert fmt.value(2.9, strings("zh")["unit_USD bn"], "zh") == "29亿美元"
    assert fmt.value(2.9, "USD bn", "en") == "2.90 USD bn"
    assert raw_value(fw, "vc_ecosystem_rank", 4, "en") == "fourth of 50"
    assert raw_value(fw, "vc_ecosystem_rank", 4, "zh") == "第4位（共50位）"
    assert raw_value(fw, "gawc_tier", 2, "en") == "tier Alpha+"
    assert raw_value(fw, "gawc_tier", 2, "zh") == "Alpha+级"
    assert _conversion("x (= 1 billion CNY ($137 million) at 0.137 USD per CNY on "
                       "2024-12-17)", "zh") == (
        "10亿元人民币（约1.37亿美元，按2024年12月17日1元人民币兑0.137美元计）")


def test_the_back_cast_is_labelled_on_the_city_page(site):
    """The rank history's 2024 row is the back-cast on the 2025 framework: said so (Shanghai
    14th in the back-cast since the imputation is chosen by cross-validation, issue 24)."""
    en, zh = html_text(site / "city" / "SHA.html"), html_text(site / "zh" / "city" / "SHA.html")
    assert "2024 (back-cast on the 2025 framework) 14" in en
    assert "2024年（按2025年框架回溯测算） 14" in zh


def test_one_regions_section_with_its_sentence(site):
    text = html_text(site / "index.html")
    assert text.count("Regions") == 1
    regions = text[text.index("Regions"):]
    assert regions.startswith("Regions North America leads with five of the top ten")


def test_methods_in_plain_words_on_the_site(site):
    """The methodology page and city pages name methods in words, not codes."""
    for page in ("methodology.html", "zh/methodology.html", "city/BLR.html"):
        text = html_text(site / page)
        assert not any(code in text for code in ("i_EM_bounded", "n_minmax", "l_u", "a_amean")
                       ), page
    assert "rescaled to 0-100 between the lowest and the highest value" in html_text(
        site / "methodology.html")
    zh = html_text(site / "zh" / "methodology.html")
    assert "按最小值与最大值缩放至0–100" in zh and "并列城市共享较高名次（1、2、2、4）" in zh
    assert "ties: min" not in zh and "; " not in zh


def test_edition_report_files_in_each_language(results, tmp_path):
    """lead_<year>.txt and sentences_<year>.txt: in Chinese with Chinese node names and no
    space after 。, in English with no CJK character."""
    from fintech_index.publish.report import write_edition_report

    for lang in ("en", "zh"):
        out = tmp_path / lang
        write_edition_report(results, out, lang=lang)
        for name in ("lead_2025.txt", "sentences_2025.txt"):
            text = (out / name).read_text(encoding="utf-8")
            assert not any(w in text for w in FORBIDDEN), (lang, name)
            if lang == "zh":
                assert latin_words(text) == set() and "。 " not in text, name
            else:
                assert not CJK.search(text), name
    zh = (tmp_path / "zh" / "sentences_2025.txt").read_text(encoding="utf-8")
    assert "东京在制度上排名上升10位至第17位。" in zh.splitlines()
