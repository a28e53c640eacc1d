"""CSV exports that are safe to open in a spreadsheet: text a spreadsheet would run as a
formula (starting with = + - @, tab or carriage return; OWASP "CSV injection") gets a leading
apostrophe, in cells, in the index and in the headers. Numbers are written as numbers,
unchanged.

The bytes are those of pandas' ``to_csv`` (``float_format="%.10g"``, "\\n" line ends), made
column by column with Arrow string kernels instead of a Python call per value (issue 27):
floats through one vectorised rule (:func:`format_g10`), text quoted where the csv module
would quote it. A frame the fast path does not cover (a MultiIndex, labels that are not
text, other dtypes, one column) is written by pandas itself.
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
    """Where a cell of ``text`` may be changed by neutralise (never where it is missing)."""
    return pc.fill_null(pc.match_substring_regex(text, _MAY_CHANGE), False
                        ).to_numpy(zero_copy_only=False)


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
        return _all_whole(self.rows.block[:, self.k])

    def column(self) -> np.ndarray:
        return self.rows.block[self.rows.order, self.k]


class _Rows:
    """The rows of ``block`` in the order ``order``, taken a chunk at a time."""

    def __init__(self, block: np.ndarray, order: np.ndarray) -> None:
        self.block, self.order, self._last = block, order, (None, None)

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
    """One column's values as CSV cells, as pandas writes them (missing values empty)."""
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
        return _quoted(pc.fill_null(text, ""))
    return None


def _quoted(text: pa.Array) -> pa.Array:
    """Cells holding a separator, quote or line break quoted as the csv module quotes them
    (found with Arrow, quoted by the csv module itself, one cell at a time)."""
    special = None
    for c in (",", '"', "\r", "\n"):
        hit = pc.match_substring(text, c)
        special = hit if special is None else pc.or_(special, hit)
    if not pc.any(special).as_py():
        return text

    def one(cell: str) -> str:
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerow([cell, ""])
        return buf.getvalue()[:-2]  # without the separator and line end of the empty cell

    quoted = [one(c) for c in pc.filter(text, special).to_pylist()]
    return pc.replace_with_mask(text, special, pa.array(quoted, type=text.type))


def _csv_chunks(header: pa.Array, columns: list[pa.Array | np.ndarray | RowsTaken]):
    """The CSV bytes: the header line, then the rows a chunk at a time, the float columns
    of a chunk formatted in two calls: the columns of whole numbers (ranks) and the rest."""
    yield (",".join(header.to_pylist()) + "\n").encode("utf-8")
    n = len(columns[0])
    step = max(1, _ROWS_CELLS // len(columns))
    floats = [j for j, c in enumerate(columns) if isinstance(c, np.ndarray | RowsTaken)]
    whole = [j for j in floats if (columns[j].whole() if isinstance(columns[j], RowsTaken)
                                   else _all_whole(columns[j]))]
    general = [j for j in floats if j not in whole]
    groups = [(g, f) for g, f in ((whole, _g10_integers), (general, _g10_fixed)) if g]
    for start in range(0, n, step):
        rows = min(step, n - start)
        part = [None if j in floats else c.slice(start, rows) for j, c in enumerate(columns)]
        for group, format_group in groups:
            x = np.stack([columns[j][start:start + rows] for j in group]).reshape(-1)
            text = format_group(x, np.isnan(x))
            for k, j in enumerate(group):
                part[j] = text.slice(k * rows, rows)
        # a null (NaN) is written as an empty cell, as pandas writes it
        part[-1] = pc.binary_join_element_wise(part[-1], "\n", "", null_handling="replace")
        yield _joined(pc.binary_join_element_wise(*part, ",", null_handling="replace"))


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
    """Every value of ``x`` a whole number "%.10g" writes as an integer, or NaN: the column
    is formatted by :func:`_g10_integers`."""
    return bool((_whole(x) | np.isnan(x)).all())


def _g10_cells(x: np.ndarray) -> pa.Array:
    """``"%.10g" % v`` of every value, NaN as a null (a writer joining the cells writes it
    as an empty cell).

    The rule: ``v`` rounded to ten significant digits is the decimal ``D = r * 10**(e-9)``,
    ``r = rint(|v| * 10**(9-e))``: the power of ten is exact and the product rounded once,
    so it is within 1e-6 of the exact one, and ``r`` is right unless the exact product lies
    within that of a half (kept apart by a 2e-6 margin). Where ``"%.10g"`` writes fixed
    notation (-4 <= e <= 9), it writes the digits of D without trailing zeros; so does the
    shortest round-trip text of the double nearest D (two decimals of ten digits never
    share a double), which Arrow's cast writes in fixed notation over that range (a whole
    number as an integer), and that double is ``r / 10**(9-e)``, one correctly rounded
    division. An array of whole numbers below 1e10 (ranks, counts) is cast as integers.
    The rest (-0, scientific notation, infinities, values within the margin of a half) are
    formatted by Python, one by one."""
    x = np.asarray(x, dtype=np.float64)
    return (_g10_integers if _all_whole(x) else _g10_fixed)(x, np.isnan(x))


def _g10_integers(x: np.ndarray, nan: np.ndarray) -> pa.Array:
    """:func:`_g10_cells` of whole numbers below 1e10 and NaN (ranks, counts): D is v
    itself, an integer."""
    return pc.cast(pa.array(np.where(nan, 0, x).astype(np.int64), mask=_mask(nan)),
                   pa.string())


def _mask(nan: np.ndarray) -> np.ndarray | None:
    return nan if nan.any() else None


def _g10_fixed(x: np.ndarray, nan: np.ndarray) -> pa.Array:
    """:func:`_g10_cells` of any values, by the rule it states."""
    a = np.abs(x)
    normal = np.isfinite(x) & (a != 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        e = np.where(normal, np.floor(np.log10(np.where(normal, a, 1.0))), 0).astype(np.int64)
    near = normal & (e >= -5) & (e <= 10)  # fixed notation once rounded, or one off
    e = np.where(near, e, 0)
    a = np.where(near, a, 1.0)
    m = a * _P10[_P0 + 9 - e]
    e = e + (m >= 1e10) - (m < 1e9)  # log10 may miss by one next to a power of ten
    m = a * _P10[_P0 + 9 - e]
    r = np.rint(m)
    carry = r >= 1e10  # 9999999999.5 rounds up to the next power of ten
    e = e + carry
    fixed = near & (e >= -4) & (e <= 9) & (np.abs(np.abs(m - r) - 0.5) >= _TIE)
    d = np.copysign(np.where(carry, 1e9, r) / _P10[_P0 + 9 - np.clip(e, -4, 9)], x)
    zero = x == 0
    if zero.any():  # 0 is cast as "0"; -0 is left to Python
        d[zero] = 0.0
        fixed |= zero & ~np.signbit(x)
    text = pc.cast(pa.array(d, mask=_mask(nan)), pa.string())
    python = ~fixed & ~nan
    if python.any():  # "-0", scientific notation, infinities, near a half
        text = pc.replace_with_mask(text, pa.array(python), pa.array(
            [G10 % y for y in x[python]], type=pa.string()))
    return text


_P0 = 30
_P10 = 10.0 ** np.arange(-_P0, _P0 + 1)  # _P10[_P0 + k] = 10.0**k, exact for 0 <= k <= 22
