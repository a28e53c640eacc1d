"""Audit speed on COINr's ASEM example (51 units, 49 indicators, 4 levels).

First the engine line of benchmarks/startup.py split into scores and ranks. Then
(a) the batched engine: 10,000 uncertainty replications varying imputation, winsorisation,
    normalisation, weights (+-25%) and aggregation; (b) a loop of build() calls doing the
    same kind of replication, timed on 50 and given per replication; the ratio. Then a Sobol
    analysis with N = 2,048 and the same 5 factors (14,336 evaluations, every unit's rank),
    and 100,000 replications in chunks with the peak memory. Run: python benchmarks/audit.py
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import timeit

import numpy as np

import fintech_index as fi
from fintech_index.audit.engine import Engine, UncertaintySpec, load_spec
from fintech_index.audit.sensitivity import sensitivity
from fintech_index.audit.uncertainty import sobol_points, uncertainty
from fintech_index.examples import datasets_dir
from fintech_index.scoring import rank_node

SPEC = {"seed": 1, "factors": [
    {"name": "imputation", "stage": "impute",
     "options": [{"method": "i_mean_grp", "use_group": "EurAsia_group"}, "i_median"]},
    {"name": "winsorisation", "stage": "treat",
     "options": [{"method": "winsorise", "winmax": 5}, "none"]},
    {"name": "normalisation", "stage": "normalise",
     "options": [{"method": "n_minmax", "l_u": [1, 100]}, {"method": "n_zscore", "m_sd": [10, 2]},
                 {"method": "n_rank"}]},
    {"name": "weights", "stage": "weights", "noise": 0.25},
    {"name": "aggregation", "stage": "aggregate",
     "options": [{"method": "a_amean", "na_rm": True}, {"method": "a_gmean", "na_rm": True}]},
]}


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def loop_of_builds(ex, n: int) -> float:
    """n full rebuilds, each with its own sampled choices (what COINr does per replication)."""
    engine = Engine(ex.framework, ex.panel, ex.methodology, UncertaintySpec.model_validate(SPEC))
    u = sobol_points(engine.dimension, n, 7)
    t = time.perf_counter()
    for row in u:
        raw = ex.methodology.model_dump(mode="json")
        for f, (_, cols) in zip(engine.spec.factors, engine.groups(), strict=True):
            if f.stage in ("impute", "treat", "normalise", "aggregate"):
                opt = f.options[min(int(row[cols][0] * len(f.options)), len(f.options) - 1)]
                raw[f.stage] = opt.model_dump(mode="json")
        fi.build(ex.framework, ex.panel, fi.methodology_from_dict(raw))
    return (time.perf_counter() - t) / n


def best(fn, repeat: int) -> float:
    """Best wall time of ``repeat`` calls."""
    return min(timeit.repeat(fn, number=1, repeat=repeat))


def engine_split(ex, repeat: int) -> None:
    """The in-process engine line of benchmarks/startup.py (10,000 replications of the
    bundled ASEM spec: 27 data sets x weight noise x 2 aggregations, data sets cached),
    split into its scores (one aggregate_and_rank call per aggregation choice) and its
    ranks (one argsort over every replication)."""
    engine = Engine(ex.framework, ex.panel, ex.methodology,
                    load_spec(datasets_dir() / "asem" / "asem.uncertainty.yaml"))
    u = sobol_points(engine.dimension, 10_000, engine.spec.seed)
    scores, _ = engine.evaluate(u)  # builds and caches the data sets
    whole = best(lambda: engine.evaluate(u), repeat)
    ranks = best(lambda: rank_node(ex.framework, engine.nominal.panel, ex.methodology,
                                   ex.framework.index, scores), repeat)
    print(f"  engine, 10,000 replications of asem.uncertainty.yaml (best of {repeat}): "
          f"{whole * 1000:.1f} ms = scores {(whole - ranks) * 1000:.1f} ms + ranks "
          f"{ranks * 1000:.1f} ms; {whole / 0.05:.2f} x target (50 ms)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (2 shared cores: "
          "figures vary with it)")
    ex = fi.examples.load("asem")
    engine_split(ex, args.repeat)
    engine = Engine(ex.framework, ex.panel, ex.methodology, UncertaintySpec.model_validate(SPEC))
    t = time.perf_counter()
    uncertainty(engine, n=64)  # builds the 12 data-stage variants once
    warm = time.perf_counter() - t
    t = time.perf_counter()
    ua = uncertainty(engine, n=10_000)
    batched = time.perf_counter() - t
    per_build = loop_of_builds(ex, 50)
    print("ASEM example, 51 units x 49 indicators, 5 uncertain factors")
    print(f"  data-stage variants built once:   {warm:8.2f} s (12 builds)")
    print(f"  (a) batched, 10,000 replications: {batched:8.2f} s  "
          f"= {10_000 / batched:,.0f} replications/s")
    print(f"  (b) loop of build():              {per_build * 1000:8.1f} ms per replication "
          f"= {1 / per_build:,.0f} replications/s")
    print(f"  ratio (a)/(b):                    {per_build * 10_000 / batched:8.0f} x")
    print("  (COINr 1.1.14, measured by the issue: 0.11 s per replication = 9/s)")
    t = time.perf_counter()
    s = sensitivity(engine, n=2048, resamples=100)
    sob = time.perf_counter() - t
    print(f"  Sobol N = 2,048, 5 factors ({2048 * 7:,} evaluations, 53 outputs, 100 bootstrap "
          f"resamples): {sob:.2f} s")
    shift = s.table().query("output == 'mean_abs_rank_shift'")[["factor", "S", "ST"]]
    print("  mean absolute rank shift:  " + ", ".join(
        f"{r.factor} S={r.S:.2f} ST={r.ST:.2f}" for r in shift.itertuples()))
    t = time.perf_counter()
    big = uncertainty(engine, n=args.big, chunk=5000)
    print(f"  {args.big:,} replications in chunks of 5,000: {time.perf_counter() - t:.2f} s; "
          f"median rank of the leader {np.median(big.ranks[:, 0]):.0f}")
    print(f"  peak memory (max RSS): {peak_mb():.0f} MB")
    del ua


if __name__ == "__main__":
    main()
