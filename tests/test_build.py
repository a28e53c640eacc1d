"""build(): a hand-worked two-level index, per-node choices, ranks, properties, determinism."""

import hashlib
import os
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import fintech_index as fi

from .helpers import panel, two_level_framework

FW = two_level_framework()
# 3 units x 4 indicators, one year
VALUES = [[0.0, 10.0, 1.0, 100.0],
          [5.0, 20.0, 3.0, 300.0],
          [10.0, 40.0, 2.0, 200.0]]


def test_hand_worked_minmax_amean():
    """min-max 0-100 per indicator:
    x1 (0,5,10) -> (0,50,100); x2 (10,20,40) -> (0,33.33,100); x3 (1,3,2) -> (0,100,50);
    x4 (100,300,200) -> (0,100,50). A = mean(x1,x2) = (0, 41.67, 100);
    B = mean(x3,x4) = (0, 100, 50); index = (0, 70.83, 75). Ranks: u2 1st, u1 2nd, u0 3rd."""
    res = fi.build(FW, panel(FW, VALUES))
    np.testing.assert_allclose(res.scores("A")[2020], [0, 125 / 3, 100])
    np.testing.assert_allclose(res.scores("B")[2020], [0, 100, 50])
    np.testing.assert_allclose(res.scores("idx")[2020], [0, 425 / 6, 75])
    assert res.ranks("idx")[2020].tolist() == [3, 2, 1]
    assert res.ranks("B")[2020].tolist() == [3, 1, 2]
    top = res.ranking(2020)
    assert top.index.tolist() == ["u2", "u1", "u0"]
    assert top.loc["u1", "A.score"] == pytest.approx(125 / 3)


def test_per_level_and_per_node_choices():
    """Index by geometric mean of A=(0,41.67,100)... zero gives 0; B by a_genmean p=2 on
    x3,x4 -> u1: sqrt((100^2+100^2)/2) = 100; u2: 50."""
    meth = fi.methodology_from_dict({
        "aggregate": {"method": "a_amean", "by_level": {3: "a_gmean"},
                      "by_node": {"B": {"method": "a_genmean", "params": {"p": 2}}}}})
    res = fi.build(FW, panel(FW, VALUES), meth)
    assert res.scores("B")[2020].tolist() == [0.0, 100.0, 50.0]
    assert res.scores("idx")[2020].iloc[0] == 0.0
    assert res.scores("idx")[2020].iloc[2] == pytest.approx(np.sqrt(100 * 50))


def test_ties_share_the_best_rank_unless_the_methodology_says_otherwise():
    vals = [[1, 1, 1, 1], [1, 1, 1, 1], [0, 0, 0, 0], [2, 2, 2, 2]]
    for ties, expected in [("min", [2, 2, 4, 1]), ("max", [3, 3, 4, 1]),
                           ("average", [2.5, 2.5, 4, 1]), ("dense", [2, 2, 3, 1]),
                           ("ordinal", [2, 3, 4, 1])]:
        meth = fi.methodology_from_dict({"rank": {"ties": ties}})
        assert fi.build(FW, panel(FW, vals), meth).ranks()[2020].tolist() == expected, ties


def test_negative_direction_and_lower_is_better_index():
    fw = two_level_framework(directions=(1, -1, 1, 1))
    res = fi.build(fw, panel(fw, VALUES))
    np.testing.assert_allclose(res.scores("x2")[2020], [100, 200 / 3, 0])
    assert res.ranks("x2")[2020].tolist() == [1, 2, 3]


def test_missing_values_propagate_with_na_rm_false_and_are_not_ranked():
    """u0 lacks x4: with na_rm: false B and the index of u0 are missing. x4 over u1, u2
    (300, 200) -> (100, 0), so B = (100, 25) and the index = (70.83, 62.5): u1 first, u2
    second."""
    vals = np.array(VALUES)
    vals[0, 3] = np.nan
    meth = fi.methodology_from_dict({"aggregate": {"method": "a_amean", "na_rm": False}})
    res = fi.build(FW, panel(FW, vals), meth)
    assert np.isnan(res.scores("B")[2020].iloc[0]) and np.isnan(res.ranks()[2020].iloc[0])
    assert res.ranks()[2020].tolist()[1:] == [1, 2]


