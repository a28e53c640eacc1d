"""CSV exports that are safe to open in a spreadsheet: text a spreadsheet would run as a
formula (starting with = + - @, tab or carriage return; OWASP "CSV injection") gets a leading
apostrophe, in cells, in the index and in the headers. Numbers are written as numbers,
unchanged."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .outfiles import replacing
from .safe import printable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text a spreadsheet could take for a formula, made inert with a leading apostrophe;
    control and bidirectional-override characters shown as escapes (:func:`safe.printable`)."""
    text = printable(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _inert_value(v):
    return neutralise(v) if isinstance(v, str) else v


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
    out = pd.Index([_inert_value(v) for v in index], dtype=object) if _text_dtype(index.dtype) \
        else index.copy()
    return out.rename(_inert_value(index.name))


def inert_frame(frame: pd.DataFrame, *, index: bool = True) -> pd.DataFrame:
    """A copy of ``frame`` in which every text cell, header and (if written) index label
    is made inert; numeric columns are untouched."""
    safe = frame.copy()
    for i, dtype in enumerate(safe.dtypes):  # a column is taken out only when it holds text
        if _text_dtype(dtype):
            safe.isetitem(i, safe.iloc[:, i].map(_inert_value).astype(object))
    safe.columns = _inert_index(safe.columns)
    if index:
        safe.index = _inert_index(safe.index)
    return safe


def write_csv(frame: pd.DataFrame, path: str | Path, *, index: bool = False,
              float_format: str = "%.10g") -> Path:
    """Write ``frame`` as UTF-8 CSV with "\\n" line ends and every text cell, header and
    index label made inert."""
    p = Path(path)
    with replacing(p) as tmp:
        inert_frame(frame, index=index).to_csv(tmp, index=index, float_format=float_format,
                                               lineterminator="\n")
    return p
