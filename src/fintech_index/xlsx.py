"""Reading one sheet of an Excel workbook, bounded before it is parsed. An .xlsx is a zip of
XML: a few MB can expand to GB of XML, or to millions of rows, that a parser would read for
minutes at many GB. So the zip's declared sizes (whole and per compression ratio) and the
sheet's rows and cells (its declared dimension, then a streaming count of its row and cell
tags) are checked first, each against a limit an environment variable raises [D82-D84,
D90]. The sheet read is the one asked for or the first visible one [D85], and merged cells,
which would read as blanks, are refused [D86]. A sheet of plain cells (numbers, texts,
booleans, blanks) is then read in one streaming pass of its XML, as pandas would read it
through openpyxl; any other sheet (dates, formulas...) through pandas and openpyxl (issue
27: 20,000 x 20 cells, 12.9 s -> 2.3 s CPU)."""

from __future__ import annotations

import functools
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .errors import DataError, Problems, listing, listing_repr, one_line

LIMITS = {  # environment variable: (default, what it bounds)
    "FINTECH_INDEX_EXCEL_MAX_BYTES": (1_000_000_000, "bytes of XML a workbook expands to"),
    "FINTECH_INDEX_EXCEL_MAX_RATIO": (100, "times a zip member may expand"),
    "FINTECH_INDEX_EXCEL_MAX_ROWS": (200_000, "rows of a sheet"),
    "FINTECH_INDEX_EXCEL_MAX_CELLS": (10_000_000, "cells of a sheet"),
}
RATIO_FROM = 1 << 20  # members expanding to less than 1 MiB are not held to the ratio
CHUNK = 1 << 20
EXCEL_ERRORS = ("#DIV/0!", "#N/A", "#NAME?", "#NULL!", "#NUM!", "#REF!", "#VALUE!",
                "#SPILL!", "#CALC!", "#GETTING_DATA")

_ROOT = re.compile(rb"<(\w+:)?worksheet[\s>/]")
_ERROR_TEXT = rb"|".join(re.escape(e.encode()) for e in EXCEL_ERRORS)
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s[^>]*?\bref=\"[A-Z]*\d*(?::[A-Z]*(\d+))?\"")


@functools.cache
def _tags(prefix: bytes | None) -> tuple[re.Pattern, ...]:
    """Patterns of a row tag, a row's number, a merged range, a cell tag and what a cell
    problem needs (a formula tag, an error cell's type, an error's text), for the sheet's
    namespace ``prefix`` (b"" none; None unknown: any, 4 times slower)."""
    p = rb"(?:\w+:)?" if prefix is None else re.escape(prefix)
    return (re.compile(rb"<" + p + rb"row[\s>/]"),
            re.compile(rb"<" + p + rb"row\s[^>]*?\br=\"(\d+)\""),
            re.compile(rb"<" + p + rb"mergeCell\s[^>]*?\bref=\"([A-Z]+\d+(?::[A-Z]+\d+)?)\""),
            re.compile(rb"<" + p + rb"c[\s>/]"),
            re.compile(rb"<" + p + rb"f[\s>/]|\st\s*=\s*[\"']e[\"']|" + _ERROR_TEXT))


def limit(name: str, src: str) -> int:
    """The limit ``name`` of LIMITS for reading the file ``src``: its environment variable
    if set (a positive whole number), else the default."""
    default, what = LIMITS[name]
    text = os.environ.get(name, "").strip().replace("_", "")
    if not text:
        return default
    if not text.isdigit() or int(text) <= 0:
        raise DataError("D89", f"{src}: environment variable {name}={os.environ[name]!r} is "
                               f"not a positive whole number (the most {what}; default "
                               f"{default:,}); set one, or unset it")
    return int(text)


def _raise_hint(name: str, src: str) -> str:
    return (f"if {src} is genuine, raise the limit ({name}=N in the environment) or save "
            "the sheet as CSV or Parquet, which are read without it")


@dataclass
class Sheet:
    """The sheet a workbook is read from: its name, its XML member, the hidden sheets
    before it (passed over)."""

    name: str
    member: str
    skipped: tuple[str, ...] = ()


