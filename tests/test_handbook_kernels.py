"""The OECD/JRC Handbook's methods added for its TAI case study: hand-worked examples,
properties (hypothesis) and batch calls equal to single calls bit for bit."""

from itertools import permutations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from fintech_index.methods import aggregate as ag
from fintech_index.methods import normalise as nm
from fintech_index.methods import weight as wt

finite = st.floats(0.5, 1000, allow_nan=False, allow_infinity=False)


# ----------------------------------------------------------------------------- n_percentile

def test_percentile_rank_by_hand():
    """x = (1, 3, 3, 5): ranks (ties lowest) 1, 2, 2, 4 of n = 4 -> .25, .5, .5, 1; with
    direction -1 the order turns: -x = (-1, -3, -3, -5) ranks 4, 2, 2, 1 -> 1, .5, .5, .25.
    COINr's n_prank gives (r - 1)/(n - 1): 0, 1/3, 1/3, 1."""
    x = np.array([[1.0], [3.0], [3.0], [5.0]])
    np.testing.assert_allclose(nm.n_percentile(x, [1])[:, 0], [0.25, 0.5, 0.5, 1.0])
    np.testing.assert_allclose(nm.n_percentile(x, [-1])[:, 0], [1.0, 0.5, 0.5, 0.25])
    np.testing.assert_allclose(nm.n_prank(x, [1])[:, 0], [0, 1 / 3, 1 / 3, 1])
    with_gap = np.array([[1.0], [np.nan], [2.0]])
    np.testing.assert_allclose(nm.n_percentile(with_gap, [1])[:, 0], [0.5, np.nan, 1.0])


@given(arrays(np.float64, (9, 3), elements=finite))
def test_percentile_rank_is_in_0_1_keeps_order_and_is_scale_invariant(x):
    y = nm.n_percentile(x, np.ones(3))
    assert ((y > 0) & (y <= 1)).all()
    at_top = (x == x.max(axis=0)).sum(axis=0)  # ties share the lowest rank
    np.testing.assert_allclose(y.max(axis=0), (9 - at_top + 1) / 9)
    i, j = np.nonzero(x[:, None, 0] < x[None, :, 0])
    assert (y[i, 0] < y[j, 0]).all()
    np.testing.assert_array_equal(nm.n_percentile(4 * x, np.ones(3)), y)


# ----------------------------------------------------------------------------- above/below mean

def test_above_below_mean_by_hand():
    """x = (1, 2, 3, 6), mean 3: x / mean = (.33, .67, 1, 2); with p = 0.2: -1, -1, 0, 1;
    p = 0.5: .67 lies inside [0.5, 1.5] -> -1, 0, 0, 1; direction -1 swaps the signs."""
    x = np.array([[1.0], [2.0], [3.0], [6.0]])
    np.testing.assert_array_equal(nm.n_above_below_mean(x, [1])[:, 0], [-1, -1, 0, 1])
    np.testing.assert_array_equal(nm.n_above_below_mean(x, [1], p=0.5)[:, 0], [-1, 0, 0, 1])
    np.testing.assert_array_equal(nm.n_above_below_mean(x, [-1])[:, 0], [1, 1, 0, -1])


@given(arrays(np.float64, (8, 2), elements=finite), st.sampled_from([0.25, 0.5, 2.0, 8.0]),
       st.floats(0, 0.9))
def test_above_below_mean_is_scale_free_and_takes_three_values(x, c, p):
    y = nm.n_above_below_mean(x, np.ones(2), p=p)
    assert set(np.unique(y)) <= {-1.0, 0.0, 1.0}
    np.testing.assert_array_equal(nm.n_above_below_mean(x * c, np.ones(2), p=p), y)
    wide = nm.n_above_below_mean(x, np.ones(2), p=p + 0.05)
    assert (np.abs(wide) <= np.abs(y)).all()  # a wider neutral band never adds a sign


