"""Coverage and the comparison with an official ranking, in words (en, zh): what the site,
the white papers and the workbook show of each city's observed weight (the one rule of
``build.OBSERVED_WEIGHT_MIN``) and of :class:`~fintech_index.analysis.differs.Differences`
(section "How this edition differs from the official ranking"). Every phrase comes from
strings.yaml; every figure from the analysis."""

from __future__ import annotations

from dataclasses import dataclass

from .. import format as F
from ..analysis.differs import Differences, Distance
from ..build import OBSERVED_WEIGHT_MIN
from .i18n import text


@dataclass(frozen=True)
class Coverage:
    """One city's observed weight as shown: the share ('41%') and its mark ('' at or above
    the rule's minimum)."""

    share: str
    mark: str


def coverage(observed: float, lang: str) -> Coverage:
    """The observed weight of a city as a percentage, marked under the minimum."""
    under = observed < OBSERVED_WEIGHT_MIN
    # a marked share never reads as the minimum itself (0.498 is "49.8%", not "50%")
    digits = 1 if under and round(observed * 100) >= OBSERVED_WEIGHT_MIN * 100 else 0
    return Coverage(F.percent(observed, digits, lang),
                    text("coverage_mark", lang) if under else "")


def marked(name: str, observed: float, lang: str) -> str:
    """A city's name with its mark in brackets when under the minimum: 'Munich (under half
    observed)', '慕尼黑（观测不足一半）'."""
    mark = coverage(observed, lang).mark
    if not mark:
        return name
    return f"{name}（{mark}）" if lang == "zh" else f"{name} ({mark})"


def coverage_rule(lang: str) -> str:
    """The rule in one line."""
    return text("coverage_rule", lang, min=F.percent(OBSERVED_WEIGHT_MIN, 0, lang))


def ranking_name(differences: Differences, lang: str) -> str:
    """The published ranking's name in ``lang`` (its own name where it has none there)."""
    p = differences.published
    return (p.name_zh or p.name) if lang == "zh" else p.name


def agreement(differences: Differences, lang: str) -> str:
    """Spearman, Kendall and the top-k overlap in one sentence."""
    c = differences.comparison
    return text("differs_agreement", lang, ranking=ranking_name(differences, lang),
                published_year=differences.published.year, n=c.units,
                year=our_year(differences, lang),
                spearman=_correlation(c.spearman, lang), kendall=_correlation(c.kendall, lang),
                shared=c.top_k_shared, k=c.k)


def our_year(differences: Differences, lang: str) -> str:
    """Our year compared, labelled as a back-cast where it is one (as every output labels
    it: "2024 (recomputed on the 2025 framework)")."""
    if differences.recomputed_on is None:
        return text("previous_edition", lang, previous=differences.year)
    return text("previous_recomputed", lang, previous=differences.year,
                framework=differences.recomputed_on)


def _correlation(v: float, lang: str) -> str:
    """A rank correlation at two decimals, negative with the minus sign of format.signed."""
    return F.number(v, 2, lang).replace("-", "\u2212")


def note(differences: Differences, lang: str) -> str:
    """How the distances are measured, and that the agreement is never tuned."""
    return text("differs_note", lang, k=differences.comparison.k)


def drivers(d: Distance, lang: str, indicators: dict[str, str], units: dict[str, str]) -> str:
    """The indicators that account for a distance, each with its contribution and, where
    a value was imputed, whose."""
    parts = []
    for x in d.drivers:
        key = ("differs_imputed_both" if x.imputed and x.imputed_other else
               "differs_imputed_own" if x.imputed else
               "differs_imputed_other" if x.imputed_other else "differs_driver")
        parts.append(text(key, lang, indicator=indicators[x.indicator],
                          contribution=F.signed(x.contribution, 2, lang),
                          other=units[d.at_published]))
    return F.join(parts, lang)


def line(d: Distance, lang: str, indicators: dict[str, str], units: dict[str, str]) -> str:
    """One city of the official top k: its two ranks and what puts it away from its
    official position."""
    ranks = {"published": F.ordinal(d.published, lang), "ours": F.ordinal(d.ours, lang)}
    if not d.drivers:
        return text("differs_same", lang, city=units[d.unit], **ranks)
    return text("differs_line", lang, city=units[d.unit], **ranks,
                difference=F.signed(d.difference, 2, lang), other=units[d.at_published],
                drivers=drivers(d, lang, indicators, units))


def city_paragraph(differences: Differences, unit: str, lang: str, indicators: dict[str, str],
                   units: dict[str, str]) -> str:
    """A city's short paragraph: the agreement, then the city's line (or that it is not in
    the official top k)."""
    d = differences.of(unit)
    own = (line(d, lang, indicators, units) if d is not None else
           text("differs_not_listed", lang, city=units[unit], k=differences.comparison.k))
    return ("" if lang == "zh" else " ").join([agreement(differences, lang), own])


def rows(differences: Differences, lang: str, indicators: dict[str, str],
         units: dict[str, str]) -> list[dict]:
    """One row per city of the official top k: official rank, code, city, our rank, the
    city compared with, the score difference (a number) and the drivers in words."""
    return [{"official": d.published, "code": d.unit, "city": units[d.unit], "ours": d.ours,
             "compared": units[d.at_published] if d.drivers else "",
             "difference": d.difference if d.drivers else None,
             "drivers": drivers(d, lang, indicators, units) if d.drivers else ""}
            for d in differences.distances]


def headers(differences: Differences, lang: str) -> list[str]:
    """The column heads of :func:`rows`."""
    return [text(k, lang, year=our_year(differences, lang)) for k in (
        "col_official", "col_code", "col_city", "col_ours", "col_compared", "col_difference",
        "col_drivers")]
