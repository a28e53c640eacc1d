"""Publishing an edition: Excel workbook, static report site, PDF white papers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..build import Results


def paper_units(results: Results, cities: list[str] | None = None, top: int = 10
                ) -> list[str]:
    """The cities that get a white paper: the latest edition's top ``top``, then any of
    ``cities`` not among them (each code checked: U52 names the codes there are)."""
    from ..districts import check_unit

    units = list(results.ranking().dropna(subset=["rank"]).index[:top])
    for unit in cities or []:
        check_unit(unit, list(results.units), "--cities")
        if unit not in units:
            units.append(unit)
    return units


def paper_file_name(results: Results, unit: str, lang: str = "en") -> str:
    """'<City>_white_paper_<year>[_zh].pdf' with only letters, digits and underscores."""
    name = results.panel.units.at[unit, "name"]
    safe = "".join(c if c.isascii() and c.isalnum() else "_" for c in str(name))
    return f"{safe}_white_paper_{results.years[-1]}{'' if lang == 'en' else '_' + lang}.pdf"


def publish_all(results: Results, *, site: Path | None = None, pdf: Path | None = None,
                xlsx: Path | None = None, cities: list[str] | None = None,
                coordinates: pd.DataFrame | None = None, audit: pd.DataFrame | None = None,
                lang: str = "en", progress: Callable[[str], None] | None = None
                ) -> list[Path]:
    """Write whichever outputs are asked for; white papers for the latest year's top ten
    plus ``cities``; papers and workbook in ``lang`` (en or zh); rank intervals from
    ``audit`` (an uncertainty summary) when given."""
    from .excel import write_workbook
    from .i18n import check_lang
    from .pdf import PaperContext, write_white_paper
    from .site import write_site

    check_lang(lang)
    tick = progress or (lambda _: None)
    written: list[Path] = []
    if site is not None:
        written += write_site(results, site, coordinates=coordinates, audit=audit)
        tick("site")
    if pdf is not None:
        context = PaperContext.of(results)
        for unit in paper_units(results, cities):
            written.append(write_white_paper(
                results, unit, Path(pdf) / paper_file_name(results, unit, lang), audit=audit,
                lang=lang, context=context))
            tick(f"white paper {unit}")
    if xlsx is not None:
        written.append(write_workbook(results, xlsx, audit=audit, lang=lang))
        tick("workbook")
    return written
