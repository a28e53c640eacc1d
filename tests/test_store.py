"""The DuckDB store: immutable editions, revisions, diffs, datasets, and atomic writes under
a real SIGKILL of the writing process."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import fintech_index as fi
from fintech_index.store import _PAUSE_ENV, Store

from .helpers import panel, two_level_framework

FW = two_level_framework()
METH = fi.methodology_from_dict({"normalise": "none"})


def results(values, years=(2024,)):
    return fi.build(FW, panel(FW, values, years=list(years)), METH)


R1 = results([[1, 2, 3, 4], [4, 3, 2, 1], [2, 2, 2, 2]])
R2 = results([[1, 2, 3, 4], [4, 3, 2, 5], [2, 2, 2, 2]])


def test_publish_show_and_refuse_a_second_publish(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        s.publish(R1, "e2024")
        before = s.edition("e2024")
        with pytest.raises(fi.StoreError, match="edition 'e2024' is already published"):
            s.publish(R2, "e2024")
        after = s.edition("e2024")
        assert before.equals(after)  # the first is untouched
        assert list(s.editions()["name"]) == ["e2024"]
    with Store(path) as s:  # and it persists
        idx = s.edition("e2024").query("node == 'idx'").set_index("unit")
        # index = mean(A, B), A = (x1 + x2) / 2: u0 (1.5 + 3.5) / 2 = 2.5; u1 2.5; u2 2
        assert idx["score"].to_dict() == {"u0": 2.5, "u1": 2.5, "u2": 2.0}


def test_revision_names_the_edition_it_revises_and_diff(tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        s.publish(R1, "e2024")
        with pytest.raises(fi.StoreError, match="no edition named 'nope'"):
            s.publish(R2, "e2024-rev1", revises="nope")
        s.publish(R2, "e2024-rev1", revises="e2024", note="x4 of u1 corrected")
        ed = s.editions().set_index("name")
        assert ed.at["e2024-rev1", "revises"] == "e2024"
        d = s.diff("e2024", "e2024-rev1").query("node == 'idx'").set_index("unit")
        # u1: B = (2 + 1) / 2 = 1.5 -> (2 + 5) / 2 = 3.5, index 2.5 -> 3.5; rank 1 (tied) -> 1
        assert d.at["u1", "score_change"] == 1.0
        assert d.at["u0", "rank_b"] == 2 and d.at["u0", "rank_change"] == -1


def test_diff_of_one_node_and_of_the_index_on_the_command_line(tmp_path):
    """The index node is the edition's top node; diff(node=...) keeps that node's rows, an
    unknown node is refused [S69] (the command printed an empty table)."""
    from typer.testing import CliRunner

    from fintech_index.cli import app

    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        s.publish(R1, "e2024")
        s.publish(R2, "e2024-rev1", revises="e2024")
        assert s.index_node("e2024-rev1") == "idx"
        d = s.diff("e2024", "e2024-rev1", node="idx")
        assert set(d["node"]) == {"idx"} and d.set_index("unit").at["u1", "score_change"] == 1
        with pytest.raises(fi.StoreError, match=r"no node 'idz' \(did you mean 'idx'\?.*S69"):
            s.diff("e2024", "e2024-rev1", node="idz")
    r = CliRunner().invoke(app, ["store", "diff", "e2024", "e2024-rev1", "--store", str(path)])
    assert r.exit_code == 0, r.output
    assert "e2024 -> e2024-rev1: idx" in r.output
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in r.output.splitlines()
            if line.startswith("│")]
    # u1: index 2.5 -> 3.5, rank 1 (tied with u0) -> 1; u0 2.5, rank 1 -> 2
    # one format per column (score changes all whole here: 1 and 0), minus sign U+2212
    assert rows[:2] == [["u1", "1", "1", "0", "2.500", "3.500", "1"],
                        ["u0", "1", "2", "\u22121", "2.500", "2.500", "0"]]
    r = CliRunner().invoke(app, ["store", "diff", "e2024", "e2024-rev1", "--node", "idz",
                                 "--store", str(path)])
    assert r.exit_code == 2 and "did you mean 'idx'?" in r.output and "[S69]" in r.output


def test_dataset_round_trip_with_provenance(tmp_path):
    p = panel(FW, [[1, np.nan, 3, 4]])
    with Store(tmp_path / "s.duckdb") as s:
        s.put_dataset(p, "raw-2024")
        back = s.dataset("raw-2024")
        assert len(back) == 4 and back["value"].isna().sum() == 1
        assert set(back["source"].dropna()) == {"synthetic"}
        with pytest.raises(fi.StoreError, match="dataset named 'raw-2024' exists"):
            s.put_dataset(p, "raw-2024")


WRITER = """
import sys
import fintech_index as fi
from fintech_index.store import Store
from tests.test_store import R2
with Store(sys.argv[1]) as s:
    s.publish(R2, "killed")
