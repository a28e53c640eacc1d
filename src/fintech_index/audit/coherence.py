"""Statistical coherence of a built index (OECD/JRC Handbook 2008, section 4; COINr's
``get_corr``, ``get_cronbach``, ``get_PCA``): correlations within and across levels with
p-values, weak or negative links of a node with its parent, Cronbach's alpha and the
variance the first principal component explains, per aggregate."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import special

from ..build import Results
from ..ranks import rankdata
from ..stats import degenerate, factor_model


def correlations(results: Results, year: int | None = None, method: str = "pearson",
                 nodes: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Correlation matrix of node scores over units (one year) and its two-sided p-values
    (``method``: pearson or spearman); units with a missing value are left out pairwise.
    A pair with fewer than 3 common units, or a node constant over them, gives NaN."""
    y = results.year_index(year)
    nodes = nodes or list(results.nodes)
    x = results.score_array[y][:, [results.nodes.index(n) for n in nodes]]
    r, p = correlation_matrix(x, method)
    return (pd.DataFrame(r, index=nodes, columns=nodes),
            pd.DataFrame(p, index=nodes, columns=nodes))


def correlation_matrix(x: np.ndarray, method: str = "pearson") -> tuple[np.ndarray, ...]:
    """Pairwise-complete correlations of the columns of ``x`` [units, k] and their p-values,
    all pairs at once. Pearson: ``r = S_ab / sqrt(S_aa S_bb)`` with the sums of centred
    products over the units both columns observe (written as ``sum ab - sum a sum b / n``
    from masked matrix products); Spearman: Pearson on ranks (average ties), ranked over
    each pair's common units. p from Student's t with n - 2 degrees of freedom:
    ``t = r sqrt((n - 2) / (1 - r^2))`` (as scipy.stats.pearsonr/spearmanr)."""
    if method not in ("pearson", "spearman"):
        raise ValueError(f"correlation method {method!r} is not pearson or spearman")
    x = np.asarray(x, dtype=np.float64)
    observed = ~np.isnan(x)
    spearman = method == "spearman"
    r, n = _pearson(rankdata(x, "average", axis=0) if spearman else x, observed)
    # a pair with a gap: its common units alone, centred (and for Spearman ranked) on their
    # own, as scipy does; the shared sums lose the last digits of r near +-1 there
    for a in np.flatnonzero(~observed.all(axis=0)):
        for b in range(x.shape[1]):
            both = observed[:, a] & observed[:, b]
            if a != b and both.sum() >= 3:
                pair = x[both][:, [a, b]]
                if spearman:
                    pair = rankdata(pair, "average", axis=0)
                r[a, b] = r[b, a] = _pair_pearson(pair[:, 0], pair[:, 1])
    with np.errstate(invalid="ignore", divide="ignore"):
        t = r * np.sqrt((n - 2) / np.maximum(1 - r * r, 0.0))
        p = 2 * special.stdtr(n - 2, -np.abs(t))
    p = np.where(np.abs(r) >= 1, 0.0, p)
    r, p = np.where(n < 3, np.nan, r), np.where((n < 3) | np.isnan(r), np.nan, p)
    np.fill_diagonal(r, 1.0)
    np.fill_diagonal(p, 0.0)
    return r, p


def _pair_pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson r of two complete vectors, each centred and scaled to unit length before the
    dot product and clipped to [-1, 1] (as scipy.stats.pearsonr); NaN for a constant one,
    tested on the values before centring (three times 21.57 has a mean 4e-15 off 21.57)."""
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return np.nan
    a, b = a - a.mean(), b - b.mean()
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        return np.nan
    return float(np.clip(np.dot(a / na, b / nb), -1.0, 1.0))


def _pearson(x: np.ndarray, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete Pearson r [k, k] and the number of common units [k, k]."""
    m = observed.astype(np.float64)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing column
        centre = np.nanmean(x, axis=0)
    # centred first, so that sum ab - sum a sum b / n does not cancel catastrophically
    x0 = np.where(observed, x - np.nan_to_num(centre), 0.0)
    n = m.T @ m
    sum_a = x0.T @ m  # [a, b]: sum of a over the units b also observes
    sum_aa = (x0 * x0).T @ m
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = x0.T @ x0 - sum_a * sum_a.T / n
        var_a = sum_aa - sum_a * sum_a / n
        r = cov / np.sqrt(var_a * var_a.T)
        flat = (var_a <= 1e-12 * np.maximum(sum_aa, 1.0)) | (var_a.T <= 1e-12 * np.maximum(
            sum_aa.T, 1.0))
    return np.clip(np.where(flat, np.nan, r), -1.0, 1.0), n


