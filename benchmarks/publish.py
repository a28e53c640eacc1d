"""Time the whole publish of one edition of the fintech index as the main job does it: the
small audit (rank intervals), the static site (English and Chinese), the white papers and
the workbook in English and in Chinese. Run: python benchmarks/publish.py"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import fintech_index as fi
from fintech_index.audit.quick import quick_audit
from fintech_index.examples import datasets_dir
from fintech_index.gfcdi.editions import publish_inputs
from fintech_index.gfcdi.paper import paper_sections
from fintech_index.publish import publish_all


def main() -> None:
    t = time.perf_counter()
    results = fi.examples.load("fintech").build()
    built = time.perf_counter() - t
    _, coords = publish_inputs("fintech")
    t = time.perf_counter()
    audit = quick_audit(results, datasets_dir() / "fintech" / "fintech.uncertainty.yaml")
    audited = time.perf_counter() - t
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
                              coordinates=coords, audit=audit, progress=tick,
                              sections=paper_sections(results))
        # the white papers and the workbook in Chinese too (the site has both languages)
        written += publish_all(results, pdf=out / "pdf", xlsx=out / "e_zh.xlsx", lang="zh",
                               audit=audit, progress=tick, sections=paper_sections(results))
        total = time.perf_counter() - t
        site_langs = ["en"] + sorted(p.name for p in (out / "site").iterdir()
                                     if p.is_dir() and p.name in ("en", "zh"))
    papers = [s for w, s in steps if w.startswith("white paper")]
    print(f"build of both editions: {built:.2f} s")
    print(f"small audit: {audited:.2f} s ({audit.attrs['replications']:,} replications)")
    print(f"publish: {total:.2f} s for {len(written)} files; with the small audit "
          f"{total + audited:.2f} s (target 20 s)")
    print(f"  site languages: {', '.join(site_langs)}")
    for what, sec in steps:
        if not what.startswith("white paper"):
            print(f"  {what:<12} {sec:6.2f} s")
    print(f"  {len(papers)} white papers (en and zh) {sum(papers):6.2f} s "
          f"({sum(papers) / len(papers):.2f} s each)")


if __name__ == "__main__":
    main()
