"""The web app: the JSON API through httpx against the real app, and the page in a real
headless Chromium (Debian's package) driven by Playwright, served by a real uvicorn."""

import itertools
import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, assume, given, settings

import fintech_index as fi
from fintech_index.store import Store
from fintech_index.web.app import create_app
from fintech_index.web.reweight import Reweighting

from .test_engine import bits, builds

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def results():
    return fi.examples.load("fintech").build()


@pytest.fixture(scope="module")
def store_path(results, tmp_path_factory):
    path = tmp_path_factory.mktemp("web") / "s.duckdb"
    with Store(path) as s:
        s.publish(results, "gfcdi-2025")
    return path


@pytest.fixture(scope="module")
def client(store_path):
    return TestClient(create_app(store_path))


def engine_ranking(results, weights: dict[str, float]) -> list[str]:
    return list(engine_results(results, weights).ranking(2025).index)


def engine_results(results, weights: dict[str, float]):
    """The full engine's build with dimensions and pillars weighted as given (explicit
    weight values on their parents; the others keep their framework weight)."""
    fw = results.framework
    by_node = {}
    for parent in fw.aggregates:
        kids = fw.nodes[parent].children
        if any(k in weights for k in kids):
            by_node[parent] = {"method": "w_explicit",
                               "values": [weights.get(k, fw.nodes[k].weight) for k in kids]}
    raw = results.methodology.model_dump(mode="json")
    raw["weight"] = {"method": "w_explicit", "by_node": by_node}
    return fi.build(fw, results.panel, fi.methodology_from_dict(raw))


def test_api_editions_ranking_unit_compare_methodology(client, results):
    eds = client.get("/api/editions").json()
    assert [e["name"] for e in eds] == ["gfcdi-2025"]
    r = client.get("/api/editions/gfcdi-2025/ranking").json()
    assert [row["unit"] for row in r["rows"]] == list(results.ranking(2025).index)
    assert r["rows"][0]["score"] == pytest.approx(results.scores().at["NYC", 2025])
    pillar = client.get("/api/editions/gfcdi-2025/ranking", params={"node": "fintech_firms"})
    assert pillar.json()["name"] == "Fintech firms"
    u = client.get("/api/editions/gfcdi-2025/units/SHA").json()
    ranks = {n["node"]: n["rank"] for n in u["nodes"]}
    assert ranks["gfcdi"] == int(results.ranks().at["SHA", 2025])
    c = client.get("/api/editions/gfcdi-2025/compare", params={"a": "SHA", "b": "LON"}).json()
    assert {n["node"] for n in c["nodes"]} == set(results.nodes)
    m = client.get("/api/editions/gfcdi-2025/methodology").json()
    assert m["framework"]["index"] == "gfcdi"
    assert client.get("/api/editions/nope/ranking").status_code == 404
    assert client.get("/api/editions/gfcdi-2025/units/XXX").status_code == 404
    # a near miss is answered with the closest name, as the CLI answers it
    miss = client.get("/api/editions/gfcdi-2025/units/Shangai")
    assert miss.status_code == 404 and miss.json()["detail"] == (
        "no unit 'Shangai' in edition 'gfcdi-2025'; did you mean 'Shanghai', code SHA?")
    miss = client.get("/api/editions/gfcdi-2025/ranking", params={"node": "fintech_firm"})
    assert miss.status_code == 404 and miss.json()["detail"].endswith(
        "; did you mean 'fintech_firms'?")
    schema = client.get("/openapi.json").json()
    assert "/api/editions/{name}/reweight" in schema["paths"]


def test_api_reweight_equals_the_engine(client, results):
    w = {"industry": 2.0, "technology": 0.5, "environment": 1.0}
    got = client.post("/api/editions/gfcdi-2025/reweight", json={"weights": w}).json()
    assert [r["unit"] for r in got["rows"]] == engine_ranking(results, w)
    pillar = {"fintech_firms": 3.0, "technology": 0.5}
    got = client.post("/api/editions/gfcdi-2025/reweight", json={"weights": pillar}).json()
    assert [r["unit"] for r in got["rows"]] == engine_ranking(results, pillar)
    assert got["weights"]["fintech_firms"] == 3.0
    assert "fintech_firms" in {p["node"] for p in got["pillars"]}
    for bad in ({"x": 1}, {"industry": 0}, {"gfcdi": 2}):
        r = client.post("/api/editions/gfcdi-2025/reweight", json={"weights": bad})
        assert r.status_code == 422, bad


