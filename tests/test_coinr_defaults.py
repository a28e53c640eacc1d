"""COINr's defaults on every path: missing children skipped by the means, the aggregation
data-availability threshold ``dat_thresh``, and panels normalised over all years together
(``global``). Sources: COINr ``R/aggregate.R`` (``a_amean``, ``a_gmean``, ``a_hmean``,
``Aggregate.data.frame``) and ``R/normalise.R`` (``Normalise.purse``)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fintech_index as fi
from fintech_index import examples, methods
from fintech_index.methods.aggregate import a_amean, a_gmean, a_hmean, available_share
from fintech_index.methods.normalise import has_global_form, n_minmax, pool_years

from .helpers import panel, two_level_framework

MEANS = ["a_amean", "a_gmean", "a_hmean", "a_genmean", "a_prod", "a_mean_min"]
# every built-in normalisation that has a global form, with the parameters it needs
GLOBAL_KERNELS = {name: {} for name in ("n_minmax", "n_zscore", "n_scaled", "n_rank",
                                        "n_prank", "n_borda", "n_fracmax", "n_dist2max",
                                        "none")}
GLOBAL_KERNELS["n_dist2targ"] = {"targ": np.array([60.0, 50.0, 40.0])}
GLOBAL_KERNELS["n_goalposts"] = {"gposts": np.array([[0.0, 100.0]] * 3)}


# ------------------------------------------------------------------ dat_thresh

def test_dat_thresh_by_hand():
    """Rows (1, NA, 3, NA) and (1, 2, 3, 4): availability 0.5 and 1. COINr's rule is
    ``sum(!is.na(x))/lx < dat_thresh -> NA``: at 0.6 the first row has no value, at 0.5 it
    has (1 + 3)/2 = 2 (not below); the second row is (1+2+3+4)/4 = 2.5 at any threshold."""
    x = np.array([[1.0, np.nan, 3.0, np.nan], [1.0, 2.0, 3.0, 4.0]])
    w = np.ones(4)
    np.testing.assert_array_equal(available_share(x), [0.5, 1.0])
    out = a_amean(x, w, dat_thresh=0.6)
    assert np.isnan(out[0]) and out[1] == 2.5
    np.testing.assert_array_equal(a_amean(x, w, dat_thresh=0.5), [2.0, 2.5])
    np.testing.assert_array_equal(a_amean(x, w, dat_thresh=None), [2.0, 2.5])
    assert a_gmean(x, w, dat_thresh=0.5)[0] == pytest.approx(np.sqrt(3), abs=1e-15)
    assert a_hmean(x, w, dat_thresh=0.5)[0] == 1.5  # 2 / (1 + 1/3)
    assert np.isnan(a_hmean(x, w, dat_thresh=0.75)[0])


def test_dat_thresh_as_the_aggregate_vignette_prints():
    """Vignette "Aggregation", section "Data availability limits": rows (1, 3, 1),
    (2, NA, NA), (3, NA, 1), equal weights, ``dat_thresh = 2/3`` print
    ``1.666667 NA 2.000000``: the second row has 1/3 of its data, the third 2/3 (not below)."""
    df1 = np.array([[1.0, 3.0, 1.0], [2.0, np.nan, np.nan], [3.0, np.nan, 1.0]])
    out = a_amean(df1, np.ones(3), dat_thresh=2 / 3)
    assert round(out[0], 6) == 1.666667 and np.isnan(out[1]) and out[2] == 2.0


with_gaps = st.one_of(st.just(np.nan), st.floats(0.5, 100))


@given(arrays(np.float64, (6, 4), elements=with_gaps), st.floats(0, 1),
       st.sampled_from(MEANS))
def test_dat_thresh_blanks_exactly_the_rows_below_it(x, t, name):
    """A threshold only removes values: rows with availability below t are missing, every
    other row keeps the value it has without a threshold."""
    f = methods.get("aggregate", name).fn
    w = np.array([1.0, 2.0, 1.0, 0.5])
    free, capped = f(x, w), f(x, w, dat_thresh=t)
    below = (~np.isnan(x)).sum(-1) / 4 < t
    assert np.isnan(capped[below]).all()
    np.testing.assert_array_equal(capped[~below], free[~below])


@pytest.mark.parametrize("name", MEANS)
def test_batch_of_thresholds_and_weights_equals_single_calls_bit_for_bit(name):
    rng = np.random.default_rng(11)
    x = rng.uniform(1, 100, (51, 6))
    x[rng.uniform(size=x.shape) < 0.3] = np.nan
    w = rng.uniform(0.5, 1.5, (40, 6))
    t = rng.uniform(0, 1, 40)
    f = methods.get("aggregate", name).fn
    batched = f(np.broadcast_to(x, (40, 51, 6)), w, dat_thresh=t)
    singles = np.stack([f(x, w[b], dat_thresh=t[b]) for b in range(40)])
    assert np.array_equal(batched, singles, equal_nan=True)


def test_dat_thresh_in_a_build_blanks_the_aggregate_and_is_not_an_error():
    """u1 lacks x4. x3 (1, 3, 2) -> (0, 100, 50); x4 over u0, u2 (100, 200) -> (0, 100).
    With dat_thresh 1 u1's B (1 of 2 children) and so its index have no value, the others
    B = (0, 75); without a threshold u1's B is its x3 alone, 100."""
    fw = two_level_framework()
    values = [[0.0, 10.0, 1.0, 100.0], [5.0, 20.0, 3.0, np.nan], [10.0, 40.0, 2.0, 200.0]]
    meth = fi.methodology_from_dict({"aggregate": {"method": "a_amean", "dat_thresh": 1.0}})
    res = fi.build(fw, panel(fw, values), meth)
    b = res.scores("B")[2020]
    assert np.isnan(b["u1"]) and b["u0"] == 0.0 and b["u2"] == 75.0
    assert np.isnan(res.scores()[2020]["u1"]) and np.isnan(res.ranks()[2020]["u1"])
    free = fi.build(fw, panel(fw, values))
    assert free.scores("B")[2020]["u1"] == 100.0


