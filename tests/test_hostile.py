"""Hostile input (issue 17), tested at the level of what a user or attacker sees: the files
written, the console output, the HTTP answers. Each test failed on the code before the fix."""

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import fintech_index as fi
from fintech_index.cli import app

from .helpers import declared_units, read_all

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# units and nodes a spreadsheet would run as formulas; names with rich markup and ANSI escapes
HOSTILE_UNITS = {"=1+1": "[/x] name", "@SUM(A1)": "[link=https://evil.example]x[/link]",
                 "+cmd": "\x1b[31mred\x1b[0m", "-2+3": "plain", "u5": "Five", "u6": "Six"}


def hostile_framework(tmp: Path) -> Path:
    """A framework whose codes and names are hostile: '=dimA' a spreadsheet formula,
    '[/x]' a rich closing tag."""
    fw = {"name": "[/x] hostile [bold]index", "index": {"code": "idx", "children": [
        {"code": "=dimA", "name": "[/x]", "children": [{"code": "a1"}, {"code": "a2"}]},
        {"code": "@dimB", "name": "\x1b[2J", "children": [{"code": "b1"}, {"code": "b2"}]},
    ]}, "units": declared_units(*HOSTILE_UNITS)}
    p = tmp / "hostile.yaml"
    p.write_text(yaml.safe_dump(fw, allow_unicode=True), encoding="utf-8")
    return p


def hostile_data(tmp: Path) -> Path:
    rows = []
    for k, (unit, name) in enumerate(HOSTILE_UNITS.items()):
        for year in (2024, 2025):
            for j, ind in enumerate(("a1", "a2", "b1", "b2")):
                rows.append({"unit": unit, "name": name, "region": "=HYPERLINK(\"x\")",
                             "year": year, "indicator": ind,
                             "value": float((k * 7 + j * 3 + year) % 11 + 1)})
    p = tmp / "hostile.csv"
    pd.DataFrame(rows).to_csv(p, index=False)
    return p


