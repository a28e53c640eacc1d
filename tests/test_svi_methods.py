"""The general capabilities the CDC/ATSDR SVI needs, each against a hand-worked example and
a property: percentile ranks (rank - 1)/(N - 1) with ties at the smallest rank (Excel's
PERCENTRANK.INC), 1 - PR for a reversed variable, sums, flags counted at a threshold, a
percentile-rank stage rounded at 4 decimals, rounding at every node and -999 read as missing."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fintech_index as fi
from fintech_index import methods
from fintech_index.methods.aggregate import a_count, a_sum
from fintech_index.methods.normalise import n_prank
from fintech_index.panel import OBSERVED
from fintech_index.ranks import percentile_ranks

from .helpers import panel

NAN = np.nan
# one decimal, as CDC's EP_* are: ties are common
PERCENTS = arrays(np.float64, st.integers(2, 30),
                  elements=st.integers(0, 40).map(lambda v: v / 10))


def percentrank_inc(x: np.ndarray) -> np.ndarray:
    """Excel's PERCENTRANK.INC(x, v) unrounded: the values below v over (N - 1)."""
    return np.array([(x < v).sum() / (len(x) - 1) for v in x])


def test_percentile_ranks_by_hand():
    # 3, 1, 3, 2: ascending ranks with ties at the smallest 3, 1, 3, 2 -> (r - 1) / 3
    np.testing.assert_array_equal(percentile_ranks(np.array([3.0, 1.0, 3.0, 2.0])),
                                  [2 / 3, 0.0, 2 / 3, 1 / 3])
    # a missing value is not counted in N and stays missing; one value alone has no rank
    np.testing.assert_array_equal(percentile_ranks(np.array([5.0, NAN, 1.0])), [1.0, NAN, 0.0])
    np.testing.assert_array_equal(percentile_ranks(np.array([5.0, NAN])), [NAN, NAN])


@given(PERCENTS)
def test_percentile_ranks_are_percentrank_inc(x):
    np.testing.assert_allclose(percentile_ranks(x), percentrank_inc(x), rtol=0, atol=1e-15)


def test_n_prank_reverse_complement_differs_from_negate_at_ties():
    """Per-capita income 10, 20, 20, 30 (direction -1). Negated: -30, -20, -20, -10 rank 1,
    2, 2, 4, so PR(-x) = 1, 1/3, 1/3, 0. CDC's 1 - PR(x): PR(x) = 0, 1/3, 1/3, 1, so
    1, 2/3, 2/3, 0: the tied counties differ."""
    x = np.array([[10.0], [20.0], [20.0], [30.0]])
    neg = np.array([-1.0])
    np.testing.assert_allclose(n_prank(x, neg)[:, 0], [1, 1 / 3, 1 / 3, 0])
    np.testing.assert_allclose(n_prank(x, neg, reverse="complement")[:, 0], [1, 2 / 3, 2 / 3, 0])
    # direction +1: the two are the same percentile rank
    pos = np.array([1.0])
    np.testing.assert_array_equal(n_prank(x, pos, reverse="complement"), n_prank(x, pos))


@given(PERCENTS)
def test_n_prank_complement_is_one_minus_the_rank(x):
    col = x[:, None]
    up = n_prank(col, np.array([1.0]))
    np.testing.assert_array_equal(n_prank(col, np.array([-1.0]), reverse="complement"), 1 - up)
    if len(np.unique(x)) == len(x):  # without ties, PR(-x) is 1 - PR(x) as well
        np.testing.assert_allclose(n_prank(col, np.array([-1.0])), 1 - up, atol=1e-15)


def test_n_prank_refuses_an_unknown_reverse():
    problems = methods.get("normalise", "n_prank").contract_problems({"reverse": "flip"})
    assert problems and problems[0][0] == "reverse"


def test_a_sum_by_hand():
    x = np.array([[0.1234, 0.5, NAN], [0.2, 0.3, 0.4]])
    np.testing.assert_array_equal(a_sum(x, np.ones(3)), [NAN, 0.2 + 0.3 + 0.4])
    np.testing.assert_array_equal(a_sum(x, np.ones(3), na_rm=True), [0.1234 + 0.5, 0.9])
    assert a_sum(x, np.array([1.0, 2.0, 3.0]))[1] == pytest.approx(0.2 + 0.6 + 1.2)
    assert np.isnan(a_sum(np.array([[NAN, NAN]]), np.ones(2), na_rm=True)[0])


def test_a_count_by_hand():
    """Flags at EPL >= 0.9: 0.9 and 1.0 count, 0.8999 does not; a missing child gives a
    missing count unless na_rm."""
    x = np.array([[0.9, 0.8999, 1.0], [NAN, 0.95, 0.1]])
    np.testing.assert_array_equal(a_count(x, np.ones(3)), [2.0, NAN])
    np.testing.assert_array_equal(a_count(x, np.ones(3), na_rm=True), [2.0, 1.0])
    np.testing.assert_array_equal(a_count(x, np.ones(3), threshold=0.95), [1.0, NAN])


@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)),
              elements=st.one_of(st.just(NAN), st.integers(0, 10_000).map(lambda v: v / 1e4))),
       st.floats(0, 1))
def test_a_count_counts_and_a_sum_adds(x, t):
    k = x.shape[1]
    observed = ~np.isnan(x).any(axis=1)
    count = a_count(x, np.ones(k), threshold=t)
    total = a_sum(x, np.ones(k))
    np.testing.assert_array_equal(np.isnan(count), ~observed)
    np.testing.assert_array_equal(count[observed], (x[observed] >= t).sum(axis=1))
    np.testing.assert_allclose(total[observed], x[observed].sum(axis=1), atol=1e-12)


