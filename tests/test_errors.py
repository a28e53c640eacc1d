"""The error catalogue (docs/errors.md): every code the package raises has an entry there
and a case here that triggers it; each case checks the code, the exception family and that
the message names where the problem is (file, row, column, node or field)."""

import ast
import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import fintech_index as fi
from fintech_index import examples, methods, records
from fintech_index.analysis.differs import PublishedRanking
from fintech_index.audit.engine import Engine, UncertaintySpec, load_spec
from fintech_index.cli import app
from fintech_index.coinr import framework_dict_from_imeta, load_coinr
from fintech_index.errors import FintechIndexError
from fintech_index.panel import Panel
from fintech_index.store import Store

from .helpers import panel, two_level_framework, units_yaml, xlsx_with_sheet_xml

ROOT = Path(__file__).resolve().parents[1]
CODE = re.compile(r"^[UFDMAS]\d\d$")
CASES: dict[str, tuple[str, object]] = {}
VALUES = [[1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 4.0, 3.0], [3.0, 3.0, 1.0, 2.0]]


def case(code: str, where: str):
    """Register a function of tmp_path that triggers ``code``; ``where`` must appear in the
    message. A function may instead return a CLI result (exit 2, message on stderr)."""
    def deco(fn):
        assert code not in CASES, f"two cases for {code}"
        CASES[code] = (where, fn)
        return fn
    return deco


def write(tmp: Path, name: str, text: str | bytes) -> Path:
    p = tmp / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode())
    return p


def fw_file(tmp: Path, text: str) -> fi.Framework:
    return fi.load_framework(write(tmp, "f.yaml", text))


FLAT = "index: {code: i, children: [{code: a}, {code: b}]}\n"


def flat_fw(tmp: Path) -> fi.Framework:
    return fw_file(tmp, FLAT)


def load_csv(tmp: Path, text: str | bytes, declared: tuple[str, ...] = ("X", "Y"), **kw
             ) -> fi.Panel:
    """Load ``text`` as d.csv with the two-indicator framework declaring the units
    ``declared`` (none when a units table is given, ``units=`` in ``kw``)."""
    fw = flat_fw(tmp) if "units" in kw else fw_file(tmp, FLAT + units_yaml(*declared))
    return fi.load_panel(write(tmp, "d.csv", text), fw, **kw)


def small_build(meth: dict | None = None, fw=None, values=VALUES):
    fw = fw or two_level_framework()
    return fi.build(fw, panel(fw, values), fi.methodology_from_dict(meth or {}, "m.yaml"))


# ------------------------------------------------------------------------------- usage (U)

@case("U01", "FRAMEWORK and DATA")
def _(tmp):
    return CliRunner().invoke(app, ["build", str(write(tmp, "f.yaml", FLAT))])


@case("U02", "'nope'")
def _(tmp):
    examples.load("nope")


@case("U03", "fintech")
def _(tmp):
    examples.validate("fintech")


@case("U48", "'fr'")
def _(tmp):
    from fintech_index.publish.i18n import check_lang
    check_lang("fr")


@case("U49", "'Atlantis'")
def _(tmp):
    from fintech_index.analysis.edition import Edition
    from fintech_index.publish.lead import resolve_unit
    resolve_unit(Edition.of(small_build()), "Atlantis")


@case("U52", "'ATL'")
def _(tmp):
    return CliRunner().invoke(app, ["districts", "ATL"])


@case("U60", "'u9'")
def _(tmp):
    fi.explain(small_build(), "u9", "u0")


@case("U61", "node 'idx/A'")
def _(tmp):
    fi.explain(small_build({"aggregate": {"method": "a_amean",
                                          "by_node": {"A": {"method": "a_copeland"}}}}),
               "u0", "u1")


@case("U62", "no year 1999")
def _(tmp):
    fi.explain(small_build(), "u0", "u1", 1999)


@case("U63", "unit 'u1' has no index score")
def _(tmp):
    fi.explain(small_build({"aggregate": {"method": "a_amean", "na_rm": False}},
                           values=[[1.0, 2.0, 3.0, 4.0], [2.0, np.nan, 4.0, 3.0],
                                   [3.0, 3.0, 1.0, 2.0]]), "u0", "u1")


@case("U30", "published ranking 'P' (2024): unit(s) u1")
def _(tmp):
    PublishedRanking("P", 2024, pd.Series([1, 2], index=["u1", "u1"]))


@case("U31", "published ranking 'P' (2024): u2: 0")
def _(tmp):
    PublishedRanking("P", 2024, pd.Series([1, 0], index=["u1", "u2"]))


@case("U64", "empty unit")
def _(tmp):
    from fintech_index.safe import file_segment
    file_segment("", what="unit")


@case("U65", "'SHA' and 'sha'")
def _(tmp):
    from fintech_index.safe import file_segments
    file_segments(["SHA", "BJS", "sha"], what="unit")


@case("U70", "the key 'industry' is given twice")
def _(tmp):
    from fintech_index.web.app import parse_json
    parse_json(b'{"weights": {"industry": 1e9, "industry": 2}}')


@case("U71", "got 'industry': true")
def _(tmp):
    from fintech_index.web.reweight import refuse_non_numbers
    refuse_non_numbers({"industry": True, "talent": 2})


@case("U80", "Missing argument 'data'")
def _(tmp):
    return CliRunner().invoke(app, ["validate", str(write(tmp, "f.yaml", FLAT))])


def _build_into(tmp: Path, out: str, *more: str):
    """``fintech-index build`` of a two-unit file into ``out``."""
    fw = write(tmp, "f.yaml", FLAT + units_yaml("X", "Y"))
    data = write(tmp, "d.csv", "unit,year,a,b\nX,2024,1,2\nY,2024,2,1\n")
    return CliRunner().invoke(app, ["build", str(fw), str(data), "--out", out, *more])


@case("U81", "--out: the output path is empty")
def _(tmp):
    return _build_into(tmp, "")


@case("U82", "o.txt: is a file, not a folder")
def _(tmp):
    return _build_into(tmp, str(write(tmp, "o.txt", "")))


@case("U83", "o.txt/sub: a part of this path is a file")
def _(tmp):
    return _build_into(tmp, str(write(tmp, "o.txt", "") / "sub"))


@case("U84", "ro: cannot make this folder (Read-only file system")
def _(tmp):
    import errno
    from unittest import mock
    with mock.patch("pathlib.Path.mkdir", side_effect=OSError(errno.EROFS, "Read-only file "
                                                                           "system")):
        return _build_into(tmp, str(tmp / "ro"))


