"""Issue 27: the columnar CSV reader, the array number parser and the vectorised CSV writer
give what the row-by-row code gave: the same cells, row numbers, float64 bits, coded
problems and CSV bytes (the reference each is compared with is that code, kept here or
still in use as the fallback)."""

import csv
import io

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import fintech_index as fi
from fintech_index import tables
from fintech_index.errors import DataError, Problems
from fintech_index.exports import _csv_table, inert_frame, write_csv
from fintech_index.g10 import G10, format_g10
from fintech_index.tables import (
    MISSING_MARKERS,
    Table,
    _decode,
    _read_csv,
    _read_csv_columnar,
    as_text,
    parse_columns,
    parse_numbers,
    read_table,
)

# ------------------------------------------------------------------------- reading


def csv_module_table(raw: bytes, src: str = "t.csv"):
    """The row-by-row reading (Python's csv module), or the error it raises."""
    try:
        return _read_csv(_decode(raw, src), src, ",")
    except DataError as e:
        return e


def cells_of(table: Table) -> tuple:
    f = table.frame
    return (list(f.columns), f.astype(object).to_numpy().tolist(),
            [table.row(i) for i in range(len(f))])


def test_a_plain_file_is_read_by_arrow_with_its_text_untouched(tmp_path):
    raw = b'\xef\xbb\xbfunit,year,x\r\nA, 2020 ,"1,5"\r\n"B ""b""",2021,"two\nlines"\r\n'
    table = _read_csv_columnar(raw, "t.csv", ",")
    assert table is not None and str(table.frame["x"].dtype) == "str"
    assert cells_of(table) == (["unit", "year", "x"],
                               [["A", " 2020 ", "1,5"], ['B "b"', "2021", "two\nlines"]],
                               ["row 2", "row 3"])
    assert cells_of(table) == cells_of(csv_module_table(raw))


def test_a_file_read_in_several_blocks(tmp_path, monkeypatch):
    """Arrow reads a file in blocks (here of a megabyte): a column then comes in chunks."""
    monkeypatch.setattr(tables, "READ_BLOCK", 1 << 20)
    n = 150_000
    path = tmp_path / "big.csv"
    path.write_text("unit,x\n" + "".join(f" u{i} ,{i}.5\n" for i in range(n)))
    table = read_table(path)
    assert len(table.frame) == n and table.frame["x"].array._pa_array.num_chunks > 1
    problems = Problems()
    assert parse_numbers(table.frame["x"], table, "x", problems).tolist() == [
        i + 0.5 for i in range(n)]
    assert as_text(table.frame["unit"]).tolist() == [f"u{i}" for i in range(n)]
    assert list(problems) == []


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40).map(lambda b: bytes(b"\n"[0] if x % 3 else b"a"[0] for x in b)),
       st.integers(0, 5), st.integers(1, 6))
def test_a_blank_line_is_found_across_blocks(raw, cut, block):
    """_blank_line, testing blocks of a few bytes, finds two line feeds in a row where
    bytes.find does, one block's last byte and the next one's first among them."""
    start, end = min(cut, len(raw)), max(min(cut, len(raw)), len(raw) - cut)
    old = tables.READ_BLOCK
    try:
        tables.READ_BLOCK = block
        assert tables._blank_line(raw, start, end) == (raw.find(b"\n\n", start, end) >= 0)
    finally:
        tables.READ_BLOCK = old


@pytest.mark.parametrize("raw", [
    b"unit,year\n\nA,2020\n",  # a blank line: rows keep their file numbers
    b"unit,year\rA,2020\r",  # lone carriage returns
    b'unit,year\nA "x",2020\n',  # a quote inside a field
    b'unit,year\n"A" ,2020\n',  # text after a closing quote (the csv module refuses it)
    b"unit,year\nA,2020,3\n",  # a row of the wrong length
    b"unit,year\nA,\xff\n",  # not UTF-8
    b"unit,year\nA\x00,2020\n",  # NUL
])
def test_files_arrow_might_read_otherwise_go_to_the_csv_module(raw):
    assert _read_csv_columnar(raw, "t.csv", ",") is None


