"""CSV exports that are safe to open in a spreadsheet: text a spreadsheet would run as a
formula (starting with = + - @, tab or carriage return; OWASP "CSV injection") gets a leading
apostrophe, in cells, in the index and in the headers. Numbers are written as numbers,
unchanged.

The bytes are those of pandas' ``to_csv`` (``float_format="%.10g"``, "\\n" line ends), made
a chunk of rows at a time without a Python call per value (issue 27): a chunk's cells are
Arrow ``string_view`` views, the text cells pointing into their columns, quoted where the
csv module would quote them, the floats made in place by one vectorised rule
(:func:`_g10_block`), and one cast to a string array copies them out in row order. A frame
the fast path does not cover (a MultiIndex, labels that are not text, other dtypes, one
column) is written by pandas itself.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .outfiles import replacing
from .safe import printable
from .tables import release_arrow_memory

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text a spreadsheet could take for a formula, made inert with a leading apostrophe;
    control and bidirectional-override characters shown as escapes (:func:`safe.printable`)."""
    text = printable(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _inert_value(v):
    return neutralise(v) if isinstance(v, str) else v


def _inert_array(values: np.ndarray) -> np.ndarray:
    """``_inert_value`` of every cell of an object array: where every cell is text or
    missing, the cells to change are found by Arrow and only those are rewritten."""
    try:
        text = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):  # not all text
        out = values.copy()
        for i, v in enumerate(values):  # one by one: a tuple cell stays one cell
            out[i] = _inert_value(v)
        return out
    hit = _may_change(text)
    if not hit.any():
        return values
    out = values.copy()
    out[hit] = [neutralise(v) for v in values[hit]]
    return out


# A cell neutralise() may change: one starting like a formula, or one holding a character
# outside printable ASCII (0x20-0x7E, every one of which str.isprintable accepts; the rest,
# non-ASCII text included, is tested by printable() itself, in Python). neutralise returns
# any other cell as it is, so only these go through Python.
_MAY_CHANGE = r"^[=+\-@]|[^\x20-\x7e]"  # tab and carriage return are not printable ASCII


def _may_change(text: pa.Array) -> np.ndarray:
    """Where a cell of ``text`` may be changed by neutralise (never where it is missing),
    tested once per distinct text (:func:`_per_distinct`)."""
    return pc.fill_null(_per_distinct(text, lambda t: pc.match_substring_regex(
        t, _MAY_CHANGE)), False).to_numpy(zero_copy_only=False)


def _per_distinct(text: pa.Array, test) -> pa.BooleanArray:
    """``test(text)``, made on the distinct texts and taken back to every cell where one
    is true (a column of repeated codes and names is tested a few hundred times, not once
    per row: 500,000 rows, a regex 30-60 ms, the encoding 10-15 ms); null where a cell
    is missing."""
    cells = pc.dictionary_encode(text)
    hit = test(cells.dictionary)
    if not pc.any(hit).as_py():
        return pc.if_else(pc.is_null(text), pa.scalar(None, pa.bool_()), False)
    return hit.take(cells.indices)


def _arrow_backed(values: pd.Series | pd.Index) -> pa.Array | None:
    """The cells of an Arrow-backed text column (pandas 3's ``str``) as an Arrow string
    array, missing values null, without a Python object per cell; None for other columns."""
    dtype = values.dtype
    if isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow":
        text = pa.array(values.array)  # chunked when the column was concatenated
        if isinstance(text, pa.ChunkedArray):
            text = text.combine_chunks()
        return pc.cast(text, pa.string())
    return None


def _text_dtype(dtype) -> bool:
    """Anything but numbers, booleans and dates may hold text: object, pandas 3's ``str``,
    string[python|pyarrow] and categories of text alike (a dtype test on ``object`` alone
    missed pandas 3's ``str`` index)."""
    if isinstance(dtype, pd.CategoricalDtype):
        return True
    return not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
                or pd.api.types.is_datetime64_any_dtype(dtype))


def _inert_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return index.set_levels([_inert_index(level) for level in index.levels])\
            .set_names([_inert_value(n) for n in index.names])
    out = pd.Index(_inert_array(index.to_numpy(dtype=object)), dtype=object) \
        if _text_dtype(index.dtype) else index.copy()
    return out.rename(_inert_value(index.name))