def check_expansion(book: zipfile.ZipFile, src: str) -> None:
    """Refuse a workbook whose zip members declare more XML than the limits allow: in
    all [D82], or one member expanding more than the ratio limit [D83]. zipfile stops
    at a member's declared size, so what is declared is all a reader can get."""
    most = limit("FINTECH_INDEX_EXCEL_MAX_BYTES", src)
    ratio = limit("FINTECH_INDEX_EXCEL_MAX_RATIO", src)
    members = book.infolist()
    total = sum(m.file_size for m in members)
    if total > most:
        raise DataError("D82", f"{src}: the workbook expands to {total:,} bytes of XML "
                               f"({sum(m.compress_size for m in members):,} in the file); "
                               f"the limit is {most:,}; "
                               + _raise_hint("FINTECH_INDEX_EXCEL_MAX_BYTES", src))
    for m in members:
        if m.file_size >= RATIO_FROM and m.file_size > ratio * max(m.compress_size, 1):
            raise DataError("D83", f"{src}: member {m.filename} expands {m.file_size:,} / "
                                   f"{m.compress_size:,} = "
                                   f"{m.file_size / max(m.compress_size, 1):,.0f} times (a "
                                   f"zip bomb, or a sheet of little but repetition); the "
                                   f"limit is {ratio:,} times; "
                                   + _raise_hint("FINTECH_INDEX_EXCEL_MAX_RATIO", src))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _elements(book: zipfile.ZipFile, member: str, until: str):
    """The elements of ``member`` (XML), streamed, up to the end of element ``until``."""
    import xml.etree.ElementTree as ET

    with book.open(member) as f:
        for _, el in ET.iterparse(f, events=("end",)):
            yield el
            if _local(el.tag) == until:
                return


def worksheets(book: zipfile.ZipFile) -> list[tuple[str, str, str]]:
    """(name, state, zip member) of each worksheet, in the workbook's order, from the
    workbook part and its relationships (openpyxl would first parse, to its end, every
    sheet that declares no dimension)."""
    import posixpath

    def targets(rels: str, base: str) -> dict[str, tuple[str, str]]:
        if rels not in book.namelist():
            return {}
        out = {}
        for el in _elements(book, rels, "Relationships"):
            target = el.get("Target", "")
            out[el.get("Id")] = (el.get("Type", ""), posixpath.normpath(
                target[1:] if target.startswith("/") else posixpath.join(base, target)))
        return out

    main = next((t for kind, t in targets("_rels/.rels", "").values()
                 if kind.endswith("/officeDocument")), "xl/workbook.xml")
    folder, name = posixpath.split(main)
    parts = targets(posixpath.join(folder, "_rels", name + ".rels"), folder)
    found = []
    for el in _elements(book, main, "sheets"):
        if _local(el.tag) == "sheet":
            rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
            kind, member = parts.get(rid, ("", ""))
            if kind.endswith("/worksheet"):
                found.append((el.get("name", ""), el.get("state", "visible"), member))
    return found


def choose_sheet(sheets: list[tuple[str, str, str]], src: str, sheet: str | int | None
                 ) -> Sheet:
    """Of the :func:`worksheets` ``sheets``, the one ``sheet`` names (a name or a 0-based
    position, hidden or not [D07]), or the first visible one [D85]."""
    names = [name for name, _, _ in sheets]
    if sheet is None:
        first = next((i for i, (_, state, _) in enumerate(sheets) if state == "visible"), None)
        if first is None:
            raise DataError("D85", f"{src}: every sheet is hidden ({listing_repr(names)})"
                                   "; name the one to read with --sheet (sheet=)")
        return Sheet(names[first], sheets[first][2], tuple(names[:first]))
    if isinstance(sheet, str) and sheet not in names or (
            isinstance(sheet, int) and not 0 <= sheet < len(names)):
        raise DataError("D07", f"{src}: no sheet {sheet!r} (sheets: {listing_repr(names)})")
    i = sheet if isinstance(sheet, int) else names.index(sheet)
    return Sheet(names[i], sheets[i][2])


