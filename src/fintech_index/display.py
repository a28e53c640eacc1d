"""How the model's objects show themselves in a terminal (``repr``) and a notebook
(``_repr_html_``): a title, one small table and notes, with every number through
:mod:`.format` (the formatting module of every output) and every text HTML-escaped.

Each class calls its ``*_view`` function from two one-line hooks; this module knows the
classes only by their attributes, so the model imports it (it sits in the base layer).
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np

from . import format as f

ROWS = 10  # units (or nodes of a long tree: TREE_ROWS) shown before "... and N more"
TREE_ROWS = 60


@dataclass(frozen=True)
class View:
    """A title, a table (``align``: one "l" or "r" per column) and notes under it."""

    title: str
    headers: tuple[str, ...]
    align: str
    rows: tuple[tuple[str, ...], ...]
    notes: tuple[str, ...] = ()

    def text(self) -> str:
        """Plain text: the title, the columns padded to their widest cell, the notes."""
        cells = [self.headers, *self.rows]
        widths = [max(len(r[i]) for r in cells) for i in range(len(self.headers))]

        def line(row: tuple[str, ...]) -> str:
            return "  ".join(c.rjust(w) if a == "r" else c.ljust(w)
                             for c, w, a in zip(row, widths, self.align, strict=True)).rstrip()

        return "\n".join([self.title, *(line(r) for r in cells), *self.notes])

    def html(self) -> str:
        """A <div> with the title in <strong>, a <table> and one <p> per note, escaped."""
        e = html.escape

        def tr(row: tuple[str, ...], tag: str) -> str:
            return "<tr>" + "".join(
                f'<{tag} style="text-align:{"right" if a == "r" else "left"}">{e(c)}</{tag}>'
                for c, a in zip(row, self.align, strict=True)) + "</tr>"

        body = "".join(tr(r, "td") for r in self.rows)
        notes = "".join(f"<p>{e(n)}</p>" for n in self.notes)
        return (f'<div class="fintech-index"><strong>{e(self.title)}</strong>'
                f"<table><thead>{tr(self.headers, 'th')}</thead><tbody>{body}</tbody></table>"
                f"{notes}</div>")




def _n(k: int, word: str) -> str:
    """A count and its noun: 1 aggregate, 3 aggregates."""
    return f"{k} {word}" + ("" if k == 1 else "s")


def _more(shown: int, total: int, what: str) -> tuple[str, ...]:
    return (f"... and {total - shown} more {what}",) if total > shown else ()


def _years(years: tuple[int, ...]) -> str:
    return str(years[0]) if len(years) == 1 else f"{years[0]}\u2013{years[-1]}"


def results_view(res) -> View:
    """The latest year's ranking on the index, best first: rank, unit, name, score."""

    top = res.ranking()
    # an index on [0, 1] (UNDP's) is read to 3 decimals; on [0, 100] to 2, as outputs print it
    small = bool(np.nanmax(np.abs(top["score"].to_numpy(float)), initial=0) <= 1)
    rows = tuple((f.rank(r.rank, missing="\u2013"), str(u), str(r.name),
                  f.number(r.score, 3, missing="\u2013") if small else
                  f.score(r.score, missing="\u2013"))
                 for u, r in zip(top.index[:ROWS], top.iloc[:ROWS].itertuples(), strict=True))
    fw = res.framework
    title = (f"Results: {fw.name}, {_n(len(res.units), 'unit')}, "
             f"{_n(len(fw.indicators), 'indicator')}, {_n(len(fw.aggregates), 'aggregate')}, "
             f"years {_years(res.years)}")
    return View(title, ("rank", "unit", "name", "score"), "rllr", rows,
                (*_more(len(rows), len(top), "units"),
                 f"ranking of {res.years[-1]}; methodology {res.methodology.hash[:12]}"))


def uncertainty_view(ua) -> View:
    """Per unit (by median rank): nominal and median rank, 5-95% rank interval, P(top N)."""

    s = ua.summary()
    if ua.percentile:  # percentile ranks, 1 = best: 4 decimals, no P(top N)
        rows = tuple((str(u), *(f.number(v, 4, missing="\u2013") for v in
                                (r.nominal_rank, r.median_rank, r.rank_p05, r.rank_p95)))
                     for u, r in zip(s.index[:ROWS], s.iloc[:ROWS].itertuples(), strict=True))
        return View(f"Uncertainty analysis: {f.number(len(ua.ranks), 0)} replications, "
                    f"{len(ua.units)} units (percentile ranks)",
                    ("unit", "nominal", "median", "5%", "95%"), "lrrrr", rows,
                    _more(len(rows), len(s), "units"))
    p = f"p_top{ua.top}"
    rows = tuple((str(u), f.rank(r.nominal_rank, missing="\u2013"),
                  f.number(r.median_rank, 1, missing="\u2013"),
                  f.interval(r.rank_p05, r.rank_p95, missing="\u2013"),
                  f.percent(getattr(r, p)))
                 for u, r in zip(s.index[:ROWS], s.iloc[:ROWS].itertuples(), strict=True))
    return View(f"Uncertainty analysis: {f.number(len(ua.ranks), 0)} replications, "
                f"{len(ua.units)} units",
                ("unit", "nominal rank", "median rank", "rank 5-95%", f"P(top {ua.top})"),
                "lrrrr", rows, _more(len(rows), len(s), "units"))