FIELD = st.one_of(st.sampled_from(["", " ", "1", "-2.5", "NA", "x y", "=1+1", '"', "a,b",
                                   "l1\nl2", "l1\r\nl2", "\u00a0v\u3000", "é", "\t7 "]),
                  st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"),
                          max_size=4))


def render(field: str, how: int) -> str:
    """A field as a CSV writer might have written it: as is, or quoted."""
    return field if how == 0 else '"' + field.replace('"', '""') + '"'


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4).flatmap(lambda w: st.lists(
    st.lists(st.tuples(FIELD, st.integers(0, 1)), min_size=w, max_size=w), min_size=1,
    max_size=5)), st.sampled_from(["\n", "\r\n"]), st.booleans(), st.booleans())
def test_arrow_reads_any_file_as_the_csv_module_does(tmp_path_factory, rows, end, last_end, bom):
    text = end.join(",".join(render(f, h) for f, h in row) for row in rows)
    raw = (b"\xef\xbb\xbf" if bom else b"") + (text + (end if last_end else "")).encode()
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_bytes(raw)
    expected = csv_module_table(raw)
    try:
        got = read_table(path)
    except DataError as e:
        got = e
    if isinstance(expected, DataError):
        assert isinstance(got, DataError) and str(got) == str(expected)
    else:
        assert not isinstance(got, DataError), got
        assert cells_of(got) == cells_of(expected)


# ------------------------------------------------------------------------- numbers


def row_by_row(cells: list[str]) -> tuple[np.ndarray, list]:
    """The parser before issue 27: every cell stripped and matched in Python, the whole
    column through ``pd.to_numeric``."""
    text = np.array([c.strip() for c in cells], dtype=object)
    missing = np.isin(text, list(MISSING_MARKERS))
    out = pd.to_numeric(pd.Series(np.where(missing, "nan", text), dtype=object),
                        errors="coerce").to_numpy(dtype=np.float64)
    problems = [("D15", i) for i in np.flatnonzero(np.isnan(out) & ~missing)]
    return out, problems + [("D16", i) for i in np.flatnonzero(np.isinf(out))]


NUMBER_CELLS = ["1", " 2.5 ", "", "NA", "n/a", "..", "None", "x", "1e400", "-inf", "inf",
                "nan", "9007199254740993", "12345678901234567890123", "0x10", "1,5", "+3",
                "-0", "-0.0", "\t7 ", "1e-400", ".5", "5.", "TRUE", "-9223372036854775809",
                "123456789012345", "1234567890123456", "0.1234567890123456789", "1_000",
                "+-1", "--1", ".", "-", "1.2.3", "1e5", "1E+05", "\u0661", "\u00a01"]
number_cell = st.one_of(
    st.sampled_from(NUMBER_CELLS),
    st.tuples(st.integers(-10**12, 10**12), st.integers(0, 8)).map(
        lambda t: f"{t[0] / 10**t[1]:.{t[1]}f}"),
    st.floats(allow_nan=False).map(repr),
    st.integers(-10**19, 10**19).map(str),
    st.from_regex(r"\A[+-]?[0-9]{0,17}\.?[0-9]{0,17}([eE][+-]?[0-9]{1,3})?\Z"))


@settings(max_examples=300, deadline=None)
@given(st.lists(number_cell, min_size=1, max_size=8), st.booleans())
def test_numbers_and_problems_as_the_row_by_row_parser(cells, arrow_backed):
    col = pd.Series(cells, dtype="str" if arrow_backed else object)
    table = Table(pd.DataFrame({"c": col}), "t.csv", first_row=2)
    try:
        expected = row_by_row(cells)
    except ValueError as e:  # pandas' own refusal (an int above 2**63 beside a NaN)
        with pytest.raises(type(e)):
            parse_numbers(col, table, "c", Problems())
        return
    problems = Problems()
    got = parse_numbers(col, table, "c", problems)
    assert got.tobytes() == expected[0].tobytes(), (cells, got, expected[0])
    assert [(code, text.split(",")[0]) for code, text in problems] == [
        (code, f"t.csv: row {i + 2}") for code, i in expected[1]]


