"""The index's white-paper sections, given to the generic paper as data
(:class:`~fintech_index.publish.pdf.PaperSections`): its title, the raw values on the cover
(fintech unicorns, the GFCI rank and rating), the unicorns by industry and the brokerages
counted from records, and the districts (location quotients of the headquarters places, from
the bundled unicorn lists or the store's records with a district, and cited notes)."""

from __future__ import annotations

import re
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd

from .. import format as F
from ..publish.i18n import term, text
from ..publish.pdf import PaperSections
from ..store import Store
from .counts import brokerage_counts
from .districts import (
    CB_INDUSTRIES,
    FINTECH_INDUSTRIES,
    district_notes,
    one_place_sentence,
    place_summary,
    store_places,
    unicorn_counts,
    unicorn_places,
)

# raw values on the cover, where the framework has them
COVER_INDICATORS = (("fintech_unicorns", "fintech_unicorns"), ("gfci_rank", "gfci_rank"),
                    ("gfci_rating", "gfci"))
FINTECH_MARKER = "fintech_unicorns"  # an index counting unicorns by metro gets those sections
MIN_FIRMS = 3  # places with fewer unicorns are left out of the district lines


def paper_sections(results, store: Path | None = None) -> PaperSections | None:
    """The sections the index adds to the white papers of ``results``: its title, cover
    figures, records and districts when the framework counts unicorns by metro; the
    districts from the records in ``store`` where it has district records for a city (else
    the bundled unicorn lists; another index gets these sections only for such cities)."""
    ours = FINTECH_MARKER in results.framework.indicators
    if not ours and store is None:
        return None
    brokerage = _brokerage() if ours else None

    def blocks(unit: str, year: int, lang: str, city: str) -> dict[str, dict]:
        places = _store_places(store, unit, year) if store is not None else None
        if places is None and not ours:
            return {}
        return {"records": _records_block(unit, year, lang, city, brokerage),
                "districts": _districts_block(unit, year, lang, places)}

    def focus(unit: str, year: int, lang: str, city: str) -> list[str]:
        return _focus_lines(unit, year, lang, city, brokerage) if ours else []

    return PaperSections(title="title" if ours else None, cover_indicators=COVER_INDICATORS,
                         blocks=blocks, focus=focus)


def _focus_lines(unit: str, year: int, lang: str, city: str,
                 brokerage: pd.DataFrame | None) -> list[str]:
    """The focus lead's counts from records: the metro's unicorns and fintech unicorns on
    the CB Insights list of the edition, its listed brokerages above 1 billion yuan of IT
    investment by year (where it has any)."""
    by, list_date = _unicorns_by_industry(unit, year)
    lines = []
    if len(by):
        fin = int(by.loc[by.index.isin(FINTECH_INDUSTRIES), "firms"].sum())
        lines.append(text("lead_unicorns", lang, city=city, all=int(by["firms"].sum()),
                          fin=fin, date=F.date(date.fromisoformat(list_date), lang)))
    mine = (brokerage[(brokerage["unit"] == unit) & (brokerage["value"] > 0)]
            if brokerage is not None else [])
    if len(mine):
        by_year = [text("wp_brokerage_year", lang, year=int(y), n=int(v))
                   for y, v in zip(mine["year"], mine["value"], strict=True)]
        lines.append(text("lead_brokerage", lang, city=city, list=F.join(by_year, lang)))
    return lines


def _store_places(store: Path, unit: str, year: int) -> tuple[pd.DataFrame, dict] | None:
    """A city's district table from the store's records (None when it has none)."""
    with Store(store, read_only=True) as s:
        return store_places(s, unit, year)


@cache
def _brokerage() -> pd.DataFrame:
    """Listed brokerages above 1 billion yuan of IT investment per HQ city and year, counted
    by DuckDB from the bundled records in an in-memory store."""
    with Store(":memory:") as s:
        return brokerage_counts(s)


NOTES_TEXT = Path(__file__).with_name("district_notes_text.yaml")


