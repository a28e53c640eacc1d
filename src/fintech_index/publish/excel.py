"""The edition as an Excel workbook (xlsxwriter): one sheet per ranking, the data with
provenance, the nodes and the methodology. Every text cell is written as text, and text
that a spreadsheet would run as a formula (starting with = + - @, tab or carriage return)
is prefixed with an apostrophe (OWASP "CSV injection" advice), so nothing runs on opening."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from ..build import Results
from ..exports import neutralise
from ..panel import IMPUTED, TREATED


def _write_frame(book, name: str, frame: pd.DataFrame) -> None:
    sheet = book.add_worksheet(name[:31])
    bold = book.add_format({"bold": True})
    for j, col in enumerate(frame.columns):
        sheet.write_string(0, j, neutralise(str(col)), bold)
        sheet.set_column(j, j, max(10, min(40, len(str(col)) + 2)))
    for i, row in enumerate(frame.itertuples(index=False), start=1):
        for j, v in enumerate(row):
            if v is None or (isinstance(v, float) and np.isnan(v)):
                continue
            if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
                sheet.write_number(i, j, float(v))
            else:
                sheet.write_string(i, j, neutralise(str(v)))
    sheet.freeze_panes(1, 0)


def write_workbook(results: Results, path: str | Path) -> Path:
    """Rankings (overall and every dimension, each year), data with provenance, nodes,
    methodology."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fw = results.framework
    book = xlsxwriter.Workbook(str(p), {"strings_to_formulas": False, "strings_to_urls": False,
                                        "nan_inf_to_errors": True})
    # a fixed creation time (1 January of the edition year): the same results, the same bytes
    book.set_properties({"title": fw.name, "created": datetime(results.years[-1], 1, 1)})
    for year in reversed(results.years):
        frame = results.ranking(year).reset_index()
        _write_frame(book, f"Ranking {year}", frame[["rank", "unit", "name", "score"] + [
            c for d in fw.nodes[fw.index].children for c in (f"{d}.rank", f"{d}.score")]])
    data = results.panel.frame()
    flags = results.flags.reshape(-1)
    data["imputed"] = (flags & IMPUTED) != 0
    data["treated"] = (flags & TREATED) != 0
    data["figure_level"] = data["indicator"].map(
        {c: fw.nodes[c].figure_level or "" for c in fw.indicators})
    data["imputed"] = data["imputed"].map({True: "yes", False: ""})
    data["treated"] = data["treated"].map({True: "yes", False: ""})
    _write_frame(book, "Data and provenance", data.drop(columns=["flags"]))
    _write_frame(book, "Nodes", results.node_table())
    meth = results.methodology.model_dump(mode="json")
    rows = [{"stage": k, "choice": str(v)} for k, v in meth.items()]
    rows.append({"stage": "hash", "choice": results.methodology.hash})
    _write_frame(book, "Methodology", pd.DataFrame(rows))
    book.close()
    return p