@given(arrays(np.float64, (5, 4), elements=with_gaps),
       arrays(np.float64, 4, elements=st.floats(0.1, 10)),
       st.sampled_from(["a_amean", "a_gmean", "a_hmean"]))
def test_skipping_a_missing_child_is_the_mean_of_the_observed_ones(x, w, name):
    """COINr: ``w <- w[!is.na(x)]; x <- x[!is.na(x)]`` before the mean, so a row with gaps
    has the value of the same mean over its observed children and their weights alone."""
    f = methods.get("aggregate", name).fn
    out = f(x, w)
    for row, value in zip(x, out, strict=True):
        seen = ~np.isnan(row)
        if not seen.any():
            assert np.isnan(value)
            continue
        alone = f(row[seen][None, :], w[seen])[0]
        assert value == pytest.approx(alone, rel=1e-12)


# ------------------------------------------------------------------ missing children in a build

def test_zscore_amean_on_asem_raw_fills_the_aggregates_coinr_fills():
    """The issue's case: ``normalise: n_zscore, aggregate: a_amean`` on ASEM's raw data (63
    missing values). COINr's a_amean skips a missing child, so every aggregate with an
    observed child has a value: all 51 x 11 = 561 (none has all children missing), where
    propagating missing children left 95 empty. The values are COINr's formulas written
    out with pandas: z = (x d - mean) / sd (n - 1), then means of the observed children."""
    ex = examples.load("asem")
    fw = ex.framework
    meth = fi.methodology_from_dict({"normalise": "n_zscore", "aggregate": "a_amean"})
    res = fi.build(fw, ex.panel, meth)
    n = len(fw.indicators)
    assert np.isnan(res.score_array[..., n:]).sum() == 0
    propagate = fi.build(fw, ex.panel, fi.methodology_from_dict(
        {"normalise": "n_zscore", "aggregate": {"method": "a_amean", "na_rm": False}}))
    assert np.isnan(propagate.score_array[..., n:]).sum() == 95

    import pandas as pd

    raw = pd.DataFrame(ex.panel.values[0], index=ex.panel.unit_codes, columns=fw.indicators)
    scores = (raw * fw.directions() - (raw * fw.directions()).mean()) / (
        raw * fw.directions()).std(ddof=1)
    for code in fw.aggregates:  # bottom-up; all weights are 1 in ASEM's iMeta
        scores[code] = scores[list(fw.nodes[code].children)].mean(axis=1, skipna=True)
    for code in fw.aggregates:
        np.testing.assert_allclose(res.scores(code)[2018], scores[code], rtol=1e-12,
                                   atol=1e-12, err_msg=code)


