"""Sentences built from an edition's facts. Every figure in a sentence is taken from the
results (ranks, scores, deltas, gaps); none is typed by hand.

The facts are data (:class:`Fact`): what happened, to which unit, on which node, with which
figures. :func:`edition_facts` finds them, :func:`render` writes one as a sentence (or as a
clause of a sentence about its city, which the lead story merges) in English or Chinese
from the reviewed strings table (publish/strings.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..analysis.changes import Changes, compare, unchanged_top
from ..analysis.edition import Edition
from ..analysis.gaps import gap
from ..analysis.regions import NO_GROUP, regional_leads
from . import format as fmt
from .i18n import strings

ordinal = fmt.ordinal  # kept here: publish.sentences.ordinal is public
number = fmt.count

# kinds of fact about one unit: written as a clause after the unit's name
CITY_KINDS = ("move", "entry", "first", "overtook", "overtaken", "position")


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


@dataclass(frozen=True)
class Names:
    """How units and nodes are named in one language."""

    lang: str
    unit: Callable[[str], str]
    node: Callable[[str], str]
    region: Callable[[str], str]

    @classmethod
    def of(cls, ed: Edition, lang: str = "en", node_names: dict[str, str] | None = None
           ) -> Names:
        from .i18n import unit_name

        table = strings(lang)
        nodes = node_names or ed.node_names
        return cls(lang, lambda u: unit_name(ed.units, u, lang) if lang != "en" else ed.name(u),
                   lambda n: nodes.get(n) or ed.node_names.get(n, n),
                   lambda r: table.get(f"region_{r}", r))


def previous_name(previous: Edition, lang: str = "en") -> str:
    """How a sentence names the previous edition: '2024', or '2024 (recomputed on the 2025
    framework)' when it is a back-cast (:attr:`Edition.recomputed_on`)."""
    t = strings(lang)
    if previous.recomputed_on is None:
        return t["previous_edition"].format(previous=previous.label)
    return t["previous_recomputed"].format(previous=previous.label,
                                           framework=previous.recomputed_on)


def overtakes(ed: Edition, previous: Edition, a_units: list[str], b_units: list[str]
               ) -> list[Fact]:
    """'A overtook B on X': A was behind B on aggregate X (below the index) last edition
    and is ahead now."""
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
                        if now[i, k] < now[j, k] and before[i, k] > before[j, k])
            if won:
                out.append(Fact("overtook", a, other=b, nodes=won, data={
                    "rank_a": float(ed.ranks.at[a, ed.index]),
                    "rank_b": float(ed.ranks.at[b, ed.index])}))
    return out


def _shown(value: float, ed: Edition, lang: str = "en") -> str:
    """A score figure of a sentence (gap, mean) as shown: to the index's decimals."""
    return fmt.number(value, ed.decimals(), lang)


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
        for unit, row in t[t["rank"] <= top].iterrows():
            f = _move(unit, None, row["rank"], row["rank_change"])
            if f:
                out.append(f)
        for unit in changes.entries:
            r = ed.ranks.at[unit, ed.index]
            if r <= top:
                out.append(Fact("entry", unit, data={"rank": float(r)}))
        g_now, g_before = gap(ed, top), gap(previous, top)
        verdict = g_now.versus(g_before)
        # a change that shows at neither figure's decimal is not news ("narrowed: from 35.2
        # to 35.2"); one figure the same as shown is said so ("unchanged at 10.9")
        shown = any(_shown(a, ed) != _shown(b, ed) for a, b in
                    ((g_now.range, g_before.range), (g_now.sd, g_before.sd)))
        if verdict in ("narrowed", "widened") and shown:
            out.append(Fact("gap", data={"verdict": verdict, "n": g_now.n,
                                         "range_before": g_before.range,
                                         "range_now": g_now.range, "sd_before": g_before.sd,
                                         "sd_now": g_now.sd}))
    dims = list(ed.children[ed.index])
    for node in dims + [c for d in dims for c in ed.children[d] if ed.children.get(c)]:
        r = ed.ranked(node)
        first = list(r.index[r == 1])
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


