"""Numbers that used to spoil every score, and choices that used to be ignored (issue 22):
each is refused where it enters, with its code, or now gives the right result."""

import math
import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from typer.testing import CliRunner

import fintech_index as fi
from fintech_index.audit.engine import Engine, UncertaintySpec, load_spec
from fintech_index.audit.uncertainty import uncertainty
from fintech_index.cli import app
from fintech_index.methods.aggregate import a_amean, a_bod, a_genmean, a_gmean, a_hmean, bod

from .helpers import panel, two_level_framework, units_yaml

VALUES = [[1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 4.0, 3.0], [3.0, 3.0, 1.0, 2.0]]
runner = CliRunner()


def build(meth: dict, fw=None, values=VALUES):
    fw = fw or two_level_framework()
    return fi.build(fw, panel(fw, values), fi.methodology_from_dict(meth, "m.yaml"))


def refused(error, meth: dict, fw=None, values=VALUES) -> str:
    """The one-line message of the error a build with ``meth`` raises."""
    with pytest.raises(error) as info:
        build(meth, fw, values)
    return str(info.value)


@contextmanager
def no_runtime_warning():
    """A context in which a NumPy RuntimeWarning fails the test."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        yield


# ------------------------------------------------------------------------ 1. weights

def test_sibling_weights_whose_sum_overflows_are_refused_naming_the_node():
    with pytest.raises(fi.FrameworkError) as info:
        two_level_framework(weights=(1.0e308, 1.0e308, 1.0, 1.0))
    assert info.value.codes == ("F30",)
    assert "node 'idx/A': the weights of its children ['x1', 'x2'] add up" in str(info.value)


def test_weights_that_are_large_but_sum_finitely_give_the_scores_of_small_ones():
    """Weights are relative: 1e300 and 1e300 are shares of 1/2, exactly as 1 and 1."""
    big = build({}, two_level_framework(weights=(1e300, 1e300, 3e300, 3e300)))
    small = build({}, two_level_framework(weights=(1.0, 1.0, 3.0, 3.0)))
    np.testing.assert_array_equal(big.score_array, small.score_array)
    assert big.ranks("idx")[2020].tolist() == [1, 2, 2]


@pytest.mark.parametrize("weight", [
    {"method": "w_explicit", "values": [1.0e308, 1.0e308]},
    {"method": "w_budget", "points": [1.0e308, 1.0e308]}])
def test_explicit_and_budget_weights_whose_sum_overflows_are_refused(weight):
    msg = refused(fi.MethodologyError, {"weight": {"method": "w_explicit",
                                                   "by_node": {"A": weight}}})
    assert msg.endswith("is not accepted (accepted: a list with a positive, finite sum) [M56]")
    assert "weight by_node A" in msg


def test_cli_build_with_overflowing_weights_exits_2_without_traceback(tmp_path):
    fw = tmp_path / "f.yaml"
    fw.write_text("index: {code: i, children: [{code: a, weight: 1.0e+308}, "
                  "{code: b, weight: 1.0e+308}]}\n" + units_yaml("X", "Y"))
    data = tmp_path / "d.csv"
    data.write_text("unit,year,a,b\nX,2024,1,2\nY,2024,3,1\n")
    r = runner.invoke(app, ["build", str(fw), str(data), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "[F30]" in r.output and "f.yaml: node 'i'" in r.output


# ------------------------------------------------------------------- 2. rank.decimals

@pytest.mark.parametrize("decimals", [1e20, 10**20, -400, -1, 16, 2.5, float("nan"), True])
def test_rank_decimals_outside_0_to_15_are_refused(decimals):
    with pytest.raises(fi.MethodologyError) as info:
        fi.methodology_from_dict({"rank": {"decimals": decimals}}, "m.yaml")
    assert info.value.codes == ("M05",)
    assert "m.yaml: field 'rank.decimals': " in str(info.value)
    assert "is not a whole number of decimals from 0 to 15" in str(info.value)


def test_rank_decimals_round_before_ranking():
    """54.1667, 50, 50 at 0 decimals: 54, 50, 50; at 15 the same as none."""
    assert build({"rank": {"decimals": 0}}).ranks("idx")[2020].tolist() == [1, 2, 2]
    assert build({"rank": {"decimals": 15.0}}).methodology.rank.decimals == 15


def test_cli_build_with_decimals_1e20_exits_2_without_traceback(tmp_path):
    fw = tmp_path / "f.yaml"
    fw.write_text("index: {code: i, children: [{code: a}, {code: b}]}\n" + units_yaml("X", "Y"))
    data = tmp_path / "d.csv"
    data.write_text("unit,year,a,b\nX,2024,1,2\nY,2024,3,1\n")
    meth = tmp_path / "m.yaml"
    meth.write_text("rank: {decimals: 100000000000000000000}\n")
    r = runner.invoke(app, ["build", str(fw), str(data), "-m", str(meth), "--out",
                            str(tmp_path / "o")])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "m.yaml: field 'rank.decimals'" in r.output and "[M05]" in r.output


# ---------------------------------------------------------------------- 3. a_genmean

def test_genmean_of_a_large_power_by_hand():
    """x = (1, 4), w = (1, 3), p = 1000: 4 (0.75 + 0.25 (1/4)^1000)^(1/1000), and
    (1/4)^1000 underflows to 0, so 4 * 0.75^(1/1000) = 3.99884944...; p = -1000:
    1 * (0.25 + 0.75 * 4^-1000)^(-1/1000) = 0.25^(-1/1000) = 1.00138726..."""
    x, w = np.array([[1.0, 4.0]]), np.array([1.0, 3.0])
    assert a_genmean(x, w, p=1000)[0] == pytest.approx(4 * 0.75 ** (1 / 1000), rel=1e-15)
    assert a_genmean(x, w, p=-1000)[0] == pytest.approx(0.25 ** (-1 / 1000), rel=1e-15)
    assert a_genmean(x, w, p=1e300)[0] == 4.0 and a_genmean(x, w, p=-1e300)[0] == 1.0
    assert a_genmean(x, w, p=2)[0] == 3.5  # sqrt((1 + 48) / 4), unchanged


def test_genmean_meets_the_named_means():
    x = np.array([[1.0, 4.0, 9.0], [0.5, 0.5, 2.0]])
    w = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(a_genmean(x, w, p=1), a_amean(x, w), rtol=1e-15)
    np.testing.assert_allclose(a_genmean(x, w, p=-1), a_hmean(x, w), rtol=1e-15)
    # towards p = 0 the power mean tends to the geometric mean (the expm1 form keeps it)
    np.testing.assert_allclose(a_genmean(x, w, p=1e-9), a_gmean(x, w), rtol=1e-8)
    np.testing.assert_allclose(a_genmean(x, w, p=-1e-12), a_gmean(x, w), rtol=1e-11)


def test_genmean_zero_children():
    w = np.ones(2)
    assert a_genmean(np.array([[0.0, 0.0]]), w, p=3)[0] == 0.0
    assert a_genmean(np.array([[0.0, 8.0]]), w, p=-2)[0] == 0.0  # as the harmonic mean
    assert a_genmean(np.array([[0.0, 8.0]]), w, p=1)[0] == 4.0
    assert np.isnan(a_genmean(np.array([[-1.0, 8.0]]), w, p=2)[0])


@given(arrays(np.float64, (4, 3), elements=st.floats(0, 1e300)),
       arrays(np.float64, 3, elements=st.floats(1e-3, 1e3)),
       st.one_of(st.floats(1e-6, 1e308), st.floats(-1e308, -1e-6)))
def test_genmean_lies_between_the_smallest_and_largest_child(x, w, p):
    """min <= M_p <= max for every p (COINr a_genmean), however large |p| or x."""
    with no_runtime_warning():
        m = a_genmean(x, w, p=p)
    assert np.isfinite(m).all()
    assert (x.min(axis=1) <= m).all() and (m <= x.max(axis=1)).all()


def test_build_with_genmean_p_1000_ranks_by_the_largest_child():
    """p: 1000 gave every score inf and every unit rank 1; the mean of a large p is close
    to the largest child. A's children (min-max 0-100): u0 (0, 50), u1 (50, 0),
    u2 (100, 100): u0 50 * (0.5 * 0 + 0.5 * 1)^(1/1000), u2 100."""
    res = build({"aggregate": {"method": "a_genmean", "p": 1000}})
    a = res.scores("A")[2020]
    assert np.isfinite(res.score_array).all()
    assert a.iloc[0] == pytest.approx(50 * 0.5 ** (1 / 1000), rel=1e-14)
    assert a.iloc[1] == a.iloc[0] and a.iloc[2] == 100.0
    assert res.ranks("A")[2020].tolist() == [2, 2, 1]


# ------------------------------------------------------------------------- 4. a_bod

def eight_indicators():
    return fi.framework_from_dict({"index": {"code": "idx", "children": [
        {"code": f"x{k}"} for k in range(8)]}}, "synthetic.yaml")


EIGHT = np.random.default_rng(3).uniform(1, 10, (6, 8)).tolist()


@pytest.mark.parametrize("bounds", ["weight_bounds", "share_bounds"])
def test_bod_bounds_eight_children_cannot_meet_are_refused_naming_the_node(bounds):
    """[0.2, 0.3] over 8 children: the shares would sum to at least 1.6."""
    msg = refused(fi.MethodologyError, {"aggregate": {"method": "a_bod", bounds: [0.2, 0.3]}},
                  eight_indicators(), EIGHT)
    assert msg == (f"m.yaml: aggregate: node 'idx' (a_bod): {bounds} = [0.2, 0.3] cannot be "
                   "met by 8 children, whose shares sum to 1 (accepted: lo <= hi, lo <= 1/8 "
                   "= 0.125 <= hi) [M20]")


def test_bod_bounds_upside_down_are_refused():
    msg = refused(fi.MethodologyError, {"aggregate": {"method": "a_bod",
                                                      "weight_bounds": [0.15, 0.10]}},
                  eight_indicators(), EIGHT)
    assert "weight_bounds = [0.15, 0.1] is not accepted (accepted: [lower, upper] with " \
           "lower <= upper) [M56]" in msg


def test_bod_with_the_handbooks_bounds_scores_every_unit_above_zero():
    """Table 19's 10-15% over 8 children can be met: no unit scores 0, the best 1."""
    res = build({"aggregate": {"method": "a_bod", "weight_bounds": [0.10, 0.15]}},
                eight_indicators(), EIGHT)
    s = res.scores("idx")[2020]
    assert (s > 0).all() and s.max() == pytest.approx(1.0)


