"""Hostile input (issue 17), tested at the level of what a user or attacker sees: the files
written, the console output, the HTTP answers. Each test failed on the code before the fix."""

import csv
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import fintech_index as fi
from fintech_index.cli import app

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
    ]}}
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
        assert "Traceback" not in r.output and r.exception is None or \
            isinstance(r.exception, SystemExit), (args, r.output, r.exception)
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
    assert f"the file has {len(store_bytes) - 262144:,} bytes of the {len(store_bytes):,}" \
        in str(info.value)


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
        s.publish(_small_results(), "[/x]\x1b[31m")
    r = CliRunner().invoke(app, ["store", "ls", "--store", str(p)], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "[/x]\\x1b[31m" in r.output and "\x1b" not in r.output


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
