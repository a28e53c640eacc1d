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
from collections.abc import Iterable

MAX_LISTED = 20  # problems shown in one message; the rest are counted

Problem = tuple[str, str]  # (code, message)


LINE_BREAKS = {c: repr(c)[1:-1] for c in "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"}


def did_you_mean(word: str, candidates: Iterable[str], before: str = "", after: str = ""
                 ) -> str:
    """``before + "did you mean 'x'?" + after`` for the candidate ``x`` closest to ``word``
    (difflib's ``get_close_matches``, similarity ratio at least 0.6), or '' when none is
    close: the one hint every "unknown name" message gives."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(c) for c in candidates], n=1,
                                      cutoff=0.6)
    return f"{before}did you mean {close[0]!r}?{after}" if close else ""


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
        problems = [(c, _escape_breaks(m)) for c, m in ((code, message), *more)]
        for c, _ in problems:
            self._check(c)
        lines = [f"{m} [{c}]" for c, m in problems[:MAX_LISTED]]
        if len(problems) > MAX_LISTED:
            lines.append(f"... and {len(problems) - MAX_LISTED} more")
        super().__init__("\n".join(lines))
        self.code = code
        self.codes: tuple[str, ...] = tuple(dict.fromkeys(c for c, _ in problems))
        self.message = "\n".join(m for _, m in problems)
        self.problems = problems

    def __reduce__(self):  # pickled by Dask when a worker raises it
        (code, message), *more = self.problems
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
