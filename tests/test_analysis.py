"""The analyses of an edition on a small hand-worked two-edition example (synthetic).

Framework: index <- {A: x1, x2; B: x3, x4}, no normalisation, arithmetic means, so
A = (x1 + x2) / 2, B = (x3 + x4) / 2, index = (A + B) / 2.

2024  x1 x2 x3 x4 |  A     B    index  rank      2025  x1 x2 x3 x4 |  A   B   index  rank
P     90 80 70 60 | 85    65    75      2        P     95 85 80 70 | 90  75  82.5    2
Q     80 80 90 90 | 80    90    85      1        Q     80 84 86 90 | 82  88  85      1
R     60 70 50 50 | 65    50    57.5    3        R     60 60 60 60 | 60  60  60      4
S     50 40 60 70 | 45    65    55      4        S     70 66 62 58 | 68  60  64      3
"""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fintech_index as fi
from fintech_index.analysis import (
    compare,
    gap,
    head_to_head,
    profile,
    regional_leads,
    unchanged_top,
)
from fintech_index.analysis.edition import Edition
from fintech_index.publish.sentences import edition_sentences, ordinal

FW = fi.framework_from_dict({"index": {"code": "idx", "name": "Index", "children": [
    {"code": "A", "name": "Alpha", "children": [{"code": "x1"}, {"code": "x2"}]},
    {"code": "B", "name": "Beta", "children": [{"code": "x3"}, {"code": "x4"}]}]}},
    "synthetic.yaml")
META = pd.DataFrame({"name": ["Pville", "Qtown", "Rcity", "Sburg"],
                     "region": ["North America", "North America", "Asia", "Europe"]},
                    index=["P", "Q", "R", "S"])
V2024 = [[90, 80, 70, 60], [80, 80, 90, 90], [60, 70, 50, 50], [50, 40, 60, 70]]
V2025 = [[95, 85, 80, 70], [80, 84, 86, 90], [60, 60, 60, 60], [70, 66, 62, 58]]
METH = fi.methodology_from_dict({"normalise": "none", "aggregate": "a_amean"})


def edition(values, year):
    p = fi.panel_from_arrays(np.array([values], float), FW, list("PQRS"), [year],
                             meta=META, source="synthetic")
    return Edition.of(fi.build(FW, p, METH), label=str(year))


E24, E25 = edition(V2024, 2024), edition(V2025, 2025)


def test_scores_and_ranks_as_worked():
    assert E25.scores["idx"].to_dict() == {"P": 82.5, "Q": 85.0, "R": 60.0, "S": 64.0}
    assert list(E25.ranked().index) == ["Q", "P", "S", "R"]
    assert list(E24.ranked("A").index) == ["P", "Q", "R", "S"]


def test_changes_every_delta():
    ch = compare(E25, E24)
    t = ch.node()
    assert t["rank_change"].to_dict() == {"Q": 0, "P": 0, "S": 1, "R": -1}
    assert t["score_change"].to_dict() == {"Q": 0.0, "P": 7.5, "S": 9.0, "R": 2.5}
    a = ch.node("A")
    assert a["rank"].to_dict() == {"P": 1, "Q": 2, "S": 3, "R": 4}
    assert a["rank_change"].to_dict() == {"P": 0, "Q": 0, "S": 1, "R": -1}
    assert ch.node("x2").at["Q", "score_change"] == 4
    assert unchanged_top(ch) == 2 and unchanged_top(ch, "A") == 2
    # B: 2024 Q 90, P 65, S 65, R 50 -> Q, P, S (tie at 2, by code), R; 2025 Q 88, P 75,
    # R 60, S 60 -> Q, P, R, S: the first two unchanged
    assert unchanged_top(ch, "B") == 2
    assert ch.entries == () and ch.exits == ()


def test_entries_and_exits():
    p = fi.panel_from_arrays(np.array([V2025[:3]], float), FW, list("PQR"), [2025],
                             meta=META, source="synthetic")
    small = Edition.of(fi.build(FW, p, METH), label="2025")
    ch = compare(small, E24)
    assert ch.exits == ("S",) and compare(E24, small).entries == ("S",)


