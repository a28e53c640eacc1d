"""scoring.stack_last: np.stack along a new last axis, a cache-sized block at a time (issue
27): the same array as numpy's, for any shape, count and block size."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

from fintech_index import scoring


@settings(max_examples=80, deadline=None)
@given(array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=9), st.integers(1, 12),
       st.integers(1, 40), st.integers(0, 2**32 - 1))
def test_stack_last_is_numpys_stack_on_the_last_axis(shape, k, block, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for _ in range(k)]
    for a in arrays[::2]:
        a[rng.random(shape) < 0.3] = np.nan  # NaN kept in place
    old = scoring.STACK_BLOCK_VALUES
    scoring.STACK_BLOCK_VALUES = block  # blocks of block // k values: many, or one each
    try:
        got = scoring.stack_last(arrays)
    finally:
        scoring.STACK_BLOCK_VALUES = old
    want = np.stack(arrays, axis=-1)
    assert got.shape == want.shape == (*shape, k)
    np.testing.assert_array_equal(got, want)  # NaN where numpy has NaN
    assert got.flags.c_contiguous


def test_a_block_of_units_by_hand():
    a, b, c = np.array([[1.0, 2.0, 3.0]]), np.array([[4.0, 5.0, 6.0]]), np.array([[7.0, 8, 9]])
    assert scoring.stack_last([a, b, c]).tolist() == [[[1, 4, 7], [2, 5, 8], [3, 6, 9]]]


def test_shapes_that_differ_get_numpys_error():
    with pytest.raises(ValueError, match="same shape"):
        scoring.stack_last([np.zeros(3), np.zeros(4)])
    with pytest.raises(ValueError, match="need at least one array"):
        scoring.stack_last([])