def test_a_synthetic_column_of_plain_decimals_equals_pandas_bit_for_bit():
    rng = np.random.default_rng(0)
    cells = [f"{v:.{d}f}" for v, d in zip(rng.uniform(-1e6, 1e6, 20000),
                                          rng.integers(0, 9, 20000), strict=True)]
    col = pd.Series(cells, dtype="str")
    got = parse_numbers(col, Table(pd.DataFrame({"c": col}), "t.csv", 2), "c", Problems())
    assert got.tobytes() == row_by_row(cells)[0].tobytes()


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(number_cell, min_size=3, max_size=3), min_size=1, max_size=7),
       st.booleans())
@example([["-0", "1", "2"], ["1.5", "", "-0.0"], ["2", " 3 ", "n/a"]], True)
def test_columns_parsed_in_blocks_on_two_threads_as_one_by_one(monkeypatch_columns, columns,
                                                               arrow_backed):
    """parse_columns, two columns a block on two threads (the columns of plain decimals and
    markers parsed together): each column's numbers and problems, in the columns' order,
    as parse_numbers one column after another."""
    names = [f"c{k}" for k in range(len(columns))]
    frame = pd.DataFrame({n: pd.Series(c, dtype="str" if arrow_backed else object)
                          for n, c in zip(names, columns, strict=True)})
    table = Table(frame, "t.csv", first_row=2)
    serial = Problems()
    try:
        expected = [parse_numbers(frame[n], table, n, serial) for n in names]
    except ValueError as e:  # pandas' own refusal (an int above 2**63 beside a NaN)
        with pytest.raises(type(e)):
            parse_columns(table, names, np.empty((len(names), 3)), Problems())
        return
    problems, got = Problems(), np.empty((len(names), 3))
    parse_columns(table, names, got, problems)
    assert got.tobytes() == np.array(expected).tobytes()
    assert problems == serial


@pytest.fixture
def monkeypatch_columns(monkeypatch):
    """parse_columns on two threads for any table, two columns at a time."""
    monkeypatch.setattr(tables, "PARSE_BLOCK", 2 * 3)
    monkeypatch.setattr(tables, "PARSE_POOL_MIN", 0)
    return monkeypatch


def test_bad_cells_in_two_columns_are_reported_as_one_column_after_another(
        tmp_path, monkeypatch_columns):
    """A wide file with bad cells in two columns parsed on two threads: the same coded
    error, naming file, row and column, each column's problems in its rows' order and the
    columns in the file's order (x1's row 4 before x3's row 2), as without threads."""
    from .helpers import two_level_framework

    fw = two_level_framework(units=("a", "b", "c"))
    path = tmp_path / "d.csv"
    path.write_text("unit,year,x1,x2,x3,x4\na,2020,1,2,oops,4\nb,2020,1,2,3,4\n"
                    "c,2020,x,2,3,inf\n")
    with pytest.raises(DataError) as threaded:
        fi.load_panel(path, fw)
    assert str(threaded.value).splitlines() == [
        "d.csv: row 4, column 'x1': 'x' is not a number (accepted: a number, or empty/NA "
        "for a missing value) [D15]",
        "d.csv: row 2, column 'x3': 'oops' is not a number (accepted: a number, or "
        "empty/NA for a missing value) [D15]",
        "d.csv: row 4, column 'x4': inf is not a finite number [D16]"]
    monkeypatch_columns.setattr(tables, "PARSE_POOL_MIN", 1 << 40)
    with pytest.raises(DataError) as alone:
        fi.load_panel(path, fw)
    assert str(alone.value) == str(threaded.value)


