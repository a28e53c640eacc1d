"""The small uncertainty analysis the main job runs, so that every published edition shows
rank intervals and P(top N) without a second command.

It is the full Monte Carlo analysis of ``audit.uncertainty`` (Saltelli et al. 2008; OECD/JRC
Handbook 2008, step 7) with fewer replications: 1,024 Sobol points instead of the spec's
``n``. Rank percentiles from 1,024 points move by about one rank against 4,096 at most;
``fintech-index audit`` runs the full analysis (and the sensitivity analysis)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..build import Results
from .engine import Engine, load_spec
from .uncertainty import uncertainty

QUICK_REPLICATIONS = 1024


def quick_audit(results: Results, spec: str | Path, n: int = QUICK_REPLICATIONS
                ) -> pd.DataFrame:
    """The uncertainty summary of the latest year of ``results`` (unit index: nominal_rank,
    median_rank, rank_p05, rank_p95, ..., p_top<N>) over ``n`` replications of the uncertain
    choices in ``spec``; ``attrs``: replications, factors, top."""
    s = load_spec(spec)
    engine = Engine(results.framework, results.panel, results.methodology, s)
    summary = uncertainty(engine, n=n).summary()
    summary.attrs.update(replications=n, factors=tuple(f.name for f in s.factors), top=s.top)
    return summary
