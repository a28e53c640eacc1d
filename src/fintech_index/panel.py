"""Panel: the values of every indicator for every unit and year, with provenance, and its loaders.

Layout: ``values`` is ``float64[years, units, indicators]`` (NaN = missing) in the
framework's indicator order. ``flags`` is a bit set per value (OBSERVED, IMPUTED, TREATED);
``source_id``/``source_year`` say where each observed value comes from.

Loaders read long files (``unit, year, indicator, value[, source, source_year]``) or wide
files (``unit, year, <indicator codes>...``) from CSV, Excel or Parquet. Optional unit
metadata columns (``name, country, region, level, parent``) may stand beside them. A bad file
is refused with every problem listed (file, row, column, value); nothing is dropped.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .errors import (
    MAX_LISTED,
    DataError,
    FrameworkError,
    Problems,
    did_you_mean,
    listing,
    listing_repr,
)
from .framework import Framework
from .tables import (
    Table,
    arrow_texts,
    as_text,
    numbers_and_reported,
    parse_columns,
    parse_numbers,
    read_table,
    release_arrow_memory,
)

OBSERVED = np.uint8(1)
IMPUTED = np.uint8(2)
TREATED = np.uint8(4)

UNIT_META = ("name", "name_zh", "country", "country_iso3", "region", "level", "parent")


@dataclass(frozen=True, eq=False)
class Panel:
    """Values with provenance; arrays are read-only so a build can never alter its input."""

    values: np.ndarray
    years: tuple[int, ...]
    units: pd.DataFrame
    indicators: tuple[str, ...]
    flags: np.ndarray
    source_id: np.ndarray
    source_year: np.ndarray
    sources: tuple[str, ...] = ()
    origin: str = "<memory>"
    notes: dict = field(default_factory=dict)
    denominator_codes: tuple[str, ...] = ()
    denominators: np.ndarray | None = None  # [years, units, denominators]

    def __post_init__(self) -> None:
        shape = (len(self.years), len(self.units), len(self.indicators))
        for name in ("values", "flags", "source_id", "source_year"):
            arr = getattr(self, name)
            if arr.shape != shape:
                raise DataError("D25",
                                f"{self.origin}: panel array '{name}' has shape {arr.shape}, "
                                f"expected {shape} (years, units, indicators)")
            arr.setflags(write=False)
        if self.denominators is None:
            object.__setattr__(self, "denominators",
                               np.full(shape[:2] + (len(self.denominator_codes),), np.nan))
        if self.denominators.shape != shape[:2] + (len(self.denominator_codes),):
            raise DataError("D25",
                            f"{self.origin}: denominators have shape {self.denominators.shape}, "
                            f"expected {shape[:2] + (len(self.denominator_codes),)}")
        self.denominators.setflags(write=False)

    def subset_units(self, keep: np.ndarray) -> Panel:
        """The panel restricted to the units where ``keep`` is true (e.g. after screening)."""
        shape = (len(self.years), int(np.count_nonzero(keep)), len(self.indicators))
        return replace(self, values=self.values[:, keep], units=self.units[keep],
                       flags=self.flags[:, keep],
                       source_id=_taken(self.source_id, lambda a: a[:, keep], shape),
                       source_year=_taken(self.source_year, lambda a: a[:, keep], shape),
                       denominators=self.denominators[:, keep])

    def subset_years(self, years: Sequence[int]) -> Panel:
        """The panel restricted to ``years``, in that order (each one of its years)."""
        pos = [self.years.index(y) for y in years]
        shape = (len(pos), len(self.units), len(self.indicators))
        return replace(self, values=self.values[pos], years=tuple(int(y) for y in years),
                       flags=self.flags[pos],
                       source_id=_taken(self.source_id, lambda a: a[pos], shape),
                       source_year=_taken(self.source_year, lambda a: a[pos], shape),
                       denominators=self.denominators[pos])

    def subset_indicators(self, codes: Sequence[str]) -> Panel:
        """The panel's indicators ``codes``, in that order (e.g. another framework's); the
        denominators stay, as they are not indicators."""
        cols = [self.indicators.index(c) for c in codes]
        shape = (len(self.years), len(self.units), len(cols))
        return replace(self, values=self.values[..., cols], indicators=tuple(codes),
                       flags=self.flags[..., cols],
                       source_id=_taken(self.source_id, lambda a: a[..., cols], shape),
                       source_year=_taken(self.source_year, lambda a: a[..., cols], shape))

    @cached_property
    def hash(self) -> str:
        """SHA-256 of the years, units, indicators and values: equal data, equal hash
        (computed once: a panel is never changed after it is made)."""
        h = hashlib.sha256()
        h.update(json.dumps([list(self.years), list(self.unit_codes), list(self.indicators)])
                 .encode())
        h.update(np.ascontiguousarray(self.values).data)  # its buffer: no bytes copy
        return h.hexdigest()

    @cached_property
    def unit_codes(self) -> tuple[str, ...]:
        """The units' codes, in the panel's order (made once: a million codes took 0.1-0.4 s
        to make again for each row group of a results.parquet, issue 27)."""
        return tuple(self.units.index.tolist())  # not element by element (Arrow strings)

    @property
    def missing(self) -> np.ndarray:
        return np.isnan(self.values)

    def frame(self, year: int | None = None) -> pd.DataFrame:
        """Long frame of values with provenance (one row per unit, year, indicator)."""
        ys = np.arange(len(self.years)) if year is None else np.array([self.years.index(year)])
        ny, nu, ni = len(ys), len(self.units), len(self.indicators)
        sid = self.source_id[ys].reshape(-1)
        names = np.array(list(self.sources) + [None], dtype=object)[np.where(sid >= 0, sid, -1)]
        sy = self.source_year[ys].reshape(-1).astype(float)
        return pd.DataFrame({
            "unit": np.tile(np.repeat(np.array(self.unit_codes, dtype=object), ni), ny),
            "year": np.repeat(np.array(self.years)[ys], nu * ni),
            "indicator": np.tile(np.array(self.indicators, dtype=object), ny * nu),
            "value": self.values[ys].reshape(-1),
            "flags": self.flags[ys].reshape(-1),
            "source": names,
            "source_year": np.where(sy > 0, sy, np.nan),
        })


def _constant(value: int, shape: tuple[int, ...]) -> np.ndarray:
    """One int32 ``value`` in every cell of ``shape``: a read-only view of a single number
    (where no value of the data has a source or source year, 20,000 x 200 held two arrays
    of 15 MB each saying so)."""
    return np.broadcast_to(np.int32(value), shape)


def _taken(arr: np.ndarray, take, shape: tuple[int, ...]) -> np.ndarray:
    """``take(arr)``, of the given ``shape``; an array made by :func:`_constant` (every
    stride 0) stays one, instead of being copied out cell by cell."""
    if arr.size and not any(arr.strides):
        return _constant(int(arr.reshape(-1)[0]), shape)
    return take(arr)


# --------------------------------------------------------------------------- reading files


def _parse_years(col: pd.Series, table: Table, problems: Problems, column: str = "year",
                 optional: bool = False) -> np.ndarray:
    """Four-digit years as int64; 0 where a year is bad (reported) or, if ``optional``,
    missing."""
    vals, reported = numbers_and_reported(col, table, column, problems)
    missing = np.isnan(vals)
    with np.errstate(invalid="ignore"):
        bad = ~missing & ((vals != np.round(vals)) | (vals < 1000) | (vals > 9999))
    bad |= missing & (not optional)
    for i in np.flatnonzero(bad & ~reported):
        problems.add("D17",
                     f"{table.src}: {table.row(i)}, column '{column}': {col.iat[i]!r} is "
                     "not a four-digit year")
    return np.where(bad | missing, 0, vals).astype(np.int64)


def _report_duplicates(table: Table, key: pd.DataFrame, what: str,
                       problems: Problems) -> None:
    """One problem per repeated key, naming every row it stands in."""
    dup = key.duplicated(keep=False).to_numpy()
    if not dup.any():
        return
    for values, idx in key[dup].groupby(list(key.columns), sort=False).groups.items():
        rows = listing(table.number(int(j)) for j in idx)
        problems.add("D18", f"{table.src}: rows {rows}: {what.format(*values)}")


def _unit_meta(table: Table, units: pd.Categorical, problems: Problems,
               groups: Sequence[str] = ()) -> pd.DataFrame:
    """One row of metadata per unit (and per group column), each unit's first value in
    each column; a unit given two different values of one column is a problem (D19, at
    every row that differs from the first). ``units``: the unit column, its categories in
    order of first appearance (:func:`_index_units`). By array operations, not row by row
    (a Python loop over a million rows per column, issue 27)."""
    columns = list(UNIT_META) + [g for g in groups if g not in UNIT_META]
    present = [c for c in columns if c in table.frame.columns]
    order = np.asarray(units.categories, dtype=object)
    meta = pd.DataFrame(index=pd.Index(order.tolist(), name="unit"), columns=columns,
                        dtype=object)
    for c in present:
        text = as_text(table.frame[c]).to_numpy(dtype=object)
        rows = np.flatnonzero(text != "")  # an empty cell gives no value
        unit_of = units.codes[rows]
        given, at = np.unique(unit_of, return_index=True)  # each unit's first value
        first = np.full(len(order), -1, dtype=np.int64)
        first[given] = rows[at]
        for i in rows[text[rows] != text[first[unit_of]]]:
            u, f = order[units.codes[i]], first[units.codes[i]]
            problems.add("D19", f"{table.src}: {table.row(i)}, column '{c}': unit '{u}' has "
                                f"{c} {text[i]!r} here but {text[f]!r} at {table.row(f)}")
        values = np.full(len(order), np.nan, dtype=object)
        values[given] = text[rows[at]]
        meta[c] = values
    return meta


def _places(codes: Sequence[str], among) -> np.ndarray:
    """Each code's place among the texts ``among`` (its first; -1: not there), looked up
    by Arrow's hashing of the texts (a million units: 0.5 s, against 1.2 s for pandas'
    isin of the Python strings and 1.4 s for a Python loop over a set, issue 27)."""
    text = pa.large_string()
    at = pc.index_in(arrow_texts(codes, text), value_set=arrow_texts(among, text))
    return np.asarray(at.fill_null(-1), dtype=np.int64)


def _report_undeclared(found: np.ndarray, first: np.ndarray, places: np.ndarray,
                       known: Sequence[str], table: Table, problems: Problems, code: str,
                       where: str) -> None:
    """One problem per code of ``found`` (distinct, first seen at rows ``first``) that is
    not among the declared ``known`` (its place -1), with the closest known code: D20 (the
    framework's units) or D24 (a units table), among the data's other problems."""
    listed = ", ".join(list(known)[:12]) + (", ..." if len(known) > 12 else "")
    for j in np.flatnonzero(places < 0):
        u = found[j]
        hint = did_you_mean(u, known, after=" ")
        problems.add(code, f"{table.src}: {table.row(first[j])}, column 'unit': {u!r} is "
                           f"{where} ({hint}known: {listed})")


def load_panel(path: str | Path, framework: Framework, *, sheet: str | int | None = None,
               units: str | Path | pd.DataFrame | None = None, source: str | None = None,
               source_year: int | None = None) -> Panel:
    """Read a long or wide data file into a Panel in the framework's indicator order.

    The data's unit codes must be declared, by the framework (``units:`` list or
    ``units_file:``) or by ``units`` (a file or frame with a ``code`` column and any of name,
    country, region, level, parent and the framework's group columns, which also give unit
    metadata); a code outside the declared units is refused with "did you mean" (D20, D24),
    and data read with no units declared at all are refused (F80). ``source``/``source_year``
    are the default provenance of values whose file does not say it per row.
    """
    panel = _panel(read_table(path, sheet), framework, units, source, source_year,
                   consume=True)
    release_arrow_memory()  # the file's cells are gone: their memory too
    return panel


def panel_from_table(table: Table, framework: Framework, *,
                     units: str | Path | pd.DataFrame | None = None, source: str | None = None,
                     source_year: int | None = None) -> Panel:
    """A table already read (file rows numbered) into a Panel; see :func:`load_panel`."""
    return _panel(table, framework, units, source, source_year, consume=False)


def _panel(table: Table, framework: Framework, units, source, source_year, *,
           consume: bool) -> Panel:
    """:func:`panel_from_table`; with ``consume`` (a table read for this panel alone), the
    table's cells are let go once parsed and checked, before the panel's arrays are made
    (20,000 x 200, wide: 57 MB of text beside them)."""
    if units is None and framework.units_file is not None:
        units = framework.units_file  # the framework's declared units table
    cols = [str(c).strip() for c in table.frame.columns]
    table.frame.columns = cols
    dup_cols = sorted({c for c in cols if cols.count(c) > 1})
    if dup_cols:
        raise DataError("D10", f"{table.src}: header row: duplicate column(s) {dup_cols}")
    if len(table.frame) == 0:
        raise DataError("D11", f"{table.src}: the file has a header but no data rows")
    if "unit" not in cols or "year" not in cols:
        raise DataError("D12",
                        f"{table.src}: header row: columns 'unit' and 'year' are required "
                        f"(found: {cols[:12]}); long files have unit, year, indicator, value; "
                        "wide files have unit, year and one column per indicator code")
    if "indicator" in cols and "value" not in cols and "indicator" not in framework.indicators:
        raise DataError("D69", f"{table.src}: header row: column 'value' is missing; a long "
                               "file has unit, year, indicator, value (a wide file has no "
                               f"'indicator' column) (found: {cols[:12]})")
    if units is None and not framework.units:
        _refuse_undeclared_units(table, framework)
    is_long = "indicator" in cols and "value" in cols
    if is_long:
        return _load_long(table, framework, units, source, source_year, consume)
    return _load_wide(table, framework, units, source, source_year, consume)


def _refuse_undeclared_units(table: Table, framework: Framework) -> None:
    """Units come from a declared list or the data are refused: without one, a code typed
    wrong in the data (``SAH`` for ``SHA``) would silently become a unit of its own, ranked
    on the one value it has, while the real unit's value is imputed (issue 17)."""
    codes = [u for u in dict.fromkeys(as_text(table.frame["unit"]).tolist()) if u != ""]
    shown = ", ".join(repr(u) for u in codes[:5]) + (", ..." if len(codes) > 5 else "")
    raise FrameworkError(
        "F80", f"{table.src}: the framework {framework.source_file} declares no units, so the "
               f"{len(codes)} unit code(s) of the data ({shown}) cannot be checked and a "
               "mistyped code would become a unit of its own; declare the units in the "
               "framework, as a list (units: [{code: SHA, name: Shanghai}, ...]) or as a table "
               "beside it (units_file: units.csv, a CSV with columns code,name[,group...]), or "
               "give a units table with --units FILE (Python: units=FILE)")


