"""Statistical coherence of a built index (OECD/JRC Handbook 2008, section 4; COINr's
``get_corr``, ``get_cronbach``, ``get_PCA``): correlations within and across levels with
p-values, weak or negative links of a node with its parent, Cronbach's alpha and the
variance the first principal component explains, per aggregate."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ..build import Results


def correlations(results: Results, year: int | None = None, method: str = "pearson",
                 nodes: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Correlation matrix of node scores over units (one year) and its two-sided p-values
    (``method``: pearson or spearman); units with a missing value are left out pairwise."""
    y = results.year_index(year)
    nodes = nodes or list(results.nodes)
    x = pd.DataFrame({n: results.score_array[y, :, results.nodes.index(n)] for n in nodes})
    r = pd.DataFrame(np.eye(len(nodes)), index=nodes, columns=nodes)
    p = pd.DataFrame(np.zeros((len(nodes), len(nodes))), index=nodes, columns=nodes)
    fn = stats.pearsonr if method == "pearson" else stats.spearmanr
    for i, a in enumerate(nodes):
        for b in nodes[i + 1:]:
            ok = x[a].notna() & x[b].notna()
            if ok.sum() < 3 or x.loc[ok, a].nunique() < 2 or x.loc[ok, b].nunique() < 2:
                r.loc[a, b] = r.loc[b, a] = p.loc[a, b] = p.loc[b, a] = np.nan
                continue
            res = fn(x.loc[ok, a], x.loc[ok, b])
            r.loc[a, b] = r.loc[b, a] = float(res.statistic)
            p.loc[a, b] = p.loc[b, a] = float(res.pvalue)
    return r, p


def parent_links(results: Results, year: int | None = None, method: str = "pearson",
                 weak: float = 0.3) -> pd.DataFrame:
    """Each node's correlation with its parent, p-value, and a flag: 'negative' (r < 0),
    'weak' (0 <= r < ``weak``) or ''."""
    fw = results.framework
    r, p = correlations(results, year, method)
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
    from ..methods.weight import _degenerate, factor_model

    y = results.year_index(year)
    fw = results.framework
    eig_rows, load_rows = [], []
    for code in nodes or fw.aggregates:
        kids = list(fw.nodes[code].children)
        x = results.score_array[y][:, [results.nodes.index(k) for k in kids]]
        complete = x[~np.isnan(x).any(axis=1)]
        if len(kids) < 2 or _degenerate(complete, 3):
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
