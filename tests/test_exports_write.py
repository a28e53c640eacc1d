"""Issue 27, the write path: the vectorised tests and formats of exports.py and g10.py give exactly
what the per-cell rules give (safe.printable, neutralise, "%.10g")."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

import fintech_index.exports as exports
import fintech_index.g10 as g10_module
from fintech_index.exports import (
    FORMULA_STARTS,
    _as_slice,
    _inert_array,
    _inert_value,
    _may_change,
    _quoted,
    _spaced,
    inert_frame,
    write_csv,
)
from fintech_index.g10 import G10, Integers, format_g10, g10_cells, g10_views

# any text without surrogates (Arrow's UTF-8 cannot hold a lone one), drawn heavily from
# the characters that matter: formula starts, controls (C0, DEL, C1), bidirectional and
# other format characters, separators, non-ASCII letters
TRICKY = "=+-@\t\r\n\x00\x1b\x7f\x85\xa0\xad\u200b\u202e\u2028\u2029\ufeff \"',é西"
TEXT = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=8),
    st.text(alphabet=st.sampled_from(TRICKY + "ab1"), max_size=6))


@settings(max_examples=400, deadline=None)
@given(st.lists(TEXT, max_size=12))
def test_the_vectorised_inert_test_is_the_per_cell_one(cells):
    values = np.array(cells + [0.5], dtype=object)[:-1]  # a 1-d object array, never 2-d
    got = _inert_array(values)
    assert list(got) == [_inert_value(v) for v in cells]
    assert all(type(g) is type(c) for g, c in zip(got, cells, strict=True))


def test_every_formula_start_and_control_is_rewritten():
    cells = [s + "x" for s in FORMULA_STARTS] + ["a\x1bb", "西\u202e", "ok", "é", None]
    got = list(_inert_array(np.array(cells, dtype=object)))
    # a carriage return is shown as an escape first, and the escape starts no formula
    assert got == ["'=x", "'+x", "'-x", "'@x", "'\tx", "\\rx", "a\\x1bb", "西\\u202e",
                   "ok", "é", None]


def test_text_the_regex_lets_through_is_returned_unchanged():
    values = np.array(["plain", "a b", "~!#$%^&*()"], dtype=object)
    assert _inert_array(values) is values  # nothing to rewrite: no copy


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.floats(), st.integers(-10**10, 10**10).map(float),
                          st.sampled_from([0.0, -0.0, np.nan, 100.0, 1e-4, 1e-5])),
                min_size=1, max_size=20))
def test_g10_cells_are_percent_g_with_nan_as_null(values):
    x = np.array(values, dtype=np.float64)
    expected = [None if v != v else G10 % v for v in x]
    assert g10_cells(x).to_pylist() == expected
    # a chunk of a column that is not all whole numbers may be: the general rule alike
    assert general(x) == expected
    assert format_g10(x).to_pylist() == ["" if v != v else G10 % v for v in x]


def cells(views: np.ndarray, buffers: list, x: np.ndarray) -> list:
    """The text of ``string_view`` views [values, 1, 2], NaN as None."""
    nan = np.isnan(x)
    valid = pa.py_buffer(np.packbits(~nan, bitorder="little"))
    return pa.Array.from_buffers(pa.string_view(), len(x), [valid, pa.py_buffer(views),
                                                            *buffers]).cast(pa.string()
                                                                            ).to_pylist()


def general(x: np.ndarray, columns: int = 1) -> list:
    """The general rule (g10_views) of ``x``, laid out in ``columns`` columns and written
    through a strided view (as a chunk's run of every other column is), in order."""
    x = np.asarray(x, dtype=np.float64)
    grid = x.reshape(-1, columns)
    views = np.zeros((len(grid), 2 * columns, 2), dtype=np.uint64)
    buffers = g10_views(grid, views[:, ::2], 0)
    return cells(views[:, ::2].reshape(-1, 1, 2).copy(), buffers, x)


def integers(x: np.ndarray, table: Integers | None = None) -> list:
    x = np.asarray(x, dtype=np.float64)
    views = np.zeros((len(x), 1, 2), dtype=np.uint64)
    (table or Integers()).write(x.reshape(-1, 1), views)
    return cells(views, [], x)


def g10(x) -> list:
    return [None if v != v else G10 % v for v in np.asarray(x, dtype=np.float64)]


# doubles of every magnitude (any bit pattern), and the values the rule must get right:
# next to a half of the tenth digit, powers of ten and their neighbours, -0, NaN, inf,
# subnormals, whole numbers at and around 1e10, negatives
ANY_DOUBLE = st.integers(0, 2**64 - 1).map(
    lambda b: float(np.array([b], dtype=np.uint64).view(np.float64)[0]))
POW10 = st.integers(-12, 14).map(lambda k: 10.0 ** k)
NEXT = st.tuples(st.one_of(POW10, st.floats(1e-6, 1e11)), st.sampled_from([-2, -1, 1, 2])
                 ).map(lambda t: float(np.nextafter(t[0], np.inf if t[1] > 0 else 0)
                                       if abs(t[1]) == 1 else
                                       np.nextafter(np.nextafter(t[0], np.inf if t[1] > 0
                                                                 else 0),
                                                    np.inf if t[1] > 0 else 0)))
# d.ddddddddd5 * 10**k: exactly (or next to) a half of the tenth digit
HALF = st.tuples(st.integers(10**9, 10**10 - 1), st.integers(-6, 11),
                 st.sampled_from([-1, 0, 1])).map(
    lambda t: float(np.nextafter((t[0] + 0.5) * 10.0 ** (t[1] - 9), np.inf * t[2])
                    if t[2] else (t[0] + 0.5) * 10.0 ** (t[1] - 9)))
AROUND_1E10 = st.integers(10**10 - 3, 10**10 + 3).map(float)
SPECIAL = st.sampled_from([0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, -5e-324,
                           2.2250738585072014e-308, 2.225073858507201e-308,
                           1.7976931348623157e308, 9999999999.5, 999999999.95, 1e-4,
                           9.99999999995e-5, 1e-5, 0.5, 1e10, 1e9])
DOUBLES = st.one_of(ANY_DOUBLE, POW10, NEXT, HALF, AROUND_1E10, SPECIAL,
                    st.floats(-1e12, 1e12), st.floats(-1e-3, 1e-3))


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(DOUBLES, st.booleans()).map(lambda t: -t[0] if t[1] else t[0]),
                min_size=1, max_size=24), st.sampled_from([1, 2, 3]))
