"""Sentences built from an edition's facts. Every figure in a sentence is taken from the
results (ranks, scores, deltas, gaps); none is typed by hand.

The facts are data (:class:`~fintech_index.analysis.facts.Fact`), found by
``analysis.facts.edition_facts``; :func:`render` writes one as a sentence (or as a clause
of a sentence about its city, which the lead story merges) in English or Chinese from the
reviewed strings table (publish/strings.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .. import format as fmt
from ..analysis.edition import Edition
from ..analysis.facts import CITY_KINDS, Fact, edition_facts
from .i18n import strings

ordinal = fmt.ordinal  # kept here: publish.sentences.ordinal is public
number = fmt.count

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


def _shown(value: float, ed: Edition, lang: str = "en") -> str:
    """A score figure of a sentence (gap, mean) as shown: to the index's decimals."""
    return fmt.number(value, ed.decimals(), lang)


def clause(fact: Fact, ed: Edition, previous: Edition | None, names: Names) -> str:
    """The part of a sentence about ``fact.subject`` that follows its name."""
    t, lang = strings(names.lang), names.lang
    d = fact.data
    if fact.kind == "move":
        key = ("c_up" if d["change"] > 0 else "c_down") + ("_on" if fact.node else "")
        text = t[key].format(places=fmt.places(int(d["change"]), lang),
                             ordinal=fmt.ordinal(d["rank"], lang),
                             node=names.node(fact.node) if fact.node else "")
        if d.get("crossed"):  # "..., entering the top ten" / "..., leaving the top ten"
            text += t[f"c_crossed_{d['crossed']}"].format(n=fmt.count(d["top"], lang))
        return text
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
    if fact.kind == "profile":
        return t["c_profile"].format(
            best=names.node(d["best"]), best_rank=fmt.ordinal(d["best_rank"], lang),
            worst=names.node(d["worst"]), worst_rank=fmt.ordinal(d["worst_rank"], lang))
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
                      facts: list[Fact] | None = None,
                      node_names: dict[str, str] | None = None) -> list[str]:
    """The report's sentences for ``current`` (with changes if ``previous`` is given):
    every fact of :func:`edition_facts`, one sentence each (``facts``: those facts of the
    same editions, ``top`` and ``region_by``, when already found; ``node_names``: the
    nodes' names in ``lang``, default the edition's own)."""
    names = Names.of(current, lang, node_names)
    if facts is None:
        facts = edition_facts(current, previous, top, region_by)
    return [render(f, current, previous, names) for f in facts]