@case("U85", "methodology.yaml: is the input file")
def _(tmp):
    return _build_into(tmp, str(tmp), "-m", str(write(tmp, "methodology.yaml", "# notes\n")))


@case("U86", "sub: is a symbolic link to")
def _(tmp):
    from fintech_index.outfiles import output_run, write_text
    (tmp / "o").mkdir()
    (tmp / "o" / "sub").symlink_to(tmp, target_is_directory=True)
    with output_run(tmp / "o"):
        write_text(tmp / "o" / "sub" / "x.txt", "x")


@case("U66", "cannot listen on 127.0.0.1:")
def _(tmp):
    import socket
    with Store(tmp / "s.duckdb"):
        pass
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        return CliRunner().invoke(app, ["serve", "--store", str(tmp / "s.duckdb"),
                                        "--port", str(port)])


@case("U67", "nothing to write")
def _(tmp):
    return CliRunner().invoke(app, ["publish", "e"])


@case("U96", "usel: unit 'u9'")
def _(tmp):
    from fintech_index import plot

    plot.bar(small_build(), usel=["u9"])


@case("U97", "type 'pie'")
def _(tmp):
    from fintech_index import plot

    plot.dist(small_build(), "x1", type="pie")


# --------------------------------------------------------------------------- framework (F)

@case("F80", "f.yaml declares no units, so the 2 unit code(s) of the data ('SHA', 'SAH')")
def _(tmp):
    fi.load_panel(write(tmp, "d.csv", "unit,year,a,b\nSHA,2024,1,2\nSAH,2024,3,4\n"),
                  flat_fw(tmp))


@case("F01", "missing.yaml")
def _(tmp):
    fi.load_framework(tmp / "missing.yaml")


@case("F02", "f.yaml")
def _(tmp):
    fi.load_framework(write(tmp, "f.yaml", b"index: {code: \xff}\n"))


@case("F03", "f.yaml: line 2")
def _(tmp):
    fw_file(tmp, "index: {code: i, children: [\n")


@case("F04", "f.yaml")
def _(tmp):
    fw_file(tmp, "- a\n- b\n")


@case("F05", "'indicators'")
def _(tmp):
    fw_file(tmp, FLAT + "indicators: []\n")


@case("F06", "f.yaml")
def _(tmp):
    fw_file(tmp, FLAT + "nodes: [{code: x}]\n")


@case("F07", "'nodes'")
def _(tmp):
    fw_file(tmp, "nodes: []\n")


@case("F08", "nodes[1]")
def _(tmp):
    fw_file(tmp, "nodes: [{code: i}, just-a-string]\n")


@case("F09", "'i/a'")
def _(tmp):
    fw_file(tmp, "index: {code: i, children: [{code: a, parent: i}, {code: b}]}\n")


@case("F10", "a -> b -> a")
def _(tmp):
    fw_file(tmp, "nodes: [{code: i}, {code: a, parent: b}, {code: b, parent: a}, "
                 "{code: c, parent: i}]\n")


@case("F11", "'i'")
def _(tmp):
    fw_file(tmp, "index: {code: i, children: {code: a}}\n")


@case("F12", "'i/a'")
def _(tmp):
    fw_file(tmp, "index: {code: i, children: [{code: a, children: []}, {code: b}]}\n")


@case("F13", "node 'i/b': weight 'high' is not a number")
def _(tmp):
    fw_file(tmp, "index: {code: i, children: [{code: a}, {code: b, weight: high}]}\n")


@case("F14", "duplicate code 'a'")
def _(tmp):
    fw_file(tmp, "index: {code: i, children: [{code: a}, {code: a}]}\n")


@case("F15", "parent 'zz'")
def _(tmp):
    fw_file(tmp, "nodes: [{code: i}, {code: a, parent: i}, {code: b, parent: zz}]\n")


@case("F16", "found 2")
def _(tmp):
    fw_file(tmp, "nodes: [{code: i}, {code: a, parent: i}, {code: j}]\n")


@case("F17", "node 'a'")
def _(tmp):
    fw_file(tmp, "nodes: [{code: i}, {code: a, parent: i, type: indicator}, "
                 "{code: b, parent: a}]\n")


@case("F18", "['goalposts']")
def _(tmp):
    fw_file(tmp, "index: {code: i, goalposts: [0, 1], children: [{code: a}]}\n")


@case("F19", "'groups'")
def _(tmp):
    fw_file(tmp, FLAT + "groups: [g, g]\n")


@case("F20", "denominators[0]")
def _(tmp):
    fw_file(tmp, FLAT + "denominators: [{code: pop, size: 3}]\n")


@case("F21", "['a']")
def _(tmp):
    fw_file(tmp, FLAT + "denominators: [{code: a}]\n")


@case("F22", "denominator 'pop'")
def _(tmp):
    fw_file(tmp, "index: {code: i, children: [{code: a, denominator: pop}, {code: b}]}\n")


@case("F23", "units[0]")
def _(tmp):
    fw_file(tmp, FLAT + "units: [{name: Nowhere}]\n")


@case("F24", "duplicate unit code 'X'")
def _(tmp):
    fw_file(tmp, FLAT + "units: [{code: X}, {code: X}]\n")


@case("F26", "'meta'")
def _(tmp):
    fw_file(tmp, FLAT + "meta: 2025\n")


@case("F27", "units_file: no such file 'cities.csv'")
def _(tmp):
    fw_file(tmp, FLAT + "units_file: cities.csv\n")


@case("F50", "missing_values: 'NA' is not a list of finite numbers")
def _(tmp):
    fw_file(tmp, FLAT + "missing_values: NA\n")


@case("F25", "node 'i/a': from_records")
def _(tmp):
    records.specs(fw_file(tmp, "index: {code: i, children: [{code: a, from_records: "
                               "{agg: count_above}}, {code: b}]}\n"))


@case("F68", "aliases are expanded")
def _(tmp):
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 7))
    fw_file(tmp, bomb + FLAT)


@case("F69", "levels below the index")
def _(tmp):
    fw_file(tmp, "nodes:\n- {code: n0}\n" + "".join(
        f"- {{code: n{i}, parent: n{i - 1}}}\n" for i in range(1, 400)))


