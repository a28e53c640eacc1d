"""Robustness figures.

1. Interrupted writes: TRIALS writer processes publish an edition (synthetic results,
   about 1.3 million rows) or ingest records (synthetic, 500,000 rows) into one store and are
   killed with SIGKILL at a random moment; after each kill the store must open and hold every
   complete edition / batch and no partial one.
2. Fuzzing: generated inputs for every loader and parser (hypothesis): CSV, Excel and Parquet
   panels (built cell by cell, and valid files with damaged bytes), records, framework,
   methodology and uncertainty spec. The only exceptions allowed out are FintechIndexError
   subclasses whose every line names the file and carries a code of docs/errors.md; a
   warning counts as an escape (it may hide a value bent silently).
3. Coverage-guided fuzzing of the same loaders on mutated bytes (atheris, libFuzzer), by
   benchmarks/fuzz_atheris.py.
4. The surfaces (issue 17): generated command lines for every CLI command (exit 0, or 2
   with a catalogued code; never a traceback); generated requests to a real uvicorn
   (hostile paths and queries, re-weighting bodies with Content-Length or chunked; no
   5xx, every request answered; the server's memory, and a 200 MB chunked body); every
   CSV writer (generated frames, and build and audit with formula-named units and nodes;
   no cell a spreadsheet evaluates); the cost of hitting the size bounds (an alias bomb,
   n = 30,000,000).
5. Slow bodies (issue 22): N clients send POST headers and then one body byte every 4 s
   against a real `serve`: how each ended, the server's sockets and memory, the API's
   answers during and after.
6. Excel zip bombs (issue 22): a .xlsx whose sheet is 3.2 GB of whitespace and one of
   2,000,000 identical rows; time and peak memory of ``validate`` refusing each.
Run: python benchmarks/robustness.py [--trials 100] [--fuzz 10000] [--atheris 10000]
     [--cli 500] [--web 2000] [--csv 2000] [--slow 5000] [--bombs 1]   (0 skips a part)
"""

from __future__ import annotations

import argparse
import io
import os
import pickle
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import fintech_index as fi
from fintech_index.store import Store

WRITER = r"""
import pickle, sys
import numpy as np, pandas as pd
from fintech_index.store import Store
from fintech_index import records
kind, store, name, payload = sys.argv[1:5]
obj = pickle.load(open(payload, "rb"))
with Store(store) as s:
    if kind == "publish":
        s.publish(obj, name)
    else:
        records.ingest(s, obj, name)
print("done", flush=True)
"""


def synthetic_results() -> fi.build:
    """Synthetic results: 2,000 units x 10 years x 50 indicators (named synthetic)."""
    pillars = [{"code": f"P{p}", "children": [{"code": f"x{p}_{i}"} for i in range(5)]}
               for p in range(10)]
    fw = fi.framework_from_dict({"index": {"code": "synthetic", "children": pillars}})
    rng = np.random.default_rng(0)
    values = rng.uniform(0, 100, (10, 2000, 50))
    panel = fi.panel_from_arrays(values, fw, [f"u{i}" for i in range(2000)],
                                 range(2015, 2025), source="synthetic")
    return fi.build(fw, panel)


def synthetic_records(n: int = 500_000):
    import pandas as pd

    rng = np.random.default_rng(1)
    return pd.DataFrame({"institution": np.char.add("i", rng.integers(0, n, n).astype(str)),
                         "unit": np.char.add("u", rng.integers(0, 100, n).astype(str)),
                         "district": None, "sector": "fintech",
                         "year": rng.integers(2015, 2025, n), "amount": rng.uniform(0, 1, n),
                         "currency": "USD", "source": "synthetic"})


def check(store: Path, rows_per_edition: int, rows_per_batch: int) -> tuple[int, int, int]:
    """(complete editions, complete batches, partial things found) in the store."""
    with Store(store) as s:
        eds = s.con.execute("SELECT e.name, count(r.edition) FROM editions e LEFT JOIN "
                            "edition_results r ON r.edition = e.name GROUP BY e.name").fetchall()
        orphans = s.con.execute("SELECT count(*) FROM edition_results WHERE edition NOT IN "
                                "(SELECT name FROM editions)").fetchone()[0]
        batches = s.con.execute("SELECT batch, count(*) FROM records GROUP BY batch").fetchall()
    partial = orphans + sum(1 for _, n in eds if n != rows_per_edition) + sum(
        1 for _, n in batches if n != rows_per_batch)
    return len(eds), len(batches), partial


def interrupted_writes(trials: int) -> None:
    res = synthetic_results()
    recs = synthetic_records()
    rows_ed, rows_rec = len(res.to_long()), len(recs)
    rng = random.Random(2026)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store = tmp / "s.duckdb"
        payloads = {"publish": tmp / "res.pkl", "ingest": tmp / "rec.pkl"}
        pickle.dump(res, open(payloads["publish"], "wb"))
        pickle.dump(recs, open(payloads["ingest"], "wb"))
        durations = {}
        for kind in payloads:  # time a complete write of each kind, without a kill
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", WRITER, kind, str(store), f"{kind}-full",
                            str(payloads[kind])], check=True, capture_output=True)
            durations[kind] = time.perf_counter() - t
        opened = completed = killed = bad = 0
        for trial in range(trials):
            kind = "publish" if trial % 2 == 0 else "ingest"
            proc = subprocess.Popen([sys.executable, "-c", WRITER, kind, str(store),
                                     f"{kind}-{trial}", str(payloads[kind])],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, durations[kind]))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            # a SIGKILL sent as the writer exits lands too late: it finished first
            killed += proc.returncode == -signal.SIGKILL
            completed += proc.returncode == 0
            try:
                _, _, partial = check(store, rows_ed, rows_rec)
                opened += 1
                bad += partial > 0
            except Exception as e:  # noqa: BLE001 - a store that does not open is the figure
                print(f"  trial {trial}: the store did not open: {e}")
        eds, batches, partial = check(store, rows_ed, rows_rec)
    print(f"interrupted writes: {trials} trials ({killed} killed mid-run, {completed} "
          f"finished first); full write times: publish {durations['publish']:.2f} s "
          f"({rows_ed:,} rows), ingest {durations['ingest']:.2f} s ({rows_rec:,} rows)")
    print(f"  store opened after {opened} of {trials} trials; trials leaving a partial "
          f"edition or batch: {bad}; at the end {eds} complete editions, {batches} complete "
          f"batches, {partial} partial")