def _index_units(table: Table, framework: Framework, unit_col: np.ndarray,
                 problems: Problems, units: Table | None = None
                 ) -> tuple[list[str], np.ndarray, pd.Categorical, np.ndarray | None]:
    """The units of the data in order of first appearance (the framework's own list where
    it declares them), every code checked: not empty (D21), declared by the framework
    (D20) or in the units table (D24), each problem at the first row of its code. Also each
    row's place in that list (-1: not in it), the column as a categorical (its codes
    hashed once: a million rows' text took 1 s more for each later lookup, issue 27) and,
    checked against a units table, each unit's row in it (for :func:`_merge_units`)."""
    for i in np.flatnonzero(unit_col == ""):
        problems.add("D21", f"{table.src}: {table.row(i)}, column 'unit': empty unit code")
    codes, uniques = pd.factorize(unit_col)  # in order of first appearance; none missing
    distinct = np.asarray(uniques, dtype=object)
    labels = pd.Categorical.from_codes(codes, distinct)
    given = distinct != ""
    found, first = distinct[given], _first_rows(codes)[given]
    if framework.units:
        known = [u.code for u in framework.units]
        place = _places(distinct, known)  # each distinct code's place in the framework's
        _report_undeclared(found, first, place[given], known, table, problems, "D20",
                           "not a unit of the framework")
        return known, place[codes], labels, None
    table_rows = None
    if units is not None and "code" in units.frame.columns:
        declared = as_text(units.frame["code"])
        table_rows = _places(found, declared)
        if (table_rows < 0).any():  # the table's codes listed only for a message
            known = list(dict.fromkeys(c for c in declared.tolist() if c))
            _report_undeclared(found, first, table_rows, known, table, problems, "D24",
                               f"not in the units table {units.src}")
    place = np.where(given, np.cumsum(given) - 1, -1)  # of each distinct code
    return found.tolist(), place[codes], labels, table_rows


