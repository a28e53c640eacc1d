"""Regression imputation on named auxiliary variables (i_aux) and its completion by the
stage's default choice."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fintech_index as fi
from fintech_index.methods.impute import i_aux, i_aux_monotone, i_aux_ratio

AUX = np.array([10.0, 20.0, 25.0, 40.0, 50.0, np.nan])


def column(values):
    return np.array(values, dtype=np.float64).reshape(1, -1, 1)


def test_linear_fit_hand_worked():
    """x = 1, 2, ?, 4, ?, ? on a = 10, 20, 25, 40, 50, missing: the least-squares line
    through (10, 1), (20, 2), (40, 4) is x = a / 10, so 25 -> 2.5 and 50 -> 5.0 (a line
    extrapolates); the unit without an auxiliary value stays missing."""
    x = column([1, 2, np.nan, 4, np.nan, np.nan])
    out = i_aux(x, AUX.reshape(1, -1, 1))[0, :, 0]
    assert out[:5] == pytest.approx([1, 2, 2.5, 4, 5])
    assert np.isnan(out[5])


def test_monotone_fit_pools_violators_and_never_extrapolates():
    """x = 1, 3, ?, 2, ? on a = 10, 20, 25, 40, 50: pool-adjacent-violators pools 3 and 2
    to 2.5 at a = 20 and 40, so a = 25 gets 2.5; a = 50 is beyond the fitted range: missing.
    Decreasing on the mirrored data gives the mirrored answer."""
    x = column([1, 3, np.nan, 2, np.nan, np.nan])
    up = i_aux(x, AUX.reshape(1, -1, 1), fit="increasing")[0, :, 0]
    assert np.array_equal(i_aux_monotone(x, AUX.reshape(1, -1, 1))[0, :, 0], up,
                          equal_nan=True)
    assert up[2] == pytest.approx(2.5) and np.isnan(up[4])
    down = i_aux(-x, AUX.reshape(1, -1, 1), fit="decreasing")[0, :, 0]
    assert down[2] == pytest.approx(-2.5) and np.isnan(down[4])


def test_ratio_fit_hand_worked():
    """x = 1, 3, ?, 4, ?, ? on a = 10, 20, 25, 40, 50, missing: the ratio estimator is
    r = (1 + 3 + 4) / (10 + 20 + 40) = 8 / 70, so 25 -> 20 / 7 and 50 -> 40 / 7 (through the
    origin, extrapolated as a proportion); without an auxiliary value: missing. One unit
    fixes r (x = 2 at a = 10 gives 5 at 25); with min_fit 2 it fills nothing; a zero or
    negative auxiliary value makes a ratio meaningless: nothing is filled."""
    out = i_aux_ratio(column([1, 3, np.nan, 4, np.nan, np.nan]), AUX.reshape(1, -1, 1))
    assert out[0, :5, 0] == pytest.approx([1, 3, 20 / 7, 4, 40 / 7]) and np.isnan(out[0, 5, 0])
    one = column([2, np.nan, np.nan, np.nan, np.nan, np.nan])
    assert i_aux_ratio(one, AUX.reshape(1, -1, 1))[0, 2, 0] == pytest.approx(5.0)
    assert np.isnan(i_aux_ratio(one, AUX.reshape(1, -1, 1), min_fit=2)[0, 1:, 0]).all()
    signed = np.array([10.0, -20.0, 25.0, 40.0, 50.0, np.nan]).reshape(1, -1, 1)
    assert np.isnan(i_aux_ratio(column([1, 3, np.nan, 4, np.nan, np.nan]), signed)[0, 2, 0])


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, (1, 6, 1), elements=st.one_of(st.floats(0, 1e3), st.just(np.nan))),
       arrays(np.float64, (1, 6, 1), elements=st.one_of(st.floats(1e-3, 1e3),
                                                          st.just(np.nan))),
       st.floats(0.01, 100))
def test_ratio_fit_is_exact_on_proportional_data(x, aux, k):
    """Where every observed value is k times its auxiliary, every filled value is k times
    its auxiliary too; observed values never change."""
    x = np.where(np.isnan(x), np.nan, k * aux)
    out = i_aux_ratio(x, aux)
    filled = np.isnan(x) & ~np.isnan(out)
    assert np.allclose(out[filled], k * aux[filled], rtol=1e-9)
    assert np.array_equal(out[~np.isnan(x)], x[~np.isnan(x)])


def test_too_few_units_observed_on_both_fills_nothing():
    x = column([1, 2, np.nan, np.nan, np.nan, np.nan])
    assert np.isnan(i_aux(x, AUX.reshape(1, -1, 1))[0, 2:, 0]).all()


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, (2, 7, 2), elements=st.one_of(
           st.floats(-1e3, 1e3), st.just(np.nan))),
       arrays(np.float64, (2, 7, 1), elements=st.one_of(
           st.floats(-1e3, 1e3), st.just(np.nan))),
       st.sampled_from(["linear", "increasing", "decreasing"]))
def test_observed_values_kept_and_monotone_fits_stay_in_range(x, aux, fit):
    """Observed values never change; a value is filled only where the auxiliary is
    observed; a monotone fit stays within the observed range of its indicator and is
    ordered as the auxiliary is."""
    out = i_aux(x, aux, fit=fit)
    seen = ~np.isnan(x)
    assert np.array_equal(out[seen], x[seen])
    filled = np.isnan(x) & ~np.isnan(out)
    assert not (filled & np.isnan(np.broadcast_to(aux, x.shape))).any()
    if fit == "linear":
        return
    for t in range(2):
        for j in range(2):
            o = seen[t, :, j]
            f = filled[t, :, j]
            if not f.any():
                continue
            lo, hi = x[t, o, j].min(), x[t, o, j].max()
            assert ((out[t, f, j] >= lo - 1e-9) & (out[t, f, j] <= hi + 1e-9)).all()
            a, v = aux[t, f, 0], out[t, f, j]
            order = np.argsort(a, kind="stable")
            step = np.diff(v[order]) * (1 if fit == "increasing" else -1)
            assert (step >= -1e-9 * (1 + np.abs(v).max())).all()


def test_the_default_completes_what_the_auxiliary_regression_leaves():
    """x1 is imputed from the auxiliary where it is observed (u2: 2.5 on the line x = a/10)
    and by the stage's default where it is not (u4): i_mean run on the values as filled so
    far, (1 + 2 + 2.5 + 4) / 4 = 2.375; the provenance flags both as imputed."""
    fw = fi.framework_from_dict({"denominators": [{"code": "pax"}], "index": {
        "code": "i", "children": [{"code": "x1"}, {"code": "x2"}]}})
    x = np.array([[[1.0, 1.0], [2.0, 2.0], [np.nan, 3.0], [4.0, 4.0], [np.nan, 5.0]]])
    pax = np.array([[[10.0], [20.0], [25.0], [40.0], [np.nan]]])
    p = fi.panel_from_arrays(x, fw, [f"u{i}" for i in range(5)], [2020], denominators=pax)
    meth = fi.methodology_from_dict({"impute": {"method": "i_mean", "by_node": {
        "x1": {"method": "i_aux", "use_aux": ["pax"]}}}})
    res = fi.build(fw, p, meth)
    imputed = res.prepared.datasets["imputed"][0, :, 0]
    assert imputed[2] == pytest.approx(2.5) and imputed[4] == pytest.approx(2.375)
    assert (res.flags[0, [2, 4], 0] & fi.IMPUTED).all()
    # each value names the method that filled it: u2 the regression, u4 the default
    from fintech_index.publish.provenance import value_table

    t = value_table(res).set_index(["unit", "indicator"])["imputation_method"]
    assert (t["u2", "x1"], t["u4", "x1"]) == ("i_aux", "i_mean")
    assert res.prepared.completed_by_default[0, :, 0].tolist() == [False] * 4 + [True]