def fuzz(n: int) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    # the data's units must be declared (issue 17): X and Y are, any other code is refused
    fw = fi.framework_from_dict({"units": [{"code": "X"}, {"code": "Y"}], "index": {
        "code": "i", "children": [{"code": "a"}, {"code": "b", "direction": -1}]}})
    cells = st.one_of(st.text(max_size=8), st.integers(-10**6, 10**6).map(str),
                      st.floats(allow_nan=True).map(repr), st.sampled_from(
                          ["", "NA", "..", "a", "b", "x", "X", "Y", "2024", "1e309", "-0",
                           "=1+1"]))
    rows = st.lists(st.lists(cells, min_size=0, max_size=7), min_size=0, max_size=6)
    header = st.sampled_from(["unit,year,a,b", "unit,year,indicator,value",
                              "unit,year,indicator,value,source,source_year", "unit,a,b", ""])
    tmp = Path(tempfile.mkdtemp())
    counts: dict[str, list[int]] = {}

    def run(name: str, fn, content: str | bytes, suffix: str) -> None:
        p = tmp / f"fuzz{suffix}"
        if isinstance(content, bytes):
            p.write_bytes(content)
        else:
            p.write_text(content, encoding="utf-8")
        counts.setdefault(name, [0, 0])[0] += 1
        try:
            problem = refusal_problem(fn, p)
            if problem:
                counts[name][1] += 1
                print(f"  {name}: {problem}"[:300])
        except Exception as e:  # noqa: BLE001 - the figure is how many escape
            counts[name][1] += 1
            print(f"  {name}: {type(e).__name__}: {e}; input: {content!r}"[:400])

    def csv_text(h, rs):
        return h + "\n" + "\n".join(",".join('"' + c.replace('"', '""') + '"' for c in r)
                                    for r in rs) + "\n"

    from fintech_index import records
    from fintech_index.audit.engine import load_spec

    yaml_values = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(),
                                         st.text(max_size=6)),
                               lambda c: st.one_of(st.lists(c, max_size=3),
                                                   st.dictionaries(st.sampled_from(
                                                       ["code", "name", "children", "weight",
                                                        "index", "nodes", "method", "params",
                                                        "factors", "stage", "options", "x",
                                                        "units", "groups", "denominators",
                                                        "meta", "parent", "goalposts",
                                                        "from_records", "by_node", "n"]),
                                                       c, max_size=4)), max_leaves=12)
    opts = settings(max_examples=n, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))

    @opts
    @given(header, rows)
    def panel(h, rs):
        run("panel CSV (long and wide)", lambda p: fi.load_panel(p, fw), csv_text(h, rs), ".csv")

    @opts
    @given(st.sampled_from(["institution,unit,sector,year",
                            "institution,unit,sector,year,amount,currency", "x"]), rows)
    def recs(h, rs):
        run("records CSV", records.read_records, csv_text(h, rs), ".csv")

    import yaml

    @opts
    @given(yaml_values)
    def framework(v):
        run("framework YAML", fi.load_framework, yaml.safe_dump(v), ".yaml")

    tree = {"index": {"code": "i", "children": [{"code": "a"}, {"code": "b"}]}}

    @opts
    @given(st.dictionaries(st.sampled_from(["units", "groups", "denominators", "meta",
                                            "name"]), yaml_values, min_size=1))
    def framework_top(v):  # a valid tree, so that the checks after it are reached
        run("framework YAML (valid tree)", fi.load_framework, yaml.safe_dump({**tree, **v}),
            ".yaml")

    @opts
    @given(yaml_values)
    def methodology(v):
        run("methodology YAML", fi.load_methodology, yaml.safe_dump(v), ".yaml")

    @opts
    @given(yaml_values)
    def spec(v):
        run("uncertainty spec YAML", load_spec, yaml.safe_dump(v), ".yaml")

    excel_cells = st.one_of(
        st.none(), st.booleans(), st.integers(-10**15, 10**15), st.floats(),
        st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc")), max_size=8),
        st.sampled_from(["", "NA", "..", "a", "b", "2024", "=1+1", " 3 "]),
        st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)))
    headers = header.map(lambda h: h.split(",") if h else [])
    sheet_rows = st.lists(st.lists(excel_cells, max_size=7), max_size=6)

    @opts
    @given(headers, sheet_rows)
    def excel(h, rs):
        run("panel Excel", lambda p: fi.load_panel(p, fw), xlsx_bytes([h, *rs]), ".xlsx")

    @opts
    @given(st.sampled_from(["string", "int64", "float64", "bool", "timestamp", "null"]).flatmap(
        lambda kind: st.tuples(st.just(kind), parquet_values(kind))), headers, st.data())
    def parquet(first, h, data):
        columns = {}
        for name in h or ["unit"]:
            kind, values = first if not columns else data.draw(
                st.sampled_from(PARQUET_KINDS).flatmap(
                    lambda k: st.tuples(st.just(k), parquet_values(k, len(first[1])))))
            columns[name] = pa.array(values, type=PARQUET_TYPES[kind])
        if len(set(columns)) != len(columns):
            return
        run("panel Parquet", lambda p: fi.load_panel(p, fw), parquet_bytes(pa.table(columns)),
            ".parquet")

    base_xlsx = xlsx_bytes([["unit", "year", "a", "b"], ["X", 2024, 1.5, 2], ["Y", 2024, 3, 4]])
    base_parquet = parquet_bytes(pa.table({"unit": ["X", "Y"], "year": [2024, 2024],
                                           "a": [1.5, 3.0], "b": [2.0, 4.0]}))

    def mutations(base: bytes):
        return st.tuples(st.integers(0, len(base)),
                         st.lists(st.tuples(st.integers(0, len(base) - 1), st.integers(0, 255)),
                                  max_size=8)).map(lambda m: mutate(base, *m))

    @opts
    @given(mutations(base_xlsx))
    def excel_bytes(content):
        run("panel Excel (damaged bytes)", lambda p: fi.load_panel(p, fw), content, ".xlsx")

    @opts
    @given(mutations(base_parquet))
    def parquet_damaged(content):
        run("panel Parquet (damaged bytes)", lambda p: fi.load_panel(p, fw), content,
            ".parquet")

    for test in (panel, recs, framework, framework_top, methodology, spec, excel,
                 excel_bytes, parquet, parquet_damaged):
        test()
    print(f"fuzzing ({n:,} generated inputs per target):")
    for name, (tried, failed) in counts.items():
        print(f"  {name:<30} tried {tried:>7,}  escaped, unplaced or uncatalogued {failed}")


