"""Why one unit scores above another, and where a ranking departs from a published one.

``explain`` splits the index score difference of two units into one contribution per
indicator, through the tree. At a node aggregated as a quasi-arithmetic mean
``g(sum_j w'_j f(x_j))`` (arithmetic, geometric, harmonic: the kernels that declare a
:class:`~fintech_index.methods.contracts.LinearForm`) the children's terms are
``t_j = w'_j(a) f(x_j(a)) - w'_j(b) f(x_j(b))``, which sum to the difference of the node's
``z``. Arithmetic throughout, with the same weights for both units, a contribution is the
indicator's effective weight (the product of ``w'`` down its path) times the difference of
its normalised scores: exact. Elsewhere (a geometric mean: terms in logs) the node's score
difference is shared among its children in proportion to their terms, so contributions
still sum to the difference; the terms themselves are reported too (``term``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import DataError, FintechIndexError, did_you_mean_unit
from ..format import MINUS
from ..methods import get as get_method
from ..methods.contracts import linear_form
from .backcast import effective_weights


@dataclass(frozen=True)
class Explanation:
    """The score difference ``a - b`` of one year, split by indicator."""

    a: str
    b: str
    year: int
    difference: float  # index score of a minus that of b
    contributions: pd.DataFrame  # per indicator: contribution, term, weight, score_a, score_b

    def top(self, n: int = 3) -> pd.DataFrame:
        """The ``n`` indicators with the largest contributions either way, largest first."""
        c = self.contributions
        return c.reindex(c["contribution"].abs().sort_values(ascending=False).index[:n])


def _hint(results, unit: str) -> str:
    """"did you mean" over the units' codes and names: 'Shangai' -> 'Shanghai', code SHA."""
    names = results.panel.units["name"] if "name" in results.panel.units else {}
    return did_you_mean_unit(unit, {u: names.get(u, u) for u in results.units}, " (", ")")


def _unit_index(results, unit: str) -> int:
    units = list(results.units)
    if unit not in units:
        raise FintechIndexError("U60", f"explain: no unit '{unit}' in these results"
                                f"{_hint(results, unit)}; the units are "
                                f"{', '.join(units[:20])}{' ...' if len(units) > 20 else ''}")
    return units.index(unit)


def _form(results, code: str):
    node = results.framework.nodes[code]
    choice = results.methodology.aggregate.resolve(code, node.level)
    form = linear_form(get_method("aggregate", choice.method).fn)
    if form is None:
        raise FintechIndexError("U61", f"explain: node '{results.framework.path(code)}' is "
                                       f"aggregated by '{choice.method}', which is not a "
                                       "weighted mean; explain splits scores aggregated by "
                                       "a_amean, a_gmean or a_hmean")
    return form


def _weights(results, code: str, t: int, kid_scores: np.ndarray) -> np.ndarray:
    """``w'`` of the children [children, 2]: the node's weights over the children present."""
    fw = results.framework
    kids = fw.nodes[code].children
    w = (results.weights or {}).get(code)
    w = np.asarray(w[t] if w is not None else [fw.nodes[k].weight for k in kids], float)
    present = ~np.isnan(kid_scores)
    wp = np.where(present, w[:, None], 0.0)
    return wp / wp.sum(axis=0, keepdims=True)


def _split(results, code: str, t: int, ua: int, ub: int, col: dict[str, int],
           term: dict[str, float]) -> dict[str, float]:
    """Indicator -> its part of ``score(code, a) - score(code, b)``."""
    fw = results.framework
    s = results.score_array[t]
    if fw.nodes[code].is_indicator:
        return {code: float(s[ua, col[code]] - s[ub, col[code]])}
    kids = fw.nodes[code].children
    x = np.array([[s[ua, col[k]], s[ub, col[k]]] for k in kids])
    w = _weights(results, code, t, x)
    form = _form(results, code)
    with np.errstate(divide="ignore", invalid="ignore"):
        fx = np.where(w > 0, form.f(x), 0.0)
    terms = w[:, 0] * fx[:, 0] - w[:, 1] * fx[:, 1]
    diff = float(s[ua, col[code]] - s[ub, col[code]])
    arithmetic = form.name == "arithmetic" and np.allclose(w[:, 0], w[:, 1], rtol=0, atol=0)
    total = terms.sum()
    out: dict[str, float] = {}
    for j, k in enumerate(kids):
        below = _split(results, k, t, ua, ub, col, term)
        if fw.nodes[k].is_indicator:
            term[k] = float(terms[j])
        if arithmetic:
            share = {i: w[j, 0] * v for i, v in below.items()}
        else:
            part = diff * terms[j] / total if total != 0 else 0.0
            kid_diff = sum(below.values())
            share = ({i: part * v / kid_diff for i, v in below.items()} if kid_diff != 0
                     else {i: part / len(below) for i in below})
        for i, v in share.items():
            out[i] = out.get(i, 0.0) + v
    return out