def test_new_normalisations_batch_equals_single_calls_bit_for_bit():
    rng = np.random.default_rng(18)
    x = rng.lognormal(2, 1, (50, 23, 8))
    ps = rng.uniform(0, 0.5, 50)
    d = np.where(np.arange(8) % 3, 1, -1)
    pct = nm.n_percentile(x, d)
    abm = nm.n_above_below_mean(x, d, p=ps)
    for b in range(50):
        np.testing.assert_array_equal(pct[b], nm.n_percentile(x[b], d))
        np.testing.assert_array_equal(abm[b], nm.n_above_below_mean(x[b], d, p=ps[b]))


# ----------------------------------------------------------------------------- AHP

def test_ahp_by_hand_three_by_three():
    """Saaty's 3 x 3 example a12 = 3, a13 = 5, a23 = 3. For a reciprocal 3 x 3 matrix
    lambda_max = 1 + (a13 / (a12 a23))^(1/3) + (a12 a23 / a13)^(1/3) = 1 + (5/9)^(1/3) +
    (9/5)^(1/3) = 3.03851; CI = 0.019256, CR = CI / 0.58 = 0.033200."""
    weights, cr = wt.ahp_weights([[1, 3, 5], ["1/3", 1, 3], ["1/5", "1/3", 1]])
    lam = 1 + (5 / 9) ** (1 / 3) + (9 / 5) ** (1 / 3)
    assert cr == pytest.approx((lam - 3) / 2 / 0.58, rel=1e-12)
    assert round(float(cr), 4) == 0.0332
    np.testing.assert_allclose(weights, [0.6370, 0.2583, 0.1047], atol=1e-4)
    assert weights.sum() == pytest.approx(1.0)


def test_ahp_refuses_a_matrix_that_is_not_reciprocal():
    with pytest.raises(ValueError, match=r"not reciprocal: a\[1,2\] = 2"):
        wt.ahp_weights([[1, 2], [2, 1]])
    with pytest.raises(ValueError, match="square"):
        wt.ahp_weights([[1, 2, 3], [0.5, 1, 1]])
    with pytest.raises(ValueError, match="positive"):
        wt.ahp_weights([[1, -2], [-0.5, 1]])


@given(arrays(np.float64, 6, elements=st.floats(0.05, 20)))
def test_ahp_of_a_consistent_matrix_returns_its_weights_and_ratio_zero(v):
    """a_ij = v_i / v_j is perfectly consistent: weights v / sum(v), lambda_max = n."""
    weights, cr = wt.ahp_weights(np.outer(v, 1 / v))
    np.testing.assert_allclose(weights, v / v.sum(), rtol=1e-9)
    assert abs(cr) < 1e-9


def reciprocal(upper: np.ndarray) -> np.ndarray:
    """A reciprocal comparison matrix from the judgements above the diagonal of ``upper``."""
    n = upper.shape[-1]
    a = np.ones(upper.shape)
    iu = np.triu_indices(n, 1)
    a[..., iu[0], iu[1]] = upper[..., iu[0], iu[1]]
    a[..., iu[1], iu[0]] = 1 / upper[..., iu[0], iu[1]]
    return a


@given(arrays(np.float64, (5, 5), elements=st.sampled_from([1 / 9, 1 / 5, 1 / 3, 1, 3, 5, 9])))
def test_ahp_weights_are_a_positive_eigenvector_and_inconsistency_is_not_negative(upper):
    weights, cr = wt.ahp_weights(reciprocal(upper))
    a = reciprocal(upper)
    assert (weights > 0).all() and weights.sum() == pytest.approx(1.0)
    lam = (a @ weights) / weights
    np.testing.assert_allclose(lam, lam.mean(), rtol=1e-8)
    assert cr > -1e-9


