"""Reading a table file (CSV, TSV, Excel, Parquet) as text cells, and parsing its cells
as numbers: the one reader behind the panel, records, rates and COINr loaders. A bad file or
cell is a coded error naming the file, row and column; nothing is dropped silently."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .errors import DataError, Problems, one_line
from .pool import ordered_map
from .xlsx import read_excel

MISSING_MARKERS = frozenset({"", "NA", "N/A", "n/a", "NaN", "nan", "..", "null", "NULL", "None"})


@dataclass
class Table:
    """A file read as text cells, with how to name a row in messages."""

    frame: pd.DataFrame
    src: str
    first_row: int  # the file row number of frame row 0
    row_word: str = "row"
    row_numbers: list[int] | None = None  # file row of each frame row, where not consecutive

    def number(self, i: int) -> int:
        return self.row_numbers[i] if self.row_numbers is not None else i + self.first_row

    def row(self, i: int) -> str:
        return f"{self.row_word} {self.number(i)}"


def release_arrow_memory() -> None:
    """Give back to the system the memory Arrow's allocator keeps after a large read or
    write (mimalloc holds freed blocks for reuse: 80 MB after reading 20,000 x 200 cells),
    so that the next stage's peak does not stand on it (issue 27)."""
    pa.default_memory_pool().release_unused()


def _decode(raw: bytes, src: str) -> str:
    if not raw.strip():
        raise DataError("D02", f"{src}: the file is empty; expected a header row and data rows")
    _refuse_utf16(raw, src)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise DataError("D03", f"{src}: row {line}: byte {e.start} (0x{raw[e.start]:02x}) is not "
                               "UTF-8; save the file as UTF-8 (Excel: 'CSV UTF-8')") from None


