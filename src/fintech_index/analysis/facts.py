"""The facts an edition states, as data (:class:`Fact`): what happened, to which unit, on
which node, with which figures: the leaders, the top unchanged or a new first, moves and
entries, the gap among the leaders narrowing or widening, first places, "A overtook B on
X", the leading region. No words: ``publish.sentences`` renders a fact as a sentence or a
clause, ``publish.lead`` picks the lead story from them."""

from __future__ import annotations

from dataclasses import dataclass, field

from .changes import Changes, compare, unchanged_top
from .edition import Edition
from .gaps import gap
from .regions import NO_GROUP, regional_leads

# kinds of fact about one unit: written as a clause after the unit's name
# a move on the index of this many places is news wherever it happens in the ranking
BIG_MOVE = 3
CITY_KINDS = ("move", "entry", "first", "overtook", "overtaken", "position", "profile")


@dataclass(frozen=True)
class Fact:
    """One thing the edition says. ``subject``: the unit it is about (None: the edition);
    ``node``: the node (None: the index); ``other``: the second unit of a head-to-head;
    ``nodes``: the nodes of a head-to-head; ``data``: the figures."""

    kind: str
    subject: str | None = None
    node: str | None = None
    other: str | None = None
    nodes: tuple[str, ...] = ()
    data: dict = field(default_factory=dict, compare=False)



def _imputed(ed: Edition, unit: str, node: str) -> bool:
    """Whether ``unit``'s score on ``node`` rests on an imputed value (a head-to-head on it
    compares an estimate, not an observation: not stated)."""
    return bool(ed.imputed is not None and node in ed.imputed.columns
                and ed.imputed.at[unit, node])


def overtakes(ed: Edition, previous: Edition, a_units: list[str], b_units: list[str]
               ) -> list[Fact]:
    """'A overtook B on X': A was behind B on aggregate X (below the index) last edition
    and is ahead now, both on observed values (neither score on X rests on an imputed one)."""
    nodes = [n for n in ed.children if ed.children[n] and n != ed.index
             and n in previous.ranks.columns]
    have = [u for u in dict.fromkeys([*a_units, *b_units])
            if u in ed.ranks.index and u in previous.ranks.index]
    now = ed.ranks.loc[have, nodes].to_numpy()
    before = previous.ranks.loc[have, nodes].to_numpy()
    pos = {u: i for i, u in enumerate(have)}
    out = []
    for a in [u for u in a_units if u in pos]:
        i = pos[a]
        for b in [u for u in b_units if u in pos]:
            if a == b:
                continue
            j = pos[b]
            won = tuple(n for k, n in enumerate(nodes)
                        if now[i, k] < now[j, k] and before[i, k] > before[j, k]
                        and not (_imputed(ed, a, n) or _imputed(ed, b, n)))
            if won:
                out.append(Fact("overtook", a, other=b, nodes=won, data={
                    "rank_a": float(ed.ranks.at[a, ed.index]),
                    "rank_b": float(ed.ranks.at[b, ed.index])}))
    return out


def _as_shown(value: float, ed: Edition) -> float | None:
    """A score figure of a sentence (gap, mean) as it will be shown: rounded to the index's
    decimals (the number format rounds the same way; -0 shows as 0; a missing one as none)."""
    x = float(value)
    return None if x != x else round(x, ed.decimals()) + 0.0


def _move(unit: str, node: str | None, rank: float, change: float) -> Fact | None:
    if change != change or change == 0:  # NaN or 0
        return None
    return Fact("move", unit, node, data={"rank": float(rank), "change": float(change)})


def _leaders(ed: Edition, top: int) -> list[str]:
    return list(ed.ranked().index[:top])