CATALOGUE = set(re.findall(r"^### ([UFDMAS]\d\d) ", (Path(__file__).parents[1] / "docs"
                                                      / "errors.md").read_text(), re.M))


def refusal_problem(loader, path: Path) -> str:
    """Load ``path``, warnings as errors (a warning may hide a value bent silently): '' if
    the file is accepted or refused as the bar requires, else what is wrong with the refusal.
    Any other exception propagates: it escaped."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            loader(path)
    except fi.FintechIndexError as e:
        problem = unplaced(e, path)
        return f"{problem}: {e}" if problem else ""
    return ""


def unplaced(e: fi.FintechIndexError, path: Path) -> str:
    """Why an error fails the bar, or '': every line must name the file and end with a code
    the catalogue explains (the code says which place it names: row, column, field...)."""
    for line in str(e).splitlines():
        if line.startswith("... and "):
            continue
        if path.name not in line:
            return "a line without the file name"
        code = re.search(r"\[([UFDMAS]\d\d)\]$", line)
        if not code or code.group(1) not in CATALOGUE:
            return "a line without a catalogued code"
    return ""


PARQUET_KINDS = ["string", "int64", "float64", "bool", "timestamp", "null"]
PARQUET_TYPES = {"string": pa.string(), "int64": pa.int64(), "float64": pa.float64(),
                 "bool": pa.bool_(), "timestamp": pa.timestamp("us"), "null": pa.null()}


def parquet_values(kind: str, size: int | None = None):
    from hypothesis import strategies as st

    one = {"string": st.text(max_size=6) | st.sampled_from(["X", "2024", "NA", "a"]),
           "int64": st.integers(-2**63, 2**63 - 1) | st.sampled_from([2024, 2025, 0]),
           "float64": st.floats(), "bool": st.booleans(),
           "timestamp": st.datetimes(min_value=datetime(1700, 1, 1)),
           "null": st.none()}[kind]
    one = one if kind == "null" else st.one_of(st.none(), one)
    return st.lists(one, min_size=size or 0, max_size=size if size is not None else 5)


def xlsx_bytes(rows: list[list]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for r in rows:
        book.active.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def parquet_bytes(table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def mutate(base: bytes, cut: int, flips: list[tuple[int, int]]) -> bytes:
    """``base`` with bytes overwritten, then truncated at ``cut`` (a damaged download)."""
    b = bytearray(base)
    for pos, value in flips:
        b[pos] = value
    return bytes(b[:cut])


def coverage_guided(runs: int) -> None:
    """benchmarks/fuzz_atheris.py on every target, ``runs`` libFuzzer runs each."""
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("coverage-guided fuzzing skipped: atheris is not installed "
              "(pip install -e '.[bench]')")
        return
    print(f"coverage-guided fuzzing (atheris/libFuzzer, {runs:,} runs per target):")
    script = Path(__file__).with_name("fuzz_atheris.py")
    for target in ("csv", "xlsx", "parquet", "records", "framework", "methodology", "spec"):
        t = time.perf_counter()
        r = subprocess.run([sys.executable, str(script), target, f"-runs={runs}", "-seed=1"],
                           capture_output=True, text=True)
        done = re.search(r"Done (\d+) runs", r.stderr)
        crash = "" if r.returncode == 0 else (re.findall(r"^\w*Error: .*$", r.stderr, re.M)
                                              or [f"exit {r.returncode}"])[-1]
        print(f"  {target:<12} runs {int(done.group(1)) if done else 0:>7,}  "
              f"crashes {0 if r.returncode == 0 else 1}  {time.perf_counter() - t:5.1f} s"
              + (f"  {crash}"[:300] if crash else ""))


# ------------------------------------------------------------------- the package's surfaces

HOSTILE_TEXT = ["", "[/x]", "[link=https://evil.example]x[/link]", "../../escaped", "a/b",
                "\x1b[31m", "=1+1", "@SUM(A1)", "+cmd", "-2+3", "nan", "inf", "-5", "0",
                "99999", "1e309", "idx", "e1", "x1", "SHA", "Sao Paulo", "\u202e", "\n"]


def _surface_files(tmp: Path) -> dict[str, str]:
    """Small valid inputs for the CLI fuzz (synthetic): framework, data, spec, a store
    holding edition 'e1', rates, records, a damaged store."""
    fw = {"name": "[/x] synthetic", "units": [{"code": u} for u in ("u0", "u1", "u2")],
          "index": {"code": "idx", "children": [
              {"code": "A", "children": [{"code": "x1"}, {"code": "x2"}]},
              {"code": "B", "children": [{"code": "x3"}, {"code": "x4"}]}]}}
    import yaml
    (tmp / "fw.yaml").write_text(yaml.safe_dump(fw))
    rows = ["unit,year,indicator,value"] + [
        f"u{u},{y},x{i},{(u * 5 + i * 3 + y) % 7 + 1}" for u in range(3) for y in (2024, 2025)
        for i in range(1, 5)]
    (tmp / "data.csv").write_text("\n".join(rows) + "\n")
    (tmp / "spec.yaml").write_text("n: 16\nfactors: [{name: w, stage: weights, noise: 0.2}]\n")
    (tmp / "rates.csv").write_text("currency,date,usd_per_unit\nCNY,2024-06-28,0.137\n")
    (tmp / "records.csv").write_text("institution,unit,sector,year\nA,u0,Brokerage,2024\n")
    (tmp / "damaged.duckdb").write_bytes(b"DUCK" * 1000)
    framework = fi.load_framework(tmp / "fw.yaml")
    res = fi.build(framework, fi.load_panel(tmp / "data.csv", framework), fi.Methodology())
    with Store(tmp / "store.duckdb") as s:
        s.publish(res, "e1")
    return {k: str(tmp / v) for k, v in (
        ("FW", "fw.yaml"), ("DATA", "data.csv"), ("SPEC", "spec.yaml"), ("RATES", "rates.csv"),
        ("RECORDS", "records.csv"), ("STORE", "store.duckdb"), ("DAMAGED", "damaged.duckdb"),
        ("MISSING", "missing.csv"))}


def fuzz_cli(n: int) -> None:
    """Generated argument lists for every command (in-process, typer's CliRunner): the bar
    is exit 0, or exit 2 with a catalogued code (a refusal or a usage error, U80), never a
    traceback or another exception. `serve` gets only stores it refuses (a valid one would
    serve for ever); `publish` builds the bundled index, so it is drawn less often."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from typer.testing import CliRunner

    from fintech_index.cli import app

    tmp = Path(tempfile.mkdtemp())
    files = _surface_files(tmp)
    value = st.one_of(st.sampled_from(HOSTILE_TEXT), st.integers(-10**12, 10**12).map(str),
                      st.text(max_size=6), st.sampled_from(list(files.values())))
    path = st.sampled_from(list(files.values()) + HOSTILE_TEXT[:6])

    def options(*names):
        return st.lists(st.sampled_from(names).flatmap(
            lambda o: st.tuples(st.just(o), value)), max_size=3).map(
            lambda pairs: [x for p in pairs for x in p])

    store_opt = st.sampled_from([files["STORE"], files["DAMAGED"], files["MISSING"],
                                 "[/x].duckdb"]).map(lambda s: ["--store", s])
    commands = st.one_of(
        st.tuples(st.just(["build"]), st.lists(path, min_size=2, max_size=2),
                  options("--year", "--top", "--methodology", "--sheet", "--out")),
        st.tuples(st.just(["validate"]), st.lists(path, min_size=2, max_size=2),
                  options("--methodology", "--sheet")),
        st.tuples(st.just(["audit"]), st.lists(path, min_size=2, max_size=2),
                  options("--spec", "--n", "--sobol", "--chunk", "--top", "--methodology")
                  .map(lambda o: ["--spec", files["SPEC"], "--out", str(tmp / "audit")] + o)),
        st.tuples(st.sampled_from([["store", "ls"], ["store", "show"], ["store", "diff"]]),
                  st.lists(value, max_size=2),
                  st.tuples(options("--node", "--year", "--top"), store_opt).map(
                      lambda t: t[0] + t[1])),
        st.tuples(st.sampled_from([["records", "ingest"], ["records", "rates"],
                                   ["records", "aggregate"]]), st.lists(path, max_size=1),
                  store_opt.map(lambda s: s if "store.duckdb" not in s[1] else
                                ["--store", str(tmp / "scratch.duckdb")])),
        st.tuples(st.just(["serve"]), st.just([]),
                  st.tuples(options("--port", "--host"), st.sampled_from(
                      [files["DAMAGED"], files["MISSING"]])).map(
                      lambda t: t[0] + ["--store", t[1]])),
        st.tuples(st.just(["districts"]), st.lists(value, max_size=1), options("--year")),
        st.tuples(st.just(["convert-coinr"]), st.lists(path, min_size=2, max_size=2),
                  st.just(["--out", str(tmp / "coinr")])),
        # publish builds the bundled index before it writes: the variants that refuse
        st.tuples(st.just(["publish"]), st.lists(value, min_size=1, max_size=1),
                  st.sampled_from([[], ["--audit", files["MISSING"]],
                                   ["--xlsx", str(tmp / "p.xlsx"), "--audit", files["DATA"]],
                                   ["--xlsx", str(tmp / "p.xlsx"), "--audit",
                                    files["MISSING"]]])),
    )
    tried = escaped = 0
    runner = CliRunner()
    cwd = os.getcwd()
    os.chdir(tmp)

    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(commands)
    def run(parts):
        nonlocal tried, escaped
        args = [*parts[0], *parts[1], *parts[2]]
        tried += 1
        r = runner.invoke(app, args)
        codes = re.findall(r"\[([UFDMAS]\d\d)\]", r.output)
        bad = (r.exit_code not in (0, 2) or "Traceback" in r.output
               or (r.exception is not None and not isinstance(r.exception, SystemExit))
               # a refusal carries a catalogued code (click's usage errors too: U80)
               or (r.exit_code == 2 and not any(c in CATALOGUE for c in codes)))
        if bad:
            escaped += 1
            print(f"  cli {args!r}: exit {r.exit_code} {type(r.exception).__name__}: "
                  f"{r.exception} {r.output!r}"[:400])

    try:
        run()
    finally:
        os.chdir(cwd)
    print(f"CLI arguments: {tried:,} generated command lines, escaped {escaped}")


def _rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _http(port: int, head: bytes, body_parts=(), timeout: float = 20) -> bytes:
    """One raw HTTP/1.1 exchange on loopback (the body may be refused mid-way)."""
    import socket

    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head)
        try:
            for part in body_parts:
                s.sendall(part)
        except OSError:
            pass  # refused mid-body: the answer is already on its way
        out = b""
        try:
            while chunk := s.recv(65536):
                out += chunk
                if b"\r\n\r\n" in out and b"content-length" not in out.lower():
                    break
        except OSError:
            pass
        return out


