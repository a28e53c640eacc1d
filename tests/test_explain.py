"""explain(): score differences split by indicator (hand-worked, ASEM, the fintech edition,
a geometric mean) and the comparison with a published ranking."""

import math

import numpy as np
import pytest

import fintech_index as fi

from .helpers import panel, two_level_framework

VALUES = [[1.0, 2.0, 3.0, 4.0], [2.0, 1.0, 4.0, 3.0], [3.0, 3.0, 1.0, 2.0]]
MINMAX = {"normalise": {"method": "n_minmax", "l_u": [0, 100]},
          "aggregate": {"method": "a_amean"}}


def build(meth: dict, values=VALUES):
    fw = two_level_framework()
    return fi.build(fw, panel(fw, values), fi.methodology_from_dict(meth, "m.yaml"))


def test_hand_worked_arithmetic():
    """Min-max 0-100 of the three units: x1 (0, 50, 100), x2 (50, 0, 100), x3 (66.7, 100, 0),
    x4 (100, 50, 0); every effective weight 1/4. u0 - u1 = 54.1667 - 50 = 4.1667 =
    0.25 * (-50) + 0.25 * 50 + 0.25 * (-33.33) + 0.25 * 50."""
    e = fi.explain(build(MINMAX), "u0", "u1")
    assert e.difference == pytest.approx(25 / 6, abs=1e-12)
    assert e.contributions["contribution"].to_dict() == pytest.approx(
        {"x1": -12.5, "x2": 12.5, "x3": -25 / 3, "x4": 12.5}, abs=1e-12)
    assert (e.contributions["weight"] == 0.25).all()
    assert list(e.top(2).index) in (["x2", "x1"], ["x1", "x2"], ["x2", "x4"], ["x4", "x2"],
                                    ["x1", "x4"], ["x4", "x1"])
    assert fi.explain(build(MINMAX), "u1", "u0").difference == pytest.approx(-25 / 6)


def test_geometric_mean_splits_in_logs():
    """Geometric index of two arithmetic pillars: the log terms of A and B sum to
    log(score a / score b), and the contributions still sum to the difference."""
    meth = {"normalise": {"method": "n_minmax", "l_u": [1, 100]},
            "aggregate": {"method": "a_amean", "by_node": {"idx": {"method": "a_gmean"}}}}
    r = build(meth)
    e = fi.explain(r, "u2", "u0")
    s = r.scores()[r.years[0]]
    assert e.contributions["contribution"].sum() == pytest.approx(s["u2"] - s["u0"], abs=1e-9)
    a, b = r.scores("A")[r.years[0]], r.scores("B")[r.years[0]]
    # A (x1, x2): u2 100 vs u0 mean(1, 50.5); B: u2 1 vs u0 mean(67, 100)
    log_a = 0.5 * math.log(a["u2"] / a["u0"])
    log_b = 0.5 * math.log(b["u2"] / b["u0"])
    c = e.contributions["contribution"]
    assert c["x1"] + c["x2"] == pytest.approx((s["u2"] - s["u0"]) * log_a / (log_a + log_b))
    assert log_a + log_b == pytest.approx(math.log(s["u2"] / s["u0"]))


def test_contributions_sum_to_the_difference_on_asem():
    r = fi.examples.load("asem").build()
    y = r.years[-1]
    worst = max(abs(e.contributions["contribution"].sum() - e.difference)
                for a in r.units[::3] for b in r.units[1::4]
                for e in [fi.explain(r, a, b, y)])
    assert worst < 1e-9
    # arithmetic throughout: each contribution is effective weight x score difference
    e = fi.explain(r, r.units[0], r.units[1], y)
    c = e.contributions
    np.testing.assert_allclose(c["contribution"], c["weight"] * (c["score_a"] - c["score_b"]),
                               atol=1e-12)


def test_contributions_sum_to_the_difference_on_the_fintech_edition():
    from fintech_index.gfcdi import load_editions

    for y, r in load_editions().own.items():
        worst = max(abs(e.contributions["contribution"].sum() - e.difference)
                    for a in r.units for b in r.units[::5] for e in [fi.explain(r, a, b, y)])
        assert worst < 1e-9, y


