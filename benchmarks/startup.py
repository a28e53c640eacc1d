"""The command line against its targets and against COINr, measured in one run.

Whole processes (each the best of --repeat runs, wall time, as a user waits for them):
  - `fintech-index --help` and `fintech-index validate` (ASEM files): target < 0.3 s;
  - `fintech-index build --example asem`: against `Rscript -e 'COINr::build_example_coin()'`,
    0.70 s for COINr 1.1.14 as measured for issue 16 on this machine (measured here instead
    when Rscript with COINr is installed);
  - `fintech-index audit --example asem --n 10000` (coherence + uncertainty): target < 1.5 s.
For each command, its import floor: the best time of a process that imports exactly the
modules the command imports (read from one `python -X importtime` run of it) and does
nothing else, so wall = floor + work; and what the floor is made of, in ms of import time
by package (self times from -X importtime, which adds some overhead of its own).
In process: the engine's 10,000 ASEM replications (5 factors), target < 0.05 s, and the
coherence step. Every line prints the figure and its ratio to the target or reference.
The machine's load average is printed first: 2 cores are shared, so figures vary with it;
`python -c 'import numpy, pandas'` is printed as the yardstick every command pays.

Run: python benchmarks/startup.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

COINR_BUILD_S = 0.70  # Rscript -e 'COINr::build_example_coin()', issue 16's measurement


def best(fn, repeat: int) -> float:
    """Best wall time of ``repeat`` calls (as benchmarks/audit.py times)."""
    return min(timeit.repeat(fn, number=1, repeat=repeat))


def wall(cmd: list[str], repeat: int) -> float:
    """Best wall time of ``repeat`` runs of a command (output discarded; must succeed)."""
    return best(lambda: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL), repeat)


YARDSTICK: list[float] = []  # python -c 'import numpy, pandas', measured first


def line(what: str, seconds: float, reference: float, label: str) -> None:
    """A figure, its ratio to its target or reference and, on a machine whose load varies,
    to the yardstick measured beside it (about 0.48 s on this machine when idle)."""
    yard = f"  = {seconds / YARDSTICK[0]:5.2f} yardsticks" if YARDSTICK else ""
    print(f"  {what:<44} {seconds:7.3f} s   {seconds / reference:6.2f} x {label} "
          f"({reference:g} s){yard}")


# packages grouped as the floor is reported; anything else is "stdlib and other"
GROUPS = {"numpy": "numpy", "pandas": "pandas", "pyarrow": "pyarrow (via pandas)",
          "scipy": "scipy", "pydantic": "pydantic", "pydantic_core": "pydantic",
          "annotated_types": "pydantic", "typing_inspection": "pydantic", "typer": "typer",
          "click": "typer", "shellingham": "typer", "rich": "rich", "pygments": "rich",
          "yaml": "yaml", "fintech_index": "fintech_index"}


def imported(cmd: list[str]) -> tuple[list[str], dict[str, float]]:
    """The modules a command imports at the top of its import tree, in order, and the
    import time (ms, self times) by package group, from one ``-X importtime`` run."""
    run = subprocess.run([cmd[0], "-X", "importtime", *cmd[1:]], capture_output=True,
                         text=True, check=True)
    top: list[str] = []
    by_group: dict[str, float] = {}
    for row in run.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|( *)(\S+)", row)
        if not m:
            continue
        name = m[3]
        if len(m[2]) == 1 and name not in top:  # one space: imported by the command itself
            top.append(name)
        group = GROUPS.get(name.split(".")[0], "stdlib and other")
        by_group[group] = by_group.get(group, 0.0) + int(m[1]) / 1000
    return top, by_group


def measure(what: str, cmd: list[str], repeat: int, reference: float, label: str) -> float:
    """Print the best wall time of ``cmd`` against ``reference`` and, below it, its import
    floor: the best time of a process that imports what ``cmd`` imports (each module in the
    order the command imported it) and does nothing else; the work left; and the imports
    by package (ms). Command, floor and yardstick runs alternate, so that all three meet
    the same load."""
    modules, by_group = imported(cmd)
    code = (f"import importlib\nfor m in {modules!r}:\n    try:\n"
            "        importlib.import_module(m)\n    except Exception:\n        pass\n")
    seconds = floor = yardstick = float("inf")
    for _ in range(repeat):
        seconds = min(seconds, wall(cmd, 1))
        floor = min(floor, wall([cmd[0], "-c", code], 1))
        yardstick = min(yardstick, wall([cmd[0], "-c", "import numpy, pandas"], 1))
    YARDSTICK[:] = [yardstick]  # the one measured beside this command
    line(what, seconds, reference, label)
    parts = ", ".join(f"{g} {ms:.0f}" for g, ms in sorted(by_group.items(), key=lambda x: -x[1])
                      if ms >= 1)
    print(f"      import floor {floor:.3f} s, work {seconds - floor:+.3f} s, yardstick beside "
          f"it {yardstick:.3f} s; imports (ms, -X importtime): {parts}")
    return seconds


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
    YARDSTICK.append(bare)
    print(f"  machine yardstick: python -c 'import numpy, pandas' {bare:.3f} s (the figures "
          "below scale with it when the shared cores are busy)")
    print("whole processes (each with its import floor: wall = floor + work):")
    measure("fintech-index --help", [*exe, "--help"], args.repeat, 0.3, "target")
    measure("fintech-index validate (ASEM files)",
            [*exe, "validate", str(asem / "asem.yaml"), str(asem / "asem.csv"), "-m",
             str(asem / "asem.methodology.yaml")], args.repeat, 0.3, "target")
    with tempfile.TemporaryDirectory() as tmp:
        coinr, source = COINR_BUILD_S, "COINr, issue 16"
        if shutil.which("Rscript") and subprocess.run(
                ["Rscript", "-e", "library(COINr)"], capture_output=True).returncode == 0:
            coinr = wall(["Rscript", "-e", "invisible(COINr::build_example_coin(quietly = "
                          "TRUE))"], args.repeat)
            source = "COINr, measured now"
        measure("fintech-index build --example asem",
                [*exe, "build", "--example", "asem", "--out", tmp], args.repeat, coinr, source)
        measure("fintech-index audit --example asem --n 10000",
                [*exe, "audit", "--example", "asem", "--spec",
                 str(asem / "asem.uncertainty.yaml"), "--n", "10000", "--out",
                 str(Path(tmp) / "audit")], args.repeat, 1.5, "target")
    YARDSTICK.clear()  # in process: no interpreter start-up to compare with
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
    line("engine: 10,000 ASEM replications",
         best(lambda: evaluate_chunks(engine, u, chunk=10_000), args.repeat), 0.05, "target")
    line("coherence: 62 x 62 nodes, both methods",
         best(lambda: [coherence.correlations(engine.nominal, method=method)
                       for method in ("pearson", "spearman")], args.repeat),
         1.5, "of the CLI audit target")


if __name__ == "__main__":
    main()