def inert_frame(frame: pd.DataFrame, *, index: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` in which every text cell, header and (if written) index label
    is made inert; numeric columns are untouched."""
    safe = frame.copy(deep=False)  # copy-on-write: the text columns are replaced, not edited
    for i, dtype in enumerate(safe.dtypes):  # a column is taken out only when it holds text
        if _text_dtype(dtype):
            col = safe.iloc[:, i]
            text = _arrow_backed(col)
            if text is not None and not _may_change(text).any():
                continue  # nothing to rewrite: the column stays as it is
            safe.isetitem(i, pd.Series(_inert_array(col.to_numpy(dtype=object)),
                                       index=col.index, dtype=object))
    safe.columns = _inert_index(safe.columns)
    if index:
        safe.index = _inert_index(safe.index)
    return safe


def write_csv(frame: pd.DataFrame, path: str | Path, *, index: bool = False,
              float_format: str = "%.10g") -> Path:
    """Write ``frame`` as UTF-8 CSV with "\\n" line ends and every text cell, header and
    index label made inert."""
    p = Path(path)
    safe = inert_frame(frame, index=index)
    table = _csv_table(safe, index) if float_format == G10 else None
    with replacing(p) as tmp:
        if table is None:
            safe.to_csv(tmp, index=index, float_format=float_format, lineterminator="\n")
        else:
            with open(tmp, "wb") as fh:
                for chunk in _csv_chunks(*table):
                    fh.write(chunk)
    release_arrow_memory()
    return p


class RowsTaken:
    """Column ``k`` of ``block`` (an array [rows, columns]) with its rows in the order
    ``order``: a column of a CSV that is never made whole. :func:`_csv_chunks` takes it a
    chunk of rows at a time, the chunk's rows of the block taken once for all its columns
    (the last chunk taken is kept on the block's :class:`_Rows`)."""

    def __init__(self, rows: _Rows, k: int) -> None:
        self.rows, self.k = rows, k

    def __len__(self) -> int:
        return len(self.rows.order)

    def __getitem__(self, rows: slice) -> np.ndarray:
        return self.rows.take(rows.start, rows.stop)[:, self.k]

    def whole(self) -> bool:
        """Every value a whole number written as an integer, or NaN (the column's
        format group in :func:`_csv_chunks`)."""
        return bool(self.rows.whole()[self.k])

    def column(self) -> np.ndarray:
        return self.rows.block[self.rows.order, self.k]


class _Rows:
    """The rows of ``block`` in the order ``order``, taken a chunk at a time."""

    def __init__(self, block: np.ndarray, order: np.ndarray) -> None:
        self.block, self.order, self._last = block, order, (None, None)
        self._whole: np.ndarray | None = None

    def whole(self) -> np.ndarray:
        """Per column of the block, :func:`_all_whole`: the block tested 4,096 rows at a
        time, a column no more once a value is not whole (a column of scores is done
        after its first rows; a pass per column read the block strided, 0.2 s at 20,000 x
        455)."""
        if self._whole is None:  # a column is tested until a value is not whole
            alive = np.ones(self.block.shape[1], dtype=bool)
            for start in range(0, len(self.block), 4096):
                part = self.block[start:start + 4096]
                part = part if alive.all() else part[:, alive]
                alive[alive] = (_whole(part) | np.isnan(part)).all(axis=0)
                if not alive.any():
                    break
            self._whole = alive
        return self._whole

    def take(self, start: int, stop: int) -> np.ndarray:
        if self._last[0] != (start, stop):
            self._last = ((start, stop), self.block[self.order[start:stop]])
        return self._last[1]


def rows_taken(block: np.ndarray, order: np.ndarray) -> list[RowsTaken]:
    """Every column of ``block`` [rows, columns] with its rows in the order ``order``."""
    rows = _Rows(block, order)
    return [RowsTaken(rows, k) for k in range(block.shape[1])]


def write_columns(path: str | Path, index: pd.Index,
                  columns: dict[str, np.ndarray | RowsTaken]) -> Path:
    """The bytes ``write_csv(frame, path, index=True)`` writes of the frame of ``index`` and
    ``columns``, without the frame: the float columns given as :class:`RowsTaken` are
    formatted a chunk of rows at a time. Where the fast path does not cover the other
    columns (or a block is not of floats), the frame is made and written by write_csv."""
    p = Path(path)
    taken = {c for c, v in columns.items() if isinstance(v, RowsTaken)}
    small = pd.DataFrame({c: v for c, v in columns.items() if c not in taken}, index=index,
                         copy=False)
    safe = inert_frame(small, index=True)
    cells = {c: _csv_cells(safe.iloc[:, j]) for j, c in enumerate(small.columns)}
    header = ["" if safe.index.name is None else safe.index.name,
              *(neutralise(c) for c in columns)]
    if (any(columns[c].rows.block.dtype != np.float64 for c in taken) or len(header) < 2
            or any(v is None for v in cells.values()) or not all(isinstance(h, str)
                                                                  for h in header)):
        whole = {c: v.column() if isinstance(v, RowsTaken) else v for c, v in columns.items()}
        return write_csv(pd.DataFrame(whole, index=index, copy=False), p, index=True)
    cols = [_csv_cells(safe.index), *(columns[c] if c in taken else cells[c] for c in columns)]
    with replacing(p) as tmp, open(tmp, "wb") as fh:
        for chunk in _csv_chunks(_quoted(pa.array(header, type=pa.string())), cols):
            fh.write(chunk)
    release_arrow_memory()
    return p


G10 = "%.10g"
_ROWS_CELLS = 1 << 18  # cells per chunk of rows: bounds the memory of the text being made
# (20,000 x 455: 1 << 21 peaked 150 MB higher, and was no faster)


def _csv_table(frame: pd.DataFrame, index: bool
               ) -> tuple[pa.Array, list[pa.Array | np.ndarray]] | None:
    """The header and every column (the index first, if written) as CSV cells, float
    columns as their values (formatted a chunk of rows at a time), or None for a frame the
    fast path does not cover."""
    if isinstance(frame.columns, pd.MultiIndex) or (index and isinstance(frame.index,
                                                                        pd.MultiIndex)):
        return None
    header = list(frame.columns)
    columns = [frame.iloc[:, j] for j in range(frame.shape[1])]
    if index:
        header = ["" if frame.index.name is None else frame.index.name, *header]
        columns = [frame.index, *columns]
    if len(header) < 2 or not all(isinstance(h, str) for h in header):
        return None  # a lone empty field is quoted by the csv module: pandas writes those
    cells = [_csv_cells(c) for c in columns]
    if any(c is None for c in cells):
        return None
    return _quoted(pa.array(header, type=pa.string())), cells


def _csv_cells(values: pd.Series | pd.Index) -> pa.Array | np.ndarray | None:
    """One column's values as CSV cells, as pandas writes them (missing values empty);
    text as a dictionary array, each distinct text quoted once."""
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype == np.float64:
        return values.to_numpy()  # formatted by _csv_chunks
    if isinstance(dtype, np.dtype) and dtype.kind in "iu":
        return pc.cast(pa.array(values.to_numpy()), pa.string())
    if isinstance(dtype, np.dtype) and dtype.kind == "b":
        return pc.if_else(pa.array(values.to_numpy()), "True", "False")
    if pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype):
        text = _arrow_backed(values)
        if text is None:
            try:  # text and missing values only: anything else is left to pandas
                text = pa.array(values.to_numpy(dtype=object), type=pa.string(),
                                from_pandas=True)
            except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeEncodeError):
                return None
        cells = pc.dictionary_encode(pc.fill_null(text, ""))  # quoted and laid out
        return pa.DictionaryArray.from_arrays(cells.indices, _quoted(cells.dictionary))
    return None


def _quoted(text: pa.Array) -> pa.Array:
    """Cells holding a separator, quote or line break quoted as the csv module quotes them
    (found with Arrow, quoted by the csv module itself, one cell at a time)."""
    special = _per_distinct(text, lambda t: pc.match_substring_regex(t, '[,"\r\n]'))
    if not pc.any(special).as_py():
        return text

    def one(cell: str) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([cell, ""])
        return buf.getvalue()[:-2]  # without the separator and line end of the empty cell

    quoted = [one(c) for c in pc.filter(text, special).to_pylist()]
    return pc.replace_with_mask(text, special, pa.array(quoted, type=text.type))


def _csv_chunks(header: pa.Array, columns: list[pa.Array | np.ndarray | RowsTaken]):
    """The CSV bytes: the header line, then the rows a chunk at a time. A chunk is one Arrow
    ``string_view`` array of its cells in row order, cast to a string array whose data is
    the chunk's bytes (one copy, in C++, instead of joining the chunk's columns). A text
    cell is two views, its text and the separator after it (the separators are written
    once: the array of views is reused from chunk to chunk); a column of text is a
    dictionary, whose distinct texts' views are made once and taken per cell. A float
    cell is one view of its text and separator, made in place by :func:`_g10_views`
    (columns of whole numbers, such as ranks, by :class:`_Integers`), a run of evenly
    spaced cells at a time."""
    yield (",".join(header.to_pylist()) + "\n").encode("utf-8")
    n, width = len(columns[0]), len(columns)
    step = max(1, _ROWS_CELLS // width)
    text = [not isinstance(c, np.ndarray | RowsTaken) for c in columns]
    at = np.cumsum([0] + [1 + t for t in text])  # each column's first view in a row
    views = np.empty((min(step, n), at[-1], 2), dtype=_U)  # reused: the separators of the
    views[:, at[:-1][text] + 1] = [1 | ord(",") << 32, 0]  # text cells are written once
    if text[-1]:
        views[:, -1] = [1 | ord("\n") << 32, 0]
    runs = []  # (columns, their views, whole, separator)
    for whole in (False, True):
        for last in (False, True):
            group = [j for j, t in enumerate(text) if not t and (j == width - 1) == last
                     and _is_whole(columns[j]) == whole]
            for run in _spaced([at[j] for j in group]):
                runs.append((group[:len(range(run.start, run.stop, run.step))], run, whole,
                             b"\n" if last else b","))
                group = group[len(runs[-1][0]):]
    integers = {b",": _Integers(b","), b"\n": _Integers(b"\n")}
    shared: list[pa.Buffer] = []  # the dictionaries' texts, first in every chunk
    distinct = {}
    for j, c in enumerate(columns):
        if isinstance(c, pa.DictionaryArray):
            dictionary, more = _text_views(c.dictionary, len(shared))
            distinct[j] = (np.ascontiguousarray(dictionary).view(np.complex128)[:, 0],
                           c.indices.to_numpy(zero_copy_only=False))
            shared += more
    for start in range(0, n, step):
        rows = min(step, n - start)
        chunk = views[:rows]
        buffers = list(shared)
        for group, run, whole, sep in runs:
            x = _floats(columns, group, start, rows)
            if whole:
                integers[sep].write(x, chunk[:, run])
            else:
                buffers += _g10_views(x, chunk[:, run], len(buffers), sep)
        for j, c in enumerate(columns):
            if j in distinct:  # a view per cell taken from its text's (16 bytes: complex)
                dictionary, indices = distinct[j]
                np.take(dictionary, indices[start:start + rows], mode="clip",
                        out=chunk[:, at[j]].view(np.complex128)[:, 0])
            elif text[j]:
                chunk[:, at[j]], more = _text_views(c.slice(start, rows), len(buffers))
                buffers += more
        line = pa.Array.from_buffers(pa.string_view(), rows * at[-1],
                                     [None, pa.py_buffer(chunk), *buffers])
        yield _joined(pc.cast(line, pa.string()))


def _is_whole(column: np.ndarray | RowsTaken) -> bool:
    return column.whole() if isinstance(column, RowsTaken) else _all_whole(column)


def _spaced(positions: list[int]) -> list[slice]:
    """``positions`` (increasing) as runs of evenly spaced ones, each a slice (rank and
    score columns alternate: a run is written through one strided view)."""
    runs: list[slice] = []
    i = 0
    while i < len(positions):
        k = i + 1  # the run is positions[i:k]
        if k < len(positions):
            gap = positions[k] - positions[i]
            while k + 1 < len(positions) and positions[k + 1] - positions[k] == gap:
                k += 1
            k += 1
        gap = positions[i + 1] - positions[i] if k - i > 1 else 1
        runs.append(slice(positions[i], positions[k - 1] + 1, gap))
        i = k
    return runs


def _floats(columns: list, group: list[int], start: int, rows: int) -> np.ndarray:
    """Rows ``start`` to ``start + rows`` of the float columns ``group`` [rows, group]: the
    columns of a block taken in one gather."""
    x = np.empty((rows, len(group)))
    taken: dict[int, tuple[_Rows, list[int], list[int]]] = {}
    for t, j in enumerate(group):
        c = columns[j]
        if isinstance(c, RowsTaken):
            at = taken.setdefault(id(c.rows), (c.rows, [], []))
            at[1].append(t)
            at[2].append(c.k)
        else:
            x[:, t] = c[start:start + rows]
    for block, at, ks in taken.values():
        x[:, _as_slice(at)] = block.take(start, start + rows)[:, _as_slice(ks)]
    return x


def _as_slice(positions: list[int]) -> slice | list[int]:
    """Evenly spaced ``positions`` as a slice (a view, not a gather), others as they are."""
    if len(positions) < 2:
        return positions
    gap = positions[1] - positions[0]
    if gap == 0 or any(b - a != gap for a, b in zip(positions[:-1], positions[1:], strict=True)):
        return positions
    stop = positions[-1] + gap
    return slice(positions[0], stop if stop >= 0 else None, gap)


_EMPTY = pa.py_buffer(b"")


def _text_views(text: pa.Array, first: int) -> tuple[np.ndarray, list[pa.Buffer]]:
    """The ``string_view`` views [cells, 2] (uint64) of ``text`` (no nulls) and the data
    buffers they point to, numbered from ``first`` among a chunk's buffers."""
    v = pc.cast(text, pa.string_view())
    views = np.frombuffer(v.buffers()[1], dtype=np.uint64).reshape(-1, 2)
    views, data = views[v.offset:v.offset + len(v)], v.buffers()[2:]
    long = (views[:, 0] & 0xFFFFFFFF) > 12  # out of line: (buffer index, offset) in word 1
    if first and long.any():
        views = views.copy()
        views[long, 1] += np.uint64(first)
    return views, data


def _joined(lines: pa.Array) -> memoryview:
    """The concatenated bytes of an Arrow string array (its data buffer, in order)."""
    _, offsets, data = lines.buffers()
    kind = np.int64 if pa.types.is_large_string(lines.type) else np.int32
    off = np.frombuffer(offsets, dtype=kind)[lines.offset:lines.offset + len(lines) + 1]
    return memoryview(data)[off[0]:off[-1]] if data is not None else memoryview(b"")


# --------------------------------------------------------------- "%.10g", vectorised

_TIE = 2e-6  # how near a half a scaled value may come before Python formats it


def format_g10(x: np.ndarray) -> pa.Array:
    """Floats as ``"%.10g" % v`` writes them (NaN as an empty cell, as pandas writes it),
    for a whole array at once (:func:`_g10_cells`, NaN made empty)."""
    return pc.fill_null(_g10_cells(x), "")


def _whole(x: np.ndarray) -> np.ndarray:
    """Where ``x`` is a whole number written as an integer by "%.10g" (below 1e10, not -0)."""
    return (np.abs(x) < 1e10) & (np.floor(x) == x) & ~((x == 0) & np.signbit(x))


def _all_whole(x: np.ndarray) -> bool:
    """Every value of ``x`` a whole number "%.10g" writes as an integer, or NaN."""
    return bool((_whole(x) | np.isnan(x)).all())


def _g10_cells(x: np.ndarray) -> pa.Array:
    """``"%.10g" % v`` of every value, NaN as a null: :func:`_g10_views` cast to text, or
    :class:`_Integers` where every value is a whole number or NaN."""
    x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    views = np.empty((len(x), 1, 2), dtype=_U)
    if _all_whole(x):
        _Integers().write(x, views)
        buffers = []
    else:
        buffers = _g10_views(x, views, 0)
    nan = np.isnan(x[:, 0])
    valid = pa.py_buffer(np.packbits(~nan, bitorder="little")) if nan.any() else None
    return pc.cast(pa.Array.from_buffers(pa.string_view(), len(x),
                                         [valid, pa.py_buffer(views), *buffers]), pa.string())


_U = np.uint64
_BLOCK = 1 << 14  # values formatted at a time: their temporaries reuse the C heap's pages
# (2**18 at a time: 16,000 page faults a call, three times the CPU)


def _g10_views(x: np.ndarray, out: np.ndarray, first: int, sep: bytes = b""
               ) -> list[pa.Buffer]:
    """``"%.10g" % v`` of every value of ``x`` [rows, columns] (NaN empty), followed by
    ``sep`` (one byte, or none), as Arrow ``string_view`` views written to ``out`` [rows,
    columns, 2] (uint64, any strides), a block of rows at a time (:func:`_g10_block`);
    returns the buffers the views point to, numbered from ``first``: the texts over 12
    bytes (24 bytes each) and those Python formatted (none if no view points out of
    line)."""
    long: list[np.ndarray] = []
    python: list[bytes] = []
    n_long = n_python = 0
    per = max(1, _BLOCK // x.shape[1])
    for start in range(0, len(x), per):
        words, texts = _g10_block(x[start:start + per].reshape(-1), out[start:start + per],
                                  first, n_long, n_python, sep)
        if len(words):
            long.append(words)
            n_long += len(words)
        if texts:
            python += texts
            n_python += sum(map(len, texts))
    if not long and not python:
        return []
    return [pa.py_buffer(np.concatenate(long)) if long else _EMPTY,
            pa.py_buffer(b"".join(python)) if python else _EMPTY]


def _g10_block(x: np.ndarray, out: np.ndarray, first: int, n_long: int, n_python: int,
               sep: bytes = b"") -> tuple[np.ndarray, list[bytes]]:
    """The views of :func:`_g10_views` for the values ``x`` of a block of rows, written to
    ``out`` [rows, columns, 2], each text followed by ``sep``; returns the texts over 12
    bytes (as words [texts, 3], after ``n_long`` others in buffer ``first``) and the texts
    Python formatted (after ``n_python`` bytes of others in buffer ``first + 1``).

    The rule: ``v`` rounded to ten significant digits is the decimal ``D = r * 10**(e-9)``,
    ``r = rint(|v| * 10**(9-e))``: the power of ten is exact and the product rounded once,
    so it is within 1e-6 of the exact one, and ``r`` is right unless the exact product lies
    within that of a half (kept apart by a 2e-6 margin). ``e`` is estimated from the binary
    exponent (:func:`_exponent`), then corrected by the range of the product. Where
    ``"%.10g"`` writes fixed notation (-4 <= e <= 9), it writes the digits of D without
    trailing zeros (:func:`_fixed_text`). The rest (-0, scientific notation, infinities,
    values within the margin of a half) are formatted by Python, one by one.

    Hand-written: no library at hand formats ``%.10g`` over an array fast (Arrow and numpy
    write the shortest round-trip text; ``np.char.mod`` calls Python per value; DuckDB's
    ``printf('%.10g', x)`` writes the same text, at three times the CPU)."""
    a = np.abs(x)
    ec = _exponent(a)
    near = (ec >= -6) & (ec <= 10)  # fixed notation once rounded, or one off (not 0, inf)
    m = a * _scale(ec)
    off = np.flatnonzero((m >= 1e10) | (m < 1e9))
    if len(off):
        ec[off] += (m[off] >= 1e10).astype(np.int64) - (m[off] < 1e9)
        m[off] = a[off] * _scale(ec[off])
    r = np.rint(m)
    carry = r >= 1e10  # 9999999999.5 rounds up to the next power of ten
    e = ec + carry
    with np.errstate(invalid="ignore"):
        fixed = near & (e >= -4) & (e <= 9) & (np.abs(np.abs(m - r) - 0.5) >= _TIE)
    r[carry] = 1e9
    other = np.flatnonzero(~fixed)  # 0, NaN and those Python formats: few
    r[other], e[other] = 1e9, 0
    is_zero = (x[other] == 0) & ~np.signbit(x[other])  # "0"; -0 is left to Python
    r[other[is_zero]] = 0.0
    w0, w1, length = _fixed_text(r, e, np.signbit(x))
    other = other[~is_zero]
    length[other] = 0  # NaN, and those Python formats
    w0[other] = w1[other] = 0
    w0, w1, w2, length = _separated(w0, w1, length, sep)
    _inline(out, w0, w1, length)
    k = out.shape[1]
    long = np.flatnonzero(length > 12)  # out of line: (buffer ``first``, offset)
    words = np.stack([w0[long], w1[long], w2[long]], axis=1)
    out[long // k, long % k, 1] = (first | (n_long + np.arange(len(long), dtype=_U))
                                   * _U(24) << _U(32))
    python = other[~np.isnan(x[other])]
    texts = [(G10 % v).encode("ascii") + sep for v in x[python]]
    if texts:
        out[python // k, python % k] = _python_views(texts, first + 1, n_python)
    return words, texts


class _Integers:
    """Views of whole numbers below 1e10 in magnitude (not -0) or NaN, as ``"%.10g"``
    writes them: the integer. Those within ``_TABLE`` of 0 (ranks, counts, rank gaps)
    are taken from a table of the integers from -n to n made once per write and grown as
    needed (a gather per value); the rest are made by :func:`_integer_block`."""

    def __init__(self, sep: bytes = b"") -> None:
        self.sep, self.n = sep, -1  # each view followed by ``sep``
        self.table = np.zeros((1, 2), dtype=_U)  # [NaN (empty), -n, ..., n]

    def write(self, x: np.ndarray, out: np.ndarray) -> None:
        """The views of ``x`` [rows, columns] written to ``out`` [rows, columns, 2]."""
        top = np.fmax.reduce(np.abs(x), axis=None)
        top = 0.0 if np.isnan(top) else top  # every value NaN: the table is still made
        if top >= _TABLE:
            per = max(1, _BLOCK // x.shape[1])
            for start in range(0, len(x), per):
                _integer_block(x[start:start + per].reshape(-1), out[start:start + per],
                               self.sep)
            return
        if top > self.n:
            self.n = int(min(_TABLE, max(top, 2 * self.n, 1023)))
            self.table = np.zeros((2 * self.n + 2, 2), dtype=_U)
            _integer_block(np.array([np.nan]), self.table[:1, None], self.sep)
            _integer_block(np.arange(-self.n, self.n + 1.0), self.table[1:, None], self.sep)
        with np.errstate(invalid="ignore"):  # NaN: taken as the empty view
            at = x.astype(np.intp) + (self.n + 1)
        at[np.isnan(x)] = 0
        # a view (16 bytes) as one complex128: np.take gathers into ``out`` itself, 7 x
        # faster than a fancy index of the table's rows and a copy
        np.take(self.table.view(np.complex128)[:, 0], at, mode="clip",
                out=out.view(np.complex128)[..., 0])


_TABLE = 1 << 19  # integers within it of 0 are taken from a table (16 bytes each)


def _integer_block(x: np.ndarray, out: np.ndarray, sep: bytes = b"") -> None:
    """The views of whole numbers below 1e10 in magnitude (not -0) or NaN (``x``, the
    values of a block of rows) written to ``out`` [rows, columns, 2]: the integer's
    digits, ``-`` before them when negative (at most 11 bytes), then ``sep``."""
    a = np.abs(x)
    nan = np.isnan(x)
    a[nan] = 0.0
    ec = np.maximum(_exponent(a), 0)
    m = a * _scale(ec)  # exact: a whole number times 10**k below 1e11
    up = m >= 1e10
    e = ec + up
    m[up] *= 0.1  # exact: a multiple of ten (9 - ec >= 1 wherever m >= 1e10)
    w0, w1, hi, lo = _digits(np.rint(m))
    length = e + 1
    neg = np.signbit(x) & ~nan
    if neg.any():
        w0, w1 = _prefixed(w0, w1, neg * 5)
        length += neg
    length[nan] = 0
    w0, w1, _, length = _separated(w0 & _MASK[0][length], w1 & _MASK[1][length], length, sep)
    _inline(out, w0, w1, length)


def _exponent(a: np.ndarray) -> np.ndarray:
    """``floor(e2 * log10(2))`` of the binary exponent ``e2`` of every value of ``a`` (not
    negative): its decimal exponent or one below (308 for inf and NaN, -308 for 0)."""
    return np.floor(((a.view(np.int64) >> 52) - 1023) * _LOG10_2).astype(np.int64)


def _scale(e: np.ndarray) -> np.ndarray:
    """``10.0 ** (9 - e)`` for decimal exponents -7 <= e <= 11 (outside, that of the
    nearest: those values are written by Python), exact where e <= 9."""
    return np.take(_SCALE, e + 7, mode="clip")


def _inline(out: np.ndarray, w0: np.ndarray, w1: np.ndarray, length: np.ndarray) -> None:
    """Inline ``string_view`` views of texts of ``length`` bytes held in words ``w0, w1``
    (zero after the text; only the first 12 bytes are held), written to ``out`` [...,
    2]."""
    views = np.empty((len(length), 2), dtype=_U)  # made here, then copied in one pass
    np.bitwise_or(length.astype(_U), w0 << _U(32), out=views[:, 0])
    np.bitwise_or(w0 >> _U(32), w1 << _U(32), out=views[:, 1])
    out.view(np.complex128)[...] = views.view(np.complex128).reshape(out.shape[:-1] + (1,))


def _separated(w0: np.ndarray, w1: np.ndarray, length: np.ndarray, sep: bytes
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The texts of ``length`` bytes in ``w0, w1`` (zero after them) followed by ``sep``
    (one byte, or none): three words (the third holds a 17th byte) and the lengths."""
    if not sep:
        return w0, w1, np.zeros_like(w0), length
    byte = _U(sep[0])
    return (w0 | _AT[0][length] * byte, w1 | _AT[1][length] * byte,
            (length == 16) * byte, length + 1)


def _digits(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ten ASCII digits of every whole ``r`` (a float, below 1e10) as two little-endian
    words (its first digit lowest), and its two groups of five digits."""
    hi = np.floor(r / 100000.0)  # exact: r < 2**53, and a quotient's fraction >= 1e-5
    lo = (r - hi * 100000.0).astype(np.intp)
    hi = hi.astype(np.intp)
    second = _D5[lo]
    return _D5[hi] | (second << _U(40)), second >> _U(24), hi, lo


def _prefixed(w0: np.ndarray, w1: np.ndarray, code: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """The text in ``w0, w1`` after the prefix ``_PREFIX[code]`` ("-", "0.", "-0.000"...)."""
    shift = _SHIFT[code]
    w1 = (w1 << shift) | ((w0 >> (_U(63) - shift)) >> _U(1))
    return (w0 << shift) | _PREFIX[code], w1


def _fixed_text(r: np.ndarray, e: np.ndarray, neg: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fixed-notation text of ``-r * 10**(e-9)`` where ``neg``, else of
    ``r * 10**(e-9)`` (``r`` a float, whole, ``10**9 <= r < 10**10``, -4 <= e <= 9; or
    r = 0, e = 0: "0"): the ten digits of r, a point inserted after ``e + 1`` of them when
    e >= 0, ``0.`` and ``-e - 1`` zeros before them when e < 0 and ``-`` before all when
    negative, without trailing zeros (nor a point that nothing follows). Returned as two
    little-endian words (zero after the text, at most 16 bytes) and the length."""
    w0, w1, hi, lo = _digits(r)
    digits = 10 - (_TZ5[lo] + (lo == 0) * _TZ5[hi])  # without trailing zeros (0 for r = 0)
    point = np.maximum(e + 1, 0)  # digits before the point; 0: no point (e < 0)
    low0, low1 = _LOW[0][point], _LOW[1][point]
    high0 = w0 & ~low0  # the digits after the point move up a byte
    w1 = (w1 & low1) | ((w1 & ~low1) << _U(8)) | (high0 >> _U(56)) | _DOT[1][point]
    w0 = (w0 & low0) | (high0 << _U(8)) | _DOT[0][point]
    length = np.maximum(point, digits) + (digits > point)
    some = np.flatnonzero((e < 0) | neg)  # e < 0: "0." and -e - 1 zeros; "-"
    if len(some):
        k = -np.minimum(e[some], 0)
        code = neg[some] * 5 + k
        w0[some], w1[some] = _prefixed(w0[some], w1[some], code)
        length[some] += _SHIFT[code].astype(np.intp) // 8 - (k > 0)  # the point was counted
    return w0 & _MASK[0][length], w1 & _MASK[1][length], length


def _python_views(texts: list[bytes], buffer: int, at: int) -> np.ndarray:
    """The ``string_view`` views [texts, 2] of ``texts``: inline up to 12 bytes, else in
    ``buffer`` at their place in the texts joined (after ``at`` bytes of others)."""
    views = np.zeros((len(texts), 2), dtype=_U)
    for i, t in enumerate(texts):
        n = len(t)
        word = int.from_bytes(t.ljust(12, b"\0") if n <= 12 else t[:4], "little")
        views[i, 0] = n | (word & 0xFFFFFFFF) << 32
        views[i, 1] = word >> 32 if n <= 12 else buffer | at << 32
        at += n
    return views


def _g10_tables():
    """Lookups of :func:`_fixed_text` (a text as little-endian words: its first byte
    lowest): the five ASCII digits of 0-99999 and their trailing zeros (5 for 0); by the
    number of digits before the point (0: none), the mask of those digits and the point
    after them, in two words; by ``neg * 5 + k``, the prefix ("", "0.", "0.0", ... "-",
    ... "-0.000") and eight times its length; by length n, the mask of a text's first n
    bytes and the word bit of byte n, each in two words."""
    v = np.arange(100000)
    d5 = sum((((v // 10 ** (4 - i)) % 10 + 48) << (8 * i)) for i in range(5)).astype(_U)
    tz = np.zeros(100000, dtype=np.uint8)
    for k in range(1, 6):
        tz[v % 10 ** k == 0] = k

    def words(masks):
        return [np.array([w & (2**64 - 1) for w in masks], dtype=_U),
                np.array([w >> 64 for w in masks], dtype=_U)]

    prefixes = [("-" if neg else "") + ("0." + "0" * (k - 1) if k else "")
                for neg in (0, 1) for k in range(5)]
    return (d5, tz, words([2**128 - 1] + [(1 << 8 * p) - 1 for p in range(1, 11)]),
            words([0] + [ord(".") << 8 * p for p in range(1, 11)]),
            np.array([int.from_bytes(t.encode(), "little") for t in prefixes], dtype=_U),
            np.array([8 * len(t) for t in prefixes], dtype=_U),
            words([(1 << 8 * n) - 1 for n in range(17)]),
            words([1 << 8 * n if n < 16 else 0 for n in range(17)]))


_D5, _TZ5, _LOW, _DOT, _PREFIX, _SHIFT, _MASK, _AT = _g10_tables()
_LOG10_2 = 0.30102999566398120
_SCALE = 10.0 ** (16 - np.arange(19))  # 10**(9 - e) for e = -7 ... 11
