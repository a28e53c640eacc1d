"""CSV exports that are safe to open in a spreadsheet: text a spreadsheet would run as a
formula (starting with = + - @, tab or carriage return; OWASP "CSV injection") gets a leading
apostrophe, in cells, in the index and in the headers. Numbers are written as numbers,
unchanged.

The bytes are those of pandas' ``to_csv`` (``float_format="%.10g"``, "\\n" line ends), made
a chunk of rows at a time without a Python call per value (issue 27): a chunk's cells are
Arrow ``string_view`` views, the text cells pointing into their columns, quoted where the
csv module would quote them, the floats made in place by one vectorised rule
(:mod:`.g10`), and one cast to a string array copies them out in row order. A frame
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

from .g10 import G10, VIEW, Integers, all_whole, g10_views, whole_numbers
from .outfiles import replacing
from .safe import printable
from .tables import arrow_strings, release_arrow_memory

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
    is missing. A column of distinct texts is tested as it is (:func:`_encoded`)."""
    cells = _encoded(text)
    hit = test(cells.dictionary)
    if not pc.any(hit).as_py():
        return pc.if_else(pc.is_null(text), pa.scalar(None, pa.bool_()), False)
    return hit.take(cells.indices)


_SAMPLE = 4096  # first cells of a text column looked at by _encoded


def _encoded(text: pa.Array) -> pa.DictionaryArray:
    """``text`` as a dictionary array: each cell is ``dictionary[index]``, and a test or a
    quoting made on the dictionary is taken back to the cells. The dictionary is
    - the cells themselves, each its own index, when the first :data:`_SAMPLE` cells are
      mostly distinct (a code or name per row): nothing is hashed to find no repeat (a
      million unit codes: 0.35 s, three times over in a ranking CSV, issue 27);
    - one entry per run of equal cells, when the runs are few (a unit's rows together, as
      in the profiles): each cell is compared with the one before it, not hashed (6
      million rows of a million units: 1.4 s of hashing, issue 27);
    - else the distinct texts (Arrow's dictionary encoding)."""
    n = len(text)
    if n <= _SAMPLE:
        return pc.dictionary_encode(text)
    if 2 * len(pc.unique(text.slice(0, _SAMPLE))) > _SAMPLE:
        return pa.DictionaryArray.from_arrays(pa.array(np.arange(n, dtype=np.int32)), text)
    starts = np.ones(n, dtype=bool)  # a run starts after a change, and at and after a null
    starts[1:] = ~pc.fill_null(pc.equal(text.slice(1), text.slice(0, n - 1)), False
                               ).to_numpy(zero_copy_only=False)
    if 4 * np.count_nonzero(starts) > n:
        return pc.dictionary_encode(text)
    run = np.cumsum(starts, dtype=np.int64) - 1
    return pa.DictionaryArray.from_arrays(pa.array(run.astype(np.int32)),
                                          text.take(np.flatnonzero(starts)))


def _arrow_backed(values: pd.Series | pd.Index) -> pa.Array | None:
    """The cells of an Arrow-backed text column (pandas 3's ``str``) as an Arrow string
    array, missing values null, without a Python object per cell; None for other columns."""
    text = arrow_strings(values)
    return None if text is None else pc.cast(text, pa.string())


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
        """Per column of the block, :func:`all_whole`: the block tested 4,096 rows at a
        time, a column no more once a value is not whole (a column of scores is done
        after its first rows; a pass per column read the block strided, 0.2 s at 20,000 x
        455)."""
        if self._whole is None:  # a column is tested until a value is not whole
            alive = np.ones(self.block.shape[1], dtype=bool)
            for start in range(0, len(self.block), 4096):
                part = self.block[start:start + 4096]
                part = part if alive.all() else part[:, alive]
                alive[alive] = (whole_numbers(part) | np.isnan(part)).all(axis=0)
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
        cells = _encoded(pc.fill_null(text, ""))  # quoted and laid out
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
    cell is one view of its text and separator, made in place by :func:`g10_views`
    (columns of whole numbers, such as ranks, by :class:`Integers`), a run of evenly
    spaced cells at a time."""
    yield (",".join(header.to_pylist()) + "\n").encode("utf-8")
    n, width = len(columns[0]), len(columns)
    step = max(1, _ROWS_CELLS // width)
    text = [not isinstance(c, np.ndarray | RowsTaken) for c in columns]
    at = np.cumsum([0] + [1 + t for t in text])  # each column's first view in a row
    views = np.empty((min(step, n), at[-1], 2), dtype=VIEW)  # reused: the separators of the
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
    integers = {b",": Integers(b","), b"\n": Integers(b"\n")}
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
                buffers += g10_views(x, chunk[:, run], len(buffers), sep)
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
    return column.whole() if isinstance(column, RowsTaken) else all_whole(column)


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
