"""COINr's plots as interactive Plotly figures, from any results (issue 26).

One function per kind, named and argued as COINr's ``plot_*`` (``iCode`` is ``node``,
``uLabel`` is ``ulabel``, ``usel`` selects units): :func:`bar`, :func:`dot`,
:func:`framework`, :func:`corr`, :func:`scatter`, :func:`dist`, :func:`uncertainty`,
:func:`sensitivity`, and :func:`rank_history` across editions; for a published edition also
:func:`world_map` (the units at their coordinates, the top ten labelled), :func:`gap` (the
gap among the top N over every edition) and :func:`profile` (one unit against the top-N
mean and its peers on each aggregate). The report site and the white papers draw with these
functions (one chart definition per kind). Each returns a
``plotly.graph_objects.Figure``: ``fig.show()`` in a notebook, ``fig.write_html(path)``, or
``fig.write_image("x.png")`` (kaleido with a Chromium).

Data sets (``dset``): ``"scores"`` (default: an indicator's normalised score, an
aggregate's score) or one of :meth:`Results.dataset`'s names for indicators (``"raw"``,
``"imputed"``, ``"treated"``, ``"normalised"`` ...).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .errors import FintechIndexError, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

    from .audit.run import Audit
    from .audit.sensitivity import Sensitivity
    from .audit.uncertainty import Uncertainty
    from .build import Results
    from .framework import Framework
    from .store import Store

ULABELS = ("code", "name")
DIST_TYPES = ("box", "violin", "histogram")
ORDER_BY = ("nominal", "median")
STATS = ("mean", "median")
# Okabe, M. and Ito, K. (2008), "Color Universal Design (CUD): how to make figures and
# presentations that are friendly to colorblind people", https://jfly.uni-koeln.de/color/ :
# eight colours told apart under the common colour-vision deficiencies. Every figure here,
# on the site and in the papers, takes its colours from this set (SERIES is each figure's
# colorway), and series are also told apart by marker shape (SYMBOLS), not colour alone.
OKABE_ITO = {"black": "#000000", "orange": "#E69F00", "sky blue": "#56B4E9",
             "bluish green": "#009E73", "yellow": "#F0E442", "blue": "#0072B2",
             "vermillion": "#D55E00", "reddish purple": "#CC79A7"}
BASE = OKABE_ITO["blue"]
HIGHLIGHT = OKABE_ITO["vermillion"]
SERIES = tuple(OKABE_ITO[c] for c in ("blue", "vermillion", "bluish green", "reddish purple",
                                       "orange", "sky blue", "black", "yellow"))
SYMBOLS = ("circle", "triangle-up", "x", "star", "diamond", "cross", "hexagon", "pentagon")


def _go():
    import plotly.graph_objects as go

    return go


def _figure(traces: Any, validate: bool = True, **layout: Any) -> go.Figure:
    """A figure of ``traces`` with the Okabe-Ito colorway and ``layout``. ``validate=False``
    (traces made with ``_validate=False`` too) skips plotly's property checks, two thirds
    of a small figure's time: for the published edition's charts (:func:`world_map`,
    :func:`gap`, :func:`profile`), whose properties are fixed here and drawn by the tests
    in Chromium, and of which the site makes one per city page and language."""
    return _go().Figure(traces, layout={"colorway": list(SERIES), **layout},
                        _validate=validate)


def _choose(value: Any, accepted: Sequence[Any], what: str) -> Any:
    """``value`` if it is one of ``accepted``; else [U97] naming the accepted ones."""
    if value not in accepted:
        raise FintechIndexError("U97", f"plot: {what} {value!r} is not accepted (accepted: "
                                       f"{', '.join(map(str, accepted))})"
                                + did_you_mean(str(value), map(str, accepted), before="; "))
    return value


def _units(res: Results, usel: Sequence[str] | str | None) -> list[str]:
    """The unit codes of ``usel`` (one code or several), each one of the results' [U96]."""
    chosen = [usel] if isinstance(usel, str) else list(usel or [])
    for u in chosen:
        if u not in res.units:
            raise FintechIndexError("U96", f"plot: usel: unit '{u}' is not in the results "
                                           f"(units: {', '.join(res.units[:12])}"
                                           f"{', ...' if len(res.units) > 12 else ''})"
                                    + did_you_mean(u, res.units, before="; "))
    return chosen


