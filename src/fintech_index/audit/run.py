"""A whole audit of one index: coherence of the nominal build, uncertainty analysis and,
optionally, Sobol sensitivity analysis, held in memory and written like ``Results.write``."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from .. import display
from ..exports import write_csv
from ..outfiles import output_folder
from . import coherence
from .engine import Engine
from .imputation_check import candidates_for, imputation_check
from .uncertainty import Uncertainty, uncertainty

if TYPE_CHECKING:  # pragma: no cover
    from .sensitivity import Sensitivity

CORRELATION_METHODS = ("pearson", "spearman")


@dataclass(frozen=True)
class Audit:
    """What an audit found: coherence tables, the uncertainty analysis and, when asked, the
    sensitivity analysis."""

    engine: Engine
    parent_links: pd.DataFrame
    node_summary: pd.DataFrame
    correlations: dict[str, tuple[pd.DataFrame, pd.DataFrame]]  # method -> (r, p)
    uncertainty: Uncertainty
    sensitivity: Sensitivity | None = None
    # per aggregate: eigenvalue table and rotated factor loadings (coherence.factor_analysis)
    factor_eigenvalues: pd.DataFrame = field(default_factory=pd.DataFrame)
    factor_loadings: pd.DataFrame = field(default_factory=pd.DataFrame)
    # the imputation's cross-validated error per indicator and method (imputation_check;
    # empty when the methodology imputes nothing)
    imputation: pd.DataFrame = field(default_factory=pd.DataFrame)

    def __repr__(self) -> str:
        return display.audit_view(self).text()

    def _repr_html_(self) -> str:
        """The notebook's table (fintech_index.display)."""
        return display.audit_view(self).html()

    @property
    def replications(self) -> int:
        return len(self.uncertainty.ranks)

    def write(self, out_dir: str | Path) -> list[Path]:
        """parent_links.csv, node_summary.csv, factor_eigenvalues.csv, factor_loadings.csv,
        correlations_<method>.csv and p_values_<method>.csv, uncertainty_summary.csv,
        rank_probabilities.csv (not for percentile ranks), imputation_check.csv (when the
        methodology imputes), and with a sensitivity analysis sensitivity.csv and
        sensitivity_convergence.csv."""
        out = output_folder(out_dir)
        tables: list[tuple[str, pd.DataFrame, bool]] = [
            ("parent_links.csv", self.parent_links, False),
            ("node_summary.csv", self.node_summary, False),
            ("factor_eigenvalues.csv", self.factor_eigenvalues, False),
            ("factor_loadings.csv", self.factor_loadings, False)]
        for method, (r, p) in self.correlations.items():
            tables += [(f"correlations_{method}.csv", r, True),
                       (f"p_values_{method}.csv", p, True)]
        tables.append(("uncertainty_summary.csv", self.uncertainty.summary(), True))
        if not self.uncertainty.percentile:  # ranks 1..N (not percentile ranks)
            tables.append(("rank_probabilities.csv", self.uncertainty.rank_probabilities(),
                           True))
        if len(self.imputation):
            tables.append(("imputation_check.csv", self.imputation, False))
        if self.sensitivity is not None:
            tables += [("sensitivity.csv", self.sensitivity.table(), False),
                       ("sensitivity_convergence.csv", self.sensitivity.convergence, False)]
        written = []
        for name, frame, index in tables:
            write_csv(frame, out / name, index=index)
            written.append(out / name)
        return written


Progress = Callable[[str, int, int], None]  # (task, total, advance)


def run_audit(engine: Engine, n: int | None = None, sobol: int = 0, chunk: int = 2000,
              dask: str | None = None, progress: Progress | None = None,
              check_imputation: bool = False) -> Audit:
    """Coherence of ``engine.nominal``, with ``check_imputation`` the cross-validated
    accuracy of its imputation (last year; :func:`imputation_check.imputation_check` with
    :func:`candidates_for`: one imputation per fold, indicator and method, so EM on ASEM
    takes minutes), ``n`` uncertainty replications (default: the spec's) and, when
    ``sobol`` > 0, a Sobol analysis with base sample ``sobol``. With ``dask`` (a scheduler
    address) the replications run on that cluster; the results do not depend on it, nor on
    ``chunk``."""
    nominal = engine.nominal
    meth = nominal.methodology
    imputation = (imputation_check(nominal.framework, nominal.panel, meth,
                                   candidates_for(meth.impute))
                  if check_imputation and meth.impute is not None else pd.DataFrame())
    corr = {m: coherence.correlations(nominal, method=m) for m in CORRELATION_METHODS}
    links = coherence.parent_links(nominal, correlated=corr["pearson"])
    summary = coherence.node_summary(nominal)
    eigen, loadings = coherence.factor_analysis(nominal)
    reps = n or engine.spec.n
    step = (lambda task, total: (lambda k: progress(task, total, k))) if progress else (
        lambda task, total: None)
    with _client(dask) as client:
        ua = uncertainty(engine, n=reps, chunk=chunk, client=client,
                         progress=step("uncertainty", reps))
        sa = None
        if sobol:
            from .sensitivity import sensitivity

            sa = sensitivity(engine, n=sobol, chunk=chunk, client=client,
                             progress=step("sensitivity", sobol * (len(engine.groups()) + 2)))
    return Audit(engine, links, summary, corr, ua, sa, eigen, loadings, imputation)


def _client(address: str | None):
    """A Dask client on ``address``, closed on leaving the block; no client without one."""
    if address is None:
        return nullcontext(None)
    from distributed import Client

    return Client(address)