def test_the_general_rule_is_percent_g_for_doubles_of_every_kind(values, columns):
    x = np.array(values + [np.nan] * (-len(values) % columns))
    assert general(x, columns) == g10(x)


def test_the_general_rule_on_many_values_across_blocks(monkeypatch):
    """Blocks of a few rows: texts over 12 bytes and those Python formats are numbered
    across blocks in their buffers."""
    monkeypatch.setattr(g10_module, "_BLOCK", 6)
    rng = np.random.default_rng(3)
    x = np.concatenate([-rng.uniform(0, 1e-3, 40), rng.uniform(0, 100, 40),
                        [-0.0, np.inf, 1e300, -1e-300, np.nan] * 4, 1e10 + np.arange(8.0)])
    rng.shuffle(x)
    assert general(x, 3) == g10(x)


WHOLE = st.one_of(st.integers(-(10**10) + 1, 10**10 - 1), st.integers(0, 25000),
                  st.sampled_from([0, 1, 9, 10, 99, 100, 9999999999, -9999999999,
                                   2**19 - 1, 2**19, 1 - 2**19, -(2**19)])).map(float)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(WHOLE, st.just(np.nan)), min_size=1, max_size=20))
def test_whole_numbers_are_written_as_integers_by_table_or_by_rule(values):
    """Whole numbers within 2**19 of 0 (ranks, counts, rank gaps) come from the table,
    the rest from their digits: the text of "%.10g" either way; the table grows as
    needed."""
    table = Integers()
    assert integers(np.array(values), table) == g10(values)
    assert integers(np.array([3.0, np.nan]), table) == ["3", None]  # a grown table reused


