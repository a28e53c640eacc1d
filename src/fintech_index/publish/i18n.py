"""Languages of the published outputs: the reviewed table of fixed UI strings
(``strings.yaml`` beside this file, English and Simplified Chinese, written and reviewed
by hand, never machine-translated) and the names of nodes and units in a language.

Names in Chinese come from the data: an optional ``name_zh`` on framework nodes and a
``name_zh`` column of the units; where absent, the English name is used."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

from ..errors import FintechIndexError
from ..format import LANGS

STRINGS_FILE = Path(__file__).with_name("strings.yaml")
REASONS_FILE = Path(__file__).with_name("reasons.yaml")


def check_lang(lang: str) -> str:
    """``lang`` if it is one of LANGS, else a usage error [U48]."""
    if lang not in LANGS:
        raise FintechIndexError("U48", f"--lang {lang!r}: not a language of the outputs; "
                                f"use one of {', '.join(LANGS)}")
    return lang


@cache
def _table() -> dict[str, dict[str, str]]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when installed
    table = yaml.load(STRINGS_FILE.read_text(encoding="utf-8"), Loader=loader)
    for key, entry in table.items():  # the packaged table is complete: every key, both
        missing = [lang for lang in LANGS if not isinstance(entry.get(lang), str)]
        if missing:  # pragma: no cover - guarded by tests/test_site.py
            raise RuntimeError(f"{STRINGS_FILE.name}: {key!r} has no {missing}")
    return table


@cache
def strings(lang: str) -> dict[str, str]:
    """Every fixed string in ``lang``, by key (what the templates receive as ``t``; one
    shared dictionary: read it, never change it)."""
    check_lang(lang)
    return {key: entry[lang] for key, entry in _table().items()}


def method_words(method: str, lang: str = "en", params: dict | None = None) -> str:
    """A method in plain words from the reviewed table (``method_<code>``); a method the
    table lacks is shown by its code with its parameters (the annex's form)."""
    from .. import format as fmt

    words = strings(lang).get(f"method_{method}")
    return words if words is not None else fmt.choice(method, params)


@cache
def _reasons() -> dict[str, dict[str, str]]:
    entries = yaml.safe_load(REASONS_FILE.read_text(encoding="utf-8"))
    return {" ".join(e["en"].split()): e for e in entries}


def reason_text(reason: str, lang: str = "en") -> str:
    """A methodology choice's ``reason:`` in ``lang`` from the reviewed table
    (``reasons.yaml``, keyed by the English the methodology file gives, spaces normalised);
    a reason the table lacks is shown as the file gives it."""
    said = " ".join(reason.split())
    entry = _reasons().get(said) if lang != "en" else None
    return entry[lang] if entry is not None else said


def term(kind: str, name: str, lang: str) -> str:
    """A named category (``kind``: industry, ...) in ``lang`` from the reviewed table
    (``<kind>_<name>``); the name itself where the table has none."""
    return strings(lang).get(f"{kind}_{name}", name)


def text(key: str, lang: str, **fields: Any) -> str:
    """One fixed string in ``lang`` with its ``{fields}`` filled in."""
    return strings(lang)[key].format(**fields)


def node_name(framework, code: str, lang: str = "en") -> str:
    """A framework node's name in ``lang`` (``name_zh`` when given; else the English)."""
    node = framework.nodes[code]
    if lang == "zh":
        zh = getattr(node, "name_zh", None)
        if isinstance(zh, str) and zh:
            return zh
    return node.name or code


def unit_name(units, code: str, lang: str = "en") -> str:
    """A unit's name in ``lang`` from a units frame (columns name, optionally name_zh)."""
    if lang == "zh" and "name_zh" in units.columns:
        zh = units["name_zh"].get(code)
        if isinstance(zh, str) and zh:
            return zh
    name = units["name"].get(code) if "name" in units.columns else None
    return name if isinstance(name, str) and name else code


def unit_of(framework, code: str, lang: str = "en") -> str:
    """An indicator's unit of measurement in ``lang`` (a label, as a table column shows
    it): the node's ``unit_zh`` when given, else the strings table's ``unit_<unit>``, else
    the unit as the framework spells it; a Chinese unit in billions is labelled in 亿 as
    its values are shown (十亿美元 -> 亿美元, :data:`format.ZH_SCALED_UNITS`)."""
    from ..format import ZH_SCALED_UNITS

    unit = _unit_in(framework, code, lang)
    return ZH_SCALED_UNITS[unit][1] if lang == "zh" and unit in ZH_SCALED_UNITS else unit


def _unit_in(framework, code: str, lang: str) -> str:
    """The unit in ``lang`` as the tables spell it (unscaled: 十亿美元)."""
    node = framework.nodes[code]
    unit = node.unit or ""
    if lang == "zh" and unit:
        zh = getattr(node, "unit_zh", None)
        if isinstance(zh, str) and zh:
            return zh
        return _table().get(f"unit_{unit}", {}).get("zh", unit)
    return unit


def scaled_value(framework, code: str, value: object, lang: str = "en") -> object:
    """A raw value in the unit :func:`unit_of` labels it with (x 10 for a Chinese unit in
    billions shown in 亿: 2.9 十亿美元 is 29 亿美元); other values as given."""
    from ..format import ZH_SCALED_UNITS, is_missing

    unit = _unit_in(framework, code, lang)
    if lang != "zh" or unit not in ZH_SCALED_UNITS or is_missing(value):
        return value
    return round(float(value) * ZH_SCALED_UNITS[unit][0], 10)  # type: ignore[arg-type]


def raw_value(framework, code: str, value: object, lang: str = "en", missing: str = "-"
              ) -> str:
    """A raw value as a reader reads it, with its unit: a rank in a published list with the
    list's size ("fourth of 50", "第4位（共50位）"), a tier by its name ("tier Alpha+",
    "Alpha+级"), any other value with its unit ("12 firms", "29亿美元")."""
    from .. import format as fmt

    if fmt.is_missing(value):
        return missing
    spec = getattr(framework.nodes[code], "ordinal", None)
    k = float(value)  # type: ignore[arg-type]
    if spec is not None and spec.kind == "rank" and spec.list_size and k == int(k):
        return text("raw_rank_of", lang, ordinal=fmt.ordinal(k, lang), n=spec.list_size)
    tiers = getattr(spec, "tiers", None) if spec is not None else None
    if tiers and k == int(k) and 1 <= k <= len(tiers):
        return text("raw_tier", lang, tier=tiers[int(k) - 1])
    return fmt.value(value, unit_for_value(framework, code, lang), lang, missing=missing)


def unit_for_value(framework, code: str, lang: str = "en") -> str:
    """The unit to write beside a value with ``format.value``: the table's
    ``unit_<unit>_value`` when the number goes inside it ("rank {v}", "第{v}位"), else
    the unit in ``lang`` unscaled (``format.value`` shows 2.9 十亿美元 as 29亿美元)."""
    unit = framework.nodes[code].unit or ""
    placed = _table().get(f"unit_{unit}_value") if unit else None
    return placed[lang] if placed else _unit_in(framework, code, lang)