def edition_facts(current: Edition, previous: Edition | None = None, top: int = 10,
                  region_by: str = "region", changes: Changes | None = None) -> list[Fact]:
    """Every fact the report states, in the order of the sentences file (``changes``:
    ``compare(current, previous)`` when already computed)."""
    ed = current
    out: list[Fact] = []
    leaders = _leaders(ed, min(top, 3))
    if leaders:
        out.append(Fact("leaders", data={"units": tuple(leaders)}))
    if previous is None:
        changes = None
    elif changes is None:
        changes = compare(ed, previous)
    if changes is not None:
        k = unchanged_top(changes)
        if k >= 2:
            out.append(Fact("top_unchanged", data={"k": k}))
        elif k == 1:
            out.append(Fact("stays_first", leaders[0]))
        elif leaders:
            out.append(Fact("takes_first", leaders[0],
                            other=str(previous.ranked().index[0])))
        t = changes.node()
        for unit, row in t.iterrows():
            r, change = float(row["rank"]), float(row["rank_change"])
            before = r + change
            # news: a move among the top 2N of either edition, or of BIG_MOVE places anywhere
            if min(r, before) > 2 * top and not abs(change) >= BIG_MOVE:
                continue
            f = _move(unit, None, r, change)
            if f:
                f.data["top"] = top
                if r <= top < before or before <= top < r:
                    f.data["crossed"] = "in" if r <= top else "out"
                out.append(f)
        for unit in changes.entries:
            r = ed.ranks.at[unit, ed.index]
            if r <= top:
                out.append(Fact("entry", unit, data={"rank": float(r)}))
        g_now, g_before = gap(ed, top), gap(previous, top)
        verdict = g_now.versus(g_before)
        # a change that shows at neither figure's decimal is not news ("narrowed: from 35.2
        # to 35.2"); one figure the same as shown is said so ("unchanged at 10.9")
        shown = any(_as_shown(a, ed) != _as_shown(b, ed) for a, b in
                    ((g_now.range, g_before.range), (g_now.sd, g_before.sd)))
        if verdict in ("narrowed", "widened") and shown:
            out.append(Fact("gap", data={"verdict": verdict, "n": g_now.n,
                                         "range_before": g_before.range,
                                         "range_now": g_now.range, "sd_before": g_before.sd,
                                         "sd_now": g_now.sd}))
    dims = list(ed.children[ed.index])
    for node in dims + [c for d in dims for c in ed.children[d] if ed.children.get(c)]:
        # first place in ranked order (ties in code point order, as Python sorts str): the
        # few units ranked 1, not a sort of every unit per node (0.1 s of 20,000 x 25 nodes)
        ranks = ed.ranks[node]
        first = sorted(ranks.index[ranks.to_numpy() == 1])  # a Series mask builds an engine
        if len(first) == 1:
            out.append(Fact("first", first[0], node, data={
                "dimension": node in dims, "rank": float(ed.ranks.at[first[0], ed.index])}))
        elif first:
            out.append(Fact("shared_first", node=node, data={"units": tuple(first),
                                                             "dimension": node in dims}))
    if previous is not None:
        both = list(dict.fromkeys([*ed.ranked().index[:top], *previous.ranked().index[:top]]))
        out += overtakes(ed, previous, both, both)
    if changes is not None:
        for node in dims:
            t = changes.node(node)
            for unit in ed.ranked().index[:top]:
                if unit in t.index:
                    f = _move(unit, node, t.at[unit, "rank"], t.at[unit, "rank_change"])
                    if f:
                        out.append(f)
    if region_by in ed.units.columns and ed.units[region_by].notna().any():
        leads = regional_leads(ed, by=region_by, top=top)
        n = min(top, int(leads["units"].sum()))
        leads = leads[leads.index != NO_GROUP]  # units without a region are not a region
        n_top = int(leads[f"top_{top}"].iloc[0]) if len(leads) else 0
        if n_top:
            out.append(Fact("region", data={"region": leads.index[0], "k": n_top, "n": n,
                                            "mean": float(leads[f"mean_{ed.index}"].iloc[0])}))
    return out