def scan_sheet(book: zipfile.ZipFile, sheet: Sheet, src: str, read: bool = True) -> bool:
    """Stream the sheet's XML without parsing it: refuse it when its declared dimension,
    its number of row tags or its highest row number exceeds the row limit [D84], or its
    cell tags the cell limit [D90] (stopping there), or, for the sheet ``read``, when it
    has merged cells [D86]. A sheet not read
    is counted only when it declares no dimension (openpyxl then parses it to its end to
    size it, whichever sheet is asked for). Returns, for the sheet ``read``, whether it
    may hold a cell problem (a formula, an error cell or an error's text; D70, D71)."""
    most = limit("FINTECH_INDEX_EXCEL_MAX_ROWS", src)
    most_cells = limit("FINTECH_INDEX_EXCEL_MAX_CELLS", src)
    where = f"{src}: sheet {sheet.name!r}"

    def too_many(rows: int, how: str) -> DataError:
        return DataError("D84", f"{where} has {how} {rows:,} rows; the limit is {most:,}; "
                                + _raise_hint("FINTECH_INDEX_EXCEL_MAX_ROWS", src))

    rows = highest = cells = 0
    merged: list[str] = []
    carry = b""
    suspect = False
    with book.open(sheet.member) as xml:
        first = True
        while chunk := xml.read(CHUNK):
            text = carry + chunk
            if first:
                if (d := _DIMENSION.search(text)) and not read:
                    return False
                if d and d.group(1) and int(d.group(1)) > most:
                    raise too_many(int(d.group(1)), "a declared dimension of")
                root = _ROOT.search(text)
                row, row_number, merge, cell, problem = _tags((root.group(1) or b"")
                                                              if root else None)
            first = False
            cut = text.rfind(b"<")  # a tag never holds '<': tags before it are whole
            done, carry = (text, b"") if cut < 0 else (text[:cut], text[cut:cut + 4096])
            rows += len(row.findall(done))
            highest = max([highest, *map(int, row_number.findall(done))])
            if max(rows, highest) > most:
                raise too_many(max(rows, highest), "at least")
            cells += len(cell.findall(done))
            if cells > most_cells:
                raise DataError("D90", f"{where} has at least {cells:,} cells; the limit is "
                                       f"{most_cells:,}; "
                                       + _raise_hint("FINTECH_INDEX_EXCEL_MAX_CELLS", src))
            if read and b"mergeCell" in done:
                merged += [m.decode() for m in merge.findall(done)]
            # a tag, or a text without '<', lies whole in ``done``: none is cut in two
            suspect = suspect or read and problem.search(done) is not None
    if carry and row.match(carry) and max(rows + 1, highest) > most:
        raise too_many(max(rows + 1, highest), "at least")
    if merged:
        raise DataError("D86", f"{where}: merged cells {listing(merged)}: a merged range "
                               "holds one value and reads as blanks in its other cells; "
                               "unmerge them and fill every cell")
    return suspect


def _error_text_in(book: zipfile.ZipFile, members: list[str]) -> bool:
    """Whether an error's text (#N/A...) stands in any of ``members``, streamed: the text
    of a cell may be kept in the shared strings (where an error text typed as text is)."""
    pattern = re.compile(_ERROR_TEXT)
    overlap = max(map(len, EXCEL_ERRORS))
    for m in members:
        with book.open(m) as f:
            carry = b""
            while chunk := f.read(CHUNK):
                text = carry + chunk
                if pattern.search(text):
                    return True
                carry = text[-overlap:]
    return False


def read_excel(p: Path, src: str, sheet: str | int | None) -> tuple[pd.DataFrame, str]:
    """One sheet of a workbook as a frame of objects and the sheet's name, after the bounds
    above (an .xls is no zip, and holds 65,536 rows at most); a damaged workbook is a D08,
    never a missing sheet. An xlsx sheet of plain cells is read in one streaming pass of its
    XML (:func:`_plain_sheet`); any other through pandas and openpyxl. (tables.read_table
    makes it a Table: xlsx sits below tables.)"""
    try:
        chosen = checked_sheet(p, src, sheet) if zipfile.is_zipfile(p) else None
        frame = _plain_sheet(p, chosen) if chosen is not None else None
        if frame is not None:
            return frame, chosen.name
        with pd.ExcelFile(p) as book:  # (for an xlsx, openpyxl opens every sheet here)
            name = chosen.name if chosen is not None else choose_sheet(  # the reader pandas picks
                [(n, "visible", "") for n in book.sheet_names], src, sheet).name
            frame = pd.read_excel(book, sheet_name=name, dtype=object)
    except DataError:
        raise
    except Exception as e:  # openpyxl/xlrd/zipfile raise many kinds on a damaged file
        raise DataError("D08", f"{src}: not a readable Excel workbook "
                               f"({type(e).__name__}: {one_line(e)})") from None
    return frame, name