def test_gap_top_three():
    """2024 top 3: 85, 75, 57.5: range 27.5, mean 72.5, sd = sqrt((12.5^2 + 2.5^2 + 15^2)/2)
    = sqrt(193.75); 2025 top 3: 85, 82.5, 64: range 21, mean 77.1667."""
    g24, g25 = gap(E24, 3), gap(E25, 3)
    assert g24.units == ("Q", "P", "R") and g24.range == 27.5
    assert g24.sd == pytest.approx(np.sqrt(193.75))
    assert g24.cv == pytest.approx(np.sqrt(193.75) / 72.5)
    assert g25.range == 21.0
    assert g25.sd == pytest.approx(np.std([85, 82.5, 64], ddof=1))
    assert g25.versus(g24) == "narrowed" and g24.versus(g25) == "widened"


def test_head_to_head():
    """2025 P vs Q: P ahead on A (90 > 82), x1 (95 > 80), x2 (85 > 84); Q ahead on B, x3,
    x4 and the index. In 2024 they were level on x2 (80 = 80): that order changed."""
    h = head_to_head(E25, "P", "Q", previous=E24)
    assert set(h.a_ahead) == {"A", "x1", "x2"}
    assert set(h.b_ahead) == {"B", "x3", "x4", "idx"}
    assert h.level == () and h.changed == ("x2",)


def test_regional_leads():
    r = regional_leads(E25, top=3)
    assert list(r.index) == ["North America", "Europe", "Asia"]
    assert r.loc["North America", "top_3"] == 2 and r.loc["Asia", "top_3"] == 0
    assert r.loc["North America", "mean_idx"] == pytest.approx((85 + 82.5) / 2)
    assert r.loc["North America", "mean_A"] == pytest.approx((90 + 82) / 2)


def _regional_leads_by_code(edition, by="region", top=10):
    """regional_leads as it was written first: every ranked unit looked up by its code."""
    nodes = [edition.index, *edition.children[edition.index]]
    ranked = edition.ranks[edition.index].dropna()
    frame = pd.DataFrame({"group": edition.units.loc[ranked.index, by].fillna("(none)"),
                          "in_top": ranked <= top})
    for n in nodes:
        frame[n] = edition.scores.loc[ranked.index, n]
    out = frame.groupby("group").agg(units=("in_top", "size"), in_top=("in_top", "sum"),
                                     **{f"mean_{n}": (n, "mean") for n in nodes})
    out = out.rename(columns={"in_top": f"top_{top}"})
    return out.sort_values([f"top_{top}", f"mean_{edition.index}"], ascending=False)


@pytest.mark.parametrize("units_order", [list("PQRS"), list("SRQP"), list("RPSQT")])
def test_regional_leads_by_position_are_those_by_code(units_order):
    """The units table in the panel's order, reversed, or with a unit more (T), and a
    unit without a region and one unranked (R's index score missing): the same table as
    looking every ranked unit up by its code."""
    import dataclasses

    units = META.assign(region=["North America", None, "Asia", "Europe"]).reindex(
        units_order)
    ranks = E25.ranks.copy()
    ranks.loc["R", "idx"] = np.nan
    ed = dataclasses.replace(E25, units=units, ranks=ranks)
    for top in (1, 3):
        pd.testing.assert_frame_equal(regional_leads(ed, top=top),
                                      _regional_leads_by_code(ed, top=top))


def test_profile_strengths_weaknesses_peers():
    """2025 ranks. R (4th overall): x1 4th, x2 4th (60 < 66), x3 4th (60 < 62), x4 3rd
    (60 > 58), B 3rd (60, level with S) -> strengths B and x4 (one place better), no
    weakness. S (3rd): x4 4th (58) -> weakness x4, no strength."""
    r = profile(E25, "R", margin=1, peers=1, changes=compare(E25, E24))
    assert r.rank == 4 and r.score == 60
    assert list(r.strengths["node"]) == ["B", "x4"] and r.weaknesses.empty
    assert r.peers == ("S",)
    assert r.changes.set_index("node").at["idx", "rank_change"] == -1
    s = profile(E25, "S", margin=1, peers=1)
    assert s.strengths.empty and list(s.weaknesses["node"]) == ["x4"]
    assert s.peers == ("P", "R")


