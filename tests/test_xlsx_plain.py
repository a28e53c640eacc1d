"""The one-pass reader of a plain xlsx sheet (issue 27) reads what pandas reads through
openpyxl, cell for cell, and leaves every sheet it does not read whole to openpyxl."""

import datetime as dt
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from fintech_index.tables import read_table
from fintech_index.xlsx import Sheet, _plain_sheet

SHEET = Sheet("Data", "xl/worksheets/sheet1.xml")
INLINE = re.compile(rb'<c r="([A-Z]+\d+)"( s="\d+")? t="inlineStr"><is>'
                    rb'<t(?: xml:space="preserve")?>([^<]*)</t></is></c>')
SST_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def workbook(path: Path, rows: list[list], shared: bool = False) -> Path:
    """``rows`` on sheet 'Data' as openpyxl writes them (inline strings), or with every
    text in the shared strings (as Excel keeps them)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for r in rows:
        ws.append(r)
    wb.save(path)
    if shared:
        with zipfile.ZipFile(path) as z:
            parts = {i.filename: z.read(i) for i in z.infolist()}
        texts: list[bytes] = []

        def to_shared(m):
            texts.append(m.group(3))
            return b'<c r="%s"%s t="s"><v>%d</v></c>' % (m.group(1), m.group(2) or b"",
                                                          len(texts) - 1)

        member = SHEET.member
        parts[member] = INLINE.sub(to_shared, parts[member])
        parts["xl/sharedStrings.xml"] = (
            b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + b"".join(b'<si><t xml:space="preserve">%s</t></si>' % t for t in texts)
            + b"</sst>")
        parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(
            b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
            + SST_TYPE + b'"/></Types>')
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in parts.items():
                z.writestr(name, data)
    return path


def same_as_pandas(path: Path) -> pd.DataFrame:
    got = _plain_sheet(path, SHEET)
    assert got is not None, "read by openpyxl, not in one pass"
    pd.testing.assert_frame_equal(got, pd.read_excel(path, sheet_name="Data", dtype=object))
    return got


# openpyxl writes a text starting with '=' as a formula and '#N/A' as an error, and a float
# near the largest as a text that reads back as infinity: not plain cells (tested below)
CELL = st.one_of(
    st.none(), st.booleans(), st.integers(-10**15, 10**15),
    st.floats(-1e300, 1e300, allow_nan=False, width=64),
    st.sampled_from([2.0, -0.0, 1e20, 0.1, "", " ", "NA", "N/A", "0", "1.5", "a&b", "<x>",
                     "\"q\" 'a'", " pad ", "é中", "x.1", "&amp;", "l1\nl2", "\tt"]),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=6
            ).filter(lambda t: not t.startswith(("=", "#"))))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(CELL, max_size=5), min_size=1, max_size=6), st.booleans())
def test_any_plain_sheet_reads_as_pandas_reads_it(tmp_path_factory, rows, shared):
    """Random rows of numbers, booleans, texts (entities, spaces, missing markers) and
    blanks, ragged and with empty rows, texts inline or shared: the same frame as pandas',
    header (repeated and blank names) included."""
    if not any(v is not None and v != "" for r in rows for v in r):
        rows = [["only"]]
    path = workbook(tmp_path_factory.mktemp("x") / "d.xlsx", rows, shared)
    same_as_pandas(path)


def test_a_hand_worked_sheet(tmp_path):
    """Whole numbers come as int (2.0 too), blanks inside a row as missing, a row left
    empty as a row of missing values, text as written."""
    rows = [["unit", "year", "a", "b"], ["X", 2024, 2.0, 1.5], [], ["Y&Z", 2024, None, "NA"]]
    got = same_as_pandas(workbook(tmp_path / "d.xlsx", rows))
    assert list(got.columns) == ["unit", "year", "a", "b"]
    assert got.iloc[0].tolist() == ["X", 2024, 2, 1.5] and type(got.iat[0, 2]) is int
    assert got.iloc[1].isna().all() and got.iat[2, 0] == "Y&Z" and np.isnan(got.iat[2, 3])


def test_what_it_does_not_read_whole_is_left_to_openpyxl(tmp_path):
    """A date (a number in a date style), a formula, a rich text, a cell without its
    reference: None here, and read_table reads the sheet through pandas as before."""
    dated = workbook(tmp_path / "date.xlsx", [["unit", "when"], ["X", dt.datetime(2024, 5, 1)]])
    formula = workbook(tmp_path / "f.xlsx", [["unit", "a"], ["X", "=1+1"]])
    bare = workbook(tmp_path / "bare.xlsx", [["unit", "a"], ["X", 1]])
    with zipfile.ZipFile(bare) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts[SHEET.member] = parts[SHEET.member].replace(b'<c r="B2"', b"<c")
    with zipfile.ZipFile(bare, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)
    for path in (dated, formula, bare):
        assert _plain_sheet(path, SHEET) is None
    frame = read_table(dated).frame
    assert frame.iat[0, 1] == dt.datetime(2024, 5, 1)  # a date, as pandas reads it
    assert read_table(bare).frame.iat[0, 1] == 1