def test_bod_never_answers_with_all_zero_weights():
    """A child of value 0 cannot have a share >= 0.1: only all-zero weights meet the share
    bounds for unit 0, which is refused instead of scoring it 0."""
    x = np.array([[0.0, 5.0], [3.0, 4.0], [5.0, 1.0]])
    with pytest.raises(ValueError, match="only all-zero weights meet the bounds for unit 0"):
        bod(x, share_bounds=(0.1, 0.9))
    scores, weights = bod(x[1:], share_bounds=(0.1, 0.9))
    assert (weights.sum(axis=-1) > 0).all() and (scores > 0).all()
    assert a_bod(np.zeros((2, 2)), np.ones(2)).tolist() == [0.0, 0.0]  # nothing to weigh


# ------------------------------------------------------------ 5. units and dimensions

def test_a_unit_without_data_is_left_unranked_when_nothing_is_imputed():
    res = build({}, values=VALUES + [[np.nan] * 4])
    assert res.ranks("idx")[2020].tolist()[:3] == [1, 2, 2]
    assert np.isnan(res.ranks("idx")[2020].iloc[3])


def test_a_unit_without_data_is_not_imputed_and_ranked():
    msg = refused(fi.MethodError, {"impute": "i_mean"}, values=VALUES + [[np.nan] * 4])
    assert "'u3'" in msg and msg.endswith("[A20]")
    # a unit with one observed value is imputed as before
    res = build({"impute": "i_mean"}, values=VALUES + [[np.nan, np.nan, np.nan, 2.0]])
    assert not np.isnan(res.ranks("idx")[2020]).any()