@case("F30", "node 'i': the weights of its children ['a', 'b'] add up to more than")
def _(tmp):
    fw_file(tmp, "index: {code: i, children: [{code: a, weight: 1.0e+308}, "
                 "{code: b, weight: 1.0e+308}]}\n")


# -------------------------------------------------------------------------------- data (D)

@case("D01", "missing.csv")
def _(tmp):
    fi.load_panel(tmp / "missing.csv", flat_fw(tmp))


@case("D02", "d.csv")
def _(tmp):
    load_csv(tmp, "\n\n")


@case("D03", "d.csv: row 2")
def _(tmp):
    load_csv(tmp, b"unit,year,a,b\nS\xe3o,2024,1,2\n")


@case("D04", "'.json'")
def _(tmp):
    fi.load_panel(write(tmp, "d.json", "{}"), flat_fw(tmp))


@case("D05", "d.csv")
def _(tmp):
    load_csv(tmp, 'unit,year,a,b\nX,2024,"1"2,3\n')


@case("D06", "d.csv: row 3")
def _(tmp):
    load_csv(tmp, "unit,year,a,b\nX,2024,1,2\nY,2024,1\n")


@case("D07", "'Data'")
def _(tmp):
    pd.DataFrame({"unit": ["X"], "year": [2024], "a": [1], "b": [2]}).to_excel(
        tmp / "d.xlsx", index=False)
    fi.load_panel(tmp / "d.xlsx", flat_fw(tmp), sheet="Data")


@case("D08", "d.xlsx")
def _(tmp):
    fi.load_panel(write(tmp, "d.xlsx", b"PK\x03\x04 not a zip"), flat_fw(tmp))


@case("D09", "d.parquet")
def _(tmp):
    fi.load_panel(write(tmp, "d.parquet", b"PAR1 torn PAR1"), flat_fw(tmp))


@case("D10", "['a']")
def _(tmp):
    load_csv(tmp, "unit,year,a,a,b\nX,2024,1,1,2\n")


@case("D11", "d.csv")
def _(tmp):
    load_csv(tmp, "unit,year,a,b\n")


@case("D12", "header row")
def _(tmp):
    load_csv(tmp, "country,a,b\nX,1,2\n")


@case("D13", "['colour']")
def _(tmp):
    load_csv(tmp, "unit,year,a,b,colour\nX,2024,1,2,red\n")


@case("D14", "['b']")
def _(tmp):
    load_csv(tmp, "unit,year,a\nX,2024,1\n")


@case("D15", "row 2, column 'a': 'one'")
def _(tmp):
    load_csv(tmp, "unit,year,a,b\nX,2024,one,2\n")


@case("D16", "row 2, column 'b'")
def _(tmp):
    load_csv(tmp, "unit,year,a,b\nX,2024,1,inf\n")


@case("D17", "row 2, column 'year'")
def _(tmp):
    load_csv(tmp, "unit,year,a,b\nX,24.5,1,2\n")


@case("D18", "rows 2, 3")
def _(tmp):
    load_csv(tmp, "unit,year,a,b\nX,2024,1,2\nX,2024,3,4\n")


@case("D19", "row 3, column 'region'")
def _(tmp):
    load_csv(tmp, "unit,year,region,a,b\nX,2023,Asia,1,2\n"
                  "X,2024,Europe,1,2\n")


@case("D20", "row 3, column 'unit': 'Y'")
def _(tmp):
    fw = fw_file(tmp, FLAT + "units: [{code: X}]\n")
    fi.load_panel(write(tmp, "d.csv", "unit,year,a,b\nX,2024,1,2\nY,2024,1,2\n"), fw)


@case("D21", "row 2, column 'unit'")
def _(tmp):
    load_csv(tmp, "unit,year,a,b\n,2024,1,2\n")


@case("D22", "row 2, column 'indicator': 'zz'")
def _(tmp):
    load_csv(tmp, "unit,year,indicator,value\nX,2024,zz,1\n"
                  "X,2024,a,1\nX,2024,b,1\n")


@case("D23", "u.csv")
def _(tmp):
    load_csv(tmp, "unit,year,a,b\nX,2024,1,2\n",
             units=write(tmp, "u.csv", "name\nSomewhere\n"))


@case("D81", "u.csv: row 3, column 'code': unit 'X' is already at row 2")
def _(tmp):
    load_csv(tmp, "unit,year,a,b\nX,2024,1,2\n",
             units=write(tmp, "u.csv", "code,name\nX,Here\nX,There\n"))


@case("D24", "d.csv: row 2, column 'unit': 'X' is not in the units table u.csv")
def _(tmp):
    load_csv(tmp, "unit,year,a,b\nX,2024,1,2\n",
             units=write(tmp, "u.csv", "code,name\nY,Elsewhere\n"))


@case("D74", "indicator 'a', 2024, Narnia: Xtown 1, Ytown 3")
def _(tmp):
    fw = fw_file(tmp, "units: [{code: X}, {code: Y}]\n"
                      "index: {code: i, children: [{code: a, level: country}, {code: b}]}\n")
    units = write(tmp, "u.csv", "code,name,country\nX,Xtown,Narnia\nY,Ytown,Narnia\n")
    fi.load_panel(write(tmp, "d.csv", "unit,year,a,b\nX,2024,1,2\nY,2024,3,4\n"), fw,
                  units=units)


@case("D75", "only 1 unit(s) of the published ranking")
def _(tmp):
    fi.compare_published(small_build(), {"u0": 1, "Atlantis": 2})


@case("D76", "p.csv, row 3, column 'rank'")
def _(tmp):
    from fintech_index.analysis.explain import read_published
    read_published(write(tmp, "p.csv", "unit,rank\nA,1\nB,0.5\n"))


@case("D25", "synthetic: panel array 'values'")
def _(tmp):
    p = panel(two_level_framework(), VALUES)
    Panel(**{**p.__dict__, "values": np.zeros((1, 2, 2))})


@case("D26", "['sector']")
def _(tmp):
    records.read_records(write(tmp, "r.csv", "institution,unit,year\nBank,X,2024\n"))


@case("D27", "row 2, column 'unit'")
def _(tmp):
    records.read_records(write(tmp, "r.csv", "institution,unit,sector,year\nBank,,bank,2024\n"))


@case("D28", "row 2, column 'currency'")
def _(tmp):
    records.read_records(write(tmp, "r.csv", "institution,unit,sector,year,amount\n"
                                             "Bank,X,bank,2024,5\n"))