# ------------------------------------------------------------------ global normalisation

def test_global_minmax_by_hand():
    """Two years of two units, one indicator: 2020 (0, 5), 2021 (10, 20). Over all years
    min 0, max 20: (0, 25) and (50, 100); each year on its own: (0, 100) and (0, 100)."""
    x = np.array([[[0.0], [5.0]], [[10.0], [20.0]]])
    d = np.array([1])
    np.testing.assert_array_equal(pool_years(n_minmax, x, direction=d)[..., 0],
                                  [[0, 25], [50, 100]])
    np.testing.assert_array_equal(n_minmax(x, d)[..., 0], [[0, 100], [0, 100]])


years_units = arrays(np.float64, (3, 5, 3), elements=st.integers(-10**4, 10**4).map(float))


@given(years_units, st.sampled_from(sorted(GLOBAL_KERNELS)))
def test_global_equals_the_kernel_on_the_stacked_years(x, name):
    """COINr: 'the data sets from each coin are joined together into one, normalisation is
    applied to this global data set, then split back into the coins' (vignette
    Normalisation, Purses). Also: one year pooled is that year normalised."""
    k = methods.get("normalise", name)
    d = np.array([1, -1, 1])
    kw = GLOBAL_KERNELS[name]
    with np.errstate(all="ignore"):
        pooled = pool_years(k.fn, x, direction=d, **kw)
        stacked = k.fn(x.reshape(15, 3), direction=d, **kw).reshape(3, 5, 3)
        one_year = pool_years(k.fn, x[:1], direction=d, **kw)
        alone = k.fn(x[0], direction=d, **kw)
    np.testing.assert_array_equal(pooled, stacked)
    np.testing.assert_array_equal(one_year[0], alone)


@given(years_units)
def test_global_minmax_spans_l_u_over_all_years(x):
    with np.errstate(all="ignore"):
        y = pool_years(n_minmax, x, direction=np.ones(3))
    spread = np.ptp(x.reshape(15, 3), axis=0) > 0
    np.testing.assert_allclose(np.min(y, axis=(0, 1))[spread], 0)
    np.testing.assert_allclose(np.max(y, axis=(0, 1))[spread], 100)


@pytest.mark.parametrize("name", sorted(GLOBAL_KERNELS))
def test_global_batch_equals_single_calls_bit_for_bit(name):
    rng = np.random.default_rng(5)
    x = rng.normal(50, 20, (30, 4, 51, 3))  # batch, years, units, indicators
    x[rng.uniform(size=x.shape) < 0.05] = np.nan
    d = np.array([1, -1, 1])
    k = methods.get("normalise", name)
    kw = GLOBAL_KERNELS[name]
    batched = pool_years(k.fn, x, direction=d, **kw)
    singles = np.stack([pool_years(k.fn, x[b], direction=d, **kw) for b in range(30)])
    assert np.array_equal(batched, singles, equal_nan=True)


