"""Publishing an edition: Excel workbook, static report site, PDF white papers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..build import Results


def publish_all(results: Results, *, site: Path | None = None, pdf: Path | None = None,
                xlsx: Path | None = None, cities: list[str] | None = None,
                coordinates: pd.DataFrame | None = None, audit: pd.DataFrame | None = None,
                progress: Callable[[str], None] | None = None, lang: str = "en",
                focus: str | None = None) -> list[Path]:
    """Write whichever outputs are asked for; white papers for ``cities`` (default: the top
    ten of the latest year). The site is written in both languages, ``lang`` at its root;
    ``focus``: the unit whose point of view the site's lead story takes."""
    from .excel import write_workbook
    from .pdf import write_white_paper
    from .site import write_site

    tick = progress or (lambda _: None)
    written: list[Path] = []
    if site is not None:
        from .format import LANGS

        written += write_site(results, site, coordinates=coordinates, audit=audit,
                              langs=(lang, *[x for x in LANGS if x != lang]), focus=focus)
        tick("site")
    if pdf is not None:
        units = cities or list(results.ranking().index[:10])
        for unit in units:
            name = results.panel.units.at[unit, "name"]
            safe = "".join(c if c.isalnum() else "_" for c in str(name))
            written.append(write_white_paper(
                results, unit, Path(pdf) / f"{safe}_white_paper_{results.years[-1]}.pdf"))
            tick(f"white paper {name}")
    if xlsx is not None:
        written.append(write_workbook(results, xlsx))
        tick("workbook")
    return written
