"""Dispersion among the leading units, and whether the gap narrowed or widened."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .edition import Edition


@dataclass(frozen=True)
class Gap:
    """Scores of the top ``n`` on one node: range, sample standard deviation and coefficient
    of variation, ``cv = sd / mean``."""

    node: str
    n: int
    units: tuple[str, ...]
    range: float
    sd: float
    cv: float

    def versus(self, before: Gap) -> str:
        """'narrowed', 'widened' or 'unchanged', judged on the range (the figure a report
        quotes) and confirmed by the standard deviation; 'mixed' when the two disagree."""
        dr, ds = self.range - before.range, self.sd - before.sd
        if dr == 0 and ds == 0:
            return "unchanged"
        if dr <= 0 and ds <= 0:
            return "narrowed"
        if dr >= 0 and ds >= 0:
            return "widened"
        return "mixed"


def gap(edition: Edition, n: int = 10, node: str | None = None) -> Gap:
    """The gap among the ``n`` best-ranked units on ``node`` (default the index).

    range = max - min; sd with n - 1 (R's ``sd``); cv = sd / mean."""
    node = node or edition.index
    top = edition.ranked(node).index[:n]
    s = edition.scores.loc[top, node].to_numpy(dtype=float)
    sd = float(np.std(s, ddof=1)) if len(s) > 1 else 0.0
    return Gap(node, len(s), tuple(top), float(s.max() - s.min()), sd, sd / float(s.mean()))
