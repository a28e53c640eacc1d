"""Plain-English sentences built from an edition's facts. Every figure in a sentence is
taken from the results (ranks, scores, deltas, gaps); none is typed by hand."""

from __future__ import annotations

from .changes import Changes, compare, unchanged_top
from .edition import Edition
from .gaps import gap
from .regions import regional_leads

_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
             "ninth", "tenth")
_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
            "ten")


def ordinal(n: float) -> str:
    """1 -> 'first' ... 10 -> 'tenth', then '11th', '22nd', '103rd'."""
    k = int(n)
    if 1 <= k <= len(_ORDINALS):
        return _ORDINALS[k - 1]
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def number(n: int) -> str:
    return _NUMBERS[n] if 0 <= n < len(_NUMBERS) else str(n)


def _places(n: int) -> str:
    return f"{number(n)} place" + ("" if n == 1 else "s")


def _list(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _move(ed: Edition, unit: str, node: str, rank: float, change: float) -> str | None:
    on = "" if node == ed.index else f" on {ed.node_names[node]}"
    if change != change or change == 0:  # NaN or 0
        return None
    verb = "climbed" if change > 0 else "fell"
    return f"{ed.name(unit)} {verb} {_places(abs(int(change)))} to {ordinal(rank)}{on}."


def _overtakes(ed: Edition, previous: Edition, top: int) -> list[str]:
    """'A overtook B on X': units among the leaders of either edition, aggregate nodes
    below the index, where A was behind B last edition and is ahead now."""
    leaders = list(dict.fromkeys([*ed.ranked().index[:top], *previous.ranked().index[:top]]))
    leaders = [u for u in leaders if u in ed.ranks.index and u in previous.ranks.index]
    nodes = [n for n in ed.children if ed.children[n] and n != ed.index
             and n in previous.ranks.columns]
    out = []
    for a in leaders:
        for b in leaders:
            if a == b:
                continue
            won = [ed.node_names[n] for n in nodes
                   if ed.ranks.at[a, n] < ed.ranks.at[b, n]
                   and previous.ranks.at[a, n] > previous.ranks.at[b, n]]
            if won:
                out.append(f"{ed.name(a)} overtook {ed.name(b)} on {_list(won)}.")
    return out


def edition_sentences(current: Edition, previous: Edition | None = None, top: int = 10,
                      region_by: str = "region") -> list[str]:
    """The report's sentences for ``current`` (with changes if ``previous`` is given)."""
    ed = current
    out: list[str] = []
    leaders = list(ed.ranked().index[:min(top, 3)])
    names = [ed.name(u) for u in leaders]
    if names:
        rest = f", followed by {_list(names[1:])}" if len(names) > 1 else ""
        out.append(f"The {ed.label} ranking is led by {names[0]}{rest}.")
    changes: Changes | None = compare(ed, previous) if previous is not None else None
    if changes is not None:
        k = unchanged_top(changes)
        if k >= 2:
            out.append(f"The top {number(k)} positions are unchanged from {previous.label}.")
        elif k == 1:
            out.append(f"{ed.name(leaders[0])} stays first, as in {previous.label}.")
        elif leaders:
            before = previous.ranked().index[0]
            out.append(f"{ed.name(leaders[0])} takes first place from {previous.name(before)}.")
        t = changes.node()
        for unit, row in t[t["rank"] <= top].iterrows():
            s = _move(ed, unit, ed.index, row["rank"], row["rank_change"])
            if s:
                out.append(s)
        for unit in changes.entries:
            r = ed.ranks.at[unit, ed.index]
            if r <= top:
                out.append(f"{ed.name(unit)} enters the ranking at {ordinal(r)}.")
        g_now, g_before = gap(ed, top), gap(previous, top)
        verdict = g_now.versus(g_before)
        if verdict in ("narrowed", "widened"):
            out.append(f"The gap among the top {number(g_now.n)} {verdict}: the score range "
                       f"went from {g_before.range:.1f} to {g_now.range:.1f} points (standard "
                       f"deviation {g_before.sd:.1f} to {g_now.sd:.1f}).")
    dims = list(ed.children[ed.index])
    for node in dims + [c for d in dims for c in ed.children[d]
                        if ed.children.get(c)]:
        r = ed.ranked(node)
        first = [ed.name(u) for u in r.index[r == 1]]
        if len(first) == 1:
            out.append(f"{first[0]} ranks first on {ed.node_names[node]}.")
        elif first:
            out.append(f"{_list(first)} share first place on {ed.node_names[node]}.")
    if previous is not None:
        out += _overtakes(ed, previous, top)
    if changes is not None:
        for node in dims:
            t = changes.node(node)
            for unit in ed.ranked().index[:top]:
                if unit in t.index:
                    s = _move(ed, unit, node, t.at[unit, "rank"], t.at[unit, "rank_change"])
                    if s:
                        out.append(s)
    if region_by in ed.units.columns and ed.units[region_by].notna().any():
        leads = regional_leads(ed, by=region_by, top=top)
        best = leads.iloc[0]
        n_top = int(best[f"top_{top}"])
        if n_top:
            out.append(f"{leads.index[0]} leads with {number(n_top)} of the top "
                       f"{number(min(top, int(leads['units'].sum())))} (mean index score "
                       f"{best[f'mean_{ed.index}']:.1f}).")
    return out