@case("D29", "rates.csv")
def _(tmp):
    records.read_rates(write(tmp, "rates.csv", "currency,usd\nCNY,0.14\n"))


@case("D30", "row 2, column 'date'")
def _(tmp):
    records.read_rates(write(tmp, "rates.csv", "currency,date,usd_per_unit\nCNY,31/12/2024,0.14\n"))


@case("D31", "row 2, column 'usd_per_unit'")
def _(tmp):
    records.read_rates(write(tmp, "rates.csv", "currency,date,usd_per_unit\nCNY,2024-12-31,-1\n"))



@case("D69", "column 'value' is missing")
def _(tmp):
    load_csv(tmp, "unit,year,indicator,val\nX,2024,a,1\n")


@case("D70", "cell B2")
def _(tmp):
    import openpyxl
    wb = openpyxl.Workbook()
    wb.active.append(["unit", "year", "a", "b"])
    wb.active.append(["X", "#N/A", 1, 2])
    wb.save(tmp / "d.xlsx")
    fi.load_panel(tmp / "d.xlsx", flat_fw(tmp))


@case("D71", "cell C2")
def _(tmp):
    import openpyxl
    wb = openpyxl.Workbook()
    wb.active.append(["unit", "year", "a", "b"])
    wb.active.append(["X", 2024, "=1+1", 2])
    wb.save(tmp / "d.xlsx")
    fi.load_panel(tmp / "d.xlsx", flat_fw(tmp))


def xlsx_rows(tmp: Path, *rows, hidden: tuple[str, ...] = (), merged: str = "") -> Path:
    """d.xlsx of ``rows`` on sheet 'Data', after a sheet for each of ``hidden`` (hidden),
    with the range ``merged`` merged."""
    import openpyxl
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in hidden:
        wb.create_sheet(name).sheet_state = "hidden"
    ws = wb.create_sheet("Data")
    for r in rows:
        ws.append(r)
    if merged:
        ws.merge_cells(merged)
    wb.save(tmp / "d.xlsx")
    return tmp / "d.xlsx"


