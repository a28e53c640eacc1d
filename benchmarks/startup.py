"""The command line against its targets and against COINr, measured in one run.

Whole processes (each the best of --repeat runs, wall time, as a user waits for them):
  - `fintech-index --help` and `fintech-index validate` (ASEM files): target < 0.3 s;
  - `fintech-index build --example asem`: against `Rscript -e 'COINr::build_example_coin()'`,
    0.70 s for COINr 1.1.14 as measured for issue 16 on this machine (measured here instead
    when Rscript with COINr is installed);
  - `fintech-index audit --example asem --n 10000` (coherence + uncertainty): target < 1.5 s.
In process: the engine's 10,000 ASEM replications (5 factors), target < 0.05 s, and the
coherence step. Every line prints the figure and its ratio to the target or reference.
The machine's load average is printed first: 2 cores are shared, so figures vary with it.

Run: python benchmarks/startup.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COINR_BUILD_S = 0.70  # Rscript -e 'COINr::build_example_coin()', issue 16's measurement


def wall(cmd: list[str], repeat: int) -> float:
    """Best wall time of ``repeat`` runs of a command (output discarded; must succeed)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - t)
    return best


def line(what: str, seconds: float, reference: float, label: str) -> None:
    print(f"  {what:<44} {seconds:7.3f} s   {seconds / reference:6.2f} x {label} "
          f"({reference:g} s)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from fintech_index.examples import datasets_dir

    asem = datasets_dir() / "asem"
    exe = [sys.executable, "-m", "fintech_index"]
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; best of "
          f"{args.repeat} runs")
    bare = wall([sys.executable, "-c", "import numpy, pandas"], args.repeat)
    print(f"  machine yardstick: python -c 'import numpy, pandas' {bare:.3f} s (about 0.25 s "
          "on this machine when idle)")
    print("whole processes:")
    line("fintech-index --help", wall([*exe, "--help"], args.repeat), 0.3, "target")
    line("fintech-index validate (ASEM files)",
         wall([*exe, "validate", str(asem / "asem.yaml"), str(asem / "asem.csv"), "-m",
               str(asem / "asem.methodology.yaml")], args.repeat), 0.3, "target")
    with tempfile.TemporaryDirectory() as tmp:
        build = wall([*exe, "build", "--example", "asem", "--out", tmp], args.repeat)
        coinr, source = COINR_BUILD_S, "COINr, issue 16"
        if shutil.which("Rscript") and subprocess.run(
                ["Rscript", "-e", "library(COINr)"], capture_output=True).returncode == 0:
            coinr = wall(["Rscript", "-e", "invisible(COINr::build_example_coin(quietly = "
                          "TRUE))"], args.repeat)
            source = "COINr, measured now"
        line("fintech-index build --example asem", build, coinr, source)
        audit = wall([*exe, "audit", "--example", "asem", "--spec",
                      str(asem / "asem.uncertainty.yaml"), "--n", "10000", "--out",
                      str(Path(tmp) / "audit")], args.repeat)
        line("fintech-index audit --example asem --n 10000", audit, 1.5, "target")
    print("in process:")
    import fintech_index as fi
    from fintech_index.audit import coherence
    from fintech_index.audit.engine import Engine, evaluate_chunks, load_spec
    from fintech_index.audit.uncertainty import sobol_points

    ex = fi.examples.load("asem")
    engine = Engine(ex.framework, ex.panel, ex.methodology,
                    load_spec(asem / "asem.uncertainty.yaml"))
    u = sobol_points(engine.dimension, 10_000, engine.spec.seed)
    engine.evaluate(u)  # the data-stage variants are built once, then cached
    best = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        evaluate_chunks(engine, u, chunk=10_000)
        best = min(best, time.perf_counter() - t)
    line("engine: 10,000 ASEM replications", best, 0.05, "target")
    best = float("inf")
    for _ in range(args.repeat):
        t = time.perf_counter()
        for method in ("pearson", "spearman"):
            coherence.correlations(engine.nominal, method=method)
        best = min(best, time.perf_counter() - t)
    line("coherence: 62 x 62 nodes, both methods", best, 1.5, "of the CLI audit target")


if __name__ == "__main__":
    main()
