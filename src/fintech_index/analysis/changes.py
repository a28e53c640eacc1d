"""Changes between two editions: rank and score deltas on every node, entries and exits,
and how many leading positions are unchanged ("the top five remain unchanged")."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .edition import Edition


@dataclass(frozen=True)
class Changes:
    """Per unit and node: rank and score now and before; ``rank_change`` > 0 is a climb."""

    current: Edition
    previous: Edition
    table: pd.DataFrame  # unit, node, rank, rank_before, rank_change, score, ...
    entries: tuple[str, ...]  # units ranked now, not before
    exits: tuple[str, ...]  # units ranked before, not now

    def node(self, node: str | None = None) -> pd.DataFrame:
        """One node's changes, in the current rank order."""
        t = self.table[self.table["node"] == (node or self.current.index)]
        return t.sort_values(["rank", "unit"]).set_index("unit")


def compare(current: Edition, previous: Edition) -> Changes:
    """Deltas of every node present in both editions: ``rank_change = rank_before - rank``
    (positive: climbed), ``score_change = score - score_before``."""
    nodes = [n for n in current.scores.columns if n in previous.scores.columns]
    frames = []
    for n in nodes:
        now = pd.DataFrame({"rank": current.ranks[n], "score": current.scores[n]})
        before = pd.DataFrame({"rank_before": previous.ranks[n],
                               "score_before": previous.scores[n]})
        t = now.join(before, how="outer")
        t["rank_change"] = t["rank_before"] - t["rank"]
        t["score_change"] = t["score"] - t["score_before"]
        t.insert(0, "node", n)
        frames.append(t.rename_axis("unit").reset_index())
    table = pd.concat(frames, ignore_index=True)
    idx = current.index
    now_ranked = set(current.ranks[idx].dropna().index)
    before_ranked = set(previous.ranks[idx].dropna().index)
    return Changes(current, previous, table, tuple(sorted(now_ranked - before_ranked)),
                   tuple(sorted(before_ranked - now_ranked)))


def unchanged_top(changes: Changes, node: str | None = None) -> int:
    """How many leading positions hold the same units as in the previous edition: k such
    that the units ranked 1..k are the same, in the same order, in both editions."""
    now = list(changes.current.ranked(node).index)
    before = list(changes.previous.ranked(node).index)
    k = 0
    for a, b in zip(now, before, strict=False):
        if a != b:
            break
        k += 1
    return k