def test_missing_child_skipped_by_default_as_coinr():
    """COINr's a_amean skips a missing child: u0's B is its x3 alone (1 of (1, 3, 2) -> 0),
    its index mean(A = 0, B = 0) = 0; u1 and u2 as above (70.83, 62.5)."""
    vals = np.array(VALUES)
    vals[0, 3] = np.nan
    res = fi.build(FW, panel(FW, vals))
    np.testing.assert_allclose(res.scores("B")[2020], [0, 100, 25])
    np.testing.assert_allclose(res.scores("idx")[2020], [0, 425 / 6, 62.5])
    assert res.ranks()[2020].tolist() == [3, 1, 2]


def test_errors_name_the_node_unit_and_year():
    with pytest.raises(fi.MethodError, match=r"indicator 'x1', unit 'u0', year 2020"):
        fi.build(FW, panel(FW, [[1, 2, 3, 4], [1, 5, 6, 7]]))  # x1 constant: min-max undefined
    meth = fi.methodology_from_dict({"normalise": {"method": "n_zscore"},
                                     "aggregate": {"method": "a_gmean"}})
    with pytest.raises(fi.MethodError, match=r"node 'idx/A' \(a_gmean\) gives no value at unit"):
        fi.build(FW, panel(FW, VALUES), meth)
    with pytest.raises(fi.MethodError, match="needs goalposts but indicator"):
        fi.build(FW, panel(FW, VALUES), fi.methodology_from_dict(
            {"normalise": {"method": "n_goalposts"}}))


@pytest.mark.parametrize("raw, message", [
    ({"normalise": {"method": "n_magic"}}, "unknown normalise method 'n_magic'"),
    ({"aggregate": {"method": "a_amean", "params": {"q": 1}}}, "has no parameter(s) ['q']"),
    ({"aggregate": {"method": "a_amean", "by_node": {"Z": "a_gmean"}}}, "'Z' is not an aggr"),
    ({"round": {"nope": 3}}, "round: 'nope' is not a node"),
])
def test_methodology_checked_against_the_framework(raw, message):
    with pytest.raises(fi.MethodologyError, match=message.replace("(", r"\(").replace(
            ")", r"\)").replace("[", r"\[").replace("]", r"\]")):
        fi.build(FW, panel(FW, VALUES), fi.methodology_from_dict(raw))


def test_methodology_file_errors_and_stable_hash(tmp_path):
    with pytest.raises(fi.MethodologyError, match="m.yaml: unknown field 'treet'"):
        fi.methodology_from_dict({"treet": {}}, "m.yaml")
    with pytest.raises(fi.MethodologyError, match="field 'treat.method': Field required"):
        fi.methodology_from_dict({"treat": {}}, "m.yaml")
    with pytest.raises(fi.MethodologyError, match="field 'rank.ties'"):
        fi.methodology_from_dict({"rank": {"ties": "random"}}, "m.yaml")
    a = fi.methodology_from_dict({"aggregate": {"method": "a_amean", "by_node": {"B": "a_gmean"}}})
    b = fi.methodology_from_dict({"aggregate": {"by_node": {"B": {"method": "a_gmean"}},
                                                "method": "a_amean"}})
    assert a.hash == b.hash
    assert a.hash != fi.Methodology().hash
    p = tmp_path / "m.yaml"
    p.write_text(a.to_yaml())
    assert fi.load_methodology(p).hash == a.hash
    # pinned: the canonical form of the defaults must not drift silently between versions
    assert fi.Methodology().canonical_json() == (
        '{"aggregate":{"by_level":{},"by_node":{},"method":"a_amean","params":{},'
        '"reason":null},"denominate":false,"impute":null,"name":null,"normalise":{"by_level":{},'
        '"by_node":{},"method":"n_minmax","params":{"l_u":[0,100]},"reason":null},'
        '"rank":{"decimals":null,"exclude_levels":[],"ties":"min"},"round":{},"screen":null,'
        '"treat":null,"weight":{"by_level":{},"by_node":{},"method":"w_explicit","params":{},'
        '"reason":null}}')