def test_evenly_spaced_runs_cover_the_columns_in_order():
    for positions in ([2, 3, 4, 6, 8, 10], [1], [], [3, 4, 7, 9, 11], [1, 5, 6, 7, 8]):
        runs = _spaced(positions)
        assert [j for r in runs for j in range(r.start, r.stop, r.step)] == positions
    assert _spaced([6, 8, 10, 12]) == [slice(6, 13, 2)]
    row = np.arange(10)
    for positions in ([3, 2, 1, 0], [0, 2, 4], [9, 7, 5, 3, 1], [4, 2], [5], [1, 1], [2, 3, 5]):
        assert row[_as_slice(positions)].tolist() == positions
    assert _as_slice([3, 2, 1, 0]) == slice(3, None, -1) and _as_slice([2, 3, 5]) == [2, 3, 5]


def test_a_frame_of_many_chunks_is_the_bytes_pandas_writes(tmp_path, monkeypatch):
    """Chunks of a few rows, blocks of a few values: whole and general float columns
    interleaved, text cells in and out of line (over 12 bytes), quoted and neutralised,
    integer and boolean columns, NaN, texts over 12 bytes and Python-formatted values."""
    monkeypatch.setattr(exports, "_ROWS_CELLS", 20)
    monkeypatch.setattr(g10_module, "_BLOCK", 7)
    rng = np.random.default_rng(5)
    n = 53
    score = np.round(rng.uniform(-1, 1, n), 6) * 10.0 ** rng.integers(-5, 6, n)
    score[::7] = np.nan
    score[3::11] = [-0.0, 1e300, -1e-12, np.inf, 9999999999.5][:len(score[3::11])]
    rank = rng.integers(1, 40, n).astype(float)
    rank[::9] = np.nan
    frame = pd.DataFrame({
        "name": pd.Series([["short", "a name longer than twelve", "=SUM(A1)", "a,b", 'q"',
                            None][i % 6] for i in range(n)], dtype="str"),
        "rank": rank, "score": score, "count": rng.integers(-5, 5, n), "ok": rank > 20,
        "x.rank": rank * 1000, "x.score": -score / 7},
        index=pd.Index([f"unit-{i:04d}-of-a-long-code" for i in range(n)], name="unit"))
    frame.iloc[5, 2] = -0.00012345678912  # 16 bytes and its separator: a 17th byte
    for last in ("x.score", "x.rank", "name"):  # the line ends after a float, whole or text
        f = frame[[c for c in frame.columns if c != last] + [last]]
        expected = inert_frame(f).to_csv(float_format=G10, lineterminator="\n").encode()
        assert write_csv(f, tmp_path / "f.csv", index=True).read_bytes() == expected


def test_whole_numbers_with_nan_take_the_integer_path():
    x = np.array([1.0, np.nan, 20000.0, 0.0, -3.0])
    cells = g10_cells(x)
    assert cells.to_pylist() == ["1", None, "20000", "0", "-3"]
    assert cells.type == pa.string()


@settings(max_examples=100, deadline=None)
@given(st.lists(TEXT, min_size=1, max_size=8), st.booleans())
def test_an_arrow_backed_text_column_writes_what_its_objects_write(tmp_path_factory, cells,
                                                                   one_column):
    """pandas 3's ``str`` column is tested and written from its Arrow array (no Python
    object per cell), a column needing no change kept as it is: the bytes are those of
    the same cells as Python objects."""
    folder = tmp_path_factory.mktemp("s")
    frames = [pd.DataFrame({"name": pd.Series(cells, dtype=dtype)}) for dtype in ("str", object)]
    if not one_column:  # one column: pandas writes it (a lone empty field is quoted)
        frames = [f.assign(score=np.arange(len(cells)) / 3) for f in frames]
    got, expected = (write_csv(f, folder / f"{k}.csv").read_bytes()
                     for k, f in enumerate(frames))
    assert got == expected
    assert list(inert_frame(frames[0], index=False)["name"].fillna("<na>")) == \
        list(inert_frame(frames[1], index=False)["name"].fillna("<na>"))