def _labels(res: Results, ulabel: str) -> list[str]:
    """Unit codes or names, in the results' unit order."""
    if _choose(ulabel, ULABELS, "ulabel") == "code":
        return list(res.units)
    return [str(n) for n in res.panel.units["name"].reindex(list(res.units))]


def _framework_of(source: Results | Framework) -> Framework:
    from .build import Results

    return source.framework if isinstance(source, Results) else source


def _audited(source: Any, kind: str) -> Any:
    """From an Audit, its nominal results (``kind`` "results"), uncertainty or sensitivity
    analysis; anything else as it is."""
    from .audit.run import Audit

    if not isinstance(source, Audit):
        return source
    return source.engine.nominal if kind == "results" else getattr(source, kind)


def _name(res: Results, node: str) -> str:
    return res.framework.nodes[node].name


def values(res: Results, node: str | None = None, year: int | None = None,
           dset: str = "scores") -> np.ndarray:
    """One node's values over the units in one year (default: the latest): its score
    (``dset="scores"``) or, for an indicator, its value in the data set ``dset``."""
    k = res._node(node)
    y = res.year_index(year)
    if dset == "scores":
        return np.array(res.score_array[y, :, k])
    code = res.nodes[k]
    if code not in res.framework.indicators:
        raise FintechIndexError("U97", f"plot: dset {dset!r} holds indicators only and "
                                       f"'{code}' is an aggregate; use dset='scores'")
    frame = res.dataset(dset)
    frame = frame[(frame["year"] == res.years[y]) & (frame["indicator"] == code)]
    return frame.set_index("unit")["value"].reindex(list(res.units)).to_numpy(dtype=float)


def _children(res: Results, node: str | None) -> tuple[str, list[str]]:
    code = res.nodes[res._node(node)]
    kids = list(res.framework.nodes[code].children)
    if not kids:
        raise FintechIndexError("U97", f"plot: node '{code}' is an indicator: it has no "
                                       "children to show (choose an aggregate: "
                                       f"{', '.join(res.framework.aggregates)})")
    return code, kids


