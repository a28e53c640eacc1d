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
Run: python benchmarks/robustness.py [--trials 100] [--fuzz 10000] [--atheris 10000]
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
                killed += 1
            proc.wait()
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

    fw = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "a"}, {"code": "b", "direction": -1}]}})
    cells = st.one_of(st.text(max_size=8), st.integers(-10**6, 10**6).map(str),
                      st.floats(allow_nan=True).map(repr), st.sampled_from(
                          ["", "NA", "..", "a", "b", "x", "2024", "1e309", "-0", "=1+1"]))
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--fuzz", type=int, default=10_000)
    parser.add_argument("--atheris", type=int, default=10_000)
    args = parser.parse_args()
    if args.fuzz:
        fuzz(args.fuzz)
    if args.atheris:
        coverage_guided(args.atheris)
    if args.trials:
        interrupted_writes(args.trials)


if __name__ == "__main__":
    main()