"""


@pytest.mark.slow
def test_a_writer_killed_mid_publish_leaves_only_complete_editions(tmp_path):
    path = tmp_path / "s.duckdb"
    with Store(path) as s:
        s.publish(R1, "e2024")
    marker = tmp_path / "writing"
    env = dict(os.environ, **{_PAUSE_ENV: str(marker)})
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], env=env,
                            cwd=os.path.dirname(os.path.dirname(__file__)))
    deadline = time.time() + 60
    while not marker.exists():
        assert proc.poll() is None, "the writer ended before reaching the commit"
        assert time.time() < deadline
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)  # rows written, transaction not committed
    proc.wait()
    with Store(path) as s:
        assert list(s.editions()["name"]) == ["e2024"]
        assert s.con.execute("SELECT count(*) FROM edition_results WHERE edition = 'killed'"
                             ).fetchone()[0] == 0
        assert len(s.edition("e2024")) == len(R1.to_long())
        s.publish(R2, "killed")  # the name is free: nothing of the killed publish remains


def test_cli_store_and_records(tmp_path):
    from typer.testing import CliRunner

    from fintech_index.cli import app

    from .test_records import RATES, RECORDS

    run = CliRunner().invoke
    db = str(tmp_path / "s.duckdb")
    r = run(app, ["store", "ls", "--store", db])
    assert r.exit_code == 2 and "no store here" in r.output
    assert run(app, ["store", "publish", "asem-1", "--example", "asem", "--store", db]
               ).exit_code == 0
    r = run(app, ["store", "publish", "asem-1", "--example", "asem", "--store", db])
    assert r.exit_code == 2 and "already published" in r.output
    r = run(app, ["store", "show", "asem-1", "--top", "3", "--store", db])
    assert r.exit_code == 0 and "Switzerland" in r.output and "68.384" in r.output
    r = run(app, ["store", "diff", "asem-1", "asem-1", "--store", db])
    assert r.exit_code == 0 and "rank_change" not in r.output
    assert " ".join(r.output.split()) == ("asem-1 -> asem-1: Index: no changes (the 51 units "
                                          "have the same ranks and scores)")
    (tmp_path / "r.csv").write_text(RECORDS)
    (tmp_path / "fx.csv").write_text(RATES)
    r = run(app, ["records", "ingest", str(tmp_path / "r.csv"), "--store", db])
    assert r.exit_code == 0 and "ingested 8 records" in r.output
    assert run(app, ["records", "rates", str(tmp_path / "fx.csv"), "--store", db]
               ).exit_code == 0
    fw = tmp_path / "f.yaml"
    fw.write_text("index: {code: i, children: [{code: brokers, from_records: {agg: count, "
                  "sector: Brokerage}}, {code: other}]}\n")
    out = tmp_path / "agg.csv"
    r = run(app, ["records", "aggregate", str(fw), "--out", str(out), "--store", db])
    assert r.exit_code == 0, r.output
    got = __import__("pandas").read_csv(out).set_index(["unit", "year"])["value"]
    assert got[("SHA", 2024)] == 3 and got[("BJS", 2024)] == 1


def test_an_edition_keeps_its_framework_methodology_and_hashes(tmp_path):
    with Store(tmp_path / "s.duckdb") as s:
        s.publish(R1, "e2024")
        got = s.edition_inputs("e2024")
        assert got["framework"]["index"] == "idx"
        assert set(got["framework"]["nodes"]) == set(FW.nodes)
        assert fi.methodology_from_dict(got["methodology"]).hash == METH.hash
        assert got["manifest"]["data_hash"] == R1.manifest()["data_hash"]


def test_a_revision_publishes_corrected_data_and_diff_shows_only_what_changed(tmp_path):
    """store publish --revises N --data FILE builds the example's framework on the corrected
    file (a revision was the same build again); TAI: Finland's patents 187 -> 18.7 (a
    decimal slip corrected) changes Finland's index score and nothing of the other units'
    scores, so diff lists Finland (and units whose rank moved) and says how many are
    unchanged; a revision without --data is said to revise nothing."""
    from typer.testing import CliRunner

    from fintech_index.cli import app
    from fintech_index.examples import datasets_dir

    run = CliRunner().invoke
    db = str(tmp_path / "s.duckdb")
    rows = (datasets_dir() / "tai" / "tai.csv").read_text().splitlines(keepends=True)
    assert rows[1].startswith("FIN,2001,Finland,FIN,country,187,")
    fixed = tmp_path / "corrected.csv"
    fixed.write_text("".join([rows[0], rows[1].replace(",187,", ",18.7,", 1), *rows[2:]]))
    assert run(app, ["store", "publish", "t1", "-e", "tai", "--store", db]).exit_code == 0
    r = run(app, ["store", "publish", "t1b", "-e", "tai", "--revises", "t1", "--data",
                  str(fixed), "--store", db])
    assert r.exit_code == 0, r.output
    out = " ".join(r.output.split())
    assert f"data {fixed}" in out and "it revises 't1'" in out and "nothing revised" not in out
    with Store(db, read_only=True) as s:
        eds = s.editions().set_index("name")
        assert eds.at["t1b", "revises"] == "t1"
        assert eds.at["t1b", "data_hash"] != eds.at["t1", "data_hash"]
        d = s.diff("t1", "t1b", node=s.index_node("t1")).set_index("unit")
    changed = d.index[d["score_change"] != 0].tolist()
    assert changed == ["FIN"] and d.at["FIN", "score_change"] < 0
    moved = set(d.index[d["rank_change"] != 0])
    r = run(app, ["store", "diff", "t1", "t1b", "--store", db])
    shown = [line.split("│")[1].strip() for line in r.output.splitlines()
             if line.startswith("│")]
    assert set(shown) == {"FIN"} | moved
    assert f"{len(d) - len(shown)} of {len(d)} units unchanged (not shown)" in r.output
    r = run(app, ["store", "publish", "t1c", "-e", "tai", "--revises", "t1", "--store", db])
    assert r.exit_code == 0 and "same data, framework and methodology as 't1' (nothing " \
        "revised)" in " ".join(r.output.split())
