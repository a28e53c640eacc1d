"""Floats as ``"%.10g" % v`` writes them, for whole arrays at once (issue 27): the text of
pandas' ``to_csv(float_format="%.10g")``, which the CSV exports write (:mod:`.exports`).

Written by hand in NumPy because no library writes this format fast: Arrow and NumPy write
only the shortest round-trip text, ``np.char.mod`` calls Python per value, and DuckDB's
``printf('%.10g')`` took three times as long (4.5 million values: 1.5 s CPU). The text is
made as Arrow ``string_view`` views (16 bytes a cell: its length and up to 12 bytes inline,
or a buffer and offset), which a writer casts to a string array once; :func:`g10_cells`
does that for one column. Values the rule does not cover (-0, scientific notation,
infinities, values within a margin of a half) are formatted by Python, one by one.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

G10 = "%.10g"
_EMPTY = pa.py_buffer(b"")

_TIE = 2e-6  # how near a half a scaled value may come before Python formats it


def format_g10(x: np.ndarray) -> pa.Array:
    """Floats as ``"%.10g" % v`` writes them (NaN as an empty cell, as pandas writes it),
    for a whole array at once (:func:`g10_cells`, NaN made empty)."""
    return pc.fill_null(g10_cells(x), "")


def whole_numbers(x: np.ndarray) -> np.ndarray:
    """Where ``x`` is a whole number written as an integer by "%.10g" (below 1e10, not -0)."""
    return (np.abs(x) < 1e10) & (np.floor(x) == x) & ~((x == 0) & np.signbit(x))


def all_whole(x: np.ndarray) -> bool:
    """Every value of ``x`` a whole number "%.10g" writes as an integer, or NaN."""
    return bool((whole_numbers(x) | np.isnan(x)).all())


def g10_cells(x: np.ndarray) -> pa.Array:
    """``"%.10g" % v`` of every value, NaN as a null: :func:`g10_views` cast to text, or
    :class:`Integers` where every value is a whole number or NaN."""
    x = np.asarray(x, dtype=np.float64).reshape(-1, 1)
    views = np.empty((len(x), 1, 2), dtype=VIEW)
    if all_whole(x):
        Integers().write(x, views)
        buffers = []
    else:
        buffers = g10_views(x, views, 0)
    nan = np.isnan(x[:, 0])
    valid = pa.py_buffer(np.packbits(~nan, bitorder="little")) if nan.any() else None
    return pc.cast(pa.Array.from_buffers(pa.string_view(), len(x),
                                         [valid, pa.py_buffer(views), *buffers]), pa.string())


VIEW = np.uint64
_BLOCK = 1 << 14  # values formatted at a time: their temporaries reuse the C heap's pages
# (2**18 at a time: 16,000 page faults a call, three times the CPU)


def g10_views(x: np.ndarray, out: np.ndarray, first: int, sep: bytes = b""
               ) -> list[pa.Buffer]:
    """``"%.10g" % v`` of every value of ``x`` [rows, columns] (NaN empty), followed by
    ``sep`` (one byte, or none), as Arrow ``string_view`` views written to ``out`` [rows,
    columns, 2] (uint64, any strides), a block of rows at a time (:func:`_g10_block`);
    returns the buffers the views point to, numbered from ``first``: the texts over 12
    bytes (24 bytes each) and those Python formatted (none if no view points out of
    line)."""
    long: list[np.ndarray] = []
    python: list[bytes] = []
    n_long = n_python = 0
    per = max(1, _BLOCK // x.shape[1])
    for start in range(0, len(x), per):
        words, texts = _g10_block(x[start:start + per].reshape(-1), out[start:start + per],
                                  first, n_long, n_python, sep)
        if len(words):
            long.append(words)
            n_long += len(words)
        if texts:
            python += texts
            n_python += sum(map(len, texts))
    if not long and not python:
        return []
    return [pa.py_buffer(np.concatenate(long)) if long else _EMPTY,
            pa.py_buffer(b"".join(python)) if python else _EMPTY]


def _g10_block(x: np.ndarray, out: np.ndarray, first: int, n_long: int, n_python: int,
               sep: bytes = b"") -> tuple[np.ndarray, list[bytes]]:
    """The views of :func:`g10_views` for the values ``x`` of a block of rows, written to
    ``out`` [rows, columns, 2], each text followed by ``sep``; returns the texts over 12
    bytes (as words [texts, 3], after ``n_long`` others in buffer ``first``) and the texts
    Python formatted (after ``n_python`` bytes of others in buffer ``first + 1``).

    The rule: ``v`` rounded to ten significant digits is the decimal ``D = r * 10**(e-9)``,
    ``r = rint(|v| * 10**(9-e))``: the power of ten is exact and the product rounded once,
    so it is within 1e-6 of the exact one, and ``r`` is right unless the exact product lies
    within that of a half (kept apart by a 2e-6 margin). ``e`` is estimated from the binary
    exponent (:func:`_exponent`), then corrected by the range of the product. Where
    ``"%.10g"`` writes fixed notation (-4 <= e <= 9), it writes the digits of D without
    trailing zeros (:func:`_fixed_text`). The rest (-0, scientific notation, infinities,
    values within the margin of a half) are formatted by Python, one by one.

    Hand-written: no library at hand formats ``%.10g`` over an array fast (Arrow and numpy
    write the shortest round-trip text; ``np.char.mod`` calls Python per value; DuckDB's
    ``printf('%.10g', x)`` writes the same text, at three times the CPU)."""
    a = np.abs(x)
    ec = _exponent(a)
    near = (ec >= -6) & (ec <= 10)  # fixed notation once rounded, or one off (not 0, inf)
    m = a * _scale(ec)
    off = np.flatnonzero((m >= 1e10) | (m < 1e9))
    if len(off):
        ec[off] += (m[off] >= 1e10).astype(np.int64) - (m[off] < 1e9)
        m[off] = a[off] * _scale(ec[off])
    r = np.rint(m)
    carry = r >= 1e10  # 9999999999.5 rounds up to the next power of ten
    e = ec + carry
    with np.errstate(invalid="ignore"):
        fixed = near & (e >= -4) & (e <= 9) & (np.abs(np.abs(m - r) - 0.5) >= _TIE)
    r[carry] = 1e9
    other = np.flatnonzero(~fixed)  # 0, NaN and those Python formats: few
    r[other], e[other] = 1e9, 0
    is_zero = (x[other] == 0) & ~np.signbit(x[other])  # "0"; -0 is left to Python
    r[other[is_zero]] = 0.0
    w0, w1, length = _fixed_text(r, e, np.signbit(x))
    other = other[~is_zero]
    length[other] = 0  # NaN, and those Python formats
    w0[other] = w1[other] = 0
    w0, w1, w2, length = _separated(w0, w1, length, sep)
    _inline(out, w0, w1, length)
    k = out.shape[1]
    long = np.flatnonzero(length > 12)  # out of line: (buffer ``first``, offset)
    words = np.stack([w0[long], w1[long], w2[long]], axis=1)
    out[long // k, long % k, 1] = (first | (n_long + np.arange(len(long), dtype=VIEW))
                                   * VIEW(24) << VIEW(32))
    python = other[~np.isnan(x[other])]
    texts = [(G10 % v).encode("ascii") + sep for v in x[python]]
    if texts:
        out[python // k, python % k] = _python_views(texts, first + 1, n_python)
    return words, texts


class Integers:
    """Views of whole numbers below 1e10 in magnitude (not -0) or NaN, as ``"%.10g"``
    writes them: the integer. Those within ``_TABLE`` of 0 (ranks, counts, rank gaps)
    are taken from a table of the integers from -n to n made once per write and grown as
    needed (a gather per value); the rest are made by :func:`_integer_block`."""

    def __init__(self, sep: bytes = b"") -> None:
        self.sep, self.n = sep, -1  # each view followed by ``sep``
        self.table = np.zeros((1, 2), dtype=VIEW)  # [NaN (empty), -n, ..., n]

    def write(self, x: np.ndarray, out: np.ndarray) -> None:
        """The views of ``x`` [rows, columns] written to ``out`` [rows, columns, 2]."""
        top = np.fmax.reduce(np.abs(x), axis=None)
        top = 0.0 if np.isnan(top) else top  # every value NaN: the table is still made
        if top >= _TABLE:
            per = max(1, _BLOCK // x.shape[1])
            for start in range(0, len(x), per):
                _integer_block(x[start:start + per].reshape(-1), out[start:start + per],
                               self.sep)
            return
        if top > self.n:
            self.n = int(min(_TABLE, max(top, 2 * self.n, 1023)))
            self.table = np.zeros((2 * self.n + 2, 2), dtype=VIEW)
            _integer_block(np.array([np.nan]), self.table[:1, None], self.sep)
            _integer_block(np.arange(-self.n, self.n + 1.0), self.table[1:, None], self.sep)
        with np.errstate(invalid="ignore"):  # NaN: taken as the empty view
            at = x.astype(np.intp) + (self.n + 1)
        at[np.isnan(x)] = 0
        # a view (16 bytes) as one complex128: np.take gathers into ``out`` itself, 7 x
        # faster than a fancy index of the table's rows and a copy
        np.take(self.table.view(np.complex128)[:, 0], at, mode="clip",
                out=out.view(np.complex128)[..., 0])


_TABLE = 1 << 19  # integers within it of 0 are taken from a table (16 bytes each)


def _integer_block(x: np.ndarray, out: np.ndarray, sep: bytes = b"") -> None:
    """The views of whole numbers below 1e10 in magnitude (not -0) or NaN (``x``, the
    values of a block of rows) written to ``out`` [rows, columns, 2]: the integer's
    digits, ``-`` before them when negative (at most 11 bytes), then ``sep``."""
    a = np.abs(x)
    nan = np.isnan(x)
    a[nan] = 0.0
    ec = np.maximum(_exponent(a), 0)
    m = a * _scale(ec)  # exact: a whole number times 10**k below 1e11
    up = m >= 1e10
    e = ec + up
    m[up] *= 0.1  # exact: a multiple of ten (9 - ec >= 1 wherever m >= 1e10)
    w0, w1, hi, lo = _digits(np.rint(m))
    length = e + 1
    neg = np.signbit(x) & ~nan
    if neg.any():
        w0, w1 = _prefixed(w0, w1, neg * 5)
        length += neg
    length[nan] = 0
    w0, w1, _, length = _separated(w0 & _MASK[0][length], w1 & _MASK[1][length], length, sep)
    _inline(out, w0, w1, length)


def _exponent(a: np.ndarray) -> np.ndarray:
    """``floor(e2 * log10(2))`` of the binary exponent ``e2`` of every value of ``a`` (not
    negative): its decimal exponent or one below (308 for inf and NaN, -308 for 0)."""
    return np.floor(((a.view(np.int64) >> 52) - 1023) * _LOG10_2).astype(np.int64)


def _scale(e: np.ndarray) -> np.ndarray:
    """``10.0 ** (9 - e)`` for decimal exponents -7 <= e <= 11 (outside, that of the
    nearest: those values are written by Python), exact where e <= 9."""
    return np.take(_SCALE, e + 7, mode="clip")


def _inline(out: np.ndarray, w0: np.ndarray, w1: np.ndarray, length: np.ndarray) -> None:
    """Inline ``string_view`` views of texts of ``length`` bytes held in words ``w0, w1``
    (zero after the text; only the first 12 bytes are held), written to ``out`` [...,
    2]."""
    views = np.empty((len(length), 2), dtype=VIEW)  # made here, then copied in one pass
    np.bitwise_or(length.astype(VIEW), w0 << VIEW(32), out=views[:, 0])
    np.bitwise_or(w0 >> VIEW(32), w1 << VIEW(32), out=views[:, 1])
    out.view(np.complex128)[...] = views.view(np.complex128).reshape(out.shape[:-1] + (1,))


def _separated(w0: np.ndarray, w1: np.ndarray, length: np.ndarray, sep: bytes
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The texts of ``length`` bytes in ``w0, w1`` (zero after them) followed by ``sep``
    (one byte, or none): three words (the third holds a 17th byte) and the lengths."""
    if not sep:
        return w0, w1, np.zeros_like(w0), length
    byte = VIEW(sep[0])
    return (w0 | _AT[0][length] * byte, w1 | _AT[1][length] * byte,
            (length == 16) * byte, length + 1)


