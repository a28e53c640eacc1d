"""The edition as an Excel workbook (xlsxwriter), in English or Simplified Chinese.

Sheets: a first sheet that explains the others; one ranking per year with the rank and
score of every node (index, dimensions, pillars, indicators: two header rows, node name
over rank and score), rank change and, when an audit is given, the rank interval; every
value with its provenance (imputed values in orange with their method, also as a cell
note on the ranking sheets); the nodes; the methodology as a table; when the index supplies
a published ranking, how the edition differs from it. Every ranking sheet gives each city's
observed weight and marks it under half (publish/differs.py). Scores show two
decimals, ranks none; headers are frozen; widths follow the content.

Every text cell is written as text, and text that a spreadsheet would run as a formula
(starting with = + - @, tab or carriage return) is prefixed with an apostrophe (OWASP "CSV
injection" advice), so nothing runs on opening.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import xlsxwriter

from .. import format as fmt
from ..analysis.differs import Differences
from ..build import Results
from ..exports import neutralise
from ..outfiles import replacing
from . import differs as said
from .citations import citation
from .i18n import check_lang, node_name, scaled_value, term, text, unit_name, unit_of
from .provenance import (
    method_note,
    methodology_rows,
    p_top_column,
    top_down,
    value_table,
)
from .view import EditionView

__all__ = ["neutralise", "write_workbook"]

HEADER = {"bold": True, "bg_color": "#1f4e79", "font_color": "#ffffff", "text_wrap": True,
          "valign": "top", "border": 1, "border_color": "#d0d7e1"}
IMPUTED_FILL = "#fbe5d6"
NUMBER_FORMATS = {"score": "0.00", "rank": "0", "change": '+0;-0;"="', "share": "0%",
                  "value": "#,##0.00", "year": "0", "weight": "0.00", "text": "@"}
MAX_WIDTH = 60


def _display_width(text: str) -> int:
    """Columns a string takes: East Asian wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class _Book:
    """An xlsxwriter workbook with the formats of this one, and a sheet writer that sets
    widths from the content and freezes the header."""

    def __init__(self, path: Path, title: str, year: int) -> None:
        self.book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                                    "strings_to_urls": False,
                                                    "nan_inf_to_errors": True})
        # a fixed creation time (1 January of the edition year): same results, same bytes
        self.book.set_properties({"title": title, "created": datetime(year, 1, 1)})
        self.header = self.book.add_format(HEADER)
        self.formats = {k: self.book.add_format({"num_format": v})
                        for k, v in NUMBER_FORMATS.items()}
        self.imputed = {k: self.book.add_format({"num_format": v, "bg_color": IMPUTED_FILL})
                        for k, v in NUMBER_FORMATS.items()}
        self.bold = self.book.add_format({"bold": True})
        self.title = self.book.add_format({"bold": True, "font_size": 14,
                                           "font_color": "#1f4e79"})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})

    def cell(self, sheet, i: int, j: int, v, kind: str = "text", imputed: bool = False
             ) -> None:
        fmt = (self.imputed if imputed else self.formats)[kind]
        if v is None or (isinstance(v, float) and np.isnan(v)) or v == "":
            if imputed:
                sheet.write_blank(i, j, None, fmt)
            return
        if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
            sheet.write_number(i, j, float(v), fmt)
        else:
            sheet.write_string(i, j, neutralise(str(v)), fmt if imputed else None)

    def table(self, name: str, frame: pd.DataFrame, kinds: dict[str, str],
              headers: list[str], imputed: pd.DataFrame | None = None):
        """A sheet of ``frame`` with one header row (``headers``), number formats by
        column kind, widths from the content, the header frozen, an autofilter."""
        sheet = self.book.add_worksheet(name[:31])
        for j, h in enumerate(headers):
            sheet.write_string(0, j, neutralise(h), self.header)
        for i, row in enumerate(frame.itertuples(index=False), start=1):
            for j, (col, v) in enumerate(zip(frame.columns, row, strict=True)):
                mark = bool(imputed is not None and imputed.iat[i - 1, j])
                self.cell(sheet, i, j, v, kinds.get(col, "text"), mark)
        for j, col in enumerate(frame.columns):
            self.fit(sheet, j, [headers[j]] + [_shown(v, kinds.get(col, "text"))
                                               for v in frame[col]])
        sheet.freeze_panes(1, 0)
        _printable(sheet, header_rows=1)
        if len(frame):
            sheet.autofilter(0, 0, len(frame), len(frame.columns) - 1)
        return sheet

    @staticmethod
    def fit(sheet, j: int, texts: list[str], minimum: int = 6) -> None:
        width = max([minimum] + [_display_width(t) for t in texts])
        sheet.set_column(j, j, min(MAX_WIDTH, width + 2))