API_GET = b"GET /api/editions HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def _serve() -> tuple[subprocess.Popen, int]:
    """`serve` (its defaults: 10 s per request, 1,000 connections) over a small store in
    its own process, once it answers: (process, port)."""
    import socket

    files = _surface_files(Path(tempfile.mkdtemp()))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    script = ("import sys\nfrom fintech_index.web.app import serve\n"
              "serve(sys.argv[1], '127.0.0.1', int(sys.argv[2]))\n")
    proc = subprocess.Popen([sys.executable, "-c", script, files["STORE"], str(port)])
    for _ in range(300):
        if _port_open(port) and _http(port, API_GET).startswith(b"HTTP/1.1 200"):
            break
        time.sleep(0.1)
    return proc, port


def _sockets(pid: int) -> int:
    """The process's open sockets (its listening one included)."""
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            count += os.readlink(fd).startswith("socket:")
        except OSError:
            pass
    return count


def slow_bodies(n: int, seconds: float = 30.0, interval: float = 4.0) -> None:
    """``n`` clients at once send a POST's headers (Content-Length: 1,000) and then one body
    byte every ``interval`` s for ``seconds``, against a real `serve` (the issue: they held
    their connections for ever, 20,100 exhausted the descriptors, EMFILE in accept, the API
    stopped answering, memory 207 -> 705 MB). Figures: how each client ended (408 at the
    deadline, 503 over the connection cap, held to the end), the server's open sockets and
    memory over the run, and whether the API answered during and after."""
    import asyncio
    import resource
    import socket

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    n = min(n, hard - 200)  # this process holds a descriptor per client
    proc, port = _serve()
    head = (b"POST /api/editions/e1/reweight HTTP/1.1\r\nHost: x\r\nContent-Type: "
            b"application/json\r\nContent-Length: 1000\r\n\r\n")
    ends: dict[str, int] = {}
    cut_after: dict[str, list[float]] = {}  # seconds to the server's answer, by answer
    samples: list[tuple[int, int]] = []  # (server sockets, RSS kB)
    probes: list[tuple[bool, float]] = []  # API answered 200, seconds

    async def client() -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        sock = socket.socket()
        sock.setblocking(False)
        try:  # an address, not a name: no getaddrinfo in the executor for each client
            await asyncio.wait_for(loop.sock_connect(sock, ("127.0.0.1", port)), seconds)
            reader, writer = await asyncio.open_connection(sock=sock)
        except TimeoutError:  # still in the kernel's queue: no descriptor of the server
            sock.close()
            ends["connect pending at the end"] = ends.get("connect pending at the end", 0) + 1
            return
        except OSError as e:
            sock.close()
            ends[type(e).__name__] = ends.get(type(e).__name__, 0) + 1
            return
        try:
            writer.write(head)
            while loop.time() - start < seconds:
                try:
                    data = await asyncio.wait_for(reader.read(65536), interval)
                except TimeoutError:
                    writer.write(b" ")
                    await writer.drain()
                    continue
                end = data[:12].decode("ascii", "replace") if data else "closed unanswered"
                ends[end] = ends.get(end, 0) + 1
                cut_after.setdefault(end, []).append(loop.time() - start)
                break
            else:  # this loop may be late itself: has the server answered meanwhile?
                try:
                    data = await asyncio.wait_for(reader.read(65536), 1)
                    end = (data[:12].decode("ascii", "replace") if data
                           else "closed unanswered") + " (read late)"
                except TimeoutError:
                    end = "held to the end"
                ends[end] = ends.get(end, 0) + 1
        except OSError as e:
            ends[type(e).__name__] = ends.get(type(e).__name__, 0) + 1
        finally:
            writer.close()

    def probe() -> tuple[bool, float]:
        t = time.perf_counter()
        try:
            ok = _http(port, API_GET, timeout=10).startswith(b"HTTP/1.1 200")
        except OSError:
            ok = False
        return ok, time.perf_counter() - t

    def monitor(until: float) -> None:
        """Another thread: the server's sockets and memory, and an API request, each
        second."""
        while time.monotonic() < until:
            samples.append((_sockets(proc.pid), _rss_kb(proc.pid)))
            probes.append(probe())
            time.sleep(1)

    async def flood() -> None:
        await asyncio.gather(*(client() for _ in range(n)))

    import threading
    try:
        rss0, sockets0 = _rss_kb(proc.pid), _sockets(proc.pid)
        watch = threading.Thread(target=monitor, args=(time.monotonic() + seconds,))
        watch.start()
        asyncio.run(flood())
        watch.join()
        time.sleep(1)
        rss1, sockets1 = _rss_kb(proc.pid), _sockets(proc.pid)
        t = time.perf_counter()
        after = _http(port, API_GET)[:12].decode("ascii", "replace")
        after_s = time.perf_counter() - t
    finally:
        proc.terminate()
        proc.wait(10)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    answered = sum(ok for ok, _ in probes)
    times = "; ".join(f"{end}: median {np.median(t):.1f} s, max {max(t):.1f} s"
                      for end, t in sorted(cut_after.items()))
    print(f"slow bodies: {n:,} clients sending POST headers then a body byte every "
          f"{interval:g} s for {seconds:g} s, against `serve` (10 s per request, 1,000 "
          f"connections):")
    print(f"  ended: {dict(sorted(ends.items()))}; time to the server's answer: {times}")
    print(f"  server sockets: {sockets0} at start, peak {max(s for s, _ in samples)}, at the "
          f"end of the flood {samples[-1][0]}, {sockets1} after; memory {rss0 / 1024:.0f} MB "
          "at start, peak "
          f"{max(r for _, r in samples) / 1024:.0f} MB, {rss1 / 1024:.0f} MB after")
    print(f"  API during the flood: {answered} of {len(probes)} probes answered 200 (slowest "
          f"{max(t for _, t in probes):.2f} s); after: {after!r} in {after_s:.3f} s")


