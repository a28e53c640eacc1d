"""Input bounds (issue 22, part 3): Excel zip bombs refused before parsing, the sheet read
(first visible) and merged cells, --sheet on a file without sheets, UTF-16 text, and lists
in messages capped with the full list kept and written on request."""

import csv
import pickle
import re
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import fintech_index as fi
from fintech_index.cli import app
from fintech_index.errors import LINE_CHARS, LIST_SHOWN, DataError, listing
from fintech_index.xlsx import check_expansion

from .helpers import units_yaml, xlsx_with_sheet_xml

FLAT = "index: {code: i, children: [{code: a}, {code: b}]}\n"
ROW = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>'


@pytest.fixture
def fw_path(tmp_path) -> Path:
    p = tmp_path / "f.yaml"
    p.write_text(FLAT + units_yaml("X", "Y", "Z"))
    return p


def refused(tmp_path, path, **kw) -> tuple[str, ...]:
    with pytest.raises(DataError) as info:
        fi.load_panel(path, fi.load_framework(tmp_path / "f.yaml"), **kw)
    return info.value.codes, str(info.value)


def book(path: Path, sheets: dict[str, list[list]], hidden=(), merged=()) -> Path:
    """A workbook of ``sheets`` (name: rows) in order; ``hidden`` sheets hidden, each
    (sheet, range) of ``merged`` merged."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        ws.sheet_state = "hidden" if name in hidden else "visible"
        for r in rows:
            ws.append(r)
    for name, rng in merged:
        wb[name].merge_cells(rng)
    wb.save(path)
    return path


def values(path: Path, fw: Path, **kw) -> dict[str, list[float]]:
    """unit: its (a, b) in the first year, for the units with data."""
    p = fi.load_panel(path, fi.load_framework(fw), **kw)
    return {u: p.values[0, j].tolist() for j, u in enumerate(p.unit_codes)
            if not np.isnan(p.values[0, j]).all()}


GOOD = [["unit", "year", "a", "b"], ["X", 2024, 1.0, 2.0], ["Y", 2024, 3.0, 4.0]]


# ----------------------------------------------------------------------- Excel zip bombs

def test_a_sheet_of_whitespace_expanding_a_thousand_times_is_refused_by_its_ratio(
        tmp_path, fw_path):
    """The 3.2 GB-of-whitespace bomb, at 4 MiB: refused from the zip's directory."""
    p = xlsx_with_sheet_xml(tmp_path / "d.xlsx", [b" " * (4 << 20)])
    found, msg = refused(tmp_path, p)
    assert found == ("D83",)
    ratio = int(re.search(r"= ([\d,]+) times", msg).group(1).replace(",", ""))
    assert ratio > 500 and "the limit is 100 times" in msg
    assert "FINTECH_INDEX_EXCEL_MAX_RATIO=N" in msg and "CSV or Parquet" in msg


def test_the_expanded_size_is_bounded_in_all_and_the_limit_can_be_raised(
        tmp_path, fw_path, monkeypatch):
    p = book(tmp_path / "d.xlsx", {"Data": GOOD})
    total = sum(i.file_size for i in zipfile.ZipFile(p).infolist())
    monkeypatch.setenv("FINTECH_INDEX_EXCEL_MAX_BYTES", str(total - 1))
    found, msg = refused(tmp_path, p)
    assert found == ("D82",) and f"expands to {total:,} bytes" in msg
    assert f"the limit is {total - 1:,}" in msg
    monkeypatch.setenv("FINTECH_INDEX_EXCEL_MAX_BYTES", str(total))
    assert values(p, fw_path) == {"X": [1.0, 2.0], "Y": [3.0, 4.0]}


