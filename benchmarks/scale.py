"""Reading and writing at scale (issue 27): synthetic frameworks (named synthetic) of 1,000,
20,000 and 100,000 units x 200 indicators and 1,000,000 units x 20, one year, as a wide CSV.

200 indicators: five dimensions, four pillars each, ten indicators per pillar; 20: two
dimensions, two pillars each, five indicators per pillar. Values uniform on [0, 1000) at
three decimals from a fixed seed, 1% of the cells missing ('NA' or empty). Units are
declared by a units table beside the framework.

Printed per size, in process: load (load_framework + load_panel), build, write
(Results.write), each also as a ratio to build; then in a fresh process each, the whole
``fintech-index validate`` and ``fintech-index build fw.yaml data.csv`` (which also writes
the edition report) with their peak resident memory, as a ratio to the input file plus the
results (score and rank arrays). Seconds are given twice: wall, and CPU (all threads; the
steadier figure on a machine shared with other work).
With ``--memory``, each in-process phase's resident MB at its end and its own high-water
(Linux: the high-water is reset before each phase through /proc/self/clear_refs).
With ``--repeat N``, every figure is the best of N runs (the fastest, as ``timeit`` reports;
the in-process phases run N times in one process, the commands in N fresh processes) and
the whole build's range over the N is printed; peaks are the highest of the N.
With ``--against REF`` (a git commit, e.g. ``9cfbcb2``, the code issue 27 was filed
against), the whole build of the code at REF (its ``src/`` from ``git archive``, run with
this environment's packages) is timed on the same input, each of its N runs alternating
with one of this code's: a machine whose speed drifts (this one's did, two-fold between
days) then compares the two on the same minutes, not against figures of another day.
Run: python benchmarks/scale.py [--sizes 1000x200,20000x200] [--split] [--memory]
     [--repeat 3] [--against 9cfbcb2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

import fintech_index as fi

SIZES = ("1000x200", "20000x200", "100000x200", "1000000x20")
TREES = {200: (5, 4, 10), 20: (2, 2, 5)}  # dimensions, pillars per dimension, indicators each


def write_inputs(folder: Path, n_units: int, n_ind: int, seed: int = 0) -> tuple[Path, Path]:
    """framework.yaml, units.csv and data.csv for one size; returns (framework, data)."""
    dims, pillars, per = TREES[n_ind]
    lines = ["name: synthetic scale benchmark", "units_file: units.csv", "index:",
             "  code: synthetic_index", "  children:"]
    k = 0
    for d in range(dims):
        lines += [f"    - code: D{d}", "      children:"]
        for p in range(pillars):
            lines += [f"        - code: D{d}P{p}", "          children:"]
            for _ in range(per):
                lines.append(f"            - {{code: x{k}}}")
                k += 1
    fw = folder / "framework.yaml"
    fw.write_text("\n".join(lines) + "\n", encoding="utf-8")
    codes = pa.array([f"u{u}" for u in range(n_units)])
    pacsv.write_csv(pa.table({"code": codes, "name": codes}), folder / "units.csv")
    rng = np.random.default_rng(seed)
    cols = {"unit": codes, "year": pa.array(np.full(n_units, 2024))}
    for i in range(n_ind):
        v = np.round(rng.uniform(0, 1000, n_units), 3)
        text = pc.cast(pa.array(v), pa.string())
        gone = rng.random(n_units) < 0.01
        text = pc.if_else(pa.array(gone), pa.scalar("NA" if i % 2 else ""), text)
        cols[f"x{i}"] = text
    data = folder / "data.csv"
    pacsv.write_csv(pa.table(cols), data, pacsv.WriteOptions(quoting_style="none"))
    return fw, data


def resident() -> tuple[float, float]:
    """(now, high-water) resident MB of this process since the last reset (Linux; zeros
    elsewhere), and the high-water reset for the next phase."""
    got = {}
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    got[key] = int(value.split()[0]) / 1024
        with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
            fh.write("5")  # resets VmHWM to the current resident size
    except OSError:
        return 0.0, 0.0
    return got.get("VmRSS", 0.0), got.get("VmHWM", 0.0)


class Clock:
    """Wall and CPU seconds (all threads) since it was made: on a machine shared with other
    work, the CPU seconds are the steadier measure."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def read(self) -> tuple[float, float]:
        return time.perf_counter() - self.wall, time.process_time() - self.cpu


def best(fn, repeat: int) -> tuple[float, float]:
    """The best wall and the best CPU seconds of ``repeat`` calls of ``fn`` (each the best
    of its own kind; the other benchmarks of issue 27 time their parts with it)."""
    runs = []
    for _ in range(repeat):
        clock = Clock()
        fn()
        runs.append(clock.read())
    return fastest(runs)


