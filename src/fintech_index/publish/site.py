"""The static report site of an edition: works offline from file:// (plotly.js is copied
from the plotly package, nothing is loaded from the network).

Pages: index.html (ranking with changes, world map, gap across editions, rank intervals
from an audit when one is given), rankings.html (every dimension and pillar),
city/<code>.html (profile: position on every node, strengths and weaknesses, changes),
methodology.html (every choice, every indicator with its level and source, imputed and
country-level values marked).
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.changes import compare
from ..analysis.edition import Edition
from ..analysis.gaps import gap
from ..analysis.profiles import profile
from ..analysis.sentences import edition_sentences
from ..build import Results
from ..panel import IMPUTED
from ..safe import file_segment, file_segments

CSS = """body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1rem 0}
td,th{padding:.25rem .6rem;border-bottom:1px solid #ddd;text-align:right}
td:nth-child(2),th:nth-child(2){text-align:left}.up{color:#1a7f37}.down{color:#c62828}
nav a{margin-right:1rem}.note{color:#666;font-size:.9em}.chart{height:420px}"""


def _e(v) -> str:
    return html.escape(str(v), quote=True)


def _num(v: float, digits: int = 1) -> str:
    return "" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{v:.{digits}f}"


def _rank(v: float) -> str:
    return "" if v is None or np.isnan(v) else str(int(v))


def _arrow(change: float) -> str:
    if change is None or np.isnan(change):
        return "<span>new</span>"
    if change > 0:
        return f'<span class="up">&#9650;{int(change)}</span>'
    if change < 0:
        return f'<span class="down">&#9660;{int(-change)}</span>'
    return "<span>=</span>"


def _page(title: str, body: str, depth: int = 0) -> str:
    up = "../" * depth
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{_e(title)}'
            f'</title><style>{CSS}</style><script src="{up}assets/plotly.min.js"></script>'
            f'</head><body><nav><a href="{up}index.html">Ranking</a><a href="{up}rankings.html">'
            f'Dimensions</a><a href="{up}methodology.html">Methodology</a></nav>'
            f"<h1>{_e(title)}</h1>{body}</body></html>")


def _plot(div: str, data: list, layout: dict) -> str:
    payload = json.dumps({"data": data, "layout": layout}).replace("</", "<\\/")
    return (f'<div id="{div}" class="chart"></div><script>(function(){{var p={payload};'
            f'Plotly.newPlot("{div}",p.data,p.layout,{{displayModeBar:false}});}})();</script>')


def write_site(results: Results, out_dir: str | Path, *, coordinates: pd.DataFrame | None
               = None, audit: pd.DataFrame | None = None, top: int = 10) -> list[Path]:
    """Write the site for the latest year of ``results`` (changes against the year before
    it, if any). ``coordinates``: code, latitude, longitude; ``audit``: an uncertainty
    summary (unit index, rank_p05, rank_p95, median_rank)."""
    out = Path(out_dir)
    (out / "assets").mkdir(parents=True, exist_ok=True)
    (out / "city").mkdir(exist_ok=True)
    import plotly

    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js",
                out / "assets" / "plotly.min.js")
    cur = Edition.of(results)
    prev = Edition.of(results, results.years[-2]) if len(results.years) > 1 else None
    changes = compare(cur, prev) if prev is not None else None
    written = [_index(results, cur, prev, changes, coordinates, audit, top, out)]
    written.append(_rankings(results, cur, changes, out))
    file_segments(cur.ranked().index, what="unit")  # refuses codes one file apart [U65]
    for unit in cur.ranked().index:
        written.append(_city(results, cur, changes, unit, out))
    written.append(_methodology(results, out))
    return written


def _index(results, cur, prev, changes, coords, audit, top, out) -> Path:
    fw = results.framework
    dims = list(fw.nodes[fw.index].children)
    rows = []
    ch = changes.node() if changes is not None else None
    for unit in cur.ranked().index:
        arrow = _arrow(ch.at[unit, "rank_change"]) if ch is not None else ""
        interval = ""
        if audit is not None and unit in audit.index:
            interval = f"{_rank(audit.at[unit, 'rank_p05'])}-{_rank(audit.at[unit, 'rank_p95'])}"
        cells = "".join(f"<td>{_rank(cur.ranks.at[unit, d])}</td>" for d in dims)
        rows.append(f'<tr><td>{_rank(cur.ranks.at[unit, fw.index])}</td><td><a href="city/'
                    f'{file_segment(unit)}.html">{_e(cur.name(unit))}</a></td><td>{arrow}</td>'
                    f"<td>{_num(cur.scores.at[unit, fw.index])}</td><td>{interval}</td>"
                    f"{cells}</tr>")
    head = "".join(f"<th>{_e(fw.nodes[d].name)}</th>" for d in dims)
    audit_note = ("" if audit is not None else '<p class="note">No audit given: no rank '
                  "intervals (run <code>fintech-index audit</code>).</p>")
    said = "".join(f"<li>{_e(s)}</li>" for s in edition_sentences(cur, prev, top=top))
    body = (f"<details open><summary>What changed</summary><ul>{said}</ul></details>"
            f"{audit_note}<table><tr><th>rank</th><th>city</th><th>change</th><th>score</th>"
            f"<th>rank 5-95%</th>{head}</tr>{''.join(rows)}</table>")
    if coords is not None:
        c = coords.set_index("code").reindex(list(cur.ranked().index)).dropna()
        body += "<h2>Map</h2>" + _plot("map", [{
            "type": "scattergeo", "lat": c["latitude"].tolist(), "lon": c["longitude"].tolist(),
            "text": [f"{cur.name(u)}: rank {_rank(cur.ranks.at[u, fw.index])}"
                     for u in c.index],
            "marker": {"size": [max(4, 24 - cur.ranks.at[u, fw.index] / 2) for u in c.index]},
            "mode": "markers"}], {"geo": {"showcountries": True}, "margin": {"t": 10}})
    gaps = [gap(Edition.of(results, y), top) for y in results.years]
    body += f"<h2>Gap among the top {top} across editions</h2>" + _plot("gap", [
        {"type": "scatter", "x": list(results.years), "y": [g.range for g in gaps],
         "name": "score range"},
        {"type": "scatter", "x": list(results.years), "y": [g.sd for g in gaps],
         "name": "standard deviation"}], {"xaxis": {"dtick": 1}, "margin": {"t": 10}})
    p = out / "index.html"
    p.write_text(_page(f"{fw.name}: {cur.year}", body), encoding="utf-8")
    return p


def _rankings(results, cur, changes, out) -> Path:
    fw = results.framework
    parts = []
    for node in [c for c in reversed(results.nodes) if not fw.nodes[c].is_indicator]:
        if node == fw.index:
            continue
        ch = changes.node(node) if changes is not None else None
        rows = "".join(
            f"<tr><td>{_rank(cur.ranks.at[u, node])}</td><td>{_e(cur.name(u))}</td>"
            f"<td>{_arrow(ch.at[u, 'rank_change']) if ch is not None else ''}</td>"
            f"<td>{_num(cur.scores.at[u, node])}</td></tr>" for u in cur.ranked(node).index)
        parts.append(f"<h2>{_e(fw.nodes[node].name)}</h2><table><tr><th>rank</th><th>city"
                     f"</th><th>change</th><th>score</th></tr>{rows}</table>")
    p = out / "rankings.html"
    p.write_text(_page(f"{fw.name}: dimensions and pillars {cur.year}", "".join(parts)),
                 encoding="utf-8")
    return p


def _city(results, cur, changes, unit, out) -> Path:
    fw = results.framework
    pr = profile(cur, unit, changes=changes)
    ch = pr.changes.set_index("node") if pr.changes is not None else None
    rows = []
    for node in [fw.index] + [c for c in reversed(results.nodes) if c != fw.index]:
        n = fw.nodes[node]
        level = f" ({n.figure_level} figure)" if n.figure_level == "country" else ""
        change = _arrow(ch.at[node, "rank_change"]) if ch is not None else ""
        rows.append(f"<tr><td>{_rank(cur.ranks.at[unit, node])}</td><td>{_e(n.name)}{level}"
                    f"</td><td>{change}</td><td>{_num(cur.scores.at[unit, node], 2)}</td></tr>")

    def listing(frame):
        return ", ".join(f"{_e(fw.nodes[r.node].name)} ({_rank(r.rank)})"
                         for r in frame.itertuples()) or "none"

    body = (f"<p>Rank <b>{_rank(pr.rank)}</b> of {len(cur.ranked())}, score "
            f"<b>{_num(pr.score, 2)}</b>. Peers: "
            f"{', '.join(_e(cur.name(u)) for u in pr.peers)}.</p>"
            f"<p>Strengths: {listing(pr.strengths)}.</p><p>Weaknesses: "
            f"{listing(pr.weaknesses)}.</p><table><tr><th>rank</th><th>node</th><th>change</th>"
            f"<th>score</th></tr>{''.join(rows)}</table>")
    p = out / "city" / f"{file_segment(unit, what='unit')}.html"  # never '../' (issue 17)
    p.write_text(_page(f"{cur.name(unit)}: {fw.name} {cur.year}", body, depth=1),
                 encoding="utf-8")
    return p


def _methodology(results, out) -> Path:
    fw = results.framework
    meth = results.methodology.model_dump(mode="json")
    choices = "".join(f"<tr><td>{_e(k)}</td><td>{_e(json.dumps(v))}</td></tr>"
                      for k, v in meth.items())
    nodes = results.node_table()
    ind = "".join(f"<tr><td>{_e(r.node)}</td><td>{_e(r.name)}</td><td>{_e(r.figure_level or '')}"
                  f"</td><td>{_e(r.unit or '')}</td><td>{_e(r.source or '')}</td></tr>"
                  for r in nodes[nodes["indicator"]].itertuples())
    y = len(results.years) - 1
    flags = results.flags[y]
    imputed = [(results.units[u], fw.indicators[k]) for u, k in np.argwhere(flags & IMPUTED)]
    imp = "".join(f"<tr><td>{_e(u)}</td><td>{_e(k)}</td></tr>" for u, k in imputed)
    body = (f"<p>Methodology hash {results.methodology.hash[:16]}.</p><h2>Choices</h2>"
            f"<table>{choices}</table><h2>Indicators</h2><p class=note>A country figure given "
            "to a city is marked 'country'.</p><table><tr><th>code</th><th>name</th><th>level"
            f"</th><th>unit</th><th>source</th></tr>{ind}</table><h2>Imputed values "
            f"({results.years[y]}: {len(imputed)})</h2><table><tr><th>unit</th><th>indicator"
            f"</th></tr>{imp}</table>")
    p = out / "methodology.html"
    p.write_text(_page(f"{fw.name}: methodology", body), encoding="utf-8")
    return p
