"""Variance-based sensitivity analysis: Sobol first-order and total-order indices of every
unit's rank and of summary outputs, with bootstrap confidence intervals and a convergence
report.

Sampling (Saltelli 2002; Saltelli et al. 2010, Comput. Phys. Commun. 181: 259-270): two
N x D matrices A and B from one scrambled Sobol sequence of dimension 2D, and for each factor
(group of columns) i the matrix AB_i = A with the columns of i taken from B: N (G + 2)
evaluations for G factors. Estimators, with V the variance of f over A and B together:

    S_i  = mean(f(B) (f(AB_i) - f(A))) / V          (Saltelli et al. 2010, eq. (b))
    ST_i = mean((f(A) - f(AB_i))^2) / (2 V)          (Jansen 1999)

The outputs are centred first (as SALib's ``sobol.analyze`` does, calc_second_order =
False); the results equal SALib's on the same samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import display
from .engine import Engine, check_replications, evaluate_chunks
from .sobol import scrambled_sobol


def saltelli(dimension: int, n: int, seed: int, groups: list[slice]) -> tuple[np.ndarray, ...]:
    """A, B and the AB_i stacked: ``[(G + 2) N, D]`` in the order A, AB_1..AB_G, B."""
    m = int(np.ceil(np.log2(n)))
    base = scrambled_sobol(2 * dimension, m, seed)[:n]
    a, b = base[:, :dimension], base[:, dimension:]
    blocks = [a]
    for g in groups:
        ab = a.copy()
        ab[:, g] = b[:, g]
        blocks.append(ab)
    blocks.append(b)
    return np.concatenate(blocks), a, b


def sobol_indices(y: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """First and total indices [G, outputs] from outputs ``y`` [(G + 2) N, outputs] laid out
    as :func:`saltelli` orders the samples."""
    n = len(y) // (n_groups + 2)
    y = y - y.mean(axis=0)  # as SALib: centred outputs make S_i independent of f's offset
    blocks = y.reshape(n_groups + 2, n, -1)
    fa, fb, fab = blocks[0], blocks[-1], blocks[1:-1]
    var = np.var(np.concatenate([fa, fb]), axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        first = np.mean(fb[None] * (fab - fa[None]), axis=1) / var
        total = 0.5 * np.mean((fa[None] - fab) ** 2, axis=1) / var
    constant = var == 0  # an output no factor moves: every index is 0
    return np.where(constant, 0.0, first), np.where(constant, 0.0, total)


def bootstrap(y: np.ndarray, n_groups: int, resamples: int = 200, seed: int = 0,
              level: float = 0.95) -> tuple[np.ndarray, ...]:
    """Percentile confidence intervals of the indices: rows 1..N resampled with
    replacement (the same rows in A, B and every AB_i), ``resamples`` times."""
    n = len(y) // (n_groups + 2)
    blocks = y.reshape(n_groups + 2, n, -1)
    rng = np.random.default_rng(seed)
    firsts, totals = [], []
    for _ in range(resamples):
        pick = rng.integers(0, n, n)
        f, t = sobol_indices(blocks[:, pick].reshape(-1, y.shape[-1]), n_groups)
        firsts.append(f)
        totals.append(t)
    lo, hi = 100 * (1 - level) / 2, 100 * (1 + level) / 2
    return (np.percentile(firsts, [lo, hi], axis=0), np.percentile(totals, [lo, hi], axis=0))


@dataclass(frozen=True)
class Sensitivity:
    factors: tuple[str, ...]
    outputs: tuple[str, ...]
    first: np.ndarray  # [factors, outputs]
    total: np.ndarray
    first_ci: np.ndarray  # [2, factors, outputs]
    total_ci: np.ndarray
    n: int
    convergence: pd.DataFrame

    def __repr__(self) -> str:
        return display.sensitivity_view(self).text()

    def _repr_html_(self) -> str:
        """The notebook's table (fintech_index.display)."""
        return display.sensitivity_view(self).html()

    def table(self) -> pd.DataFrame:
        """One row per output and factor: S, ST and their confidence intervals."""
        rows = []
        for j, out in enumerate(self.outputs):
            for i, f in enumerate(self.factors):
                rows.append({"output": out, "factor": f, "S": self.first[i, j],
                             "S_low": self.first_ci[0, i, j], "S_high": self.first_ci[1, i, j],
                             "ST": self.total[i, j], "ST_low": self.total_ci[0, i, j],
                             "ST_high": self.total_ci[1, i, j]})
        return pd.DataFrame(rows)


def summary_outputs(ranks: np.ndarray, nominal: np.ndarray, top: int
                    ) -> tuple[np.ndarray, list[str]]:
    """Outputs of a replication besides each unit's rank: the mean absolute rank shift from
    the nominal ranking, and how many of the nominal top N stay in the top N."""
    shift = np.nanmean(np.abs(ranks - nominal), axis=1)
    in_top = ((ranks <= top) & (nominal <= top)).sum(axis=1).astype(float)
    return np.column_stack([shift, in_top]), ["mean_abs_rank_shift", f"top{top}_kept"]


def analyse(y: np.ndarray, factors: list[str], outputs: list[str], resamples: int = 200,
            seed: int = 0, steps: int = 4) -> Sensitivity:
    """Indices, bootstrap intervals and a convergence report (the indices of the first
    outputs at N / 2^k, k = steps-1..0) from evaluated Saltelli samples ``y``."""
    g = len(factors)
    n = len(y) // (g + 2)
    first, total = sobol_indices(y, g)
    first_ci, total_ci = bootstrap(y, g, resamples, seed)
    blocks = y.reshape(g + 2, n, -1)
    rows = []
    for k in range(steps - 1, -1, -1):
        m = n >> k
        if m < 2:
            continue
        f, t = sobol_indices(blocks[:, :m].reshape(-1, y.shape[-1]), g)
        for i, name in enumerate(factors):
            for j, out in enumerate(outputs[:2]):  # the summary outputs
                rows.append({"N": m, "factor": name, "output": out, "S": f[i, j],
                             "ST": t[i, j]})
    return Sensitivity(tuple(factors), tuple(outputs), first, total, first_ci, total_ci, n,
                       pd.DataFrame(rows))


def sensitivity(engine: Engine, n: int = 1024, chunk: int = 4000, client=None,
                resamples: int = 200, progress: Callable | None = None) -> Sensitivity:
    """Sobol indices of every unit's rank, the mean absolute rank shift and top-N
    membership, for the factors of ``engine.spec`` (one group per factor)."""
    groups = engine.groups()
    check_replications(n * (len(groups) + 2), len(engine.panel.unit_codes) + 2,
                       "sensitivity analysis")
    samples, _, _ = saltelli(engine.dimension, n, engine.spec.seed, [g for _, g in groups])
    _, ranks = evaluate_chunks(engine, samples, chunk=chunk, client=client, progress=progress)
    extra, names = summary_outputs(ranks, engine.nominal_rank, engine.spec.top)
    y = np.concatenate([extra, ranks], axis=1)
    outputs = names + [f"rank {u}" for u in engine.panel.unit_codes]
    return analyse(y, [name for name, _ in groups], outputs, resamples, engine.spec.seed)
