"""Time the ND-GAIN (gain_2014) and SDG Index (sdg_2023) examples: loading the bundled files,
build() and the comparison with every published value (issue 28). build.py times every
bundled example's build among its synthetic panels; this one is quick to run on its own.
Prints the median of several runs. Run: python benchmarks/gain_sdg.py
"""

from __future__ import annotations

import fintech_index as fi
from build import timed  # noqa: E402  (benchmarks/build.py: median of repeated runs)


def main() -> None:
    print(f"{'example':>10} {'units':>5} {'years':>5} {'nodes':>5} {'published':>9} "
          f"{'load ms':>8} {'build ms':>8} {'validate ms':>11}")
    for name in ("gain_2014", "sdg_2023"):
        ex = fi.examples.load(name)
        res = ex.build()
        load = 1000 * timed(lambda: fi.examples.load(name), 5)  # noqa: B023
        build = 1000 * timed(ex.build, 11)
        check = 1000 * timed(lambda: fi.examples.validate(name, res), 5)  # noqa: B023
        print(f"{name:>10} {len(ex.panel.unit_codes):>5} {len(ex.panel.years):>5} "
              f"{len(ex.framework.node_codes):>5} {len(ex.published):>9,} {load:>8.0f} "
              f"{build:>8.0f} {check:>11.0f}")


if __name__ == "__main__":
    main()