def contributions(res: Results, node: str | None = None, year: int | None = None
                  ) -> tuple[list[str], np.ndarray]:
    """Each child's weighted contribution to ``node``'s score per unit, ``[units,
    children]``: ``w_k x_k / sum of w_j over the observed children``, rescaled so that a
    unit's contributions sum to its score (as COINr's ``plot_bar(stack_children = TRUE)``;
    for an arithmetic mean the factor is 1). A missing child contributes 0."""
    code, kids = _children(res, node)
    y = res.year_index(year)
    x = np.stack([res.score_array[y, :, res.nodes.index(c)] for c in kids], axis=1)
    if res.weights and code in res.weights:
        w = np.asarray(res.weights[code][y], dtype=float)
    else:
        w = np.array([res.framework.nodes[c].weight for c in kids], dtype=float)
    seen = ~np.isnan(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        part = np.where(seen, w * np.nan_to_num(x), 0.0) / (seen * w).sum(axis=1,
                                                                         keepdims=True)
        total = part.sum(axis=1, keepdims=True)
        score = res.score_array[y, :, res.nodes.index(code)][:, None]
        part = np.where(total != 0, part * score / total, 0.0)
    return kids, np.where(np.isnan(score), np.nan, part)


def bar(res: Results, node: str | None = None, year: int | None = None, *,
        dset: str = "scores", stack_children: bool = False, usel: Sequence[str] | None = None,
        ulabel: str = "code") -> go.Figure:
    """Units' values of ``node`` (default: the index) as bars, best first (COINr
    ``plot_bar``). ``stack_children``: each bar split into the children's weighted
    contributions (:func:`contributions`), one trace per child; ``usel``: units whose bars
    are highlighted."""
    go = _go()
    code = res.nodes[res._node(node)]
    v = values(res, code, year, dset)
    order = [i for i in np.argsort(-np.nan_to_num(v, nan=-np.inf), kind="stable")
             if not np.isnan(v[i])]
    labels = _labels(res, ulabel)
    xs = [labels[i] for i in order]
    marked = set(_units(res, usel))
    if stack_children:
        if dset != "scores":
            _choose(dset, ("scores",), "dset with stack_children")
        kids, part = contributions(res, code, year)
        traces = [go.Bar(x=xs, y=part[order, j], name=_name(res, kid))
                  for j, kid in enumerate(kids)]
    else:
        colours = [HIGHLIGHT if res.units[i] in marked else BASE for i in order]
        traces = [go.Bar(x=xs, y=v[order], name=_name(res, code),
                         marker={"color": colours})]
    fig = _figure(traces)
    fig.update_layout(barmode="stack", yaxis_title=_name(res, code),
                      title=f"{_name(res, code)}, {res.years[res.year_index(year)]}")
    return fig


def dot(res: Results, node: str | None = None, year: int | None = None, *,
        nodes: Sequence[str] | None = None, usel: Sequence[str] | str | None = None,
        add_stat: str | float | None = "mean", ulabel: str = "name") -> go.Figure:
    """Every unit as a dot on each child of ``node`` (default: the index), or on each of
    ``nodes``, the units of ``usel`` highlighted and a statistic (``"mean"``, ``"median"``
    or a number) marked (COINr ``plot_dot``, one row per node)."""
    go = _go()
    if nodes is None:
        code, kids = _children(res, node)
    else:
        code, kids = res.nodes[res._node(node)], [res.nodes[res._node(c)] for c in nodes]
    y = res.year_index(year)
    names = [_name(res, c) for c in kids]
    x = np.stack([res.score_array[y, :, res.nodes.index(c)] for c in kids], axis=1)
    labels = _labels(res, ulabel)
    traces = [go.Scatter(x=x.T.ravel(), y=np.repeat(names, len(res.units)),
                         text=labels * len(kids), mode="markers", name="all units",
                         marker={"color": BASE, "opacity": 0.35, "size": 8})]
    if add_stat is not None:
        if isinstance(add_stat, str):
            stat = getattr(np, f"nan{_choose(add_stat, STATS, 'add_stat')}")(x, axis=0)
        else:
            stat = np.full(len(kids), float(add_stat))
        traces.append(go.Scatter(x=stat, y=names, mode="markers", name=str(add_stat),
                                 marker={"symbol": "line-ns-open", "size": 18,
                                         "color": OKABE_ITO["bluish green"], "line": {"width": 3}}))
    for u in _units(res, usel):
        i = res.units.index(u)
        traces.append(go.Scatter(x=x[i], y=names, mode="markers", name=labels[i],
                                 marker={"size": 12, "symbol": "square"}))
    fig = _figure(traces)
    fig.update_layout(title=f"{_name(res, code)}: {'children' if nodes is None else 'nodes'}, "
                            f"{res.years[y]}",
                      xaxis_title="score", height=120 + 40 * len(kids))
    return fig


def effective_weights(source: Results | Framework, year: int | None = None
                      ) -> dict[str, float]:
    """Each node's share of the index: the product of its and its ancestors' weights, each
    divided by the sum of its siblings' (COINr ``get_eff_weights``). From results, the
    weights as used in ``year`` (default: the latest); from a framework, as declared
    (:meth:`.Framework.effective_weights`)."""
    from .build import Results

    if not isinstance(source, Results):
        return _framework_of(source).effective_weights()
    y = source.year_index(year)
    return source.framework.effective_weights({k: w[y] for k, w in
                                               (source.weights or {}).items()})


def framework(source: Results | Framework, year: int | None = None) -> go.Figure:
    """The tree as a sunburst, each sector sized by its effective weight
    (:func:`effective_weights`; COINr ``plot_framework(type = "sunburst")``)."""
    go = _go()
    fw = _framework_of(source)
    size = effective_weights(source, year)
    for code in fw.aggregates:  # bottom up: an aggregate is exactly its sectors' sum, so
        size[code] = sum((size[k] for k in fw.nodes[code].children), 0.0)  # "total" holds
    codes = [fw.index, *[c for c in reversed(fw.node_codes) if c != fw.index]]
    fig = _figure(go.Sunburst(
        ids=codes, labels=[fw.nodes[c].name for c in codes],
        parents=[fw.nodes[c].parent or "" for c in codes],
        values=[size[c] for c in codes], branchvalues="total",
        hovertemplate="%{label}<br>effective weight %{value:.3f}<extra></extra>"))
    fig.update_layout(title=fw.name, margin={"t": 40, "l": 0, "r": 0, "b": 0})
    return fig


def corr(source: Results | Audit, year: int | None = None, *,
         nodes: Sequence[str] | None = None, level: int | None = None,
         cortype: str = "pearson", showvals: bool = True) -> go.Figure:
    """Correlations between node scores over the units as a heatmap (COINr ``plot_corr``):
    the audit's coherence (:func:`.audit.coherence.correlations`), of ``nodes`` or of the
    nodes of one ``level`` (default: every node)."""
    from .audit import coherence

    go = _go()
    res: Results = _audited(source, "results")
    _choose(cortype, ("pearson", "spearman"), "cortype")
    if nodes is None and level is not None:
        nodes = [c for c in res.nodes if res.framework.nodes[c].level == level]
    if nodes:
        for c in nodes:
            res._node(c)
    r, _ = coherence.correlations(res, year, cortype, list(nodes) if nodes else None)
    names = [_name(res, c) for c in r.index]
    z = r.to_numpy()
    fig = _figure(go.Heatmap(
        z=z, x=names, y=names, zmin=-1, zmax=1, colorscale="RdBu", reversescale=True,
        text=np.vectorize(lambda v: "" if np.isnan(v) else f"{v:.2f}")(z) if showvals else None,
        texttemplate="%{text}" if showvals else None))
    fig.update_layout(title=f"{cortype.capitalize()} correlations, "
                            f"{res.years[res.year_index(year)]}",
                      yaxis={"autorange": "reversed"})
    return fig


def scatter(res: Results, x: str, y: str, year: int | None = None, *,
            dsets: tuple[str, str] = ("scores", "scores"), by_group: str | None = None,
            log_scale: tuple[bool, bool] = (False, False), ulabel: str = "name"
            ) -> go.Figure:
    """Two nodes against each other over the units, each point named by its unit (COINr
    ``plot_scatter``); ``by_group``: a unit metadata column that colours the points."""
    go = _go()
    xs, ys = values(res, x, year, dsets[0]), values(res, y, year, dsets[1])
    labels = np.array(_labels(res, ulabel), dtype=object)
    if by_group is None:
        groups = {"": np.ones(len(res.units), dtype=bool)}
    else:
        meta = res.panel.units
        _choose(by_group, [c for c in meta.columns if meta[c].notna().any()], "by_group")
        col = meta[by_group].reindex(list(res.units)).astype(str).to_numpy()
        groups = {g: col == g for g in sorted(set(col))}
    fig = _figure([go.Scatter(x=xs[m], y=ys[m], text=labels[m], mode="markers", name=g,
                                hovertemplate="%{text}: %{x}, %{y}<extra></extra>")
                     for g, m in groups.items()])
    fig.update_layout(xaxis_title=_name(res, x), yaxis_title=_name(res, y),
                      showlegend=by_group is not None,
                      xaxis_type="log" if log_scale[0] else None,
                      yaxis_type="log" if log_scale[1] else None)
    return fig


def dist(res: Results, nodes: Sequence[str] | str | None = None, year: int | None = None,
         *, dset: str = "raw", type: str = "box") -> go.Figure:  # COINr names it type
    """The distribution over the units of each node (default: the index's children), one
    trace per node (COINr ``plot_dist``): ``dset`` "raw" (indicators only) or "scores"
    (normalised indicators, aggregates); ``type`` box, violin or histogram."""
    go = _go()
    chosen = [nodes] if isinstance(nodes, str) else list(nodes or _children(res, None)[1])
    kind = _choose(type, DIST_TYPES, "type")
    traces = []
    for c in chosen:
        v = values(res, c, year, dset)
        v = v[~np.isnan(v)]
        name = _name(res, c)
        traces.append(go.Box(y=v, name=name, boxpoints="all") if kind == "box" else
                      go.Violin(y=v, name=name, points="all") if kind == "violin" else
                      go.Histogram(x=v, name=name, opacity=0.6))
    fig = _figure(traces)
    fig.update_layout(title=f"{dset} values, {res.years[res.year_index(year)]}",
                      barmode="overlay")
    return fig


def uncertainty(source: Uncertainty | Audit, *, plot_units: Sequence[str] | None = None,
                order_by: str = "nominal") -> go.Figure:
    """Each unit's rank interval (5th-95th percentile over the replications) with its
    median and its nominal rank (COINr ``plot_uncertainty``), ordered by the nominal or
    the median rank, the best first and on top (percentile ranks: the highest)."""
    go = _go()
    ua: Uncertainty = _audited(source, "uncertainty")
    s = ua.summary()
    key = _choose(order_by, ORDER_BY, "order_by")
    # best first: rank 1, or the highest percentile rank (1 = best) with ``rank.percentile``
    s = s.sort_values([f"{key}_rank", "nominal_rank" if key == "median" else "median_rank"],
                      ascending=not ua.percentile)
    if plot_units is not None:
        missing = [u for u in plot_units if u not in s.index]
        if missing:
            raise FintechIndexError("U96", f"plot: plot_units: unit '{missing[0]}' is not "
                                           "in the uncertainty analysis (units: "
                                           f"{', '.join(list(s.index)[:12])})")
        s = s.loc[[u for u in s.index if u in set(plot_units)]]
    units = list(s.index)
    med = s["median_rank"].to_numpy()
    fig = _figure([
        go.Scatter(x=units, y=med, mode="markers", name="median rank",
                   error_y={"type": "data", "symmetric": False,
                            "array": s["rank_p95"].to_numpy() - med,
                            "arrayminus": med - s["rank_p05"].to_numpy()},
                   marker={"color": BASE}),
        go.Scatter(x=units, y=s["nominal_rank"].to_numpy(), mode="markers",
                   name="nominal rank", marker={"symbol": "x", "color": HIGHLIGHT,
                                                "size": 9})])
    fig.update_layout(title=f"Rank intervals (5-95%), {len(ua.ranks)} replications",
                      yaxis={"title": "percentile rank (1 = best)"} if ua.percentile
                      else {"autorange": "reversed", "title": "rank"})  # the best on top
    return fig


def sensitivity(source: Sensitivity | Audit, output: str | None = None) -> go.Figure:
    """First-order (S) and total (ST) Sobol indices of each factor for one output (default:
    the mean absolute rank shift), with their bootstrap intervals (COINr
    ``plot_sensitivity(ptype = "bar")``)."""
    go = _go()
    sa: Sensitivity | None = _audited(source, "sensitivity")
    if sa is None:
        raise FintechIndexError("U97", "plot: this audit has no sensitivity analysis (run "
                                       "it with sobol > 0: fintech-index audit --sobol N)")
    out = _choose(output or sa.outputs[0], sa.outputs, "output")
    j = sa.outputs.index(out)

    def trace(name: str, est: np.ndarray, ci: np.ndarray) -> Any:
        return go.Bar(x=list(sa.factors), y=est[:, j], name=name,
                      error_y={"type": "data", "symmetric": False,
                               "array": ci[1, :, j] - est[:, j],
                               "arrayminus": est[:, j] - ci[0, :, j]})

    fig = _figure([trace("first order (S)", sa.first, sa.first_ci),
                     trace("total (ST)", sa.total, sa.total_ci)])
    fig.update_layout(barmode="group", title=f"Sobol indices of {out} (N = {sa.n})",
                      yaxis_title="index")
    return fig


def rank_history(source: Results | Mapping[str, Results] | Store, node: str | None = None,
                 *, units: Sequence[str] | None = None, editions: Sequence[str] | None = None,
                 top: int = 10, nodes: Sequence[str] | None = None,
                 names: Mapping[str, str] | None = None, title: str = "Rank history",
                 axis: str = "rank") -> go.Figure:
    """Ranks on ``node`` (default: the index) across editions, one line per unit (the
    ``units`` given, else the latest edition's top ``top``): from one results' years, from
    ``{label: results}`` (each one's latest year) or from a store's ``editions``. With
    ``nodes``, one line per unit and node (one unit on the index and its dimensions, as a
    white paper shows it). ``names``: a line's label for a unit or node code."""
    go = _go()
    codes = list(nodes) if nodes is not None else [node]
    tables = [_rank_table(source, n, editions) for n in codes]  # unit x edition label
    if units is None:
        units = list(tables[0].iloc[:, -1].dropna().sort_values(kind="stable").index[:top])
    for u in units:
        if u not in tables[0].index:
            raise FintechIndexError("U96", f"plot: units: unit '{u}' is in none of the "
                                           f"editions (units: {', '.join(tables[0].index[:12])})")
    names = names or {}
    lines = [(u, n, t) for u in units for n, t in zip(codes, tables, strict=True)]

    def label(u: str, n: str | None) -> str:
        if nodes is None or len(codes) == 1 and len(units) > 1:
            return names.get(u, str(u))
        n = n or ""
        return names.get(n, n) if len(units) == 1 else f"{names.get(u, u)}, {names.get(n, n)}"

    labels = [str(c) for c in tables[0].columns]
    fig = _figure([go.Scatter(x=labels, y=t.loc[u].to_numpy(), name=label(u, n),
                              mode="lines+markers",
                              line={"color": SERIES[i % len(SERIES)]},
                              marker={"color": SERIES[i % len(SERIES)],
                                      "symbol": SYMBOLS[i % len(SYMBOLS)]})
                   for i, (u, n, t) in enumerate(lines)])
    fig.update_layout(title=title, yaxis={"autorange": "reversed", "title": axis},
                      xaxis={"type": "category"})
    return fig


def _rank_table(source, node, editions):
    """Ranks as a unit x edition frame from the three sources :func:`rank_history` takes."""
    import pandas as pd

    from .store import Store

    if isinstance(source, Store):
        names = list(editions) if editions is not None else list(source.editions()["name"])
        cols = {}
        for e in names:
            frame = source.ranking(e, node)
            cols[e] = frame.set_index("unit")["rank"]
        return pd.DataFrame(cols)
    if isinstance(source, Mapping):
        return pd.DataFrame({label: r.ranks(node).iloc[:, -1] for label, r in source.items()})
    return source.ranks(node)


# ---------------------------------------------------------------- a published edition
POSITIONS = ("top center", "bottom center", "middle right", "middle left", "top right",
             "bottom left", "top left", "bottom right")
HALO = ", ".join(f"white {x}px {y}px 1px" for x in (-1, 1) for y in (-1, 1))  # label halo
PX = 2.5  # pixels per degree on the site's world map (natural earth, about 900 px wide)
LATIN_PX, WIDE_PX, LINE_PX = 6.2, 11.0, 13.0  # an 11 px label's characters and line


def _text_px(text: str) -> float:
    """The width of ``text`` in an 11 px sans-serif label: CJK characters twice as wide."""
    return sum(WIDE_PX if "\u2e80" <= ch <= "\uffef" else LATIN_PX for ch in text)


def _label_box(lat: float, lon: float, text: str, position: str, size: float = 10.0
               ) -> tuple[float, float, float, float]:
    """The box (west, south, east, north, in degrees) that ``text`` takes at ``position``
    beside a marker of ``size`` px at (lat, lon), as plotly.js sets it on the site's map."""
    w, h, gap = _text_px(text) / PX, LINE_PX / PX, (size / 2 + 2) / PX
    vert, horiz = position.split()
    x0 = {"left": lon - gap - w, "center": lon - w / 2, "right": lon + gap}[horiz]
    y0 = {"bottom": lat - gap - h, "middle": lat - h / 2, "top": lat + gap}[vert]
    return x0, y0, x0 + w, y0 + h


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    return (max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
            * max(0.0, min(a[3], b[3]) - max(a[1], b[1])))


def label_positions(lat: Sequence[float], lon: Sequence[float], labels: Sequence[str],
                    sizes: Sequence[float] | None = None) -> list[str]:
    """Where each map label goes (a scattergeo ``textposition``), in order: of POSITIONS,
    the side whose box (:func:`_label_box`) meets no label placed before it and covers
    the least of the markers (``sizes`` in px, default 10), the first such side in order
    on a tie; if every side meets a label, the least overlap with labels. Unlabelled
    points get the first side."""
    sizes = list(sizes) if sizes is not None else [10.0] * len(lat)
    marks = [(lo - r, la - r, lo + r, la + r) for la, lo, r in
             zip(lat, lon, [z / 2 / PX for z in sizes], strict=True)]
    placed: list[tuple[float, ...]] = []
    out: list[str] = []
    for i, (la, lo, text) in enumerate(zip(lat, lon, labels, strict=True)):
        if not text:
            out.append(POSITIONS[0])
            continue
        boxes = {p: _label_box(la, lo, text, p, sizes[i]) for p in POSITIONS}
        cost = {p: (sum(_overlap(b, o) for o in placed),
                    sum(_overlap(b, m) for j, m in enumerate(marks) if j != i))
                for p, b in boxes.items()}
        best = min(POSITIONS, key=lambda p: cost[p])  # min() keeps the first on a tie
        out.append(best)
        placed.append(boxes[best])
    return out


def world_map(res: Results, coordinates: Any, year: int | None = None, *,
              node: str | None = None, top: int = 10, names: Mapping[str, str] | None = None,
              hover: str = "{city}: rank {rank}", height: int = 460) -> go.Figure:
    """The ranked units at their coordinates (a frame of code, latitude, longitude), each
    marker sized by its rank on ``node`` (default: the index) in ``year``, the best ``top``
    labelled with their names on sides that do not overlap (:func:`label_positions`);
    ``hover``: each marker's hover text, with {city} and {rank}."""
    from .format import rank as rank_text

    go = _go()
    ranks = res.ranks(node).iloc[:, res.year_index(year)].dropna().sort_values(kind="stable")
    at = coordinates.set_index("code")
    names = names or dict(zip(res.units, _labels(res, "name"), strict=True))
    shown = [u for u in ranks.index if u in at.index]
    lat = [float(at.at[u, "latitude"]) for u in shown]
    lon = [float(at.at[u, "longitude"]) for u in shown]
    labels = [names[u] if ranks[u] <= top else "" for u in shown]
    sizes = [max(6.0, 26 - float(ranks[u]) / 2) for u in shown]
    fig = _figure(go.Scattergeo(_validate=False,
        lat=lat, lon=lon, text=labels, mode="markers+text", hoverinfo="text",
        hovertext=[hover.format(city=names[u], rank=rank_text(ranks[u])) for u in shown],
        textposition=label_positions(lat, lon, labels, sizes),
        textfont={"size": 11, "color": OKABE_ITO["black"], "shadow": HALO},
        marker={"size": sizes, "color": BASE,
                "opacity": 0.8, "line": {"width": 1, "color": "#fff"}}), validate=False,
        geo={"showcountries": True, "countrycolor": "#bbb", "showland": True,
             "landcolor": "#f2f0eb", "projection": {"type": "natural earth"},
             "resolution": 110},
        margin={"t": 0, "b": 0, "l": 0, "r": 0}, height=height)
    return fig


def gap(source: Results | Sequence[Any], top: int = 10, *, node: str | None = None,
        ticks: Sequence[str] | None = None, text: Mapping[str, str] | None = None
        ) -> go.Figure:
    """The gap among the best ``top`` units on ``node`` (default: the index) in every
    edition (:func:`.analysis.gaps.gap`): its range and standard deviation, one point per
    edition, from results (each year) or from editions (``Edition``, oldest first).
    ``ticks``: each edition's label (default: its year, a back-cast said so); ``text``:
    the words "range", "sd", "x" and "y" (the axis titles)."""
    from .analysis.edition import Edition
    from .analysis.gaps import gap as gap_of

    go = _go()
    editions = ([Edition.of(source, y) for y in source.years] if not isinstance(source,
                                                                                 Sequence)
                else list(source))
    words = {"range": "score range", "sd": "standard deviation", "x": "edition",
             "y": f"index points among the top {top}", **(text or {})}
    gaps = [gap_of(e, top, node) for e in editions]
    years = [e.year for e in editions]
    ticks = list(ticks) if ticks is not None else [
        str(e.year) if e.recomputed_on is None
        else f"{e.year} (back-cast on the {e.recomputed_on} framework)" for e in editions]
    fig = _figure([go.Scatter(x=years, y=[getattr(g, what) for g in gaps], name=words[what],
                              mode="lines+markers", marker={"symbol": SYMBOLS[k]},
                              _validate=False) for k, what in enumerate(("range", "sd"))],
                  validate=False,
                  # half an edition's room each side: a long first tick (a back-cast)
                  # clears the y axis's labels
                  xaxis={"tickvals": years, "ticktext": ticks, "title": {"text": words["x"]},
                         "range": [years[0] - 0.5, years[-1] + 0.5] if years else None},
                  yaxis={"rangemode": "tozero", "title": {"text": words["y"]}},
                  margin={"t": 10}, height=320)
    return fig


def profile(res: Results, unit: str, year: int | None = None, *, peers: Sequence[str] = (),
            top: int = 10, nodes: Sequence[str] | None = None, peers_mean: bool = False,
            bars: bool = False, names: Mapping[str, str] | None = None,
            text: Mapping[str, str] | None = None) -> go.Figure:
    """``unit``'s scores on each of ``nodes`` (default: every aggregate below the index,
    parents first, top to bottom; for a flat index, its indicators) against the mean of the
    best ``top`` units and its ``peers`` (each, or their mean with ``peers_mean``): markers
    (a shape per series), or grouped horizontal bars with ``bars``. ``names``: unit and
    node names; ``text``: the words "top_mean", "peers_mean" and "x" (the axis title)."""
    go = _go()
    fw = res.framework
    y = res.year_index(year)
    _units(res, [unit, *peers])
    if nodes is None:
        nodes = ([c for c, d in fw.top_down() if d > 0 and not fw.nodes[c].is_indicator]
                 or list(fw.nodes[fw.index].children))  # a flat index: its indicators
    names = {**{c: fw.nodes[c].name for c in fw.nodes},
             **dict(zip(res.units, _labels(res, "name"), strict=True)), **(names or {})}
    words = {"top_mean": f"top-{top} mean", "peers_mean": "peers' mean", "x": "score",
             **(text or {})}
    ranks = res.ranks().iloc[:, y].dropna().sort_values(kind="stable")
    best = [res.units.index(u) for u in ranks.index[:top]]
    cols = [res.nodes.index(c) for c in nodes]
    scores = res.score_array[y][:, cols]  # units x nodes
    series = [(names[unit], scores[res.units.index(unit)]),
              (words["top_mean"], np.nanmean(scores[best], axis=0))]
    mine = [res.units.index(p) for p in peers]
    series += ([(words["peers_mean"], np.nanmean(scores[mine], axis=0))] if peers_mean and mine
               else [] if peers_mean else [(names[p], scores[i]) for p, i in zip(peers, mine,
                                                                               strict=True)])
    labels = [names[c] for c in nodes]
    if bars:
        traces = [go.Bar(x=v, y=labels, orientation="h", name=n, _validate=False,
                         marker={"color": SERIES[k % len(SERIES)]})
                  for k, (n, v) in enumerate(series)]
    else:
        traces = [go.Scatter(x=v, y=labels, mode="markers", name=n, _validate=False,
                             marker={"color": SERIES[k % len(SERIES)],
                                     "symbol": "square" if k == 0 else SYMBOLS[k % len(SYMBOLS)],
                                     "size": 13 if k == 0 else 10})
                  for k, (n, v) in enumerate(series)]
    seen = np.concatenate([v for _, v in series])
    seen = seen[~np.isnan(seen)]
    whole = seen.size and 1 < seen.max() <= 100 and seen.min() >= 0  # on a 0-100 scale
    return _figure(traces, validate=False, height=60 + 34 * len(nodes),
                   margin={"t": 10, "l": 230, "r": 10}, barmode="group",
                   xaxis={"title": {"text": words["x"]},
                          **({"range": [-3, 103]} if whole else {})},
                   yaxis={"autorange": "reversed"}, legend={"orientation": "h", "y": -0.12})