def _digits(r: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ten ASCII digits of every whole ``r`` (a float, below 1e10) as two little-endian
    words (its first digit lowest), and its two groups of five digits."""
    hi = np.floor(r / 100000.0)  # exact: r < 2**53, and a quotient's fraction >= 1e-5
    lo = (r - hi * 100000.0).astype(np.intp)
    hi = hi.astype(np.intp)
    second = _D5[lo]
    return _D5[hi] | (second << VIEW(40)), second >> VIEW(24), hi, lo


def _prefixed(w0: np.ndarray, w1: np.ndarray, code: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """The text in ``w0, w1`` after the prefix ``_PREFIX[code]`` ("-", "0.", "-0.000"...)."""
    shift = _SHIFT[code]
    w1 = (w1 << shift) | ((w0 >> (VIEW(63) - shift)) >> VIEW(1))
    return (w0 << shift) | _PREFIX[code], w1


def _fixed_text(r: np.ndarray, e: np.ndarray, neg: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The fixed-notation text of ``-r * 10**(e-9)`` where ``neg``, else of
    ``r * 10**(e-9)`` (``r`` a float, whole, ``10**9 <= r < 10**10``, -4 <= e <= 9; or
    r = 0, e = 0: "0"): the ten digits of r, a point inserted after ``e + 1`` of them when
    e >= 0, ``0.`` and ``-e - 1`` zeros before them when e < 0 and ``-`` before all when
    negative, without trailing zeros (nor a point that nothing follows). Returned as two
    little-endian words (zero after the text, at most 16 bytes) and the length."""
    w0, w1, hi, lo = _digits(r)
    digits = 10 - (_TZ5[lo] + (lo == 0) * _TZ5[hi])  # without trailing zeros (0 for r = 0)
    point = np.maximum(e + 1, 0)  # digits before the point; 0: no point (e < 0)
    low0, low1 = _LOW[0][point], _LOW[1][point]
    high0 = w0 & ~low0  # the digits after the point move up a byte
    w1 = (w1 & low1) | ((w1 & ~low1) << VIEW(8)) | (high0 >> VIEW(56)) | _DOT[1][point]
    w0 = (w0 & low0) | (high0 << VIEW(8)) | _DOT[0][point]
    length = np.maximum(point, digits) + (digits > point)
    some = np.flatnonzero((e < 0) | neg)  # e < 0: "0." and -e - 1 zeros; "-"
    if len(some):
        k = -np.minimum(e[some], 0)
        code = neg[some] * 5 + k
        w0[some], w1[some] = _prefixed(w0[some], w1[some], code)
        length[some] += _SHIFT[code].astype(np.intp) // 8 - (k > 0)  # the point was counted
    return w0 & _MASK[0][length], w1 & _MASK[1][length], length


def _python_views(texts: list[bytes], buffer: int, at: int) -> np.ndarray:
    """The ``string_view`` views [texts, 2] of ``texts``: inline up to 12 bytes, else in
    ``buffer`` at their place in the texts joined (after ``at`` bytes of others)."""
    views = np.zeros((len(texts), 2), dtype=VIEW)
    for i, t in enumerate(texts):
        n = len(t)
        word = int.from_bytes(t.ljust(12, b"\0") if n <= 12 else t[:4], "little")
        views[i, 0] = n | (word & 0xFFFFFFFF) << 32
        views[i, 1] = word >> 32 if n <= 12 else buffer | at << 32
        at += n
    return views


def _g10_tables():
    """Lookups of :func:`_fixed_text` (a text as little-endian words: its first byte
    lowest): the five ASCII digits of 0-99999 and their trailing zeros (5 for 0); by the
    number of digits before the point (0: none), the mask of those digits and the point
    after them, in two words; by ``neg * 5 + k``, the prefix ("", "0.", "0.0", ... "-",
    ... "-0.000") and eight times its length; by length n, the mask of a text's first n
    bytes and the word bit of byte n, each in two words."""
    v = np.arange(100000)
    d5 = sum((((v // 10 ** (4 - i)) % 10 + 48) << (8 * i)) for i in range(5)).astype(VIEW)
    tz = np.zeros(100000, dtype=np.uint8)
    for k in range(1, 6):
        tz[v % 10 ** k == 0] = k

    def words(masks):
        return [np.array([w & (2**64 - 1) for w in masks], dtype=VIEW),
                np.array([w >> 64 for w in masks], dtype=VIEW)]

    prefixes = [("-" if neg else "") + ("0." + "0" * (k - 1) if k else "")
                for neg in (0, 1) for k in range(5)]
    return (d5, tz, words([2**128 - 1] + [(1 << 8 * p) - 1 for p in range(1, 11)]),
            words([0] + [ord(".") << 8 * p for p in range(1, 11)]),
            np.array([int.from_bytes(t.encode(), "little") for t in prefixes], dtype=VIEW),
            np.array([8 * len(t) for t in prefixes], dtype=VIEW),
            words([(1 << 8 * n) - 1 for n in range(17)]),
            words([1 << 8 * n if n < 16 else 0 for n in range(17)]))


_D5, _TZ5, _LOW, _DOT, _PREFIX, _SHIFT, _MASK, _AT = _g10_tables()
_LOG10_2 = 0.30102999566398120
_SCALE = 10.0 ** (16 - np.arange(19))  # 10**(9 - e) for e = -7 ... 11
