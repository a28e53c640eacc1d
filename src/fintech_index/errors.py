"""One exception family for everything the package raises on bad input or bad choices.

Every message says what was wrong, where (file, row, column, node, field) and what would
be accepted, and ends with a code such as ``[D15]`` that ``docs/errors.md`` explains (cause
and fix). The code's letter is the family: U usage, F framework, D data, M methodology,
A applying a method, S store. An error that lists several problems of one input (every bad
cell of a file at once) carries each problem's code on its line and all of them in
``codes``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MAX_LISTED = 20  # problems shown in one message; the rest are counted
LIST_SHOWN = 10  # items of one list (rows, units, columns...) shown in a problem
LINE_CHARS = 2_000  # a problem longer than this is cut, saying how much was left out

Problem = tuple[str, str]  # (code, message)


LINE_BREAKS = {c: repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def did_you_mean(word: str, candidates: Iterable[str], before: str = "", after: str = ""
                 ) -> str:
    """``before + "did you mean 'x'?" + after`` for the candidate ``x`` closest to ``word``
    (difflib's ``get_close_matches``, similarity ratio at least 0.6), or '' when none is
    close: the one hint every "unknown name" message gives."""
    close = _closest(str(word), [str(c) for c in candidates])
    return f"{before}did you mean {close!r}?{after}" if close is not None else ""


def did_you_mean_unit(word: str, names: Mapping[str, str], before: str = "",
                      after: str = "") -> str:
    """The hint for a unit asked for by its code or its name (``names``: code -> name): the
    closest code or name, any case, shown with both: "did you mean 'Shanghai', code SHA?"."""
    keys: dict[str, str] = {}
    for code, name in names.items():
        keys.setdefault(str(code).casefold(), str(code))
        keys.setdefault(str(name or code).casefold(), str(code))
    close = _closest(str(word).strip().casefold(), list(keys))
    if close is None:
        return ""
    code = keys[close]
    name = str(names.get(code) or code)
    return f"{before}did you mean {name!r}{f', code {code}' if name != code else ''}?{after}"


def _closest(word: str, candidates: list[str]) -> str | None:
    """The candidate closest to ``word`` at difflib's similarity ratio 0.6 or more."""
    import difflib

    close = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return close[0] if close else None


# A list in a message is written with :func:`listing`: all its items, between these
# private-use marks, until the error is made; the error shows the first LIST_SHOWN items
# and a count (``str(error)``) and keeps every item (``error.problems``, which
# ``validate --problems FILE`` writes).
_OPEN, _SEP, _CLOSE = "\uf8f0", "\uf8f1", "\uf8f2"
_LISTING = re.compile(f"{_OPEN}([^{_OPEN}{_SEP}{_CLOSE}]*){_SEP}([^{_OPEN}{_CLOSE}]*){_CLOSE}")


def listing(items: Iterable[object], sep: str = ", ") -> str:
    """``items`` joined by ``sep``, for a message of a :class:`FintechIndexError`: the
    error shows the first LIST_SHOWN and "... and N more", and keeps them all. The one
    way a message lists anything whose length the input decides."""
    marks = str.maketrans("", "", _OPEN + _SEP + _CLOSE)
    return f"{_OPEN}{sep}{_SEP}" + _SEP.join(str(i).translate(marks) for i in items) + _CLOSE


def listing_repr(items: Iterable[object]) -> str:
    """:func:`listing` of the items' repr() in brackets, as a list prints: ``['a', 'b']``."""
    return f"[{listing(map(repr, items))}]"


def _capped(message: str) -> str:
    """``message`` with each listing cut to LIST_SHOWN items, and then to LINE_CHARS."""
    def cut(m: re.Match) -> str:
        sep, items = m.group(1), m.group(2).split(_SEP)
        more = len(items) - LIST_SHOWN
        return sep.join(items[:LIST_SHOWN]) + (f" ... and {more:,} more" if more > 0 else "")

    short = _LISTING.sub(cut, message)
    if len(short) > LINE_CHARS:
        short = f"{short[:LINE_CHARS]} ... ({len(short) - LINE_CHARS:,} characters more)"
    return short


def _full(message: str) -> str:
    """``message`` with every listing in full."""
    return _LISTING.sub(lambda m: m.group(1).join(m.group(2).split(_SEP)), message)


def one_line(e: BaseException) -> str:
    """A library's message on one line, so that every line of ours keeps its file and code."""
    return " ".join(str(e).split())


def _escape_breaks(message: str) -> str:
    """A problem is one line: a line break inside it (a cell holding a newline or a file
    separator) is shown escaped, as repr() would."""
    return message.translate(str.maketrans(LINE_BREAKS))


class FintechIndexError(Exception):
    """Base of every error the package raises deliberately (family U: usage)."""

    family = "U"

    def __init__(self, code: str, message: str, *more: Problem) -> None:
        marked = [(c, _escape_breaks(m)) for c, m in ((code, message), *more)]
        for c, _ in marked:
            self._check(c)
        lines = [f"{_capped(m)} [{c}]" for c, m in marked[:MAX_LISTED]]
        if len(marked) > MAX_LISTED:
            lines.append(f"... and {len(marked) - MAX_LISTED:,} more")
        super().__init__("\n".join(lines))
        self.code = code
        self.codes: tuple[str, ...] = tuple(dict.fromkeys(c for c, _ in marked))
        self.message = "\n".join(_capped(m) for _, m in marked)
        self._marked = marked

    @property
    def problems(self) -> list[Problem]:
        """Every problem, each list in it in full (``str()`` shows the first ones)."""
        return [(c, _full(m)) for c, m in self._marked]

    def __reduce__(self):  # pickled by Dask when a worker raises it
        (code, message), *more = self._marked
        return type(self), (code, message, *more)

    @classmethod
    def _check(cls, code: str) -> None:
        if not re.fullmatch(rf"{cls.family}\d\d", code):
            raise ValueError(f"{cls.__name__} codes are {cls.family}NN (docs/errors.md), "
                             f"not {code!r}")

    @classmethod
    def of(cls, problems: Iterable[Problem]) -> FintechIndexError:
        """One error listing every problem, each line with its code (at most MAX_LISTED)."""
        first, *more = problems
        return cls(*first, *more)


class Problems(list):
    """Problems found while checking one input, reported together rather than one by one."""

    def add(self, code: str, message: str) -> None:
        self.append((code, message))

    def raise_as(self, error: type[FintechIndexError]) -> None:
        if self:
            raise error.of(self)


class FrameworkError(FintechIndexError):
    """The index tree (framework YAML) is malformed."""

    family = "F"


class DataError(FintechIndexError):
    """A data file (panel, records) cannot be read as given."""

    family = "D"


class MethodologyError(FintechIndexError):
    """A methodology names an unknown method, node or parameter."""

    family = "M"


class MethodError(FintechIndexError):
    """A method cannot be applied to the data it was given (e.g. log of a negative value)."""

    family = "A"


class StoreError(FintechIndexError):
    """The store refused an operation (an edition published twice, an unknown edition...)."""

    family = "S"
