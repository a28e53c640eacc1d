"""The web page as one view (datasette-style): the same context as HTML (Jinja2,
autoescape) or JSON, in English and Chinese, every number beside its text from
fintech_index.format and names from publish/i18n; and both pages in a real Chromium
served by a real uvicorn with every request off the server blocked."""

import os
import re
from html import unescape

import pytest
from fastapi.testclient import TestClient

from fintech_index import format as fmt
from fintech_index.publish.i18n import node_name, unit_name
from fintech_index.store import Store
from fintech_index.web.app import create_app
from fintech_index.web.page import page_strings

from .helpers import markup_named_results, offline_context
from .test_web import ARTIFACTS, CHROMIUM, _wait_until, results, server, store_path  # noqa: F401


@pytest.fixture(scope="module")
def client(store_path):  # noqa: F811
    return TestClient(create_app(store_path))


def _cells(html: str, table: str) -> list[list[str]]:
    body = re.search(rf'<table id="{table}".*?<tbody>(.*?)</tbody>', html, re.DOTALL).group(1)
    return [[unescape(c) for c in re.findall(r"<td>(.*?)</td>", row)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.DOTALL)]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_html_and_json_are_one_context_with_formatted_numbers_and_names(client, results,  # noqa: F811
                                                                         lang):
    """The JSON gives each raw number with its text by fintech_index.format and names in
    the language; the HTML page shows exactly those texts (one context)."""
    prefix = "/zh" if lang == "zh" else ""
    ctx = client.get(f"{prefix}/index.json").json()
    assert ctx == client.get("/index.json", params={"lang": lang}).json()
    html = client.get(f"{prefix}/").text
    assert html == client.get("/", params={"lang": lang}).text
    fw, year = results.framework, 2025
    rows = ctx["ranking"]["rows"]
    assert [r["unit"] for r in rows] == list(results.ranking(year).index)
    for r in rows:
        assert r["score"] == pytest.approx(results.scores().at[r["unit"], year], abs=1e-12)
        assert r["score_text"] == fmt.score(r["score"], lang) and r["rank_text"] == str(r["rank"])
    assert rows[0]["score_text"] == f"{results.scores().at[rows[0]['unit'], year]:.2f}"
    assert _cells(html, "ranking") == [[r["rank_text"], r["name"], r["score_text"]]
                                       for r in rows]
    sha = ctx["ranking"]["units"]["SHA"][fw.index]
    t = page_strings(lang)
    assert sha["text"] == t["web_rank_score"].format(rank=sha["rank"],
                                                     score=fmt.score(sha["score"]))
    names = [n["name"] for n in ctx["ranking"]["weighted"]]
    assert names == [node_name(fw, n["node"], lang) for n in ctx["ranking"]["weighted"]]
    assert ctx["ranking"]["index_name"] == node_name(fw, fw.index, lang)
    assert [c[0] for c in _cells(html, "compare")] == [ctx["ranking"]["index_name"], *names]
    assert f"<th>{t['col_rank']}</th><th>{t['col_city']}</th><th>{t['col_score']}</th>" in html
    # city names in the language, from the units table's reviewed names the store keeps
    assert [r["name"] for r in rows] == [unit_name(results.panel.units, r["unit"], lang)
                                         for r in rows]
    if lang == "zh":
        assert '<html lang="zh-Hans">' in html and "产业" in names and "<th>排名</th>" in html
        assert {"纽约", "伦敦", "上海"} <= {r["name"] for r in rows}
        assert sha["text"] == f"{sha['rank']}（{sha['score']:.2f}）"
        assert '<a href="/" hreflang="en" lang="en">English</a>' in html
    else:
        assert "Industry" in names and f"{sha['rank']} ({sha['score']:.2f})" == sha["text"]
        assert '<a href="/zh/" hreflang="zh" lang="zh">中文</a>' in html


def test_reweight_answer_carries_texts_in_the_language(client):
    """The slider endpoint answers in the page's language: weights and scores as text."""
    got = client.post("/api/editions/gfcdi-2025/reweight", params={"lang": "zh"},
                      json={"weights": {"industry": 2.5}}).json()
    industry = next(n for n in got["weighted"] if n["node"] == "industry")
    assert (industry["name"], industry["used"], industry["used_text"]) == ("产业", 2.5, "2.5")
    assert got["rows"][0]["score_text"] == fmt.score(got["rows"][0]["score"])
    assert client.post("/api/editions/gfcdi-2025/reweight", params={"lang": "fr"},
                       json={"weights": {}}).status_code == 422