def test_a_str_column_with_a_formula_is_made_inert():
    frame = pd.DataFrame({"name": pd.Series(["ok", "=HYPERLINK(1)", None], dtype="str"),
                          "n": [1, 2, 3]})
    assert inert_frame(frame, index=False)["name"].tolist()[:2] == ["ok", "'=HYPERLINK(1)"]
    plain = pd.DataFrame({"name": pd.Series(["ok", "fine"], dtype="str"), "n": [1, 2]})
    assert inert_frame(plain, index=False)["name"].dtype == "str"  # kept as it is


def test_a_str_column_of_several_arrow_chunks_is_written_whole(tmp_path):
    """A concatenated ``str`` column is held as several Arrow chunks (the main index's
    ranking of two editions is one)."""
    name = pd.concat([pd.Series(["a", "b,c"], dtype="str"),
                      pd.Series(["=d", None], dtype="str")], ignore_index=True)
    assert pa.array(name.array).num_chunks == 2
    frame = pd.DataFrame({"name": name, "score": [1.5, 2.0, np.nan, 0.25]})
    assert write_csv(frame, tmp_path / "c.csv").read_text() == \
        'name,score\na,1.5\n"b,c",2\n\'=d,\n,0.25\n'
    plain = pd.concat([pd.Series(["a"], dtype="str"), pd.Series(["b"], dtype="str")],
                      ignore_index=True)
    assert write_csv(pd.DataFrame({"name": plain, "n": [1, 2]}), tmp_path / "p.csv"
                     ).read_text() == "name,n\na,1\nb,2\n"


def test_repeated_text_is_tested_once_per_distinct_value_and_taken_back_to_every_cell():
    text = pa.array(["u1", "a,b", None, "=x", "u1", "a,b", "=x", None, "é"] * 3)
    assert _may_change(text).tolist() == [False, False, False, True, False, False, True,
                                          False, True] * 3
    assert _quoted(pc.fill_null(text, "")).to_pylist() == \
        ["u1", '"a,b"', "", "=x", "u1", '"a,b"', "=x", "", "é"] * 3
    plain = pa.array(["u1", "u2", None, "u1"])
    assert _may_change(plain).tolist() == [False] * 4
    assert _quoted(plain) is plain  # nothing to quote: the same array


def test_distinct_texts_are_their_own_dictionary_and_repeated_ones_are_encoded(monkeypatch):
    """A column whose first cells are mostly distinct is indexed in order, unhashed; one of
    repeats is encoded; either way each cell is dictionary[index], and the tests and quotes
    made on the dictionary are the per-cell ones."""
    monkeypatch.setattr(exports, "_SAMPLE", 4)
    distinct = pa.array(["u1", "=u2", "a,b", None, "u5", "u6"])
    own = exports._encoded(distinct)
    assert own.dictionary.equals(distinct) and own.indices.to_pylist() == list(range(6))
    repeated = pa.array(["u1", "u1", "u1", "u2", "u1", "u2"])
    assert len(exports._encoded(repeated).dictionary) == 2
    for text in (distinct, repeated):
        assert exports._encoded(text).cast(pa.string()).to_pylist() == text.to_pylist()
    assert _may_change(distinct).tolist() == [False, True, False, False, False, False]
    assert _quoted(pc.fill_null(distinct, "")).to_pylist() == \
        ["u1", "=u2", '"a,b"', "", "u5", "u6"]


