"""The CDC/ATSDR SVI examples: load and build times of each file, the validation of every
published cell, and the audit of the 2022 national file (3,144 counties, 10,000 replications
of datasets/svi/svi.uncertainty.yaml: scaling x weight noise x one variable left out x sum or
mean), with its peak memory. ``--plot FILE.html`` writes the audit's rank intervals
(``fi.plot.uncertainty``, the 40 most vulnerable counties). Run: python benchmarks/svi.py
"""

from __future__ import annotations

import argparse
import os
import resource
import time

import fintech_index as fi
from build import timed
from fintech_index.audit.engine import Engine, load_spec
from fintech_index.audit.uncertainty import uncertainty
from fintech_index.examples import SVI, datasets_dir, validate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--plot", help="write the audit's rank intervals to this HTML file")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (2 shared cores: "
          "figures vary with it)")
    for name in SVI:
        t = time.perf_counter()
        ex = fi.examples.load(name)
        loaded = time.perf_counter() - t
        ms = 1000 * timed(ex.build, args.repeat)
        t = time.perf_counter()
        cells = sum(v.total for v in validate(name))
        checked = time.perf_counter() - t
        print(f"{name:12}: {len(ex.panel.unit_codes):5,} counties x "
              f"{len(ex.framework.indicators)} variables: load {loaded:.2f} s, build() median "
              f"{ms:.1f} ms, validate {cells:,} cells {checked:.2f} s")
    ex = fi.examples.load("svi_2022")
    engine = Engine(ex.framework, ex.panel, ex.methodology,
                    load_spec(datasets_dir() / "svi" / "svi.uncertainty.yaml"))
    t = time.perf_counter()
    uncertainty(engine, n=64)  # the data-stage variants (3 scalings) built once
    warm = time.perf_counter() - t
    t = time.perf_counter()
    ua = uncertainty(engine, n=args.n)
    took = time.perf_counter() - t
    print(f"audit of svi_2022 ({len(ex.panel.unit_codes):,} counties), {args.n:,} replications: "
          f"{took:.2f} s = {args.n / took:,.0f} replications/s (variants built first in "
          f"{warm:.2f} s); peak memory (max RSS) "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")
    s = ua.summary()
    width = (s["rank_p95"] - s["rank_p05"]).median()
    print(f"  median width of a county's 5-95% interval of RPL_THEMES: {width:.3f}")
    if args.plot:
        top = s.sort_values("nominal_rank", ascending=False).index[:40].tolist()
        fi.plot.uncertainty(ua, plot_units=top).write_html(args.plot, include_plotlyjs="cdn")
        print("  wrote", args.plot)


if __name__ == "__main__":
    main()