def audit_view(audit) -> View:
    """The uncertainty table under a title that says what the audit ran, and the parent
    links coherence flags (weak or negative)."""

    ua, sa = audit.uncertainty, audit.sensitivity
    v = uncertainty_view(ua)
    flagged = audit.parent_links[audit.parent_links["flag"] != ""]
    links = [f"{r.node} ({r.flag}, r = {f.number(r.r, 2)})" for r in flagged.itertuples()]
    return View(f"Audit of {audit.engine.framework.name}: {_n(len(ua.ranks), 'replication')}"
                + (f", Sobol N = {f.number(sa.n, 0)}" if sa is not None else ""),
                v.headers, v.align, v.rows,
                (*v.notes, f"coherence: {_n(len(links), 'weak or negative link')} to a parent"
                 + (f": {', '.join(links[:6])}{', ...' if len(links) > 6 else ''}"
                    if links else ""),
                 "audit.uncertainty, audit.sensitivity, audit.parent_links, audit.write(dir)"))


def sensitivity_view(sa) -> View:
    """First (S) and total (ST) Sobol indices with their intervals, for the summary outputs
    (every output but the units' own ranks)."""

    def ci(lo: float, hi: float) -> str:
        return f"[{f.number(lo, 3)}, {f.number(hi, 3)}]"

    t = sa.table()
    t = t[~t["output"].str.startswith("rank ")]
    rows = tuple((r.output, r.factor, f.number(r.S, 3), ci(r.S_low, r.S_high),
                  f.number(r.ST, 3), ci(r.ST_low, r.ST_high)) for r in t.itertuples())
    ranks = sum(o.startswith("rank ") for o in sa.outputs)
    more = f"Sensitivity.table() also has each unit's rank ({_n(ranks, 'output')})"
    return View(f"Sensitivity analysis (Sobol): N = {f.number(sa.n, 0)}, "
                f"{_n(len(sa.factors), 'factor')}, {_n(len(sa.outputs), 'output')}",
                ("output", "factor", "S", "S interval", "ST", "ST interval"), "llrrrr", rows,
                (more,) if ranks else ())


def framework_view(fw) -> View:
    """The tree from the index down, a child indented under its parent: code, name, weight,
    direction of an indicator."""

    rows: list[tuple[str, ...]] = []

    def walk(code: str, depth: int) -> None:
        n = fw.nodes[code]
        rows.append(("  " * depth + code, n.name, f.value(n.weight),
                     ("+" if n.direction > 0 else "\u2212") if n.is_indicator else ""))
        for kid in n.children:
            walk(kid, depth + 1)

    walk(fw.index, 0)
    levels = fw.nodes[fw.index].level
    return View(f"Framework: {fw.name}, {_n(len(fw.indicators), 'indicator')}, "
                f"{_n(len(fw.aggregates), 'aggregate')}, {_n(levels, 'level')} "
                f"({fw.source_file})",
                ("node", "name", "weight", "direction"), "llrl", tuple(rows[:TREE_ROWS]),
                _more(TREE_ROWS, len(rows), "nodes"))


def methodology_view(meth) -> View:
    """One row per stage: the choice and its overrides by level and by node."""

    def overrides(stage) -> str:
        by = [*(f"level {k}: {f.choice(c.method, c.params)}" for k, c in stage.by_level.items()),
              *(f"{k}: {f.choice(c.method, c.params)}" for k, c in stage.by_node.items())]
        return "; ".join(by)

    rows = [("denominate", "yes" if meth.denominate else "no", "")]
    for name in ("impute", "treat", "normalise", "weight", "aggregate"):
        stage = getattr(meth, name)
        rows.append((name, "none", "") if stage is None else
                    (name, f.choice(stage.method, stage.params), overrides(stage)))
        if name == "impute":
            s = meth.screen
            rows.append(("screen", "none" if s is None else f.choice(
                s.unit_screen, {"dat_thresh": s.dat_thresh, "action": s.action}), ""))
    rows.append(("round", "; ".join(f"{k}: {v}" for k, v in meth.round.items()) or "none", ""))
    for rule, given in (("min_indicators", meth.min_indicators), ("fill", meth.fill)):
        if given:  # shown only when given, as they are dumped
            rows.append((rule, "; ".join(f"{k}: {v}" for k, v in given.items()), ""))
    r = meth.rank
    unranked = [f"unranked: {', '.join(r.exclude_levels)}"] if r.exclude_levels else []
    unranked += [f"only units with {r.only}: yes"] if r.only is not None else []
    rows.append(("rank", f"ties: {r.ties}" + (f"; decimals: {r.decimals}"
                                              if r.decimals is not None else ""),
                 "; ".join(unranked)))
    return View(f"Methodology{': ' + meth.name if meth.name else ''} ({meth.hash[:12]})",
                ("stage", "choice", "overrides"), "lll", tuple(rows))


def store_view(store) -> View:
    """Every edition: name, what it revises, framework, years, date."""
    from .errors import StoreError

    try:
        eds = store.editions()
    except StoreError:  # closed (or damaged): the store still shows itself
        return View(f"Store: {store.path} (closed or unreadable)", ("edition",), "l", ())
    rows = tuple((str(r.name), "" if f.is_missing(r.revises) else str(r.revises),
                  str(r.framework_name), str(r.years).strip("[]").replace(" ", ""),
                  f.date(r.created_at.date())) for r in eds.itertuples())
    return View(f"Store: {store.path}, {_n(len(rows), 'edition')}",
                ("edition", "revises", "framework", "years", "published"), "lllll", rows)
