"""Time the whole publish of one edition of the fintech index: the static site, the ten
white papers (Typst) and the workbook. Run: python benchmarks/publish.py"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import fintech_index as fi
from fintech_index.examples.fintech import publish_inputs
from fintech_index.publish import publish_all


def main() -> None:
    t = time.perf_counter()
    results = fi.examples.load("fintech").build()
    built = time.perf_counter() - t
    _, coords = publish_inputs("fintech")
    steps: list[tuple[str, float]] = []
    last = [time.perf_counter()]

    def tick(what: str) -> None:
        now = time.perf_counter()
        steps.append((what, now - last[0]))
        last[0] = now

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        t = time.perf_counter()
        last[0] = t
        written = publish_all(results, site=out / "site", pdf=out / "pdf", xlsx=out / "e.xlsx",
                              coordinates=coords, progress=tick)
        # the white papers and the workbook in Chinese too
        written += publish_all(results, pdf=out / "pdf", xlsx=out / "e_zh.xlsx", lang="zh",
                               progress=tick)
        total = time.perf_counter() - t
    papers = [s for w, s in steps if w.startswith("white paper")]
    print(f"build of both editions: {built:.2f} s")
    print(f"publish: {total:.2f} s for {len(written)} files (target 20 s)")
    for what, sec in steps:
        if not what.startswith("white paper"):
            print(f"  {what:<12} {sec:6.2f} s")
    print(f"  {len(papers)} white papers (en and zh) {sum(papers):6.2f} s "
          f"({sum(papers) / len(papers):.2f} s each)")


if __name__ == "__main__":
    main()
