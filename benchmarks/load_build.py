"""Load and build at 20,000 units x 200 indicators (issue 27), wall and CPU seconds.

Writes the synthetic inputs once (``benchmarks/scale.py``'s ``write_inputs``: one year, a
wide CSV of 30 MB), then times ``load_panel`` and ``build`` in this process, each the best
of ``--repeat`` runs, wall and CPU (all threads: on a 2-core machine shared with other work,
a pool shows as CPU above wall). With ``--profile``, a cProfile of one load and one build
(the top functions by cumulative time). Prints numbers only.
Run: python benchmarks/load_build.py [--size 20000x200] [--repeat 3] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

import fintech_index as fi

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import best, write_inputs  # noqa: E402


def profile(fn, top: int = 18) -> None:
    prof = cProfile.Profile()
    prof.runcall(fn)
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="20000x200", help="UNITSxINDICATORS (200 or 20)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="also cProfile one load and build")
    args = ap.parse_args()
    n_units, n_ind = (int(x) for x in args.size.split("x"))
    with tempfile.TemporaryDirectory(prefix="load-build-") as work:
        fw_path, data = write_inputs(Path(work), n_units, n_ind)
        fw = fi.load_framework(fw_path)
        panel = fi.load_panel(data, fw)  # a first read: the file in the page cache
        load = best(lambda: fi.load_panel(data, fw), args.repeat)
        build = best(lambda: fi.build(fw, panel), args.repeat)
        mb = data.stat().st_size / 2**20
        print(f"{args.size} ({mb:.0f} MB CSV), best of {args.repeat}:")
        print(f"  load_panel  wall {load[0]:6.3f} s   CPU {load[1]:6.3f} s")
        print(f"  build       wall {build[0]:6.3f} s   CPU {build[1]:6.3f} s")
        print(f"  together    wall {load[0] + build[0]:6.3f} s   CPU {load[1] + build[1]:6.3f} s")
        if args.profile:
            profile(lambda: fi.load_panel(data, fw))
            profile(lambda: fi.build(fw, panel))


if __name__ == "__main__":
    main()
