"""Coverage said: each unit's share of index weight on observed values, in every ranking,
and the one rule that marks a unit under half (never dropping it)."""

import numpy as np
import pandas as pd
import pytest

import fintech_index as fi
from fintech_index.build import OBSERVED_WEIGHT_MIN

from .helpers import panel, two_level_framework


def test_observed_weight_hand_worked(tmp_path):
    """Weights A: x1 1, x2 3; B: x3 1, x4 1 (pillars equal): effective 1/8, 3/8, 1/4, 1/4.
    u1 lacks x2 and x3 (imputed): 1/8 + 1/4 = 0.375 observed, under half; u2 lacks x1 only:
    0.875."""
    fw = two_level_framework(weights=(1.0, 3.0, 1.0, 1.0))
    values = [[1.0, 2.0, 3.0, 4.0], [2.0, np.nan, np.nan, 3.0], [np.nan, 3.0, 1.0, 2.0],
              [4.0, 1.0, 2.0, 1.0]]
    r = fi.build(fw, panel(fw, values), fi.methodology_from_dict(
        {"impute": {"method": "i_mean"}}, "m.yaml"))
    assert r.effective_weights().to_dict() == pytest.approx(
        {"x1": 0.125, "x2": 0.375, "x3": 0.25, "x4": 0.25})
    assert r.observed_weight().to_dict() == pytest.approx(
        {"u0": 1.0, "u1": 0.375, "u2": 0.875, "u3": 1.0})
    frame = r.ranking()
    assert list(frame.columns[:5]) == ["name", "rank", "score", "observed_weight",
                                       "under_half_observed"]
    assert frame["under_half_observed"].to_dict() == {"u0": False, "u1": True, "u2": False,
                                                      "u3": False}
    assert frame["rank"].notna().all()  # marked, not dropped
    r.write(tmp_path)
    csv = pd.read_csv(tmp_path / "ranking_2020.csv", index_col=0)
    assert csv.at["u1", "observed_weight"] == pytest.approx(0.375)
    assert bool(csv.at["u1", "under_half_observed"]) and OBSERVED_WEIGHT_MIN == 0.5


def test_fintech_editions_mark_the_cities_under_half_observed():
    """Munich, Miami, Bengaluru and Delhi (outside GPCI): 14 of 23 values imputed; their 9
    observed (unicorn count and value, all unicorns, VC rank, GFCI, GaWC, QS, and their
    country's 2 national figures) carry 47.2% of the 2024 weight and 41.1% of 2025's."""
    from fintech_index.gfcdi import load_editions

    want = {2024: 0.472222, 2025: 0.411111}
    for y, res in load_editions().own.items():
        f = res.ranking(y)
        low = f[f["under_half_observed"]]
        four = ["BLR", "DEL", "MIA", "MUC"]
        assert set(low.index) - {"SZX"} == set(four), y
        assert f.loc[four, "observed_weight"].to_numpy() == pytest.approx([want[y]] * 4,
                                                                          abs=1e-6)
        assert (f.loc[~f["under_half_observed"], "observed_weight"] >= 0.5).all()
        assert f["rank"].notna().all()
    # Shenzhen (its exchange's capitalisation observed too): 10 of 23 observed, 50.9% of the
    # 2024 weight (not marked), 44.4% of 2025's (marked)
    eds = load_editions()
    assert eds.own[2024].observed_weight(2024)["SZX"] == pytest.approx(0.509259, abs=1e-6)
    assert eds.own[2025].ranking(2025).at["SZX", "under_half_observed"]