def test_a_column_of_few_runs_is_one_dictionary_entry_per_run(tmp_path, monkeypatch):
    """Each text's rows together (a unit's profile rows): one entry per run, the runs found
    by comparing neighbours; a null is a run of its own; a text may come back in a later
    run. Tests, quotes and the written bytes are those of the cells."""
    monkeypatch.setattr(exports, "_SAMPLE", 4)
    cells = ["u1"] * 6 + ["=u2"] * 5 + [None] * 2 + ["a,b"] * 6 + ["u1"] * 5 + ['q"'] * 6
    text = pa.array(cells)
    runs = exports._encoded(text)
    assert runs.dictionary.to_pylist() == ["u1", "=u2", None, None, "a,b", "u1", 'q"']
    assert runs.cast(pa.string()).to_pylist() == cells
    assert _may_change(text).tolist() == [c is not None and c.startswith("=") for c in cells]
    assert _quoted(pc.fill_null(text, "")).to_pylist() == \
        [{"a,b": '"a,b"', 'q"': '"q"""', None: ""}.get(c, c) for c in cells]
    frame = pd.DataFrame({"unit": pd.Series(cells, dtype="str"),
                          "score": np.arange(len(cells)) / 7})
    expected = inert_frame(frame).to_csv(index=False, float_format=G10,
                                         lineterminator="\n").encode()
    assert write_csv(frame, tmp_path / "r.csv").read_bytes() == expected


def test_a_column_of_nan_only_is_written_empty_with_its_separators(tmp_path, monkeypatch):
    """A column that is NaN in every row (or in every row of the first chunk) is taken as
    whole numbers: its empty cells still carry their separators."""
    monkeypatch.setattr(exports, "_ROWS_CELLS", 6)
    frame = pd.DataFrame({"u": ["a" * 30, "b", "c", "d"], "v": [np.nan] * 4,
                          "w": [np.nan, np.nan, 3.0, 4.0], "x": [np.nan] * 4})
    assert write_csv(frame, tmp_path / "n.csv").read_text() == \
        "u,v,w,x\n" + "a" * 30 + ",,,\nb,,,\nc,,3,\nd,,4,\n"


COLUMN = st.sampled_from(["float", "whole", "text", "int", "bool", "nan"])


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 30), st.lists(COLUMN, min_size=1, max_size=6), st.booleans(),
       st.sampled_from([3, 7, 50]), st.integers(0, 2**32 - 1), st.sampled_from([2, 4096]))
def test_frames_written_in_chunks_are_the_bytes_pandas_writes(rows, kinds, index, cells,
                                                              seed, sample):
    """Any mix of columns, cut into chunks of a few rows and blocks of a few values; text
    columns taken as distinct from their first two cells on, or encoded."""
    from unittest import mock

    rng = np.random.default_rng(seed)
    make = {
        "float": lambda: np.where(rng.random(rows) < 0.2, np.nan, rng.standard_normal(rows)
                                  * 10.0 ** rng.integers(-6, 12, rows)),
        "whole": lambda: np.where(rng.random(rows) < 0.2, np.nan,
                                  rng.integers(-3, 10**6, rows).astype(float)),
        "text": lambda: pd.Series(rng.choice(np.array(
            ["a", "=b", "c,d", 'e"', "a name over twelve bytes", "", None], dtype=object),
            rows), dtype="str"),
        "int": lambda: rng.integers(-10**9, 10**9, rows),
        "bool": lambda: rng.random(rows) < 0.5,
        "nan": lambda: np.full(rows, np.nan)}
    frame = pd.DataFrame({f"{k}{j}": make[k]() for j, k in enumerate(kinds)},
                         index=pd.Index([f"u{i}" for i in range(rows)], name="unit"))
    if len(kinds) + index < 2:
        frame["z"] = 1.5  # a lone column is left to pandas
    expected = inert_frame(frame, index=index).to_csv(index=index, float_format=G10,
                                                      lineterminator="\n").encode()
    with mock.patch.object(exports, "_ROWS_CELLS", cells), \
            mock.patch.object(g10_module, "_BLOCK", 5), \
            mock.patch.object(exports, "_SAMPLE", sample):
        buf = b"".join(exports._csv_chunks(*exports._csv_table(inert_frame(frame, index=index),
                                                               index)))
    assert buf == expected