def checked_sheet(p: Path, src: str, sheet: str | int | None) -> Sheet:
    """The sheet to read from the xlsx ``p``, once the workbook's expansion
    [D82, D83] and every sheet's rows [D84] are within the limits, and the sheet has no
    merged cells [D86] and no cells pandas would read as blanks [D70, D71]."""
    with zipfile.ZipFile(p) as book:
        check_expansion(book, src)
        sheets = worksheets(book)
        chosen = choose_sheet(sheets, src, sheet)
        suspect = False
        for name, _, member in sheets:
            suspect |= scan_sheet(book, Sheet(name, member), src, read=name == chosen.name)
        # openpyxl reads the sheet twice more for the cell problems: only when the sheet's
        # XML or its strings hold a formula, an error cell or an error's text (20,000 x 20
        # cells: 9 s of 13; issue 27)
        sheet_parts = {member for _, _, member in sheets}
        suspect = suspect or _error_text_in(book, [m.filename for m in book.infolist()
                                                   if m.filename not in sheet_parts])
    if suspect:
        _cell_problems(p, src, chosen.name).raise_as(DataError)
    return chosen


def _cell_problems(p: Path, src: str, sheet: str) -> Problems:
    """Cells pandas would read as missing without a word: an error value such as
    ``#DIV/0!`` [D70], and a formula the file holds no computed value for (written by a
    program that does not calculate) [D71]. openpyxl streams the sheet twice (read-only):
    formulas, and the values cached with them."""
    import openpyxl

    def where(cell) -> str:  # named only for a cell with a problem, not for every cell
        return f"{src}: sheet {sheet!r}, cell {getattr(cell, 'coordinate', '?')}"

    problems = Problems()
    formulas = openpyxl.load_workbook(p, read_only=True, data_only=False)
    values = openpyxl.load_workbook(p, read_only=True, data_only=True)
    try:
        for row_f, row_v in zip(formulas[sheet].iter_rows(), values[sheet].iter_rows(),
                                strict=False):
            for cf, cv in zip(row_f, row_v, strict=False):
                if getattr(cv, "data_type", None) == "e" or cv.value in EXCEL_ERRORS:
                    problems.add("D70", f"{where(cv)}: {cv.value} is a spreadsheet error, not "
                                        "a value; correct the formula or leave the cell empty "
                                        "for a missing value")
                elif getattr(cf, "data_type", None) == "f" and cv.value is None:
                    problems.add("D71", f"{where(cv)}: formula {cf.value} has no computed "
                                        "value in the file (saved by a program that does not "
                                        "calculate); open and save it in Excel or LibreOffice")
    finally:
        formulas.close()
        values.close()
    return problems


# ------------------------------------------------ a sheet of plain cells in one streaming pass

_ROW = re.compile(rb'<row r="(\d+)"[^>]*?(?:/>|>(.*?)</row>)', re.S)
# a cell as Excel, LibreOffice and openpyxl write one: its reference first, then its style
# and type; a number, a shared string's index or a text in <v>, or one inline text; no
# formula, no rich text, no character reference
_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"((?: [st]="[^"]*")*) ?(?:/>|>(?:<v>([^<]*)</v>'
                   rb'|<v/>|<is><t(?: xml:space="preserve")?>([^<\r]*)</t></is>)?</c>)')
_TAG = re.compile(rb"<(?:row|c)[\s>/]")
_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)")  # any but XML's five: not plain
_SHARED_STRINGS = ("application/vnd.openxmlformats-officedocument.spreadsheetml."
                   "sharedStrings+xml")


class _NotPlain(Exception):
    """The sheet holds what only openpyxl reads as pandas would (a date, a formula...)."""


def _plain_sheet(p: Path, sheet: Sheet) -> pd.DataFrame | None:
    """The sheet as ``pd.read_excel(dtype=object)`` reads it through openpyxl (the same
    cells, converted alike: a whole number as int, a blank as missing, the first row the
    header), read in one streaming pass of its XML, a chunk of rows at a time, instead of
    openpyxl's three (20,000 x 20 cells: 1.3 s against 4.2 s); None when the sheet holds
    anything else (dates, formulas, rich text, a namespace prefix, cells without their
    reference, out of order...), which pandas then reads."""
    from pandas.errors import EmptyDataError
    from pandas.io.parsers import TextParser

    try:
        with zipfile.ZipFile(p) as book:
            strings, dates = _strings_and_dates(book)
            data = _rows(book, sheet.member, strings, dates)
    except _NotPlain:
        return None
    if not data:
        return pd.DataFrame()
    try:
        return TextParser(data, header=0, dtype=object, skip_blank_lines=False).read()
    except EmptyDataError:
        return pd.DataFrame()


