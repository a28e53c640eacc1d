"""One edition's scores and ranks as frames: the common input of the analyses."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..build import Results
from ..framework import Framework
from ..panel import IMPUTED
from ..tables import arrow_texts


def recomputed_on(framework: Framework, year: int) -> int | None:
    """The edition whose framework ``year`` is recomputed on (a back-cast) when
    ``framework`` belongs to another year's edition (its ``meta: edition:``); else None."""
    edition = framework.meta.get("edition")
    if not isinstance(edition, int) or isinstance(edition, bool) or edition == int(year):
        return None
    return edition


def _imputed(results: Results, k: int, units: pd.Index) -> pd.DataFrame:
    """unit x aggregate of year ``k``: True where an indicator value beneath was imputed."""
    fw = results.framework
    hit = (np.asarray(results.flags[k]) & IMPUTED) != 0  # units x indicators
    col = {c: i for i, c in enumerate(fw.indicators)}
    aggs = [c for c in fw.nodes if fw.nodes[c].children]
    data = {c: hit[:, [col[i] for i in fw.descendants(c)]].any(axis=1) for c in aggs}
    return pd.DataFrame(data, index=units)


@dataclass(frozen=True)
class Edition:
    """Scores and ranks of every node for one year of a build: unit x node frames.
    ``recomputed_on``: the edition whose framework this year is computed on when that is
    another year's (the framework's ``meta: edition``): a back-cast, said in every sentence
    that names this edition; None otherwise."""

    label: str
    year: int
    scores: pd.DataFrame
    ranks: pd.DataFrame
    units: pd.DataFrame  # name, country, region, ...
    node_names: dict[str, str]
    index: str
    children: dict[str, tuple[str, ...]]
    recomputed_on: int | None = None
    # unit x aggregate: True where a value beneath the node was imputed (None: not known)
    imputed: pd.DataFrame | None = None
    # unit: the share of its index weight resting on observed values (Results.observed_weight)
    observed: pd.Series | None = None

    @classmethod
    def of(cls, results: Results, year: int | None = None, label: str | None = None
           ) -> Edition:
        k = results.year_index(year)
        y = results.years[k]
        units, nodes = pd.Index(results.units, name="unit"), pd.Index(list(results.nodes))
        # one unit x node slice of each array (a frame per node took 50 ms of a build), not
        # copied: the results' arrays are read-only, and a frame over them stays alive
        # through the writing of every file (36 MB each for 20,000 units x 226 nodes)
        scores = pd.DataFrame(results.score_array[k], index=units, columns=nodes, copy=False)
        ranks = pd.DataFrame(results.rank_array[k], index=units, columns=nodes, copy=False)
        fw = results.framework
        return cls(label or str(y), int(y), scores, ranks, results.panel.units,
                   {c: fw.nodes[c].name for c in fw.nodes}, fw.index,
                   {c: fw.nodes[c].children for c in fw.nodes}, recomputed_on(fw, y),
                   _imputed(results, k, units),
                   pd.Series(results.observed_shares(y), index=units, name="observed_weight"))

    @classmethod
    def previous(cls, results: Results, year: int | None = None) -> Edition | None:
        """The edition of the year before ``year`` (default: the last year) in ``results``,
        or None when ``year`` is the first: what every 'since last edition' compares with."""
        y = results.years[results.year_index(year)]
        earlier = [e for e in results.years if e < y]
        return cls.of(results, earlier[-1]) if earlier else None

    def decimals(self) -> int:
        """Decimals that show the index's scores to three significant figures, one to six:
        83.8 on a 0-100 scale, 0.962 on a 0-1 scale (the scale of its top score)."""
        scores = np.abs(self.scores[self.index].to_numpy(dtype=float))
        top = float(np.nanmax(scores)) if np.isfinite(scores).any() else 0.0
        return min(6, max(1, 2 - math.floor(math.log10(top)))) if 0 < top < math.inf else 1

    def name(self, unit: str) -> str:
        n = self.units["name"].get(unit) if "name" in self.units else None
        return str(n) if isinstance(n, str) and n else unit

    def ranked(self, node: str | None = None) -> pd.Series:
        """Ranks of one node, best first, unranked units left out (ties: unit code order);
        made once per node: the facts, sentences and report ask for the same nodes again
        (25 sorts of 20,000 units took 0.13 s of a report, issue 27), and an edition's
        frames are not changed after it is made."""
        node = node or self.index
        if node not in self._ranked:
            r = self.ranks[node]
            self._ranked[node] = r.iloc[self.ranked_rows(node)]
        return self._ranked[node]

    def ranked_rows(self, node: str | None = None) -> np.ndarray:
        """The rows of :attr:`ranks` (and :attr:`scores`) that :meth:`ranked` gives, in its
        order: what a caller would otherwise find again by hashing a million unit codes
        (1 s, issue 27). Made once per node; read-only."""
        node = node or self.index
        if node not in self._ranked_rows:
            rank = self.ranks[node].to_numpy(dtype=float)[self._by_code]
            kept = ~np.isnan(rank)
            # by rank, then unit code (code point order, as Python compares str): a stable
            # sort of the ranks in code order
            order = self._by_code[kept][np.argsort(rank[kept], kind="stable")]
            order.setflags(write=False)
            self._ranked_rows[node] = order
        return self._ranked_rows[node]

    @cached_property
    def _ranked(self) -> dict[str, pd.Series]:
        return {}

    @cached_property
    def _ranked_rows(self) -> dict[str, np.ndarray]:
        return {}

    @cached_property
    def _by_code(self) -> np.ndarray:
        """The units' positions in code point order of their codes (sorted once), sorted by
        Arrow as UTF-8 bytes, whose order is the code points' (a million codes: 0.7 s,
        against 1.1 s as NumPy text, issue 27); the codes are distinct, so no tie to break."""
        codes = arrow_texts(self.ranks.index, pa.large_string())
        return np.asarray(pc.sort_indices(codes), dtype=np.intp)