@pytest.mark.parametrize("example", ["fintech", "hdi", "asem"])
def test_api_reweight_with_the_nominal_weights_is_the_build_bit_for_bit(example, tmp_path):
    """The web re-weighting runs the stored indicator scores through the build's own
    aggregate-and-rank: nominal weights give the published scores and ranks of every
    aggregate exactly (HDI: ranks at 3 decimals, regional aggregates left unranked)."""
    res = results_of(example)
    with Store(tmp_path / "s.duckdb") as s:
        s.publish(res, "e")
    got = TestClient(create_app(tmp_path / "s.duckdb")).post(
        "/api/editions/e/reweight", json={"weights": {}}).json()
    fw = res.framework
    for node in [fw.index, *[p["node"] for p in got["pillars"] + got["dimensions"]]]:
        k = res.nodes.index(node)
        for i, unit in enumerate(res.units):
            score, rank = res.score_array[-1, i, k], res.rank_array[-1, i, k]
            shown = got["units"][unit][node]
            assert shown["score"] == (None if np.isnan(score) else score), (node, unit)
            assert shown["rank"] == (None if np.isnan(rank) else int(rank)), (node, unit)


def results_of(example: str):
    return fi.examples.load(example).build()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(store_path):
    import uvicorn

    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(store_path), host="127.0.0.1", port=port,
                                        log_level="warning"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started:
        assert time.time() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


def _wait_until(page, expression: str, attempts: int = 300) -> None:
    """Poll ``expression`` through the DevTools protocol (page.wait_for_function evaluates
    its predicate with eval, which the app's Content-Security-Policy rightly forbids)."""
    for _ in range(attempts):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"never true: {expression}")


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian's chromium is not installed "
                    "(.ci/run installs it)")
def test_browser_sliders_of_dimensions_and_pillars_recompute_ranking_and_comparison(
        server, results):
    """In Debian's Chromium: moving a dimension's and a pillar's slider re-ranks the cities
    as the full engine does with those weights, and the comparison of two named cities
    follows (their index and pillar ranks under the new weights)."""
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1200, "height": 1600})
        page.goto(server)
        page.wait_for_selector("#ranking tbody tr")
        labels = page.inner_text("#sliders")
        page.select_option("#cityA", "SHA")
        page.select_option("#cityB", "LON")
        for node, value in (("industry", "2.5"), ("fintech_firms", "3")):
            page.eval_on_selector(f"#w-{node}", f"el => {{ el.value = '{value}'; "
                                  "el.dispatchEvent(new Event('input')); }")
        _wait_until(page, "document.body.dataset.ready && JSON.parse("
                               "document.body.dataset.ready).fintech_firms === 3 && "
                               "JSON.parse(document.body.dataset.ready).industry === 2.5")
        _wait_until(page, "(document.body.dataset.compared || '').startsWith('SHA|LON|')"
                               " && document.body.dataset.compared.includes("
                               "'\"fintech_firms\":3')")
        shown = page.eval_on_selector_all("#ranking tbody tr", "rows => rows.map(r => "
                                          "r.dataset.unit)")
        names = page.eval_on_selector_all("#ranking tbody tr td:nth-child(2)",
                                          "cells => cells.map(c => c.textContent)")
        header = page.inner_text("#compare thead")
        compared = {r.split("\t")[0]: r.split("\t") for r in
                    page.inner_text("#compare tbody").splitlines()}
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "web-reweighted.png"), full_page=True)
        browser.close()
    weights = {"industry": 2.5, "fintech_firms": 3.0}
    expected = engine_ranking(results, weights)
    assert shown == expected
    assert not np.array_equal(shown, list(results.ranking(2025).index))
    assert "Industry" in labels and "Fintech firms" in labels
    city = results.panel.units["name"]
    assert names[0] == city[expected[0]]
    assert f"{city['SHA']}: rank (score)" in header and f"{city['LON']}: rank (score)" in header
    rank_sha = int(engine_results(results, weights).ranks().at["SHA", 2025])
    index_name = results.framework.nodes[results.framework.index].name
    assert compared[index_name][2].startswith(f"{rank_sha} (")
    assert compared["Fintech firms"][1] == "3.0"