SUM_OF_PR = {"normalise": {"method": "n_prank", "global": False},
             "weight": {"method": "w_equal"}, "aggregate": {"method": "a_sum"},
             "round": {"a": 4, "b": 4, "i": 4},
             "rank": {"ties": "min", "percentile": True, "percentile_decimals": 4}}


def flat():
    return fi.framework_from_dict({"index": {"code": "i", "children": [{"code": "a"},
                                                                       {"code": "b"}]}})


def test_percentile_rank_stage_by_hand():
    """a = 1, 2, 3, 4 and b = 1, 3, 2, 4: EPL_a = 0, .3333, .6667, 1; EPL_b = 0, .6667,
    .3333, 1 (4 decimals); the sums 0, 1, 1, 2 (rounded, so that the two 1s tie), ranked
    with ties at the smallest: 0, 1/3, 1/3, 1 -> 0, .3333, .3333, 1."""
    fw = flat()
    res = fi.build(fw, panel(fw, [[1, 1], [2, 3], [3, 2], [4, 4]]),
                   fi.methodology_from_dict(SUM_OF_PR))
    assert res.scores("a")[2020].tolist() == [0.0, 0.3333, 0.6667, 1.0]
    assert res.scores("b")[2020].tolist() == [0.0, 0.6667, 0.3333, 1.0]
    assert res.scores("i")[2020].tolist() == [0.0, 1.0, 1.0, 2.0]
    assert res.ranks("i")[2020].tolist() == [0.0, 0.3333, 0.3333, 1.0]
    # ordinal ranks (the default) are untouched: 1 = best, ties at the smallest
    ordinal = fi.build(fw, panel(fw, [[1, 1], [2, 3], [3, 2], [4, 4]]),
                       fi.methodology_from_dict(SUM_OF_PR | {"rank": {"ties": "min"}}))
    assert ordinal.ranks("i")[2020].tolist() == [4.0, 2.0, 2.0, 1.0]


@given(arrays(np.float64, st.tuples(st.integers(2, 12), st.just(2)),
              elements=st.integers(0, 20).map(float)))
def test_percentile_rank_stage_orders_as_the_ordinal_ranks(values):
    """A higher percentile rank is a better (smaller) ordinal rank; the worst units have 0,
    and 1 goes to the best unit when no other ties with it."""
    fw = flat()
    p = panel(fw, values)
    pr = fi.build(fw, p, fi.methodology_from_dict(SUM_OF_PR)).ranks("i")[2020].to_numpy()
    ordinal = fi.build(fw, p, fi.methodology_from_dict(
        SUM_OF_PR | {"rank": {"ties": "min"}})).ranks("i")[2020].to_numpy()
    for i in range(len(pr)):
        for j in range(len(pr)):
            assert (pr[i] > pr[j]) == (ordinal[i] < ordinal[j])
    assert pr.min() == 0.0  # ties at the smallest rank: the worst units tie at 0
    assert (pr.max() == 1.0) == ((ordinal == 1).sum() == 1)  # 1 only for a unit alone on top


def test_an_ordinal_methodology_keeps_its_hash():
    """The percentile options enter the canonical form only when chosen."""
    plain = fi.methodology_from_dict({"rank": {"ties": "min"}})
    assert "percentile" not in plain.canonical_json()
    chosen = fi.methodology_from_dict({"rank": {"ties": "min", "percentile": True}})
    assert '"percentile":true' in chosen.canonical_json() and chosen.hash != plain.hash


def test_missing_values_are_read_as_missing(tmp_path):
    (tmp_path / "d.csv").write_text("unit,year,a,b\nX,2022,-999,2.5\nY,2022,1.5,-999.0\n")
    text = ("index: {code: i, children: [{code: a}, {code: b}]}\n"
            "units: [{code: X}, {code: Y}]\n")
    (tmp_path / "f.yaml").write_text(text + "missing_values: [-999]\n")
    p = fi.load_panel(tmp_path / "d.csv", fi.load_framework(tmp_path / "f.yaml"))
    np.testing.assert_array_equal(p.values[0], [[NAN, 2.5], [1.5, NAN]])
    assert p.flags[0, 0, 0] & OBSERVED == 0 and p.flags[0, 0, 1] & OBSERVED
    (tmp_path / "g.yaml").write_text(text)  # without it, -999 is a value like any other
    q = fi.load_panel(tmp_path / "d.csv", fi.load_framework(tmp_path / "g.yaml"))
    assert q.values[0, 0, 0] == -999.0


@given(arrays(np.int64, st.tuples(st.integers(2, 10), st.just(2)),
              elements=st.integers(0, 10_000)))
def test_rounding_the_sum_makes_equal_decimal_sums_tie(tenths_of_thousandths):
    """Values of 4 decimals summed and rounded at 4 (``round: {i: 4}``) are the exact decimal
    sums, so counties whose sums are equal in decimals tie in the percentile ranks (summed in
    floating point alone, 0.1 + 0.2 and 0.3 would not)."""
    fw = flat()
    meth = fi.methodology_from_dict({"normalise": {"method": "none"}, "weight": "w_equal",
                                     "aggregate": "a_sum", "round": {"i": 4},
                                     "rank": {"percentile": True}})
    res = fi.build(fw, panel(fw, tenths_of_thousandths / 1e4), meth)
    exact = tenths_of_thousandths.sum(axis=1)
    assert res.scores("i")[2020].tolist() == (exact / 1e4).tolist()
    pr = res.ranks("i")[2020].to_numpy()
    for i in range(len(exact)):
        for j in range(len(exact)):
            assert (pr[i] == pr[j]) == (exact[i] == exact[j])
