"""Time build() on synthetic panels (named synthetic) and on the bundled UNDP HDI.

Synthetic panels: a three-level tree (indicators -> 10 pillars -> 3 dimensions -> index),
uniform random values from a fixed seed, min-max and arithmetic/geometric means.
Prints the median of several runs. Run: python benchmarks/build.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np

import fintech_index as fi


def synthetic_framework(n_ind: int) -> fi.Framework:
    pillars = [{"code": f"P{p}", "children": []} for p in range(10)]
    for i in range(n_ind):
        pillars[i % 10]["children"].append({"code": f"x{i}"})
    dims = [{"code": f"D{d}", "children": pillars[d::3]} for d in range(3)]
    return fi.framework_from_dict({"index": {"code": "synthetic_index", "children": dims}},
                                  "synthetic.yaml")


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    meth = fi.methodology_from_dict({"aggregate": {"method": "a_amean", "by_level": {4: "a_gmean"}},
                                     "normalise": {"method": "n_minmax",
                                                   "params": {"l_u": [1, 100]}}})
    print("build() on synthetic panels (uniform random values, seed 0)")
    print(f"{'units':>6} {'indicators':>10} {'years':>5} {'nodes':>6} {'median ms':>10}")
    rng = np.random.default_rng(0)
    for n_units in (50, 500, 5000):
        for n_ind in (50, 200):
            fw = synthetic_framework(n_ind)
            for n_years in (1, 10):
                values = rng.uniform(0, 1000, (n_years, n_units, n_ind))
                panel = fi.panel_from_arrays(values, fw, [f"u{u}" for u in range(n_units)],
                                             range(2000, 2000 + n_years), source="synthetic")
                repeat = 7 if n_units * n_ind * n_years < 1e6 else 3
                ms = 1000 * timed(lambda: fi.build(fw, panel, meth), repeat)  # noqa: B023
                print(f"{n_units:>6} {n_ind:>10} {n_years:>5} {len(fw.node_codes):>6} "
                      f"{ms:>10.1f}")
    print()
    for name in fi.examples.available():
        ex = fi.examples.load(name)
        ms = 1000 * timed(ex.build, 21)
        print(f"bundled {name.upper():5}: {len(ex.panel.unit_codes)} rows x "
              f"{len(ex.panel.years)} years: build() median {ms:.1f} ms")


if __name__ == "__main__":
    main()
