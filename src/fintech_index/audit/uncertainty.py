"""Uncertainty analysis (OECD/JRC Handbook 2008, section 7; COINr ``get_sensitivity`` with
``SA_type = "UA"``): sample the uncertain choices by a scrambled Sobol sequence (quasi-Monte
Carlo, seeded), evaluate every replication in batches, and summarise each unit's rank and
score: median, 5th-95th percentile interval, probability of each rank and of the top N."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .. import display
from ..errors import MethodError
from .engine import Engine, check_replications, evaluate_chunks
from .sobol import scrambled_sobol


def sobol_points(dimension: int, n: int, seed: int) -> np.ndarray:
    """``n`` points of a scrambled Sobol sequence in [0, 1)^dimension (SciPy's
    ``qmc.Sobol``, bit for bit, by :mod:`.sobol`; the first n of the sequence, so a larger n
    extends a smaller one)."""
    if dimension == 0:
        return np.zeros((n, 0))
    m = int(np.ceil(np.log2(max(n, 1))))
    return scrambled_sobol(dimension, m, seed)[:n]


@dataclass(frozen=True)
class Uncertainty:
    """Per-replication index scores and ranks [n, units] and their summaries."""

    units: tuple[str, ...]
    scores: np.ndarray
    ranks: np.ndarray
    nominal_rank: np.ndarray
    nominal_score: np.ndarray
    top: int
    percentile: bool = False  # ranks are percentile ranks (rank.percentile: 1 = best)

    def __repr__(self) -> str:
        return display.uncertainty_view(self).text()

    def _repr_html_(self) -> str:
        """The notebook's table (fintech_index.display)."""
        return display.uncertainty_view(self).html()

    def summary(self) -> pd.DataFrame:
        """Per unit: nominal rank and score, median rank, rank interval (5th-95th
        percentile), median score and its interval, probability of the top N. Computed once
        (percentiles of 10,000 x units take tens of ms; the CLI writes and prints it); each
        call returns a copy. Percentile ranks (``percentile``): best (highest) first, and no
        probability of the top N (a percentile rank does not say how many units tie above)."""
        return self._summary.copy()

    @cached_property  # writes the instance's __dict__ itself: allowed on a frozen dataclass
    def _summary(self) -> pd.DataFrame:
        q = np.nanpercentile(self.ranks, [5, 50, 95], axis=0)
        s = np.nanpercentile(self.scores, [5, 50, 95], axis=0)
        frame = pd.DataFrame({
            "nominal_rank": self.nominal_rank, "median_rank": q[1], "rank_p05": q[0],
            "rank_p95": q[2], "nominal_score": self.nominal_score, "median_score": s[1],
            "score_p05": s[0], "score_p95": s[2]}, index=pd.Index(self.units, name="unit"))
        if self.percentile:
            return frame.sort_values(["median_rank", "nominal_rank"], ascending=False)
        frame[f"p_top{self.top}"] = (self.ranks <= self.top).mean(axis=0)
        return frame.sort_values(["median_rank", "nominal_rank"])

    def rank_probabilities(self) -> pd.DataFrame:
        """P(rank = r) for every unit (rows) and rank r (columns); ordinal ranks only."""
        if self.percentile:
            raise MethodError("A40", "rank probabilities: this audit's methodology gives "
                                     "percentile ranks (rank.percentile: true), not ranks "
                                     "1..N; see summary() for their intervals, or audit "
                                     "with ordinal ranks (percentile: false)")
        n_units = len(self.units)
        counts = np.zeros((n_units, n_units))
        r = np.nan_to_num(self.ranks, nan=0).astype(np.int64)
        for u in range(n_units):
            counts[u] = np.bincount(r[:, u], minlength=n_units + 1)[1:n_units + 1]
        return pd.DataFrame(counts / len(self.ranks), index=pd.Index(self.units, name="unit"),
                            columns=pd.RangeIndex(1, n_units + 1, name="rank"))


def uncertainty(engine: Engine, n: int | None = None, chunk: int = 2000, client=None,
                progress=None) -> Uncertainty:
    """Run the uncertainty analysis of ``engine.spec`` with ``n`` replications."""
    n = n or engine.spec.n
    check_replications(n, len(engine.panel.unit_codes), "uncertainty analysis")
    u = sobol_points(engine.dimension, n, engine.spec.seed)
    scores, ranks = evaluate_chunks(engine, u, chunk=chunk, client=client, progress=progress)
    return Uncertainty(engine.panel.unit_codes, scores, ranks, engine.nominal_rank,
                       engine.nominal_score, engine.spec.top,
                       engine.methodology.rank.percentile)


SUMMARY_COLUMNS = ("unit", "rank_p05", "rank_p95", "median_rank")


def read_summary(path: str | Path, units: Sequence[str]) -> pd.DataFrame:
    """An ``uncertainty_summary.csv`` written by ``fintech-index audit``, for the edition
    whose units are ``units``: a missing file [D72], a file without the summary's columns or
    of another index (units of this edition missing) [D73] is refused, never a KeyError or a blank
    interval column."""
    from ..errors import DataError

    p = Path(path)
    try:
        frame = pd.read_csv(p, dtype={"unit": str})
    except FileNotFoundError:
        raise DataError("D72", f"{p}: no such audit summary; run fintech-index audit first "
                               "(it writes uncertainty_summary.csv)") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as e:
        raise DataError("D73", f"{p.name}: not an audit summary ({type(e).__name__}: "
                               f"{' '.join(str(e).split())})") from None
    lacking = [c for c in SUMMARY_COLUMNS if c not in frame.columns]
    if lacking:
        raise DataError("D73", f"{p.name}: header row: not an uncertainty summary, columns "
                               f"{lacking} are missing (found: {list(frame.columns)[:12]})")
    frame = frame.set_index("unit")
    absent = [u for u in units if u not in frame.index]
    if absent:
        raise DataError("D73", f"{p.name}: {len(absent)} of the edition's {len(units)} units "
                               f"are not in the summary ({', '.join(absent[:6])}"
                               f"{', ...' if len(absent) > 6 else ''}): an audit of another "
                               "index or edition? run fintech-index audit on this one")
    for c in SUMMARY_COLUMNS[1:]:
        frame[c] = pd.to_numeric(frame[c], errors="coerce")
    return frame
