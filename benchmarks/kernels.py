"""Time every built-in kernel on a [1000 x 51 x 49] batch (1000 synthetic variants of an
ASEM-sized data set: 51 units, 49 indicators). Run: python benchmarks/kernels.py

Data are synthetic (log-normal, seed 0; 5% missing for imputation). Imputation kernels get
the batch as [1000 years x 51 x 49]. The optimisers (i_EM, w_opt, a_bod) solve one problem
per batch member (per unit for a_bod); they are timed on fewer members and the figure for
1000 is extrapolated, as the table says.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fintech_index import methods
from fintech_index.methods.aggregate import a_amean
from fintech_index.methods.treat import Treated

BATCH, UNITS, INDICATORS = 1000, 51, 49
SLOW = {"i_EM": 20, "w_opt": 5, "a_bod": 5, "a_kemeny": 2, "w_factor": 1000, "w_pca": 1000}


def kwargs(kernel, x: np.ndarray) -> dict:
    kw: dict = {}
    k = x.shape[-1]
    if kernel.takes("direction"):
        kw["direction"] = np.ones(k)
    if kernel.takes("gposts"):
        kw["gposts"] = np.tile([0.0, 200.0], (k, 1))
    if kernel.takes("groups"):
        kw["groups"] = np.arange(x.shape[-2]) % 2
    if kernel.takes("years"):
        kw["years"] = np.arange(2000, 2000 + x.shape[0])
    if kernel.takes("ref_index"):
        kw["ref_index"] = 0
    if kernel.takes("targ"):
        kw["targ"] = np.full(k, 100.0)
    if kernel.takes("aggregate"):
        kw["aggregate"] = a_amean
    if kernel.name == "w_budget":
        kw["points"] = np.ones(k)
    if kernel.name == "w_ahp":
        kw["matrix"] = np.ones((k, k))
    return kw


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=BATCH)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x = rng.lognormal(3, 1, (args.batch, UNITS, INDICATORS))
    holes = x.copy()
    holes[rng.random(x.shape) < 0.05] = np.nan
    w = np.ones(INDICATORS)
    print(f"kernels on a synthetic [{args.batch} x {UNITS} x {INDICATORS}] batch "
          "(median of 3 runs; extrapolated where marked)")
    print(f"{'stage':<10}{'kernel':<14}{'members timed':>14}{'seconds':>12}"
          f"{'for the batch':>15}")
    for stage in methods.STAGES:
        for name in methods.available(stage):
            kernel = methods.get(stage, name)
            if not kernel.fn.__module__.startswith("fintech_index.methods"):
                continue
            n = min(SLOW.get(name, args.batch), args.batch)
            data = (holes if stage == "impute" else x)[:n]
            call_args = (data, w) if stage in ("weight", "aggregate") else (data,)
            kw = kwargs(kernel, data)
            times = []
            for _ in range(1 if name in SLOW else 3):
                t = time.perf_counter()
                out = kernel.fn(*call_args, **kw)
                times.append(time.perf_counter() - t)
                assert isinstance(out, (np.ndarray, Treated))
            sec = float(np.median(times))
            whole = sec * args.batch / n
            mark = " (extrapolated)" if n < args.batch else ""
            print(f"{stage:<10}{name:<14}{n:>14}{sec:>12.4f}{whole:>15.3f}{mark}")


if __name__ == "__main__":
    main()
