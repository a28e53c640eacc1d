"""A city profile: strengths and weaknesses, peers, and changes since the last edition."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .changes import Changes
from .edition import Edition


@dataclass(frozen=True)
class Profile:
    unit: str
    rank: float
    score: float
    strengths: pd.DataFrame  # node, rank, rank_gap (overall rank - node rank), best first
    weaknesses: pd.DataFrame
    peers: tuple[str, ...]  # the units ranked just above and below
    changes: pd.DataFrame | None  # this unit's rows of Changes.table


def profile(edition: Edition, unit: str, margin: int = 3, peers: int = 2,
            changes: Changes | None = None) -> Profile:
    """Strengths: nodes where the unit's rank is at least ``margin`` places better than its
    overall rank; weaknesses: at least ``margin`` worse (``rank_gap = overall - node rank``)."""
    idx = edition.index
    overall = edition.ranks.at[unit, idx]
    gaps = pd.DataFrame({"rank": edition.ranks.loc[unit], "score": edition.scores.loc[unit]})
    gaps = gaps.drop(index=idx).dropna(subset=["rank"])
    gaps["rank_gap"] = overall - gaps["rank"]
    gaps = gaps.rename_axis("node").reset_index()
    strengths = gaps[gaps["rank_gap"] >= margin].sort_values(["rank_gap", "node"],
                                                             ascending=[False, True])
    weaknesses = gaps[gaps["rank_gap"] <= -margin].sort_values(["rank_gap", "node"])
    order = list(edition.ranked().index)
    pos = order.index(unit)
    near = order[max(0, pos - peers):pos] + order[pos + 1:pos + 1 + peers]
    mine = None if changes is None else changes.table[changes.table["unit"] == unit]
    return Profile(unit, float(overall), float(edition.scores.at[unit, idx]),
                   strengths.reset_index(drop=True), weaknesses.reset_index(drop=True),
                   tuple(near), mine)
