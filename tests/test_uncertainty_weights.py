"""Uncertainty spec: weight noise restricted to one level (COINr's noise_specs$Level) and a
discrete choice among named weight sets (the OECD/JRC Handbook's sampling of expert
weightings, section 7.1)."""

import numpy as np
import pytest

import fintech_index as fi
from fintech_index.audit.engine import Engine, UncertaintySpec, load_spec
from fintech_index.audit.uncertainty import sobol_points, uncertainty
from fintech_index.methods import aggregate as ag
from fintech_index.methods import normalise as nm

from .helpers import panel, two_level_framework

TAI = fi.examples.load("tai")
SETS = {"BAP": [0.11, 0.11, 0.11, 0.18, 0.10, 0.06, 0.15, 0.18],
        "AHP": [0.09, 0.10, 0.07, 0.21, 0.05, 0.06, 0.18, 0.25]}


def spec(*factors, n=64):
    return UncertaintySpec.model_validate({"factors": list(factors), "n": n, "seed": 3})


def small_engine(*factors):
    fw = two_level_framework()
    values = [[1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 4.0, 3.0], [3.0, 3.0, 1.0, 2.0],
              [4.0, 2.0, 2.0, 1.0]]
    return Engine(fw, panel(fw, values), fi.methodology_from_dict({}), spec(*factors))


def test_noise_on_one_level_leaves_the_other_levels_weights_as_they_are():
    """The two-level framework has 4 indicator weights (level 1) and 2 pillar weights
    (A and B, level 2). Noise on level 1 moves only the first four slots, on level 2 only the last
    two; each factor has as many sample columns as weights it moves."""
    for level, moved in ((1, ["x1", "x2", "x3", "x4"]), (2, ["A", "B"])):
        eng = small_engine({"name": "w", "stage": "weights", "noise": 0.3, "level": level})
        levels = np.array([eng.framework.level_of(c) for c in eng.slot_nodes])
        assert eng.dimension == (levels == level).sum()
        u = sobol_points(eng.dimension, 32, seed=1)
        w = eng._decode(u)["weights"]
        kept = levels != level
        np.testing.assert_array_equal(w[:, kept], 1.0)  # weight multipliers
        assert (np.abs(w[:, ~kept] - 1) <= 0.3 + 1e-12).all()
        assert (w[:, ~kept] != 1).any()
        assert [c for c, k in zip(eng.slot_nodes, kept, strict=True) if not k] == moved


def test_weight_sets_give_exactly_the_builds_with_those_weights():
    """Each replication of the TAI with a weight-set factor is bit for bit the build with
    the drawn set's weights (aggregated by the same kernel), and both sets are drawn."""
    eng = Engine(TAI.framework, TAI.panel, TAI.methodology, spec(
        {"name": "experts", "stage": "weight_sets",
         "sets": {k: dict(zip(TAI.framework.indicators, v, strict=True))
                  for k, v in SETS.items()}}))
    ua = uncertainty(eng, n=64)
    g = nm.n_goalposts(TAI.panel.values[0], np.ones(8),
                       np.array([TAI.framework.nodes[c].goalposts
                                 for c in TAI.framework.indicators]))
    expected = {k: ag.a_amean(g, np.array(v)) for k, v in SETS.items()}
    drawn = []
    for row in ua.scores:
        match = [k for k, s in expected.items() if np.array_equal(row, s)]
        assert len(match) == 1
        drawn += match
    assert set(drawn) == set(SETS) and 20 < drawn.count("BAP") < 44


def test_a_set_naming_only_some_nodes_keeps_the_framework_weights_of_the_others():
    eng = small_engine({"name": "s", "stage": "weight_sets", "sets": {"a": {"x1": 3.0},
                                                                      "b": {"B": 0.0}}})
    table = eng.weight_sets["s"]
    np.testing.assert_array_equal(table[0], [3, 1, 1, 1, 1, 1])
    np.testing.assert_array_equal(table[1], [1, 1, 1, 1, 1, 0])


def test_the_bundled_tai_spec_runs_and_the_nominal_is_first_for_finland():
    eng = Engine(TAI.framework, TAI.panel, TAI.methodology,
                 load_spec(fi.examples.datasets_dir() / "tai" / "tai.uncertainty.yaml"))
    ua = uncertainty(eng, n=128)
    s = ua.summary()
    assert s.loc["FIN", "nominal_rank"] == 1 and s.loc["FIN", "p_top10"] == 1.0
    assert s.loc["SVN", "median_rank"] >= 20


def test_spec_refuses_weight_sets_without_sets_or_with_negative_weights():
    with pytest.raises(ValueError, match="at least one named set"):
        spec({"name": "s", "stage": "weight_sets"})
    with pytest.raises(ValueError, match=r"weight set 'a': x1 = -1.0; a weight is a finite "
                                         r"number, 0 or more"):
        spec({"name": "s", "stage": "weight_sets", "sets": {"a": {"x1": -1}}})
