"""Our scrambled Sobol points against SciPy's ``qmc.Sobol``, bit for bit."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import qmc

from fintech_index.audit.sensitivity import saltelli
from fintech_index.audit.sobol import MAX_DIMENSION, direction_numbers, scrambled_sobol
from fintech_index.audit.uncertainty import sobol_points


def scipy_points(dimension: int, n: int, seed: int) -> np.ndarray:
    m = int(np.ceil(np.log2(max(n, 1))))
    return qmc.Sobol(dimension, scramble=True, seed=seed).random_base2(m)[:n]


@pytest.mark.parametrize(("dimension", "n", "seed"), [
    (1, 1, 0), (1, 5, 3), (1, 1024, 11),  # the first dimension (van der Corput), n = 1
    (2, 1000, 1), (5, 10_000, 7),  # n not a power of two; the ASEM audit's 5 factors
    (13, 4096, 2**32 + 5), (64, 300, 0), (1111, 40, 123456789)])  # large d, a big seed
def test_sobol_points_equal_scipy_bit_for_bit(dimension, n, seed):
    ours, theirs = sobol_points(dimension, n, seed), scipy_points(dimension, n, seed)
    assert ours.dtype == theirs.dtype == np.float64
    assert ours.shape == theirs.shape == (n, dimension)
    assert np.array_equal(ours, theirs)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 40), st.integers(0, 11), st.integers(0, 2**63))
def test_scrambled_sobol_equals_scipy_random_base2(dimension, m, seed):
    theirs = qmc.Sobol(dimension, scramble=True, seed=seed).random_base2(m)
    assert np.array_equal(scrambled_sobol(dimension, m, seed), theirs)


def test_saltelli_base_sample_is_scipys_sobol_of_twice_the_dimension():
    x, a, b = saltelli(3, 100, 4, [slice(i, i + 1) for i in range(3)])
    base = scipy_points(6, 100, 4)
    assert np.array_equal(a, base[:, :3]) and np.array_equal(b, base[:, 3:])


def test_unscrambled_direction_numbers_are_joe_and_kuos():
    """Dimension 2 has the polynomial x + 1 (s = 1, m_1 = 1): m_j = 2 m_{j-1} xor m_{j-1},
    so m = 1, 3, 5, 15, 17, 51; dimension 3 has x^2 + x + 1 with m_1, m_2 = 1, 3, then
    m_j = 2 m_{j-1} xor 4 m_{j-2} xor m_{j-2}: 1, 3, 3, 9, 29 (Bratley & Fox 1988; Joe &
    Kuo's table). Column j is m_j moved to the top of 30 bits, 2^(29 - j) m_j."""
    v = direction_numbers(3)
    top = 2 ** (29 - np.arange(30))
    assert (v[0] == top).all()  # van der Corput
    assert (v[1, :6] // top[:6]).tolist() == [1, 3, 5, 15, 17, 51]
    assert (v[2, :5] // top[:5]).tolist() == [1, 3, 3, 9, 29]
    # unscrambled points 0..3 in Gray-code order: the textbook 0, 1/2, 3/4, 1/4 and
    # 0, 1/2, 1/4, 3/4
    gray = [0, 1, 3, 2]
    points = [[np.bitwise_xor.reduce([v[d, b] for b in range(2) if g >> b & 1] or [0])
               / 2 ** 30 for d in range(2)] for g in gray]
    assert points == [[0, 0], [0.5, 0.5], [0.75, 0.25], [0.25, 0.75]]


def test_dimension_out_of_range_is_refused():
    with pytest.raises(ValueError, match="21201"):
        scrambled_sobol(MAX_DIMENSION + 1, 2, 0)
    with pytest.raises(ValueError, match="2\\^30"):
        scrambled_sobol(2, 31, 0)
    assert sobol_points(0, 7, 0).shape == (7, 0)


def test_without_scipys_table_file_scipys_engine_is_used(monkeypatch):
    from fintech_index.audit import sobol

    def missing():
        raise FileNotFoundError("_sobol_direction_numbers.npz")

    monkeypatch.setattr(sobol, "_direction_table", missing)
    assert np.array_equal(scrambled_sobol(4, 5, 9), scipy_points(4, 32, 9))