def _first_rows(codes: np.ndarray) -> np.ndarray:
    """The row where each code of a factorization (codes numbered in order of first
    appearance, -1 for none) first appears: where the running highest code rises."""
    if not len(codes):
        return np.zeros(0, dtype=np.intp)
    top = np.maximum.accumulate(codes)
    rises = np.empty(len(codes), dtype=bool)
    rises[0], rises[1:] = top[0] >= 0, top[1:] > top[:-1]
    return np.flatnonzero(rises)


def _finish(framework: Framework, table: Table, unit_order: list[str], meta: pd.DataFrame,
            years: np.ndarray, unit_idx: np.ndarray, ind_idx: np.ndarray, vals: np.ndarray,
            src_names: np.ndarray | None, src_years: np.ndarray | None,
            default_source: str | None, default_year: int | None,
            extra_units: Table | None,
            den: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
            unit_rows: np.ndarray | None = None) -> Panel:
    """Assemble the arrays; ``den`` is (years, unit index, denominator index, values);
    ``unit_rows``: each unit of ``unit_order``'s row in ``extra_units``, when found already.

    The values come long, one indicator index per value, or wide: ``vals`` a block of
    ``[indicators, rows]`` with ``ind_idx`` one index per block row, placed at once
    (:func:`_scatter_wide`)."""
    if framework.missing_values:  # the data's own code for "missing" (-999): not a value
        vals = np.where(np.isin(vals, framework.missing_values), np.nan, vals)
    den_years = den[0] if den is not None else np.empty(0, dtype=np.int64)
    year_list = np.union1d(years, den_years).astype(np.int64).tolist()
    shape = (len(year_list), len(unit_order), len(framework.indicators))
    base = (np.searchsorted(np.array(year_list), years) * shape[1] + unit_idx) * shape[2]
    values = np.full(shape, np.nan)
    flags = np.zeros(shape, dtype=np.uint8)
    wide = vals.ndim == 2

    # sources numbered in order of first appearance; no source (empty) is -1
    if src_names is None:  # one source per indicator: number the indicators' sources
        per_ind = [default_source or framework.nodes[c].source or "" for c in framework.indicators]
        if wide or not len(ind_idx):
            first = ind_idx  # a wide block's rows are in order of first appearance
        else:
            starts = np.flatnonzero(np.diff(ind_idx)) + 1  # first appearances start runs
            first = pd.unique(ind_idx[np.concatenate([[0], starts])])
        ids, uniques = pd.factorize(pd.Series(np.array(per_ind, dtype=object)[first],
                                              dtype=object).replace("", None))
        of_ind = np.full(len(per_ind), -1, dtype=np.int32)
        of_ind[first] = ids
    else:
        names = src_names
        if default_source:
            names = np.where(names == "", default_source, names)
        sid, uniques = pd.factorize(pd.Series(names, dtype=object).replace("", None))
        sid = sid.astype(np.int32)
    if src_years is not None and default_year:
        src_years = np.where(src_years == 0, default_year, src_years)
    # no value with a source (or a source year): one constant each, not an array per cell
    named = len(uniques) > 0
    dated = src_years is not None or bool(default_year)
    if wide:
        source_id, source_year = _scatter_wide(values, flags, base // shape[2], ind_idx, vals,
                                               of_ind if named else None, default_year)
    else:
        source_id = np.full(shape, -1, dtype=np.int32) if named else _constant(-1, shape)
        source_year = np.zeros(shape, dtype=np.int32) if dated else _constant(0, shape)
        at = base + ind_idx  # one flat position per value: a scatter through one index
        values.reshape(-1)[at] = vals
        observed = ~np.isnan(vals)
        at_obs = at[observed]
        flags.reshape(-1)[at_obs] = OBSERVED
        if named:
            source_id.reshape(-1)[at_obs] = of_ind[ind_idx[observed]] if src_names is None \
                else sid[observed]
        if src_years is not None:
            source_year.reshape(-1)[at_obs] = src_years[observed]
        elif default_year:
            source_year.reshape(-1)[at_obs] = default_year

    meta = meta.reindex(unit_order)
    if framework.units:  # the framework's unit fields where the data give none
        declared = pd.DataFrame([[getattr(u, c) for c in UNIT_META] for u in framework.units],
                                index=[u.code for u in framework.units], columns=UNIT_META,
                                dtype=object).reindex(meta.index)
        for c in UNIT_META:
            fill = meta[c].isna().to_numpy() & declared[c].notna().to_numpy()
            if fill.any():
                meta.loc[fill, c] = declared[c].to_numpy()[fill]
    if extra_units is not None:
        meta = _merge_units(meta, extra_units, framework.groups, unit_rows)
    meta["name"] = meta["name"].where(meta["name"].notna(), pd.Series(meta.index, meta.index))
    denominators = np.full(shape[:2] + (len(framework.denominators),), np.nan)
    if den is not None:
        dy = np.searchsorted(np.array(year_list), den[0])
        denominators[dy, den[1], den[2]] = den[3]
    check_country_figures(framework, values, year_list, meta, table.src)
    return Panel(values=values, years=tuple(int(y) for y in year_list), units=meta,
                 indicators=framework.indicators, flags=flags, source_id=source_id,
                 source_year=source_year, sources=tuple(str(u) for u in uniques),
                 origin=table.src, denominator_codes=framework.denominator_codes,
                 denominators=denominators)


