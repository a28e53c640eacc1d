"""One place that turns ranks, changes, numbers and dates into text, in English (``en``)
and Simplified Chinese (``zh``), for every output: site, white papers, workbook, terminal.

Conventions (kept stable: other outputs import these functions):
- a missing value (None or NaN) gives ``missing`` (default ``""``), never "nan";
- a rank change is ``rank_before - rank``: positive is a climb (analysis.changes);
- numbers group thousands with "," in both languages (GB/T 15835 allows the comma in
  statistical tables) and use "." as decimal point;
- Chinese ordinals are 第N位 with digits throughout (第1位, 第16位), counts of places 位;
- a negative number or change is written with the minus sign U+2212 (``MINUS``), never the
  hyphen-minus: the minus is as wide as "+" and the digits (columns of changes line up),
  a line is not broken after it, screen readers say "minus", and it is not mistaken for the
  hyphen of "2024-25" or a dash; machine-read files (CSV, JSON, workbook cells that hold
  numbers) keep their numbers as numbers;
- a rank interval is widened to whole ranks (lower end down, upper end up), never narrowed.
"""

from __future__ import annotations

import datetime as _dt
import functools
import math
from collections.abc import Iterable

LANGS = ("en", "zh")
MINUS = "\u2212"  # the one minus sign of every reader output (see the module's conventions)

_EN_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh",
                "eighth", "ninth", "tenth")
_EN_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight",
               "nine", "ten")
_ZH_DIGITS = ("零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
_ZH_NUMBERS = ("零", "一", "两", "三", "四", "五", "六", "七", "八", "九", "十")  # 两 counts
_EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def is_missing(v: object) -> bool:
    """None, NaN (float or numpy) and pandas' NA are missing."""
    if v is None:
        return True
    try:
        return bool(math.isnan(float(v)))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


def rank(v: object, lang: str = "en", missing: str = "") -> str:
    """A rank as digits: 3.0 -> "3"; missing -> ``missing``. Same in both languages."""
    return missing if is_missing(v) else str(int(float(v)))  # type: ignore[arg-type]


def count(n: int, lang: str = "en") -> str:
    """A small count in words (en "no", "one" ... "ten"; zh 零, 一, 两 ... 十), digits above
    ten."""
    k = int(n)
    words = _ZH_NUMBERS if lang == "zh" else _EN_NUMBERS
    return words[k] if 0 <= k < len(words) else str(k)


def ordinal(n: object, lang: str = "en") -> str:
    """en: 1 -> "first" ... 10 -> "tenth", then "11th", "22nd", "103rd";
    zh: "第 N 位" with digits throughout: 1 -> "第1位", 16 -> "第16位" (never "第七" beside
    "第16")."""
    k = int(float(n))  # type: ignore[arg-type]
    if lang == "zh":
        return f"第{k}位"
    if 1 <= k <= len(_EN_ORDINALS):
        return _EN_ORDINALS[k - 1]
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def places(n: int, lang: str = "en") -> str:
    """A number of rank places: en "one place", "two places"; zh "1位", "2位"."""
    k = abs(int(n))
    if lang == "zh":
        return f"{k}位"
    return f"{count(k)} place" + ("" if k == 1 else "s")


def change_class(v: object) -> str:
    """CSS-like class of a rank change: "up", "down", "same" or "new" (missing before)."""
    if is_missing(v):
        return "new"
    x = float(v)  # type: ignore[arg-type]
    return "up" if x > 0 else ("down" if x < 0 else "same")


_CHANGE = {
    "words": {"en": ("up {n}", "down {n}", "unchanged", "new"),
              "zh": ("上升{n}位", "下降{n}位", "持平", "新上榜")},
    "sign": {"en": ("+{n}", MINUS + "{n}", "=", "new"),
             "zh": ("+{n}", MINUS + "{n}", "=", "新")},
    "arrow": {"en": ("\u25b2{n}", "\u25bc{n}", "=", "new"), "zh": ("\u25b2{n}", "\u25bc{n}",
                                                                   "=", "新")},
}


def change(v: object, lang: str = "en", style: str = "words") -> str:
    """A rank change (positive = climbed): style "words" (en "up 2", "down 1", "unchanged",
    "new"; zh "上升2位", "下降1位", "持平", "新上榜"), "sign" ("+2", "−1", "=") or
    "arrow" ("▲2", "▼1", "="). Missing (not ranked before) is "new" / 新."""
    up, down, same, new = _CHANGE[style]["zh" if lang == "zh" else "en"]
    kind = change_class(v)
    if kind == "new":
        return new
    n = abs(int(float(v)))  # type: ignore[arg-type]
    return {"up": up, "down": down, "same": same}[kind].format(n=n)


def number(v: object, digits: int = 1, lang: str = "en", missing: str = "") -> str:
    """A number with thousands grouped and ``digits`` decimals: 12345.678 -> "12,345.7";
    negative with U+2212: -0.25 -> "−0.2"; a negative that rounds to zero is "0.0"."""
    if is_missing(v):
        return missing
    x = float(v)  # type: ignore[arg-type]
    text = f"{abs(x):,.{digits}f}"
    return MINUS + text if x < 0 and float(text.replace(",", "")) != 0 else text


def score(v: object, lang: str = "en", missing: str = "") -> str:
    """An index score (0-100) with two decimals, as every output prints it."""
    return number(v, 2, lang, missing)


def signed(v: object, digits: int = 1, lang: str = "en", missing: str = "") -> str:
    """A difference with its sign: +1.2, −0.4 (minus sign U+2212), 0.0."""
    if is_missing(v):
        return missing
    text = number(abs(float(v)), digits, lang)  # type: ignore[arg-type]
    if float(text.replace(",", "")) == 0:
        return text
    return ("+" if float(v) > 0 else MINUS) + text  # type: ignore[arg-type]


def percent(p: object, digits: int = 0, lang: str = "en", missing: str = "",
            rounding: str = "nearest") -> str:
    """A share in [0, 1] as a percentage: 0.853 -> "85%" (both languages). ``rounding``
    "down" or "up" to the digits shown, for a share that must never be said larger (an
    observed weight under 1 is not "100%") or smaller (the imputed rest)."""
    if is_missing(p):
        return missing
    x = float(p) * 100  # type: ignore[arg-type]
    if rounding != "nearest":
        scale, step = 10.0 ** digits, math.floor if rounding == "down" else math.ceil
        nudge = -1e-9 if rounding == "up" else 1e-9  # 0.29 * 100 is 28.999999999999996
        x = step(x * scale + nudge) / scale
    return f"{x:.{digits}f}%"


def interval(lo: object, hi: object, lang: str = "en", missing: str = "") -> str:
    """A rank interval "3–7" (en dash); one number when both ends agree. Percentiles of
    ranks fall between whole ranks (2.15 to 2.85): the interval is widened to whole ranks,
    the lower end down and the upper end up (2.15-2.85 -> "2–3"; the upper end was floored
    to "2"), so that it never claims more certainty than the audit found."""
    if is_missing(lo) or is_missing(hi):
        return missing
    a, b = interval_ends(lo, hi)
    return str(a) if a == b else f"{a}\u2013{b}"


def interval_ends(lo: object, hi: object) -> tuple[int, int]:
    """The whole ranks a rank interval is shown with (:func:`interval`): lower end down,
    upper end up (a percentile's float noise, 3.0000000000000004, is not a rank)."""
    return (math.floor(float(lo) + 1e-9),  # type: ignore[arg-type]
            math.ceil(float(hi) - 1e-9))  # type: ignore[arg-type]


def column(values: Iterable[object], digits: int = 3, missing: str = "") -> list[str]:
    """A column of numbers in one format, as a table shows it: whole numbers when every
    value is whole (ranks, counts), else every value with ``digits`` decimals, so that a
    probability of 1 is "1.000" beside "0.985", never "1"; missing -> ``missing``."""
    xs = [None if is_missing(v) else float(v) for v in values]  # type: ignore[arg-type]
    if all(x is None or (x.is_integer() and abs(x) < 1e15) for x in xs):  # years ungrouped
        return [missing if x is None else (MINUS if x < 0 else "") + str(abs(int(x)))
                for x in xs]
    return [missing if x is None else number(x, digits) for x in xs]


def date(d: _dt.date, lang: str = "en") -> str:
    """en "25 November 2026"; zh "2026年11月25日"."""
    if lang == "zh":
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d.day} {_EN_MONTHS[d.month - 1]} {d.year}"