def test_a_panel_build_normalises_over_all_years_unless_global_false():
    fw = two_level_framework()
    values = [[[0.0, 10.0, 1.0, 100.0], [5.0, 20.0, 3.0, 300.0], [10.0, 40.0, 2.0, 200.0]],
              [[10.0, 20.0, 2.0, 200.0], [15.0, 40.0, 4.0, 400.0], [20.0, 80.0, 3.0, 300.0]]]
    p = panel(fw, values)
    res = fi.build(fw, p)  # x1 over both years: 0..20
    np.testing.assert_array_equal(res.scores("x1").to_numpy(), [[0, 50], [25, 75], [50, 100]])
    yearly = fi.build(fw, p, fi.methodology_from_dict(
        {"normalise": {"method": "n_minmax", "global": False}}))
    np.testing.assert_array_equal(yearly.scores("x1").to_numpy(),
                                  [[0, 0], [50, 50], [100, 100]])
    # n_dist2ref has no global form: each year on its own by default, never an error
    assert not has_global_form(methods.get("normalise", "n_dist2ref"))
    ref = fi.build(fw, p, fi.methodology_from_dict(
        {"normalise": {"method": "n_dist2ref", "ref": "u2"}}))
    np.testing.assert_array_equal(ref.scores("x1").to_numpy(), [[0, 0], [0.5, 0.5], [1, 1]])


def test_a_column_constant_in_one_year_normalises_globally_but_not_yearly():
    """x1 is 5 for every unit in 2020 but not in 2021: over all years min-max is defined
    ((5 - 0)/(10 - 0) = 50 in 2020); each year on its own it is not (A04 names the year)."""
    fw = two_level_framework()
    values = [[[5.0, 10.0, 1.0, 100.0], [5.0, 20.0, 3.0, 300.0]],
              [[0.0, 20.0, 2.0, 200.0], [10.0, 40.0, 4.0, 400.0]]]
    p = panel(fw, values)
    np.testing.assert_array_equal(fi.build(fw, p).scores("x1").to_numpy(), [[50, 0], [50, 100]])
    with pytest.raises(fi.MethodError, match=r"unit 'u0', year 2020.*in that year.*\[A04\]"):
        fi.build(fw, p, fi.methodology_from_dict({"normalise": {"method": "n_minmax",
                                                                "global": False}}))
    constant = panel(fw, [[[5.0, 10.0, 1.0, 100.0], [5.0, 20.0, 3.0, 300.0]]] * 2)
    with pytest.raises(fi.MethodError, match=r"in every year.*\[A04\]"):
        fi.build(fw, constant)


@pytest.mark.parametrize("value", [1.5, -0.1, "most"])
def test_dat_thresh_outside_0_1_is_refused_before_any_work(value):
    with pytest.raises(fi.MethodologyError, match=r"dat_thresh = .* is not accepted.*\[M56\]"):
        fi.build(two_level_framework(), panel(two_level_framework(), [[1.0, 2, 3, 4]] * 3),
                 fi.methodology_from_dict({"aggregate": {"method": "a_amean",
                                                         "dat_thresh": value}}))


# ------------------------------------------------------------------ Copeland as COINr

def test_copeland_batch_of_weight_sets_equals_single_calls_bit_for_bit():
    rng = np.random.default_rng(13)
    x = rng.integers(0, 5, (12, 4)).astype(float)  # ties on purpose
    w = rng.uniform(0.5, 1.5, (20, 4))
    f = methods.get("aggregate", "a_copeland").fn
    batched = f(np.broadcast_to(x, (20, 12, 4)), w)
    assert np.array_equal(batched, np.stack([f(x, w[b]) for b in range(20)]))


@given(arrays(np.float64, (7, 3), elements=st.integers(0, 4).map(float)))
def test_copeland_a_unit_better_on_every_indicator_wins_every_pair(x):
    """Adding a unit above everyone on every indicator: it scores n - 1 (it wins all its
    pairs) and every other unit loses exactly one more pair than before."""
    f = methods.get("aggregate", "a_copeland").fn
    w = np.array([1.0, 2.0, 1.0])
    top = np.vstack([x, x.max(axis=0) + 1])
    scores = f(top, w)
    assert scores[-1] == 7
    np.testing.assert_array_equal(scores[:-1], f(x, w) - 1)