@given(arrays(np.float64, (6, 4), elements=st.integers(0, 1000).map(float)),
       st.permutations(range(6)))
def test_permuting_units_permutes_the_results(vals, perm):
    perm = list(perm)
    meth = fi.methodology_from_dict({
        "normalise": {"method": "n_minmax", "params": {"l_u": [1, 100]}},
        "aggregate": {"method": "a_gmean"}})
    try:
        r1 = fi.build(FW, panel(FW, vals), meth)
    except fi.MethodError:  # a constant indicator: undefined either way
        with pytest.raises(fi.MethodError):
            fi.build(FW, panel(FW, vals[perm]), meth)
        return
    r2 = fi.build(FW, panel(FW, vals[perm]), meth)
    np.testing.assert_allclose(r2.score_array[0], r1.score_array[0][perm], rtol=1e-12)
    np.testing.assert_array_equal(r2.rank_array[0], r1.rank_array[0][perm])


@given(arrays(np.float64, (5, 4), elements=st.integers(1, 1000).map(float)),
       st.integers(0, 4), st.integers(0, 3), st.floats(0.5, 500),
       st.sampled_from(["a_amean", "a_gmean"]))
def test_raising_an_indicator_in_its_good_direction_never_lowers_a_score(vals, u, j, d, agg):
    fw = two_level_framework(goalposts=[(0, 2000)] * 4)
    meth = fi.methodology_from_dict({"normalise": {"method": "n_goalposts"},
                                     "aggregate": {"method": agg}})
    up = vals.copy()
    up[u, j] += d
    before = fi.build(fw, panel(fw, vals), meth).scores()[2020]
    after = fi.build(fw, panel(fw, up), meth).scores()[2020]
    assert after.iloc[u] >= before.iloc[u]


def test_results_frames_and_files(tmp_path):
    res = fi.build(FW, panel(FW, np.array([VALUES, VALUES]), years=[2024, 2025]))
    assert res.scores("A").shape == (3, 2) and list(res.scores("A").columns) == [2024, 2025]
    long = res.to_long()
    assert len(long) == 2 * 3 * len(FW.node_codes)
    files = {p.name for p in res.write(tmp_path)}
    assert {"results.parquet", "ranking_2024.csv", "ranking_2025.csv", "methodology.yaml",
            "manifest.json"} <= files
    import pandas as pd
    back = pd.read_parquet(tmp_path / "results.parquet")
    assert back["score"].equals(long["score"])
    with pytest.raises(fi.MethodError, match="year 1999 is not in the results"):
        res.ranking(1999)
    with pytest.raises(fi.MethodError, match="'Q' is not a node"):
        res.scores("Q")


SCRIPT = """
import sys, fintech_index as fi
ex = fi.examples.load("phdi")
ex.build().write(sys.argv[1])
"""


def _digest(folder):
    h = hashlib.sha256()
    for p in sorted(folder.iterdir()):
        h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


@pytest.mark.slow
def test_identical_inputs_give_identical_files_across_processes(tmp_path):
    digests = []
    for seed in ("0", "12345"):
        out = tmp_path / f"run{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-c", SCRIPT, str(out)], check=True, env=env)
        digests.append(_digest(out))
    assert digests[0] == digests[1]


def test_a_methodology_with_params_that_are_not_a_mapping_is_refused():
    """Found by benchmarks/robustness.py: inline parameters beside a non-mapping 'params'."""
    with pytest.raises(fi.MethodologyError, match="m.yaml: field 'weight"):
        fi.methodology_from_dict({"weight": {"method": "w_explicit", "params": 2026,
                                             "weight": ""}}, "m.yaml")