def join(items: Iterable[str], lang: str = "en") -> str:
    """en "A, B and C"; zh "A、B和C"."""
    xs = list(items)
    if len(xs) <= 1:
        return "".join(xs)
    if lang == "zh":
        return "、".join(xs[:-1]) + "和" + xs[-1]
    return ", ".join(xs[:-1]) + " and " + xs[-1]


# Chinese counts large sums in 亿 (10^8) and 万 (10^4), not in 十亿: a figure whose Chinese
# unit is in billions is shown in 亿 (x 10): 2.9 十亿美元 -> 29亿美元
ZH_SCALED_UNITS = {"十亿美元": (10.0, "亿美元"), "十亿元": (10.0, "亿元")}


def value(v: object, unit: str | None = None, lang: str = "en", missing: str = "") -> str:
    """A raw indicator value with its unit: whole numbers without decimals (counts), others
    with 1-3 decimals by size: "12 firms", "43.26 per 100 people"; zh "12家", "29亿美元"."""
    if is_missing(v):
        return missing
    x = float(v)  # type: ignore[arg-type]
    if lang == "zh" and unit in ZH_SCALED_UNITS:
        factor, unit = ZH_SCALED_UNITS[unit]
        x = round(x * factor, 10)
    if x == int(x) and abs(x) < 1e15:
        text = number(x, 0, lang)
    else:
        digits = 1 if abs(x) >= 100 else (2 if abs(x) >= 1 else 3)
        text = number(x, digits, lang)
    if not unit:
        return text
    if "{v}" in unit:  # the number inside the unit: "rank 4", "第4位"
        return unit.replace("{v}", text)
    # Chinese sets a unit that is not a Latin word right after the number: 3家, 62.7%（占GDP）
    joined = lang == "zh" and not (unit[0].isascii() and unit[0].isalpha())
    return f"{text}{unit}" if joined else f"{text} {unit}"


def choice(method: str, params: dict | None = None) -> str:
    """A method choice as a reader reads it: "i_median_grp (use_group: region)"."""
    if not params:
        return method
    inner = "; ".join(f"{k}: {', '.join(map(str, v)) if isinstance(v, list) else v}"
                      for k, v in params.items())
    return f"{method} ({inner})"


class Formatter:
    """The functions of this module with the language bound, as templates call them:
    ``f.rank(v)``, ``f.change(v)``, ``f.score(v)`` ..."""

    def __init__(self, lang: str = "en") -> None:
        self.lang = lang
        for name, fn in _BOUND.items():
            setattr(self, name, functools.partial(fn, lang=lang))


_BOUND = {f.__name__: f for f in (rank, count, ordinal, places, change, number, score,
                                  signed, percent, interval, date, join, value)}
_BOUND["change_class"] = lambda v, lang="en": change_class(v)
_BOUND["missing"] = lambda v, lang="en": is_missing(v)