def test_hostile_requests_get_4xx_and_the_api_cannot_write(client, store_path):
    assert client.get("/api/editions/..%2F..%2Fetc%2Fpasswd/ranking").status_code == 404
    assert client.get("/api/editions/gfcdi-2025/units/..%2F..").status_code == 404
    assert client.get("/../../etc/passwd").status_code == 404
    r = client.post("/api/editions/gfcdi-2025/reweight", content=b"{not json",
                    headers={"content-type": "application/json"})
    assert r.status_code == 422
    big = {"weights": {f"k{i}": 1.0 for i in range(20_000)}}
    assert client.post("/api/editions/gfcdi-2025/reweight", json=big).status_code == 413
    assert client.get("/api/editions/gfcdi-2025/ranking", params={"year": "x"}
                      ).status_code == 422
    for method in ("put", "delete", "patch"):
        assert getattr(client, method)("/api/editions").status_code == 405
    with Store(store_path, read_only=True) as s:  # what the app opens
        with pytest.raises(Exception, match="read-only"):
            s.con.execute("DELETE FROM editions")
    assert [e["name"] for e in client.get("/api/editions").json()] == ["gfcdi-2025"]


def test_a_key_given_twice_in_a_body_is_refused_naming_it(client):
    """{"industry": 1e9, "industry": 2} answered as the weight 2 (the last key won)."""
    for body in (b'{"weights": {"industry": 1e9, "industry": 2}}',
                 b'{"weights": {"industry": 2}, "weights": {"talent": 3}}'):
        r = client.post("/api/editions/gfcdi-2025/reweight", content=body,
                        headers={"content-type": "application/json"})
        assert r.status_code == 400, r.text
        key = "industry" if b"talent" not in body else "weights"
        assert r.json()["detail"] == (f"request body: the key '{key}' is given twice in one "
                                      "JSON object; give each key once [U70]")
    ok = client.post("/api/editions/gfcdi-2025/reweight", content=b'{"weights": {"industry": '
                     b'2, "talent": 2}}', headers={"content-type": "application/json"})
    assert ok.status_code == 200 and ok.json()["weights"]["industry"] == 2.0


@pytest.mark.parametrize("value", ["true", "false", '"2"', "null", "[2]"])
def test_a_weight_that_is_not_a_json_number_is_refused(client, value):
    """`true` was taken as the weight 1.0 (bool is an int to Python, a float to pydantic's
    lax mode), and "2" as 2.0."""
    r = client.post("/api/editions/gfcdi-2025/reweight",
                    content=b'{"weights": {"industry": ' + value.encode() + b"}}",
                    headers={"content-type": "application/json"})
    assert r.status_code == 422, r.text
    (error,) = r.json()["detail"]
    assert error["loc"] == ["body", "weights"]
    assert f"got 'industry': {value}" in error["msg"] and error["msg"].endswith("[U71]")


def test_a_weight_of_true_is_refused_by_the_library_too(results):
    rw = Reweighting.from_edition({"framework": json.loads(results.framework.to_json()),
                                   "methodology": results.methodology.model_dump(mode="json")},
                                  _edition_frame(results))
    with pytest.raises(fi.FintechIndexError) as info:
        rw.apply({"industry": True})
    assert info.value.codes == ("U71",)
    assert rw.apply({"industry": np.int64(2)}).weights  # a NumPy integer is a number


def _edition_frame(results):
    long = results.to_long()
    long = long[long["year"] == max(results.years)]
    return long.assign(unit_name=results.panel.units["name"].reindex(long["unit"]).to_numpy())


