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

An aggregation kernel that declares a linear form (``methods.contracts.LinearForm``:
a_amean, a_gmean, a_hmean, ``score = g(sum_j w'_j f(x_j))``) is evaluated as one weighted
sum (``methods.aggregate.linear_z``, the reduction the kernel's own function uses): the
indicator level as one einsum of the weight sets against ``f`` of the data, and a child of
the same form hands its ``z`` to its parent (``f(g(z)) = z``), so that a geometric tree
takes no log of its nodes' scores, and an audit that keeps only the index one exp. Other
kernels are called on the children's scores. The sum adds child after child, never through
BLAS, so a member's numbers do not depend on the batch around it.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import methods
from .binding import Bound, bound
from .errors import DataError, MethodError
from .framework import Framework
from .methodology import Methodology
from .methods.aggregate import linear_z, missing_below_threshold
from .methods.contracts import LinearForm, linear_form, reads_values
from .panel import Panel
from .ranks import percentile_ranks, rankdata

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
        return (stack_last([self.scores[c] for c in nodes]),
                stack_last([self.ranks[c] for c in nodes]))


STACK_BLOCK_VALUES = 1 << 18  # values of a block of stack_last (2 MB, the best of 2^14 to
# 2^18 here: 20,000 x 226 as fast as np.stack, 100,000 x 226 0.09 s against 0.12)


def stack_last(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """``np.stack(arrays, axis=-1)`` of arrays of one shape, a block of their values at a
    time: the block's values of every array are copied into a ``[arrays, block]`` array
    (contiguous copies), then written transposed into the result while both are in cache.
    ``np.stack`` along the last axis writes each array with a stride of ``len(arrays)``
    values across the whole result (1,000,000 units x 27 nodes: 0.33 s, this way 0.11 s;
    issue 27)."""
    if not arrays:
        return np.stack(arrays, axis=-1)  # numpy's own error
    shape, k = np.shape(arrays[0]), len(arrays)
    flat = [np.asarray(a).reshape(-1) for a in arrays]
    if any(a.shape != flat[0].shape for a in flat):
        return np.stack(arrays, axis=-1)  # numpy's own error for shapes that differ
    out = np.empty((flat[0].size, k), dtype=np.result_type(*flat))
    block = max(1, STACK_BLOCK_VALUES // k)
    part = np.empty((k, min(block, flat[0].size)), dtype=out.dtype)
    for start in range(0, flat[0].size, block):
        stop = min(start + block, flat[0].size)
        for j, a in enumerate(flat):
            part[j, :stop - start] = a[start:stop]
        out[start:stop] = part[:, :stop - start].T
    return out.reshape(*shape, k)


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


@dataclass(frozen=True)
class Step:
    """One aggregate as a methodology resolves it: its weight and aggregation choices bound
    (:func:`~.binding.bound`, the one stage runner), the framework's weights, and its place
    in the tree."""

    code: str
    kids: tuple[str, ...]
    indicator_pos: np.ndarray | None  # positions of the kids when all are unrounded indicators
    excluded_pos: np.ndarray  # per kid: its indicator position, or -1 (an aggregate)
    slot: int  # its first weight multiplier
    aggregate: Bound
    form: LinearForm | None
    na_rm: bool
    dat_thresh: object
    weight: Bound
    w0: np.ndarray
    fixed_w: np.ndarray | None  # a shape-only weight kernel's weights [k], made once
    parent: int | None  # the parent's place in the plan, and this node's among its children
    place: int

    @property
    def method(self) -> str:
        return self.aggregate.choice.method

    @property
    def where(self) -> str:
        return self.aggregate.where


class Plan:
    """Each aggregate's :class:`Step`, bottom-up, and the work a plan keeps between calls
    (the audit evaluates one methodology on many batches of one shape): ``f`` of the
    indicator scores last seen per step, work arrays per step and thread (a new array of
    megabytes costs more in page faults than filling it; threads sharing an engine, a Dask
    worker's, never share one), and which child's ``z`` a call wrote in place into its
    parent's terms."""

    def __init__(self, steps: Sequence[Step]) -> None:
        self.steps = tuple(steps)
        self._seen: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._work: dict[int, dict] = {}

    def __iter__(self):
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, i: int) -> Step:
        return self.steps[i]

    @property
    def threads(self) -> set[int]:
        """The threads that hold work arrays of this plan."""
        return set(self._work)

    def _mine(self) -> dict:
        return self._work.setdefault(threading.get_ident(), {"placed": {}})

    def begin(self) -> None:
        """Start a call: no child's ``z`` is in place yet (this thread's record)."""
        self._mine()["placed"] = {}

    def placed(self) -> dict[str, np.ndarray]:
        """This call's record: child -> the parent's terms array its ``z`` was written in."""
        return self._mine()["placed"]

    def scratch(self, i: int, name: str, shape: tuple[int, ...], dtype=np.float64
                ) -> np.ndarray:
        """Step ``i``'s work array ``name`` of this thread, made again only when the shape
        or type changes."""
        mine = self._mine()
        buf = mine.get((i, name))
        if buf is None or buf.shape != shape or buf.dtype != dtype:
            buf = mine[(i, name)] = np.empty(shape, dtype)
        return buf

    def indicator_terms(self, i: int, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``f(x)`` of step ``i``'s indicators ``[..., k, units]`` and where x is missing."""
        step = self.steps[i]
        seen = self._seen.get(i)
        if seen is None or seen[0] is not x:
            plain = np.swapaxes(x, -1, -2)[..., step.indicator_pos, :]
            seen = (x, step.form.f(plain), np.isnan(plain))
            self._seen[i] = seen
        return seen[1], seen[2]

    def place_in_parent(self, i: int, keep: set[str], rounded, terms: np.ndarray,
                        w: np.ndarray) -> np.ndarray | None:
        """The parent's terms array ``[..., k, units]`` to write step ``i``'s ``z`` into,
        when the parent takes it as it is (same form, not rounded) and nobody else keeps
        it: the parent then need not copy its children's sums together."""
        step = self.steps[i]
        if step.parent is None or step.code in keep or step.code in rounded:
            return None
        parent = self.steps[step.parent]
        if parent.form is not step.form:
            return None
        shape = np.broadcast_shapes(terms.shape[:-2], w.shape[:-1]) + (len(parent.kids),
                                                                       terms.shape[-1])
        return self.scratch(step.parent, "terms", shape)


def plan(framework: Framework, panel: Panel, methodology: Methodology) -> Plan:
    """Each aggregate, bottom-up, with its choices resolved and the engine's arguments bound
    once (the audit evaluates one methodology on many batches)."""
    fw, meth = framework, methodology
    position = {c: i for i, c in enumerate(fw.indicators)}
    steps, slot = [], 0
    order = {c: i for i, c in enumerate(fw.aggregates)}
    for code in fw.aggregates:
        node = fw.nodes[code]
        kids = tuple(node.children)
        where = f"node '{fw.path(code)}'"
        choice = meth.aggregate.resolve(code, node.level)
        agg = bound("aggregate", choice, panel, where)
        params = {k: v.default for k, v in agg.kernel.params.items()} | choice.params
        weight = bound("weight", meth.weight.resolve(code, node.level), panel, where,
                       aggregate=agg)
        all_indicators = all(k in position and k not in meth.round for k in kids)
        w0 = np.array([fw.nodes[k].weight for k in kids])
        fixed = None if reads_values(weight.kernel.fn) else weight(
            np.broadcast_to(np.float64(np.nan), (1, len(kids))), w0)
        steps.append(Step(
            code, kids, np.array([position[k] for k in kids]) if all_indicators else None,
            np.array([position.get(k, -1) for k in kids]), slot, agg,
            linear_form(agg.kernel.fn), bool(params.get("na_rm", False)),
            params.get("dat_thresh"), weight, w0, fixed,
            order.get(node.parent), fw.nodes[node.parent].children.index(code)
            if node.parent in order else 0))
        slot += len(kids)
    return Plan(steps)


class _Values:
    """Every computed node of one call: a score ``[..., units]``, or for a node of a linear
    form the weighted sum ``z`` it came from, its score ``g(z)`` made when first asked for."""

    def __init__(self, fw: Framework, meth: Methodology, x: np.ndarray) -> None:
        self.meth = meth
        self.x = x
        self.position = {c: i for i, c in enumerate(fw.indicators)}
        self.scores: dict[str, np.ndarray] = {}
        self.z: dict[str, tuple[LinearForm, np.ndarray]] = {}

    def score(self, code: str) -> np.ndarray:
        if code not in self.scores:
            if code in self.z:
                form, z = self.z[code]
                self.scores[code] = form.g(z)
            else:
                col = self.x[..., self.position[code]]
                self.scores[code] = (np.round(col, self.meth.round[code])
                                     if code in self.meth.round else col)
        return self.scores[code]

    def term(self, code: str, form: LinearForm) -> np.ndarray:
        """``f(score)`` of a child for a parent of ``form``; a child of the same form gives
        its ``z`` itself (``f(g(z)) = z`` without the round trip)."""
        if code in self.z and self.z[code][0] is form:
            return self.z[code][1]
        return form.f(self.score(code))

    def set(self, code: str, form: LinearForm | None, y: np.ndarray) -> None:
        if form is not None and code not in self.meth.round:
            self.z[code] = (form, y)
            return
        y = form.g(y) if form is not None else y
        self.scores[code] = np.round(y, self.meth.round[code]) if code in self.meth.round \
            else y

    def drop(self, code: str) -> None:
        self.scores.pop(code, None)
        self.z.pop(code, None)


def aggregate_and_rank(framework: Framework, panel: Panel, methodology: Methodology,
                       indicator_scores: np.ndarray, *,
                       weight_multipliers: np.ndarray | None = None,
                       excluded: np.ndarray | None = None,
                       rank: Sequence[str] | None = None, keep: Sequence[str] | None = None,
                       strict: bool = True, steps: Plan | None = None) -> Scored:
    """Scores and ranks from normalised indicator scores ``[..., units, indicators]``.

    ``weight_multipliers`` ``[..., len(weight_slots(framework))]`` multiply the weights the
    weight stage gives; ``excluded`` ``[..., indicators]`` (bool) sets an indicator's weight
    to 0. ``rank`` lists the nodes to rank (default: all) and ``keep`` the nodes whose
    scores are returned (default: all); the others are dropped as soon as their parent is
    computed. ``strict`` (a build) refuses a node whose weights or scores come out missing
    although its children have values; an audit leaves such a replication unranked.
    ``steps``: :func:`plan` of the same framework, panel and methodology, made once by a
    caller that calls this many times.

    A kernel that declares a :class:`LinearForm` (a_amean, a_gmean, a_hmean) is summed as
    weights times ``f(children)`` by :func:`~.methods.aggregate.linear_z`, the reduction its
    own function uses; any other kernel is called on the children's scores."""
    fw, meth = framework, methodology
    rank = list(fw.node_codes) if rank is None else list(rank)
    keep = set(fw.node_codes if keep is None else keep) | set(rank)
    x = np.asarray(indicator_scores, dtype=np.float64)
    multipliers = None if weight_multipliers is None else np.asarray(weight_multipliers,
                                                                     dtype=np.float64)
    values = _Values(fw, meth, x)
    used: dict[str, np.ndarray] = {}
    the_plan = steps if steps is not None else plan(fw, panel, meth)
    the_plan.begin()
    placed = the_plan.placed()
    for i, step in enumerate(the_plan):
        code, kids, form = step.code, step.kids, step.form
        if form is not None and step.indicator_pos is not None:
            terms, missing = the_plan.indicator_terms(i, x)
        elif form is not None:
            parts = np.broadcast_arrays(*[values.term(k, form) for k in kids])
            terms = the_plan.scratch(i, "terms", parts[0].shape[:-1] + (len(kids),) +
                                     parts[0].shape[-1:])
            for j, (k, part) in enumerate(zip(kids, parts, strict=True)):
                if placed.get(k) is not terms:  # not already written in place
                    terms[..., j, :] = part
            if all(k in values.z and values.z[k][0] is form for k in kids):
                # a z is missing exactly where its score is
                missing = np.isnan(terms, out=the_plan.scratch(i, "missing", terms.shape,
                                                               bool))
            else:
                missing = np.isnan(np.stack(np.broadcast_arrays(
                    *[values.score(k) for k in kids]), axis=-2))
        else:
            children = np.stack(np.broadcast_arrays(*[values.score(k) for k in kids]), axis=-1)
            missing = None
        w = _weights(fw, step, values, None if form is not None else children, strict)
        if multipliers is not None:
            w = w * multipliers[..., step.slot:step.slot + len(kids)]
        if excluded is not None:
            pos = step.excluded_pos
            drop = np.where(pos >= 0, excluded[..., np.maximum(pos, 0)], False)
            w = np.where(drop, 0.0, w)
        batch = terms.shape[:-2] if form is not None else children.shape[:-2]
        used[code] = w if w.ndim > len(batch) else np.broadcast_to(
            w, np.broadcast_shapes(w.shape[:-1], batch) + w.shape[-1:])
        if form is not None:
            dest = the_plan.place_in_parent(i, keep, held_nodes(meth), terms, w)
            y = linear_z(terms, missing, w, step.na_rm, step.dat_thresh,
                         None if dest is None else dest[..., step.place, :])
            if dest is not None:
                placed[code] = dest
            if strict:
                _refuse_empty_children(fw, panel, step, np.swapaxes(missing, -1, -2))
                _refuse_lost_values(fw, panel, step, np.swapaxes(missing, -1, -2), y)
        else:
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                y = step.aggregate(children, w)
            if strict:
                _refuse_empty_children(fw, panel, step, np.isnan(children))
                _refuse_lost_values(fw, panel, step, np.isnan(children), y)
        y = node_rules(fw, panel, meth, code, x, y, form)
        values.set(code, form, y)
        for k in kids:
            if k not in keep:
                values.drop(k)
                placed.pop(k, None)
    ranks = rank_nodes(fw, panel, meth, {code: values.score(code) for code in rank})
    return Scored({c: values.score(c) for c in fw.node_codes if c in keep}, ranks, used)


def reference_aggregate_and_rank(framework: Framework, panel: Panel,
                                 methodology: Methodology, indicator_scores: np.ndarray, *,
                                 weight_multipliers: np.ndarray | None = None,
                                 excluded: np.ndarray | None = None) -> Scored:
    """The plain version of :func:`aggregate_and_rank` (``strict=False``, every node kept
    and ranked), written as the Handbook reads, for tests to hold the fast path to: per
    aggregate bottom-up, the weight kernel on the children's scores, times the multipliers,
    0 for excluded indicators, the aggregation kernel on the children's scores, rounding;
    then every node ranked. No plan, no linear forms, no work arrays. It equals the fast
    path bit for bit, except where a geometric or harmonic child hands its ``z`` to a parent
    of the same form (there the fast path skips ``f(g(z))``: equal to rounding)."""
    fw, meth = framework, methodology
    x = np.asarray(indicator_scores, dtype=np.float64)
    mult = None if weight_multipliers is None else np.asarray(weight_multipliers,
                                                              dtype=np.float64)
    scores: dict[str, np.ndarray] = {}
    for i, code in enumerate(fw.indicators):
        scores[code] = np.round(x[..., i], meth.round[code]) if code in meth.round \
            else x[..., i]
    position = {c: i for i, c in enumerate(fw.indicators)}
    weights: dict[str, np.ndarray] = {}
    slot = 0
    for code in fw.aggregates:
        node = fw.nodes[code]
        kids = node.children
        where = f"node '{fw.path(code)}'"
        agg = bound("aggregate", meth.aggregate.resolve(code, node.level), panel, where)
        weight = bound("weight", meth.weight.resolve(code, node.level), panel, where,
                       aggregate=agg)
        children = np.stack(np.broadcast_arrays(*[scores[k] for k in kids]), axis=-1)
        w = weight(children, np.array([fw.nodes[k].weight for k in kids]))
        if mult is not None:
            w = w * mult[..., slot:slot + len(kids)]
        if excluded is not None:
            pos = np.array([position.get(k, -1) for k in kids])
            w = np.where(np.where(pos >= 0, excluded[..., np.maximum(pos, 0)], False), 0.0, w)
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            y = node_rules(fw, panel, meth, code, x, agg(children, w))
        scores[code] = np.round(y, meth.round[code]) if code in meth.round else y
        weights[code] = w
        slot += len(kids)
    ranks = {c: rank_node(fw, panel, meth, c, scores[c]) for c in fw.node_codes}
    return Scored(scores, ranks, weights)


def held_nodes(meth: Methodology) -> set[str]:
    """Nodes whose score is changed after their kernel (rounding, a coverage rule, a fill),
    so that a parent cannot take the kernel's sum as it is."""
    return set(meth.round) | set(meth.min_indicators) | set(meth.fill)


def fill_values(panel: Panel, column: str) -> np.ndarray:
    """A units-table column as numbers per unit (NaN where empty), for ``fill``; a value
    that is not a number is refused [D64]."""
    text = panel.units[column].astype(object).where(panel.units[column].notna(), "")
    out = np.full(len(text), np.nan)
    for i, (unit, v) in enumerate(zip(panel.unit_codes, text.astype(str), strict=True)):
        if v.strip() == "":
            continue
        try:
            out[i] = float(v)
        except ValueError:
            raise DataError("D64", f"units table, column '{column}', unit '{unit}': {v!r} is "
                                     "not a number (fill takes a numeric column; accepted: a "
                                     "number, or empty for no value)") from None
    return out


def node_rules(fw: Framework, panel: Panel, meth: Methodology, code: str, x: np.ndarray,
               y: np.ndarray, form: LinearForm | None = None) -> np.ndarray:
    """A node's publication rules after its kernel (``y`` ``[..., units]``, the weighted sum
    when ``form`` is given): no score where fewer than ``min_indicators`` of the indicators
    under it have a value in ``x`` ``[..., units, indicators]``, then a missing score taken
    from the units-table column ``fill`` names."""
    n = meth.min_indicators.get(code)
    if n is not None:
        pos = [fw.indicators.index(c) for c in fw.descendants(code)]
        have = (~np.isnan(x[..., pos])).sum(axis=-1)
        y = np.where(have < n, np.nan, y)
    column = meth.fill.get(code)
    if column is not None:
        v = fill_values(panel, column)
        y = np.where(np.isnan(y), v if form is None else form.f(v), y)
    return y


def _weights(fw: Framework, step: Step, values: _Values, children: np.ndarray | None,
             strict: bool) -> np.ndarray:
    """The weight stage's weights of a node's children, ``[..., children]`` with the batch
    axes of the children's scores, or ``[children]`` from a kernel that reads only their
    shape: those were made when the methodology was planned. A kernel that reads the scores
    gets them: ``children`` ``[..., units, children]`` when the caller has them (a node
    without a linear form), else assembled from ``values`` here."""
    if step.fixed_w is not None:
        return step.fixed_w
    if children is not None:
        scores = children
    else:
        scores = np.stack(np.broadcast_arrays(*[values.score(k) for k in step.kids]),
                          axis=-1)
    w = step.weight(scores, step.w0)
    if strict and np.isnan(w).any():
        raise MethodError("A06",
                          f"weight: node '{fw.path(step.code)}' ({step.weight.choice.method}) "
                          "gives no weights (too few units with all children observed)")
    return w


def _refuse_empty_children(fw: Framework, panel: Panel, step: Step, missing: np.ndarray
                           ) -> None:
    """A build's error [A21] when a child has no value for any unit in a year while its
    siblings have values: the node would silently become its other children (a whole
    dimension without data made the index the other dimensions). ``missing`` is
    ``[..., units, children]`` with the years as the leading axis."""
    if missing.shape[-2] == 0:
        return
    empty = missing.all(axis=-2)  # [..., children]
    bad = empty & ~empty.all(axis=-1, keepdims=True)
    if not bad.any():
        return
    at = np.argwhere(bad)[0]
    kid = step.kids[int(at[-1])]
    year = f" in year {panel.years[int(at[0])]}" if len(at) > 1 and \
        len(panel.years) == bad.shape[0] else ""
    names = [step.kids[j] for j in np.flatnonzero(bad.reshape(-1, bad.shape[-1]).any(0))]
    raise MethodError("A21", f"aggregate: node '{fw.path(step.code)}': its child(ren) "
                             f"{names} have no value for any unit{year}, so its score would "
                             f"be that of its other children alone; give data for "
                             f"'{fw.path(kid)}' or remove it from the framework")


def _refuse_lost_values(fw: Framework, panel: Panel, step: Step, missing: np.ndarray,
                        y: np.ndarray) -> None:
    """A build's error when a node has no value although its children have values
    (``missing`` ``[..., units, children]``)."""
    complete = ~missing.all(-1) if step.na_rm else ~missing.any(-1)
    if step.dat_thresh is not None:
        complete &= ~missing_below_threshold(missing, step.dat_thresh)
    lost = np.isnan(y) & complete
    if lost.any():
        raise MethodError("A07",
                          f"aggregate: node '{fw.path(step.code)}' ({step.method}) gives "
                          f"no value at {cells(panel, lost)} although its children have "
                          f"values; {step.method} needs children >= 0 (normalise to "
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
    missing scores get NaN. With ``rank.percentile``, percentile ranks instead
    (:func:`_percentile_ranks`)."""
    return _ranks(panel, meth, _oriented(fw, meth, code, scores))


RANK_CHUNK = 1 << 19  # node scores ranked together at most (4 MB a float array; 2^21
# raised a build's high-water by 25 MB at 20,000 x 200, 2^19 by 5 MB, as fast)


def rank_nodes(fw: Framework, panel: Panel, meth: Methodology,
               scores: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """:func:`rank_node` of each node of ``scores``, in its order, the same ranks: nodes
    whose scores have one shape are ranked together, as the rows of one block of at most
    :data:`RANK_CHUNK` values (one sort call, its blocks on two threads, rather than one
    small call per node; issue 27)."""
    codes, out = list(scores), {}
    while codes:
        shape = scores[codes[0]].shape
        size = max(1, RANK_CHUNK // max(1, int(np.prod(shape))))
        group = [codes[0]]
        for c in codes[1:size]:
            if scores[c].shape != shape:
                break
            group.append(c)
        del codes[:len(group)]
        block = np.empty(shape[:-1] + (len(group), shape[-1]))
        for j, c in enumerate(group):
            _oriented(fw, meth, c, scores[c], block[..., j, :])
        ranked = _ranks(panel, meth, block)
        out.update((c, ranked[..., j, :]) for j, c in enumerate(group))
    return out


def _oriented(fw: Framework, meth: Methodology, code: str, scores: np.ndarray,
              out: np.ndarray | None = None) -> np.ndarray:
    """A node's scores as ranked: rounded to ``rank.decimals``, higher is better (a new
    array, or ``out``)."""
    s = scores if meth.rank.decimals is None else np.round(scores, meth.rank.decimals)
    return np.multiply(s, rank_sign(fw, meth, code), out=out)


def _ranks(panel: Panel, meth: Methodology, s: np.ndarray) -> np.ndarray:
    """Ranks over the last axis of oriented scores ``s`` (changed in place): units of an
    excluded level, or not ``rank.only``, get none."""
    if meth.rank.exclude_levels:
        s[..., panel.units["level"].isin(meth.rank.exclude_levels).to_numpy()] = np.nan
    if meth.rank.only is not None:
        s[..., ~ranked_units(panel, meth.rank.only)] = np.nan
    if meth.rank.percentile:
        return _percentile_ranks(meth, s)
    # ascending ranks of -score: 1 = best
    return rankdata(np.negative(s, out=s), meth.rank.ties, axis=-1)


def _percentile_ranks(meth: Methodology, s: np.ndarray) -> np.ndarray:
    """``(rank - 1) / (N - 1)`` of the scores ``s`` (higher is better; 1 = best, 0 =
    worst), ties by ``rank.ties``, N the units ranked, rounded to
    ``rank.percentile_decimals``: the CDC/ATSDR SVI's
    ``RPL_THEMEk = round(PERCENTRANK.INC(SPL_THEMEk), 4)``."""
    pr = percentile_ranks(s, meth.rank.ties, axis=-1)
    d = meth.rank.percentile_decimals
    return pr if d is None else np.round(pr, d)


YES = ("yes", "true", "1")


def ranked_units(panel: Panel, column: str) -> np.ndarray:
    """Units whose units-table ``column`` says yes, true or 1 (``rank.only``): the only ones
    ranked."""
    return panel.units[column].astype(str).str.strip().str.lower().isin(YES).to_numpy()
