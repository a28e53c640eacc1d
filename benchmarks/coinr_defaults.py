"""Time COINr's defaults in build(): normalising a panel over all years together (global)
against each year on its own, and aggregation with and without a data-availability
threshold (dat_thresh), on synthetic panels (named synthetic: uniform random values with 10%
missing, fixed seed) and on the bundled COINr purse asem_panel.

Prints the median of several runs. Run: python benchmarks/coinr_defaults.py
"""

from __future__ import annotations

import numpy as np

import fintech_index as fi
from build import synthetic_framework, timed


def main() -> None:
    rng = np.random.default_rng(0)
    print("build() on synthetic panels, 10% missing (seed 0): median ms")
    print(f"{'units':>6} {'ind':>4} {'years':>5} {'normalise':>9} {'global':>8} {'yearly':>8} "
          f"{'dat_thresh 0.8':>15} {'none':>6}")
    for n_units in (500, 5000):
        n_ind, n_years = 50, 10
        fw = synthetic_framework(n_ind)
        values = rng.uniform(0, 1000, (n_years, n_units, n_ind))
        values[rng.uniform(size=values.shape) < 0.1] = np.nan
        panel = fi.panel_from_arrays(values, fw, [f"u{u}" for u in range(n_units)],
                                     range(2000, 2000 + n_years), source="synthetic")
        repeat = 5 if n_units < 5000 else 3
        for method in ("n_minmax", "n_zscore", "n_rank"):
            row = []
            for params in ({"global": True}, {"global": False}):
                meth = fi.methodology_from_dict({"normalise": {"method": method, **params}})
                row.append(1000 * timed(lambda m=meth, f=fw, p=panel: fi.build(f, p, m), repeat))
            for agg in ({"dat_thresh": 0.8}, {}):
                meth = fi.methodology_from_dict({"normalise": method,
                                                 "aggregate": {"method": "a_amean", **agg}})
                row.append(1000 * timed(lambda m=meth, f=fw, p=panel: fi.build(f, p, m), repeat))
            print(f"{n_units:>6} {n_ind:>4} {n_years:>5} {method:>9} {row[0]:>8.1f} "
                  f"{row[1]:>8.1f} {row[2]:>15.1f} {row[3]:>6.1f}")
    ex = fi.examples.load("asem_panel")
    ms = 1000 * timed(ex.build, 7)
    print(f"\nbundled asem_panel (COINr's build_example_purse: 51 units x 49 indicators x 5 "
          f"years, screen, treat, global min-max, a_amean): build() median {ms:.1f} ms")


if __name__ == "__main__":
    main()