def test_a_sheet_of_real_data_is_well_under_the_ratio(tmp_path):
    """15,000 rows openpyxl writes (units and years repeat): the limit leaves room."""
    rng = np.random.default_rng(0)
    wb = openpyxl.Workbook()
    wb.active.append(["unit", "year", "a", "b"])
    for i in range(15_000):
        wb.active.append([f"U{i % 300}", 2000 + i // 300 % 25, float(rng.integers(0, 10)), 1])
    wb.save(tmp_path / "d.xlsx")
    with zipfile.ZipFile(tmp_path / "d.xlsx") as z:
        sheet = z.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.file_size > 1 << 20 and sheet.file_size < 20 * sheet.compress_size
        check_expansion(z, "d.xlsx")  # nothing raised


def test_rows_are_counted_by_streaming_and_the_count_stops_at_the_limit(
        tmp_path, fw_path, monkeypatch):
    """Rows without a dimension, and a dimension that lies (2 rows declared), are
    counted from the row tags; raising the limit lets the sheet through."""
    monkeypatch.setenv("FINTECH_INDEX_EXCEL_MAX_ROWS", "50")
    for dim in ("", "A1:A2"):
        p = xlsx_with_sheet_xml(tmp_path / "d.xlsx", [ROW] * 60, dimension=dim)
        found, msg = refused(tmp_path, p)
        assert found == ("D84",), msg
        assert "sheet 'Sheet' has at least 60 rows; the limit is 50" in msg
        assert "FINTECH_INDEX_EXCEL_MAX_ROWS=N" in msg
    p = book(tmp_path / "d.xlsx", {"Data": GOOD + [["Z", 2024, 5.0, 6.0]] * 1})
    monkeypatch.setenv("FINTECH_INDEX_EXCEL_MAX_ROWS", "3")
    assert refused(tmp_path, p)[0] == ("D84",)
    monkeypatch.setenv("FINTECH_INDEX_EXCEL_MAX_ROWS", "4")
    assert values(p, fw_path) == {"X": [1.0, 2.0], "Y": [3.0, 4.0], "Z": [5.0, 6.0]}


def test_cells_are_counted_and_the_limit_can_be_raised(tmp_path, fw_path, monkeypatch):
    """3 rows of 4 cells: 12 cells."""
    p = book(tmp_path / "d.xlsx", {"Data": GOOD})
    monkeypatch.setenv("FINTECH_INDEX_EXCEL_MAX_CELLS", "11")
    found, msg = refused(tmp_path, p)
    assert found == ("D90",) and "sheet 'Data' has at least 12 cells; the limit is 11" in msg
    monkeypatch.setenv("FINTECH_INDEX_EXCEL_MAX_CELLS", "12")
    assert values(p, fw_path) == {"X": [1.0, 2.0], "Y": [3.0, 4.0]}


def test_one_row_numbered_far_down_counts_as_the_rows_above_it(tmp_path, fw_path):
    """A reader pads the rows before row 300,000 with blank rows: the number counts."""
    p = xlsx_with_sheet_xml(tmp_path / "d.xlsx", [b'<row r="300000"><c r="A300000">'
                                                  b"<v>1</v></c></row>"])
    found, msg = refused(tmp_path, p)
    assert found == ("D84",) and "at least 300,000 rows; the limit is 200,000" in msg


def test_a_declared_dimension_over_the_limit_is_refused_before_the_rows(tmp_path, fw_path):
    p = xlsx_with_sheet_xml(tmp_path / "d.xlsx", [ROW] * 3, dimension="A1:XFD1048576")
    found, msg = refused(tmp_path, p)
    assert found == ("D84",) and "a declared dimension of 1,048,576 rows" in msg


def rewrite(path: Path, member: str, edit) -> Path:
    """``path`` with its zip member ``member`` replaced by ``edit(its bytes)``."""
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    parts[member] = edit(parts[member])
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def test_a_sheet_not_read_is_counted_only_when_it_declares_no_dimension(
        tmp_path, fw_path, monkeypatch):
    """openpyxl sizes every sheet of a workbook it opens: one without a dimension is
    parsed to its end whichever sheet is read, so its rows count; with a dimension, and
    its merged cells, it is left alone."""
    monkeypatch.setenv("FINTECH_INDEX_EXCEL_MAX_ROWS", "50")
    p = book(tmp_path / "d.xlsx", {"Data": GOOD, "Notes": [["n"]] * 60},
             merged=[("Notes", "A1:A3")])
    assert values(p, fw_path) == {"X": [1.0, 2.0], "Y": [3.0, 4.0]}
    rewrite(p, "xl/worksheets/sheet2.xml", lambda x: re.sub(rb"<dimension [^>]*/>", b"", x))
    found, msg = refused(tmp_path, p)
    assert found == ("D84",) and "d.xlsx: sheet 'Notes' has at least 60 rows" in msg


@pytest.mark.parametrize("value", ["0", "-5", "1e6", "lots"])
def test_a_limit_set_to_what_is_no_positive_whole_number_is_refused(
        tmp_path, fw_path, monkeypatch, value):
    monkeypatch.setenv("FINTECH_INDEX_EXCEL_MAX_RATIO", value)
    found, msg = refused(tmp_path, book(tmp_path / "d.xlsx", {"Data": GOOD}))
    assert found == ("D89",)
    assert msg.startswith(f"d.xlsx: environment variable FINTECH_INDEX_EXCEL_MAX_RATIO={value!r} "
                          "is not a positive whole number (the most times a zip member may "
                          "expand; default 100)")


# -------------------------------------------------------------- which sheet, merged cells

def test_a_hidden_first_sheet_is_passed_over_for_the_first_visible_one(tmp_path, fw_path):
    stale = [["unit", "year", "a", "b"], ["X", 2019, 9.0, 9.0]]
    p = book(tmp_path / "d.xlsx", {"Old": stale, "Data": GOOD}, hidden=("Old",))
    assert fi.load_panel(p, fi.load_framework(fw_path)).years == (2024,)
    assert values(p, fw_path) == {"X": [1.0, 2.0], "Y": [3.0, 4.0]}
    old = fi.load_panel(p, fi.load_framework(fw_path), sheet="Old")  # named: read
    assert old.years == (2019,)
    r = CliRunner().invoke(app, ["validate", str(fw_path), str(p)])
    assert r.exit_code == 0, r.output
    assert r.output.startswith("data: sheet 'Data' (hidden sheets passed over: 'Old'); 3 units, "
                               "1 years")


def test_a_message_about_a_cell_names_the_sheet_read(tmp_path, fw_path):
    rows = GOOD + [["Z", 2024, "n/k", 1.0]]
    p = book(tmp_path / "d.xlsx", {"Old": GOOD, "Data": rows}, hidden=("Old",))
    found, msg = refused(tmp_path, p)
    assert found == ("D15",) and msg.startswith("d.xlsx: sheet 'Data' row 4, column 'a'")


def test_merged_cells_are_refused_with_every_range_named(tmp_path, fw_path):
    rows = GOOD + [["Z", None, 5.0, 6.0], ["W", 2024, None, 7.0]]
    p = book(tmp_path / "d.xlsx", {"Data": rows}, merged=[("Data", "B3:B4"),
                                                           ("Data", "C5:D5")])
    found, msg = refused(tmp_path, p)
    assert found == ("D86",)
    assert msg.startswith("d.xlsx: sheet 'Data': merged cells B3:B4, C5:D5: a merged range")


# --------------------------------------------------------------- --sheet, UTF-16 text

@pytest.mark.parametrize("name", ["d.csv", "d.parquet"])
def test_a_sheet_asked_of_a_file_without_sheets_is_refused(tmp_path, fw_path, name):
    p = tmp_path / name
    frame = pd.DataFrame(GOOD[1:], columns=GOOD[0])
    frame.to_csv(p, index=False) if name.endswith("csv") else frame.to_parquet(p)
    r = CliRunner().invoke(app, ["validate", str(fw_path), str(p), "--sheet", "Data"])
    assert r.exit_code == 2
    assert f"{name}: a sheet ('Data') was asked of a {p.suffix} file" in r.output
    assert "[D87]" in r.output
    r = CliRunner().invoke(app, ["validate", str(fw_path), str(p)])
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize(("encoding", "order", "how"), [
    ("utf-16-le", "little", "no BOM"), ("utf-16-be", "big", "no BOM"),
    ("utf-16", "little", "byte-order mark")])
def test_utf16_text_is_named_as_such(tmp_path, fw_path, encoding, order, how):
    text = "unit,year,a,b\nX,2024,1,2\nY,2024,3,4\n"
    p = tmp_path / "d.csv"
    p.write_bytes(text.encode(encoding))
    found, msg = refused(tmp_path, p)
    assert found == ("D88",)
    assert msg.startswith(f"d.csv: the file is UTF-16 ({order}-endian")
    assert how in msg and "save it as UTF-8" in msg


def test_utf8_text_is_not_taken_for_utf16(tmp_path, fw_path):
    """Chinese text, and a stray NUL in one cell, are UTF-8 all the same."""
    p = tmp_path / "d.csv"
    p.write_bytes("unit,year,a,b,name\nX,2024,1,2,上海\nY,2024,3,4,北\x00京\n"
                  .encode())
    assert values(p, fw_path) == {"X": [1.0, 2.0], "Y": [3.0, 4.0]}


# ------------------------------------------------------------------ lists in messages

def test_200000_repeated_rows_give_a_short_message_and_keep_every_row(tmp_path, fw_path):
    p = tmp_path / "d.csv"
    p.write_text("unit,year,a,b\n" + "X,2024,1,2\n" * 200_000)
    found, msg = refused(tmp_path, p)
    assert found == ("D18",)
    assert msg == ("d.csv: rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 ... and 199,990 more: "
                   "unit 'X', year 2024 appears more than once; give each (unit, year) one row "
                   "[D18]")
    with pytest.raises(DataError) as info:
        fi.load_panel(p, fi.load_framework(fw_path))
    (code, full), = info.value.problems
    rows = re.match(r"d.csv: rows ([\d, ]+):", full).group(1).split(", ")
    assert rows == [str(n) for n in range(2, 200_002)]


def test_validate_writes_every_problem_in_full_to_the_file_asked(tmp_path, fw_path):
    bad = "".join(f"X,{2000 + i},x{i},1\n" for i in range(30))  # 30 x D15
    p = tmp_path / "d.csv"
    p.write_text("unit,year,a,b\n" + bad + "Y,2024,1,2\n" * 15)  # and a D18 of 15 rows
    out = tmp_path / "problems.csv"
    r = CliRunner().invoke(app, ["validate", str(fw_path), str(p), "--problems", str(out)])
    assert r.exit_code == 2
    assert "... and 11 more" in r.output and f"every problem, in full: {out}" in r.output
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["code", "message"] and len(rows) == 1 + 31
    assert [c for c, _ in rows[1:]] == ["D18"] + ["D15"] * 30
    assert rows[2][1] == ("d.csv: row 2, column 'a': 'x0' is not a number (accepted: a "
                          "number, or empty/NA for a missing value)")
    assert rows[1][1].startswith("d.csv: rows " + ", ".join(map(str, range(32, 47))) + ":")
    clean = tmp_path / "clean.csv"
    clean.write_text("unit,year,a,b\nX,2024,1,2\n")
    r = CliRunner().invoke(app, ["validate", str(fw_path), str(clean), "--problems", str(out)])
    assert r.exit_code == 0 and out.read_text() == "code,message\n"


def test_the_problems_file_is_never_an_input_nor_written_through_a_symlink(tmp_path, fw_path):
    data = tmp_path / "d.csv"
    data.write_text("unit,year,a,b\nX,2024,1,2\nX,2024,1,2\n")
    r = CliRunner().invoke(app, ["validate", str(fw_path), str(data), "--problems", str(data)])
    assert r.exit_code == 2 and "[U80]" in r.output and "is an input" in r.output
    assert data.read_text().count("X,2024") == 2
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    (tmp_path / "p.csv").symlink_to(outside)
    r = CliRunner().invoke(app, ["validate", str(fw_path), str(data), "--problems",
                                 str(tmp_path / "p.csv")])
    assert r.exit_code == 2 and outside.read_text() == "keep"
    assert not (tmp_path / "p.csv").is_symlink()
    assert "D18" in (tmp_path / "p.csv").read_text()
    r = CliRunner().invoke(app, ["validate", str(fw_path), str(data), "--problems",
                                 str(tmp_path / "no" / "p.csv")])
    assert r.exit_code == 2 and "[U80]" in r.output and "cannot write" in r.output


BREAKS = "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"  # shown escaped: tested elsewhere


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(st.characters(exclude_characters=BREAKS, exclude_categories=["Cs"])
                        | st.sampled_from("\uf8f0\uf8f1\uf8f2"), max_size=8), max_size=40),
       st.sampled_from([", ", "; "]))