def _refuse_utf16(raw: bytes, src: str) -> None:
    """Refuse UTF-16 text [D88]: a byte-order mark, or (without one) NULs in every other
    byte of the first 4 KB (a quarter of its bytes at least, ten times as many as in the
    other bytes), which UTF-8 text never has. Read as UTF-8, the NULs would stay in every
    cell and shift the fields."""
    head = raw[:4096]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        order, how = ("little" if head[:1] == b"\xff" else "big"), "its byte-order mark"
    else:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if max(even, odd) < max(2, len(head) // 8) or min(even, odd) > max(even, odd) // 10:
            return
        order, how = ("little" if odd > even else "big"), "a NUL in every other byte, no BOM"
    raise DataError("D88", f"{src}: the file is UTF-16 ({order}-endian; guessed from {how}), "
                           "not UTF-8; save it as UTF-8 (Excel: 'CSV UTF-8'; an editor: "
                           "encoding UTF-8)")


def read_table(path: Path | str, sheet: str | int | None = None) -> Table:
    p = Path(path)
    src = p.name
    if not p.is_file():  # a folder ('' is '.') is not a data file either
        raise DataError("D01", f"{p}: no such data file" + (" (it is a folder)" if p.is_dir()
                                                            else ""))
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        frame, name = read_excel(p, src, sheet)
        return Table(frame, src, first_row=2, row_word=f"sheet {name!r} row")
    if sheet is not None and suffix in (".csv", ".txt", ".tsv", ".parquet", ".pq"):
        raise DataError("D87", f"{src}: a sheet ({sheet!r}) was asked of a {suffix} file; "
                               "sheets are for Excel workbooks (.xlsx, .xls): leave the sheet "
                               "out, or give the workbook")
    if suffix in (".csv", ".txt", ".tsv"):
        raw, sep = p.read_bytes(), "\t" if suffix == ".tsv" else ","
        table = _read_csv_columnar(raw, src, sep)
        return table if table is not None else _read_csv(_decode(raw, src), src, sep)
    if suffix in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(p)
        except Exception as e:  # pyarrow raises ArrowInvalid/OSError on a corrupt file
            raise DataError("D09", f"{src}: not a readable Parquet file "
                                   f"({type(e).__name__}: {one_line(e)})") from None
        return Table(frame, src, first_row=1, row_word="record")
    raise DataError("D04",
                    f"{src}: unknown file type '{suffix}'; accepted: .csv, .tsv, .xlsx, .xls, "
                    ".parquet")


def _quotes_well_formed(raw: bytes | memoryview, sep: str) -> bool:
    """Whether every '"' of ``raw`` is part of a whole quoted field: opening a field (at the
    start of the file or a line, or after a separator), doubled inside it, or closing it
    before a separator, a line end or the end of the file. Where that holds, Python's csv
    module (strict) and Arrow's reader split the file alike."""
    b = np.frombuffer(raw, dtype=np.uint8)
    q = np.flatnonzero(b == ord('"'))
    if not len(q):
        return True
    if len(q) % 2:
        return False
    opens, closes = q[0::2], q[1::2]
    doubled = opens[1:] == closes[:-1] + 1  # '""' inside a quoted field
    starts = np.concatenate([opens[:1], opens[1:][~doubled]])
    ends = np.concatenate([closes[:-1][~doubled], closes[-1:]])
    before = b[starts[starts > 0] - 1]
    after = b[ends[ends < len(b) - 1] + 1]
    s, nl, cr = ord(sep), ord("\n"), ord("\r")
    return bool(np.isin(before, [s, nl]).all() and np.isin(after, [s, nl, cr]).all())


READ_BLOCK = 1 << 22  # bytes Arrow reads at a time: a column comes in that many chunks
# (issue 27, 20,000 x 200, 30 MB: 4 MB blocks against Arrow's 1 MB, read CPU about the
# same on two threads, and the columns handed to pandas and back in ~50 ms, not ~120 ms)


def _blank_line(raw: bytes, start: int, end: int) -> bool:
    """Whether ``raw[start:end]`` holds two line feeds in a row (a blank line), by vector
    tests of its bytes a block of :data:`READ_BLOCK` at a time (bytes.find took 35 ms of
    30 MB; a test of the whole file at once held 30 MB more)."""
    b = np.frombuffer(raw, dtype=np.uint8)
    for lo in range(start, end - 1, READ_BLOCK):
        feed = b[lo:min(lo + READ_BLOCK + 1, end)] == ord("\n")  # one byte of overlap
        if (feed[1:] & feed[:-1]).any():
            return True
    return False


def _read_csv_columnar(raw: bytes, src: str, sep: str) -> Table | None:
    """A CSV file read by Arrow's columnar reader, every cell as text, as :func:`_read_csv`
    would read it; None for a file it might read differently (blank lines, a lone carriage
    return, NUL bytes, a quote outside a whole quoted field, a row of the wrong length, a
    field over the csv module's limit, bytes that are not UTF-8), which the csv module then
    reads and reports on. Arrow was chosen by measurement (issue 27: 20,000 x 200, 30 MB,
    every cell as text, on a shared 2-core machine): 0.2-0.3 s; DuckDB's read_csv
    (all_varchar) 2.6-3.4 s; polars 2.1 (infer_schema=False) 1.1-1.2 s, and 2.1 s more to
    hand its columns over as Arrow; the csv module 3.1 s. pyarrow is a dependency already."""
    start = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    end = len(raw)  # blank lines at the end hold nothing and shift no row number
    while end > start and raw[end - 1] in b"\r\n":
        end -= 1
    crlf = b"\r" in raw  # one fast pass: the two counts below take 50 ms of 30 MB
    if (end == start or raw[start:start + 4096].isspace() and raw[start:end].isspace()
            or b"\x00" in raw or _blank_line(raw, start, end)
            or crlf and (raw.count(b"\r") != raw.count(b"\r\n")
                         or raw.find(b"\n\r\n", start, end) >= 0)
            or raw[start:start + 1] in (b"\n", b"\r")
            or b'"' in raw and not _quotes_well_formed(memoryview(raw)[start:], sep)):
        return None
    first_line = raw.find(b"\n", start)
    width = raw.count(sep.encode(), start, first_line if first_line >= 0 else len(raw)) + 1
    try:  # the header is read as a row of text, and taken off below
        read = pacsv.read_csv(
            pa.BufferReader(pa.py_buffer(raw).slice(start)),
            read_options=pacsv.ReadOptions(autogenerate_column_names=True,
                                           block_size=READ_BLOCK),
            parse_options=pacsv.ParseOptions(delimiter=sep, newlines_in_values=b'"' in raw),
            convert_options=pacsv.ConvertOptions(
                column_types={f"f{j}": pa.string() for j in range(width)}, null_values=[],
                strings_can_be_null=False, quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    limit = csv.field_size_limit()
    if any(not pa.types.is_string(c.type) or (len(c) and pc.max(pc.binary_length(c)).as_py()
                                              > limit) for c in read.columns):
        return None
    header = [c[0].as_py() for c in read.columns]
    frame = read.slice(1).to_pandas(
        types_mapper={pa.string(): pd.StringDtype("pyarrow", np.nan)}.get)
    frame.columns = header
    return Table(frame, src, first_row=2)


def _read_csv(text: str, src: str, sep: str) -> Table:
    """CSV text to a table of strings; a row with more or fewer fields than the header is an
    error (pandas would shift such a row silently). Wholly blank lines hold nothing and are
    passed over; row numbers stay those of the file."""
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep, strict=True))
    except csv.Error as e:
        raise DataError("D05", f"{src}: not a valid CSV table: {one_line(e)}") from None
    numbered = [(n, r) for n, r in enumerate(rows, start=1) if r]
    if not numbered:
        raise DataError("D02", f"{src}: the file is empty; expected a header row and data rows")
    (_, header), body = numbered[0], numbered[1:]
    problems = Problems(("D06", f"{src}: row {n}: {len(r)} fields but the header has "
                                f"{len(header)}") for n, r in body if len(r) != len(header))
    problems.raise_as(DataError)
    frame = pd.DataFrame([r for _, r in body], columns=header, dtype=object)
    return Table(frame, src, first_row=2, row_numbers=[n for n, _ in body])


def arrow_strings(values) -> pa.Array | None:
    """The Arrow strings behind a text column or index held by Arrow (pandas 3's ``str``,
    as the columnar reader reads), as one array without a Python object per cell; None for
    anything else."""
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        text = pa.array(values.array)  # chunked where the reader read the file in blocks
        return text.combine_chunks() if isinstance(text, pa.ChunkedArray) else text
    return None


def arrow_texts(texts, type_: pa.DataType) -> pa.Array:
    """Texts as one Arrow array of ``type_`` (missing ones null): an Arrow-held column's
    own strings (:func:`arrow_strings`; a million unit codes made Arrow text again took
    0.5 s, issue 27), any other sequence converted."""
    own = arrow_strings(texts)
    if own is not None:
        return own if own.type == type_ else own.cast(type_)
    return pa.array(np.asarray(texts, dtype=object), type=type_, from_pandas=True)


def _cells(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of an Arrow string array without nulls, and where each cell starts
    and ends in them (``len(text) + 1`` offsets)."""
    _, offsets, data = text.buffers()
    kind = np.int64 if pa.types.is_large_string(text.type) else np.int32
    off = np.frombuffer(offsets, dtype=kind)[text.offset:text.offset + len(text) + 1]
    return (np.frombuffer(data, dtype=np.uint8) if data is not None
            else np.zeros(0, np.uint8)), off.astype(np.int64)


# the bytes str.strip() may take off an end: ASCII white space, and any byte of a non-ASCII
# character (it may be a space: U+00A0, U+3000...)
_ASCII_SPACE = np.array([chr(b).isspace() or b >= 128 for b in range(256)], dtype=bool)


def _strip(text: pa.Array) -> pa.Array:
    """Arrow strings as str.strip() leaves them, nulls as ''; only the cells that start or
    end with white space or a non-ASCII character are stripped in Python."""
    text = pc.fill_null(text, "")
    data, off = _cells(text)
    full = off[1:] > off[:-1]
    edged = np.zeros(len(text), dtype=bool)
    edged[full] = (_ASCII_SPACE[data[off[:-1][full]]] | _ASCII_SPACE[data[off[1:][full] - 1]])
    if not edged.any():
        return text
    mask = pa.array(edged)
    stripped = [v.strip() for v in pc.filter(text, mask).to_pylist()]
    return pc.replace_with_mask(text, mask, pa.array(stripped, type=text.type))


def as_text(values: pd.Series) -> pd.Series:
    """Cells as stripped text; NaN/None (Excel, Parquet blanks) become ''."""
    arrow = arrow_strings(values)
    if arrow is not None:
        return pd.Series(pd.arrays.ArrowStringArray(_strip(arrow)), index=values.index,
                         dtype="str")
    out = values.astype(object).where(values.notna(), "")
    return out.map(lambda v: v.strip() if isinstance(v, str) else
                   (repr(v) if isinstance(v, float) else str(v)))


def parse_numbers(col: pd.Series, table: Table, column: str,
                   problems: Problems) -> np.ndarray:
    """Column to float64; missing markers give NaN; anything else non-numeric is a problem."""
    return numbers_and_reported(col, table, column, problems)[0]


PARSE_BLOCK = 1 << 17  # cells of several columns parsed at once (about a megabyte of
# text; 2^18 on two threads raised the load's high-water by 30 MB at 20,000 x 200)
PARSE_POOL_MIN = 1 << 19  # cells from which blocks of columns are parsed on two threads
# (measured on 2 shared cores: 20,000 x 200 253 -> 191 ms, 20,000 x 20 36 -> 28 ms; at
# 1,000 x 200, two blocks, 22 ms alone and 26 ms on two threads)


def parse_columns(table: Table, columns: Sequence[str], out: np.ndarray,
                  problems: Problems) -> None:
    """:func:`parse_numbers` of each of ``columns`` into its row of ``out``
    ``[columns, rows]``, the same numbers and problems. Columns are taken a block of
    :data:`PARSE_BLOCK` cells at a time: the columns of a block whose every cell is a plain
    decimal or a missing marker are parsed at once (:func:`_parse_plain`), the others one
    by one; from :data:`PARSE_POOL_MIN` cells the blocks go to two threads (Arrow's kernels
    and NumPy let go of the GIL). The problems are added in the columns' order, each
    column's in its rows' order, as one column after another would add them."""
    cells = [table.frame[c] for c in columns]
    per = max(1, PARSE_BLOCK // max(1, out.shape[1]))
    blocks = [slice(i, min(i + per, len(columns))) for i in range(0, len(columns), per)]

    def parse(block: slice) -> list[Problems]:
        done, found = _parse_plain(cells[block], out[block]), []  # out[block]: a view
        for j, k in enumerate(range(block.start, block.stop)):
            found.append(Problems())
            if not done[j]:
                out[k] = parse_numbers(cells[k], table, columns[k], found[-1])
        return found

    for found in ordered_map(parse, blocks, out.size >= PARSE_POOL_MIN):
        for column_problems in found:
            problems.extend(column_problems)


def _parse_plain(cells: Sequence[pd.Series], out: np.ndarray) -> np.ndarray:
    """Which of the columns ``cells`` (read by the columnar reader) hold only plain
    decimals and missing markers, those parsed into their rows of ``out`` as
    :func:`numbers_and_reported` parses them (with one call of each kernel for all the
    columns, not one per column): a plain decimal cast by Arrow, NaN for a marker, and no
    problem. A column with any other cell (an exponent, a word, '-0') is left to it."""
    done = np.zeros(len(cells), dtype=bool)
    texts = [arrow_strings(c) for c in cells]
    mine = [j for j, t in enumerate(texts) if t is not None]
    if not mine or out.shape[1] == 0 or len({texts[j].type for j in mine}) > 1:
        return done
    n = out.shape[1]
    text = _strip(pa.concat_arrays([texts[j] for j in mine]))
    values = _cast_plain(text)
    known = np.ones(len(text), dtype=bool)
    if values is None:  # some cell is neither: which, cell by cell
        plain, missing = _plain_and_missing(text)
        known = plain | missing
        values = np.full(len(text), np.nan)
        if plain.any():
            values[plain] = pc.cast(pc.filter(text, pa.array(plain)), pa.float64()).to_numpy()
    negative_zero = (values == 0) & np.signbit(values)  # pandas reads an int '-0' as +0
    ok = (known & ~negative_zero).reshape(len(mine), n).all(axis=1)
    values = values.reshape(len(mine), n)
    for i, j in enumerate(mine):
        if ok[i]:
            out[j] = values[i]
    done[mine] = ok
    return done


def _plain_and_missing(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Which cleaned cells are plain decimals, and which of the others missing markers."""
    plain = _plain(text)
    missing = np.zeros(len(text), dtype=bool)
    if not plain.all():
        missing[~plain] = _markers(pc.filter(text, pa.array(~plain)))
    return plain, missing


def _markers(text: pa.Array) -> np.ndarray:
    """Which cells are missing markers."""
    return pc.is_in(text, value_set=pa.array(sorted(MISSING_MARKERS), type=text.type)
                    ).to_numpy(zero_copy_only=False)


def _cast_plain(text: pa.Array) -> np.ndarray | None:
    """Cleaned cells as numbers (NaN for a marker) where every cell is a plain decimal or
    a missing marker, else None; told at the cost of one look at each byte: the bytes
    other than digits, signs and dots lie in cells that are markers (asked of those cells
    only), the other cells are of at most 15 bytes, and Arrow's cast takes them all (over
    those bytes it takes exactly the plain decimals: '1.2.3', '+-1', '1-', '.' and '-' it
    refuses), the markers hidden from it as null cells."""
    if text.offset or text.null_count:
        return None
    data, off = _cells(text)
    used = data[off[0]:off[-1]] - np.uint8(ord("+"))  # '+' 0, ',' 1, '-' 2, '.' 3, '/' 4
    other = np.flatnonzero((used > ord("9") - ord("+")) | (used == 1) | (used == 4))
    length = off[1:] - off[:-1]
    marker = length == 0
    if len(other):
        odd = np.unique(np.searchsorted(off, other + off[0], side="right") - 1)
        if not _markers(text.take(pa.array(odd))).all():
            return None
        marker[odd] = True
    if (length[~marker] > _PLAIN_MAX).any():
        return None
    numbers = pa.Array.from_buffers(text.type, len(text), [
        pa.py_buffer(np.packbits(~marker, bitorder="little")), *text.buffers()[1:]],
        null_count=int(marker.sum()))
    try:
        return pc.cast(numbers, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        return None


def numbers_and_reported(col: pd.Series, table: Table, column: str,
                          problems: Problems) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_numbers`, and which cells it reported (not a number, not finite)."""
    arrow = arrow_strings(col)
    if arrow is None and _holds_numbers(col):
        return _checked(col.to_numpy(dtype=np.float64, na_value=np.nan), None, None, table,
                        column, problems)
    text = _strip(arrow) if arrow is not None else pa.array(
        as_text(col).to_numpy(dtype=object), type=pa.large_string())
    plain, missing = _plain_and_missing(text)
    return _checked(_text_to_numbers(text, plain, missing), text, missing, table, column,
                    problems)


def _holds_numbers(col: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(
        col.dtype)


# a plain decimal ([+-] digits [. digits]) of at most 15 characters: Arrow's cast and
# pandas' parser give it the same bits (both round it correctly: at most 15 digits and a
# power of ten at most 1e15)
_PLAIN_MAX = 15
_KIND = np.zeros(256, dtype=np.uint32)  # per byte: 1 if no digit, sign or dot; sign; dot
_KIND[:] = 1
_KIND[ord("0"):ord("9") + 1] = 0
_KIND[[ord("+"), ord("-")]] = 1 << 8
_KIND[ord(".")] = 1 << 16


def _plain(text: pa.Array) -> np.ndarray:
    """Which cells are plain decimals: per cell, the bytes of each kind counted at once
    (packed in one integer and summed; a cell of at most 15 bytes cannot overflow a field,
    and the running sum may wrap: differences are exact modulo 2**32)."""
    data, off = _cells(text)
    total = np.zeros(len(data) + 1, dtype=np.uint32)
    np.cumsum(_KIND[data], out=total[1:])
    start, end = off[:-1], off[1:]
    counts = total[end] - total[start]
    other, sign, dot = counts & 0xFF, (counts >> 8) & 0xFF, counts >> 16
    length = end - start
    first = np.zeros(len(start), dtype=np.uint32)
    first[length > 0] = (_KIND[data[start[length > 0]]] >> 8) & 1
    return ((length <= _PLAIN_MAX) & (other == 0) & (dot <= 1) & (sign == first)
            & (length > sign + dot))


def _text_to_numbers(text: pa.Array, plain: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Cleaned cell text to float64, as ``pd.to_numeric(errors="coerce")`` of the whole
    column gives it (missing markers NaN, text that is no number NaN): plain decimals are
    cast by Arrow at once; the other cells (exponents, long digit strings, 'inf', words,
    '-0') go through pandas, with one cell of each kind the cast ones hold, so that pandas
    picks the result type (int or float) the whole column would have given it."""
    plain = plain.copy()
    out = np.full(len(text), np.nan)
    if plain.any():
        cast = pc.cast(pc.filter(text, pa.array(plain)), pa.float64()).to_numpy()
        negative_zero = (cast == 0) & np.signbit(cast)  # pandas reads an int '-0' as +0
        out[plain] = cast
        plain[np.flatnonzero(plain)[negative_zero]] = False
    rest = ~plain & ~missing
    if rest.any():
        cells = pc.filter(text, pa.array(rest)).to_pylist()
        kinds = _kinds(pc.filter(text, pa.array(plain)), missing.any())
        out[rest] = pd.to_numeric(pd.Series(cells + kinds, dtype=object), errors="coerce"
                                  ).to_numpy(dtype=np.float64)[:len(cells)]
    return out


def _kinds(plain: pa.Array, any_missing: bool) -> list[str]:
    """One cell of each kind pandas tells apart among ``plain`` decimals (and 'nan' for the
    missing cells, which the column hands pandas as 'nan'): a fraction, an integer, a
    negative integer."""
    kinds = ["nan"] if any_missing else []
    fraction = pc.match_substring(plain, ".")
    if pc.any(fraction).as_py():
        kinds.append("0.5")
    ints = pc.filter(plain, pc.invert(fraction))  # '-0' is not among them: it is no plain cell
    if len(ints):
        kinds.append("1")
        if pc.any(pc.starts_with(ints, "-")).as_py():
            kinds.append("-1")
    return kinds


def _checked(out: np.ndarray, text: pa.Array | None, missing: np.ndarray | None,
             table: Table, column: str, problems: Problems) -> tuple[np.ndarray, np.ndarray]:
    """``out`` and which of its cells are reported: text that is neither a number nor a
    missing marker [D15], numbers that are not finite [D16]."""
    reported = np.zeros(len(out), dtype=bool)
    if text is not None:
        reported = np.isnan(out) & ~missing
        for i in np.flatnonzero(reported):
            cell = text[int(i)].as_py()
            problems.add("D15", f"{table.src}: {table.row(i)}, column '{column}': "
                                f"{cell!r} is not a number (accepted: a number, or empty/NA "
                                "for a missing value)")
    for i in np.flatnonzero(np.isinf(out)):
        problems.add("D16", f"{table.src}: {table.row(i)}, column '{column}': {out[i]} is not a "
                            "finite number")
    return out, reported | np.isinf(out)
