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