def test_a_listing_shows_its_first_items_and_a_count_and_keeps_them_all(items, sep):
    """Also pickled (Dask), and with items holding the listing's own marks (dropped)."""
    clean = ["".join(ch for ch in i if ch not in "\uf8f0\uf8f1\uf8f2") for i in items]
    e = DataError("D18", f"f.csv: rows {listing(items, sep)}: repeated")
    shown = sep.join(clean[:LIST_SHOWN]) + (
        f" ... and {len(items) - LIST_SHOWN:,} more" if len(items) > LIST_SHOWN else "")
    for err in (e, pickle.loads(pickle.dumps(e))):
        assert str(err) == f"f.csv: rows {shown}: repeated [D18]"[:LINE_CHARS + 100]
        assert err.problems == [("D18", f"f.csv: rows {sep.join(clean)}: repeated")]


def test_a_problem_longer_than_the_line_limit_is_cut_and_keeps_its_code():
    e = DataError("D15", "f.csv: " + "x" * 10_000)
    line = str(e)
    more = len("f.csv: ") + 10_000 - LINE_CHARS
    assert line == f"f.csv: {'x' * (LINE_CHARS - 7)} ... ({more:,} characters more) [D15]"
    assert e.problems == [("D15", "f.csv: " + "x" * 10_000)]


