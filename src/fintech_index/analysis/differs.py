"""How an edition differs from a published ranking, as facts (no words): the agreement
figures of :func:`~fintech_index.analysis.explain.compare_published` and, for each unit of
the published top ``k``, the indicators that account for its distance from its published
position, each with whether the unit's value (or the compared unit's) was imputed.

An index supplies its published ranking as data (:class:`PublishedRanking`); nothing here
names a particular index."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import FintechIndexError
from ..panel import IMPUTED
from .edition import recomputed_on
from .explain import Comparison, compare_published, explain


@dataclass(frozen=True)
class PublishedRanking:
    """A published ranking an edition is compared with: its name (as the publisher titles
    it; ``name_zh``: in Chinese, when it has one), its edition year and unit -> rank (whole
    numbers from 1, each unit once)."""

    name: str
    year: int
    ranks: pd.Series = field(repr=False)
    name_zh: str | None = None

    def __post_init__(self) -> None:
        units = pd.Index(self.ranks.index).astype(str)
        twice = sorted(set(units[units.duplicated()]))
        if twice:
            raise FintechIndexError("U30", f"published ranking '{self.name}' ({self.year}): "
                                           f"unit(s) {', '.join(twice)} ranked more than "
                                           "once; give each unit one rank")
        bad = [f"{u}: {r!r}" for u, r in self.ranks.items()
               if not (isinstance(r, int | float | np.integer | np.floating)
                       and r >= 1 and float(r) == int(r))]
        if bad:
            raise FintechIndexError("U31", f"published ranking '{self.name}' ({self.year}): "
                                           f"{', '.join(bad[:10])} is not a rank (accepted: "
                                           "a whole number from 1)")


@dataclass(frozen=True)
class Driver:
    """One indicator's part of a unit's score difference from the unit at its published
    position (``contribution``, index points), and whether either value was imputed."""

    indicator: str
    contribution: float
    imputed: bool  # the unit's own value
    imputed_other: bool  # the value of the unit it is compared with


@dataclass(frozen=True)
class Distance:
    """A unit of the published top k: its published rank, our rank in the edition, the
    unit we rank at its published position among the units both rank, the score difference
    from that unit and the indicators that account for it, largest first."""

    unit: str
    published: int
    ours: int
    at_published: str
    difference: float
    drivers: tuple[Driver, ...]


@dataclass(frozen=True)
class Differences:
    """Our edition of ``year`` against ``published``."""

    published: PublishedRanking
    year: int
    comparison: Comparison
    distances: tuple[Distance, ...]  # the published top k, in published order
    # the edition whose framework our ``year`` is recomputed on (a back-cast), else None
    recomputed_on: int | None = None

    def of(self, unit: str) -> Distance | None:
        """The distance of ``unit`` (None: not in the published top k)."""
        return next((d for d in self.distances if d.unit == unit), None)


def comparison_year(years, published_year: int) -> int:
    """Our year the published edition is compared with: the same year when built, else the
    nearest (the later of two as near)."""
    return min(years, key=lambda y: (abs(y - published_year), -y))


def published_differences(results, published: PublishedRanking, k: int = 10,
                          drivers: int = 3) -> Differences:
    """:func:`compare_published` of ``results`` (the year nearest the published edition's)
    with ``published``, and the drivers of each unit of its top ``k`` with their imputed
    flags (a unit at its published position has none)."""
    year = comparison_year(results.years, published.year)
    comp = compare_published(results, published.ranks, year, k=k, drivers=drivers)
    t = results.years.index(year)
    units = {u: i for i, u in enumerate(results.units)}
    col = {c: j for j, c in enumerate(results.framework.indicators)}
    imputed = (results.flags[t] & IMPUTED) != 0
    out = []
    for u, row in comp.table.sort_values("published", kind="stable").iterrows():
        if row["published"] > k:
            continue
        ref = row["at_published"]
        found: tuple[Driver, ...] = ()
        if ref != u:
            top = explain(results, u, ref, year).top(drivers)["contribution"]
            found = tuple(Driver(i, float(v), bool(imputed[units[u], col[i]]),
                                 bool(imputed[units[ref], col[i]])) for i, v in top.items())
        out.append(Distance(u, int(row["published"]), int(row["ours"]), ref,
                            float(row["difference"]), found))
    return Differences(published, year, comp, tuple(out),
                       recomputed_on(results.framework, year))