def parent_links(results: Results, year: int | None = None, method: str = "pearson",
                 weak: float = 0.3, correlated: tuple[pd.DataFrame, pd.DataFrame] | None = None
                 ) -> pd.DataFrame:
    """Each node's correlation with its parent, p-value, and a flag: 'negative' (r < 0),
    'weak' (0 <= r < ``weak``) or ''. ``correlated``: the (r, p) of :func:`correlations`
    when already computed."""
    fw = results.framework
    r, p = correlated if correlated is not None else correlations(results, year, method)
    rows = []
    for code in results.nodes:
        parent = fw.nodes[code].parent
        if parent is None:
            continue
        v = r.at[code, parent]
        flag = "" if np.isnan(v) or v >= weak else ("negative" if v < 0 else "weak")
        rows.append({"node": code, "parent": parent, "r": v, "p_value": p.at[code, parent],
                     "flag": flag})
    return pd.DataFrame(rows)


def cronbach_alpha(x: np.ndarray) -> float:
    """Cronbach's alpha of the columns of ``x`` [units, k], complete rows only:
    ``alpha = k / (k - 1) * (1 - sum(var_i) / var(sum_i))`` (Handbook eq. 4.1)."""
    x = x[~np.isnan(x).any(axis=1)]
    k = x.shape[1]
    if k < 2 or len(x) < 2:
        return float("nan")
    return float(k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1)))


def node_summary(results: Results, year: int | None = None) -> pd.DataFrame:
    """Per aggregate: children, Cronbach's alpha of their scores, and the share of variance
    the first principal component of the standardised children explains."""
    y = results.year_index(year)
    fw = results.framework
    rows = []
    for code in fw.aggregates:
        kids = fw.nodes[code].children
        x = results.score_array[y][:, [results.nodes.index(k) for k in kids]]
        complete = x[~np.isnan(x).any(axis=1)]
        pc1 = float("nan")
        if len(kids) > 1 and len(complete) > 2 and (complete.std(axis=0) > 0).all():
            eig = np.linalg.eigvalsh(np.corrcoef(complete, rowvar=False))
            pc1 = float(eig[-1] / eig.sum())
        rows.append({"node": code, "children": len(kids), "cronbach_alpha": cronbach_alpha(x),
                     "pc1_variance_share": pc1})
    return pd.DataFrame(rows)


def _factor_settings(results: Results, code: str) -> dict:
    """The w_factor parameters the methodology gives this aggregate, else the defaults."""
    choice = results.methodology.weight.resolve(code, results.framework.level_of(code))
    if choice.method != "w_factor":
        return {}
    return {k: v for k, v in choice.params.items() if k in ("n_factors", "rule", "threshold")}


def factor_analysis(results: Results, year: int | None = None, nodes: list[str] | None = None
                    ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Principal-component factor analysis of each aggregate's children (their scores, complete
    units only), as ``w_factor`` computes it (OECD/JRC Handbook 2008, sections 4.1-4.2 and
    6.1, Tables 7-9 and 16-17). Factors are kept as the methodology's ``w_factor`` says for
    that node (n_factors, rule, threshold), else by the Kaiser rule.

    Returns the eigenvalue table (node, component, eigenvalue, variance_share, cumulative_share,
    kept) and the loadings table (node, child, factor, loading: rotated, unrotated_loading,
    scaled_squared: squared rotated loading over the factor's explained variance,
    communality, factor_explained, factor_share)."""
    y = results.year_index(year)
    fw = results.framework
    eig_rows, load_rows = [], []
    for code in nodes or fw.aggregates:
        kids = list(fw.nodes[code].children)
        x = results.score_array[y][:, [results.nodes.index(k) for k in kids]]
        complete = x[~np.isnan(x).any(axis=1)]
        if len(kids) < 2 or degenerate(complete, 3):
            continue
        fm = factor_model(complete, **_factor_settings(results, code))
        cumulative = np.cumsum(fm.variance_share)
        for c in range(len(kids)):
            eig_rows.append({"node": code, "component": c + 1,
                             "eigenvalue": fm.eigenvalues[c],
                             "variance_share": fm.variance_share[c],
                             "cumulative_share": cumulative[c], "kept": c < fm.kept})
        explained = fm.explained
        for i, child in enumerate(kids):
            for f in range(fm.kept):
                load_rows.append({"node": code, "child": child, "factor": f + 1,
                                  "loading": fm.rotated[i, f],
                                  "unrotated_loading": fm.loadings[i, f],
                                  "scaled_squared": fm.scaled_squared[i, f],
                                  "communality": fm.communality[i],
                                  "factor_explained": explained[f],
                                  "factor_share": explained[f] / explained.sum()})
    return pd.DataFrame(eig_rows), pd.DataFrame(load_rows)
