"""The two largest CSV writes of ``fintech-index build`` (issue 27), timed alone: the
ranking (``Results.write_ranking``: 20,000 rows x 511 columns at 20,000 x 200) and the
edition report's profiles (``write_csv`` of ``publish.report.profile_table``: ~500,000 rows
of repeated text). The synthetic index of ``benchmarks/scale.py`` is built once in process;
each write is timed ``--repeat`` times and the best wall and CPU seconds (all threads,
``time.process_time``: the steadier figure on a shared machine) are printed.
With ``--out DIR`` the two files are left there (to compare the bytes of two versions).
Run: python benchmarks/csv_write.py [--size 20000x200] [--repeat 3] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fintech_index as fi  # noqa: E402
from fintech_index.exports import write_csv  # noqa: E402
from fintech_index.publish.report import profile_table  # noqa: E402
from fintech_index.publish.view import EditionView  # noqa: E402
from scale import best, write_inputs  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="20000x200")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, help="a folder to leave the two files in")
    args = ap.parse_args()
    n_units, n_ind = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        fw_path, data = write_inputs(folder, n_units, n_ind)
        fw = fi.load_framework(fw_path)
        res = fi.build(fw, fi.load_panel(data, fw))
        profiles = profile_table(EditionView(res).cur)
        keep = args.out or folder
        keep.mkdir(parents=True, exist_ok=True)
        ranking, profile_csv = keep / "ranking.csv", keep / "profiles.csv"
        rows = [("ranking", best(lambda: res.write_ranking(ranking), args.repeat), ranking),
                ("profiles", best(lambda: write_csv(profiles, profile_csv), args.repeat),
                 profile_csv)]
        print(f"{args.size}, best of {args.repeat}")
        for name, (wall, cpu), path in rows:
            print(f"{name:>9}: wall {wall:6.3f} s  CPU {cpu:6.3f} s  "
                  f"({path.stat().st_size / 2**20:.1f} MB)")


if __name__ == "__main__":
    main()