@pytest.fixture(scope="module")
def slash_client(tmp_path_factory):
    """An edition whose units are '../../etc/passwd', 'a/b' and 'c%2Fd'."""
    from .helpers import panel, two_level_framework
    fw = two_level_framework()
    units = ["../../etc/passwd", "a/b", "c%2Fd"]
    res = fi.build(fw, panel(fw, [[1, 2, 3, 4], [4, 3, 2, 1], [2, 2, 2, 1]], units=units),
                   fi.methodology_from_dict({"normalise": "none"}))
    path = tmp_path_factory.mktemp("slash") / "s.duckdb"
    with Store(path) as s:
        s.publish(res, "e1")
    return TestClient(create_app(path))


def test_every_unit_listed_in_a_ranking_is_reachable_at_its_percent_encoded_url(slash_client):
    """A unit code is data: '../../etc/passwd' was listed in the ranking but its URL
    answered 404. Each listed code, percent-encoded as one segment, is now answered with
    that unit (the API reads only the store, never a file named by the code)."""
    from urllib.parse import quote
    rows = slash_client.get("/api/editions/e1/ranking").json()["rows"]
    assert sorted(r["unit"] for r in rows) == ["../../etc/passwd", "a/b", "c%2Fd"]
    for row in rows:
        got = slash_client.get(f"/api/editions/e1/units/{quote(row['unit'], safe='')}")
        assert got.status_code == 200, (row, got.text)
        assert got.json()["unit"] == row["unit"]
        ranks = {n["node"]: n["rank"] for n in got.json()["nodes"]}
        assert ranks["idx"] == row["rank"]
    assert slash_client.get("/api/editions/e1/units/..%2F..%2Fetc").status_code == 404
    c = slash_client.get("/api/editions/e1/compare", params={"a": "a/b", "b": "../../etc/passwd"})
    assert c.status_code == 200 and c.json()["a"] == "a/b"


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_or_schema_violation(store_path):
    """Generated requests (schemathesis) for every operation of the OpenAPI schema: no 500,
    every status code and response body as documented."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import given, settings

    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(store_path))
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) == 9  # with the page's JSON, /index.json and /zh/index.json
    for op in operations:
        @settings(max_examples=50, deadline=None, database=None)
        @given(op.as_strategy())
        def check(case):
            case.call_and_validate()

        check()


GENERATED = itertools.count()


@settings(max_examples=25, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.function_scoped_fixture])
@given(case=builds())
def test_reweight_with_nominal_weights_is_the_build_for_generated_methodologies(case, tmp_path):
    """For generated frameworks, data and methodologies (w_budget, round, rank decimals and
    ties included), the published edition re-weighted with its own weights is the build."""
    fw, p, meth = case
    try:
        res = fi.build(fw, p, meth)
    except fi.FintechIndexError:
        assume(False)
    path = tmp_path / f"generated-{next(GENERATED)}.duckdb"
    with Store(path) as s:
        s.publish(res, "e")
    with Store(path, read_only=True) as s:
        base = Reweighting.from_edition(s.edition_inputs("e"), s.edition("e"))
    got = base.apply({})
    assert base.panel.unit_codes == res.units
    for node in [fw.index, *base.weighted_nodes]:
        k = res.nodes.index(node)
        assert bits(got.scores[node]) == bits(res.score_array[-1, :, k])
        assert bits(got.ranks[node]) == bits(res.rank_array[-1, :, k])


def test_the_api_answers_in_jsons_own_types(client, results):
    """An edition's years are a JSON list of integers (they were the string "[2024, 2025]");
    a diff's ranks are integers (they were 1.0); HEAD of the page is answered like GET (it
    was 405)."""
    eds = client.get("/api/editions").json()
    assert eds[0]["years"] == list(results.years) == [2024, 2025]
    rows = client.get("/api/diff", params={"a": "gfcdi-2025", "b": "gfcdi-2025"}).json()
    nyc = next(r for r in rows if r["unit"] == "NYC" and r["node"] == results.framework.index)
    assert nyc["rank_a"] == 1 and type(nyc["rank_a"]) is int and nyc["rank_change"] == 0
    assert nyc["score_a"] == pytest.approx(results.scores().at["NYC", 2025])
    for url in ("/", "/zh/"):
        head = client.head(url)
        assert head.status_code == 200 and head.content == b""