def test_a_dimension_without_any_value_is_refused_naming_it():
    msg = refused(fi.MethodError, {}, values=[[1.0, 2.0, np.nan, np.nan],
                                              [2.0, 1.0, np.nan, np.nan]])
    assert "node 'idx': its child(ren) ['B'] have no value for any unit in year 2020" in msg
    assert "give data for 'idx/B'" in msg


def test_a_screen_that_keeps_no_unit_is_refused():
    msg = refused(fi.MethodError, {"screen": {"dat_thresh": 1.0}},
                  values=[[1.0, 2.0, 3.0, np.nan], [2.0, np.nan, 4.0, 3.0]])
    assert "keeps no unit" in msg and msg.endswith("[A22]")


# ------------------------------------------------------- 6. by_level, exclude_levels

def test_by_level_of_an_existing_level_is_used_and_of_no_level_is_refused():
    res = build({"aggregate": {"method": "a_amean", "by_level": {3: "a_gmean"}}})
    assert res.methodology.aggregate.by_level[3].method == "a_gmean"
    msg = refused(fi.MethodologyError, {"normalise": {"method": "n_minmax",
                                                      "by_level": {2: "n_rank"}}})
    assert "normalise.by_level: level 2 is not a level of the indicators" in msg
    assert msg.endswith("(accepted: 1; 1 = indicators) [M21]")