def test_compare_published_hand_worked():
    """x4 of u2 is 3.5: min-max x1 (0, 50, 100), x2 (50, 0, 100), x3 (66.7, 100, 0),
    x4 (100, 0, 50): u0 54.17, u1 37.5, u2 62.5, so ours u2 1, u0 2, u1 3. Published u0 1,
    u2 2, u1 3: Spearman 1 - 6 * 2 / 24 = 0.5, Kendall (2 - 1) / 3, top 1 shared 0. u0 is
    published 1st, where we rank u2: u0 - u2 = -25 - 12.5 + 16.67 + 12.5 = -8.33."""
    r = build(MINMAX, [VALUES[0], VALUES[1], [3.0, 3.0, 1.0, 3.5]])
    assert r.ranks()[r.years[0]].to_dict() == {"u0": 2, "u1": 3, "u2": 1}
    c = fi.compare_published(r, {"u0": 1, "u1": 3, "u2": 2}, k=1, drivers=2)
    assert (c.units, c.k, c.top_k_shared) == (3, 1, 0)
    assert c.spearman == pytest.approx(0.5) and c.kendall == pytest.approx(1 / 3)
    t = c.table
    assert t.at["u0", "at_published"] == "u2" and t.at["u2", "at_published"] == "u0"
    assert t.at["u0", "difference"] == pytest.approx(-25 / 3)
    assert t.at["u0", "drivers"] == "x1 \u221225; x3 +16.7"
    assert t.at["u1", "at_published"] == "u1" and t.at["u1", "drivers"] == ""


@pytest.mark.parametrize(("code", "call"), [
    ("U60", lambda r: fi.explain(r, "nope", "u0")),
    ("U62", lambda r: fi.explain(r, "u0", "u1", 1999)),
    ("D75", lambda r: fi.compare_published(r, {"u0": 1, "zz": 2})),
])
def test_explain_refuses_bad_arguments(code, call):
    with pytest.raises(fi.FintechIndexError) as info:
        call(build(MINMAX))
    assert info.value.code == code


def test_explain_command_on_a_framework_and_data(tmp_path):
    """The CLI prints the hand-worked split and the comparison with a published file."""
    from typer.testing import CliRunner

    from fintech_index.cli import app

    (tmp_path / "f.yaml").write_text(
        "units: [{code: u0}, {code: u1}, {code: u2}]\n"
        "index: {code: idx, children: [{code: A, children: [{code: x1}, {code: x2}]},"
        " {code: B, children: [{code: x3}, {code: x4}]}]}\n")
    (tmp_path / "d.csv").write_text("unit,year,x1,x2,x3,x4\nu0,2020,1,2,3,4\n"
                                    "u1,2020,2,1,4,3\nu2,2020,3,3,1,3.5\n")
    (tmp_path / "p.csv").write_text("unit,rank\nu0,1\nu2,2\nu1,3\n")
    r = CliRunner().invoke(app, ["explain", "u0", "u1", "--framework", str(tmp_path / "f.yaml"),
                                 "--data", str(tmp_path / "d.csv"), "--top", "2",
                                 "--published", str(tmp_path / "p.csv")])
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    # u0 - u1 = 54.167 - 37.5: x4 +25 (100 vs 0), then x1 -12.5 and x2 +12.5; signed, with
    # the minus sign U+2212, the scores headed by the units' codes, no value imputed
    assert "u0 \u2212 u1, 2020: +16.667 (sum of the contributions)" in text
    assert "score u0 ┃ score u1 ┃ imputed" in text
    assert "x4 │ +25.000 │ 50 │" in text and "x1 │ \u221212.500 │ \u221225 │" in text
    assert "3 units ranked by both: Spearman 0.500, Kendall 0.333, top 10 shared 3" in text
    assert "x1 \u221225; x3 +16.7; x2 \u221212.5" in text
    r = CliRunner().invoke(app, ["explain", "u1", "u0", "--framework", str(tmp_path / "f.yaml"),
                                 "--data", str(tmp_path / "d.csv"), "--top", "1"])
    assert "u1 \u2212 u0, 2020: \u221216.667 (sum of the contributions)" in r.output


def test_explain_command_names_imputed_values():
    """On the bundled index, Shenzhen against Chicago (2025): Shenzhen's skilled-talent value
    is imputed (GPCI does not cover it) and the terminal says so on that row, by name."""
    from typer.testing import CliRunner

    from fintech_index.cli import app

    r = CliRunner().invoke(app, ["explain", "SZX", "CHI", "--top", "3"])
    assert r.exit_code == 0, r.output
    rows = {line.split("│")[1].strip(): [c.strip() for c in line.split("│")[1:-1]]
            for line in r.output.splitlines() if line.startswith("│")}
    assert list(rows) == ["student_city_rank", "economic_freedom", "skilled_talent"]
    assert rows["skilled_talent"][1] == "Availability of skilled human resources"
    assert rows["skilled_talent"][-1] == "SZX" and rows["economic_freedom"][-1] == ""
    assert rows["student_city_rank"][2] == "\u22123.812"
