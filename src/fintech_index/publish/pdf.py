"""City white papers as PDF, typeset by Typst (the ``typst`` Python package); charts are
drawn by Typst itself (rectangles and text), so they are vector graphics.

"<City> fintech development white paper <year>": profile, rankings on every dimension and
pillar with changes, a chart of the dimensions against the top-10 mean, strengths and
weaknesses, regional context, district analysis when the store holds records with
districts for the city, and a methodology annex with every indicator's level and source.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typst

from ..analysis.changes import compare
from ..analysis.edition import Edition
from ..analysis.profiles import profile
from ..analysis.regions import regional_leads
from ..build import Results
from ..panel import IMPUTED
from ..safe import typst_length, typst_string, typst_text


def _t(text) -> str:
    """Text for Typst markup, shown literally (fintech_index.safe.typst_text)."""
    return typst_text(text)


def _s(text) -> str:
    """Text inside a Typst string literal (fintech_index.safe.typst_string)."""
    return typst_string(text)


def _score(v) -> str:
    return "-" if v is None or np.isnan(v) else f"{v:.2f}"


def _rank(v) -> str:
    return "-" if v is None or np.isnan(v) else str(int(v))


def _change(v) -> str:
    if v is None or np.isnan(v):
        return "new"
    return "=" if v == 0 else (f"up {int(v)}" if v > 0 else f"down {int(-v)}")


def _bars(rows: list[tuple[str, float, float]]) -> str:
    """A horizontal bar chart: the city's score (dark) and the top-10 mean (light)."""
    out = ["#table(columns: (auto, 1fr), stroke: none, inset: 3pt,"]
    for name, mine, ref in rows:
        # a missing score (na_rm) is a bar of 0, never 'nancm' (issue 17)
        a, b = typst_length(mine / 100 * 9), typst_length(ref / 100 * 9)
        out.append(f"[{_t(name)}], [#stack(spacing: 2pt, "
                   f"rect(width: {a}, height: 0.3cm, fill: rgb(\"#1f4e79\")), "
                   f"rect(width: {b}, height: 0.3cm, fill: rgb(\"#9dc3e6\"))) "
                   f"{_t(_score(mine))} / {_t(_score(ref))}],")
    out.append(")")
    return "\n".join(out)


def _aggregates_top_down(fw, code: str) -> list[str]:
    """The node and the aggregates under it, each parent before its children."""
    out = [code]
    for child in fw.nodes[code].children:
        if not fw.nodes[child].is_indicator:
            out += _aggregates_top_down(fw, child)
    return out


def white_paper_source(results: Results, unit: str, districts: list[str] | None = None
                       ) -> str:
    """The Typst source of one city's white paper for the latest year of ``results``."""
    fw = results.framework
    cur = Edition.of(results)
    prev = Edition.of(results, results.years[-2]) if len(results.years) > 1 else None
    changes = compare(cur, prev) if prev is not None else None
    pr = profile(cur, unit, changes=changes)
    name = cur.name(unit)
    n_ranked = len(cur.ranked())
    dims = list(fw.nodes[fw.index].children)
    top10 = list(cur.ranked().index[:10])
    lines = [
        # no creation date in the PDF: the same results give the same bytes
        f'#set document(title: "{_s(name)} fintech development white paper {cur.year}", '
        "date: none)",
        '#set page(paper: "a4", margin: 2cm, numbering: "1")',
        '#set text(size: 10pt)',
        f"= {_t(name)} fintech development white paper {cur.year}",
        f"_{_t(fw.name)}_",
        "== Profile",
        f"{_t(name)} ranks *{_rank(pr.rank)}* of {n_ranked} with a score of "
        f"*{pr.score:.2f}* in {cur.year}"
        + (f" ({_change(changes.node().at[unit, 'rank_change'])} since {prev.year})."
           if changes is not None else ".")
        + f" Its peers in the ranking: {_t(', '.join(cur.name(u) for u in pr.peers))}.",
        "== Rankings",
        "#table(columns: 4, [*Node*], [*Rank*], [*Score*], [*Change*],",
    ]
    ch = pr.changes.set_index("node") if pr.changes is not None else None
    for node in _aggregates_top_down(fw, fw.index):
        lines.append(f"[{_t(fw.nodes[node].name)}], [{_rank(cur.ranks.at[unit, node])}], "
                     f"[{cur.scores.at[unit, node]:.2f}], "
                     f"[{_change(ch.at[node, 'rank_change']) if ch is not None else ''}],")
    lines.append(")")
    lines.append("== Dimensions against the top-10 mean")
    lines.append(_bars([(fw.nodes[d].name, float(cur.scores.at[unit, d]),
                         float(cur.scores.loc[top10, d].mean())) for d in dims]))

    def listing(frame):
        return ", ".join(f"{fw.nodes[r.node].name} ({_rank(r.rank)})"
                         for r in frame.itertuples()) or "none"

    lines += ["== Strengths and weaknesses",
              f"Strengths (ranked at least three places above its overall rank): "
              f"{_t(listing(pr.strengths))}.",
              "",
              f"Weaknesses (at least three places below): {_t(listing(pr.weaknesses))}."]
    region = cur.units["region"].get(unit) if "region" in cur.units else None
    if isinstance(region, str):
        leads = regional_leads(cur, top=10)
        same = [u for u in cur.ranked().index if cur.units["region"].get(u) == region]
        lines += ["== Regional context",
                  f"{_t(name)} is {_rank(same.index(unit) + 1)} of {len(same)} cities in "
                  f"{_t(region)}; the region has {int(leads.at[region, 'top_10'])} of the top "
                  f"ten (mean index score {leads.at[region, f'mean_{fw.index}']:.2f})."]
    lines.append("== Districts")
    lines.append(_t(" ".join(districts)) if districts else
                 "No district records for this city in the store.")
    lines += ["#pagebreak()", "== Methodology annex",
              _t(f"Methodology {results.methodology.name or ''} (hash "
                 f"{results.methodology.hash[:16]})."),
              "#table(columns: (auto, 1fr, auto, 1fr), [*Indicator*], [*Name*], [*Level*], "
              "[*Source*],"]
    for code in fw.indicators:
        n = fw.nodes[code]
        lines.append(f"[{_t(code)}], [{_t(n.name)}], [{_t(n.figure_level or '')}], "
                     f"[{_t(n.source or '')}],")
    lines.append(")")
    y = len(results.years) - 1
    u = results.units.index(unit)
    imputed = [fw.indicators[k] for k in np.flatnonzero(results.flags[y, u] & IMPUTED)]
    lines.append(f"Imputed values of {_t(name)} in {cur.year}: "
                 f"{_t(', '.join(imputed)) if imputed else 'none'}.")
    return "\n".join(lines) + "\n"


def write_white_paper(results: Results, unit: str, path: str | Path,
                      districts: list[str] | None = None) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(typst.compile(white_paper_source(results, unit, districts).encode("utf-8")))
    return p
