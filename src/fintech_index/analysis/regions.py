"""Regional leads: how many of the top N each region (or country) has, and its mean scores."""

from __future__ import annotations

import pandas as pd

from .edition import Edition

NO_GROUP = "(none)"  # the group of the units that have no region (or country)


def regional_leads(edition: Edition, by: str = "region", top: int = 10,
                   nodes: list[str] | None = None) -> pd.DataFrame:
    """One row per group (region or country): units ranked, units in the top ``top`` of the
    index, and the mean score on the index and each of ``nodes`` (default: the index's
    children); the units without one form the group NO_GROUP. Sorted by top-N count, then
    mean index score."""
    nodes = nodes or [edition.index, *edition.children[edition.index]]
    ranked = edition.ranks[edition.index].dropna()
    groups = edition.units.loc[ranked.index, by].fillna(NO_GROUP)
    frame = pd.DataFrame({"group": groups, "in_top": ranked <= top})
    for n in nodes:
        frame[n] = edition.scores.loc[ranked.index, n]
    out = frame.groupby("group").agg(units=("in_top", "size"), in_top=("in_top", "sum"),
                                     **{f"mean_{n}": (n, "mean") for n in nodes})
    out = out.rename(columns={"in_top": f"top_{top}"})
    return out.sort_values([f"top_{top}", f"mean_{edition.index}"], ascending=False)