def fuzz_web(n: int) -> None:
    """Generated requests to the web app (a real uvicorn in its own process, as `serve`
    runs it): hostile path segments and queries, and re-weighting bodies of generated JSON
    (NaN, Infinity, 1e308, nesting), random bytes, up to 300 KB, sent with Content-Length
    or chunked in random pieces. The bar: no 5xx, every request answered. Then a 200 MB
    chunked body, with the server's resident memory before and after."""
    import json as json_
    from urllib.parse import quote

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    proc, port = _serve()
    rss0 = _rss_kb(proc.pid)
    segment = st.sampled_from(HOSTILE_TEXT + ["e1", "u0", "idx"]).map(
        lambda s: quote(s, safe=""))
    paths = st.one_of(
        st.tuples(segment).map(lambda s: f"/api/editions/{s[0]}/ranking"),
        st.tuples(segment, segment).map(lambda s: f"/api/editions/e1/ranking?node={s[0]}"
                                                   f"&year={s[1]}"),
        st.tuples(segment, segment).map(lambda s: f"/api/editions/{s[0]}/units/{s[1]}"),
        st.tuples(segment, segment).map(lambda s: f"/api/editions/e1/compare?a={s[0]}"
                                                   f"&b={s[1]}"),
        st.tuples(segment, segment).map(lambda s: f"/api/diff?a={s[0]}&b={s[1]}"),
        st.tuples(segment).map(lambda s: f"/api/editions/{s[0]}/methodology"))
    number = st.one_of(st.floats(), st.integers(-10**30, 10**30), st.sampled_from(
        [1e308, -1e308, 0, 1, 2.5, float("nan"), float("inf")]))
    weights = st.dictionaries(st.sampled_from(["A", "B", "idx", "x1", "[/x]", ""]),
                              st.one_of(number, st.text(max_size=4), st.none(),
                                        st.lists(number, max_size=2)), max_size=4)
    bodies = st.one_of(
        st.tuples(weights, st.one_of(st.none(), number, st.integers(1900, 2100))).map(
            lambda w: json_.dumps({"weights": w[0], "year": w[1]}).encode()),
        st.binary(max_size=2000),
        st.integers(60_000, 300_000).map(lambda k: b'{"weights": {"A": 1' + b" " * k + b"}}"),
        st.recursive(st.one_of(st.none(), number, st.text(max_size=3)),
                     lambda c: st.lists(c, max_size=3) | st.dictionaries(
                         st.text(max_size=3), c, max_size=3), max_leaves=20).map(
            lambda v: json_.dumps(v).encode()))
    tried = escaped = 0
    statuses: dict[int, int] = {}
    peak = rss0

    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.booleans(), paths, segment, bodies, st.booleans(),
           st.lists(st.integers(1, 70_000), min_size=1, max_size=6))
    def run(post, path, edition, body, chunked, cuts):
        nonlocal tried, escaped, peak
        tried += 1
        if post:
            head = (f"POST /api/editions/{edition}/reweight HTTP/1.1\r\nHost: x\r\n"
                    "Content-Type: application/json\r\nConnection: close\r\n").encode()
            if chunked:
                pieces, at = [], 0
                for c in cuts * (len(body) // max(sum(cuts), 1) + 1):
                    if at >= len(body):
                        break
                    pieces.append(body[at:at + c])
                    at += c
                parts = [f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces] + [
                    b"0\r\n\r\n"]
                answer = _http(port, head + b"Transfer-Encoding: chunked\r\n\r\n", parts)
            else:
                answer = _http(port, head + f"Content-Length: {len(body)}\r\n\r\n".encode(),
                               [body])
        else:
            answer = _http(port, f"GET {path} HTTP/1.1\r\nHost: x\r\n"
                                 "Connection: close\r\n\r\n".encode())
        status = int(answer[9:12]) if answer.startswith(b"HTTP/1.1 ") else 0
        statuses[status] = statuses.get(status, 0) + 1
        if status == 0 or status >= 500:
            escaped += 1
            print(f"  web {'POST' if post else 'GET'} {path if not post else edition}: "
                  f"{answer[:200]!r}")
        peak = max(peak, _rss_kb(proc.pid))

    try:
        run()
        before = _rss_kb(proc.pid)
        chunk = b"100000\r\n" + b"x" * 0x100000 + b"\r\n"
        big = _http(port, b"POST /api/editions/e1/reweight HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/json\r\nTransfer-Encoding: chunked"
                          b"\r\n\r\n", (chunk for _ in range(200)))
        after = _rss_kb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"web API: {tried:,} generated requests (GET paths and queries; POST bodies with "
          f"Content-Length or chunked), answered 5xx or not at all: {escaped}; statuses "
          f"{dict(sorted(statuses.items()))}; server memory {rss0 / 1024:.0f} MB at start, "
          f"peak {peak / 1024:.0f} MB")
    print(f"  a 200 MB chunked body: answered {big[:12].decode(errors='replace')!r}; server "
          f"memory {before / 1024:.0f} MB before, {after / 1024:.0f} MB after")


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def fuzz_csv_writers(n: int) -> None:
    """Every CSV writer: write_csv on generated frames (text, numbers, categories; str,
    object, category and MultiIndex indexes; hostile headers), and once every CSV that
    build, audit (with Sobol) and records aggregate write for units and nodes named like
    formulas. The bar: no cell a spreadsheet would evaluate (starts with = + - @ tab CR and
    is not a number)."""
    import csv

    import pandas as pd
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from typer.testing import CliRunner

    from fintech_index.cli import app
    from fintech_index.exports import write_csv

    tmp = Path(tempfile.mkdtemp())
    starts = ("=", "+", "-", "@", "\t", "\r")

    def formulas(folder: Path) -> tuple[int, int, list]:
        files = cells = 0
        found = []
        for p in sorted(folder.rglob("*.csv")):
            files += 1
            with p.open(encoding="utf-8", newline="") as f:
                for row in csv.reader(f):
                    for cell in row:
                        cells += 1
                        if cell.startswith(starts):
                            try:
                                float(cell)
                            except ValueError:
                                found.append((p.name, cell))
        return files, cells, found

    text = st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=6))
    index_kinds = st.sampled_from(["str", "object", "category", "multi", "int"])

    @settings(max_examples=n, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(text, min_size=1, max_size=4, unique=True), st.integers(1, 4),
           index_kinds, st.data())
    def run(columns, rows, kind, data):
        frame = pd.DataFrame({c: data.draw(st.lists(st.one_of(text, st.floats(),
                                                                st.integers()), min_size=rows,
                                                     max_size=rows)) for c in columns})
        labels = data.draw(st.lists(text, min_size=rows, max_size=rows))
        if kind == "str":
            frame.index = pd.Index(labels, dtype="str")
        elif kind == "object":
            frame.index = pd.Index(labels, dtype=object)
        elif kind == "category":
            frame.index = pd.CategoricalIndex(labels)
        elif kind == "multi":
            frame.index = pd.MultiIndex.from_arrays([labels, labels[::-1]],
                                                    names=[columns[0], "=n"])
        if data.draw(st.booleans()):
            frame[columns[0]] = frame[columns[0]].astype(str).astype("category")
        out = tmp / "frames"
        out.mkdir(exist_ok=True)
        write_csv(frame, out / "f.csv", index=kind != "int")

    run()
    files, cells, found = formulas(tmp / "frames")
    print(f"CSV writers: write_csv on {n:,} generated frames: formula cells {len(found)}"
          + (f" e.g. {found[:3]}" if found else ""))
    # the package's own writers, end to end, with units and nodes named like formulas
    import yaml
    units = ["=1+1", "@SUM(A1)", "+cmd", "-2+3", "u5", "\tTAB"]
    fw = {"name": "=HYPERLINK(\"x\")", "units": [{"code": u} for u in units],
          "index": {"code": "idx", "children": [
              {"code": "=dimA", "children": [{"code": "a1"}, {"code": "a2"}]},
              {"code": "@dimB", "children": [{"code": "b1"}, {"code": "b2"}]}]}}
    (tmp / "fw.yaml").write_text(yaml.safe_dump(fw))
    rows = ["unit,name,region,year,indicator,value"] + [
        f'"{u}","{u}","=R",{y},{i},{(k * 7 + j * 3 + y) % 11 + 1}'
        for k, u in enumerate(units) for y in (2024, 2025)
        for j, i in enumerate(("a1", "a2", "b1", "b2"))]
    (tmp / "data.csv").write_text("\n".join(rows) + "\n")
    (tmp / "spec.yaml").write_text("n: 40\nfactors: [{name: w, stage: weights, noise: 0.2}]\n")
    runner = CliRunner()
    out = tmp / "e2e"
    r1 = runner.invoke(app, ["build", str(tmp / "fw.yaml"), str(tmp / "data.csv"), "--out",
                             str(out / "build")])
    r2 = runner.invoke(app, ["audit", str(tmp / "fw.yaml"), str(tmp / "data.csv"), "--spec",
                             str(tmp / "spec.yaml"), "--sobol", "8", "--out", str(out / "audit")])
    files, cells, found = formulas(out)
    print(f"  build and audit (exit {r1.exit_code}, {r2.exit_code}) with formula-named units "
          f"and nodes: {files} CSV files, {cells:,} cells, formula cells {len(found)}"
          + (f" e.g. {found[:3]}" if found else ""))
    for r in (r1, r2):  # a refusal writes nothing: the figure above would say nothing
        if r.exit_code:
            print(f"    NOT CHECKED, the command was refused: {r.output.strip()!r}"[:400])