def clause(fact: Fact, ed: Edition, previous: Edition | None, names: Names) -> str:
    """The part of a sentence about ``fact.subject`` that follows its name."""
    t, lang = strings(names.lang), names.lang
    d = fact.data
    if fact.kind == "move":
        key = ("c_up" if d["change"] > 0 else "c_down") + ("_on" if fact.node else "")
        return t[key].format(places=fmt.places(int(d["change"]), lang),
                             ordinal=fmt.ordinal(d["rank"], lang),
                             node=names.node(fact.node) if fact.node else "")
    if fact.kind == "entry":
        return t["c_entry"].format(ordinal=fmt.ordinal(d["rank"], lang))
    if fact.kind == "first":
        nodes = fact.nodes or (fact.node,)
        return t["c_first"].format(node=fmt.join([names.node(n) for n in nodes], lang))
    if fact.kind in ("overtook", "overtaken"):
        others = fact.data.get("others") or (fact.other,)
        return t[f"c_{fact.kind}"].format(
            other=fmt.join([names.unit(u) for u in others], lang),
            nodes=fmt.join([names.node(n) for n in fact.nodes], lang))
    if fact.kind == "position":
        text = t["c_position"].format(ordinal=fmt.ordinal(d["rank"], lang),
                                      n=fmt.count(d["n"], lang) if lang == "en" else d["n"])
        if d.get("unchanged") and previous is not None:
            text += t["clause_sep"] + t["c_unchanged"].format(
                previous=previous_name(previous, lang))
        return text
    raise ValueError(f"no clause for a fact of kind {fact.kind!r}")


def render(fact: Fact, ed: Edition, previous: Edition | None = None,
           names: Names | None = None) -> str:
    """One fact as a sentence in ``names.lang`` (default English)."""
    names = names or Names.of(ed)
    t, lang = strings(names.lang), names.lang
    d = fact.data
    prev_label = previous_name(previous, lang) if previous is not None else ""
    if fact.kind in CITY_KINDS:
        return t["s_city"].format(city=names.unit(fact.subject),
                                  clauses=clause(fact, ed, previous, names))
    if fact.kind == "leaders":
        units = [names.unit(u) for u in d["units"]]
        rest = (t["s_leaders_rest"].format(others=fmt.join(units[1:], lang))
                if len(units) > 1 else "")
        return t["s_leaders"].format(edition=ed.label, first=units[0], rest=rest)
    if fact.kind == "top_unchanged":
        return t["s_top_unchanged"].format(k=fmt.count(d["k"], lang), previous=prev_label)
    if fact.kind == "stays_first":
        return t["s_stays_first"].format(city=names.unit(fact.subject), previous=prev_label)
    if fact.kind == "takes_first":
        return t["s_takes_first"].format(city=names.unit(fact.subject),
                                         before=names.unit(fact.other))
    if fact.kind == "gap":
        def figure(name: str) -> str:  # "went from 35.2 to 34.3 points", "unchanged at 10.9"
            before, now = (_shown(d[f"{name}_{w}"], ed, lang) for w in ("before", "now"))
            return t[f"gap_{name}_{'same' if before == now else 'moved'}"].format(
                before=before, now=now)
        return t["s_gap"].format(n=fmt.count(d["n"], lang),
                                 verdict=t[f"verdict_{d['verdict']}"], range=figure("range"),
                                 sd=figure("sd"))
    if fact.kind == "shared_first":
        return t["s_shared_first"].format(cities=fmt.join([names.unit(u) for u in d["units"]],
                                                          lang), node=names.node(fact.node))
    if fact.kind == "region":
        return t["s_region"].format(region=names.region(d["region"]),
                                    k=fmt.count(d["k"], lang), n=fmt.count(d["n"], lang),
                                    mean=_shown(d["mean"], ed, lang))
    raise ValueError(f"no sentence for a fact of kind {fact.kind!r}")


def edition_sentences(current: Edition, previous: Edition | None = None, top: int = 10,
                      region_by: str = "region", lang: str = "en",
                      facts: list[Fact] | None = None) -> list[str]:
    """The report's sentences for ``current`` (with changes if ``previous`` is given):
    every fact of :func:`edition_facts`, one sentence each (``facts``: those facts of the
    same editions, ``top`` and ``region_by``, when already found)."""
    names = Names.of(current, lang)
    if facts is None:
        facts = edition_facts(current, previous, top, region_by)
    return [render(f, current, previous, names) for f in facts]