@cache
def _notes_text() -> dict:
    """The reviewed English and Chinese text of the district notes, by note."""
    import yaml

    return yaml.safe_load(NOTES_TEXT.read_text(encoding="utf-8"))


def _note(n, lang: str) -> dict | None:
    """One district note in ``lang`` from the reviewed table: area, date, statement and
    the cited original (publisher, date, address); a note the table lacks is left out of
    a paper rather than shown in another language."""
    t = _notes_text().get(f"{n.area} | {n.as_of} | {n.indicator}")
    if t is None:
        return None
    sep = "，" if lang == "zh" else ", "
    cite = sep.join(x for x in (t["outlet"][lang], str(n.source_date or ""),
                                str(n.source_url or "")) if x)
    return {"area": t["area"][lang], "as_of": n.as_of, "statement": t["statement"][lang],
            "cite": cite}


def _num(v, digits: int, lang: str) -> str:
    return F.number(v, digits, lang, missing="-")


def _pct(v, lang: str) -> str:
    return F.percent(v, 0, lang, missing="-")


def _conversion(source: str, lang: str = "en") -> str:
    """'1 billion CNY ($137 million) at 0.137 USD per CNY on 2024-12-17' from the count's
    source note (records.conversion_phrase), or the note itself; in Chinese with 亿 and the
    date written out: '10亿元人民币（约1.37亿美元，按2024年12月17日1元人民币兑0.137美元计）'."""
    hit = re.search(r"= (1 billion .+)\)$", source)
    phrase = hit.group(1) if hit else source
    if lang != "zh":
        return phrase
    scale = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
    m = re.fullmatch(r"([\d.]+) (\w+) CNY \(\$([\d.]+) (\w+)\) at ([\d.]+) USD per CNY "
                     r"on (\d{4}-\d{2}-\d{2})", phrase)
    if not m or m.group(2) not in scale or m.group(4) not in scale:
        return phrase
    cny = float(m.group(1)) * scale[m.group(2)] / 1e8
    usd = float(m.group(3)) * scale[m.group(4)] / 1e8
    return text("wp_fx_zh", "zh", cny=F.number(cny, 0 if cny == int(cny) else 2, "zh"),
                usd=F.number(usd, 2, "zh").rstrip("0").rstrip("."), rate=m.group(5),
                date=F.date(date.fromisoformat(m.group(6)), "zh"))


@cache
def _unicorns_by_industry(unit: str, year: int) -> tuple[pd.DataFrame, str]:
    """The metro's unicorns by CB Insights industry (firms, valuation), most first, and
    the list's date (the bundled lists do not change while a process runs)."""
    counts = unicorn_counts(year)
    mine = counts[(counts["metro"] == unit)
                  & counts["industry"].isin(CB_INDUSTRIES)]
    by = mine.groupby("industry", sort=True).agg(firms=("firms", "sum"),
                                                 value=("valuation_usd_bn", "sum"))
    by = by.sort_values(["firms", "value"], ascending=False, kind="stable")
    return by, str(counts["list_as_of"].iloc[0]) if len(counts) else ""


def _records_block(unit: str, year: int, lang: str, city: str,
                   brokerage: pd.DataFrame | None) -> dict:
    """Unicorns headquartered in the metro by industry, from the bundled CB Insights counts;
    the listed brokerages above 1 billion yuan of IT investment, where the city has any."""
    by, list_date = _unicorns_by_industry(unit, year)
    source = text("wp_cb_source", lang, date=F.date(date.fromisoformat(list_date), lang)
                  if list_date else "-")
    scale = 10 if lang == "zh" else 1  # zh in 亿美元 (format.ZH_SCALED_UNITS)
    rows = [[term("industry", ind, lang), str(int(r.firms)), _num(r.value * scale, 2, lang)]
            for ind, r in by.iterrows()]
    if rows:
        rows.append([text("wp_total", lang), str(int(by["firms"].sum())),
                     _num(by["value"].sum() * scale, 2, lang)])
    lines = []
    mine = (brokerage[(brokerage["unit"] == unit) & (brokerage["value"] > 0)]
            if brokerage is not None else [])
    if len(mine):
        by_year = [text("wp_brokerage_year", lang, year=int(y), n=int(v))
                   for y, v in zip(mine["year"], mine["value"], strict=True)]
        lines.append(text("wp_brokerage", lang, city=city, list=F.join(by_year, lang),
                          rate=_conversion(mine["source"].iloc[0], lang)))
    return {"lines": lines,
            "title": text("wp_records", lang), "note": text("wp_records_note", lang,
                                                               source=source),
            "head": [text("wp_col_industry", lang), text("wp_col_firms", lang),
                     text("wp_col_valuation", lang)], "rows": rows,
            "empty": text("wp_no_unicorns", lang)}