def test_w_ahp_batch_equals_single_calls_bit_for_bit():
    rng = np.random.default_rng(5)
    mats = reciprocal(rng.choice([1 / 5, 1 / 3, 1, 3, 5], (20, 4, 4)))  # inconsistent ones
    x = rng.uniform(0, 1, (20, 9, 4))
    batch = wt.w_ahp(x, np.ones(4), matrix=mats)
    for b in range(20):
        np.testing.assert_array_equal(batch[b], wt.w_ahp(x[b], np.ones(4), matrix=mats[b]))


# ----------------------------------------------------------------------------- Kemeny

def test_kemeny_solves_condorcets_own_example():
    """Handbook Table 28 (Condorcet 1785): 60 voters over a, b, c in five groups (23: abc,
    17: bca, 2: bac, 10: cab, 8: cba). Outranking (Table 30) a>b 33, a>c 25, b>c 42 - a
    cycle; the C-K-Y-L scores of the six orders are abc 100, bca 104, cab 86, bac 94,
    cba 80, acb 76, so the ranking is b, c, a (Handbook p. 111)."""
    groups = {(0, 1, 2): 23, (1, 2, 0): 17, (1, 0, 2): 2, (2, 0, 1): 10, (2, 1, 0): 8}
    x = np.zeros((3, len(groups)))  # units a, b, c x one "indicator" per group
    for q, order in enumerate(groups):
        for pos, unit in enumerate(order):
            x[unit, q] = 3 - pos
    w = np.array(list(groups.values()), dtype=float)
    e = ag.outranking_matrix(x, w) * 60
    np.testing.assert_allclose(e, [[0, 33, 25], [27, 0, 42], [35, 18, 0]])
    scores = {o: sum(e[o[i], o[j]] for i in range(3) for j in range(i + 1, 3))
              for o in permutations(range(3))}
    assert scores[(1, 2, 0)] == pytest.approx(104) and max(scores.values()) == scores[(1, 2, 0)]
    assert tuple(ag.kemeny_order(e)) == (1, 2, 0)
    np.testing.assert_array_equal(ag.a_kemeny(x, w), [0, 2, 1])


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, (6, 4), elements=st.integers(0, 4).map(float)),
       arrays(np.float64, 4, elements=st.floats(0.1, 2)))
def test_kemeny_order_reaches_the_brute_force_optimum(x, w):
    e = ag.outranking_matrix(x, w)

    def score(order):
        return sum(e[order[i], order[j]] for i in range(6) for j in range(i + 1, 6))

    best = max(score(p) for p in permutations(range(6)))
    assert score(ag.kemeny_order(e)) == pytest.approx(best, abs=1e-9)
    # a Condorcet winner (beyond float noise: two units tied on all but two equal-weight
    # criteria have e = 0.5 +- 1 ulp, and either may come first) is always first
    winners = [i for i in range(6) if all(e[i, j] > 0.5 + 1e-9 for j in range(6) if j != i)]
    if winners:
        assert ag.kemeny_order(e)[0] == winners[0]


@given(arrays(np.float64, (7, 3), elements=finite), arrays(np.float64, 3,
                                                            elements=st.floats(0.1, 2)))
def test_outranking_matrix_is_constant_sum(x, w):
    e = ag.outranking_matrix(x, w)
    np.testing.assert_allclose(e + e.T, 1 - np.eye(7), atol=1e-12)


def test_a_kemeny_batch_equals_single_calls_bit_for_bit():
    rng = np.random.default_rng(9)
    x = rng.integers(0, 5, (12, 8, 5)).astype(float)
    ws = rng.uniform(0.2, 1, (12, 5))
    batch = ag.a_kemeny(x, ws)
    for b in range(12):
        np.testing.assert_array_equal(batch[b], ag.a_kemeny(x[b], ws[b]))


# ----------------------------------------------------------------------------- BoD bounds

