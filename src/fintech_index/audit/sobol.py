"""Scrambled Sobol points (I. M. Sobol', Zh. Vychisl. Mat. i Mat. Fiz. 7: 784-802, 1967),
the same bits as ``scipy.stats.qmc.Sobol(d, scramble=True, seed=seed).random_base2(m)``
(SciPy 1.17, ``scipy/stats/_qmc.py`` and ``_sobol.pyx``), written here so that the audit
does not import ``scipy.stats``: that import alone takes about 0.6 s of a 1.5 s command
line audit, and the audit needs nothing else from it.

The construction, as SciPy's:

- direction numbers of Joe & Kuo (search criterion D(6), 21,201 dimensions; S. Joe and
  F. Y. Kuo, "Constructing Sobol sequences with better two-dimensional projections", SIAM
  J. Sci. Comput. 30(5): 2635-2654, 2008), read from the file SciPy ships
  (``scipy/stats/_sobol_direction_numbers.npz``: primitive polynomial ``poly`` and initial
  numbers ``vinit`` per dimension); the first dimension is van der Corput's (all ones);
- the other direction numbers of a dimension whose polynomial has degree s by Bratley &
  Fox's recurrence (ACM TOMS 14: 88-100, 1988), ``v_j = v_{j-s} xor (xor_k a_k 2^k
  v_{j-k})``, then column j moved to the top of 30 bits (times ``2^(29 - j)``);
- a linear matrix scramble and a digital shift (J. Matousek, "On the L2-discrepancy for
  anchored boxes", J. Complexity 14: 527-556, 1998; A. B. Owen, J. Complexity 14:
  466-489, 1998) from ``np.random.default_rng(seed)``: first the shift bits ``[d, 30]``,
  then the lower triangular matrices ``[d, 30, 30]`` (unit diagonal), in this order;
- point k is the shift xor the direction numbers at the set bits of k's Gray code
  ``k xor (k >> 1)`` (Antonov & Saleev 1979): the order of SciPy's one-point-at-a-time
  generation, computed for all points at once.

``tests/test_sobol.py`` checks that the points equal SciPy's bit for bit.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path

import numpy as np

MAX_DIMENSION = 21201  # rows of the Joe & Kuo table
BITS = 30  # SciPy's default precision: points are multiples of 2^-30


@cache
def _direction_table() -> tuple[np.ndarray, np.ndarray]:
    """(poly [21201], vinit [21201, 18]) as uint64 from SciPy's file, found without
    importing scipy.stats (whose ``__init__`` is what takes the time)."""
    spec = importlib.util.find_spec("scipy")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("scipy is needed for its Sobol direction numbers")
    path = Path(next(iter(spec.submodule_search_locations))) / "stats" / \
        "_sobol_direction_numbers.npz"
    with np.load(path) as table:
        return table["poly"].astype(np.uint64), table["vinit"].astype(np.uint64)


def direction_numbers(dimension: int, bits: int = BITS) -> np.ndarray:
    """The unscrambled direction numbers ``[dimension, bits]`` (uint64), already shifted to
    the top of ``bits`` bits (SciPy's ``_initialize_v``)."""
    if dimension == 0:
        return np.zeros((0, bits), dtype=np.uint64)
    poly_all, vinit_all = _direction_table()
    poly, vinit = poly_all[:dimension], vinit_all[:dimension]
    degree = np.array([int(p).bit_length() - 1 for p in poly], dtype=np.int64)
    v = np.zeros((dimension, bits), dtype=np.uint64)
    rows = np.arange(dimension)
    for j in range(bits):
        given = j < degree
        if j < vinit.shape[1]:
            v[given, j] = vinit[given, j]
        grown = ~given
        grown[0] = False  # the first dimension is all ones, set below
        r, s = rows[grown], degree[grown]
        if not len(r):
            continue
        new = v[r, j - s]
        for k in range(int(s.max())):
            use = (k < s) & ((poly[r] >> np.maximum(s - 1 - k, 0).astype(np.uint64))
                             & np.uint64(1)).astype(bool)
            previous = v[r, np.maximum(j - k - 1, 0)] << np.uint64(k + 1)
            new ^= np.where(use, previous, np.uint64(0))
        v[r, j] = new
    v[0] = 1  # the first dimension: van der Corput
    return v << (np.uint64(bits - 1) - np.arange(bits, dtype=np.uint64))


def _parity(x: np.ndarray) -> np.ndarray:
    """1 where a uint64 has an odd number of set bits, else 0 (xor-folding its halves)."""
    x = x.copy()
    for half in (32, 16, 8, 4, 2, 1):
        x ^= x >> np.uint64(half)
    return x & np.uint64(1)


def _scramble(v: np.ndarray, rng: np.random.Generator, bits: int) -> tuple[np.ndarray, ...]:
    """Linear matrix scramble of the direction numbers and the digital shift, drawn as
    SciPy draws them (``Sobol._scramble`` and ``_cscramble``)."""
    dimension = len(v)
    shift_bits = rng.integers(2, size=(dimension, bits), dtype=np.uint32)
    shift = shift_bits.astype(np.uint64) @ (np.uint64(1) << np.arange(bits, dtype=np.uint64))
    ltm = np.tril(rng.integers(2, size=(dimension, bits, bits), dtype=np.uint32))
    ltm[:, np.arange(bits), np.arange(bits)] = 1
    # row p of a matrix as an integer, its column c at bit bits - 1 - c
    rows = ltm.astype(np.uint64) @ (np.uint64(1) << (np.uint64(bits - 1)
                                                     - np.arange(bits, dtype=np.uint64)))
    # bit (bits - 1 - p) of the scrambled v[d, j] is the parity of (row p) & v[d, j]
    parity = _parity(rows[:, None, :] & v[:, :, None])
    weights = np.uint64(1) << (np.uint64(bits - 1) - np.arange(bits, dtype=np.uint64))
    scrambled = (parity * weights).sum(axis=2, dtype=np.uint64)
    return scrambled, shift


def scrambled_sobol(dimension: int, m: int, seed: int) -> np.ndarray:
    """The first ``2^m`` points ``[2^m, dimension]`` of the scrambled Sobol sequence of
    ``seed``: ``scipy.stats.qmc.Sobol(dimension, scramble=True, seed=seed)
    .random_base2(m)``, bit for bit."""
    if not 0 <= dimension <= MAX_DIMENSION:
        raise ValueError(f"a Sobol sequence has 0 to {MAX_DIMENSION} dimensions, "
                         f"not {dimension}")
    if not 0 <= m <= BITS:
        raise ValueError(f"at most 2^{BITS} Sobol points, not 2^{m}")
    try:
        v = direction_numbers(dimension)
    except FileNotFoundError:  # a SciPy that keeps its table elsewhere: SciPy's own engine
        from scipy.stats import qmc

        return qmc.Sobol(dimension, scramble=True, seed=seed).random_base2(m)
    v, shift = _scramble(v, np.random.default_rng(seed), BITS)
    # by_code[g] = shift xor the v[:, b] at the set bits b of g, doubled bit by bit
    by_code = np.empty((2 ** m, dimension), dtype=np.uint32)
    by_code[0] = shift
    for bit in range(m):
        half = 2 ** bit
        np.bitwise_xor(by_code[:half], v[:, bit].astype(np.uint32), out=by_code[half:2 * half])
    k = np.arange(2 ** m)
    return by_code[k ^ (k >> 1)] * (1.0 / 2 ** BITS)
