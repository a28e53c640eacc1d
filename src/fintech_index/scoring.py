"""Aggregate and rank: the one path from normalised indicator scores to every node's scores
and ranks, used by ``build()``, the audit's batched evaluation and the web app's
re-weighting, so that an audit with no uncertain factor and a re-weighting with the nominal
weights give the nominal build bit for bit.

Per aggregate, bottom-up (COINr ``Aggregate``; OECD/JRC Handbook 2008, section 6): the weight
stage gives the children's weights ``w = weight_kernel(x_children, w_framework)``; optional
multipliers (a weight set per batch member) scale them and excluded indicators get weight 0;
the aggregation kernel gives ``y = aggregate_kernel(x_children, w)``; ``round`` rounds a node
before its parents use it. Ranks: 1 = best, per node and batch member over the units, after
``rank.decimals`` rounding, the node's direction and ``rank.exclude_levels``.

Leading axes of the indicator scores and of the multipliers are a batch (years in a build,
replications in an audit); they broadcast against each other, so one data set
``[units, indicators]`` and 10,000 weight sets ``[10000, slots]`` give ``[10000, units]``
without copying the data 10,000 times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import methods
from .binding import bind
from .errors import MethodError
from .framework import Framework
from .methodology import Methodology
from .methods.aggregate import below_threshold
from .panel import Panel
from .ranks import rankdata

MAX_LISTED = 10


def weight_slots(framework: Framework) -> list[tuple[str, str]]:
    """(aggregate, child) for every weight in the tree, in the order weight multipliers
    are given: aggregates bottom-up, children in the framework's order."""
    return [(code, kid) for code in framework.aggregates
            for kid in framework.nodes[code].children]


