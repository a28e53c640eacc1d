"""Kernels: hand-worked examples, properties, and batch equivalence to the last bit."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fintech_index import methods
from fintech_index.methods.aggregate import a_amean, a_genmean, a_gmean, a_hmean, a_prod
from fintech_index.methods.normalise import n_goalposts, n_minmax, n_zscore

X = np.array([[1.0, 10.0], [3.0, 20.0], [5.0, 40.0]])  # 3 units x 2 indicators


def test_minmax_by_hand():
    """x1: (1,3,5) -> (0,50,100); x2 direction -1: -x = (-10,-20,-40) -> (100, 66.67, 0)."""
    y = n_minmax(X, direction=np.array([1, -1]))
    np.testing.assert_allclose(y[:, 0], [0, 50, 100])
    np.testing.assert_allclose(y[:, 1], [100, 200 / 3, 0])
    np.testing.assert_allclose(n_minmax(X, np.array([1, 1]), l_u=(1, 10))[:, 0], [1, 5.5, 10])


def test_zscore_by_hand():
    """x1 mean 3, sample sd 2: (1,3,5) -> (-1, 0, 1); with m_sd (10, 2): (8, 10, 12)."""
    np.testing.assert_allclose(n_zscore(X, np.array([1, 1]))[:, 0], [-1, 0, 1])
    np.testing.assert_allclose(n_zscore(X, np.array([1, 1]), m_sd=(10, 2))[:, 0], [8, 10, 12])


def test_goalposts_by_hand():
    """gposts x1 [0, 4]: (1,3,5) -> (.25, .75, 1 truncated); x2 [0, 50] dir -1:
    (50-10)/50 = .8, .6, .2. Without truncation 5 -> 1.25."""
    gp = np.array([[0.0, 4.0], [0.0, 50.0]])
    y = n_goalposts(X, np.array([1, -1]), gp)
    np.testing.assert_allclose(y, [[0.25, 0.8], [0.75, 0.6], [1.0, 0.2]])
    assert n_goalposts(X, np.array([1, -1]), gp, trunc2posts=False)[2, 0] == 1.25
    assert n_goalposts(X, np.array([1, -1]), gp, scale_factor=100)[0, 0] == 25.0


def test_means_by_hand():
    """x = (1, 4), w = (1, 3): amean (1+12)/4 = 3.25; gmean (1*64)^(1/4) = 2.828427;
    hmean 4/(1 + 3/4) = 2.285714; genmean p=2: sqrt((1+48)/4) = 3.5; prod 1*64 = 64."""
    x, w = np.array([[1.0, 4.0]]), np.array([1.0, 3.0])
    assert a_amean(x, w)[0] == 3.25
    assert a_gmean(x, w)[0] == pytest.approx(2 * np.sqrt(2), abs=1e-15)
    assert a_hmean(x, w)[0] == pytest.approx(16 / 7, abs=1e-15)
    assert a_genmean(x, w, p=2)[0] == 3.5
    assert a_genmean(x, w, p=0)[0] == a_gmean(x, w)[0]
    assert a_prod(x, w)[0] == 64.0


def test_missing_children_as_coinr_by_default_and_propagated_with_na_rm_false():
    """COINr's a_amean, a_gmean, a_hmean skip a missing child (x = (1, NA, 3): mean 2,
    geometric sqrt(3), harmonic 2/(1 + 1/3) = 1.5); its a_genmean gives NA, as a_prod does;
    na_rm=False makes every mean missing (UNDP)."""
    x, w = np.array([[1.0, np.nan, 3.0]]), np.array([1.0, 1.0, 1.0])
    assert a_amean(x, w)[0] == 2.0
    assert a_gmean(x, w)[0] == pytest.approx(np.sqrt(3), abs=1e-15)
    assert a_hmean(x, w)[0] == 1.5
    for f in (a_prod, lambda x, w: a_genmean(x, w, p=2)):
        assert np.isnan(f(x, w)[0])
    for f in (a_amean, a_gmean, a_hmean):
        assert np.isnan(f(x, w, na_rm=False)[0]), f.__name__
    assert np.isnan(a_amean(np.full((1, 3), np.nan), w)[0])


def test_geometric_mean_of_zero_is_zero_and_negative_is_nan():
    w = np.ones(2)
    assert a_gmean(np.array([[0.0, 5.0]]), w)[0] == 0.0
    assert np.isnan(a_gmean(np.array([[-1.0, 5.0]]), w)[0])


finite = st.floats(-1e6, 1e6, allow_nan=False)
positive = st.floats(1e-3, 1e3, allow_nan=False)


grid = st.integers(-10**6, 10**6).map(float)  # values with a meaningful spread


@given(arrays(np.float64, (7, 3), elements=grid), st.floats(0.1, 100), st.floats(-50, 50))
def test_minmax_invariant_under_positive_affine_rescaling(x, a, b):
    d = np.array([1, -1, 1])
    y1, y2 = n_minmax(x, d), n_minmax(a * x + b, d)
    ok = ~np.isnan(y1)
    np.testing.assert_allclose(y1[ok], y2[ok], atol=1e-6)


@given(arrays(np.float64, (7, 3), elements=finite), st.floats(0.1, 100), st.floats(-50, 50))
def test_goalposts_invariant_when_data_and_posts_rescale_together(x, a, b):
    gp = np.array([[-100.0, 100.0], [0.0, 1e6], [-1e6, 0.0]])
    d = np.array([1, -1, 1])
    np.testing.assert_allclose(n_goalposts(x, d, gp), n_goalposts(a * x + b, d, a * gp + b),
                               atol=1e-9)


@given(arrays(np.float64, (9, 4), elements=finite))
def test_bounds_of_minmax_and_goalposts(x):
    y = n_minmax(x, np.ones(4, int), l_u=(0, 100))
    assert np.all((y[~np.isnan(y)] >= -1e-9) & (y[~np.isnan(y)] <= 100 + 1e-9))
    g = n_goalposts(x, np.ones(4, int), np.tile([-10.0, 10.0], (4, 1)))
    assert np.all((g >= 0) & (g <= 1))


@given(arrays(np.float64, (5, 4), elements=positive), arrays(np.float64, 4, elements=positive))
def test_means_stay_between_min_and_max_and_keep_their_order(x, w):
    lo, hi = x.min(axis=1), x.max(axis=1)
    h, g, a = a_hmean(x, w), a_gmean(x, w), a_amean(x, w)
    for m in (h, g, a, a_genmean(x, w, p=3)):
        assert np.all((m >= lo * (1 - 1e-12)) & (m <= hi * (1 + 1e-12)))
    assert np.all(h <= g * (1 + 1e-12)) and np.all(g <= a * (1 + 1e-12))


@given(arrays(np.float64, (5, 4), elements=positive), arrays(np.float64, 4, elements=positive),
       st.integers(0, 4), st.floats(0.01, 100))
def test_raising_a_child_never_lowers_arithmetic_or_geometric_mean(x, w, j, delta):
    up = x.copy()
    up[:, j % 4] += delta
    assert np.all(a_amean(up, w) >= a_amean(x, w))
    assert np.all(a_gmean(up, w) >= a_gmean(x, w))


@given(arrays(np.float64, (6, 3), elements=finite), st.permutations(range(6)))
def test_normalisation_commutes_with_permuting_units(x, perm):
    perm = list(perm)
    d = np.array([1, -1, 1])
    np.testing.assert_array_equal(n_minmax(x[perm], d), n_minmax(x, d)[perm])
    # a mean's float sum depends on the order of its terms; with values near 1e6 and a
    # spread of a few hundred the cancellation costs ~4 more digits than an ulp
    np.testing.assert_allclose(n_zscore(x[perm], d), n_zscore(x, d)[perm], rtol=1e-9,
                               atol=1e-9)


@pytest.mark.parametrize("name", ["a_amean", "a_gmean", "a_hmean", "a_genmean", "a_prod"])
def test_batch_of_100_weight_sets_equals_100_single_calls_bit_for_bit(name):
    rng = np.random.default_rng(7)
    x = rng.uniform(1, 100, (51, 8))
    w = rng.uniform(0.5, 1.5, (100, 8))
    f = methods.get("aggregate", name).fn
    batched = f(np.broadcast_to(x, (100, 51, 8)), w)
    singles = np.stack([f(x, w[b]) for b in range(100)])
    assert np.array_equal(batched, singles)


@pytest.mark.parametrize("name", ["n_minmax", "n_zscore"])
def test_normalise_batch_equals_single_calls_bit_for_bit(name):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(100, 51, 6))
    d = np.array([1, -1, 1, 1, -1, 1])
    f = methods.get("normalise", name).fn
    assert np.array_equal(f(x, d), np.stack([f(x[b], d) for b in range(100)]))


def test_registration_hook_and_its_guard():
    @methods.register("aggregate", "test_max_child")
    def max_child(x, w):
        return np.nanmax(x, axis=-1)

    assert methods.get("aggregate", "test_max_child").fn is max_child
    with pytest.raises(Exception, match="already registered"):
        methods.register("aggregate", "test_max_child")(lambda x, w: x)
    with pytest.raises(Exception, match="unknown aggregate method 'nope'"):
        methods.get("aggregate", "nope")
