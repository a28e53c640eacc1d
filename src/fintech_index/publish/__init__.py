"""Publishing an edition: Excel workbook, static report site, PDF white papers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..build import Results

if TYPE_CHECKING:  # pragma: no cover
    from ..analysis.differs import PublishedRanking
    from .pdf import PaperSections
    from .view import EditionView


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


def paper_file_name(results: Results, unit: str, lang: str = "en", *,
                    with_code: bool = False) -> str:
    """'<City>_white_paper_<year>[_zh].pdf' with only ASCII letters, digits and underscores
    (no '../', no separator); ``with_code`` adds the unit code (safe.file_segment), for
    cities whose names give one file."""
    from ..safe import file_segment

    name = results.panel.units.at[unit, "name"]
    safe = "".join(c if c.isascii() and c.isalnum() else "_" for c in str(name))
    if with_code:
        safe += "_" + file_segment(unit, what="unit")
    return f"{safe}_white_paper_{results.years[-1]}{'' if lang == 'en' else '_' + lang}.pdf"


def paper_file_names(results: Results, units: list[str], lang: str = "en") -> dict[str, str]:
    """One file per city: the readable name, and the unit code added where two cities'
    names give one file ('Sao Paulo' and 'Sao-Paulo' both give 'Sao_Paulo', issue 17); two
    files still one apart (letter case included) are refused [U65], never overwritten."""
    from collections import Counter

    from ..errors import FintechIndexError
    from ..safe import file_segments

    file_segments(units, what="unit")  # codes one file apart are refused first
    plain = {u: paper_file_name(results, u, lang) for u in units}
    shared = Counter(f.casefold() for f in plain.values())
    files = {u: paper_file_name(results, u, lang, with_code=shared[f.casefold()] > 1)
             for u, f in plain.items()}
    seen: dict[str, str] = {}
    for u, f in files.items():
        other = seen.setdefault(f.casefold(), u)
        if other != u:
            raise FintechIndexError("U65", f"cities '{other}' and '{u}' would share one white "
                                           f"paper file ({f}); give one of them another name")
    return files


def focus_notes(view: EditionView, focus: str | None, audit: pd.DataFrame | None = None,
                sections: PaperSections | None = None
                ) -> Callable[[str], tuple[str, ...]] | None:
    """What the lead told from the point of view of ``focus`` adds, by language: the
    city's counts from records as the index words them (``sections.focus``) and its rank
    interval under ``audit`` (:func:`lead.focus_notes`); None without a focus."""
    if focus is None:
        return None
    from .i18n import unit_name
    from .lead import focus_notes as notes

    def said(lang: str) -> tuple[str, ...]:
        city = unit_name(view.results.panel.units, focus, lang)
        counts = (sections.focus(focus, view.year, lang, city)
                  if sections is not None and sections.focus is not None else [])
        return notes(view.cur, focus, lang, audit, counts)

    return said


def publish_all(results: Results, *, site: Path | None = None, pdf: Path | None = None,
                xlsx: Path | None = None, cities: list[str] | None = None,
                coordinates: pd.DataFrame | None = None, audit: pd.DataFrame | None = None,
                lang: str = "en", sections: PaperSections | None = None,
                progress: Callable[[str], None] | None = None,
                focus: str | None = None, view: EditionView | None = None,
                published: PublishedRanking | None = None) -> list[Path]:
    """Write whichever outputs are asked for; white papers for the latest year's top ten
    plus ``cities``; papers and workbook in ``lang`` (en or zh); the site in both languages,
    ``lang`` at its root, its lead story from the point of view of the unit ``focus`` when
    given; rank intervals from ``audit`` (an uncertainty summary) when given; the sections
    an index adds to its papers from ``sections`` (the fintech index's: ``gfcdi.paper``).
    ``view``: the latest edition as every output renders it (made here, once, when not
    given). ``published``: the official ranking the index supplies; the outputs then say how
    the edition differs from it (site page, a paragraph per paper, a workbook sheet)."""
    from ..analysis.differs import published_differences
    from .excel import write_workbook
    from .i18n import check_lang
    from .pdf import write_white_paper
    from .site import write_site
    from .view import EditionView

    check_lang(lang)
    if view is None or view.results is not results or view.year != results.years[-1]:
        view = EditionView(results)
    tick = progress or (lambda _: None)
    differences = (published_differences(results, published) if published is not None
                   else None)
    written: list[Path] = []
    if site is not None:
        from ..format import LANGS

        written += write_site(results, site, coordinates=coordinates, audit=audit,
                              langs=(lang, *[x for x in LANGS if x != lang]), focus=focus,
                              view=view, differences=differences,
                              focus_notes=focus_notes(view, focus, audit, sections))
        tick("site")
    if pdf is not None:
        units = paper_units(results, cities)
        files = paper_file_names(results, units, lang)
        for unit in units:
            written.append(write_white_paper(
                results, unit, Path(pdf) / files[unit], audit=audit,
                lang=lang, view=view, sections=sections, differences=differences))
            tick(f"white paper {unit}")
    if xlsx is not None:
        written.append(write_workbook(results, xlsx, audit=audit, lang=lang, view=view,
                                      differences=differences))
        tick("workbook")
    return written