@dataclass(frozen=True)
class Scored:
    """Scores and ranks of the nodes asked for, ``[..., units]`` each, and the weights each
    aggregate used (``[..., children]``)."""

    scores: dict[str, np.ndarray]
    ranks: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]

    def stacked(self, nodes: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Scores and ranks as ``[..., units, nodes]`` arrays in the order of ``nodes``."""
        return (np.stack([self.scores[c] for c in nodes], axis=-1),
                np.stack([self.ranks[c] for c in nodes], axis=-1))


def cells(panel: Panel, mask: np.ndarray, cols: list[str] | None = None) -> str:
    """'unit U, year Y' for the first cells of a [years, units(, k)] mask."""
    hits = np.argwhere(mask)[:MAX_LISTED]
    parts = []
    for h in hits:
        where = f"unit '{panel.unit_codes[h[1]]}', year {panel.years[h[0]]}"
        if cols is not None and len(h) > 2:
            where = f"indicator '{cols[h[2]]}', " + where
        parts.append(where)
    more = int(mask.sum()) - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def aggregate_and_rank(framework: Framework, panel: Panel, methodology: Methodology,
                       indicator_scores: np.ndarray, *,
                       weight_multipliers: np.ndarray | None = None,
                       excluded: np.ndarray | None = None,
                       rank: Sequence[str] | None = None, keep: Sequence[str] | None = None,
                       strict: bool = True) -> Scored:
    """Scores and ranks from normalised indicator scores ``[..., units, indicators]``.

    ``weight_multipliers`` ``[..., len(weight_slots(framework))]`` multiply the weights the
    weight stage gives; ``excluded`` ``[..., indicators]`` (bool) sets an indicator's weight
    to 0. ``rank`` lists the nodes to rank (default: all) and ``keep`` the nodes whose
    scores are returned (default: all); the others are dropped as soon as their parent is
    computed. ``strict`` (a build) refuses a node whose weights or scores come out missing
    although its children have values; an audit leaves such a replication unranked."""
    fw, meth = framework, methodology
    rank = list(fw.node_codes) if rank is None else list(rank)
    keep = set(fw.node_codes if keep is None else keep) | set(rank)
    x = np.asarray(indicator_scores, dtype=np.float64)
    values: dict[str, np.ndarray] = {}
    for i, code in enumerate(fw.indicators):
        col = x[..., i]
        values[code] = np.round(col, meth.round[code]) if code in meth.round else col
    multipliers = None if weight_multipliers is None else np.asarray(weight_multipliers,
                                                                     dtype=np.float64)
    slot = 0
    used: dict[str, np.ndarray] = {}
    for code in fw.aggregates:
        node = fw.nodes[code]
        kids = node.children
        children = np.stack(np.broadcast_arrays(*[values[k] for k in kids]), axis=-1)
        choice = meth.aggregate.resolve(code, node.level)
        kernel = methods.get("aggregate", choice.method)
        where = f"node '{fw.path(code)}'"

        def agg(xs, ws, _k=kernel, _kw=choice.params, _where=where):
            return _k.apply(_where, xs, ws, **_kw)

        w = _weights(fw, panel, meth, code, children, agg, strict)
        if multipliers is not None:
            w = w * multipliers[..., slot:slot + len(kids)]
        if excluded is not None:
            drop = np.stack([excluded[..., fw.indicators.index(k)] if fw.nodes[k].is_indicator
                             else np.zeros(excluded.shape[:-1], bool) for k in kids], axis=-1)
            w = np.where(drop, 0.0, w)
        slot += len(kids)
        used[code] = w
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            y = agg(children, w)
        if strict:
            _refuse_lost_values(fw, panel, code, choice, children, y)
        if code in meth.round:
            y = np.round(y, meth.round[code])
        values[code] = y
        for k in kids:
            if k not in keep:
                del values[k]
    ranks = {code: rank_node(fw, panel, meth, code, values[code]) for code in rank}
    return Scored({c: v for c, v in values.items() if c in keep}, ranks, used)


def _weights(fw: Framework, panel: Panel, meth: Methodology, code: str,
             children: np.ndarray, aggregate, strict: bool) -> np.ndarray:
    """The weight stage's weights of a node's children, ``[..., children]``."""
    node = fw.nodes[code]
    w0 = np.array([fw.nodes[k].weight for k in node.children])
    choice = meth.weight.resolve(code, node.level)
    kernel = methods.get("weight", choice.method)
    w = kernel.apply(f"node '{fw.path(code)}'", children, w0,
                     **bind(kernel, choice, panel, aggregate=aggregate))
    if strict and np.isnan(w).any():
        raise MethodError("A06",
                          f"weight: node '{fw.path(code)}' ({choice.method}) gives no "
                          "weights (too few units with all children observed)")
    return w


def _refuse_lost_values(fw: Framework, panel: Panel, code: str, choice, children: np.ndarray,
                        y: np.ndarray) -> None:
    kernel = methods.get("aggregate", choice.method)
    params = {k: v.default for k, v in kernel.params.items()} | choice.params
    na_rm = bool(params.get("na_rm", False))  # the kernel's default: COINr's
    complete = ~np.isnan(children).all(-1) if na_rm else ~np.isnan(children).any(-1)
    complete &= ~below_threshold(children, params.get("dat_thresh"))
    lost = np.isnan(y) & complete
    if lost.any():
        raise MethodError("A07",
                          f"aggregate: node '{fw.path(code)}' ({choice.method}) gives "
                          f"no value at {cells(panel, lost)} although its children have "
                          f"values; {choice.method} needs children >= 0 (normalise to "
                          "e.g. l_u: [0, 100], or choose a_amean)")


def rank_sign(fw: Framework, meth: Methodology, code: str) -> float:
    """+1 when a higher score is better for ``code``: its direction, unless it is an
    indicator whose normalisation already turned its direction round."""
    node = fw.nodes[code]
    if node.is_indicator:
        honours = methods.get("normalise", meth.normalise.resolve(code, 1).method
                              ).honours_direction
        return 1.0 if honours else float(node.direction)
    return float(node.direction)


def rank_node(fw: Framework, panel: Panel, meth: Methodology, code: str,
              scores: np.ndarray) -> np.ndarray:
    """Ranks of one node's scores ``[..., units]`` over the units: 1 = best, ties by
    ``rank.ties`` after rounding to ``rank.decimals``; units of an excluded level and
    missing scores get NaN."""
    s = scores if meth.rank.decimals is None else np.round(scores, meth.rank.decimals)
    s = s * rank_sign(fw, meth, code)
    if meth.rank.exclude_levels:
        excluded = panel.units["level"].isin(meth.rank.exclude_levels).to_numpy()
        s = np.where(excluded, np.nan, s)
    return rankdata(-s, meth.rank.ties, axis=-1)
