"""Small frameworks and panels made in memory for tests (synthetic, never bundled), and
where the shared data are."""

import json
from pathlib import Path

import numpy as np

import fintech_index as fi


def two_level_framework(weights=(1.0, 1.0, 1.0, 1.0), directions=(1, 1, 1, 1), goalposts=None,
                        units=()):
    """index <- {A: x1, x2; B: x3, x4}, declaring the unit codes ``units`` (needed to read a
    data file with it)."""
    def ind(k):
        d = {"code": f"x{k + 1}", "weight": weights[k], "direction": directions[k]}
        if goalposts is not None:
            d["goalposts"] = list(goalposts[k])
        return d

    return fi.framework_from_dict({"units": declared_units(*units), "index": {
        "code": "idx", "children": [{"code": "A", "children": [ind(0), ind(1)]},
                                    {"code": "B", "children": [ind(2), ind(3)]}]}},
        "synthetic.yaml")


def declared_units(*codes: str) -> list[dict]:
    """A framework's ``units:`` list for these codes: the data's units must be declared
    (issue 17), so a synthetic framework that reads a file declares the ones it uses."""
    return [{"code": c} for c in codes]


def units_yaml(*codes: str) -> str:
    """The same as a framework YAML line (JSON is YAML)."""
    return f"units: {json.dumps(declared_units(*codes))}\n"


def panel(fw, values, units=None, years=None):
    values = np.asarray(values, dtype=float)
    if values.ndim == 2:
        values = values[None]
    units = units or [f"u{i}" for i in range(values.shape[1])]
    years = years or list(range(2020, 2020 + values.shape[0]))
    return fi.panel_from_arrays(values, fw, units, years, source="synthetic")


def shared_file(*parts: str) -> Path | None:
    """A file of the shared data folder (``shared/data`` beside the checkout or one of its
    parents, as scripts/shared_data.py looks for it), or None where it is absent (CI)."""
    for parent in Path(__file__).resolve().parents:
        p = parent.joinpath("shared", "data", *parts)
        if p.exists():
            return p
    return None


SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns='
              b'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = b"</sheetData></worksheet>"


def xlsx_with_sheet_xml(path: Path, parts, dimension: str = "") -> Path:
    """A workbook at ``path`` whose one sheet's XML is ``SHEET_HEAD`` (with a
    ``<dimension ref=...>`` if given), the byte strings of ``parts`` (streamed into the zip:
    a bomb of GB is never in memory) and ``SHEET_TAIL``: the hand-made sheets (zip bombs,
    lying dimensions) that no spreadsheet program writes."""
    import io
    import zipfile

    import openpyxl

    buf = io.BytesIO()
    openpyxl.Workbook().save(buf)
    member = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED,
                                                      compresslevel=9) as out:
        for info in src.infolist():
            if info.filename != member:
                out.writestr(info, src.read(info))
        with out.open(member, "w", force_zip64=True) as sheet:
            head = SHEET_HEAD.replace(b"<sheetData>", f'<dimension ref="{dimension}"/>'
                                      '<sheetData>'.encode()) if dimension else SHEET_HEAD
            for part in (head, *parts, SHEET_TAIL):
                sheet.write(part)
    return path


def read_all(s) -> bytes:
    """Every byte a socket gives until the peer closes it (or an error ends the read)."""
    out = b""
    try:
        while chunk := s.recv(65536):
            out += chunk
    except OSError:
        pass
    return out


def markup_named_results(folder):
    """Results of a two-unit index whose names look like markup ("<script>...", "Ok & Co"),
    built from a CSV written in ``folder``: for the escaping tests of site and web page."""
    fw = fi.framework_from_dict({"units": declared_units("X", "Y"), "index": {
        "code": "i", "children": [{"code": "a"}, {"code": "b"}]}})
    data = folder / "d.csv"
    data.write_text('unit,year,name,indicator,value\n'
                    'X,2024,"<script>alert(1)</script>",a,1\nX,2024,"<script>alert(1)</script>",b,2\n'
                    'Y,2024,Ok & Co,a,3\nY,2024,Ok & Co,b,1\n')
    return fi.build(fw, fi.load_panel(data, fw))



def offline_context(browser, allowed: str, outside: list, **options):
    """A browser context that lets through only requests whose address starts with
    ``allowed`` (``file:``, the test server) and aborts every other one, noting its address
    in ``outside``: the page under test must work without the network."""
    ctx = browser.new_context(**options)

    def route(r):
        if r.request.url.startswith(allowed):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    ctx.route("**/*", route)
    return ctx