# A child's peak resident size counts what it held before exec, a copy of its parent's
# pages: started from this process after a large build it would report this process's
# memory (400 MB more). So every command is started by a small launcher process, made
# before this one grows, that runs one command per line of its standard input and answers
# with its wall and CPU seconds and peak resident kB.
LAUNCHER = """
import json, os, subprocess, sys, time
for line in sys.stdin:
    argv, env = json.loads(line)
    t = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **env})
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    print(json.dumps([time.perf_counter() - t, usage.ru_utime + usage.ru_stime,
                      usage.ru_maxrss, status, err.decode(errors="replace")[-2000:]]),
          flush=True)
"""


class Launcher:
    """The small process that starts every measured command (see LAUNCHER)."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def whole(self, argv: list[str], env: dict[str, str] | None = None
              ) -> tuple[tuple[float, float], float]:
        """(wall, CPU) seconds and peak resident MB of one command in a fresh process
        (``env``: variables set for it)."""
        self.proc.stdin.write(json.dumps([argv, env or {}]) + "\n")
        self.proc.stdin.flush()
        wall, cpu, kb, status, err = json.loads(self.proc.stdout.readline())
        if status != 0:
            raise SystemExit(f"{' '.join(argv)} failed: {err}")
        return (wall, cpu), kb / 1024

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait()


def in_process(fw_path: Path, data: Path, out: Path, split: bool = False,
               memory: bool = False, repeat: int = 1) -> tuple[list, float]:
    """(wall, CPU) seconds of load, build and write in this process (each the best of
    ``repeat`` passes), and MB of the results' arrays. With ``split``, the write's two large
    files are also written once more each, timed on their own (printed: results.parquet, the
    ranking CSV); with ``memory``, each phase's resident MB at its end and high-water during
    it (of the first pass)."""
    passes = []
    for k in range(repeat):
        mem = [resident()]
        clock = Clock()
        fw = fi.load_framework(fw_path)
        panel = fi.load_panel(data, fw)
        load, clock = clock.read(), Clock()
        mem.append(resident())
        res = fi.build(fw, panel)
        build, clock = clock.read(), Clock()
        mem.append(resident())
        res.write(out)
        write = clock.read()
        mem.append(resident())
        passes.append((load, build, write))
        if memory and k == 0:
            print(f"{'':>16} resident MB at the end (high-water during): before "
                  f"{mem[0][0]:.0f}, load {mem[1][0]:.0f} ({mem[1][1]:.0f}), build "
                  f"{mem[2][0]:.0f} ({mem[2][1]:.0f}), write {mem[3][0]:.0f} ({mem[3][1]:.0f})",
                  flush=True)
        if k < repeat - 1:
            del fw, panel, res
    phases = [fastest([p[i] for p in passes]) for i in range(3)]
    if split:
        from fintech_index.exports import write_csv

        clock = Clock()
        res.write_parquet(out.with_name("split.parquet"))
        parquet, clock = clock.read(), Clock()
        write_csv(res.ranking(), out.with_name("split-ranking.csv"), index=True)
        ranking = clock.read()
        print(f"{'':>16} written again on their own (CPU): results.parquet {parquet[1]:.2f} s, "
              f"ranking CSV {ranking[1]:.2f} s (the whole write: {phases[2][1]:.2f} s)",
              flush=True)
    return phases, (res.score_array.nbytes + res.rank_array.nbytes) / 2**20


def fastest(runs: list[tuple[float, float]]) -> tuple[float, float]:
    """The best wall and the best CPU seconds of ``runs`` ((wall, CPU) pairs)."""
    return min(wall for wall, _ in runs), min(cpu for _, cpu in runs)


def reference_code(ref: str, work: Path) -> dict[str, str]:
    """The environment that runs the package as it was at git commit ``ref``: its ``src/``
    unpacked from ``git archive`` into ``work``, first on ``PYTHONPATH`` (checked: the
    package imported from there, not the installed one)."""
    root = Path(__file__).resolve().parent.parent
    src = work / f"ref-{ref}"
    src.mkdir()
    archive = subprocess.run(["git", "-C", str(root), "archive", ref, "src"], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    compile_bytecode(src / "src")  # as for this code (:func:`cache_bytecode`)
    env = {"PYTHONPATH": str(src / "src")}
    where = subprocess.run([sys.executable, "-c", "import fintech_index; "
                            "print(fintech_index.__file__)"], env={**os.environ, **env},
                           check=True, capture_output=True, text=True).stdout
    if not Path(where.strip()).is_relative_to(src):
        raise SystemExit(f"--against {ref}: the package imported from {where.strip()}, not "
                         f"from {src}")
    return env


def run(size: str, work: Path, launcher: Launcher, split: bool = False,
        memory: bool = False, repeat: int = 1, against: tuple[str, dict] | None = None
        ) -> None:
    n_units, n_ind = (int(x) for x in size.split("x"))
    folder = work / size
    folder.mkdir()
    fw_path, data = write_inputs(folder, n_units, n_ind)
    in_mb = data.stat().st_size / 2**20
    phases, res_mb = in_process(fw_path, data, folder / "out-py", split, memory, repeat)
    exe = [sys.executable, "-m", "fintech_index"]
    vals = [launcher.whole([*exe, "validate", str(fw_path), str(data)])
            for _ in range(repeat)]
    clis, refs = [], []
    for _ in range(repeat):  # this code's runs alternate with the reference code's
        clis.append(launcher.whole([*exe, "build", str(fw_path), str(data), "--out",
                                    str(folder / "out-cli")]))
        if against is not None:
            refs.append(launcher.whole([*exe, "build", str(fw_path), str(data), "--out",
                                        str(folder / "out-ref")], against[1]))
    t_val, m_val = fastest([t for t, _ in vals]), max(m for _, m in vals)
    t_cli, m_cli = fastest([t for t, _ in clis]), max(m for _, m in clis)
    for k, what in enumerate(("wall", "CPU")):
        load, build, write = (p[k] for p in phases)
        val, cli = t_val[k], t_cli[k]
        memory = (f"{m_val:7.0f} {m_cli:7.0f} {m_cli / (in_mb + res_mb):6.1f}x" if k == 0
                  else "")
        print(f"{size if k == 0 else '':>11} {what:>4} {in_mb:6.1f} {res_mb:6.1f} | "
              f"{load:6.2f} {build:6.2f} {write:6.2f} {(load + write) / build:8.1f}x | "
              f"{val:6.2f} {cli:6.2f} {cli / build:7.1f}x | {memory}", flush=True)
        print(f"{'':>16} ratios to build: load {load / build:.1f}x, write {write / build:.1f}x, "
              f"validate {val / build:.1f}x", flush=True)
    walls = sorted(t[0] for t, _ in clis)
    if repeat > 1:
        print(f"{'':>16} whole build, {repeat} runs: {walls[0]:.2f}-{walls[-1]:.2f} s wall",
              flush=True)
    if against is not None:
        ref_walls = sorted(t[0] for t, _ in refs)
        ref_cpu = fastest([t for t, _ in refs])[1]
        print(f"{'':>16} the code at {against[0]}, alternated with it: whole build "
              f"{ref_walls[0]:.2f}-{ref_walls[-1]:.2f} s wall (best CPU {ref_cpu:.2f} s), peak "
              f"{max(m for _, m in refs):.0f} MB; this code {ref_walls[0] / walls[0]:.1f} x "
              "faster (best against best)", flush=True)


def cache_bytecode() -> None:
    """Compile the package's modules to bytecode where Python keeps it, as the first import
    of any run (or a pip install) leaves them: a user's commands do not compile the package
    each time. A machine that sets PYTHONDONTWRITEBYTECODE (this one does) would otherwise
    make every measured process compile it again, 0.3 s of each command here."""
    compile_bytecode(Path(fi.__file__).parent)


def compile_bytecode(folder: Path) -> None:
    """Every module under ``folder`` compiled to bytecode beside it."""
    import compileall

    compileall.compile_dir(folder, quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=",".join(SIZES),
                    help=f"comma-separated UNITSxINDICATORS (default: {','.join(SIZES)})")
    ap.add_argument("--split", action="store_true",
                    help="also time results.parquet and the ranking CSV on their own")
    ap.add_argument("--memory", action="store_true",
                    help="also print each in-process phase's resident and high-water MB")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs of every measure; the best is printed (default 1)")
    ap.add_argument("--against", metavar="REF",
                    help="also time the whole build of the code at git commit REF, "
                         "alternated with this code's (e.g. 9cfbcb2, issue 27 as filed)")
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error(f"--repeat {args.repeat}: give 1 or more runs")
    cache_bytecode()
    launcher = Launcher()
    t0, m0 = launcher.whole([sys.executable, "-c", "import fintech_index.cli"])
    print(f"baseline: python importing fintech_index.cli {t0[0]:.2f} s, {m0:.0f} MB")
    print(f"{'size':>11} {'time':>4} {'in MB':>6} {'res MB':>6} | {'load':>6} {'build':>6} "
          f"{'write':>6} {'(ld+wr)/bd':>9} | {'valid':>6} {'CLI':>6} {'CLI/bd':>8} | "
          f"{'val MB':>7} {'CLI MB':>7} {'MB/(in+res)':>6}")
    with tempfile.TemporaryDirectory(prefix="scale-") as work:
        against = (args.against, reference_code(args.against, Path(work))) if args.against \
            else None
        for size in args.sizes.split(","):
            run(size.strip(), Path(work), launcher, args.split, args.memory, args.repeat,
                against)
    launcher.close()


if __name__ == "__main__":
    main()
