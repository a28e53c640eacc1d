"""Boundary helpers: user text (unit codes, edition names, node names) made safe where it
leaves the engine, for a file system or URL, Typst markup, or a terminal.

Each helper either encodes reversibly (two different names never give one result) or
refuses with a coded error; none guesses or drops characters silently.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from typing import Any

from .errors import FintechIndexError

# ---------------------------------------------------------------- file names and URLs

SEGMENT_KEEP = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-")
SEGMENT_MAX = 120  # characters of a segment; longer ones end in a digest of the whole name
# device names Windows refuses as file names, whatever the extension
WINDOWS_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"COM{i}" for i in range(10)] + [f"LPT{i}" for i in range(10)])


def file_segment(name: str, *, what: str = "name") -> str:
    """``name`` as one safe, collision-free file name or URL path segment.

    ASCII letters, digits and '-' are kept; every other character (``_`` and ``.`` included,
    so no ``..``, no hidden file, no extension trick) becomes ``_`` and its UTF-8 bytes in hex:
    ``'Sao Paulo' -> 'Sao_20Paulo'``, ``'../x' -> '_2E_2E_2Fx'``, ``'Sao-Paulo'`` unchanged.
    The encoding is injective, so two names never share a file. A Windows device name gets
    a trailing ``_`` (unambiguous: an escape is always ``_`` plus two hex digits). A segment
    longer than SEGMENT_MAX keeps its start and ends in ``~`` and a SHA-256 digest of
    the whole name. An empty name is refused [U64].
    """
    text = str(name)
    if not text:
        raise FintechIndexError("U64", f"an empty {what} cannot be a file name or URL segment; "
                                "give it at least one character")
    out = "".join(c if c in SEGMENT_KEEP else
                  "".join(f"_{b:02X}" for b in c.encode("utf-8", "surrogatepass"))
                  for c in text)
    if out.upper() in WINDOWS_RESERVED:
        out += "_"
    if len(out) > SEGMENT_MAX:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:24]
        out = out[:SEGMENT_MAX - 25] + "~" + digest
    return out


def file_segments(names: Iterable[str], *, what: str = "name") -> dict[str, str]:
    """``{name: file_segment(name)}`` for names that share a folder; refuses [U65] two names
    whose segments differ only in letter case (one file on macOS and Windows), e.g. units
    'SHA' and 'sha'."""
    out: dict[str, str] = {}
    seen: dict[str, str] = {}
    for name in names:
        seg = file_segment(name, what=what)
        other = seen.setdefault(seg.casefold(), name)
        if other != name:
            raise FintechIndexError(
                "U65", f"{what}s {other!r} and {name!r} differ only in letter case and would "
                "share one file on a case-insensitive file system; rename one of them")
        out[name] = seg
    return out


# ---------------------------------------------------------------- control characters

CONTROL_CATEGORIES = ("Cc", "Cf", "Zl", "Zp")  # control, format, line and paragraph separators


def is_control(c: str) -> bool:
    """Whether the character ``c`` is a control or format character or a line break (ESC,
    bell, tab, newline, bidirectional overrides, U+2028): nothing meant to be seen."""
    return unicodedata.category(c) in CONTROL_CATEGORIES


# ---------------------------------------------------------------- Typst

def _one_line(text: str) -> str:
    """Line breaks, tabs and other control or format characters as single spaces."""
    return " ".join("".join(" " if is_control(c) else c for c in text).split())


def typst_text(text: object) -> str:
    """Text for Typst markup, shown literally: every ASCII punctuation character is
    backslash-escaped (markup, math, labels, references, comments, shorthands such as
    ``--`` and ``...``, auto-links), and line breaks, tabs and control characters become
    single spaces, so a blank line cannot start a paragraph or end a heading."""
    return "".join("\\" + c if c.isascii() and not c.isalnum() and c != " " else c
                   for c in _one_line(str(text)))


def typst_string(text: object) -> str:
    """Text for inside a Typst string literal ``"..."``: backslash and double quote escaped,
    line breaks and control characters as single spaces."""
    return _one_line(str(text)).replace("\\", "\\\\").replace('"', '\\"')


def typst_length(value: float, unit: str = "cm", *, digits: int = 3) -> str:
    """A Typst length from a number; a missing or infinite value gives ``0{unit}``, never
    ``nancm``, and a negative one is clipped at 0."""
    v = float(value)
    if v != v or v in (float("inf"), float("-inf")) or v < 0:
        v = 0.0
    return f"{v:.{digits}f}{unit}"


# ---------------------------------------------------------------- terminal

def visible(text: object, *, keep: str = "") -> str:
    """User text for a terminal: control and format characters (ESC of an ANSI sequence,
    bell, backspace, line breaks, bidirectional overrides) shown as escapes such as
    ``\\x1b``, so nothing the user typed can move the cursor, recolour or hide output.
    Characters in ``keep`` (e.g. ``"\\n"`` for a multi-line message) are left as they are."""
    return "".join(c.encode("unicode_escape").decode("ascii")
                   if c not in keep and is_control(c)
                   else c for c in str(text))


def printable(text: object) -> str:
    """User text for any text output (terminal, CSV, workbook, HTML, plain-text reports):
    :func:`visible` keeping line breaks and tabs, so ESC, NUL, bell and bidirectional
    overrides (U+202E) in a unit or node name are shown as escapes (``\\x1b``,
    ``\\u202e``) instead of recolouring a terminal, corrupting a workbook's XML or reversing
    the text around them. Text without such characters is returned as it is."""
    s = str(text)
    return s if s.isprintable() else visible(s, keep="\n\t")


def plain(text: object, style: str = "", *, keep: str = ""):
    """User text as a rich ``Text``: printed as written, never parsed as console markup
    (``[/x]``, ``[link=...]``) and with control characters made visible."""
    from rich.text import Text

    return Text(visible(text, keep=keep), style=style)


def text_console(**kwargs: Any):
    """A rich console on which every string is text: never console markup or an emoji code,
    and control characters other than line breaks and tabs are shown as escapes (styles
    come only from ``Text`` objects and table settings the program makes). rich is imported
    here, on first use, so that ``--help`` does not load it."""
    from rich.console import Console

    class TextConsole(Console):
        def render_str(self, text: str, **kw: Any):
            kw.update(markup=False, emoji=False)
            return super().render_str(printable(text), **kw)

    return TextConsole(markup=False, emoji=False, highlight=False, **kwargs)