# ------------------------------------- the cell problems (D70, D71) are read only if they may be

SST = (b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
       b'spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>#N/A</t></si></sst>')
SST_TYPE = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml")


def with_shared_error_text(path: Path) -> Path:
    """``path`` (GOOD on sheet 'Data') with cell C2 a shared string holding '#N/A': the
    sheet's own XML then holds no error text, only its strings part does (as Excel keeps a
    text typed in a cell)."""
    rewrite(path, "xl/worksheets/sheet1.xml",
            lambda x: re.sub(rb'<c r="C2"[^>]*>.*?</c>', b'<c r="C2" t="s"><v>0</v></c>', x))
    rewrite(path, "[Content_Types].xml", lambda x: x.replace(
        b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
        + SST_TYPE.encode() + b'"/></Types>'))
    with zipfile.ZipFile(path, "a") as z:
        z.writestr("xl/sharedStrings.xml", SST)
    return path


def test_a_clean_sheet_is_not_read_again_for_cell_problems(tmp_path, fw_path, monkeypatch):
    """A sheet with no formula, no error cell and no error text anywhere in the workbook
    is read once by openpyxl (through pandas), not three times: the cell-problem pass is
    skipped, and the values are those of the sheet. An error's text in another sheet is not
    looked at; inside a longer text of the sheet read it is no error, but sends the sheet
    to the check (which finds nothing)."""
    import fintech_index.xlsx as xlsx

    checked = []
    real = xlsx._cell_problems
    monkeypatch.setattr(xlsx, "_cell_problems", lambda *a: checked.append(a[2]) or real(*a))
    p = book(tmp_path / "d.xlsx", {"Data": GOOD + [["Z", 2024, "NA", 6.5]]})
    got = values(p, fw_path)
    assert checked == [] and got["X"] == [1.0, 2.0] and got["Y"] == [3.0, 4.0]
    assert np.isnan(got["Z"][0]) and got["Z"][1] == 6.5
    p = book(tmp_path / "d.xlsx", {"Data": GOOD, "Notes": [["#N/A"]]})  # another sheet's
    assert values(p, fw_path)["Y"] == [3.0, 4.0] and checked == []
    named = [r + [n] for r, n in zip(GOOD, ["name", "X Town", "#N/A is no error"],
                                     strict=True)]
    p = book(tmp_path / "d.xlsx", {"Data": named})
    assert values(p, fw_path)["Y"] == [3.0, 4.0] and checked == ["Data"]