def _place_facts(table: pd.DataFrame, info: dict) -> tuple:
    """A place table, its facts, its summary of places with MIN_FIRMS firms and of all."""
    return (table, info, place_summary(table, MIN_FIRMS),
            place_summary(table, 1))


@cache
def _bundled_place_facts(unit: str, year: int) -> tuple:
    return _place_facts(*unicorn_places(unit, year))


def _districts_block(unit: str, year: int, lang: str,
                     places: tuple[pd.DataFrame, dict] | None = None) -> dict:
    """Location quotients of the places inside the metro (``places``: a table and its
    facts from the store's records; default: the bundled unicorn lists), and cited
    district notes."""
    table, info, summary, every = (_place_facts(*places) if places is not None
                                   else _bundled_place_facts(unit, year))
    lines, rows = [], []
    plain = one_place_sentence(every, info, MIN_FIRMS, lang)
    if plain:
        lines.append(plain)
    elif info["places"] > 1:
        lead = every.sort_values(["fintech_firms", "firms"], ascending=False,
                                 kind="stable").iloc[0]
        lines.append(text("wp_district_lead", lang, place=term("place", lead.place, lang),
                          share=_pct(
            lead.share_of_metro, lang), fin=lead.fintech_firms, fin_all=info["fintech_firms"],
            lq=_num(lead.fintech_lq, 2, lang), places=info["places"],
            firms=info["firms"]))
        for r in summary.itertuples():
            top = (text("wp_district_top", lang, industry=term("industry", r.top_industry, lang),
                        n=r.top_industry_firms, lq=_num(r.top_industry_lq, 2, lang))
                   if isinstance(r.top_industry, str) else "-")
            rows.append([term("place", r.place, lang), str(r.firms), _pct(r.share_of_metro, lang),
                         str(r.fintech_firms), _num(r.fintech_lq, 2, lang), top])
    else:
        lines.append(text("wp_no_unicorns", lang))
    if info["firms"]:
        source = (info["source"] if places is not None else text(
            "wp_cb_source", lang, date=F.date(date.fromisoformat(info["list_as_of"]), lang)))
        lines.append(text("wp_districts_source", lang, source=source))
    notes = district_notes(unit)
    return {
        "title": text("wp_districts", lang), "note": text("wp_districts_note", lang,
                                                            min=MIN_FIRMS),
        "lines": lines, "rows": rows,
        "head": [text("wp_" + k, lang) for k in ("col_place", "col_unicorns", "col_share",
                                            "col_fintech", "col_fintech_lq", "col_top")],
        # the cell quoted in the reader's language: it holds a place (a shifted cell)
        "left_out": [text("wp_district_left_out", lang, n=n, place=term("place", p, lang),
                          cell=term("place", c, lang)) for p, c, n in info["unclassified"]],
        "notes_title": text("wp_district_notes", lang),
        "caveat": text("wp_district_notes_caveat", lang),
        "notes_head": [text("wp_col_area", lang), text("wp_col_year", lang),
                       text("wp_col_statement", lang), text("wp_col_source", lang)],
        "notes": [x for x in (_note(n, lang) for n in notes.itertuples()) if x],
    }
