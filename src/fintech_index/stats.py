"""Statistics shared by the weighting kernels and the audit, in no layer's way: the
standardised columns, the degeneracy test (too few complete rows, a column without
variation) and principal-component factor analysis with varimax rotation (OECD/JRC
Handbook 2008, sections 4.1-4.2 and 6.1). Ranks with ties are in :mod:`fintech_index.ranks`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def standardised(m: np.ndarray) -> np.ndarray:
    """Each column centred and scaled by its sample standard deviation (ddof 1)."""
    return (m - m.mean(axis=0)) / m.std(axis=0, ddof=1)


def degenerate(m: np.ndarray, min_rows: int) -> bool:
    """Too few complete units, or a child without variation: no components to weight by."""
    return len(m) < min_rows or bool((np.ptp(m, axis=0) == 0).any())


def varimax(loadings: np.ndarray, max_iter: int = 1000, tol: float = 1e-5) -> np.ndarray:
    """Varimax rotation (Kaiser 1958) of a [k, f] loading matrix, with Kaiser normalisation,
    the algorithm and stopping rule (``eps = 1e-5``) of R's ``stats::varimax``."""
    k, f = loadings.shape
    if f < 2:
        return loadings.copy()
    h = np.sqrt((loadings ** 2).sum(axis=1, keepdims=True))
    a = loadings / h
    rot = np.eye(f)
    d = 0.0
    for _ in range(max_iter):
        z = a @ rot
        b = a.T @ (z ** 3 - z @ np.diag((z ** 2).sum(axis=0)) / k)
        u, s, vt = np.linalg.svd(b)
        rot = u @ vt
        d_old, d = d, s.sum()
        if d < d_old * (1 + tol):
            break
    return (a @ rot) * h


FACTOR_RULES = ("kaiser", "variance_share", "cumulative")
_RULE_DEFAULTS = {"kaiser": 1.0, "variance_share": 0.10, "cumulative": 0.60}


@dataclass(frozen=True)
class FactorModel:
    """Principal-component factors of a correlation matrix: ``eigenvalues`` [k] in descending
    order, unrotated ``loadings`` [k, k] (eigenvector times sqrt(eigenvalue)), the number of
    factors ``kept`` and their varimax-rotated loadings ``rotated`` [k, kept]. Signs are fixed
    so that each column's largest absolute loading is positive."""

    eigenvalues: np.ndarray
    loadings: np.ndarray
    kept: int
    rotated: np.ndarray

    @property
    def variance_share(self) -> np.ndarray:
        return self.eigenvalues / self.eigenvalues.sum()

    @property
    def explained(self) -> np.ndarray:
        """Variance each rotated factor explains (sum of its squared loadings)."""
        return (self.rotated ** 2).sum(axis=0)

    @property
    def communality(self) -> np.ndarray:
        return (self.rotated ** 2).sum(axis=1)

    @property
    def scaled_squared(self) -> np.ndarray:
        """Squared rotated loadings scaled to unity sum per factor (Handbook Table 17)."""
        return self.rotated ** 2 / self.explained

    def weights(self) -> np.ndarray:
        """The Handbook's factor weights (section 6.1, Tables 17-18): with ``s_qf`` the scaled
        squared loadings, indicator q goes to the factor f on which s_qf is largest and weighs
        ``s_qf * E_f / sum(E)`` (E: variance each factor explains); rescaled to sum to 1."""
        scaled = self.scaled_squared
        factor = np.argmax(scaled, axis=1)
        share = self.explained / self.explained.sum()
        wts = scaled[np.arange(len(factor)), factor] * share[factor]
        return wts / wts.sum()


def _positive_columns(a: np.ndarray) -> np.ndarray:
    idx = np.argmax(np.abs(a), axis=0)
    return a * np.where(a[idx, np.arange(a.shape[1])] < 0, -1.0, 1.0)


def factors_to_keep(eigenvalues: np.ndarray, n_factors: int | None = None,
                    rule: str = "kaiser", threshold: float | None = None) -> int:
    """How many factors to keep (OECD/JRC Handbook 2008, section 6.1 and Box 6): ``n_factors``
    if given, else by ``rule``: ``kaiser`` eigenvalue > threshold (default 1);
    ``variance_share`` each factor explains more than threshold of the variance (default
    0.10); ``cumulative`` the fewest factors that together explain at least threshold
    (default 0.60). At least one factor is kept."""
    k = len(eigenvalues)
    if n_factors is not None:
        if not 1 <= int(n_factors) <= k:
            raise ValueError(f"w_factor: n_factors must be between 1 and {k} (got {n_factors})")
        return int(n_factors)
    if rule not in FACTOR_RULES:
        raise ValueError(f"w_factor: rule {rule!r} is not one of {', '.join(FACTOR_RULES)}")
    t = _RULE_DEFAULTS[rule] if threshold is None else float(threshold)
    share = eigenvalues / eigenvalues.sum()
    if rule == "kaiser":
        keep = int((eigenvalues > t).sum())
    elif rule == "variance_share":
        keep = int((share > t).sum())
    else:
        keep = int(np.searchsorted(np.cumsum(share), t - 1e-12) + 1)
    return max(1, min(keep, k))


def factor_model(m: np.ndarray, n_factors: int | None = None, rule: str = "kaiser",
                 threshold: float | None = None) -> FactorModel:
    """Principal-component factor analysis of the columns of ``m`` [units, k] (complete rows):
    eigen-decomposition of the correlation matrix, factors kept by :func:`factors_to_keep`,
    varimax rotation (OECD/JRC Handbook 2008, sections 4.1-4.2, Tables 7-9)."""
    corr = np.corrcoef(m, rowvar=False)
    vals, vecs = np.linalg.eigh(corr)
    order = np.argsort(vals)[::-1]
    vals, vecs = vals[order], vecs[:, order]
    loadings = _positive_columns(vecs * np.sqrt(np.clip(vals, 0, None)))
    keep = factors_to_keep(vals, n_factors, rule, threshold)
    rotated = _positive_columns(varimax(loadings[:, :keep]))
    return FactorModel(vals, loadings, keep, rotated)
