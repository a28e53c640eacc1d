"""The lead story of an edition: the most newsworthy facts, those about one city merged
into one sentence, nothing said twice, at most ``size`` sentences; the remaining facts
follow in sections. With ``focus`` the story is told from one city's point of view.

Newsworthiness (a fact's weight; higher first), ``top`` = the N of "top N":
- the leaders 100; who is first (stays first, takes first, top k unchanged) 90-95;
- the gap among the top N narrowing or widening: 50 + 10 per point of range (at most 80);
- the leading region 50;
- a move on the index (a city of the top 2N of either edition, or a move of three places or
  more anywhere): 40 + 8 |places| + (top + 1 - rank) within the top N, - (rank - top) / 2N
  below it (the higher of two equal moves first), + 40 for entering or leaving the top N;
  an entry to the ranking: 40 + 2 (top + 1 - rank);
- a first place: 45 on a dimension, 30 on a pillar, + (top + 1 - overall rank) / 2;
- a head-to-head among the leaders ("A overtook B on X", only where neither score on X
  rests on an imputed value: observed against observed):
  20 + 4 |nodes| + (2 top + 2 - rank A - rank B) / 2;
- a move on a dimension: 15 + 2 |places| + (top + 1 - rank) / 2 (a move on the index is
  the news; ten places on one dimension weigh less than three on the index).
A city's facts become one sentence (its heaviest three clauses, its first places in one;
a city entering or leaving the top N: that move alone, its other facts in the sections),
weighted by its heaviest fact plus 2 per further fact. Said twice: "A overtook B on X"
where the lead already moves A or B on X (the move names the change); "A ranks first on X"
where A "climbed ... to first on X"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from .. import format as fmt
from ..analysis.changes import Changes, compare
from ..analysis.edition import Edition
from ..analysis.facts import CITY_KINDS, Fact, edition_facts, overtakes
from ..build import OBSERVED_WEIGHT_MIN, Results
from ..errors import FintechIndexError, did_you_mean_unit, listing
from .i18n import strings
from .provenance import p_top_column
from .sentences import Names, clause, render

MAX_CLAUSES = 3

SECTION_OF = {"leaders": "sections_edition", "top_unchanged": "sections_edition",
              "stays_first": "sections_edition", "takes_first": "sections_edition",
              "gap": "sections_edition", "move": "sections_moves", "entry": "sections_moves",
              "first": "sections_firsts", "shared_first": "sections_firsts",
              "overtook": "sections_head", "overtaken": "sections_head",
              "region": "sections_regions"}


@dataclass(frozen=True)
class Lead:
    """The lead (sentences) and the sections that follow it (title, sentences)."""

    sentences: tuple[str, ...]
    sections: tuple[tuple[str, tuple[str, ...]], ...]

    def text(self) -> str:
        """The story as plain text: the lead, then each section under its title."""
        parts = [joined(self.sentences)]
        for title, lines in self.sections:
            parts.append(title + "\n" + "\n".join(f"- {s}" for s in lines))
        return "\n\n".join(parts) + "\n"


def joined(sentences) -> str:
    """Sentences as one paragraph: a space after an English full stop, none after a Chinese
    one (。)."""
    return "".join(s + ("" if s.endswith("。") or i == len(sentences) - 1 else " ")
                   for i, s in enumerate(sentences))


def weight(fact: Fact, top: int) -> float:
    """How newsworthy a fact is (module docstring)."""
    d, k = fact.data, fact.kind
    fixed = {"leaders": 100.0, "takes_first": 95.0, "stays_first": 90.0,
             "top_unchanged": 90.0, "region": 50.0}
    if k in fixed:
        return fixed[k]
    if k == "gap":
        return 50 + min(30.0, 10 * abs(d["range_now"] - d["range_before"]))
    if k == "move" and fact.node is None:
        r = d["rank"]
        return (40 + 8 * abs(d["change"]) + max(0.0, top + 1 - r) - max(0.0, r - top) / (2 * top)
                + (40 if d.get("crossed") else 0))
    if k == "entry":
        return 40 + 2 * (top + 1 - d["rank"])
    if k in ("first", "shared_first"):
        base = 45 if d.get("dimension") else 30
        return base + max(0.0, top + 1 - d.get("rank", top + 1)) / 2 - (5 if k ==
                                                                         "shared_first" else 0)
    if k in ("overtook", "overtaken"):
        return 20 + 4 * len(fact.nodes) + max(0.0, 2 * top + 2 - d["rank_a"] - d["rank_b"]) / 2
    if k == "move":
        return 15 + 2 * abs(d["change"]) + max(0.0, top + 1 - d["rank"]) / 2
    return 10.0


def _without_repeats(facts: list[Fact]) -> list[Fact]:
    """Drop what another fact of the list already says (module docstring)."""
    moved = {(f.subject, f.node) for f in facts if f.kind == "move"}
    to_first = {(f.subject, f.node) for f in facts if f.kind == "move" and f.data["rank"] == 1}
    out = []
    for f in facts:
        if f.kind == "first" and (f.subject, f.node) in to_first:
            continue
        if f.kind in ("overtook", "overtaken"):
            keep = tuple(n for n in f.nodes
                         if (f.subject, n) not in moved and (f.other, n) not in moved)
            if not keep:
                continue
            if keep != f.nodes:
                f = Fact(f.kind, f.subject, f.node, f.other, keep, f.data)
        out.append(f)
    return out


def _by_node(facts: list[Fact], kind: str, unit: str, ed: Edition, most: int) -> list[Fact]:
    """Head-to-heads of one city grouped by node: "overtook A and B on X"; the ``most``
    nodes whose best-ranked other city ranks highest."""
    groups: dict[str, list[str]] = {}
    for f in facts:
        for n in f.nodes:
            groups.setdefault(n, []).append(f.other)
    out = []
    for node, others in groups.items():
        others = sorted(set(others), key=lambda u: (ed.ranks.at[u, ed.index], u))[:3]
        best = float(ed.ranks.at[others[0], ed.index])
        out.append(Fact(kind, unit, nodes=(node,), other=others[0], data={
            "others": tuple(others), "rank_a": float(ed.ranks.at[unit, ed.index]),
            "rank_b": best}))
    return sorted(out, key=lambda f: (f.data["rank_b"], f.nodes))[:most]


def _focus_facts(ed: Edition, previous: Edition | None, unit: str, facts: list[Fact],
                 changes: Changes | None = None) -> list[Fact]:
    """The focus city's own facts: its position, its firsts, its moves on the index and
    each dimension, whom it overtook and who overtook it (against every city, grouped by
    node, the three nodes and three rivals ranked highest)."""
    position = {"rank": float(ed.ranks.at[unit, ed.index]), "n": len(ed.ranked())}
    own = [f for f in facts if f.subject == unit and f.kind == "first"]
    if previous is not None:
        ch = changes if changes is not None else compare(ed, previous)
        for node in [None, *ed.children[ed.index]]:
            t = ch.node(node)
            if unit in t.index:
                r = t.at[unit, "rank_change"]
                told = [f for f in facts if f.kind == "move" and f.subject == unit
                        and f.node is None] if node is None else []
                if told:  # the edition's fact: it says whether the city crossed the top N
                    own.append(told[0])
                elif r == r and r != 0:
                    own.append(Fact("move", unit, node, data={"rank": float(t.at[unit, "rank"]),
                                                              "change": float(r)}))
                elif node is None and r == 0:
                    position["unchanged"] = True
        others = [u for u in ed.ranked().index if u != unit]
        won = overtakes(ed, previous, [unit], others)
        lost = [Fact("overtaken", unit, other=f.subject, nodes=f.nodes, data=f.data)
                for f in overtakes(ed, previous, others, [unit])]
        own += _by_node(won, "overtook", unit, ed, MAX_CLAUSES)
        own += _by_node(lost, "overtaken", unit, ed, MAX_CLAUSES)
    return [Fact("position", unit, data=position), *_profile(ed, unit), *own]


def _profile(ed: Edition, unit: str) -> list[Fact]:
    """The focus city's strongest and weakest dimension (its best and worst rank among the
    ranked cities; none when it has fewer than two ranked dimensions)."""
    ranks = {d: float(ed.ranks.at[unit, d]) for d in ed.children[ed.index]
             if ed.ranks.at[unit, d] == ed.ranks.at[unit, d]}
    if len(ranks) < 2:
        return []
    order = sorted(ranks, key=lambda d: (ranks[d], d))
    best, worst = order[0], order[-1]
    if ranks[best] == ranks[worst]:
        return []
    return [Fact("profile", unit, data={"best": best, "best_rank": ranks[best],
                                        "worst": worst, "worst_rank": ranks[worst]})]


def _caveat(unit: str, group: list[Fact], ed: Edition, lang: str) -> str:
    """The clause a city's move or entry on the index takes when its rank rests mostly on
    imputed values (observed weight under ``OBSERVED_WEIGHT_MIN``: the mark of the ranking
    CSV, site and papers), with the imputed share; nothing otherwise."""
    on_index = any(f.kind in ("move", "entry") and f.node is None for f in group)
    share = ed.observed.get(unit) if ed.observed is not None and on_index else None
    if share is None or not share < OBSERVED_WEIGHT_MIN:
        return ""
    return strings(lang)["clause_mostly_imputed"].format(
        share=fmt.percent(1 - share, rounding="up"))  # the imputed share never said less


def resolve_unit(ed: Edition, city: str) -> str:
    """The code of the ranked unit ``city`` names (its code or name, any case) [U49]."""
    wanted = city.strip().casefold()
    for unit in ed.ranked().index:
        if wanted in (str(unit).casefold(), ed.name(unit).casefold()):
            return str(unit)
    known = listing(f"{u} ({ed.name(u)})" for u in ed.ranked().index)
    hint = did_you_mean_unit(city, {u: ed.name(u) for u in ed.ranked().index}, " (", ")")
    raise FintechIndexError("U49", f"--focus {city!r}: no ranked city of the {ed.label} "
                            f"edition has this code or name{hint}; use one of {known}")


def focus_unit(results: Results, city: str | None) -> str | None:
    """The code of the unit ``city`` names among the ranked units of the latest year of
    ``results`` (:func:`resolve_unit`, [U49]); None when no city is given."""
    return resolve_unit(Edition.of(results), city) if city else None


def focus_notes(ed: Edition, unit: str, lang: str = "en", audit: pd.DataFrame | None = None,
                counts: Sequence[str] = ()) -> tuple[str, ...]:
    """What the focus lead says beside the edition's facts: ``counts``, the city's counts
    from records as the index words them (``PaperSections.focus``), then its rank interval
    (5th-95th percentile) and chance of the top N under ``audit`` (an uncertainty summary),
    when the city is in it."""
    notes = list(counts)
    if audit is not None and unit in audit.index:
        row, top = audit.loc[unit], p_top_column(audit)
        if top is not None:
            notes.append(strings(lang)["lead_interval"].format(
                city=Names.of(ed, lang).unit(unit), lo=fmt.rank(row["rank_p05"]),
                hi=fmt.rank(row["rank_p95"]), top=fmt.count(top[1], lang),
                p=fmt.percent(row[top[0]])))
    return tuple(notes)


def lead_story(current: Edition, previous: Edition | None = None, top: int = 10,
               size: int = 8, focus: str | None = None, lang: str = "en",
               node_names: dict[str, str] | None = None, facts: list[Fact] | None = None,
               changes: Changes | None = None, notes: Sequence[str] = ()) -> Lead:
    """The lead of at most ``size`` sentences (and ``notes``) and the sections of the other
    facts.

    ``focus``: a unit code; its sentences come first (position and move on the index; its
    strongest and weakest dimension; ``notes``, from :func:`focus_notes`: its counts from
    records and its rank interval; then its firsts, overtakes and dimension moves), then
    the edition's heaviest facts.
    ``facts``: :func:`edition_facts` of the same editions and ``top``, when already found;
    ``changes``: ``compare(current, previous)``, when already computed."""
    names = Names.of(current, lang, node_names)
    facts = (facts if facts is not None
             else edition_facts(current, previous, top, changes=changes))
    table = strings(lang)

    def sentence(subject: str, group: list[Fact]) -> str:
        firsts = [f for f in group if f.kind == "first"]
        if len(firsts) > 1:  # one clause: "ranks first on A, B and C"
            both = Fact("first", subject, None, nodes=tuple(f.node for f in firsts))
            group = [f for f in group if f.kind != "first"]
            group.insert(min(i for i, f in enumerate(group + [both]) if f.kind != "move"
                             or f.node is not None), both)
        clauses = [clause(f, current, previous, names) for f in group]
        sep, last = table["clause_sep"], table["clause_last"]
        text = (sep.join(clauses[:-1]) + last + clauses[-1]) if len(clauses) > 1 else clauses[0]
        return table["s_city"].format(city=names.unit(subject),
                                      clauses=text + _caveat(subject, group, current, lang))

    picked: list[tuple[float, str, tuple[Fact, ...]]] = []  # weight, sentence, its facts
    if focus is not None:
        own = _focus_facts(current, previous, focus, facts, changes)
        head = [f for f in own if f.kind == "move" and f.node is None] or own[:1]
        rest = [f for f in own if f not in head and f.kind in ("first", "move")]
        story = [head, [f for f in own if f.kind == "profile"], rest,
                 [f for f in own if f.kind == "overtook"],
                 [f for f in own if f.kind == "overtaken"]]
        told_first = [(sentence(focus, g), tuple(g)) for g in story[:2] if g]
        told_first += [(note, ()) for note in notes]
        told_first += [(sentence(focus, g), tuple(g)) for g in story[2:] if g]
        for i, (said, group) in enumerate(told_first):
            picked.append((1e9 - i, said, group))
        size += len(notes)  # the notes do not push the edition's news out
        candidates = _without_repeats([f for f in facts if f.kind not in CITY_KINDS])
    else:
        candidates = _without_repeats(facts)
    by_city: dict[str, list[Fact]] = {}
    for f in candidates:
        if f.kind in CITY_KINDS:
            by_city.setdefault(f.subject, []).append(f)
        else:
            picked.append((weight(f, top), render(f, current, previous, names), (f,)))
    for unit, group in by_city.items():
        crossed = [f for f in group if f.kind == "move" and f.data.get("crossed")]
        # entering or leaving the top N is the city's news: said alone, the rest follows
        group = crossed or sorted(group, key=lambda f: -weight(f, top))[:MAX_CLAUSES]
        w = weight(group[0], top) + 2 * (len(group) - 1)
        # the move on the index, when there is one, opens the city's sentence
        group.sort(key=lambda f: not (f.kind in ("move", "entry") and f.node is None))
        picked.append((w, sentence(unit, group), tuple(group)))
    chosen = sorted(picked, key=lambda p: -p[0])[:size]  # stable: ties keep fact order
    lead = tuple(s for _, s, _ in chosen)
    # the sections: every fact the lead does not tell, one sentence each (a head-to-head
    # shortened for the lead is a different fact: it is told in full here)
    told = {f for _, _, group in chosen for f in group}
    sections: dict[str, list[str]] = {}
    for f in facts:
        if f not in told:
            sections.setdefault(table[SECTION_OF[f.kind]], []).append(
                render(f, current, previous, names))
    return Lead(lead, tuple((k, tuple(v)) for k, v in sections.items()))
