"""Reading one sheet of an Excel workbook, bounded before it is parsed. An .xlsx is a zip of
XML: a few MB can expand to GB of XML, or to millions of rows, that a parser would read for
minutes at many GB. So the zip's declared sizes (whole and per compression ratio) and the
sheet's rows and cells (its declared dimension, then a streaming count of its row and cell
tags) are checked first, each against a limit an environment variable raises [D82-D84,
D90]. The sheet read is the one asked for or the first visible one [D85], and merged cells,
which would read as blanks, are refused [D86]."""

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
    never a missing sheet. (tables.read_table makes it a Table: xlsx sits below tables.)"""
    try:
        name = checked_sheet(p, src, sheet) if zipfile.is_zipfile(p) else None
        with pd.ExcelFile(p) as book:  # (for an xlsx, openpyxl opens every sheet here)
            if name is None:  # not an xlsx: the reader pandas picks
                name = choose_sheet([(n, "visible", "") for n in book.sheet_names], src,
                                    sheet).name
            frame = pd.read_excel(book, sheet_name=name, dtype=object)
    except DataError:
        raise
    except Exception as e:  # openpyxl/xlrd/zipfile raise many kinds on a damaged file
        raise DataError("D08", f"{src}: not a readable Excel workbook "
                               f"({type(e).__name__}: {one_line(e)})") from None
    return frame, name


def checked_sheet(p: Path, src: str, sheet: str | int | None) -> str:
    """The name of the sheet to read from the xlsx ``p``, once the workbook's expansion
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
    return chosen.name


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