@pytest.mark.parametrize("kind", ["formula", "error cell", "quoted type", "shared text"])
def test_every_kind_of_cell_problem_is_still_found(tmp_path, fw_path, kind):
    """Each trace of a cell problem in the XML sends the sheet to the full check, which
    names the cell: a formula with no value (D71), an error cell (t="e", also quoted with
    apostrophes) and an error's text kept in the shared strings (D70)."""
    rows = [r[:] for r in GOOD]
    if kind == "formula":
        rows[1][2] = "=1+1"
    elif kind in ("error cell", "quoted type"):
        rows[1][2] = "#DIV/0!"
    p = book(tmp_path / "d.xlsx", {"Data": rows})
    if kind == "quoted type":
        rewrite(p, "xl/worksheets/sheet1.xml", lambda x: x.replace(b't="e"', b"t='e'"))
    if kind == "shared text":
        with_shared_error_text(p)
    found, msg = refused(tmp_path, p)
    if kind == "formula":
        assert found == ("D71",) and msg.startswith("d.xlsx: sheet 'Data', cell C2: formula "
                                                    "=1+1 has no computed value")
    else:
        error = "#N/A" if kind == "shared text" else "#DIV/0!"
        assert found == ("D70",) and msg.startswith(f"d.xlsx: sheet 'Data', cell C2: {error} "
                                                    "is a spreadsheet error")