# ------------------------------------------------------------------------- writing


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_format_g10_is_percent_g(v):
    assert format_g10(np.array([v])).to_pylist() == ["" if v != v else G10 % v]


def test_format_g10_on_many_values_at_once():
    rng = np.random.default_rng(1)
    x = np.concatenate([
        rng.uniform(0, 100, 50000),
        rng.standard_normal(50000) * 10.0 ** rng.integers(-20, 25, 50000),
        np.arange(-500, 500) / 8, np.round(rng.uniform(0, 1, 20000), 10), np.arange(1.0, 2001.0),
        [0.0, -0.0, np.nan, np.inf, -np.inf, 9999999999.5, 99999.999995, 1e-5, 1e-4, 1e10,
         0.000099999999995, 5e-324, 1.7976931348623157e308]])
    assert format_g10(x).to_pylist() == ["" if v != v else G10 % v for v in x]


TEXT = st.one_of(st.none(), st.sampled_from(["", "a", "=1+1", "+x", "-y", "@z", "\tt", "\rr",
                                              'q"q', "a,b", "l1\nl2", " s ", "é", "a\rb"]),
                 st.text(alphabet=st.characters(codec="utf-8"), max_size=5))
FLOATS = st.one_of(st.floats(), st.integers(-10**6, 10**6).map(float),
                   st.sampled_from([0.5, 1 / 3, 57.123456789012, 1e-5, 1e10, -0.0]))


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 6).flatmap(lambda n: st.tuples(
    st.lists(FLOATS, min_size=n, max_size=n), st.lists(TEXT, min_size=n, max_size=n),
    st.lists(st.integers(-10**12, 10**12), min_size=n, max_size=n),
    st.lists(st.booleans(), min_size=n, max_size=n),
    st.lists(st.text(max_size=3), min_size=n, max_size=n, unique=True))),
    st.booleans(), st.sampled_from(["score", "=bad", "a,b"]), st.booleans())
def test_write_csv_bytes_are_pandas_to_csv_bytes(tmp_path_factory, columns, index, label,
                                                 text_dtype):
    floats, text, ints, flags, codes = columns
    frame = pd.DataFrame({label: floats, "name": pd.Series(text, dtype="str" if text_dtype
                                                           else object),
                          "n": ints, "ok": flags},
                         index=pd.Index(codes, name="unit"))
    folder = tmp_path_factory.mktemp("w")
    safe = inert_frame(frame, index=index)
    assert _csv_table(safe, index) is not None  # the vectorised writer, not the fallback
    expected = safe.to_csv(index=index, float_format=G10, lineterminator="\n").encode()
    assert write_csv(frame, folder / "x.csv", index=index).read_bytes() == expected


def test_frames_the_fast_writer_leaves_to_pandas_are_still_written_alike(tmp_path):
    one_column = pd.DataFrame({"a": [np.nan, 1.5]})  # a lone empty field is quoted: '""'
    assert write_csv(one_column, tmp_path / "a.csv").read_text() == 'a\n""\n1.5\n'
    mixed = pd.DataFrame({"a": ["=x", 2.5], "b": [1, 2]})  # text beside a number
    assert write_csv(mixed, tmp_path / "b.csv").read_text() == "a,b\n'=x,1\n2.5,2\n"


def test_quoting_is_the_csv_modules():
    frame = pd.DataFrame([['q"q', "a,b", "l1\nl2", "a\rb", "x"]])
    frame.columns = ["c1", "c2", "c3", "c4", "c5"]
    safe = inert_frame(frame, index=False)
    # a lone carriage return is a control character: shown as an escape (safe.printable)
    assert list(safe.iloc[0]) == ['q"q', "a,b", "l1\nl2", "a\\rb", "x"]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(list(safe.iloc[0]))
    header, cells = _csv_table(safe, False)
    assert ",".join(c[0].as_py() for c in cells) + "\n" == buf.getvalue()
