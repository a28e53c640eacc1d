"""Time the exact Condorcet-Kemeny ranking (a_kemeny: outranking matrix, then a 0-1
programme with SciPy's HiGHS) for index sizes, on synthetic data (uniform, seed 0, 8
indicators, equal weights), and the OECD/JRC Handbook's TAI (23 countries).
Run: python benchmarks/kemeny.py [--sizes 10 23 50 100]"""

from __future__ import annotations

import argparse
import time

import numpy as np

from fintech_index import examples
from fintech_index.methods.aggregate import a_kemeny


def seconds(x: np.ndarray, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        a_kemeny(x, np.ones(x.shape[-1]))
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 23, 50, 100])
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print("a_kemeny, exact (median of 3 runs; 1 run from 100 units)")
    print(f"{'data':<28}{'units':>6}{'pair variables':>16}{'seconds':>10}")
    tai = examples.load("tai").panel.values[0]
    print(f"{'TAI (Handbook, raw values)':<28}{23:>6}{23 * 22 // 2:>16}{seconds(tai, 3):>10.3f}")
    for n in args.sizes:
        x = rng.uniform(0, 1, (n, 8))
        print(f"{'synthetic uniform':<28}{n:>6}{n * (n - 1) // 2:>16}"
              f"{seconds(x, 3 if n < 100 else 1):>10.3f}")


if __name__ == "__main__":
    main()