def _spreadsheet_formulas(folder: Path) -> list[tuple[str, int, str]]:
    """Every CSV cell under ``folder`` a spreadsheet would evaluate: starts with a formula
    character and is not a number (a negative number is fine)."""
    found = []
    for path in sorted(folder.rglob("*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for r, row in enumerate(csv.reader(f), start=1):
                for cell in row:
                    if cell.startswith(FORMULA_STARTS):
                        try:
                            float(cell)
                        except ValueError:
                            found.append((path.name, r, cell))
    return found


@pytest.mark.slow
def test_no_csv_the_package_writes_holds_a_formula(tmp_path):
    """Under pandas 3 an index has ``str`` dtype and escaped the ``object`` test: a unit
    '=1+1' reached ranking_<year>.csv, regional_leads_*.csv and the audit's files; headers
    (node '=dimA') were never checked. Every CSV of build, audit (with Sobol) and records
    aggregate is read back here."""
    fw, data = hostile_framework(tmp_path), hostile_data(tmp_path)
    runner = CliRunner()
    r = runner.invoke(app, ["build", str(fw), str(data), "--out", str(tmp_path / "b")])
    assert r.exit_code == 0, r.output
    spec = tmp_path / "ua.yaml"
    spec.write_text("seed: 1\nn: 40\nfactors: [{name: w, stage: weights, noise: 0.2}]\n")
    r = runner.invoke(app, ["audit", str(fw), str(data), "--spec", str(spec), "--sobol", "8",
                            "--out", str(tmp_path / "a")])
    assert r.exit_code == 0, r.output
    written = sorted(p.name for p in tmp_path.rglob("*.csv"))
    for expected in ("ranking_2025.csv", "regional_leads_2025.csv", "rank_probabilities.csv",
                     "uncertainty_summary.csv", "correlations_pearson.csv",
                     "p_values_spearman.csv", "sensitivity.csv", "profiles_2025.csv"):
        assert expected in written, written
    assert _spreadsheet_formulas(tmp_path / "b") == []
    assert _spreadsheet_formulas(tmp_path / "a") == []
    ranking = pd.read_csv(tmp_path / "b" / "ranking_2025.csv", index_col=0)
    assert "'=1+1" in ranking.index and "'=dimA.score" in ranking.columns


@pytest.mark.parametrize("index", [
    pd.Index(["=1+1", "x"]), pd.Index(["=1+1", "x"], dtype=object),
    pd.Index(["=1+1", "x"], dtype="string"), pd.CategoricalIndex(["=1+1", "x"]),
    pd.MultiIndex.from_tuples([("=1+1", "@a"), ("x", "y")], names=["-n", "m"])])
def test_write_csv_neutralises_every_kind_of_index_and_header(tmp_path, index):
    from fintech_index.exports import write_csv

    frame = pd.DataFrame({"=dimA": ["+cmd", "ok"], "score": [-1.5, 2.0]}, index=index)
    p = write_csv(frame, tmp_path / "x.csv", index=True)
    assert _spreadsheet_formulas(tmp_path) == []
    text = p.read_text(encoding="utf-8")
    assert "'=1+1" in text and "'=dimA" in text and "'+cmd" in text and "-1.5" in text


def test_hostile_names_print_as_text(tmp_path):
    """'[/x]' in a name crashed build with rich's MarkupError; ANSI escapes reached the
    terminal."""
    fw, data = hostile_framework(tmp_path), hostile_data(tmp_path)
    r = CliRunner().invoke(app, ["build", str(fw), str(data), "--out", str(tmp_path / "b")],
                           env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.output
    assert "[/x] name" in r.output and "\\x1b[31mred" in r.output




# ------------------------------------------------------------------------------ the store

def _small_results():
    from .helpers import panel, two_level_framework
    fw = two_level_framework()
    return fi.build(fw, panel(fw, [[1, 2, 3, 4], [2, 1, 4, 3], [3, 3, 1, 2]]),
                    fi.Methodology())


@pytest.fixture(scope="module")
def store_bytes(tmp_path_factory) -> bytes:
    from fintech_index.store import Store
    p = tmp_path_factory.mktemp("store") / "good.duckdb"
    with Store(p) as s:
        s.publish(_small_results(), "e1")
    return p.read_bytes()


def _damaged(data: bytes, seed: int) -> bytes:
    import random
    rng = random.Random(seed)
    if seed % 2:
        return data[:rng.randrange(len(data))]
    d = bytearray(data)
    for _ in range(rng.randrange(1, 30)):
        d[rng.randrange(len(d))] = rng.randrange(256)
    return bytes(d)


@pytest.mark.parametrize("seed", range(24))
def test_a_damaged_store_gives_a_coded_error_never_a_duckdb_traceback(tmp_path, store_bytes,
                                                                      seed):
    """Truncated or bit-flipped stores gave raw DuckDB errors, and a truncated store listed
    as healthy in `store ls`."""
    p = tmp_path / "s.duckdb"
    p.write_bytes(_damaged(store_bytes, seed))
    runner = CliRunner()
    for args in (["store", "ls"], ["store", "show", "e1"], ["store", "diff", "e1", "e1"]):
        r = runner.invoke(app, [*args, "--store", str(p)])
        assert "Traceback" not in r.output, (args, r.output)
        assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
        assert r.exit_code in (0, 2), (args, r.output)
        if seed % 2 and args[1] == "ls":  # every truncation is seen by ls
            assert r.exit_code == 2 and ("[S66]" in r.output or "[S02]" in r.output), r.output


def test_a_truncated_store_is_refused_with_the_sizes(tmp_path, store_bytes):
    from fintech_index.store import Store
    p = tmp_path / "s.duckdb"
    p.write_bytes(store_bytes[:-262144])
    with pytest.raises(fi.StoreError) as info:
        Store(p, read_only=True)
    assert info.value.codes == ("S66",)
    assert f"the file ends at {len(store_bytes) - 262144:,} bytes, before block" \
        in str(info.value) and f"(up to byte {len(store_bytes):,})" in str(info.value)


def test_a_duckdb_file_of_something_else_is_not_a_store(tmp_path):
    import duckdb

    from fintech_index.store import Store
    p = tmp_path / "other.duckdb"
    duckdb.connect(str(p)).execute("CREATE TABLE t (x INT)").close()
    for read_only in (True, False):
        with pytest.raises(fi.StoreError, match=r"not a fintech-index store \(tables: t; "):
            Store(p, read_only=read_only)
    tables = duckdb.connect(str(p), read_only=True).execute("SHOW TABLES").fetchall()
    assert tables == [("t",)]  # nothing was written into the other program's file


def test_an_edition_named_with_markup_publishes_and_lists(tmp_path):
    """`store publish '[/x]'` committed then crashed with MarkupError, after which every
    `store ls` crashed."""
    from fintech_index.store import Store
    p = tmp_path / "s.duckdb"
    with Store(p) as s:
        s.publish(_small_results(), "[bold red]loud[link=x] 上海")
    r = CliRunner().invoke(app, ["store", "ls", "--store", str(p)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "[bold red]loud[link=x] 上海" in r.output and "\x1b" not in r.output


@pytest.mark.parametrize("name", ["[/x]", "a/b", "../e", "x\x1b[31m", "two\nlines", "", "..",
                                  "e" * 101])
def test_edition_names_that_cannot_be_served_or_printed_are_refused(tmp_path, name):
    """Edition names with '/' published but could not be served; '[/x]' committed and then
    broke `store ls`. Refused before anything is written."""
    from fintech_index.store import Store
    p = tmp_path / "s.duckdb"
    with Store(p) as s, pytest.raises(fi.StoreError) as info:
        s.publish(_small_results(), name)
    assert info.value.codes == ("S68",)
    with Store(p, read_only=True) as s:
        assert len(s.editions()) == 0


# ------------------------------------------------------------------------------ rates

def test_a_second_conflicting_rate_is_refused_and_the_aggregate_unchanged(tmp_path):
    """`records rates` accepted a second rate for one currency and date, silently changing
    an aggregate (822M -> 3,000M USD in the issue)."""
    from .test_records import FW, RATES, RECORDS
    (tmp_path / "r.csv").write_text(RECORDS)
    (tmp_path / "fx.csv").write_text(RATES)
    (tmp_path / "fx2.csv").write_text("currency,date,usd_per_unit\nCNY,2024-06-28,0.5\n")
    s = str(tmp_path / "s.duckdb")
    runner = CliRunner()
    assert runner.invoke(app, ["records", "ingest", str(tmp_path / "r.csv"), "--store", s]
                         ).exit_code == 0
    r = runner.invoke(app, ["records", "rates", str(tmp_path / "fx.csv"), "--store", s])
    assert r.exit_code == 0, r.output
    again = runner.invoke(app, ["records", "rates", str(tmp_path / "fx.csv"), "--store", s])
    assert again.exit_code == 0 and "stored 0 new exchange rates" in again.output
    r = runner.invoke(app, ["records", "rates", str(tmp_path / "fx2.csv"), "--store", s])
    assert r.exit_code == 2 and "[S67]" in r.output and "CNY on 2024-06-28" in r.output
    from fintech_index import records
    from fintech_index.store import Store
    with Store(s, read_only=True) as st:
        v = records.aggregate(st, FW, units=["SHA"], years=[2024]).set_index(
            ["indicator", "unit", "year"])["value"]
    assert v[("invested_usd", "SHA", 2024)] == pytest.approx(515.1e6)


def test_two_rates_for_one_day_in_one_file_are_refused(tmp_path):
    from fintech_index import records
    p = tmp_path / "fx.csv"
    p.write_text("currency,date,usd_per_unit\nCNY,2024-06-28,0.137\nUSD,2024-06-28,1\n"
                 "cny,2024-06-28,0.5\nCNY,2024-06-28,0.137\n")
    with pytest.raises(fi.DataError) as info:
        records.read_rates(p)
    assert str(info.value) == ("fx.csv: row 2 and row 4: two rates for CNY on 2024-06-28 "
                               "(0.137 and 0.5); keep one [D67]")


# ------------------------------------------------------------------------------ YAML size

def deep_tree_yaml(levels: int) -> str:
    """A valid nested tree ``levels`` aggregates deep, one side indicator per level."""
    s = f"{{code: n{levels}}}"
    for i in range(levels - 1, -1, -1):
        s = f"{{code: n{i}, children: [{s}, {{code: s{i}}}]}}"
    return "index: " + s + "\n"


def flat_chain_yaml(levels: int) -> str:
    return "nodes:\n- {code: n0}\n" + "".join(
        f"- {{code: n{i}, parent: n{i - 1}}}\n- {{code: s{i}, parent: n{i - 1}}}\n"
        for i in range(1, levels + 1))


@pytest.mark.parametrize("text", [deep_tree_yaml(300), flat_chain_yaml(300)])
def test_a_300_level_tree_loads_and_builds(tmp_path, text):
    """It was refused as 'maximum recursion depth exceeded' [F03]."""
    import numpy as np
    p = tmp_path / "deep.yaml"
    p.write_text(text)
    fw = fi.load_framework(p)
    assert fw.nodes["n0"].level == 301 and len(fw.indicators) == 301
    values = np.random.default_rng(0).random((1, 3, len(fw.indicators)))
    res = fi.build(fw, fi.panel_from_arrays(values, fw, ["u0", "u1", "u2"], [2024],
                                            source="synthetic"), fi.Methodology())
    assert sorted(res.ranking()["rank"]) == [1, 2, 3]


def test_a_deeper_chain_than_the_engine_walks_is_refused(tmp_path):
    p = tmp_path / "deep.yaml"
    p.write_text(flat_chain_yaml(2000))
    with pytest.raises(fi.FrameworkError) as info:
        fi.load_framework(p)
    assert info.value.codes == ("F69",) and "321 levels below the index" in str(info.value)


def alias_bomb(levels: int = 9) -> str:
    """Under 1 KB: each line repeats the previous list ten times, 10^levels strings."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_an_alias_bomb_in_a_framework_is_refused_before_it_is_built(tmp_path):
    """A 1 KB framework repeating aliases inside from_records: ran build 208 s at 14 GB."""
    text = alias_bomb() + ("index: {code: i, children: [{code: a, from_records: {agg: count, "
                           "sector: *a8}}, {code: b}]}\n")
    assert len(text) < 1024
    p = tmp_path / "bomb.yaml"
    p.write_text(text)
    with pytest.raises(fi.FrameworkError) as info:
        fi.load_framework(p)
    assert info.value.codes == ("F68",)
    assert "bomb.yaml: over 200,000 values when its aliases are expanded" in str(info.value)


def test_aliases_that_stay_small_are_still_read(tmp_path):
    p = tmp_path / "f.yaml"
    p.write_text("index: {code: i, children: [{code: a, goalposts: &gp [0, 100]}, "
                 "{code: b, goalposts: *gp}]}\n")
    assert fi.load_framework(p).nodes["b"].goalposts == (0, 100)


def test_an_alias_bomb_in_a_methodology_or_spec_is_refused(tmp_path):
    from fintech_index.audit.engine import load_spec
    p = tmp_path / "m.yaml"
    p.write_text(alias_bomb() + "impute: {method: i_mean}\n")
    with pytest.raises(fi.MethodologyError) as info:
        fi.load_methodology(p)
    assert info.value.codes == ("M68",)
    with pytest.raises(fi.MethodologyError) as info:
        load_spec(p)
    assert info.value.codes == ("M68",)


def test_a_framework_file_over_the_size_bound_is_refused_unread(tmp_path):
    p = tmp_path / "big.yaml"
    with p.open("wb") as f:
        f.truncate(5 * 1024 * 1024)
    with pytest.raises(fi.FrameworkError, match=r"big.yaml: 5,242,880 bytes; a framework file "
                                                r"may have at most 4,194,304 \[F68\]"):
        fi.load_framework(p)


# ------------------------------------------------------------------------------ the web app

SERVER = """
import sys
from fintech_index.web.app import serve
serve(sys.argv[1], "127.0.0.1", int(sys.argv[2]), request_timeout=float(sys.argv[3]))
"""


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """A real uvicorn serving a small store, in its own process (so its memory can be read);
    yields (base url, port, pid, store path)."""
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    from fintech_index.store import Store
    p = tmp_path_factory.mktemp("web") / "s.duckdb"
    with Store(p) as s:
        s.publish(_small_results(), "e1")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(p), str(port), "0.5"])
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/api/editions", timeout=2).read()
            break
        except OSError:
            time.sleep(0.1)
    try:
        yield url, port, proc.pid, p
    finally:
        proc.terminate()
        proc.wait(10)


def _rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines()
                    if line.startswith("VmRSS:")))


def _raw_request(port: int, head: bytes, chunks=(), *, read: bool = True) -> bytes:
    """Send ``head`` and then ``chunks`` (until the server stops reading), return the
    response bytes."""
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(head)
        try:
            for c in chunks:
                s.sendall(c)
        except OSError:
            pass  # the server closed the connection after its 413
        return read_all(s) if read else b""


def test_a_chunked_body_is_counted_as_it_arrives(web):
    """The 64 KB limit read only Content-Length: a chunked 200 MB body was accepted and
    the server grew 267 -> 938 MB. Here 100 MB are offered in 1 MB chunks."""
    _, port, pid, _ = web
    before = _rss_kb(pid)
    chunk = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"
    head = (b"POST /api/editions/e1/reweight HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    response = _raw_request(port, head, (chunk for _ in range(100)))
    assert response.startswith(b"HTTP/1.1 413"), response[:200]
    assert b"request body over 65536 bytes" in response
    assert _rss_kb(pid) - before < 20_000  # kB: the body was not held


def test_security_headers_on_every_answer_and_no_cdn_docs(web):
    import urllib.error
    import urllib.request
    url = web[0]
    for path, status in (("/", 200), ("/zh/", 200), ("/index.json", 200),
                         ("/api/editions", 200), ("/api/editions/nope/ranking", 404),
                         ("/docs", 404), ("/redoc", 404), ("/openapi.json", 200)):
        try:
            r = urllib.request.urlopen(url + path, timeout=10)
        except urllib.error.HTTPError as e:
            r = e
        assert r.status == status, path
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["X-Frame-Options"] == "DENY"
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp and "http" not in csp


@pytest.mark.parametrize("weights", ['{"level": NaN}', '{"level": Infinity}',
                                     '{"level": -Infinity}', '{"level": 1e308}',
                                     '{"level": 0}', '{"level": "x"}'])
def test_reweight_refuses_weights_that_are_not_finite_positive_numbers(web, weights):
    """NaN, Infinity or 1e308 answered 200 with null scores or all-tied ranks."""
    import urllib.error
    import urllib.request
    req = urllib.request.Request(web[0] + "/api/editions/e1/reweight",
                                 data=b'{"weights": ' + weights.encode() + b"}",
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)
    assert info.value.code == 422


def test_a_slow_client_is_cut_off_after_the_header_timeout(web):
    """No header timeout: a client trickling its headers held a connection for ever."""
    import socket
    import time
    with socket.create_connection(("127.0.0.1", web[1]), timeout=10) as s:
        s.sendall(b"GET /api/editions HTTP/1.1\r\n")
        for _ in range(8):  # a header line every 0.25 s: never complete, always active
            time.sleep(0.25)
            try:
                s.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        assert s.recv(1024) == b""  # closed by the server, nothing answered


def test_serve_holds_no_lock_and_a_503_shows_no_path_or_pid(web, tmp_path):
    """serve kept its read lock for life, so every publish failed with S02 while it ran;
    a 503 during a publish showed the store's absolute path and a PID."""
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    from fintech_index.store import Store
    url, _, _, store = web
    urllib.request.urlopen(url + "/api/editions", timeout=10).read()
    with Store(store) as s:  # a writer while the server runs
        s.publish(_small_results(), "e2")
        assert set(s.editions()["name"]) == {"e1", "e2"}
    # another process holds the write lock: the app answers 503 without path or PID
    locker = subprocess.Popen([sys.executable, "-c", (
        "import sys, time\nfrom fintech_index.store import Store\n"
        "s = Store(sys.argv[1])\nprint('locked', flush=True)\ntime.sleep(30)\n"), str(store)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert locker.stdout.readline().strip() == "locked"
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(url + "/api/editions", timeout=10)
        body = info.value.read().decode()
        assert info.value.code == 503
        assert str(store.parent) not in body and "PID" not in body and "s.duckdb" in body
    finally:
        locker.terminate()
        locker.wait(10)
    names = [e["name"] for e in json.loads(
        urllib.request.urlopen(url + "/api/editions", timeout=10).read())]
    assert sorted(names) == ["e1", "e2"]


def test_serve_on_a_port_in_use_is_a_coded_error(tmp_path, web):
    from fintech_index.store import Store
    with Store(tmp_path / "s.duckdb"):
        pass
    r = CliRunner().invoke(app, ["serve", "--store", str(tmp_path / "s.duckdb"), "--port",
                                 str(web[1])])
    assert r.exit_code == 2 and "[U66]" in r.output and "Traceback" not in r.output


# ------------------------------------------------------------------------------ publishing

def hostile_results(tmp: Path, framework_name: str = "Index\n\n= with a blank line #x"):
    """Units '../../escaped', 'Sao Paulo' and 'Sao-Paulo' (two cities, two papers), and one
    unit without any value on dimension B, aggregated with na_rm (its B score is missing)."""
    import numpy as np
    units = {"../../escaped": "../../escaped", "SPA": "Sao Paulo", "SPB": "Sao-Paulo",
             "u4": "Four", "u5": "Five"}
    fw = fi.framework_from_dict({"name": framework_name, "index": {"code": "idx", "children": [
        {"code": "A", "name": "Dim *A*", "children": [{"code": "a1"}, {"code": "a2"}]},
        {"code": "B", "name": "Dim $B$", "children": [{"code": "b1"}, {"code": "b2"}]}]},
        "units": declared_units(*units)}, "hostile.yaml")
    rows = []
    rng = np.random.default_rng(3)
    for unit, name in units.items():
        for year in (2024, 2025):
            for ind in ("a1", "a2", "b1", "b2"):
                value = "" if unit == "u4" and ind.startswith("b") else rng.uniform(1, 9)
                rows.append({"unit": unit, "name": name, "year": year, "indicator": ind,
                             "value": value})
    data = tmp / "d.csv"
    pd.DataFrame(rows).to_csv(data, index=False)
    meth = fi.methodology_from_dict({"aggregate": {"method": "a_amean", "na_rm": True}},
                                    "m.yaml")
    return fi.build(fw, fi.load_panel(data, fw), meth)


@pytest.mark.slow
def test_published_files_stay_inside_their_folders_and_never_collide(tmp_path):
    """A unit named '../../escaped' wrote outside the site folder; 'Sao-Paulo' and
    'Sao Paulo' wrote one file for two papers; a framework name with a blank line, or a
    missing dimension score under na_rm (bar width 'nancm'), made Typst fail."""
    import re as regex

    from fintech_index.publish import publish_all
    res = hostile_results(tmp_path)
    assert np_isnan(res.scores("B").at["u4", 2025])
    out = tmp_path / "deep" / "out"
    out.mkdir(parents=True)
    before = {p for p in tmp_path.rglob("*")}
    written = publish_all(res, site=out / "site", pdf=out / "papers",
                          cities=["../../escaped", "SPA", "SPB", "u4"])
    created = {p for p in tmp_path.rglob("*")} - before
    for p in created | set(written):
        assert p.resolve().is_relative_to(out.resolve()), p
    assert not (tmp_path / "escaped.html").exists()
    papers = sorted(p.name for p in (out / "papers").iterdir())
    assert len(papers) == 5 and len(set(papers)) == 5  # the top ten (all five) and cities
    assert "Sao_Paulo_SPA_white_paper_2025.pdf" in papers  # one name: the codes added
    assert "Sao_Paulo_SPB_white_paper_2025.pdf" in papers
    assert "______escaped_white_paper_2025.pdf" in papers
    # every link of the ranking page leads to a page that exists
    index = (out / "site" / "index.html").read_text(encoding="utf-8")
    links = regex.findall(r'href="(city/[^"]+)"', index)
    assert len(links) == 5 and all((out / "site" / link).is_file() for link in links)


def np_isnan(v) -> bool:
    return v != v


# ------------------------------------------------------------------------------ careless input

FLAT_FW = {"index": {"code": "i", "children": [{"code": "a"}, {"code": "b"}]}}


def test_excel_errors_and_uncalculated_formulas_are_not_read_as_missing(tmp_path):
    """A '#DIV/0!' cell or a formula without a cached value became missing silently."""
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["unit", "year", "a", "b"])
    ws.append(["X", 2024, 1, "#DIV/0!"])  # openpyxl stores this as an error cell
    ws.append(["Y", 2024, "=B2*2", 3])  # a formula openpyxl cannot calculate
    ws.append(["Z", 2024, 2, 4])
    p = tmp_path / "d.xlsx"
    wb.save(p)
    fw = fi.framework_from_dict(FLAT_FW, "f.yaml")
    with pytest.raises(fi.DataError) as info:
        fi.load_panel(p, fw)
    assert str(info.value).splitlines() == [
        "d.xlsx: sheet 'Data', cell D2: #DIV/0! is a spreadsheet error, not a value; correct "
        "the formula or leave the cell empty for a missing value [D70]",
        "d.xlsx: sheet 'Data', cell C3: formula =B2*2 has no computed value in the file "
        "(saved by a program that does not calculate); open and save it in Excel or "
        "LibreOffice [D71]"]


def test_a_long_file_without_its_value_column_says_so(tmp_path):
    """It was read as a wide file and reported as duplicate rows."""
    p = tmp_path / "d.csv"
    p.write_text("unit,year,indicator,val\nX,2024,a,1\nX,2024,b,2\n")
    with pytest.raises(fi.DataError) as info:
        fi.load_panel(p, fi.framework_from_dict(FLAT_FW, "f.yaml"))
    assert info.value.codes == ("D69",)
    assert "column 'value' is missing" in str(info.value)


def test_a_mistyped_unit_gets_a_suggestion(tmp_path):
    fw = fi.framework_from_dict(dict(FLAT_FW, units=[{"code": "SHA"}, {"code": "BJS"}]),
                                "f.yaml")
    p = tmp_path / "d.csv"
    p.write_text("unit,year,a,b\nSHA,2024,1,2\nSAH,2024,3,4\nBJS,2024,5,6\n")
    with pytest.raises(fi.DataError) as info:
        fi.load_panel(p, fw)
    assert str(info.value) == ("d.csv: row 3, column 'unit': 'SAH' is not a unit of the "
                               "framework (did you mean 'SHA'? known: SHA, BJS) [D20]")


@pytest.mark.parametrize("text, expected", [
    ("normalize: {method: n_minmax}\n",
     "m.yaml: unknown field 'normalize' (did you mean 'normalise'?) [M05]"),
    ("round: {i: -400}\n",
     "m.yaml: field 'round.i': Input should be greater than or equal to 0 (got -400) [M05]"),
    ("normalise: {method: n_minmx}\n",
     "m.yaml: normalise (default): unknown normalise method 'n_minmx' (did you mean "
     "'n_minmax'? accepted: "),
    ("treat: {method: winsorise, winmaxx: 5}\n",
     "m.yaml: treat (default): method 'winsorise' has no parameter(s) ['winmaxx']"),
])
def test_methodology_errors_name_their_file_and_suggest(tmp_path, text, expected):
    """[M06] and [M10] did not name the file; `normalize:` got no 'did you mean';
    `round: {idx: -400}` emptied the index and exited 0."""
    p = tmp_path / "m.yaml"
    p.write_text(text)
    with pytest.raises(fi.MethodologyError) as info:
        fi.load_methodology(p).check(fi.framework_from_dict(FLAT_FW, "f.yaml"))
    assert str(info.value).startswith(expected), str(info.value)


@pytest.mark.parametrize("args", [["audit", "--spec", "ua.yaml", "--n", "-5"],
                                  ["audit", "--spec", "ua.yaml", "--sobol", "-3"],
                                  ["serve", "--port", "99999"], ["serve", "--port", "0"]])
def test_out_of_range_numbers_are_usage_errors_not_tracebacks(args):
    """--n -5 (ValueError), --sobol -3 (NaN to integer), --port 99999 (OverflowError)
    exited 1 with a traceback."""
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and "Invalid value for '--" in r.output
    assert "[U80]" in r.output


def test_a_spec_with_a_negative_n_is_refused(tmp_path):
    from fintech_index.audit.engine import load_spec
    p = tmp_path / "ua.yaml"
    p.write_text("n: -5\n")
    with pytest.raises(fi.MethodologyError, match=r"ua.yaml: field 'n': Input should be "
                                                  r"greater than or equal to 1 \(got -5\) "):
        load_spec(p)


def test_publish_refuses_what_it_cannot_use(tmp_path):
    """`publish --audit missing.csv` (FileNotFoundError), an audit of another index
    (KeyError 'rank_p05', or a blank interval column), and `publish` with no output, which
    wrote nothing and exited 0."""
    runner = CliRunner()
    r = runner.invoke(app, ["publish", "e"])
    assert r.exit_code == 2 and "[U67]" in r.output
    r = runner.invoke(app, ["publish", "e", "--site", str(tmp_path / "s"), "--audit",
                            str(tmp_path / "missing.csv")])
    assert r.exit_code == 2 and "[D72]" in r.output and "missing.csv" in r.output
    other = tmp_path / "uncertainty_summary.csv"
    other.write_text("unit,nominal_rank,median_rank,rank_p05,rank_p95\nAUT,1,1,1,2\n"
                     "BEL,2,2,1,3\n")
    r = runner.invoke(app, ["publish", "e", "--site", str(tmp_path / "s"), "--audit",
                            str(other)])
    assert r.exit_code == 2 and "[D73]" in r.output and "an audit of another" in r.output
    other.write_text("unit,score\nSHA,1\n")
    r = runner.invoke(app, ["publish", "e", "--xlsx", str(tmp_path / "x.xlsx"), "--audit",
                            str(other)])
    assert r.exit_code == 2 and "columns ['rank_p05', 'rank_p95', 'median_rank'] are " \
        "missing" in r.output
    assert not (tmp_path / "s").exists() and not (tmp_path / "x.xlsx").exists()


def test_store_show_of_an_unknown_node_names_the_nodes(tmp_path):
    """`store show E --node bogus` raised IndexError."""
    from fintech_index.store import Store
    with Store(tmp_path / "s.duckdb") as s:
        s.publish(_small_results(), "e1")
    r = CliRunner().invoke(app, ["store", "show", "e1", "--node", "idz", "--store",
                                 str(tmp_path / "s.duckdb")])
    assert r.exit_code == 2 and "[S69]" in r.output
    assert "has no node 'idz' (did you mean 'idx'? nodes: A, B, idx, x1" in r.output


def test_build_and_validate_read_the_sheet_asked_for(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["nothing here"])
    ws = wb.create_sheet("Data")
    ws.append(["unit", "year", "a", "b"])
    for k, u in enumerate(("X", "Y", "Z")):
        ws.append([u, 2024, k + 1, 3 - k])
    wb.save(tmp_path / "d.xlsx")
    fw = tmp_path / "f.yaml"
    fw.write_text(yaml.safe_dump(dict(FLAT_FW, units=declared_units("X", "Y", "Z"))))
    runner = CliRunner()
    r = runner.invoke(app, ["validate", str(fw), str(tmp_path / "d.xlsx"), "--sheet", "Data"])
    assert r.exit_code == 0 and "3 units, 1 years" in r.output, r.output
    r = runner.invoke(app, ["build", str(fw), str(tmp_path / "d.xlsx"), "--sheet", "Data",
                            "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert pd.read_csv(tmp_path / "o" / "ranking_2024.csv", index_col=0).shape[0] == 3
    r = runner.invoke(app, ["validate", str(fw), str(tmp_path / "d.xlsx"), "--sheet", "Dat"])
    assert r.exit_code == 2 and "[D07]" in r.output


@pytest.mark.slow
def test_the_readme_store_and_publish_commands_run_in_order(tmp_path, monkeypatch):
    """`store publish gfcdi-2025` then `publish gfcdi-2025 ... --store` failed (S03): the
    documented commands (the README's, now docs/publishing.md) run here as written, in
    order."""
    import re as regex
    import shlex
    readme = (Path(__file__).resolve().parents[1] / "docs" / "publishing.md").read_text(
        encoding="utf-8")
    blocks = regex.findall(r"```bash\n(.*?)```", readme, flags=regex.S)
    lines = [line.split("  #")[0].strip() for b in blocks for line in b.splitlines()]
    wanted = [line for line in lines if line.startswith((
        "fintech-index store publish gfcdi-2025 ", "fintech-index publish gfcdi-2025 "))
        or line == "fintech-index store publish gfcdi-2025"]
    assert [w.split()[1] for w in wanted] == ["store", "publish"], wanted
    monkeypatch.chdir(tmp_path)
    for line in wanted:
        r = CliRunner().invoke(app, shlex.split(line)[1:])
        assert r.exit_code == 0, (line, r.output)
    assert (tmp_path / "out" / "site" / "index.html").is_file()
    assert (tmp_path / "out" / "gfcdi.xlsx").is_file()


def test_an_empty_path_is_a_missing_file_not_a_traceback(tmp_path, monkeypatch):
    """Found by the CLI fuzz of benchmarks/robustness.py: '' is '.', a folder, and reading
    it raised IsADirectoryError."""
    monkeypatch.chdir(tmp_path)
    fw = tmp_path / "f.yaml"
    fw.write_text(yaml.safe_dump(FLAT_FW))
    (tmp_path / "d.csv").write_text("unit,year,a,b\nX,2024,1,2\n")
    runner = CliRunner()
    r = runner.invoke(app, ["validate", str(fw), ""])
    assert r.exit_code == 2 and "[D01]" in r.output and "it is a folder" in r.output
    r = runner.invoke(app, ["build", "", str(tmp_path / "d.csv")])
    assert r.exit_code == 2 and "[F01]" in r.output
    r = runner.invoke(app, ["validate", str(fw), str(tmp_path / "d.csv"), "-m", ""])
    assert r.exit_code == 2 and "[M01]" in r.output


def _validate_against_units(tmp_path, second_row: str):
    """``validate --units`` of a flat framework and five data rows, the third with the
    mistyped code SAH, against a units table of SHA and BJS; ``second_row``: SHA's b."""
    fw = tmp_path / "f.yaml"
    fw.write_text(yaml.safe_dump(FLAT_FW))
    (tmp_path / "d.csv").write_text(f"unit,year,indicator,value\nSHA,2024,a,1\n{second_row}\n"
                                    "SAH,2024,a,3\nBJS,2024,a,5\nBJS,2024,b,6\n")
    (tmp_path / "units.csv").write_text("code,name\nSHA,Shanghai\nBJS,Beijing\n")
    return CliRunner().invoke(app, ["validate", str(fw), str(tmp_path / "d.csv"), "--units",
                                    str(tmp_path / "units.csv")])


def test_a_mistyped_unit_is_refused_against_a_units_table(tmp_path):
    """'SAH' for 'SHA' passed validate and was ranked with one indicator: with --units the
    data's units must be in the table, and the closest code is suggested."""
    r = _validate_against_units(tmp_path, "SHA,2024,b,2")
    assert r.exit_code == 2 and "[D24]" in r.output
    assert "'SAH' is not in the units table" in r.output and "did you mean 'SHA'?" in r.output


def test_validate_lists_a_mistyped_unit_and_a_text_value_each_at_its_row(tmp_path):
    """A code typed wrong and a text value in one file: validate listed only the text value,
    and the typo named the units table, not the data file and row [D24]. Now both, each with
    the data file, row and column, in the order of the file's problems."""
    r = _validate_against_units(tmp_path, "SHA,2024,b,two")
    assert r.exit_code == 2
    lines = [x for x in r.output.splitlines() if x.startswith("d.csv")]
    assert lines == [
        "d.csv: row 3, column 'value': 'two' is not a number (accepted: a number, or empty/NA "
        "for a missing value) [D15]",
        "d.csv: row 4, column 'unit': 'SAH' is not in the units table units.csv (did you "
        "mean 'SHA'? known: SHA, BJS) [D24]"]


@pytest.mark.parametrize("seed", range(6))
def test_a_damaged_store_answers_503_never_500(tmp_path, store_bytes, seed):
    """70 of 150 corruptions gave 500s from the API."""
    from fastapi.testclient import TestClient

    from fintech_index.web.app import create_app
    p = tmp_path / "s.duckdb"
    p.write_bytes(_damaged(store_bytes, seed))
    client = TestClient(create_app(p), raise_server_exceptions=False)
    for path in ("/", "/zh/", "/index.json", "/api/editions", "/api/editions/e1/ranking",
                 "/api/editions/e1/units/u0", "/api/diff?a=e1&b=e1",
                 "/api/editions/e1/methodology"):
        r = client.get(path)
        assert r.status_code in (200, 404, 503), (path, r.status_code, r.text)
        assert str(tmp_path) not in r.text


def test_the_bundled_cities_table_catches_a_mistyped_city_in_the_fintech_data(tmp_path):
    """The bundled cities.csv works as a --units table (its country_iso3 column was refused as
    unknown [D23]), so 'SAH' typed for Shanghai in the fintech data is refused with the
    suggestion instead of being ranked as a city of its own."""
    from typer.testing import CliRunner

    from fintech_index.cli import app
    from fintech_index.examples import datasets_dir

    folder = datasets_dir() / "fintech"
    rows = (folder / "fintech.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    data = tmp_path / "data.csv"
    data.write_text("".join("SAH" + r[3:] if r.startswith("SHA,") else r for r in rows),
                    encoding="utf-8")
    r = CliRunner().invoke(app, ["validate", str(folder / "fintech_2025.yaml"), str(data),
                                 "--units", str(folder / "cities.csv")])
    assert r.exit_code == 2, r.output
    assert "[D24]" in r.output and "'SAH' is not in the units table" in r.output
    assert "(did you mean 'SHA'?" in r.output


def test_a_framework_declares_its_units_table_and_a_mistyped_city_is_refused(tmp_path):
    """The bundled frameworks declare `units_file: cities.csv`: 'SAH' typed for Shanghai in
    the data is refused with the suggestion even without --units (it was ranked as a city of
    its own, with Shanghai imputed, without a word); the correct data still load."""
    import fintech_index as fi
    from fintech_index.examples import datasets_dir

    folder = datasets_dir() / "fintech"
    fw = fi.load_framework(folder / "fintech_2025.yaml")
    assert fw.units_file == str(folder / "cities.csv")
    assert "SHA" in fi.load_panel(folder / "fintech.csv", fw).unit_codes
    rows = (folder / "fintech.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    data = tmp_path / "data.csv"
    data.write_text("".join("SAH" + r[3:] if r.startswith("SHA,") else r for r in rows),
                    encoding="utf-8")
    with pytest.raises(fi.DataError) as info:
        fi.load_panel(data, fw)
    assert "D24" in info.value.codes and "'SAH' is not in the units table" in str(info.value)
    assert "(did you mean 'SHA'?" in str(info.value)


def test_a_framework_units_list_loads_with_every_unit_column(tmp_path):
    """A framework's `units:` list is read for every column a units table may carry
    (country_iso3 was accepted in a units file but raised AttributeError from a
    framework's list, found by benchmarks/robustness.py --cli)."""
    import fintech_index as fi

    fw_path = tmp_path / "fw.yaml"
    fw_path.write_text("index: {code: i, children: [{code: a}, {code: b}]}\n"
                       "units: [{code: SHA, name: Shanghai, country_iso3: CHN}, {code: BJS}]\n")
    data = tmp_path / "d.csv"
    data.write_text("unit,year,a,b\nSHA,2024,1,2\nBJS,2024,3,4\n")
    panel = fi.load_panel(data, fi.load_framework(fw_path))
    assert panel.units.at["SHA", "country_iso3"] == "CHN"
    assert panel.units.at["SHA", "name"] == "Shanghai"