def _scatter_wide(values: np.ndarray, flags: np.ndarray, rows: np.ndarray, ind_idx: np.ndarray,
                  vals: np.ndarray, of_ind: np.ndarray | None, default_year: int | None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """A wide block ``vals`` ``[columns, file rows]`` into ``values`` ``[years, units,
    indicators]`` (file row ``r`` at flat (year, unit) row ``rows[r]``, column ``k`` at
    indicator ``ind_idx[k]``) by one transposing assignment, its observed values flagged;
    and each value's source (``of_ind``, per indicator; None: no source) and source year
    (``default_year``; None: none), where observed. A cell no file row fills stays NaN,
    unflagged, without a source: the values decide it all."""
    block = values.reshape(-1, values.shape[-1])
    if len(rows) == len(block) and np.array_equal(rows, np.arange(len(block))) and \
            np.array_equal(ind_idx, np.arange(block.shape[1])):
        block[...] = vals.T  # the file's rows in the panel's order, every indicator
    else:
        block[rows[:, None], ind_idx] = vals.T
    observed = ~np.isnan(values)
    np.copyto(flags, OBSERVED, where=observed)
    source_id = _constant(-1, values.shape) if of_ind is None else \
        np.where(observed, of_ind, np.int32(-1)).astype(np.int32, copy=False)
    source_year = _constant(0, values.shape) if not default_year else \
        np.where(observed, np.int32(default_year), np.int32(0))
    return source_id, source_year


def _units_table(extra: str | Path | pd.DataFrame | None) -> Table | None:
    """The units table (a file or a frame) read once, before the data's rows are checked
    against it."""
    if extra is None:
        return None
    if isinstance(extra, pd.DataFrame):
        return Table(extra.copy(), "<units frame>", 0, "entry")
    return read_table(extra)


def _merge_units(meta: pd.DataFrame, t: Table, groups: Sequence[str] = (),
                 rows: np.ndarray | None = None) -> pd.DataFrame:
    """The units table's columns over the data's (where the table has a value); every unit
    of the data must be in the table (D24, with "did you mean"). ``rows``: each unit of
    ``meta``'s row in the table, when :func:`_index_units` found them already."""
    columns = (*UNIT_META, *[g for g in groups if g not in UNIT_META])
    frame, src = t.frame, t.src
    if "code" not in frame.columns:
        raise DataError("D23", f"{src}: header row: a units table needs a 'code' column "
                               f"(found: {list(frame.columns)})")
    unknown_cols = sorted(set(frame.columns) - {"code", *columns})
    if unknown_cols:
        raise DataError("D23",
                        f"{src}: header row: unknown column(s) {listing_repr(unknown_cols)} "
                        f"(accepted: code, {', '.join(columns)})")
    codes = as_text(frame["code"])
    _check_unit_codes(t, codes.to_numpy(dtype=object))
    # each unit's row in the table, found by Arrow's hashing (Index.isin on Arrow strings
    # asks Arrow for one scalar per unit: 4 s for 100,000 units; Index.get_indexer hashes
    # the Python strings: 1.2 s for a million)
    if rows is None:
        rows = _places(meta.index.to_numpy(dtype=object), codes)
    missing = meta.index[rows < 0].tolist()
    if missing:
        known = codes.tolist()
        hints = [h for u in missing[:MAX_LISTED]
                 if (h := did_you_mean(u, known, before=f"{u!r}: "))]
        raise DataError("D24",
                        f"{src}: units {listing_repr(missing)} of the data are not in the units "
                        "table" + (f" ({'; '.join(hints)})" if hints else ""))
    for c in columns:
        if c in frame.columns:
            vals = frame[c].iloc[rows].set_axis(meta.index)
            meta[c] = vals.where(vals.notna() & (vals.astype(str) != ""), meta[c]).to_numpy()
    return meta


def _check_unit_codes(table: Table, codes: np.ndarray) -> None:
    """Each row of a units table has a code of its own: an empty code names no unit, and a
    code given twice would give one unit two names (D81)."""
    problems = Problems()
    code_of, uniques = pd.factorize(codes)
    first = _first_rows(code_of)  # the first row of each code
    empty = (np.asarray(uniques, dtype=object) == "")[code_of]
    again = first[code_of] != np.arange(len(codes))
    for i in np.flatnonzero(empty | again):  # messages only for the rows with a problem
        c = codes[i]
        if c == "":
            problems.add("D81", f"{table.src}: {table.row(i)}, column 'code': empty unit code "
                                "(each row of a units table is one unit, named by its code)")
        else:
            problems.add("D81", f"{table.src}: {table.row(i)}, column 'code': unit {c!r} is "
                                f"already at {table.row(first[code_of[i]])}; give each unit "
                                "one row")
    problems.raise_as(DataError)


def _let_go(table: Table) -> None:
    """Drop the cells of a table read for one panel, every one parsed and checked (only the
    rows' numbering is read after), and give Arrow's memory of them back."""
    table.frame = pd.DataFrame(columns=table.frame.columns)
    release_arrow_memory()


def _load_long(table: Table, framework: Framework, units, source, source_year,
               consume: bool = False) -> Panel:
    f = table.frame
    allowed = {"unit", "year", "indicator", "value", "source", "source_year", *UNIT_META,
               *framework.groups}
    unknown = [c for c in f.columns if c not in allowed]
    if unknown:
        raise DataError("D13",
                        f"{table.src}: header row: unknown column(s) {listing_repr(unknown)} in a "
                        f"long file (accepted: unit, year, indicator, value, source, source_year, "
                        f"{', '.join(UNIT_META + framework.groups)})")
    units = _units_table(units)
    problems = Problems()
    unit_col = as_text(f["unit"]).to_numpy()
    ind_col = as_text(f["indicator"]).to_numpy()
    years = _parse_years(f["year"], table, problems)
    vals = parse_numbers(f["value"], table, "value", problems)
    unit_order, _, unit_labels, unit_rows = _index_units(table, framework, unit_col, problems,
                                                         units)
    known = set(framework.indicators) | set(framework.denominator_codes)
    first_row: dict[str, int] = {}
    for i, c in enumerate(ind_col):
        if c not in known and c not in first_row:
            first_row[c] = i
    for c, i in first_row.items():
        problems.add("D22",
                     f"{table.src}: {table.row(i)}, column 'indicator': {c!r} is not an "
                     f"indicator of the framework (known: {listing(framework.indicators)})")
    src_years = None
    if "source_year" in f.columns:
        src_years = _parse_years(f["source_year"], table, problems, "source_year",
                                 optional=True)
    # duplicates of (unit, year, indicator)
    _report_duplicates(table, pd.DataFrame({"u": unit_col, "y": years, "i": ind_col}),
                       "duplicate value for unit '{}', year {}, indicator '{}'; give each "
                       "(unit, year, indicator) once", problems)
    absent = [c for c in framework.indicators if c not in set(ind_col)]
    if absent:
        problems.add("D14", f"{table.src}: framework indicator(s) {absent} have no row in the file")
    meta = _unit_meta(table, unit_labels, problems, framework.groups)
    problems.raise_as(DataError)
    pos = {u: k for k, u in enumerate(unit_order)}
    ipos = {c: k for k, c in enumerate(framework.indicators)}
    dpos = {c: k for k, c in enumerate(framework.denominator_codes)}
    is_den = np.array([c in dpos for c in ind_col], dtype=bool)
    unit_idx = np.array([pos[u] for u in unit_col], dtype=np.int64)
    den = (years[is_den], unit_idx[is_den],
           np.array([dpos[c] for c in ind_col[is_den]], dtype=np.int64), vals[is_den])
    keep = ~is_den
    ind_idx = np.array([ipos[c] for c in ind_col[keep]], dtype=np.int64)
    src_names = as_text(f["source"]).to_numpy()[keep] if "source" in f.columns else None
    if consume:
        del f
        _let_go(table)
    return _finish(framework, table, unit_order, meta, years[keep], unit_idx[keep], ind_idx,
                   vals[keep], src_names, None if src_years is None else src_years[keep],
                   source, source_year, units, den, unit_rows)


def _load_wide(table: Table, framework: Framework, units, source, source_year,
               consume: bool = False) -> Panel:
    f = table.frame
    known = set(framework.indicators) | set(framework.denominator_codes)
    meta_cols = ("unit", "year", *UNIT_META, *framework.groups)
    unknown = [c for c in f.columns if c not in known and c not in meta_cols]
    units = _units_table(units)
    problems = Problems()
    if unknown:
        problems.add("D13",
                     f"{table.src}: header row: column(s) {listing_repr(unknown)} are neither "
                     "indicators or denominators of the framework nor unit metadata "
                     f"(indicators: {listing(framework.indicators)}; denominators: "
                     f"{listing(framework.denominator_codes or ['none'])}; metadata: "
                     f"{', '.join(UNIT_META + framework.groups)})")
    absent = [c for c in framework.indicators if c not in f.columns]
    if absent:
        problems.add("D14", f"{table.src}: header row: framework indicator(s) {absent} have no "
                            "column")
    unit_col = as_text(f["unit"]).to_numpy()
    years = _parse_years(f["year"], table, problems)
    unit_order, unit_pos, unit_labels, unit_rows = _index_units(table, framework, unit_col,
                                                                problems, units)
    _report_duplicates(table, pd.DataFrame({"u": unit_labels, "y": years}),
                       "unit '{}', year {} appears more than once; give each (unit, year) "
                       "one row", problems)
    cols = [c for c in framework.indicators if c in f.columns]
    dcols = [c for c in framework.denominator_codes if c in f.columns]
    n = len(f)
    vals = np.empty((len(cols), n))  # each column parsed into its row: no second copy
    parse_columns(table, cols, vals, problems)
    parsed = {c: parse_numbers(f[c], table, c, problems) for c in dcols}
    meta = _unit_meta(table, unit_labels, problems, framework.groups)
    problems.raise_as(DataError)
    if consume:
        del f
        _let_go(table)
    unit_pos = unit_pos.astype(np.int64)
    ipos = {c: k for k, c in enumerate(framework.indicators)}
    ind_idx = np.array([ipos[c] for c in cols], dtype=np.int64)
    dpos = {c: k for k, c in enumerate(framework.denominator_codes)}
    den = (np.tile(years, len(dcols)),
           np.tile(unit_pos, len(dcols)),
           np.repeat(np.array([dpos[c] for c in dcols], dtype=np.int64), n),
           np.concatenate([parsed[c] for c in dcols]) if dcols else np.empty(0))
    return _finish(framework, table, unit_order, meta, years, unit_pos, ind_idx, vals, None,
                   None, source, source_year, units, den, unit_rows)


def panel_from_arrays(values: np.ndarray, framework: Framework, units: Iterable[str],
                      years: Iterable[int], *, source: str = "synthetic",
                      meta: pd.DataFrame | None = None,
                      denominators: np.ndarray | None = None) -> Panel:
    """Wrap arrays made in memory (tests, benchmarks) as a Panel; ``source`` names them.

    ``meta`` may carry unit metadata and the framework's group columns, indexed by unit code;
    ``denominators`` is ``[years, units, framework.denominators]``.
    """
    values = np.asarray(values, dtype=np.float64)
    unit_list = [str(u) for u in units]
    columns = list(UNIT_META) + [g for g in framework.groups if g not in UNIT_META]
    frame = pd.DataFrame(index=pd.Index(unit_list, name="unit"), columns=columns, dtype=object)
    if meta is not None:
        for c in columns:
            if c in meta.columns:
                frame[c] = meta.reindex(unit_list)[c].to_numpy()
    frame["name"] = frame["name"].where(frame["name"].notna(), pd.Series(unit_list, frame.index))
    observed = ~np.isnan(values)
    return Panel(values=values.copy(), years=tuple(int(y) for y in years), units=frame,
                 indicators=framework.indicators,
                 flags=np.where(observed, OBSERVED, 0).astype(np.uint8),
                 source_id=np.where(observed, 0, -1).astype(np.int32),
                 source_year=np.zeros(values.shape, dtype=np.int32), sources=(source,),
                 origin=source, denominator_codes=framework.denominator_codes,
                 denominators=None if denominators is None
                 else np.array(denominators, dtype=np.float64))


def country_contradictions(framework: Framework, values: np.ndarray, years: Sequence[int],
                           units: pd.DataFrame) -> list[tuple[str, int, str, dict[str, float]]]:
    """(indicator, year, country, {unit name: value}) for every indicator labelled
    ``level: country`` whose values differ between units of one country in one year (units
    without a country, and missing values, are not compared)."""
    if "country" not in units.columns:
        return []
    # each unit's country as a number (-1: none), found once; per indicator and year, the
    # smallest and largest value of each country by one pass over the units (a scan of
    # every unit per country took 5 s at 200,000 units, 200 countries, 5 indicators, this
    # 0.07 s: issue 27); only the countries whose values differ are listed, in the countries' order
    country, nations = pd.factorize(units["country"].to_numpy(dtype=object))
    names = units["name"].fillna(pd.Series(units.index, units.index)).to_numpy(dtype=object)
    found = []
    for j, code in enumerate(framework.indicators):
        if framework.nodes[code].figure_level != "country":
            continue
        for t, year in enumerate(years):
            col = values[t, :, j]
            compared = (country >= 0) & ~np.isnan(col)
            lowest = np.full(len(nations), np.inf)
            highest = np.full(len(nations), -np.inf)
            np.minimum.at(lowest, country[compared], col[compared])
            np.maximum.at(highest, country[compared], col[compared])
            for k in sorted(np.flatnonzero(highest > lowest), key=lambda k: nations[k]):
                rows = np.flatnonzero(compared & (country == k))
                found.append((code, int(year), str(nations[k]),
                              {str(names[r]): float(col[r]) for r in rows}))
    return found


def check_country_figures(framework: Framework, values: np.ndarray, years: Sequence[int],
                          units: pd.DataFrame, origin: str) -> None:
    """A country figure is one number per country: refuse a panel in which an indicator
    labelled ``level: country`` takes several values inside one country [D74]."""
    found = country_contradictions(framework, values, years, units)
    if not found:
        return
    lines = [f"indicator '{code}', {year}, {nation}: "
             + ", ".join(f"{n} {v:g}" for n, v in cities.items())
             for code, year, nation, cities in found[:MAX_LISTED]]
    more = f" (and {len(found) - MAX_LISTED} more)" if len(found) > MAX_LISTED else ""
    raise DataError("D74", f"{origin}: {len(found)} country figure(s) differ between cities of "
                           f"one country{more}: " + "; ".join(lines) + ". An indicator labelled "
                           "'level: country' takes one value per country, given to every "
                           "city of it: give each city its country's one value, or label the "
                           "indicator with the level its values have (city, metro, cluster)")