def explain(results, a: str, b: str, year: int | None = None) -> Explanation:
    """Split the index score of ``a`` minus that of ``b`` in ``year`` (default: the latest)
    into each indicator's contribution; they sum to the difference (see the module's note)."""
    year = results.years[-1] if year is None else int(year)
    if year not in results.years:
        raise FintechIndexError("U62", f"explain: no year {year} in these results (years: "
                                f"{', '.join(str(y) for y in results.years)})")
    t = results.years.index(year)
    ua, ub = _unit_index(results, a), _unit_index(results, b)
    fw = results.framework
    col = {c: i for i, c in enumerate(results.nodes)}
    for u, i in ((a, ua), (b, ub)):
        if np.isnan(results.score_array[t, i, col[fw.index]]):
            raise FintechIndexError("U63", f"explain: unit '{u}' has no index score in {year} "
                                    "(screened out or too few values); pick a scored unit")
    term: dict[str, float] = {}
    parts = _split(results, fw.index, t, ua, ub, col, term)
    weight = effective_weights(fw)
    s = results.score_array[t]
    rows = [{"indicator": i, "contribution": parts[i], "term": term.get(i, np.nan),
             "weight": weight.get(i, np.nan), "score_a": float(s[ua, col[i]]),
             "score_b": float(s[ub, col[i]])} for i in fw.indicators]
    diff = float(s[ua, col[fw.index]] - s[ub, col[fw.index]])
    return Explanation(a, b, year, diff, pd.DataFrame(rows).set_index("indicator"))


@dataclass(frozen=True)
class Comparison:
    """Our ranking against a published one, over the units both rank."""

    year: int
    units: int
    spearman: float
    kendall: float
    k: int
    top_k_shared: int  # units in both top k
    table: pd.DataFrame  # per unit: published, ours, at_published (the unit we rank there),
    # difference (score of unit minus that unit's), drivers (indicators, largest first)


def compare_published(results, published: Mapping[str, int] | pd.Series,
                      year: int | None = None, k: int = 10, drivers: int = 3) -> Comparison:
    """Spearman's and Kendall's rank correlations with a published ranking (unit -> rank),
    the overlap of the two top ``k``, and for each unit the indicators that account for its
    distance from its published position: :func:`explain` of the unit against the unit we
    rank at that position (among the units both rank)."""
    from scipy.stats import kendalltau, spearmanr  # 0.6 s to import: not for every build

    year = results.years[-1] if year is None else int(year)
    ours = results.ranks()[year]
    pub = pd.Series(published, dtype=float)
    common = [u for u in pub.index if u in ours.index and not np.isnan(ours[u])]
    if len(common) < 3:
        raise DataError("D75", f"compare: only {len(common)} unit(s) of the published ranking "
                                f"are ranked in {year}; at least 3 are needed (units given: "
                                f"{', '.join(map(str, pub.index[:10]))})")
    p, o = pub[common], ours[common]
    mine = o.rank(method="first").astype(int)  # our order among the common units
    theirs = p.rank(method="first").astype(int)
    at = {int(r): u for u, r in mine.items()}
    rows = []
    for u in common:
        ref = at[int(theirs[u])]
        if ref == u:
            rows.append({"unit": u, "published": p[u], "ours": o[u], "at_published": u,
                         "difference": 0.0, "drivers": ""})
            continue
        e = explain(results, u, ref, year)
        top = e.top(drivers)
        rows.append({"unit": u, "published": p[u], "ours": o[u], "at_published": ref,
                     "difference": e.difference,
                     "drivers": "; ".join(f"{i} {v:+.3g}".replace("-", MINUS)
                                          for i, v in top["contribution"].items())})
    top_p = set(p[p <= k].index)
    top_o = set(ours[ours <= k].index)
    return Comparison(year, len(common), float(spearmanr(p, o).statistic),
                      float(kendalltau(p, o).statistic), k, len(top_p & top_o),
                      pd.DataFrame(rows).set_index("unit"))


def read_published(path) -> pd.Series:
    """A published ranking from a CSV or Excel file with columns ``unit`` and ``rank`` (a
    whole number from 1; other columns are ignored): unit -> rank."""
    from ..errors import Problems
    from ..tables import parse_numbers, read_table

    table = read_table(path)
    lacking = [c for c in ("unit", "rank") if c not in table.frame.columns]
    if lacking:
        raise DataError("D76", f"{table.src}: no column {', '.join(map(repr, lacking))}; a "
                               "published ranking has the columns 'unit' and 'rank' (found: "
                               f"{', '.join(map(str, table.frame.columns))})")
    problems = Problems()
    rank = parse_numbers(table.frame["rank"], table, "rank", problems)
    problems.raise_as(DataError)
    for i, r in enumerate(rank):
        if not (r >= 1 and r == int(r)):
            problems.add("D76", f"{table.src}, {table.row(i)}, column 'rank': {r!r} is not a "
                                "rank (a whole number from 1)")
    problems.raise_as(DataError)
    return pd.Series(rank, index=table.frame["unit"].astype(str).str.strip(), name="rank")