def bounds() -> None:
    """What the size checks cost to hit: a 1 KB alias bomb in a framework, an uncertainty
    spec asking 30,000,000 replications (time to refusal and peak memory of the process)."""
    import resource

    tmp = Path(tempfile.mkdtemp())
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    bomb = "\n".join(lines) + ("\nindex: {code: i, children: [{code: a, from_records: "
                               "{agg: count, sector: *a8}}, {code: b}]}\n")
    (tmp / "bomb.yaml").write_text(bomb)

    def outcome(load) -> str:
        """'accepted' or 'refused [code]', and in how many ms."""
        t = time.perf_counter()
        try:
            load()
            said = "accepted"
        except fi.FintechIndexError as e:
            said = f"refused [{e.code}]"
        return f"{said} in {(time.perf_counter() - t) * 1000:.0f} ms"

    print(f"bounds: a {len(bomb)}-byte framework standing for 10^9 values: "
          f"{outcome(lambda: fi.load_framework(tmp / 'bomb.yaml'))}")
    from fintech_index.audit.engine import Engine, UncertaintySpec
    from fintech_index.audit.uncertainty import uncertainty
    ex = fi.examples.load("asem")
    said = outcome(lambda: uncertainty(Engine(
        ex.framework, ex.panel, ex.methodology, UncertaintySpec.model_validate({"n": 30_000_000}))))
    print(f"  uncertainty n = 30,000,000 on ASEM (51 units): {said}; peak memory of this process "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


BOMB_ROW = (b'<row><c t="inlineStr"><is><t>X</t></is></c><c><v>2024</v></c><c><v>1</v></c>'
            b"<c><v>2</v></c></row>")


PEAK = """import resource, subprocess, sys
code = subprocess.run(sys.argv[1:]).returncode
print(f"peak={resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}", file=sys.stderr)
sys.exit(code)"""


def _refusal(args: list[str], env: dict[str, str]) -> tuple[int, str, float, float]:
    """(exit status, the first code printed, seconds, peak memory in MB) of a command. It
    runs under a small Python process: a child's peak memory starts at its parent's size
    (Linux keeps the high-water mark across fork), and this one's is large."""
    t = time.perf_counter()
    r = subprocess.run([sys.executable, "-c", PEAK, *args], env=env, capture_output=True)
    seconds = time.perf_counter() - t
    out = (r.stdout + r.stderr).decode()
    said = re.findall(r"\[[A-Z]\d\d\]", out) or ["no code"]
    return r.returncode, said[0], seconds, int(re.findall(r"peak=(\d+)", out)[-1]) / 1024


def excel_bombs() -> None:
    """Time and peak memory of ``fintech-index validate`` refusing the issue-22 zip bombs,
    each in its own process: a .xlsx of a few MB whose sheet is 3.2 GB of whitespace, and a
    .xlsx of 2,000,000 identical rows; at the default limits, and with the ratio limit
    raised so that the streamed row count is what refuses the rows."""
    import zipfile

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from tests.helpers import xlsx_with_sheet_xml

    from fintech_index.tables import read_table

    tmp = Path(tempfile.mkdtemp())
    (tmp / "f.yaml").write_text("index: {code: i, children: [{code: a}, {code: b}]}\n"
                                "units: [{code: X}]\n")
    head = b"".join(b'<c t="inlineStr"><is><t>%s</t></is></c>' % w
                    for w in (b"unit", b"year", b"a", b"b"))
    head = b"<row>" + head + b"</row>"
    space = b" " * (1 << 26)
    t = time.perf_counter()
    bombs = {"whitespace": xlsx_with_sheet_xml(
                 tmp / "whitespace.xlsx", [head, *[space] * (3_200_000_000 // len(space))]),
             "2,000,000 rows": xlsx_with_sheet_xml(
                 tmp / "rows.xlsx", [head, *[BOMB_ROW * 1000] * 2000])}
    print(f"excel bombs (built in {time.perf_counter() - t:.0f} s; before issue 22, as "
          "reported: whitespace 'no problems found' after 2 min 38 s at 9.7 GB; 2,000,000 "
          "rows 8.5 min at 1.5 GB and a 16.9 MB message):")
    del space
    small = tmp / "small.csv"
    small.write_text("unit,year,a,b\nX,2024,1,2\n")
    _, _, seconds, mb = _refusal([sys.executable, "-m", "fintech_index", "validate",
                                  str(tmp / "f.yaml"), str(small)], dict(os.environ))
    print(f"  for scale, validate of a 2-row CSV: {seconds:.2f} s, peak memory {mb:.0f} MB")
    for name, path in bombs.items():
        with zipfile.ZipFile(path) as z:
            xml = z.getinfo("xl/worksheets/sheet1.xml").file_size
        for raised in ({}, {"FINTECH_INDEX_EXCEL_MAX_RATIO": "1000000"}):
            status, code, seconds, mb = _refusal(
                [sys.executable, "-m", "fintech_index", "validate", str(tmp / "f.yaml"),
                 str(path)], {**os.environ, **raised})
            os.environ.update(raised)
            t = time.perf_counter()
            try:
                read_table(path)
            except fi.FintechIndexError:
                pass
            inside = time.perf_counter() - t
            for k in raised:
                del os.environ[k]
            print(f"  {name} ({path.stat().st_size / 1e6:.1f} MB file, {xml / 1e6:,.0f} MB of "
                  f"XML){', ratio limit raised' if raised else ''}: exit {status} {code} in "
                  f"{seconds:.2f} s, peak memory {mb:.0f} MB; the reading alone (in this "
                  f"process) {inside * 1000:.0f} ms")
    for path in bombs.values():
        path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--fuzz", type=int, default=10_000)
    parser.add_argument("--atheris", type=int, default=10_000)
    parser.add_argument("--cli", type=int, default=500, help="generated command lines")
    parser.add_argument("--web", type=int, default=2_000, help="generated HTTP requests")
    parser.add_argument("--csv", type=int, default=2_000, help="generated frames written")
    parser.add_argument("--slow", type=int, default=5_000,
                        help="clients trickling request bodies")
    parser.add_argument("--bombs", type=int, default=1, help="0 skips the Excel zip bombs")
    args = parser.parse_args()
    bounds()
    if args.bombs:
        excel_bombs()
    for count, run in ((args.csv, fuzz_csv_writers), (args.cli, fuzz_cli), (args.web, fuzz_web),
                       (args.slow, slow_bodies),
                       (args.fuzz, fuzz), (args.atheris, coverage_guided),
                       (args.trials, interrupted_writes)):
        if count:  # 0 skips that part
            run(count)


if __name__ == "__main__":
    main()