def test_bod_weight_bounds_by_hand():
    """x = (1, .5), (.5, 1), (.9, .2). Unbounded, unit 3 puts all weight on child 1:
    w = (1, 0) scores .9. With every weight 50% of the total, w1 = w2 = w and the tightest
    unit, 1.5 w <= 1, gives w = 2/3: unit 3 scores 1.1 * 2/3 = .7333."""
    x = np.array([[1.0, 0.5], [0.5, 1.0], [0.9, 0.2]])
    np.testing.assert_allclose(ag.a_bod(x, np.ones(2)), [1, 1, 0.9], rtol=1e-9)
    scores, weights = ag.bod(x, weight_bounds=(0.5, 0.5))
    np.testing.assert_allclose(scores, [1, 1, 1.1 * 2 / 3], rtol=1e-9)
    np.testing.assert_allclose(weights[2], [2 / 3, 2 / 3], rtol=1e-9)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (6, 3), elements=st.floats(0.1, 10)), st.floats(0.05, 0.3),
       st.floats(0.4, 0.9))
def test_bod_weight_bounds_hold_and_never_raise_a_score(x, lo, hi):
    free, _ = ag.bod(x)
    scores, weights = ag.bod(x, weight_bounds=(lo, hi))
    share = weights / weights.sum(axis=1, keepdims=True)
    assert (share >= lo - 1e-7).all() and (share <= hi + 1e-7).all()
    assert (scores <= free + 1e-7).all() and (scores > 0).all() and (scores <= 1 + 1e-7).all()
    equal, _ = ag.bod(x, weight_bounds=(1 / 3, 1 / 3))  # equal weights, best unit scores 1
    np.testing.assert_allclose(equal, x.sum(axis=1) / x.sum(axis=1).max(), rtol=1e-6)


# ----------------------------------------------------------------------------- w_factor rules

def test_factors_to_keep_by_rule():
    """Eigenvalues of 8 standardised indicators (3.3, 1.7, 1.0, 0.9, ...): shares 41.25,
    21.25, 12.5, 11.25, ...%. Kaiser (> 1): 2; each > 10%: 4 (the Handbook's TAI choice);
    cumulative >= 60%: 2 (62.5%); >= 80%: 4 (86.25%); n_factors = 3: 3."""
    ev = np.array([3.3, 1.7, 1.0, 0.9, 0.5, 0.3, 0.2, 0.1])
    assert wt.factors_to_keep(ev) == 2
    assert wt.factors_to_keep(ev, rule="variance_share") == 4
    assert wt.factors_to_keep(ev, rule="cumulative") == 2
    assert wt.factors_to_keep(ev, rule="cumulative", threshold=0.8) == 4
    assert wt.factors_to_keep(ev, rule="kaiser", threshold=0.7) == 4  # Jolliffe's rule
    assert wt.factors_to_keep(ev, n_factors=3) == 3
    with pytest.raises(ValueError, match="rule 'scree'"):
        wt.factors_to_keep(ev, rule="scree")
    with pytest.raises(ValueError, match="between 1 and 8"):
        wt.factors_to_keep(ev, n_factors=9)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 5), st.integers(0, 10_000))
def test_factor_weights_are_a_distribution_for_any_number_of_factors(m, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(40, 5)) @ rng.normal(size=(5, 5))
    w = wt.w_factor(x, np.ones(5), n_factors=m)
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0)
    fm = wt.factor_model(x, n_factors=m)
    assert fm.kept == m and fm.rotated.shape == (5, m)
    np.testing.assert_allclose(fm.communality, (fm.loadings[:, :m] ** 2).sum(axis=1),
                               rtol=1e-8)  # rotation keeps each communality


def test_w_factor_rule_batch_equals_single_calls_bit_for_bit():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(10, 30, 6)) @ rng.normal(size=(6, 6))
    batch = wt.w_factor(x, np.ones(6), rule="variance_share")
    for b in range(10):
        np.testing.assert_array_equal(batch[b], wt.w_factor(x[b], np.ones(6),
                                                            rule="variance_share"))