def test_page_languages_and_editions_refused_by_name(client):
    assert client.get("/", params={"lang": "fr"}).status_code == 422
    missing = client.get("/zh/", params={"edition": "nope"})
    assert missing.status_code == 404 and "'nope'" in missing.json()["detail"]
    assert "gfcdi-2025" in missing.json()["detail"]


def test_an_empty_store_gives_a_page_that_says_so(tmp_path):
    with Store(tmp_path / "s.duckdb"):
        pass
    c = TestClient(create_app(tmp_path / "s.duckdb"))
    assert "数据库中尚无已发布的年度。" in c.get("/zh/").text
    assert c.get("/index.json").json()["ranking"] is None


def test_names_from_the_data_are_escaped_on_the_page(tmp_path):
    """A unit named like markup is text on the page (Jinja2 autoescape), as on the site."""
    with Store(tmp_path / "s.duckdb") as s:
        s.publish(markup_named_results(tmp_path), "e")
    for lang in ("en", "zh"):
        html = TestClient(create_app(tmp_path / "s.duckdb")).get("/", params={"lang": lang}).text
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "Ok &amp; Co" in html


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed "
                    "(.ci/run installs it)")
def test_chinese_and_english_pages_in_chromium_with_the_network_blocked(server, client):  # noqa: F811
    """Debian's Chromium loads /zh/ and / from a real uvicorn with every request that is
    not to that server aborted: the Chinese page shows Chinese names and the server's
    formatted numbers, also after a slider moves; the English page English ones."""
    playwright = pytest.importorskip("playwright.sync_api")
    shown, outside, errors = {}, [], []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        ctx = offline_context(browser, server + "/", outside,
                              viewport={"width": 1200, "height": 1400})
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        ARTIFACTS.mkdir(exist_ok=True)
        for lang, url in (("zh", server + "/zh/"), ("en", server + "/")):
            page.goto(url)
            _wait_until(page, "document.body.dataset.compared !== undefined")
            if lang == "zh":  # a slider moved: the re-rendered rows are the server's texts
                page.eval_on_selector("#w-industry", "el => { el.value = '2.5'; "
                                      "el.dispatchEvent(new Event('input')); }")
                _wait_until(page, "(document.body.dataset.compared || '').includes("
                                  "'\"industry\":2.5')")
            shown[lang] = {
                "ranking": [r.split("\t") for r in page.inner_text("#ranking tbody").splitlines()],
                "compare": [r.split("\t") for r in page.inner_text("#compare tbody").splitlines()],
                "sliders": page.inner_text("#sliders"),
                "heads": page.inner_text("#ranking thead") + page.inner_text("#compare thead"),
                "title": page.inner_text("h1")}
            page.screenshot(path=str(ARTIFACTS / f"web-{lang}.png"), full_page=True)
        browser.close()
    assert outside == [] and errors == []
    zh_answer = client.post("/api/editions/gfcdi-2025/reweight", params={"lang": "zh"},
                            json={"weights": {"industry": 2.5}}).json()
    en_ctx = client.get("/index.json").json()["ranking"]
    for lang, answer in (("zh", zh_answer), ("en", en_ctx)):
        got = shown[lang]
        assert got["ranking"] == [[r["rank_text"], r["name"], r["score_text"]]
                                  for r in answer["rows"]]
        assert [c[1] for c in got["compare"][1:]] == [n["used_text"] for n in answer["weighted"]]
        assert got["title"] == answer["index_name"]
    zh = shown["zh"]
    assert zh["title"] == "全球金融科技中心发展指数" and "产业" in zh["sliders"]
    assert "排名" in zh["heads"] and "城市" in zh["heads"] and "得分" in zh["heads"]
    assert {"纽约", "伦敦", "上海"} <= {row[1] for row in zh["ranking"]}  # city names too
    industry = next(r for r in zh["compare"] if r[0] == "产业")
    assert industry[1] == "2.5" and re.fullmatch(r"\d+（\d+\.\d\d）", industry[2])
    en = shown["en"]
    assert "Industry" in en["sliders"] and "产业" not in en["sliders"]
    assert "Rank" in en["heads"] and "City" in en["heads"]
    assert re.fullmatch(r"\d+ \(\d+\.\d\d\)", en["compare"][0][2])