def test_sentences_every_figure_from_the_results():
    """sd 2025 top three: mean 77.1667, deviations 7.8333, 5.3333, -13.1667, squares sum
    263.1667, / 2 = 131.58, sqrt = 11.47 -> 11.5. North America: Q and P in the top three,
    mean (85 + 82.5) / 2 = 83.75 -> 83.8."""
    s = edition_sentences(E25, E24, top=3)
    assert s == [
        "The 2025 ranking is led by Qtown, followed by Pville and Sburg.",
        "The top two positions are unchanged from 2024.",
        "Sburg climbed one place to third, into the top three.",
        "Rcity fell one place to fourth, out of the top three.",  # a move of the top 2N
        "The gap among the top three narrowed: the score range went from 27.5 to 21.0 "
        "points (standard deviation 13.9 to 11.5).",
        "Pville ranks first on Alpha.",
        "Qtown ranks first on Beta.",
        "Sburg overtook Rcity on Alpha.",  # A: 2024 R 65 > S 45; 2025 S 68 > R 60
        "Sburg climbed one place to third on Alpha.",
        "Sburg fell one place to third on Beta.",  # B: 2nd (tied) in 2024, 3rd (tied) now
        "North America leads with two of the top three (mean index score 83.8).",
    ]


def test_ordinals():
    assert [ordinal(n) for n in (1, 4, 10, 11, 12, 13, 21, 22, 103, 111)] == [
        "first", "fourth", "tenth", "11th", "12th", "13th", "21st", "22nd", "103rd", "111th"]


def test_shared_first_place_is_said_so():
    """2024 Beta: Q 90 first alone; make P and Q level on A in 2025 (x1 + x2 equal)."""
    v = [row[:] for row in V2025]
    v[1][:2] = [95, 85]  # Q: A = 90, as P
    ed = edition(v, 2025)
    s = edition_sentences(ed, None, top=3)
    assert "Pville and Qtown share first place on Alpha." in s


def test_profile_table_of_every_city():
    """Aggregates A and B, margin 1 (2025): P is 2nd, 1st on A -> strength A; Q is 1st, 2nd
    on A -> weakness A; R is 4th, 3rd on B -> strength B; S is 3rd on both -> nothing."""
    from fintech_index.publish.report import profile_table

    t = profile_table(E25, margin=1)
    got = sorted(zip(t["unit"], t["node"], t["kind"], t["rank_gap"], strict=True))
    assert got == [("P", "A", "strength", 1), ("Q", "A", "weakness", -1),
                   ("R", "B", "strength", 1)]


def _ranked_by_hand(ed, node=None):
    """Edition.ranked as first written: ranks best first, ties in code point order."""
    r = ed.ranks[node or ed.index].dropna()
    return [u for _, u in sorted(zip(r.to_numpy(dtype=float), r.index.tolist(), strict=True))]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(0, 4), min_size=4, max_size=4), min_size=9, max_size=9),
       st.integers(1, 2))
def test_profile_table_is_every_profile_in_ranked_order(values, margin):
    """Nine units whose codes sort differently by code point and by letter ('B' < 'a'),
    values from five levels (many tied ranks, gaps of every size): ranked() on every node
    is by rank then code point, and profile_table is, unit after unit in ranked order, the
    strengths then the weaknesses profile() gives that unit, row for row."""
    from fintech_index.publish.report import profile_table

    codes = ["b", "B", "a", "A", "c", "_", "Z", "aa", "\u00e9"]
    p = fi.panel_from_arrays(np.array([values], float), FW, codes, [2025], source="synthetic")
    ed = Edition.of(fi.build(FW, p, METH))
    for node in (None, "A", "B", "x1"):
        assert list(ed.ranked(node).index) == _ranked_by_hand(ed, node)
        assert ed.ranked(node) is ed.ranked(node)  # made once
    t = profile_table(ed, margin=margin)
    want = []
    for u in ed.ranked().index:
        pr = profile(ed, u, margin=margin)
        for kind, part in (("strength", pr.strengths), ("weakness", pr.weaknesses)):
            part = part[part["node"].isin(["A", "B"])]  # the aggregates below the index
            want += [(u, pr.rank, n, r, g, s, kind) for n, r, g, s in
                     zip(part["node"], part["rank"], part["rank_gap"], part["score"],
                         strict=True)]
    assert list(t.itertuples(index=False, name=None)) == want


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2), min_size=4, max_size=4), min_size=9, max_size=9))
def test_first_place_facts_name_the_units_ranked_first_in_ranked_order(values):
    """Nine units whose codes sort differently by code point and by letter, values from
    three levels (first places shared often): the first / shared_first fact of each
    aggregate names the units ranked 1 on it as ranked() orders them (code point order)."""
    from fintech_index.analysis.facts import edition_facts

    codes = ["b", "B", "a", "A", "c", "_", "Z", "aa", "\u00e9"]
    p = fi.panel_from_arrays(np.array([values], float), FW, codes, [2025], source="synthetic")
    ed = Edition.of(fi.build(FW, p, METH))
    said = {f.node: (f.subject,) if f.kind == "first" else f.data["units"]
            for f in edition_facts(ed) if f.kind in ("first", "shared_first")}
    want = {}
    for node in ("A", "B"):
        r = ed.ranked(node)
        if (r == 1).any():
            want[node] = tuple(r.index[r.to_numpy() == 1])
    assert said == want