def _printable(sheet, header_rows: int = 0, columns: int = 0) -> None:
    """Printed as a reader expects: A4 landscape, the header rows and the first columns
    repeated on every page; a sheet without repeated columns as wide as the page."""
    sheet.set_paper(9)
    sheet.set_landscape()
    if not columns:
        sheet.fit_to_pages(1, 0)
    if header_rows:
        sheet.repeat_rows(0, header_rows - 1)
    if columns:
        sheet.repeat_columns(0, columns - 1)


def _shown(v, kind: str) -> str:
    """About how a value looks in its cell, for the column width."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if kind in ("score", "weight") and isinstance(v, (int, float, np.floating)):
        return f"{v:,.2f}"
    if kind == "value" and isinstance(v, (int, float, np.floating)):
        return f"{v:,.2f}"
    if kind in ("rank", "year", "change") and isinstance(v, (int, float, np.floating)):
        return f"{v:+.0f}" if kind == "change" else f"{v:.0f}"
    return str(v)


def _node_name(fw, code: str, lang: str) -> str:
    return node_name(fw, code, lang)


def _unit_names(results: Results, lang: str) -> dict[str, str]:
    units = results.panel.units
    return {u: unit_name(units, u, lang) for u in units.index}


def _ranking_name(view: EditionView, year: int, lang: str) -> str:
    """The sheet of a year's ranking: "Ranking 2024", labelled when it is a back-cast
    (computed on a later edition's framework): "Ranking 2024 (back-cast)"."""
    key = "wb_ranking_backcast" if view.edition(year).recomputed_on is not None else "wb_ranking"
    return text(key, lang, year=year)[:31]


def _ranking_about(view: EditionView, year: int, lang: str, audit: pd.DataFrame | None,
                   latest: int) -> str:
    """What a ranking sheet holds, as it holds it: the change column only where there is
    an edition before, the interval columns only on the audited latest year, and the
    back-cast said so."""
    parts = [text("wb_about_ranking", lang, year=year)]
    parts.append(said.coverage_rule(lang))
    if view.changes_of(year) is not None:
        parts.append(text("wb_about_ranking_change", lang))
    if audit is not None and year == latest:
        parts.append(text("wb_about_ranking_interval", lang))
    framework = view.edition(year).recomputed_on
    if framework is not None:
        parts.append(text("wb_about_ranking_backcast", lang, year=year, framework=framework))
    return ("" if lang == "zh" else " ").join(parts)


def _ranking_sheet(bk: _Book, view: EditionView, year: int, lang: str,
                   audit: pd.DataFrame | None, values: pd.DataFrame) -> None:
    """Two header rows (node name over rank and score); one row per city, best first;
    imputed indicator scores in orange with a note naming the method."""
    results = view.results
    fw = results.framework
    cur, changed = view.edition(year), view.changes_of(year)
    changes = changed.node() if changed is not None else None
    names = _unit_names(results, lang)
    order = list(results.ranking(year).index)
    sheet = bk.book.add_worksheet(_ranking_name(view, year, lang))
    fixed = [(text("wb_rank", lang), "rank"), (text("wb_code", lang), "text"),
             (text("wb_city", lang), "text"), (text("wb_score", lang), "score")]
    if changes is not None:
        fixed.append((text("wb_change", lang), "change"))
    p_top = p_top_column(audit)
    top_col = p_top[0] if p_top else None
    if audit is not None:
        fixed += [(text("wb_p05", lang), "rank"), (text("wb_p95", lang), "rank")]
        if top_col:
            fixed.append((text("wb_p_top", lang, n=top_col[5:]), "share"))
    fixed += [(text("col_observed", lang), "share"), (text("coverage_mark", lang), "text")]
    observed = results.observed_weight(year)
    for j, (h, _) in enumerate(fixed):
        sheet.merge_range(0, j, 1, j, h, bk.header)
    nodes = [c for c, depth in top_down(fw) if depth > 0]
    start = len(fixed)
    for k, code in enumerate(nodes):
        j = start + 2 * k
        sheet.merge_range(0, j, 0, j + 1, neutralise(_node_name(fw, code, lang)), bk.header)
        sheet.write_string(1, j, text("wb_rank", lang), bk.header)
        sheet.write_string(1, j + 1, text("wb_score", lang), bk.header)
    imputed_by = {(u, c): method_note(m, a) for u, c, imp, m, a in zip(
        values["unit"], values["indicator"], values["imputed"], values["imputation_method"],
        values["imputation_auxiliary"], strict=True) if imp}
    scores, ranks = cur.scores.to_dict(), cur.ranks.to_dict()  # node -> unit -> value
    for i, unit in enumerate(order, start=2):
        row = [cur.ranks.at[unit, fw.index], unit, names[unit], cur.scores.at[unit, fw.index]]
        if changes is not None:
            row.append(changes.at[unit, "rank_change"])
        if audit is not None:
            got = audit.loc[unit] if unit in audit.index else None
            ends = (fmt.interval_ends(got["rank_p05"], got["rank_p95"])
                    if got is not None and not fmt.is_missing(got["rank_p05"]) else (None, None))
            row += list(ends)  # whole ranks, widened as the site shows them (format.interval)
            if top_col:
                row.append(got[top_col] if got is not None else None)
        row += [observed[unit], said.coverage(observed[unit], lang).mark]
        for j, (v, (_, kind)) in enumerate(zip(row, fixed, strict=True)):
            bk.cell(sheet, i, j, v, kind)
        for k, code in enumerate(nodes):
            j = start + 2 * k
            method = imputed_by.get((unit, code))
            if method is not None:
                sheet.write_comment(i, j + 1, text("wb_imputed_by", lang, method=method))
            bk.cell(sheet, i, j, ranks[code][unit], "rank", method is not None)
            bk.cell(sheet, i, j + 1, scores[code][unit], "score", method is not None)
    for j, (h, kind) in enumerate(fixed):
        texts = [h]
        if kind == "text" and j in (1, 2):
            texts += [unit if j == 1 else names[unit] for unit in order]
        bk.fit(sheet, j, texts, minimum=7)
    for k, code in enumerate(nodes):
        width = max(7, (_display_width(_node_name(fw, code, lang)) + 2) // 2)
        sheet.set_column(start + 2 * k, start + 2 * k + 1, min(30, width))
    sheet.set_row(0, 45)
    sheet.freeze_panes(2, 3)
    _printable(sheet, header_rows=2, columns=3)


def _about_sheet(bk: _Book, results: Results, lang: str, audit: pd.DataFrame | None,
                 sheets: list[tuple[str, str]]) -> None:
    fw = results.framework
    sheet = bk.book.add_worksheet(text("wb_about", lang))
    sheet.write_string(0, 0, neutralise(text("wb_about_title", lang, index=_node_name(
        fw, fw.index, lang), year=results.years[-1])), bk.title)
    sheet.merge_range(1, 0, 1, 1, text("wb_about_intro", lang), bk.wrap)
    sheet.set_row(1, 48)
    sheet.write_string(3, 0, text("wb_about_sheet", lang), bk.header)
    sheet.write_string(3, 1, text("wb_about_holds", lang), bk.header)
    link = bk.book.add_format({"font_color": "blue", "underline": 1, "valign": "top"})
    for i, (name, holds) in enumerate(sheets, start=4):
        sheet.write_url(i, 0, f"internal:'{name}'!A1", link, string=name)
        sheet.write_string(i, 1, holds, bk.wrap)
        sheet.set_row(i, 15 * (1 + _display_width(holds) // 95))
    i = 5 + len(sheets)
    sheet.write_string(i, 0, text("wb_about_hash", lang), bk.bold)
    sheet.write_string(i, 1, results.methodology.hash)
    sheet.write_string(i + 1, 0, text("wb_about_audit", lang), bk.bold)
    sheet.write_string(i + 1, 1, text("wb_about_audit_yes" if audit is not None
                                      else "wb_about_audit_no", lang))
    sheet.write_string(i + 2, 0, text("wb_about_framework", lang), bk.bold)
    sheet.write_string(i + 2, 1, neutralise(Path(fw.source_file or "").name))
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 100)
    _printable(sheet)


def write_workbook(results: Results, path: str | Path, *, audit: pd.DataFrame | None = None,
                   lang: str = "en", view: EditionView | None = None,
                   differences: Differences | None = None) -> Path:
    """The workbook of ``results`` in ``lang`` (en or zh); ``audit``: an uncertainty
    summary (unit index; rank_p05, rank_p95, p_top10) for the latest year's ranking;
    ``view``: the editions as every output renders them (made here when not given);
    ``differences``: the edition against a published ranking (a sheet of its own)."""
    if view is None or view.results is not results:
        view = EditionView(results)
    check_lang(lang)
    p = Path(path)
    with replacing(p) as tmp:
        _write_book(view, tmp, audit, lang, differences)
    return p


def _write_book(view: EditionView, p: Path, audit: pd.DataFrame | None, lang: str,
                differences: Differences | None = None) -> None:
    results = view.results
    fw = results.framework
    latest = results.years[-1]
    bk = _Book(p, _node_name(fw, fw.index, lang), latest)
    explained = [(_ranking_name(view, y, lang), _ranking_about(view, y, lang, audit, latest))
                 for y in reversed(results.years)]
    if differences is not None:
        explained.append((text("wb_differs", lang), ("" if lang == "zh" else " ").join(
            [said.agreement(differences, lang), said.note(differences, lang)])))
    explained += [(text("wb_" + k, lang), text(f"wb_about_{k}", lang))
                  for k in ("data", "nodes", "methodology")]
    _about_sheet(bk, results, lang, audit, explained)
    all_values = pd.concat([value_table(results, y) for y in results.years],
                           ignore_index=True)
    for year in reversed(results.years):
        _ranking_sheet(bk, view, year, lang, audit if year == latest else None,
                       all_values[all_values["year"] == year])
    if differences is not None:
        _differs_sheet(bk, view, lang, differences)
    _data_sheet(bk, results, lang, all_values)
    nodes = results.node_table()
    nodes["name"] = [_node_name(fw, c, lang) for c in nodes["node"]]
    nodes["figure_level"] = [term("level", x, lang) if isinstance(x, str) and x else x
                             for x in nodes["figure_level"]]
    nodes["unit"] = [unit_of(fw, c, lang) or None for c in nodes["node"]]
    nodes["source"] = [citation(x, lang) if isinstance(x, str) and x else x
                       for x in nodes["source"]]
    nodes = nodes.drop(columns=["indicator"])
    bk.table(text("wb_nodes", lang), nodes, {"level": "year", "direction": "rank",
                                          "weight": "weight"},
             [text("wb_" + k, lang) for k in ("node", "name", "parent", "level", "figure_level",
                                              "unit", "direction", "weight", "source")])
    meth = methodology_rows(results, lang)
    bk.table(text("wb_methodology", lang), meth, {},
             [text("wb_" + k, lang) for k in ("stage", "applies_to", "method", "parameters",
                                              "reason")])
    bk.book.close()


def _differs_sheet(bk: _Book, view: EditionView, lang: str, differences: Differences) -> None:
    """The official top k: official rank, code, city, our rank, the city compared with, the
    score difference and the indicators that account for it (imputed values named)."""
    units, nodes = view.names(lang)
    frame = pd.DataFrame(said.rows(differences, lang, nodes, units))
    kinds = {"official": "rank", "ours": "rank", "difference": "score"}
    bk.table(text("wb_differs", lang), frame, kinds, said.headers(differences, lang))


def _data_sheet(bk: _Book, results: Results, lang: str, values: pd.DataFrame) -> None:
    fw = results.framework
    names = _unit_names(results, lang)
    yes = text("wb_yes", lang)
    units = {c: unit_of(fw, c, lang) for c in fw.indicators}  # 亿美元 in Chinese, values x 10
    scale = values["indicator"].map({c: scaled_value(fw, c, 1.0, lang) for c in fw.indicators})
    frame = pd.DataFrame({
        "unit": values["unit"], "city": values["unit"].map(names), "year": values["year"],
        "indicator": values["indicator"],
        "indicator_name": values["indicator"].map({c: _node_name(fw, c, lang)
                                                   for c in fw.indicators}),
        "value": values["value"] * scale, "value_used": values["value_used"] * scale,
        "unit_of_measure": values["indicator"].map(units),
        "source": [citation(s, lang, y) if isinstance(s, str) else ""
                   for s, y in zip(values["source"], values["source_year"], strict=True)],
        "source_year": values["source_year"],
        "figure_level": [term("level", x, lang) if x else "" for x in values["figure_level"]],
        "imputed": [text("wb_imputed_by", lang, method=method_note(m, a)) if imp else ""
                    for imp, m, a in zip(values["imputed"], values["imputation_method"],
                                         values["imputation_auxiliary"], strict=True)],
        "treated": np.where(values["treated"], yes, "")})
    mark = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for col in ("value", "value_used", "imputed"):
        mark[col] = values["imputed"].to_numpy()
    headers = [text("wb_" + k, lang) for k in (
        "code", "city", "year", "indicator", "indicator_name", "value", "value_used", "unit",
        "source", "source_year", "figure_level", "imputed", "treated")]
    bk.table(text("wb_data", lang), frame.reset_index(drop=True),
             {"year": "year", "value": "value", "value_used": "value",
              "source_year": "year"}, headers, imputed=mark.reset_index(drop=True))