def test_exclude_levels_of_a_unit_level_excludes_those_units():
    """u1 is at level 'borough' (a level of these units, not a framework level name)."""
    fw = two_level_framework()
    levels = pd.DataFrame({"level": ["city", "borough", "city"]}, index=["u0", "u1", "u2"])
    p = fi.panel_from_arrays(np.array([VALUES]), fw, ["u0", "u1", "u2"], [2020], meta=levels)
    res = fi.build(fw, p, fi.methodology_from_dict({"rank": {"exclude_levels": ["borough"]}}))
    ranks = res.ranks("idx")[2020]
    assert ranks["u0"] == 1 and ranks["u2"] == 2 and np.isnan(ranks["u1"])
    with pytest.raises(fi.MethodologyError, match=r"'boroguh' is not a level of any unit "
                                                  r"\(did you mean 'borough'\?\)"):
        fi.build(fw, p, fi.methodology_from_dict({"rank": {"exclude_levels": ["boroguh"]}}))


# --------------------------------------------------------------------- 7. audit spec

@pytest.mark.parametrize("text, where", [
    ("seed: -1\n", "field 'seed': Input should be greater than or equal to 0"),
    ("top: -3\n", "field 'top': Input should be greater than or equal to 1"),
    ("factors: [{name: w, stage: weights, noise: 0.2}, {name: w, stage: exclude}]\n",
     "field 'factors': Value error, factor name(s) ['w'] given more than once"),
    ("factors: [{name: w, stage: weight_sets, sets: {e: {A: .nan}}}]\n",
     "weight set 'e': A = nan; a weight is a finite number, 0 or more"),
    ("factors: [{name: w, stage: weight_sets, sets: {e: {A: .inf}}}]\n",
     "weight set 'e': A = inf; a weight is a finite number, 0 or more"),
    ("factors: [{name: w, stage: weight_sets, sets: {e: {A: 1.0e+308, B: 1.0e+308}}}]\n",
     "weight set 'e': its weights add up to more than a float holds"),
])
def test_an_invalid_audit_spec_field_is_refused_naming_it(tmp_path, text, where):
    (tmp_path / "u.yaml").write_text(text)
    with pytest.raises(fi.MethodologyError) as info:
        load_spec(tmp_path / "u.yaml")
    assert info.value.codes == ("M15",)
    assert str(info.value).startswith("u.yaml: ") and where in str(info.value)