def test_edition_report_returns_what_it_wrote(tmp_path):
    """The report writer hands back the lead, the sentences and the regional leads it wrote,
    so that a caller prints them without reading its files back."""
    from fintech_index.publish.report import write_edition_report

    p = fi.panel_from_arrays(np.array([V2024, V2025], float), FW, list("PQRS"), [2024, 2025],
                             meta=META, source="synthetic")
    report = write_edition_report(fi.build(FW, p, METH), tmp_path, top=3)
    assert report.year == 2025
    assert report.sentences == edition_sentences(E25, E24, top=3)
    assert (tmp_path / "sentences_2025.txt").read_text().splitlines() == report.sentences
    assert (tmp_path / "lead_2025.txt").read_text() == report.lead.text()
    assert report.lead.sentences[0] == ("The 2025 ranking is led by Qtown, followed by Pville "
                                        "and Sburg.")
    pd.testing.assert_frame_equal(report.regional_leads, regional_leads(E25, top=3))
    assert sorted(p.name for p in report.written) == [
        "changes_2025.csv", "gaps_2025.json", "lead_2025.txt", "profiles_2025.csv",
        "regional_leads_2025.csv", "sentences_2025.txt"]


def test_units_without_a_region_are_not_a_leading_region():
    """2025 with Pville and Qtown given no region: the top three are Q, P (no region) and S
    (Europe): Europe leads with one of the top three, mean index score S 64.0 (it said
    '(none) leads with two of the top three')."""
    meta = META.assign(region=[None, None, "Asia", "Europe"])
    p = fi.panel_from_arrays(np.array([V2025], float), FW, list("PQRS"), [2025], meta=meta,
                             source="synthetic")
    s = edition_sentences(Edition.of(fi.build(FW, p, METH)), None, top=3)
    assert s[-1] == "Europe leads with one of the top three (mean index score 64.0)."
    assert not any("(none)" in x for x in s)
    p = fi.panel_from_arrays(np.array([V2025], float), FW, list("PQRS"), [2025],
                             meta=META.assign(region=[None, None, "Asia", None]),
                             source="synthetic")
    s = edition_sentences(Edition.of(fi.build(FW, p, METH)), None, top=3)
    assert not any("leads with" in x for x in s)  # Asia (R, 4th) has none of the top three


def test_previous_edition_is_the_year_before():
    """One rule for 'since the last edition' (site, papers, workbook, report): the year
    before the one asked for, None for the first year."""
    p = fi.panel_from_arrays(np.array([V2024, V2025], float), FW, list("PQRS"), [2024, 2025],
                             meta=META, source="synthetic")
    res = fi.build(FW, p, METH)
    assert Edition.previous(res).year == 2024
    assert Edition.previous(res).scores["idx"].to_dict() == E24.scores["idx"].to_dict()
    assert Edition.previous(res, 2024) is None


@settings(max_examples=300, deadline=None)
@given(st.floats(-1e5, 1e5, allow_nan=False), st.integers(-3, 3), st.integers(0, 4),
       st.booleans())
def test_facts_compare_figures_as_the_number_format_shows_them(a, steps, digits, half):
    """analysis.facts says a gap figure moved only when the sentence would show two
    different numbers: its rounding agrees with format.number (no words needed),
    at and around the rounding boundaries, -0 included."""
    from types import SimpleNamespace

    from fintech_index import format as fmt
    from fintech_index.analysis.facts import _as_shown

    b = a + steps * 10.0 ** -digits * (0.5 if half else 1.0)
    ed = SimpleNamespace(decimals=lambda: digits)
    for x, y in ((a, b), (a, -a), (b, 0.0)):
        assert (_as_shown(x, ed) == _as_shown(y, ed)) == (fmt.number(x, digits)
                                                           == fmt.number(y, digits)), (x, y)