def load_one_row_xlsx(tmp, **environment):
    """A one-row workbook loaded with the reader's limits set by ``environment``."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in environment.items():
            mp.setenv(name, value)
        fi.load_panel(xlsx_rows(tmp, ["unit", "year", "a", "b"], ["X", 2024, 1, 2]),
                      flat_fw(tmp))


@case("D82", "d.xlsx: the workbook expands to")
def _(tmp):
    load_one_row_xlsx(tmp, FINTECH_INDEX_EXCEL_MAX_BYTES="1000")


@case("D83", "member xl/worksheets/sheet1.xml expands")
def _(tmp):
    fi.load_panel(xlsx_with_sheet_xml(tmp / "d.xlsx", [b" " * (4 << 20)]), flat_fw(tmp))


@case("D84", "sheet 'Sheet' has a declared dimension of 2,000,000 rows")
def _(tmp):
    fi.load_panel(xlsx_with_sheet_xml(tmp / "d.xlsx", [], dimension="A1:D2000000"),
                  flat_fw(tmp))


@case("D85", "every sheet is hidden (['Old', 'Data'])")
def _(tmp):  # Excel keeps one sheet visible; a script writing the XML need not
    import zipfile
    path = xlsx_rows(tmp, ["unit", "year", "a", "b"], ["X", 2024, 1, 2], hidden=("Old",))
    with zipfile.ZipFile(path) as book:
        members = {i.filename: book.read(i) for i in book.infolist()}
    members["xl/workbook.xml"] = members["xl/workbook.xml"].replace(
        b'state="visible"', b'state="hidden"')
    with zipfile.ZipFile(path, "w") as book:
        for name, data in members.items():
            book.writestr(name, data)
    fi.load_panel(path, flat_fw(tmp))


@case("D86", "d.xlsx: sheet 'Data': merged cells B3:B4")
def _(tmp):
    fi.load_panel(xlsx_rows(tmp, ["unit", "year", "a", "b"], ["X", 2024, 1, 2],
                            ["Y", None, 1, 2], merged="B3:B4"), flat_fw(tmp))


@case("D87", "d.csv: a sheet ('Data') was asked of a .csv file")
def _(tmp):
    load_csv(tmp, "unit,year,a,b\nX,2024,1,2\n", sheet="Data")


@case("D88", "d.csv: the file is UTF-16 (little-endian")
def _(tmp):
    load_csv(tmp, "unit,year,a,b\nX,2024,1,2\n".encode("utf-16-le"))


@case("D89", "d.xlsx: environment variable FINTECH_INDEX_EXCEL_MAX_ROWS='lots'")
def _(tmp):
    load_one_row_xlsx(tmp, FINTECH_INDEX_EXCEL_MAX_ROWS="lots")


@case("D90", "d.xlsx: sheet 'Data' has at least 8 cells; the limit is 7")
def _(tmp):
    load_one_row_xlsx(tmp, FINTECH_INDEX_EXCEL_MAX_CELLS="7")


@case("D72", "missing.csv")
def _(tmp):
    from fintech_index.audit.uncertainty import read_summary
    read_summary(tmp / "missing.csv", ["X"])


@case("D73", "s.csv: 1 of the edition's 2 units")
def _(tmp):
    from fintech_index.audit.uncertainty import read_summary
    read_summary(write(tmp, "s.csv", "unit,rank_p05,rank_p95,median_rank\nX,1,2,1\n"),
                 ["X", "Y"])


@case("D67", "row 2 and row 3")
def _(tmp):
    records.read_rates(write(tmp, "rates.csv", "currency,date,usd_per_unit\n"
                                               "CNY,2024-06-28,0.137\nCNY,2024-06-28,0.5\n"))

@case("D32", "imeta.csv")
def _(tmp):
    framework_dict_from_imeta(write(tmp, "imeta.csv", "iCode,iName\nx,X\n"))


IMETA_HEADER = "Level,iCode,iName,Direction,Weight,Type,Parent\n"


@case("D33", "row 3, column 'iCode'")
def _(tmp):
    framework_dict_from_imeta(write(tmp, "imeta.csv", IMETA_HEADER + "2,Idx,Index,1,1,Aggregate,\n"
                                                      "1,,X,1,1,Indicator,Idx\n"))


@case("D34", "row 2, column 'Type'")
def _(tmp):
    framework_dict_from_imeta(write(tmp, "imeta.csv", IMETA_HEADER + "1,x,X,1,1,Pillar,Idx\n"))


@case("D35", "idata.csv")
def _(tmp):
    write(tmp, "imeta.csv", IMETA_HEADER + "2,Idx,Index,1,1,Aggregate,\n1,x,X,1,1,Indicator,Idx\n")
    load_coinr(write(tmp, "idata.csv", "uCode,x\nAAA,1\n"), tmp / "imeta.csv")


@case("F40", "['d']")
def _(tmp):
    from fintech_index.analysis.backcast import backcast
    wide = fw_file(tmp, "index: {code: i, children: [{code: a}, {code: d}]}\n")
    backcast(wide, panel(flat_fw(tmp), [[1.0, 2.0], [2.0, 1.0]]), fi.Methodology(), 2020)


@case("F41", "year 2031")
def _(tmp):
    from fintech_index.analysis.backcast import backcast
    backcast(flat_fw(tmp), panel(flat_fw(tmp), [[1.0, 2.0], [2.0, 1.0]]), fi.Methodology(),
             2031)


@case("S40", "edition 'e1'")
def _(tmp):
    from fintech_index.analysis.backcast import store_backcast
    fw = flat_fw(tmp)
    res = fi.build(fw, panel(fw, [[1.0, 2.0], [2.0, 1.0]]), fi.Methodology())
    with Store(tmp / "s.duckdb") as store:
        store.publish(res, "e1")
        store.publish(res, "e2")
        store_backcast(store, "e1", "e2")


@case("D40", "unit 'B', year 2024, indicator 'i/r'")
def _(tmp):
    fw = fw_file(tmp, "index: {code: i, children: [{code: a}, "
                      "{code: r, ordinal: {kind: rank, list_size: 3}}]}\n" + units_yaml("A", "B"))
    data = write(tmp, "d.csv", "unit,year,a,r\nA,2024,1,1\nB,2024,2,4\n")
    fi.build(fw, fi.load_panel(data, fw), fi.methodology_from_dict({}, "m.yaml"))


# ------------------------------------------------------------------------- methodology (M)

@case("M01", "missing.yaml")
def _(tmp):
    fi.load_methodology(tmp / "missing.yaml")


@case("M02", "m.yaml")
def _(tmp):
    fi.load_methodology(write(tmp, "m.yaml", b"impute: \xff\n"))


@case("M03", "m.yaml: line 2")
def _(tmp):
    fi.load_methodology(write(tmp, "m.yaml", "impute: [\n"))


@case("M04", "m.yaml")
def _(tmp):
    fi.load_methodology(write(tmp, "m.yaml", "- i_mean\n"))


@case("M05", "'weights'")
def _(tmp):
    fi.load_methodology(write(tmp, "m.yaml", "weights: w_equal\n"))


@case("M06", "'a_median'")
def _(tmp):
    methods.get("aggregate", "a_median")


@case("M07", "'clean'")
def _(tmp):
    methods.register("clean", "c_nothing")


@case("M08", "'i_mean'")
def _(tmp):
    methods.register("impute", "i_mean")(lambda x: x)


@case("M09", "'zz'")
def _(tmp):
    small_build({"normalise": {"method": "n_minmax", "by_node": {"zz": "n_rank"}}})


@case("M10", "['q']")
def _(tmp):
    small_build({"normalise": {"method": "n_minmax", "q": 3}})


@case("M11", "'use_group'")
def _(tmp):
    small_build({"impute": "i_mean_grp"})


@case("M12", "use_group 'size'")
def _(tmp):
    small_build({"impute": {"method": "i_mean_grp", "use_group": "size"}})


@case("M30", "use_aux ['nope']")
def _(tmp):
    small_build({"impute": {"method": "i_aux", "use_aux": ["nope"]}})


@case("M13", "round: 'zz'")
def _(tmp):
    small_build({"round": {"zz": 2}})


@case("M14", "synthetic.yaml")
def _(tmp):
    small_build({"denominate": True})


@case("M15", "u.yaml")
def _(tmp):
    load_spec(write(tmp, "u.yaml", "factors: [{name: w, stage: weights, noise: 2}]\n"))


@case("M16", "screen (dat_thresh: 0.5, unit_screen: byNA, nzero_thresh: 0) drops 1 "
               "unit(s) of the data: 'u3'")
def _(tmp):
    fw = two_level_framework()
    values = [[1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 4.0, 3.0], [3.0, 3.0, 1.0, 2.0],
              [np.nan, np.nan, np.nan, 1.0]]
    meth = fi.methodology_from_dict({"screen": {"dat_thresh": 0.5}})
    Engine(fw, panel(fw, values), meth, UncertaintySpec())


@case("M23", "year 1999 is not a year of the data (synthetic: 2020)")
def _(tmp):
    fw = two_level_framework()
    Engine(fw, panel(fw, VALUES), fi.Methodology(), UncertaintySpec.model_validate(
        {"year": 1999}))


@case("M92", "weight set 'experts': 'x9'")
def _(tmp):
    fw = two_level_framework()
    values = [[1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 4.0, 3.0], [3.0, 3.0, 1.0, 2.0]]
    spec = UncertaintySpec.model_validate({"factors": [
        {"name": "w", "stage": "weight_sets", "sets": {"experts": {"x9": 1.0}}}]})
    Engine(fw, panel(fw, values), fi.methodology_from_dict({}), spec)


@case("M93", "no weights at level 3")
def _(tmp):
    fw = two_level_framework()
    values = [[1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 4.0, 3.0], [3.0, 3.0, 1.0, 2.0]]
    spec = UncertaintySpec.model_validate({"factors": [
        {"name": "w", "stage": "weights", "noise": 0.2, "level": 3}]})
    Engine(fw, panel(fw, values), fi.methodology_from_dict({}), spec)


@case("M56", "l_u = [100, 0]")
def _(tmp):
    small_build({"normalise": {"method": "n_minmax", "l_u": [100, 0]}})


@case("M57", "by_node A: method 'w_budget' needs parameter 'points'")
def _(tmp):
    small_build({"weight": {"method": "w_explicit", "by_node": {"A": "w_budget"}}})


@case("M58", "['l_uu']")
def _(tmp):
    from fintech_index.methods.contracts import Pair

    methods.register("normalise", "test_contract_typo", constraints={"l_uu": Pair()})(
        lambda x, direction, l_u=(0, 1): x)


@case("M20", "node 'idx/A' (a_bod): weight_bounds = [0.6, 0.7] cannot be met by 2 children")
def _(tmp):
    small_build({"aggregate": {"method": "a_amean", "by_level": {
        2: {"method": "a_bod", "weight_bounds": [0.6, 0.7]}}}})


@case("M21", "aggregate.by_level: level 99 is not a level")
def _(tmp):
    small_build({"aggregate": {"method": "a_amean", "by_level": {99: "a_gmean"}}})


@case("M22", "'metr0' is not a level of any unit (did you mean 'metro'?)")
def _(tmp):
    small_build({"rank": {"exclude_levels": ["metr0"]}})


@case("A40", "rank probabilities: this audit's methodology gives percentile ranks")
def _(tmp):
    fw = two_level_framework()
    meth = fi.methodology_from_dict({"rank": {"percentile": True}})
    spec = UncertaintySpec.model_validate({"factors": [{"name": "w", "stage": "weights",
                                                        "noise": 0.2}]})
    from fintech_index.audit.uncertainty import uncertainty
    uncertainty(Engine(fw, panel(fw, VALUES), meth, spec), n=8).rank_probabilities()


@case("M40", "rank.percentile_decimals: 4 is given but rank.percentile is false")
def _(tmp):
    small_build({"rank": {"percentile_decimals": 4}})


def rule_build(meth: dict, groups=("col",), column=("1", "2", "3")):
    """small_build with a units column 'col' (a framework group) for fill and rank.only."""
    fw = fi.framework_from_dict({"groups": list(groups), "index": {"code": "idx", "children": [
        {"code": "A", "children": [{"code": "x1"}, {"code": "x2"}]}, {"code": "x3"}]}})
    meta = pd.DataFrame({g: list(column) for g in groups}, index=["u0", "u1", "u2"])
    p = fi.panel_from_arrays(np.array(VALUES)[None, :, :3], fw, ["u0", "u1", "u2"], [2020],
                             meta=meta)
    return fi.build(fw, p, fi.methodology_from_dict(meth, "m.yaml"))


@case("M45", "fill: 'AA' is not an aggregate")
def _(tmp):
    rule_build({"fill": {"AA": "col"}})


@case("M46", "'A': 3 indicators asked for but the node has 2")
def _(tmp):
    rule_build({"min_indicators": {"A": 3}})


@case("M47", "rank.only: 'cols' is not a column of the units table (did you mean 'col'?)")
def _(tmp):
    rule_build({"rank": {"only": "cols"}})


@case("D64", "column 'col', unit 'u1': 'n/a' is not a number")
def _(tmp):
    rule_build({"fill": {"A": "col"}}, column=("1", "n/a", "3"))


@case("M86", "'n_dist2ref' has no global form")
def _(tmp):
    small_build({"normalise": {"method": "n_dist2ref", "ref": "u0", "global": True}})


@case("M87", "global is 'yearly'")
def _(tmp):
    small_build({"normalise": {"method": "n_minmax", "global": "yearly"}})


@case("M68", "m.yaml: over 200,000 values")
def _(tmp):
    bomb = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 7))
    fi.load_methodology(write(tmp, "m.yaml", bomb))


@case("M70", "30,000,000 replications of 4 units")
def _(tmp):
    from fintech_index.audit.uncertainty import uncertainty
    fw = two_level_framework()
    e = Engine(fw, panel(fw, VALUES + [[1.0, 2.0, 2.0, 1.0]]), fi.Methodology(),
               UncertaintySpec.model_validate({"n": 30_000_000}))
    uncertainty(e)


# ----------------------------------------------------------------- applying a method (A)

@case("A01", "'idx/A/x1'")
def _(tmp):
    fw = fi.framework_from_dict({"index": {"code": "idx", "children": [
        {"code": "A", "children": [{"code": "x1", "transform": "log"}, {"code": "x2"}]},
        {"code": "B", "children": [{"code": "x3"}, {"code": "x4"}]}]}}, "synthetic.yaml")
    small_build(fw=fw, values=[[-1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 4.0, 3.0]])


@case("A02", "['x1', 'x2', 'x3', 'x4']")
def _(tmp):
    small_build({"normalise": "n_goalposts"})


@case("A03", "['x1', 'x2', 'x3', 'x4']")
def _(tmp):
    small_build({"normalise": "n_dist2targ"})


@case("A04", "x1")
def _(tmp):
    small_build(values=[[1.0, 2.0, 3.0, 4.0], [1.0, 1.0, 4.0, 3.0]])


@case("A05", "node 'idx/A'")
def _(tmp):
    small_build({"weight": {"method": "w_explicit", "by_node": {"A": {"method": "w_explicit",
                                                                       "values": [1, 2, 3]}}}})


@case("A06", "node 'idx/A'")
def _(tmp):
    small_build({"weight": {"method": "w_explicit", "by_node": {"A": "w_pca"}}},
                values=[[1.0, np.nan, 3.0, 4.0], [np.nan, 1.0, 4.0, 3.0], [3.0, 2.0, 1.0, 2.0]])


@case("A07", "node 'idx/A'")
def _(tmp):
    small_build({"normalise": "n_zscore", "aggregate": {"method": "a_amean",
                                                        "by_node": {"A": "a_gmean"}}})


@case("A08", "load the panel with this framework")
def _(tmp):
    fw = two_level_framework()
    fi.build(flat_fw(tmp), panel(fw, VALUES))


@case("A09", "'nope'")
def _(tmp):
    small_build().dataset("nope")


@case("A10", "'zz'")
def _(tmp):
    small_build().scores("zz")


@case("A11", "year 1999")
def _(tmp):
    small_build().ranking(1999)


@case("A12", "'ZZZ'")
def _(tmp):
    small_build({"normalise": {"method": "n_dist2ref", "ref": "ZZZ"}})


@case("A30", "['gdp']")
def _(tmp):
    fw = fi.framework_from_dict({"denominators": [{"code": "gdp"}], "index": {
        "code": "idx", "children": [{"code": "x1"}, {"code": "x2"}]}}, "synthetic.yaml")
    p = panel(fw, [[1.0, np.nan], [2.0, 1.0]])
    fi.build(fw, Panel(**{**p.__dict__, "denominator_codes": (), "denominators": None}),
             fi.methodology_from_dict({"impute": {"method": "i_aux", "use_aux": ["gdp"]}}))


@case("A13", "'idx/x1'")
def _(tmp):
    fw = fi.framework_from_dict({"denominators": [{"code": "pop"}], "index": {
        "code": "idx", "children": [{"code": "x1", "denominator": "pop"}, {"code": "x2"}]}},
        "synthetic.yaml")
    p = panel(fw, [[1.0, 2.0], [2.0, 1.0]])
    fi.build(fw, Panel(**{**p.__dict__, "denominator_codes": (), "denominators": None}),
             fi.methodology_from_dict({"denominate": True}))


@case("A14", "'test_overwrites_observed'")
def _(tmp):
    methods.register("impute", "test_overwrites_observed")(lambda x: np.zeros_like(x))
    try:
        small_build({"impute": "test_overwrites_observed"},
                    values=[[1.0, np.nan, 3.0, 4.0], [2.0, 1.0, 4.0, 3.0]])
    finally:
        methods.unregister("impute", "test_overwrites_observed")


@case("A15", "got 3")
def _(tmp):
    methods.get("aggregate", "undp_ratio").fn(np.ones((2, 3)), np.ones(3))


@case("A20", "1 unit(s) have no observed value in synthetic, so every value of theirs "
              "would be imputed and ranked: 'u3'")
def _(tmp):
    small_build({"impute": "i_mean"}, values=VALUES + [[np.nan] * 4])


@case("A21", "node 'idx': its child(ren) ['B'] have no value for any unit in year 2020")
def _(tmp):
    small_build(values=[[1.0, 2.0, np.nan, np.nan], [2.0, 1.0, np.nan, np.nan]])


@case("A22", "keeps no unit of synthetic (the largest share of observed values is 0.75)")
def _(tmp):
    small_build({"screen": {"dat_thresh": 1.0}},
                values=[[1.0, 2.0, 3.0, np.nan], [2.0, np.nan, 4.0, 3.0]])


# ------------------------------------------------------------------------------- store (S)

def store_with_edition(tmp) -> Store:
    s = Store(tmp / "s.duckdb")
    s.publish(small_build(), "2024")
    return s


@case("S01", "s.duckdb")
def _(tmp):
    Store(tmp / "s.duckdb", read_only=True)


@case("S02", "s.duckdb")
def _(tmp):
    Store(write(tmp, "s.duckdb", b"this is not a DuckDB file" * 200))


@case("S03", "'2024'")
def _(tmp):
    with store_with_edition(tmp) as s:
        s.publish(small_build(), "2024")


@case("S04", "'2024'")
def _(tmp):
    with store_with_edition(tmp) as s:
        s.con.execute("UPDATE editions SET framework_json = NULL")
        s.edition_inputs("2024")


@case("S05", "year 1999")
def _(tmp):
    with store_with_edition(tmp) as s:
        s.edition("2024", 1999)


@case("S06", "'2023'")
def _(tmp):
    with store_with_edition(tmp) as s:
        s.edition("2023")


CNY_RECORDS = ("institution,unit,sector,year,amount,currency\n"
               "Broker,X,brokerage,2024,20000000000,CNY\n")


def billion_yuan(tmp, rate_date: str) -> fi.Framework:
    return fw_file(tmp, "index: {code: i, children: [{code: a, from_records: {agg: "
                        f"count_above, threshold: 1e9, currency: CNY{rate_date}}}}}, "
                        "{code: b}]}\n")


@case("S07", "CNY")
def _(tmp):
    with Store(tmp / "s.duckdb") as s:
        records.ingest(s, records.read_records(write(tmp, "r.csv", CNY_RECORDS)), "b1")
        records.aggregate(s, billion_yuan(tmp, ", rate_date: 2024-12-31"))


@case("S08", "rate_date")
def _(tmp):
    with Store(tmp / "s.duckdb") as s:
        records.ingest(s, records.read_records(write(tmp, "r.csv", CNY_RECORDS)), "b1")
        records.aggregate(s, billion_yuan(tmp, ""))


@case("S66", "not a fintech-index store")
def _(tmp):
    import duckdb
    duckdb.connect(str(tmp / "other.duckdb")).execute("CREATE TABLE t (x INT)").close()
    Store(tmp / "other.duckdb", read_only=True)


@case("S67", "CNY on 2024-06-28")
def _(tmp):
    with Store(tmp / "s.duckdb") as s:
        records.put_rates(s, records.read_rates(write(
            tmp, "a.csv", "currency,date,usd_per_unit\nCNY,2024-06-28,0.137\n")))
        records.put_rates(s, records.read_rates(write(
            tmp, "b.csv", "currency,date,usd_per_unit\nCNY,2024-06-28,0.5\n")))


@case("S68", "edition name 'a/b'")
def _(tmp):
    with Store(tmp / "s.duckdb") as s:
        s.publish(small_build(), "a/b")


@case("S69", "no node 'idz'")
def _(tmp):
    with Store(tmp / "s.duckdb") as s:
        s.publish(small_build(), "e")
        s.ranking("e", "idz")


def _failed_write(tmp, words: str):
    """DuckDB's error for a write the OS refused with ``words`` (the real failures are made
    in tests/test_store_health.py: a tmpfs, ulimit -f, a read-only folder)."""
    import duckdb

    from fintech_index.store import store_error
    raise store_error(duckdb.IOException(f'Could not write file "{tmp}/s.duckdb.wal": {words}'),
                      tmp / "s.duckdb")


@case("S70", "s.duckdb: the disk holding the store is full")
def _(tmp):
    _failed_write(tmp, "No space left on device")


@case("S71", "s.duckdb: the store would pass this process's file-size limit")
def _(tmp):
    _failed_write(tmp, "File too large")


@case("S72", "s.duckdb: no permission to write")
def _(tmp):
    _failed_write(tmp, "Permission denied")


@case("S73", "editions.licence")
def _(tmp):
    import duckdb
    with Store(tmp / "s.duckdb"):
        pass
    with duckdb.connect(str(tmp / "s.duckdb")) as con:
        con.execute("ALTER TABLE editions ADD COLUMN licence VARCHAR")
    Store(tmp / "s.duckdb")


# ----------------------------------------------------------------------------------- tests

@pytest.mark.parametrize("code", sorted(CASES))
def test_each_catalogued_error_is_raised_with_its_code_and_place(code, tmp_path):
    where, trigger = CASES[code]
    try:
        outcome = trigger(tmp_path)
    except FintechIndexError as e:
        assert code in e.codes, str(e)
        assert type(e).family == code[0]
        message = str(e)
    else:  # a CLI case: exit status 2 and the message on the console, no traceback
        assert outcome is not None, f"{code}: nothing was raised"
        assert outcome.exit_code == 2, outcome.output
        assert "Traceback" not in outcome.output
        message = outcome.output
    assert f"[{code}]" in message
    assert where in message, message


def _codes_in_source() -> set[str]:
    found = set()
    for path in (ROOT / "src" / "fintech_index").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and CODE.match(node.value):
                found.add(node.value)
    return found


def _codes_in_catalogue() -> list[str]:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    return re.findall(r"^### ([UFDMAS]\d\d) ", text, flags=re.MULTILINE)


def test_the_catalogue_the_source_and_these_cases_name_the_same_codes():
    documented = _codes_in_catalogue()
    assert len(documented) == len(set(documented)), "a code is documented twice"
    assert set(documented) == _codes_in_source()
    assert set(documented) == set(CASES)


def test_an_error_refuses_a_code_of_another_family():
    with pytest.raises(ValueError, match="DataError codes are DNN"):
        fi.DataError("F01", "x")
    e = fi.DataError.of([("D15", "f.csv: row 2: bad"), ("D16", "f.csv: row 3: worse"),
                         ("D15", "f.csv: row 4: bad")])
    assert e.codes == ("D15", "D16") and e.code == "D15"
    assert str(e).splitlines() == ["f.csv: row 2: bad [D15]", "f.csv: row 3: worse [D16]",
                                   "f.csv: row 4: bad [D15]"]
    again = pickle.loads(pickle.dumps(e))  # as Dask returns it from a worker
    assert type(again) is fi.DataError and str(again) == str(e) and again.codes == e.codes



def test_a_damaged_workbook_is_not_reported_as_a_missing_sheet(tmp_path):
    p = write(tmp_path, "d.xlsx", b"PK\x03\x04 damaged")
    with pytest.raises(fi.DataError) as info:
        fi.load_panel(p, flat_fw(tmp_path), sheet="Data")
    assert info.value.codes == ("D08",)


@pytest.mark.parametrize("args, words, command", [
    (["audit", "--n", "abc", "f.yaml", "d.csv"], "Invalid value for '--n'", "fintech-index audit"),
    (["build", "--bogus", "f.yaml", "d.csv"], "No such option: --bogus", "fintech-index build"),
    (["buidl"], "No such command 'buidl'. Did you mean 'build'?", "fintech-index"),
    (["store", "show"], "Missing argument 'name'", "fintech-index store show"),
    (["--bogus"], "No such option: --bogus", "fintech-index"),
])
def test_a_usage_error_is_coded_and_points_to_the_commands_help(args, words, command):
    r = CliRunner().invoke(app, args, prog_name="fintech-index")
    assert r.exit_code == 2
    assert "Traceback" not in r.output and "Error:" not in r.output  # not click's own print
    line = " ".join(r.output.split())
    assert line.startswith(f"error: {command}: {words}") and line.endswith("[U80]"), line
    assert f"Usage: {command} [OPTIONS]" in line and f"see '{command} --help'" in line


def test_asking_for_help_is_not_a_usage_error():
    r = CliRunner().invoke(app, ["store", "show", "--help"])
    assert r.exit_code == 0 and "[U80]" not in r.output and "--store" in r.output


def test_a_library_message_stays_on_the_line_of_its_code(tmp_path):
    """pyarrow's messages span lines; each line of ours must keep the file and the code."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"unit": ["X"], "year": [2024]}), buf)
    damaged = bytearray(buf.getvalue())
    footer = int.from_bytes(damaged[-8:-4], "little")
    damaged[-8 - footer + 1] = 0xFF  # the footer no longer parses: thrift's message ends in \n
    p = write(tmp_path, "d.parquet", bytes(damaged))
    with pytest.raises(fi.DataError) as info:
        fi.load_panel(p, flat_fw(tmp_path))
    (line,) = str(info.value).splitlines()
    assert line.startswith("d.parquet: ") and line.endswith("[D09]")