def test_an_audit_year_the_data_do_not_have_is_refused_and_one_they_have_is_used():
    fw = two_level_framework()
    p = panel(fw, [VALUES, VALUES[::-1]])
    with pytest.raises(fi.MethodologyError) as info:
        Engine(fw, p, fi.Methodology(), UncertaintySpec.model_validate({"year": 1999}))
    assert str(info.value) == ("uncertainty spec: year 1999 is not a year of the data "
                               "(synthetic: 2020, 2021); give one of them, or no year for the "
                               "latest [M23]")
    e = Engine(fw, p, fi.Methodology(), UncertaintySpec.model_validate({"year": 2020}))
    assert e.nominal_rank.tolist() == [1, 2, 2]


def test_cli_audit_with_seed_minus_1_exits_2_without_traceback(tmp_path):
    spec = tmp_path / "u.yaml"
    spec.write_text("seed: -1\nfactors: [{name: w, stage: weights, noise: 0.2}]\n")
    r = runner.invoke(app, ["audit", "--example", "tai", "--spec", str(spec), "--out",
                            str(tmp_path / "a")])
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "u.yaml: field 'seed'" in r.output and "[M15]" in r.output


# -------------------------------------------------------------------------- 8. M16

def test_m16_names_the_screen_and_the_units_it_drops_without_a_numpy_warning():
    fw = two_level_framework()
    values = VALUES + [[np.nan, np.nan, np.nan, 1.0]]
    meth = fi.methodology_from_dict({"screen": {"dat_thresh": 0.5}})
    with no_runtime_warning(), pytest.raises(fi.MethodologyError) as info:
        Engine(fw, panel(fw, values), meth, UncertaintySpec())
    assert str(info.value) == (
        "audit: the methodology's screen (dat_thresh: 0.5, unit_screen: byNA, nzero_thresh: "
        "0) drops 1 unit(s) of the data: 'u3'; every replication must rank the same units: "
        "audit without screen, or audit data of the units the screen keeps [M16]")


def test_m16_names_the_factor_option_under_which_units_are_dropped():
    """Imputed (nominal), every unit passes the screen; option 2 (no imputation) drops u3."""
    fw = two_level_framework()
    values = VALUES + [[np.nan, np.nan, 2.0, 1.0]]
    meth = fi.methodology_from_dict({"impute": "i_mean", "screen": {"dat_thresh": 0.6}})
    spec = UncertaintySpec.model_validate({"factors": [
        {"name": "imp", "stage": "impute", "options": ["i_mean", "none"]}], "n": 64})
    e = Engine(fw, panel(fw, values), meth, spec)
    with no_runtime_warning(), pytest.raises(fi.MethodologyError) as info:
        uncertainty(e)
    assert "drops 1 unit(s) of the data under option 2 of factor 'imp': 'u3'" in str(info.value)


def test_an_audit_of_large_weight_sets_emits_no_runtime_warning():
    fw = two_level_framework()
    spec = UncertaintySpec.model_validate({"n": 32, "factors": [
        {"name": "w", "stage": "weight_sets", "sets": {"a": {"A": 1e300, "B": 1e300},
                                                       "b": {"A": 1.0, "B": 0.0}}}]})
    with no_runtime_warning():
        u = uncertainty(Engine(fw, panel(fw, VALUES), fi.Methodology(), spec))
    assert np.isfinite(u.scores).all()
    assert math.isfinite(float(u.scores.max()))
