"""The general capabilities ND-GAIN and the SDG Index needed (issue 28): interpolation with
the nearest value carried to both ends, a fixed linear combination of dimensions, a coverage
rule over a node's indicators, a missing aggregate filled from a supplied series, ranks of a
declared subset of units."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fintech_index as fi
from fintech_index.methods.aggregate import a_linear
from fintech_index.methods.impute import i_interp
from fintech_index.scoring import reference_aggregate_and_rank

NAN = np.nan


def series(*v):
    return np.array(v, dtype=float)[:, None, None]


def test_interpolation_carries_the_nearest_value_to_both_ends():
    """Observed 2 in 2001 and 8 in 2004: 2002 = 2 + 6 * 1/3 = 4, 2003 = 6; 2000 takes the
    first observation (2), 2005 the last (8). Without ``ends`` the ends stay missing."""
    years = np.array([2000, 2001, 2002, 2003, 2004, 2005])
    x = series(NAN, 2, NAN, NAN, 8, NAN)
    assert i_interp(x, years, ends="nearest").ravel().tolist() == [2, 2, 4, 6, 8, 8]
    plain = i_interp(x, years).ravel()
    assert np.isnan(plain[[0, 5]]).all() and plain[2] == 4


@given(arrays(np.float64, 8, elements=st.one_of(st.just(NAN), st.floats(-1e6, 1e6))))
def test_interpolation_with_ends_is_numpys_interp(col):
    """Any series with an observation: equal to np.interp over the observed years (which
    carries the end values); an all-missing series stays missing."""
    years = np.array([1995, 1996, 1998, 1999, 2003, 2004, 2010, 2014])
    out = i_interp(col[:, None, None], years, ends="nearest").ravel()
    seen = ~np.isnan(col)
    if not seen.any():
        assert np.isnan(out).all()
        return
    np.testing.assert_allclose(out, np.interp(years, years[seen], col[seen]), rtol=1e-12,
                               atol=1e-6)
    assert (out[seen] == col[seen]).all()


def test_linear_combination_is_nd_gain():
    """ND-GAIN = (readiness - vulnerability + 1) * 50: readiness 0.6, vulnerability 0.4 give
    (0.6 - 0.4 + 1) * 50 = 60; a missing dimension gives no index."""
    x = np.array([[0.4, 0.6], [NAN, 0.5], [0.0, 1.0]])
    out = a_linear(x, np.ones(2), coefficients=[-1, 1], offset=1, scale=50)
    assert out[0] == pytest.approx(60.0) and np.isnan(out[1]) and out[2] == 100.0


@given(arrays(np.float64, (5, 3), elements=st.floats(-1e3, 1e3)),
       st.lists(st.floats(-10, 10), min_size=3, max_size=3), st.floats(-5, 5),
       st.floats(-5, 5))
def test_linear_combination_is_affine(x, c, offset, scale):
    """scale * (offset + x @ c) for every unit; no coefficients is the plain sum."""
    np.testing.assert_allclose(a_linear(x, np.ones(3), coefficients=c, offset=offset,
                                        scale=scale),
                               scale * (offset + x @ np.array(c)), rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(a_linear(x, np.ones(3)), x.sum(axis=1), rtol=1e-12, atol=1e-9)


def small_framework(groups=()):
    """index <- {V: a, b, c; R: d}: V has three indicators, R one."""
    return fi.framework_from_dict({"groups": list(groups), "index": {
        "code": "idx", "children": [
            {"code": "V", "children": [{"code": "a"}, {"code": "b"}, {"code": "c"}]},
            {"code": "R", "children": [{"code": "d"}]}]}})


VALUES = [[0.2, 0.4, 0.6, 0.5],  # u0: all three of V
          [0.2, NAN, 0.6, 0.5],  # u1: two of three
          [NAN, NAN, 0.9, 0.5]]  # u2: one of three


def build_small(meth, fw=None, meta=None, values=VALUES):
    fw = fw or small_framework()
    p = fi.panel_from_arrays(np.array(values, float)[None], fw, ["u0", "u1", "u2"], [2014],
                             meta=meta)
    return fi.build(fw, p, fi.methodology_from_dict(meth))


def test_coverage_rule_counts_the_indicators_under_a_node():
    """min_indicators V: 2 keeps u0 (3 of 3: (0.2+0.4+0.6)/3 = 0.4) and u1 (2 of 3: 0.4)
    and blanks u2 (1 of 3), whose index is then R alone (0.5) under a_amean."""
    meth = {"normalise": "none", "min_indicators": {"V": 2}}
    s = build_small(meth).scores("V")[2014]
    assert s["u0"] == pytest.approx(0.4) and s["u1"] == pytest.approx(0.4)
    assert np.isnan(s["u2"])
    assert build_small(meth).scores("idx")[2014]["u2"] == 0.5


@given(st.integers(1, 3), arrays(np.float64, (6, 4), elements=st.one_of(
    st.just(NAN), st.floats(0, 1))))
def test_coverage_rule_only_blanks_units_under_the_count(n, x):
    """With min_indicators n, V equals the plain build where at least n of a, b, c are
    present and is missing elsewhere; the fast path equals the reference path."""
    assume((~np.isnan(x)).any(axis=0).all())  # a column with no value is refused [A21]
    enough = (~np.isnan(x[:, :3])).sum(axis=1) >= n
    assume(enough.any())  # V blank for every unit is refused too [A21]
    fw = small_framework()
    units = [f"u{i}" for i in range(6)]
    p = fi.panel_from_arrays(x[None], fw, units, [2014])
    plain = fi.build(fw, p, fi.methodology_from_dict({"normalise": "none"}))
    meth = fi.methodology_from_dict({"normalise": "none", "min_indicators": {"V": n}})
    ruled = fi.build(fw, p, meth)
    v_plain, v_ruled = plain.scores("V")[2014].to_numpy(), ruled.scores("V")[2014].to_numpy()
    np.testing.assert_array_equal(v_ruled[enough], v_plain[enough])
    assert np.isnan(v_ruled[~enough]).all()
    ref = reference_aggregate_and_rank(fw, p, meth, x[None])
    np.testing.assert_array_equal(ref.scores["idx"], ruled.score_array[..., -1])


def test_missing_aggregate_is_filled_from_the_units_table():
    """fill R from column 'r_regional': u1 has no d, so R is its regional 0.7 and the index
    the mean of V = (0.2+0.6)/2 = 0.4 and 0.7 = 0.55; u0 keeps its own R (0.5); u2 has no
    regional value and no R."""
    fw = small_framework(groups=["r_regional"])
    meta = pd.DataFrame({"r_regional": ["0.9", "0.7", ""]}, index=["u0", "u1", "u2"])
    values = [[0.2, 0.4, 0.6, 0.5], [0.2, NAN, 0.6, NAN], [NAN, NAN, 0.9, NAN]]
    res = build_small({"normalise": "none", "fill": {"R": "r_regional"}}, fw, meta, values)
    r = res.scores("R")[2014]
    assert r["u0"] == 0.5 and r["u1"] == 0.7 and np.isnan(r["u2"])
    assert res.scores("idx")[2014]["u1"] == pytest.approx(0.55)


def test_ranks_of_a_declared_subset():
    """rank.only 'ranked': u1 (not ranked) has the best index but no rank; u0 and u2 are
    ranked 1 and 2 among themselves."""
    fw = small_framework(groups=["ranked"])
    meta = pd.DataFrame({"ranked": ["yes", "no", "TRUE"]}, index=["u0", "u1", "u2"])
    values = [[0.5, 0.5, 0.5, 0.5], [0.9, 0.9, 0.9, 0.9], [0.1, 0.1, 0.1, 0.1]]
    r = build_small({"normalise": "none", "rank": {"only": "ranked"}}, fw, meta,
                    values).ranks("idx")[2014]
    assert r["u0"] == 1 and r["u2"] == 2 and np.isnan(r["u1"])


def test_the_new_rules_leave_other_methodologies_hash_as_it_was():
    """A methodology without min_indicators, fill or rank.only dumps none of them, so its
    hash (and the methodology.yaml of its outputs) is what it was before they existed."""
    dumped = fi.methodology_from_dict({}).model_dump(mode="json")
    assert "min_indicators" not in dumped and "fill" not in dumped
    assert "only" not in dumped["rank"]
    given_ = fi.methodology_from_dict({"fill": {"R": "c"}, "rank": {"only": "c"}})
    assert fi.methodology_from_dict(given_.model_dump(mode="json")) == given_



@given(arrays(np.float64, 6, elements=st.one_of(st.just(NAN), st.floats(0, 1))),
       arrays(np.float64, 6, elements=st.one_of(st.just(NAN), st.floats(0, 100))))
def test_fill_only_fills_what_is_missing(d, regional):
    """R (= its one indicator d) keeps every value it has and takes the regional value
    exactly where it has none; with no regional value it stays missing."""
    assume(not np.isnan(d).all())
    fw = small_framework(groups=["r_regional"])
    units = [f"u{i}" for i in range(6)]
    meta = pd.DataFrame({"r_regional": ["" if np.isnan(v) else repr(float(v))
                                        for v in regional]}, index=units)
    x = np.column_stack([np.full(6, 0.5), np.full(6, 0.5), np.full(6, 0.5), d])
    p = fi.panel_from_arrays(x[None], fw, units, [2014], meta=meta)
    r = fi.build(fw, p, fi.methodology_from_dict({"normalise": "none",
                                                  "fill": {"R": "r_regional"}}))
    np.testing.assert_array_equal(r.scores("R")[2014].to_numpy(),
                                  np.where(np.isnan(d), regional, d))


@given(arrays(np.float64, 7, elements=st.floats(0, 1)), arrays(bool, 7))
def test_ranks_of_a_subset_are_the_subset_ranked_alone(v, ranked):
    """The units rank.only keeps are ranked as if the others were not there; the others
    have no rank."""
    assume(ranked.any())
    fw = small_framework(groups=["ranked"])
    units = [f"u{i}" for i in range(7)]
    meta = pd.DataFrame({"ranked": ["yes" if r else "no" for r in ranked]}, index=units)
    x = np.repeat(v[:, None], 4, axis=1)
    p = fi.panel_from_arrays(x[None], fw, units, [2014], meta=meta)
    only = fi.build(fw, p, fi.methodology_from_dict({"normalise": "none",
                                                     "rank": {"only": "ranked"}}))
    alone = fi.build(fw, fi.panel_from_arrays(x[ranked][None], fw,
                                              list(np.array(units)[ranked]), [2014]),
                     fi.methodology_from_dict({"normalise": "none"}))
    got = only.ranks("idx")[2014]
    assert got[~ranked].isna().all()
    np.testing.assert_array_equal(got[ranked].to_numpy(), alone.ranks("idx")[2014].to_numpy())


@given(st.integers(-10**6, 10**6), st.integers(0, 2))
def test_half_up_rounding_is_decimal_rounding(n, d):
    """A number with 3 decimals (as SDSN's scores are) rounded half away from zero at d
    decimals, as Python's Decimal ROUND_HALF_UP does on its decimal text."""
    from decimal import ROUND_HALF_UP, Decimal

    from fintech_index.examples import round_half_up

    x = n / 1000
    want = float(Decimal(str(x)).quantize(Decimal(1).scaleb(-d), rounding=ROUND_HALF_UP))
    assert round_half_up(np.array([x]), np.array([d]))[0] == want


def test_the_methodology_view_shows_the_rules_when_given():
    """min_indicators, fill and rank.only appear in the methodology's table when given and
    add no row otherwise."""
    text = repr(fi.methodology_from_dict({"min_indicators": {"V": 2}, "fill": {"R": "c"},
                                          "rank": {"only": "ranked"}}))
    assert "min_indicators  V: 2" in text and "fill            R: c" in text
    assert "only units with ranked: yes" in text
    plain = repr(fi.methodology_from_dict({}))
    assert "min_indicators" not in plain and "fill" not in plain and "only" not in plain


@given(arrays(np.float64, (6, 2), elements=st.floats(-1e4, 1e4)),
       st.floats(-100, 100), st.floats(0.01, 100))
def test_reversed_goalposts_are_one_minus_the_clipped_score(x, lo, width):
    """ND-GAIN scores a reversed indicator 1 - clip((x - min)/(max - min), 0, 1); n_goalposts
    with direction -1 gives the same: clip((max - x)/(max - min), 0, 1)."""
    from fintech_index.methods.normalise import n_goalposts

    gp = np.array([[lo, lo + width]] * 2)
    forward = np.clip((x - lo) / width, 0, 1)
    np.testing.assert_allclose(n_goalposts(x, np.array([-1, -1]), gp), 1 - forward,
                               atol=1e-12)
