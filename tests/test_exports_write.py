"""Issue 27, the write path: the vectorised tests and formats of exports.py give exactly
what the per-cell rules give (safe.printable, neutralise, "%.10g")."""

import numpy as np
import pandas as pd
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from fintech_index.exports import (
    FORMULA_STARTS,
    G10,
    _g10_cells,
    _g10_fixed,
    _inert_array,
    _inert_value,
    format_g10,
    inert_frame,
    write_csv,
)

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
    assert _g10_cells(x).to_pylist() == expected
    # a chunk of a column that is not all whole numbers may be: the general rule alike
    assert _g10_fixed(x, np.isnan(x)).to_pylist() == expected
    assert format_g10(x).to_pylist() == ["" if v != v else G10 % v for v in x]


def test_whole_numbers_with_nan_take_the_integer_path():
    x = np.array([1.0, np.nan, 20000.0, 0.0, -3.0])
    cells = _g10_cells(x)
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