@pytest.mark.parametrize("text", ["meta: {published: 2024-13-01}\n" + FLAT, "index: \x00\n"])
def test_yaml_that_cannot_be_read_is_refused_with_the_file_named(tmp_path, text):
    """Found by atheris: a control character gave a message over two lines without the
    code on the first, and a date YAML cannot construct escaped as a ValueError."""
    with pytest.raises(fi.FrameworkError) as info:
        fw_file(tmp_path, text)
    (line,) = str(info.value).splitlines()
    assert line.startswith("f.yaml: ") and line.endswith("[F03]")


def test_a_source_year_that_is_not_a_year_is_refused(tmp_path):
    """Found by benchmarks/robustness.py: a source_year of 1e300 was cast to a garbage
    integer with only a RuntimeWarning; an empty source_year stays allowed."""
    text = ("unit,year,indicator,value,source_year\nX,2024,a,1,1e300\nX,2024,b,2,\n"
            "Y,2024,a,1,2023\nY,2024,b,2,2023\n")
    with pytest.raises(fi.DataError) as info:
        load_csv(tmp_path, text)
    assert str(info.value) == ("d.csv: row 2, column 'source_year': '1e300' is not a four-digit "
                               "year [D17]")


def test_a_cell_with_line_breaks_cannot_split_a_problem_over_lines(tmp_path):
    """Found by benchmarks/robustness.py: a unit holding a file separator (\\x1c, a line
    break for str.splitlines) split the duplicate-row problem in two, leaving a line
    without its file and code."""
    text = 'unit,year,a,b\n"X\x1cY",2024,1,2\n"X\x1cY",2024,3,4\n'
    with pytest.raises(fi.DataError) as info:
        load_csv(tmp_path, text, declared=("X\x1cY",))
    (line,) = str(info.value).splitlines()
    assert line.startswith("d.csv: rows 2, 3: ") and "X\\x1cY" in line
    assert line.endswith("[D18]")


@pytest.mark.parametrize("extra, code", [("denominators: 3", "F20"), ("units: 3", "F23"),
                                         ("name: [1]", "F26")])
def test_top_level_values_of_the_wrong_type_are_refused(tmp_path, extra, code):
    """Found on review: `denominators: 3` and `meta: 3` escaped as TypeError (the fuzzer's
    keys did not include them; they do now)."""
    with pytest.raises(fi.FrameworkError) as info:
        fw_file(tmp_path, FLAT + extra + "\n")
    assert info.value.codes == (code,)
