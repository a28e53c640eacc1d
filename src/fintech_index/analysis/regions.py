"""Regional leads: how many of the top N each region (or country) has, and its mean scores."""

from __future__ import annotations

import numpy as np
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
    rank = edition.ranks[edition.index]
    kept = np.flatnonzero(rank.notna().to_numpy())  # the ranked units' rows
    groups = _in_rows_of(edition.units[by], rank.index).iloc[kept].fillna(NO_GROUP)
    frame = pd.DataFrame({"group": groups.array,
                          "in_top": rank.to_numpy(dtype=float)[kept] <= top})
    scores = _in_rows_of(edition.scores, rank.index)
    for n in nodes:
        frame[n] = scores[n].to_numpy()[kept]
    out = frame.groupby("group").agg(units=("in_top", "size"), in_top=("in_top", "sum"),
                                     **{f"mean_{n}": (n, "mean") for n in nodes})
    out = out.rename(columns={"in_top": f"top_{top}"})
    return out.sort_values([f"top_{top}", f"mean_{edition.index}"], ascending=False)


def _in_rows_of(table: pd.Series | pd.DataFrame, units: pd.Index) -> pd.Series | pd.DataFrame:
    """``table`` in the rows of ``units``: itself when its index is already theirs (an
    edition's frames share one index; the units table is in the panel's order), found by
    positions, not by hashing every unit code (a million units: 0.6 s of a report,
    issue 27); otherwise looked up by code, a unit it lacks raising KeyError."""
    if table.index.equals(units):
        return table
    return table.loc[units]
