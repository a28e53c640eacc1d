"""Results.write with results.parquet written by a worker thread (issue 27): the file is
staged by the output run like every other, so a run that fails on either side leaves the
folder as it was, and the Parquet writer's error reaches the caller."""

import hashlib
import importlib
import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fintech_index as fi

from .helpers import panel, two_level_framework

build_module = importlib.import_module("fintech_index.build")  # the package's build is the function
FW = two_level_framework()
VALUES = [[0.0, 10.0, 1.0, 100.0], [5.0, 20.0, 3.0, 300.0], [10.0, 40.0, 2.0, 200.0]]


def results(values=VALUES):
    return fi.build(FW, panel(FW, values))


def contents(folder):
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest()
            for name in sorted(os.listdir(folder))}


def test_the_parquet_thread_writes_what_the_run_lists(tmp_path):
    written = results().write(tmp_path / "o")
    assert written[0].name == "results.parquet"
    assert sorted(p.name for p in written) == sorted(os.listdir(tmp_path / "o"))


def test_a_failed_csv_leaves_the_earlier_run_and_no_temporary_parquet(tmp_path, monkeypatch):
    out = tmp_path / "o"
    results().write(out)
    before = contents(out)

    def broken(frame, path, **kw):
        raise OSError("disk full")

    monkeypatch.setattr(build_module, "write_csv", broken)
    with pytest.raises(OSError, match="disk full"):  # other values: another results.parquet
        results([[1.0, 10.0, 1.0, 100.0], *VALUES[1:]]).write(out)
    assert contents(out) == before  # no .results.parquet.*.tmp beside them either


def test_an_error_of_the_parquet_thread_reaches_the_caller(tmp_path, monkeypatch):
    def broken(self, path):
        raise RuntimeError("parquet writer failed")

    monkeypatch.setattr(build_module.Results, "write_parquet", broken)
    with pytest.raises(RuntimeError, match="parquet writer failed"):
        results().write(tmp_path / "o")
    assert not (tmp_path / "o").exists() or os.listdir(tmp_path / "o") == []


def test_a_ranking_is_made_once_and_each_caller_gets_its_own_frame(monkeypatch):
    res = results()
    first = res.ranking()
    made = []
    monkeypatch.setattr(type(res), "_ranking", lambda self, y: made.append(y))
    second = res.ranking()  # from the cache: _ranking is not called again
    assert made == [] and second is not first
    assert second.equals(first)
    first["rank"] = 99.0  # a caller's change (copy-on-write) ...
    first.loc[first.index[0], "score"] = -1.0
    third = res.ranking()
    assert list(third["rank"]) == [1.0, 2.0, 3.0]  # ... stays the caller's
    assert third["score"].iloc[0] == second["score"].iloc[0] != -1.0


def test_only_the_latest_years_ranking_is_kept():
    res = fi.build(FW, panel(FW, [VALUES, VALUES[::-1]], years=[2023, 2024]))
    assert res.ranking(2023).index.tolist() == ["u2", "u1", "u0"]
    assert res._rankings == {}  # an earlier year's ranking is not held
    latest = res.ranking(2024)
    assert latest.index.tolist() == ["u0", "u1", "u2"]  # the values reversed
    assert list(res._rankings) == [1] and res._rankings[1].equals(latest)


MULTI_YEAR = fi.build(FW, panel(FW, [VALUES, VALUES[::-1], [[1.0, np.nan, 2.0, 3.0],
                                                             *VALUES[1:]]],
                                years=[2022, 2023, 2024]))


def reference_long_rows(res, start, stop):
    """(year, unit, node, level, figure level, flags) of the long rows start:stop by
    division, row by row."""
    ny, nu, nn = res.score_array.shape
    out = []
    for row in range(start, min(stop, ny * nu * nn)):
        y, rest = divmod(row, nu * nn)
        u, k = divmod(rest, nn)
        flag = int(res.flags[y, u, k]) if k < res.flags.shape[-1] else 0
        node = res.framework.nodes[res.nodes[k]]
        out.append((res.years[y], res.units[u], res.nodes[k], node.level,
                    node.figure_level or "", flag))
    return out


LONG_SCHEMA = {"year": "int64", "unit": "large_string", "node": "large_string",
               "level": "int64", "figure_level": "large_string", "score": "double",
               "rank": "double", "flags": "uint8"}  # what results.parquet has always held


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 60), st.integers(0, 60))
def test_long_table_rows_anywhere_are_the_rows_by_division(start, length):
    res = MULTI_YEAR  # 3 years x 3 units x 7 nodes = 63 rows
    t = res.long_table(start, start + length)
    assert {f.name: str(f.type) for f in t.schema} == LONG_SCHEMA
    got = list(zip(*(t[c].to_pylist() for c in ("year", "unit", "node", "level",
                                                 "figure_level", "flags")), strict=True))
    assert got == reference_long_rows(res, start, start + length)
    flat = res.score_array.reshape(-1)[start:start + length]
    assert t["score"].to_pylist() == [None if v != v else v for v in flat]


def flat_results(n_units, rank=None):
    """A synthetic index (named synthetic) of ``n_units`` units and two indicators, one
    year: 3 nodes, so ``3 * n_units`` long rows, values uniform from a fixed seed."""
    units = [f"u{u}" for u in range(n_units)]
    fw = fi.framework_from_dict({"index": {"code": "idx", "children": [{"code": "a"},
                                                                       {"code": "b"}]}},
                                "synthetic.yaml")
    values = np.random.default_rng(0).uniform(0, 100, (1, n_units, 2))
    meth = fi.methodology_from_dict({"rank": rank}) if rank else fi.Methodology()
    return fi.build(fw, fi.panel_from_arrays(values, fw, units, [2024]), meth)


def dictionary_columns(path):
    import pyarrow.parquet as pq

    meta = pq.read_metadata(path)
    return {meta.row_group(0).column(i).path_in_schema
            for i in range(meta.num_columns) if meta.row_group(0).column(i).has_dictionary_page}


@pytest.mark.parametrize(("n_units", "rank", "plain"), [
    (3, None, set()),  # a few rows: every column has its dictionary, as before
    (40_000, None, set()),  # 120,000 rows: under the page (131,072 values)
    (50_000, None, {"score"}),  # 150,000 rows; ranks 1..50,000 in half steps fit
    (50_000, {"percentile": True}, {"score", "rank"}),  # percentile ranks: any fraction
    (70_000, None, {"score", "rank"}),  # 140,000 possible half-step ranks
])
def test_float_columns_that_may_fill_the_dictionary_page_are_written_plain(
        tmp_path, n_units, rank, plain):
    import pyarrow.parquet as pq

    res = flat_results(n_units, rank)
    path = res.write_parquet(tmp_path / "results.parquet")
    all_columns = set(LONG_SCHEMA)
    assert dictionary_columns(path) == all_columns - plain
    table = pq.read_table(path)
    assert table.equals(res.long_table().replace_schema_metadata(table.schema.metadata))
    assert {f.name: str(f.type) for f in table.schema} == LONG_SCHEMA
