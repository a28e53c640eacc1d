"""The method catalogue: each kernel against a hand-worked example (arithmetic in the
docstring), properties, and batch equivalence (one call on a batch equals the single calls,
to the bit)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fintech_index as fi
from fintech_index import methods
from fintech_index.methods import aggregate as ag
from fintech_index.methods import impute as im
from fintech_index.methods import normalise as nm
from fintech_index.methods import treat as tr
from fintech_index.methods import weight as wt

from .helpers import panel, two_level_framework

NAN = np.nan
UP = np.array([1])


def col(*v):
    """A single indicator over units: shape [units, 1]."""
    return np.array(v, float)[:, None]


def year_col(*v):
    """One indicator of one unit over years: shape [years, 1, 1]."""
    return np.array(v, float)[:, None, None]


# ----------------------------------------------------------------------------- imputation

def test_mean_median_constant():
    """mean(1, 3) = 2; median(1, 3, 10) = 3; constant fills 0."""
    assert im.i_mean(col(1, NAN, 3)[None])[0, 1, 0] == 2
    assert im.i_median(col(1, NAN, 3, 10)[None])[0, 1, 0] == 3
    assert im.i_constant(col(NAN, 5)[None], value=0)[0, 0, 0] == 0


def test_group_mean_and_median():
    """groups a a b b -: a's mean 1, b's mean (5 + 7) / 2 = 6; the ungrouped unit stays."""
    x = col(1, NAN, 5, 7, NAN, NAN)[None]
    g = np.array([0, 0, 1, 1, 1, -1])
    out = im.i_mean_grp(x, groups=g)[0, :, 0]
    np.testing.assert_array_equal(out[:5], [1, 1, 5, 7, 6])
    assert np.isnan(out[5])
    assert im.i_median_grp(col(1, 2, 9, NAN)[None], groups=np.array([0, 0, 0, 0]))[0, 3, 0] == 2


def test_latest_year_within_window():
    """Observed 1 in 2020: 2021 (1 year on) is filled with max_time 1, 2022 (2 years) not;
    without a limit every later year is; 2019 before any observation never is."""
    years = np.array([2019, 2020, 2021, 2022])
    x = year_col(NAN, 1, NAN, NAN)
    out = im.i_latest(x, years=years, max_time=1)[:, 0, 0]
    assert np.isnan(out[0]) and out[2] == 1 and np.isnan(out[3])
    assert im.i_latest(x, years=years)[3, 0, 0] == 1


def test_linear_interpolation_uses_actual_years():
    """1 in 2020, 7 in 2023: 2021 = 1 + 6 * 1/3 = 3; nothing after 2023 is extrapolated."""
    out = im.i_interp(year_col(1, NAN, 7, NAN), years=np.array([2020, 2021, 2023, 2024]))
    assert out[1, 0, 0] == pytest.approx(3.0)
    assert np.isnan(out[3, 0, 0])


def test_em_recovers_an_exact_linear_relation():
    """x2 = 2 x1 exactly for the observed units, so EM under a normal model imputes
    x2 = 2 * 5 = 10 for the unit where it is missing."""
    x = np.array([[1, 2], [2, 4], [3, 6], [4, 8], [5, NAN]], float)[None]
    assert im.i_em(x)[0, 4, 1] == pytest.approx(10.0, rel=1e-6)


def test_em_with_a_constant_indicator_does_not_diverge():
    """Found by hypothesis: a constant third indicator made the covariance nearly singular,
    the Cholesky path returned huge regression weights and EM overflowed. The completed
    values stay finite and x2 (constant c wherever observed alongside x1 = c) is c."""
    c = 1.1811661533900868e-12
    x = np.full((1, 7, 3), c)
    x[0, 0, :2] = [1.0, NAN]
    x[0, 1, :2] = NAN
    out = im.i_em(x)
    assert np.isfinite(out).all()
    np.testing.assert_array_equal(out[~np.isnan(x)], x[~np.isnan(x)])


@given(arrays(np.float64, (2, 7, 3), elements=st.one_of(st.just(NAN),
                                                         st.floats(-1e3, 1e3))))
def test_imputation_never_changes_observed_values(x):
    years = np.array([2020, 2021])
    groups = np.array([0, 0, 1, 1, 1, -1, 2])
    for name in methods.available("impute"):
        k = methods.get("impute", name)
        kw = {"groups": groups} if k.takes("groups") else {}
        kw |= {"years": years} if k.takes("years") else {}
        kw |= {"aux": x[..., :1]} if k.takes("aux") else {}  # an auxiliary with gaps
        out = k.fn(x, **kw)
        seen = ~np.isnan(x)
        np.testing.assert_array_equal(out[seen], x[seen], err_msg=name)


# ----------------------------------------------------------------------------- treatment

def test_log_ct_and_boxcox():
    """log_CT of (1, 2, 11): log(x - 1 + 0.01 * 10) = log(0.1, 1.1, 10.1); Box-Cox with
    lambda 0.5 of (0, 3, 8): x' = (1, 4, 9), (sqrt(x') - 1) / 0.5 = (0, 2, 4)."""
    np.testing.assert_allclose(tr.log_ct(col(1, 2, 11)).x[:, 0], np.log([0.1, 1.1, 10.1]))
    np.testing.assert_allclose(tr.boxcox(col(0, 3, 8), lmbda=0.5).x[:, 0], [0, 2, 4])
    assert (tr.log_ct(col(1, 2, NAN)).points[:, 0] == [3, 3, 0]).all()


def test_winsorise_low_side_and_none():
    """Negative skew: the lowest value is raised to the next lowest."""
    x = col(-100, *range(1, 12))
    out = tr.winsorise(x, winmax=1)
    assert out.x[0, 0] == 1 and out.points[0, 0] == tr.WIN_LOW
    assert (tr.treat_none(x).x == x).all()


@given(arrays(np.float64, (15, 2), elements=st.floats(0, 1e4)))
def test_winsorise_keeps_order_and_range(x):
    out = tr.winsorise(x, f2="none").x
    assert (out >= x.min(axis=0)).all() and (out <= x.max(axis=0)).all()
    for k in range(2):
        order = np.argsort(x[:, k], kind="stable")
        assert (np.diff(out[order, k]) >= 0).all()  # a monotone map: ranks never swap


# ----------------------------------------------------------------------------- normalisation

def test_catalogue_normalisers_hand_worked():
    """scaled (0, 50, 100) with bounds 0-200: x / 200 * 100; ranks of (3, 1, 3, NA) with ties
    at the lowest rank: (2, 1, 2, NA), Borda = rank - 1, percentile = (rank - 1) / (n - 1);
    fraction of max of (1, 2, 4) = x / 4; distance to max of (1, 2, 5) = 1 - (5 - x) / 4;
    to reference unit 1 (x = 3) of (1, 3, 5): 1 - (3 - x) / 2; to target 4 of (2, 3, 6):
    1 - (4 - x) / 2."""
    np.testing.assert_allclose(nm.n_scaled(col(0, 50, 100), UP, npara=(0, 200))[:, 0],
                               [0, 25, 50])
    r = nm.n_rank(col(3, 1, 3, NAN), UP)[:, 0]
    np.testing.assert_array_equal(r[:3], [2, 1, 2])
    assert np.isnan(r[3])
    np.testing.assert_array_equal(nm.n_borda(col(3, 1, 3), UP)[:, 0], [1, 0, 1])
    np.testing.assert_array_equal(nm.n_prank(col(3, 1, 3), UP)[:, 0], [0.5, 0, 0.5])
    np.testing.assert_allclose(nm.n_fracmax(col(1, 2, 4), UP)[:, 0], [0.25, 0.5, 1])
    np.testing.assert_allclose(nm.n_dist2max(col(1, 2, 5), UP)[:, 0], [0, 0.25, 1])
    np.testing.assert_allclose(nm.n_dist2ref(col(1, 3, 5), UP, ref_index=1)[:, 0], [0, 1, 2])
    np.testing.assert_allclose(nm.n_dist2ref(col(1, 3, 5), UP, ref_index=1, cap_max=True)[:, 0],
                               [0, 1, 1])
    np.testing.assert_allclose(nm.n_dist2targ(col(2, 3, 6), UP, targ=4)[:, 0], [0, 0.5, 2])


@given(arrays(np.float64, (9, 2), elements=st.integers(-10**6, 10**6).map(float), unique=True))
def test_normalisers_honour_direction(x):
    """Reversing an indicator reverses the order of its normalised values."""
    for name in ("n_minmax", "n_zscore", "n_rank", "n_borda", "n_prank", "n_dist2max"):
        f = methods.get("normalise", name).fn
        up, down = f(x, np.array([1, 1])), f(x, np.array([-1, -1]))
        assert (np.argsort(up[:, 0]) == np.argsort(-down[:, 0])).all(), name


# ----------------------------------------------------------------------------- aggregation

def test_mean_min_hand_worked():
    """x = (2, 6), equal weights: mean 4, min 2. alpha 1, beta 0 gives the min 2; alpha 0.5
    gives 3; alpha 1, beta 3 gives 4 - (sqrt(4 + 9) - 3) = 7 - sqrt(13)."""
    x = np.array([[2.0, 6.0]])
    w = np.ones(2)
    assert ag.a_mean_min(x, w, alpha=1, beta=0)[0] == 2
    assert ag.a_mean_min(x, w, alpha=0.5, beta=0)[0] == 3
    assert ag.a_mean_min(x, w, alpha=1, beta=3)[0] == pytest.approx(7 - np.sqrt(13))


def test_copeland_hand_worked():
    """A (3, 3), B (2, 2), C (1, 3), weights 1/2: O_AB = 1, O_AC = 1/2 + 1/2 * 1/2 = 3/4,
    O_BC = 1/2; wins minus losses (COINr's a_copeland): A = 1 + 1 = 2, B = -1 + 0 = -1,
    C = -1 + 0 = -1."""
    x = np.array([[3, 3], [2, 2], [1, 3]], float)
    np.testing.assert_array_equal(ag.a_copeland(x, np.ones(2)), [2, -1, -1])


def test_copeland_as_coinr_unit_test():
    """COINr's tests/testthat/test-aggregate.R, "copeland": x1 = 1:4, x2 = (3, 2, 1, 5),
    x3 = (2, 3, 1, 4), equal weights: O_12 = 1/3, O_13 = 2/3, O_14 = 0, O_23 = 2/3,
    O_24 = O_34 = 0, so the scores are (-1, 1, -3, 3); two units that split two indicators
    (O = 1/2) score (0, 0)."""
    x = np.array([[1, 3, 2], [2, 2, 3], [3, 1, 1], [4, 5, 4]], float)
    np.testing.assert_array_equal(ag.a_copeland(x, np.ones(3)), [-1, 1, -3, 3])
    np.testing.assert_array_equal(ag.a_copeland(np.array([[1.0, 2], [2, 1]]), np.ones(2)),
                                  [0, 0])


def test_benefit_of_the_doubt_hand_worked():
    """A (1, .5), B (.5, 1), C (.4, .4): A and B are on the frontier (1); C's best weights
    are w = (2/3, 2/3), which make A and B exactly 1, giving C 0.4 * 4/3 = 8/15."""
    x = np.array([[1, 0.5], [0.5, 1], [0.4, 0.4]])
    np.testing.assert_allclose(ag.a_bod(x, np.ones(2)), [1, 1, 8 / 15], rtol=1e-9)
    bounded = ag.a_bod(x, np.ones(2), share_bounds=(0.4, 0.6))
    assert (bounded <= ag.a_bod(x, np.ones(2)) + 1e-12).all()


@given(arrays(np.float64, (6, 3), elements=st.floats(0, 100)))
def test_aggregator_properties(x):
    w = np.array([1.0, 2.0, 1.0])
    mm = ag.a_mean_min(x, w, alpha=0.5, beta=1.0)
    assert (mm <= ag.a_amean(x, w) + 1e-9).all() and (mm >= x.min(axis=1) - 1e-9).all()
    cope = ag.a_copeland(x, w)  # wins minus losses: they cancel over all units
    assert cope.sum() == 0 and (np.abs(cope) <= 5).all()


# ----------------------------------------------------------------------------- weights

def test_weights_hand_worked():
    """Budget (3, 1) -> (0.75, 0.25); two perfectly correlated children: PC1 loadings
    (1/sqrt 2, 1/sqrt 2); factor weights 1/2 each."""
    x = np.array([[1, 2], [2, 4], [3, 6], [5, 10]], float)
    np.testing.assert_allclose(wt.w_budget(x, np.ones(2), points=[3, 1]), [0.75, 0.25])
    np.testing.assert_allclose(wt.w_pca(x, np.ones(2)), [2 ** -0.5, 2 ** -0.5])
    np.testing.assert_allclose(wt.w_factor(x, np.ones(2)), [0.5, 0.5])
    np.testing.assert_array_equal(wt.w_equal(x, np.array([5.0, 1.0])), [1, 1])


def test_optimised_weights_balance_correlations():
    """After optimisation both children correlate equally with the aggregate (target 1:1),
    although with equal weights the wider child dominates."""
    rng = np.random.default_rng(7)
    x = np.column_stack([rng.normal(0, 10, 40), rng.normal(0, 1, 40)])
    w = wt.w_opt(x, np.ones(2), aggregate=ag.a_amean)
    r = wt._correlations(x, ag.a_amean(x, w), "pearson")
    assert r[0] / r.sum() == pytest.approx(0.5, abs=1e-3)
    assert w[1] > w[0]


# ----------------------------------------------------------------------------- batches

def _kwargs(kernel, n_units, n_ind):
    kw = {}
    if kernel.takes("direction"):
        kw["direction"] = np.ones(n_ind)
    if kernel.takes("gposts"):
        kw["gposts"] = np.tile([0.0, 100.0], (n_ind, 1))
    if kernel.takes("groups"):
        kw["groups"] = np.arange(n_units) % 3
    if kernel.takes("years"):
        kw["years"] = np.array([2023, 2024, 2025])
    if kernel.takes("aux"):  # one auxiliary per year and unit, observed for all but one
        kw["aux"] = np.append(np.arange(n_units - 1.0), np.nan)[None, :, None].repeat(3, 0)
    if kernel.takes("ref_index"):
        kw["ref_index"] = 2
    if kernel.takes("targ"):
        kw["targ"] = np.full(n_ind, 120.0)
    if kernel.takes("aggregate"):
        kw["aggregate"] = ag.a_amean
    if kernel.name == "w_budget":
        kw["points"] = np.arange(1, n_ind + 1)
    if kernel.name == "w_ahp":
        kw["matrix"] = np.outer(np.arange(1, n_ind + 1), 1 / np.arange(1, n_ind + 1))
    return kw


def _value(out):
    return out.x if isinstance(out, tr.Treated) else out


@pytest.mark.parametrize("stage", ["impute", "treat", "normalise", "weight", "aggregate"])
def test_batch_of_100_equals_100_single_calls_bitwise(stage):
    rng = np.random.default_rng(2026)
    # 12 children: NumPy's own reductions change order from 8 terms on, which a batch
    # must not notice
    n_units, n_ind = (8, 12) if stage != "impute" else (7, 3)
    shape = (100, 3, n_units, n_ind) if stage == "impute" else (100, n_units, n_ind)
    x = rng.lognormal(3, 1, shape)
    x[rng.random(shape) < 0.1] = NAN if stage == "impute" else 1.0
    for name in methods.available(stage):
        k = methods.get(stage, name)
        if not k.fn.__module__.startswith("fintech_index.methods"):
            continue  # an example's own kernel (UNDP formulas take fixed children)
        kw = _kwargs(k, n_units, n_ind)
        w = np.linspace(1.0, 2.0, n_ind)
        args = (x, w) if stage in ("weight", "aggregate") else (x,)
        if name in ("w_opt", "a_bod", "a_kemeny"):  # optimisers: 10 members are enough to show it
            args = (args[0][:10],) + args[1:]
        batch = _value(k.fn(*args, **kw))
        for b in range(len(args[0])):
            single = _value(k.fn(args[0][b], *args[1:], **kw))
            np.testing.assert_array_equal(batch[b], single, err_msg=f"{stage} {name} #{b}")


def test_batched_parameters_equal_single_calls_bitwise():
    """100 weight sets, 100 powers p and 100 (l, u) pairs in one call each."""
    rng = np.random.default_rng(1)
    x = rng.uniform(1, 100, (12, 4))
    ws = rng.uniform(0.1, 1, (100, 4))
    ps = rng.uniform(-2, 3, 100)
    lus = np.sort(rng.uniform(0, 100, (100, 2)), axis=1)
    xb = np.broadcast_to(x, (100, 12, 4))
    for fn in (ag.a_amean, ag.a_gmean, ag.a_hmean):
        out = fn(x, ws)
        for b in range(100):
            np.testing.assert_array_equal(out[b], fn(x, ws[b]))
    g = ag.a_genmean(xb, ws, p=ps)
    mn = nm.n_minmax(xb, np.ones(4), l_u=lus)
    for b in range(100):
        np.testing.assert_array_equal(g[b], ag.a_genmean(x, ws[b], p=ps[b]))
        np.testing.assert_array_equal(mn[b], nm.n_minmax(x, np.ones(4), l_u=lus[b]))


# ----------------------------------------------------------------------------- in a build

def test_build_per_node_methods_and_screening():
    """Per-node choices in one level (COINr cannot mix them) and a unit screened out."""
    fw = two_level_framework()
    values = np.array([[1, 2, 3, 4], [2, 3, 4, 5], [3, 1, NAN, NAN], [4, 4, 1, 1]], float)
    pnl = panel(fw, values)
    meth = fi.methodology_from_dict({
        "screen": {"dat_thresh": 0.75},
        "aggregate": {"method": "a_amean", "by_node": {"A": "a_gmean"}},
        "normalise": {"method": "n_minmax", "l_u": [1, 100]},
        "weight": {"method": "w_explicit", "by_node": {"B": {"method": "w_budget",
                                                             "points": [3, 1]}}}})
    res = fi.build(fw, pnl, meth)
    assert res.units == ("u0", "u1", "u3")  # u2 has 2 of 4 values: 0.5 < 0.75
    wts = res.weight_table().set_index(["parent", "node"])["weight"]
    assert wts[("B", "x3")] == 0.75
    assert not res.prepared.screening.set_index("unit").loc["u2", "kept"]
    # A by geometric mean of min-max [1, 100] values: u3 has x1 = 100, x2 = 100 -> 100
    assert res.scores("A").loc["u3", 2020] == pytest.approx(100.0)
    # B = 0.75 x3 + 0.25 x4 on min-max [1, 100] values of the three kept units
    b = res.scores("B")[2020]
    x3 = (np.array([3, 4, 1]) - 1) / 3 * 99 + 1
    x4 = (np.array([4, 5, 1]) - 1) / 4 * 99 + 1
    np.testing.assert_allclose(b.to_numpy(), 0.75 * x3 + 0.25 * x4)


def test_em_beats_mean_imputation_on_correlated_data():
    """Synthetic correlated normal data (seed 3), 10% removed: EM's imputations are closer to
    the removed values than the indicator means are."""
    rng = np.random.default_rng(3)
    cov = [[1, 0.8, 0.5], [0.8, 1, 0.3], [0.5, 0.3, 1]]
    x = rng.multivariate_normal([0, 0, 0], cov, size=(1, 200))
    holes = x.copy()
    holes[rng.random(x.shape) < 0.1] = NAN
    gone = np.isnan(holes)
    em_err = np.abs(im.i_em(holes) - x)[gone].mean()
    mean_err = np.abs(im.i_mean(holes) - x)[gone].mean()
    assert em_err < 0.85 * mean_err


def test_methodology_checks_stage_parameters():
    ex = fi.examples.load("asem")
    bad = fi.methodology_from_dict({
        "impute": {"method": "i_mean_grp"},
        "treat": {"method": "winsorise", "winmx": 5},
        "weight": {"method": "w_equal", "by_node": {"LPI": "w_equal"}},
        "normalise": {"method": "n_dist2ref"}}, "m.yaml")
    with pytest.raises(fi.MethodologyError) as e:
        bad.check(ex.framework)
    msg = str(e.value)
    assert "impute (default): method 'i_mean_grp' needs parameter 'use_group'" in msg
    assert "treat (default): method 'winsorise' has no parameter(s) ['winmx']" in msg
    assert "weight.by_node: 'LPI' is not an aggregate" in msg
    assert "normalise (default): method 'n_dist2ref' needs parameter 'ref'" in msg
    wrong_group = fi.methodology_from_dict({"impute": {"method": "i_mean_grp",
                                                       "use_group": "Continent"}})
    with pytest.raises(fi.MethodologyError, match="use_group 'Continent' is not a group column"):
        wrong_group.check(ex.framework)


@given(arrays(np.float64, (12, 3), elements=st.integers(0, 1000).map(float)))
def test_data_driven_weights_properties(x):
    """Factor weights are non-negative and sum to 1; PC1 loadings have unit length and a
    positive sum (or are NaN where the data give no component, e.g. a constant child)."""
    f = wt.w_factor(x, np.ones(3))
    p = wt.w_pca(x, np.ones(3))
    if np.isfinite(f).all():
        assert (f >= 0).all() and f.sum() == pytest.approx(1.0)
    if np.isfinite(p).all():
        assert np.linalg.norm(p) == pytest.approx(1.0) and p.sum() >= 0


def test_min_and_no_imputation():
    """i_min fills with the lowest observed value (2); none leaves the gap."""
    assert im.i_min(col(5, NAN, 2)[None])[0, 1, 0] == 2
    assert np.isnan(im.i_none(col(5, NAN, 2)[None])[0, 1, 0])