def _strings_and_dates(book: zipfile.ZipFile) -> tuple[list[str], set[int]]:
    """The shared strings (openpyxl's reader: where [Content_Types].xml puts them) and the
    styles that make a number a date or a time (openpyxl's stylesheet)."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.reader.strings import read_string_table
    from openpyxl.styles.stylesheet import Stylesheet
    from openpyxl.xml.functions import fromstring

    names = set(book.namelist())
    strings: list[str] = []
    if "[Content_Types].xml" in names:
        part = Manifest.from_tree(fromstring(book.read("[Content_Types].xml"))).find(
            _SHARED_STRINGS)
        if part is not None:
            with book.open(part.PartName[1:]) as f:
                strings = read_string_table(f)
    dates: set[int] = set()
    if "xl/styles.xml" in names:
        styles = Stylesheet.from_tree(fromstring(book.read("xl/styles.xml")))
        dates = set(styles.date_formats) | set(styles.timedelta_formats)
    return strings, dates


def _rows(book: zipfile.ZipFile, member: str, strings: list[str], dates: set[int]
          ) -> list[list]:
    """The sheet's rows as openpyxl and pandas make them (cells converted, trailing blanks
    cut, missing rows empty, every row padded to the widest), or :class:`_NotPlain`."""
    data: list[list] = []
    last = 0
    carry = b""
    with book.open(member) as xml:
        head = xml.read(CHUNK)
        root = _ROOT.search(head)
        if root is None or root.group(1):  # a prefixed namespace (x:c): openpyxl's
            raise _NotPlain
        chunk = head
        while chunk:
            text = carry + chunk
            cut = max(text.rfind(b"<row"), 0)  # the rows before the last one begun are whole
            last = _rows_of(text[:cut], data, last, strings, dates)
            carry, chunk = text[cut:], xml.read(CHUNK)
        last = _rows_of(carry, data, last, strings, dates)
    while data and not data[-1]:  # trailing empty rows go (pandas)
        data.pop()
    if data:
        width = max(map(len, data))
        for row in data:
            row.extend([""] * (width - len(row)))
    return data


def _rows_of(text: bytes, data: list[list], last: int, strings: list[str],
             dates: set[int]) -> int:
    """Append the rows of ``text`` (whole rows) to ``data``; the last row number."""
    rows = cells = 0
    for m in _ROW.finditer(text):
        number = int(m.group(1))
        if number <= last:
            raise _NotPlain
        data.extend([] for _ in range(number - last - 1))
        last, rows = number, rows + 1
        row: list = []
        for col, at, attrs, v, inline in _CELL.findall(m.group(2) or b""):
            cells += 1
            if int(at) != number:
                raise _NotPlain
            column = 0
            for ch in col:
                column = column * 26 + ch - 64
            if column <= len(row):
                raise _NotPlain
            row.extend([""] * (column - len(row) - 1))
            row.append(_value(attrs, v, inline, strings, dates))
        while row and isinstance(row[-1], str) and row[-1] == "":
            row.pop()  # trailing blanks go (pandas)
        data.append(row)
    tags = _TAG.findall(text)
    if len(tags) != rows + cells:  # a row or cell the patterns did not take whole
        raise _NotPlain
    return last


def _value(attrs: bytes, v: bytes, inline: bytes, strings: list[str], dates: set[int]):
    """One cell as openpyxl reads it (data only) and pandas converts it."""
    kind, style = b"n", b""
    for a in attrs.split():
        if a.startswith(b't="'):
            kind = a[3:-1]
        else:
            style = a[3:-1]
    if kind == b"inlineStr":
        return _text(inline)
    if not v:
        return ""  # openpyxl: no value; pandas: ""
    try:
        if kind == b"n":
            if style and int(style) in dates:
                raise _NotPlain  # a date: openpyxl makes it a datetime
            x = float(v) if (b"." in v or b"E" in v or b"e" in v) else int(v)
            whole = int(x)
            return whole if whole == x else float(x)
        if kind == b"s":
            return strings[int(v)]
        if kind == b"str":
            return _text(v)
        if kind == b"b":
            return bool(int(v))
    except (ValueError, OverflowError, IndexError):
        raise _NotPlain from None
    raise _NotPlain  # an error, a date (t="d") or a type openpyxl would refuse


def _text(raw: bytes) -> str:
    """XML text as its reader gives it: the five named entities replaced (a character
    reference or a carriage return, which XML rewrites, is left to openpyxl)."""
    if b"\r" in raw or b"&" in raw and _ENTITY.search(raw):
        raise _NotPlain
    text = raw.decode("utf-8")
    if "&" in text:
        text = (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
                .replace("&apos;", "'").replace("&amp;", "&"))
    return text
