"""CSV exports that are safe to open in a spreadsheet: text a spreadsheet would run as a
formula (starting with = + - @, tab or carriage return; OWASP "CSV injection") gets a leading
apostrophe, in cells and in the index. Numbers are written as numbers, unchanged."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text a spreadsheet could take for a formula, made inert with a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _inert(values: pd.Series | pd.Index):
    return values.map(lambda v: neutralise(v) if isinstance(v, str) else v)


def write_csv(frame: pd.DataFrame, path: str | Path, *, index: bool = False,
              float_format: str = "%.10g") -> Path:
    """Write ``frame`` as UTF-8 CSV with "\\n" line ends and every text cell made inert."""
    safe = frame.copy()
    for c in safe.columns:
        if safe[c].dtype == object or pd.api.types.is_string_dtype(safe[c]):
            safe[c] = _inert(safe[c])
    if index and (safe.index.dtype == object):
        safe.index = _inert(safe.index)
    p = Path(path)
    safe.to_csv(p, index=index, float_format=float_format, lineterminator="\n")
    return p
