"""Sources as a reader cites them: publisher, title, year and address from the reviewed
table ``citations.yaml`` (both languages), and the caveats about how figures reached us,
said once in the methodology. A source the table does not know is shown as given."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from .i18n import check_lang

CITATIONS_FILE = Path(__file__).with_name("citations.yaml")


@cache
def _table() -> tuple[dict, ...]:
    entries = yaml.safe_load(CITATIONS_FILE.read_text(encoding="utf-8"))
    return tuple({**e, "pattern": re.compile(e["match"])} for e in entries)


def _entry(source: object) -> dict | None:
    text = str(source or "")
    return next((e for e in _table() if e["pattern"].search(text)), None)


def address(source: object) -> str:
    """The publisher's address for a source text ("" when the table has no entry)."""
    e = _entry(source)
    return e["url"] if e is not None else ""


def citation(source: object, lang: str = "en", year: object = None,
             with_address: bool = True) -> str:
    """'Publisher, Title year, address' in ``lang`` for a source text (``year``: the
    value's source year, else the table's); the text itself when the table has no entry
    for it (empty stays empty). ``with_address=False``: without the address (a page
    that links the citation to it)."""
    check_lang(lang)
    e = _entry(source)
    if e is None:
        return "" if source is None or source != source else str(source)
    sep = "，" if lang == "zh" else ", "
    y = year if year is not None and year == year else e.get("year")
    title = e["title"][lang] + ((f"（{int(y)}年）" if lang == "zh" else f" {int(y)}") if y
                                else "")
    return sep.join([e["publisher"][lang], title, *([e["url"]] if with_address else [])])


def caveats(sources: list[object], lang: str = "en") -> list[str]:
    """The caveats of the sources used (each once, in table order)."""
    check_lang(lang)
    used = {id(e) for e in map(_entry, sources) if e is not None}
    return [e["caveat"][lang] for e in _table() if id(e) in used and e["caveat"][lang]]
