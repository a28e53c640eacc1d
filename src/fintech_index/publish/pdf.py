"""City white papers as PDF, typeset by Typst (the ``typst`` Python package) from the
template ``templates/white_paper.typ``; the charts are ``fintech_index.plot`` figures
(``profile``, ``rank_history``) whose data Typst draws as vector shapes. (Kaleido with
Debian's Chromium was measured for a static export instead: 7 s to start the browser, then
0.35 s a figure as SVG and 0.7 s as PNG: about 21 s more for the 40 charts of 20 papers
against the publish's 20 s budget, and its SVG differs from call to call, so papers would
not be the same bytes for the same results.)

:func:`white_paper_data` gathers what one paper shows as plain JSON (strings already
formatted for the language, numbers for the charts); the template reads it from
``sys.inputs``, so names and sources are text, never Typst markup. Pages: cover with key
figures and the dimensions chart; the ranking tree with raw values; strengths and
weaknesses with their reason, peers, rank history and rank interval; the sections an index
adds as data (:class:`PaperSections`: the fintech index's counts from company records and its
districts, ``gfcdi.paper``); the methodology annex. English or Simplified Chinese (CJK text
set in Noto Serif CJK SC from Debian's fonts-noto-cjk, embedded in the PDF).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import typst

from .. import format as F
from .. import plot
from ..analysis.differs import Differences
from ..analysis.profiles import profile
from ..build import Results
from ..outfiles import write_bytes
from . import differs as said
from .citations import caveats, citation
from .i18n import check_lang, node_name, raw_value, text, unit_name, unit_of
from .provenance import method_note, methodology_rows, p_top_column, top_down
from .sentences import previous_name
from .view import EditionView

TEMPLATE = Path(__file__).parent / "templates" / "white_paper.typ"
FONTS = ["Libertinus Serif", "Noto Serif CJK SC"]  # Latin, then CJK (fonts-noto-cjk)
SERIES = plot.SERIES  # the charts are fintech_index.plot's figures, in its Okabe-Ito colours
COLORS = {"city": SERIES[0], "top10": SERIES[1], "peers": SERIES[2]}
LISTED = 8  # strengths and weaknesses listed (the largest gaps); the rest are counted
LEVELS = {"wp_level_country", "wp_level_metro", "wp_level_city"}


def _node_name(results: Results, code: str, lang: str) -> str:
    return node_name(results.framework, code, lang)


def _unit_name(results: Results, unit: str, lang: str) -> str:
    return unit_name(results.panel.units, unit, lang)


def _num(v, digits: int, lang: str) -> str:
    return F.number(v, digits, lang, missing="-")


def _rank(v) -> str:
    return F.rank(v, missing="-")


def _pct(v, lang: str) -> str:
    return F.percent(v, 0, lang, missing="-")


def _interval(audit: pd.DataFrame | None, unit: str) -> dict | None:
    if audit is None or unit not in audit.index:
        return None
    row = audit.loc[unit]
    top = p_top_column(audit)
    lo, hi = F.interval_ends(row["rank_p05"], row["rank_p95"])  # widened to whole ranks
    return {"lo": lo, "hi": hi,
            "median": round(row["median_rank"]) if "median_rank" in row else None,
            "p_top": float(row[top[0]]) if top else None,
            "top": top[1] if top else 10}


@dataclass(frozen=True)
class PaperSections:
    """What one index adds to the generic white paper, as data: the strings-table key of its
    own title (``wp_<title>`` with city and year; None: the generic title naming the index),
    raw indicator values on the cover (indicator code, label key; shown where the framework
    has the indicator) and, per city, the template's extra blocks (``records``,
    ``districts``: JSON-ready dicts) from ``blocks(unit, year, lang, city name)``; and what
    the lead told from a city's point of view (``--focus``) adds: sentences in ``lang`` on
    its counts from records, from ``focus(unit, year, lang, city name)``."""

    title: str | None = None
    cover_indicators: tuple[tuple[str, str], ...] = ()
    blocks: Callable[[str, int, str, str], dict[str, dict]] | None = None
    focus: Callable[[str, int, str, str], list[str]] | None = None


def white_paper_data(results: Results, unit: str, *, audit: pd.DataFrame | None = None,
                     lang: str = "en", view: EditionView | None = None,
                     sections: PaperSections | None = None,
                     differences: Differences | None = None) -> dict:
    """What the white paper of ``unit`` (latest year of ``results``) shows, as JSON-ready
    data. ``audit``: an uncertainty summary (unit index; rank_p05, rank_p95, median_rank,
    p_top10); without one the paper says so instead of showing an interval. ``view``: the
    latest edition as every output renders it (made here when not given). ``sections``: what the
    index adds (none: the generic paper). ``differences``: the edition against a published
    ranking (analysis.differs): a short paragraph on how the city differs from it."""
    check_lang(lang)
    extra = sections or PaperSections()
    fw = results.framework
    ctx = (view if view is not None and view.results is results
           and view.year == results.years[-1] else EditionView(results))
    cur, prev, changes, values = ctx.cur, ctx.prev, ctx.changes, ctx.values
    pr = profile(cur, unit, changes=changes)
    city = _unit_name(results, unit, lang)
    n_ranked = len(cur.ranked())
    dims = list(fw.nodes[fw.index].children)
    ch = pr.changes.set_index("node")["rank_change"] if pr.changes is not None else None
    interval = _interval(audit, unit)

    def t(key, **kw):
        return text("wp_" + key, lang, **kw)

    def raw_of(code: str) -> dict:
        v = values[unit][code]
        imputed = bool(v["imputed"])
        shown = v["value_used"] if imputed else v["value"]
        return {"value": raw_value(fw, code, shown, lang),
                "unit": unit_of(fw, code, lang),
                "year": _rank(v["source_year"]) if not imputed else "-",
                "level": v["figure_level"], "imputed": imputed,
                "method": method_note(v["imputation_method"], v["imputation_auxiliary"])}

    title = (t(extra.title, city=city, year=cur.year) if extra.title else
             t("title_generic", city=city, index=_index_name(results, lang), year=cur.year))
    change_overall = ch.get(fw.index) if ch is not None else None

    # ---- cover
    figures = [
        {"label": t("overall_rank"), "value": f"{_rank(pr.rank)} / {n_ranked}",
         "note": f"{cur.year}"},
        {"label": t("score"), "value": _num(pr.score, 2, lang), "note": "0-100"},
        {"label": t("change", year=prev.year) if prev else t("change", year="-"),
         "value": F.change(change_overall, lang) if prev else "-",
         "note": t("change_note", previous=previous_name(prev, lang),
                   rank=_rank(prev.ranks.at[unit, fw.index]))
         if prev else ""},
        {"label": t("interval"),
         "value": F.interval(interval["lo"], interval["hi"], lang) if interval else "-",
         "note": t("p_top", n=interval["top"]) + " " + _pct(interval["p_top"], lang)
         if interval and interval["p_top"] is not None else t("no_audit")},
    ]
    observed = results.observed_weight(cur.year)
    cover = said.coverage(observed[unit], lang)
    figures.append({"label": text("col_observed", lang), "value": cover.share,
                    "note": cover.mark, "alert": bool(cover.mark)})
    for code, key in extra.cover_indicators:
        if code in fw.indicators:
            r = raw_of(code)
            figures.append({"label": t(key), "value": r["value"],
                            "note": (t("imputed_by", method=r["method"]) if r["imputed"]
                                     else f"{r['year']}")})
    summary = [t("summary", city=city, rank=F.ordinal(pr.rank, lang), n=n_ranked,
                 score=_num(pr.score, 2, lang), year=cur.year,
                 change=t("summary_change", change=F.change(change_overall, lang),
                          year=prev.year) if prev else "")]
    if interval:
        summary.append(t("summary_interval", lo=interval["lo"], hi=interval["hi"],
                         median=interval["median"] or "-", top=interval["top"],
                         p=_pct(interval["p_top"], lang)))
    else:
        summary.append(t("summary_no_interval"))
    summary += _against_peers(results, cur, unit, list(pr.peers), lang)

    # ---- dimensions chart (plot.profile): the city, the top-ten mean, its peers' mean
    peers = list(pr.peers)
    shown = [(code, depth) for code, depth in top_down(fw)
             if depth > 0 and not fw.nodes[code].is_indicator]
    fig = plot.profile(results, unit, cur.year, peers=peers, nodes=[c for c, _ in shown],
                       peers_mean=True, bars=True, names={
                           c: _node_name(results, c, lang) for c, _ in shown} | {unit: city},
                       text={"top_mean": t("legend_top10"), "peers_mean": t("legend_peers")})
    rows = [{"label": label, "level": depth - 1,
             "values": [0.0 if math.isnan(tr.x[i]) else round(float(tr.x[i]), 4)
                        for tr in fig.data],
             "value_label": _num(fig.data[0].x[i], 1, lang)}
            for i, (label, (_, depth)) in enumerate(zip(fig.data[0].y, shown, strict=True))]
    chart = {"title": t("dimensions_chart"), "axis": t("chart_axis"), "rows": rows,
             "colors": [tr.marker.color for tr in fig.data],
             "legend": [{"label": tr.name, "color": tr.marker.color} for tr in fig.data]}

    # ---- the ranking tree with raw values
    tree_rows = []
    for code, depth in top_down(fw):
        node = fw.nodes[code]
        raw = raw_of(code) if node.is_indicator else None
        level = (t(f"level_{raw['level']}") if raw and f"wp_level_{raw['level']}" in LEVELS
                 else (raw["level"] if raw else ""))
        raw_cell = ""
        if raw:
            raw_cell = raw["value"]
            if raw["imputed"]:
                raw_cell += " " + t("imputed_by", method=raw["method"])
        tree_rows.append({"level": depth, "imputed": bool(raw and raw["imputed"]), "cells": [
            _node_name(results, code, lang), _rank(cur.ranks.at[unit, code]),
            _num(cur.scores.at[unit, code], 2, lang),
            F.change(ch.get(code), lang) if ch is not None else "",
            raw["year"] if raw else "", level, raw_cell]})
    rankings = {"title": t("rankings"), "rows": tree_rows, "note": t("imputed_note"),
                "head": [t("col_node"), t("col_rank"), t("col_score"), t("col_change"),
                         t("col_year"), t("col_level"), t("col_raw")]}

    # ---- strengths and weaknesses, with the reason
    top_down_order = {c: i for i, (c, _) in enumerate(top_down(fw))}
    def reason_lines(frame: pd.DataFrame, key: str) -> list[str]:
        out = []
        for r in frame.head(LISTED).itertuples():
            raw = ""
            if fw.nodes[r.node].is_indicator:
                v = raw_of(r.node)
                raw = (t("raw_clause_imputed", value=v["value"]) if v["imputed"]
                       else t("raw_clause", value=v["value"], year=v["year"]))
            out.append(t(key, node=_node_name(results, r.node, lang), rank=_rank(r.rank),
                         gap=int(abs(r.rank_gap)), raw=raw))
        if len(frame) > LISTED:
            out.append(t("more", n=len(frame) - LISTED))
        return out or [t("none")]

    strengths, rule = reason_lines(pr.strengths, "strength_line"), t(
        "strengths_rule", rank=_rank(pr.rank))
    if pr.strengths.empty:  # at the top no node ranks three places above it: its best nodes
        at = cur.ranks.loc[unit]
        best = sorted((c for c, d in top_down(fw) if d > 0 and not fw.nodes[c].is_indicator
                       and at[c] <= pr.rank), key=lambda c: (at[c], top_down_order[c]))
        if best:
            strengths = [t("best_line", node=_node_name(results, c, lang), rank=_rank(at[c]))
                         for c in best[:LISTED]]
            rule += " " + t("strengths_rule_top")
    prof = {"title": t("strengths"), "rule": rule,
            "strengths_head": t("strength_head"), "weaknesses_head": t("weakness_head"),
            "strengths": strengths,
            "weaknesses": reason_lines(pr.weaknesses, "weakness_line")}

    # ---- peers
    order = list(cur.ranked().index)
    pos = order.index(unit)
    around = order[max(0, pos - 2):pos + 3]
    peer_rows = [{"self": u == unit, "cells": [
        _rank(cur.ranks.at[u, fw.index]), said.marked(_unit_name(results, u, lang),
                                                      observed[u], lang),
        _num(cur.scores.at[u, fw.index], 2, lang),
        "" if u == unit else F.signed(cur.scores.at[u, fw.index] - pr.score, 2, lang)]}
        for u in around]
    peers_block = {"title": t("peers"), "note": t("peers_note", city=city),
                   "head": [t("col_rank"), t("col_city"), t("col_score"),
                            t("col_gap", city=city)], "rows": peer_rows}

    # ---- rank history across editions (plot.rank_history: the city on each node)
    years = list(results.years)
    hist_nodes = [fw.index] + dims
    fig = plot.rank_history(results, units=[unit], nodes=hist_nodes,
                            names={c: _node_name(results, c, lang) for c in hist_nodes})
    series = [{"label": tr.name, "color": tr.line.color,
               "ranks": [None if np.isnan(r) else int(r) for r in tr.y]} for tr in fig.data]
    hist_rows = [[s["label"]] + [_rank(r) for r in s["ranks"]] for s in series]
    shown = [r for s in series for r in s["ranks"] if r is not None] or [1]
    min_rank, max_rank = max(1, min(shown) - 1), max(shown) + 1
    step = max(1, math.ceil((max_rank - min_rank) / 5))
    history = {"title": t("history"), "note": t("history_note"), "years": years,
               "series": series, "min_rank": min_rank, "max_rank": max_rank,
               "axis_ranks": list(range(min_rank, max_rank + 1, step)),
               "legend": [{"label": s["label"], "color": s["color"]} for s in series],
               "head": [t("col_node")] + [str(y) for y in years], "rows": hist_rows}

    blocks = extra.blocks(unit, cur.year, lang, city) if extra.blocks else {}
    differs = None
    if differences is not None:
        units, nodes = ctx.names(lang)
        differs = {"title": text("differs_heading", lang),
                   "text": said.city_paragraph(differences, unit, lang, nodes, units)}
    return {
        "lang": lang, "fonts": FONTS, "title": title, "index_name": _index_name(results, lang),
        "footer": f"{_index_name(results, lang)} · {cur.year}",
        "cover": {"title": t("key_figures"), "figures": figures}, "summary": summary,
        "chart": chart, "rankings": rankings, "profile": prof, "peers": peers_block,
        "history": history, "interval": summary[1] if interval else None,
        "coverage": said.coverage_rule(lang), "differs": differs,
        "records": blocks.get("records"), "districts": blocks.get("districts"),
        "methodology": _methodology_block(results, unit, city, cur.year, lang, values),
    }


def _against_peers(results: Results, cur, unit: str, peers: list[str], lang: str
                   ) -> list[str]:
    """The summary's point of view: the dimension or pillar where the city leads its peers
    (the cities ranked just above and below it) by most, and where it trails them by most,
    by score against the peers' mean (nothing without peers or with one node)."""
    fw = results.framework
    nodes = [c for c, depth in top_down(fw) if depth > 0 and not fw.nodes[c].is_indicator]
    gaps = {c: float(cur.scores.at[unit, c]) - float(cur.scores.loc[peers, c].mean())
            for c in nodes} if peers else {}
    gaps = {c: g for c, g in gaps.items() if g == g}
    if len(gaps) < 2:
        return []
    best = max(gaps, key=lambda c: (gaps[c], -nodes.index(c)))
    worst = min(gaps, key=lambda c: (gaps[c], nodes.index(c)))

    def fig(c: str) -> dict:
        return {"score": _num(cur.scores.at[unit, c], 1, lang),
                "mean": _num(cur.scores.loc[peers, c].mean(), 1, lang)}

    b, w = fig(best), fig(worst)
    return [text("wp_summary_peers", lang, city=_unit_name(results, unit, lang),
                 peers=F.join([_unit_name(results, u, lang) for u in peers], lang),
                 best=_node_name(results, best, lang), best_score=b["score"],
                 best_mean=b["mean"], worst=_node_name(results, worst, lang),
                 worst_score=w["score"], worst_mean=w["mean"])]


def _index_name(results: Results, lang: str) -> str:
    return _node_name(results, results.framework.index, lang)


def _methodology_block(results: Results, unit: str, city: str, year: int, lang: str,
                       values: dict[str, dict[str, dict]]) -> dict:
    fw = results.framework
    meth = methodology_rows(results, lang)
    meth.iloc[-1, meth.columns.get_loc("method")] = results.methodology.hash[:16]  # the hash
    weights = results.weight_table()
    weights = weights[weights["year"] == year].set_index("node")["weight"]
    indicators = []
    for code in fw.indicators:
        n = fw.nodes[code]
        level = n.figure_level or ""
        indicators.append([code, _node_name(results, code, lang), unit_of(fw, code, lang),
                           text(f"wp_level_{level}", lang) if f"wp_level_{level}" in LEVELS
                           else level, _num(weights.get(code, np.nan), 2, lang),
                           citation(n.source, lang)])
    mine = values[unit]
    imputed = [text("with_note", lang, name=_node_name(results, c, lang),
                    note=method_note(mine[c]["imputation_method"],
                                     mine[c]["imputation_auxiliary"]))
               for c in fw.indicators if mine[c]["imputed"]]
    return {
        "title": text("wp_methodology", lang),
        "note": text("wp_methodology_note", lang, hash=results.methodology.hash[:16]),
        "head": [text("wp_col_stage", lang), text("wp_col_applies", lang),
                 text("wp_col_method", lang), text("wp_col_params", lang),
                 text("wp_col_reason", lang)],
        "rows": [[r.stage, r.applies_to, r.method, r.parameters, r.reason]
                 for r in meth.itertuples()],
        "indicators_title": text("wp_indicators", lang),
        "indicators_head": [text("wp_col_code", lang), text("wp_col_name", lang),
                            text("wp_col_unit", lang), text("wp_col_level", lang),
                            text("wp_col_weight", lang), text("wp_col_source", lang)],
        "indicators": indicators,
        "caveats": " ".join(caveats([fw.nodes[c].source for c in fw.indicators], lang)),
        "imputed": text("wp_imputed_list", lang, city=city, year=year,
                          list=", ".join(imputed) if imputed else text("wp_none", lang)),
    }


@cache
def _compiler(payload_key: str = "data") -> typst.Compiler:
    """One Typst compiler for the template per process: fonts are loaded once, then each
    paper compiles with its own inputs (the same bytes as a fresh compile)."""
    return typst.Compiler(str(TEMPLATE), root=str(TEMPLATE.parent),
                          sys_inputs={payload_key: "{}"})


def write_white_paper(results: Results, unit: str, path: str | Path, *,
                      audit: pd.DataFrame | None = None, lang: str = "en",
                      view: EditionView | None = None,
                      sections: PaperSections | None = None,
                      differences: Differences | None = None) -> Path:
    """Typeset the white paper of ``unit`` to ``path`` (same results, same bytes)."""
    data = white_paper_data(results, unit, audit=audit, lang=lang, view=view,
                            sections=sections, differences=differences)
    payload = json.dumps(data, ensure_ascii=False, sort_keys=True, allow_nan=False)
    return write_bytes(path, _compiler().compile(sys_inputs={"data": payload}))
