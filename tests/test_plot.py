"""fintech_index.plot (issue 26): the figures' data, on the hand-worked index of
test_display (idx <- {A: x1, x2; B: x3, x4}; scores u0 33.33, u1 37.50, u2 72.50; A = 50,
25, 75; B = 16.67, 50, 70) and on hand-made audit results."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import fintech_index as fi
from fintech_index import plot
from fintech_index.audit import coherence
from fintech_index.audit.sensitivity import Sensitivity
from fintech_index.audit.uncertainty import Uncertainty
from fintech_index.store import Store

from .helpers import two_level_framework
from .test_display import NAMES, VALUES

B = [100 / 6, 50, 70]  # x3 0, 100, 40; x4 33.33, 0, 100


def build(values=VALUES, weights=(1.0, 1.0, 1.0, 1.0), meth=None, years=(2024,)):
    fw = two_level_framework(weights=weights)
    arr = np.array(values, float)
    arr = arr if arr.ndim == 3 else np.array([arr] * len(years))
    panel = fi.panel_from_arrays(arr, fw, ["u0", "u1", "u2"], list(years), meta=NAMES)
    return fi.build(fw, panel, fi.methodology_from_dict(meth or {}))


@pytest.fixture(scope="module")
def res():
    return build()


def test_bar_is_the_scores_best_first(res):
    fig = plot.bar(res)
    assert list(fig.data[0].x) == ["u2", "u1", "u0"]
    np.testing.assert_allclose(fig.data[0].y, [72.5, 37.5, 100 / 3])
    fig = plot.bar(res, "A", usel=["u1"], ulabel="name")
    assert list(fig.data[0].x) == ["<b>Two</b>", "Zero", "One & Co"]  # A: 75, 50, 25
    assert list(fig.data[0].marker.color) == [plot.BASE, plot.BASE, plot.HIGHLIGHT]


def test_bar_stacks_the_childrens_weighted_contributions(res):
    fig = plot.bar(res, stack_children=True)
    assert [t.name for t in fig.data] == ["A", "B"] and fig.layout.barmode == "stack"
    # equal weights: half of each child; u2 = 75 / 2 + 70 / 2
    np.testing.assert_allclose(fig.data[0].y, [37.5, 12.5, 25])
    np.testing.assert_allclose(fig.data[1].y, [35, 25, 100 / 12])
    np.testing.assert_allclose(fig.data[0].y + fig.data[1].y, [72.5, 37.5, 100 / 3])


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(1, 100), min_size=12, max_size=12),
       st.lists(st.floats(0.1, 5), min_size=4, max_size=4),
       st.sampled_from(["a_amean", "a_gmean"]))
def test_stacked_segments_sum_to_the_score(flat, weights, method):
    values = np.reshape(flat, (3, 4))
    assume(np.ptp(values, axis=0).min() > 1e-3)  # min-max needs two values per indicator
    res = build(values, tuple(weights), {"aggregate": method})
    for node in ("idx", "A", "B"):
        kids, part = plot.contributions(res, node)
        np.testing.assert_allclose(part.sum(axis=1), res.scores(node)[2024], atol=1e-9)
        assert (part >= 0).all()


def test_dot_puts_every_unit_on_each_child_and_marks_the_selected(res):
    fig = plot.dot(res, usel="u1")
    everyone, mean, u1 = fig.data
    assert list(everyone.y) == ["A"] * 3 + ["B"] * 3
    np.testing.assert_allclose(everyone.x, [50, 25, 75, *B])
    np.testing.assert_allclose(mean.x, [50, np.mean(B)])
    assert u1.name == "One & Co" and list(u1.y) == ["A", "B"]
    np.testing.assert_allclose(u1.x, [25, 50])
    assert plot.dot(res, add_stat="median").data[1].x[1] == 50
    rows = plot.dot(res, nodes=["idx", "B", "x1"], usel="u2", add_stat=None).data
    assert list(rows[1].y) == ["idx", "B", "x1"]
    np.testing.assert_allclose(rows[1].x, [72.5, 70, 100])


def test_framework_sunburst_is_sized_by_effective_weight():
    res = build(weights=(1.0, 3.0, 1.0, 1.0))
    fig = plot.framework(res)
    sun = fig.data[0]
    got = dict(zip(sun.ids, sun.values, strict=True))
    assert got == pytest.approx({"idx": 1, "A": 0.5, "B": 0.5, "x1": 0.125, "x2": 0.375,
                                 "x3": 0.25, "x4": 0.25})
    assert dict(zip(sun.ids, sun.parents, strict=True)) == {
        "idx": "", "A": "idx", "B": "idx", "x1": "A", "x2": "A", "x3": "B", "x4": "B"}
    assert sun.branchvalues == "total"
    assert plot.effective_weights(res.framework) == pytest.approx(got)


def test_corr_is_the_audits_coherence(res):
    fig = plot.corr(res, nodes=["A", "B", "idx"])
    r, _ = coherence.correlations(res, nodes=["A", "B", "idx"])
    np.testing.assert_array_equal(fig.data[0].z, r.to_numpy())
    assert fig.data[0].z[0][1] == pytest.approx(np.corrcoef([50, 25, 75], B)[0, 1])
    assert list(plot.corr(res, level=2).data[0].x) == ["A", "B"]


def test_scatter_is_two_nodes_with_unit_names(res):
    trace = plot.scatter(res, "A", "B").data[0]
    np.testing.assert_allclose(trace.x, [50, 25, 75])
    np.testing.assert_allclose(trace.y, B)
    assert list(trace.text) == ["Zero", "One & Co", "<b>Two</b>"]
    raw = plot.scatter(res, "x1", "x2", dsets=("raw", "scores")).data[0]
    np.testing.assert_allclose(raw.x, [0, 5, 10])
    np.testing.assert_allclose(raw.y, [100, 0, 50])


def test_dist_is_raw_or_normalised(res):
    raw = plot.dist(res, ["x1", "x4"])
    np.testing.assert_allclose(raw.data[0].y, [0, 5, 10])
    np.testing.assert_allclose(raw.data[1].y, [2, 1, 4])
    np.testing.assert_allclose(plot.dist(res, "x4", dset="scores", type="histogram").data[0].x,
                               [100 / 3, 0, 100])


def test_uncertainty_is_rank_intervals_with_the_nominal_rank():
    ranks = np.array([[1, 2, 3], [1, 3, 2], [1, 3, 2], [1, 2, 3]], float)
    ua = Uncertainty(("u0", "u1", "u2"), 100 - ranks, ranks, np.array([1.0, 2, 3]),
                     np.array([99.0, 98, 97]), top=2)
    med, nominal = plot.uncertainty(ua).data
    assert list(med.x) == ["u0", "u1", "u2"]
    np.testing.assert_allclose(med.y, [1, 2.5, 2.5])
    np.testing.assert_allclose(med.error_y.array, [0, 0.5, 0.5])  # up to the 95th: 3
    np.testing.assert_allclose(med.error_y.arrayminus, [0, 0.5, 0.5])  # down to the 5th: 2
    np.testing.assert_allclose(nominal.y, [1, 2, 3])
    assert list(plot.uncertainty(ua, plot_units=["u2"]).data[0].x) == ["u2"]


def test_percentile_rank_intervals_are_the_highest_first_and_on_top():
    """Percentile ranks (1 = best): u2 at 1.0 comes first and the axis is not reversed, so
    the best is at the top as with ranks 1..N."""
    pct = np.array([[0.0, 0.5, 1.0], [0.0, 1.0, 0.5], [0.5, 0.0, 1.0]])
    ua = Uncertainty(("u0", "u1", "u2"), pct * 100, pct, np.array([0.0, 0.5, 1.0]),
                     np.array([0.0, 50, 100]), top=2, percentile=True)
    fig = plot.uncertainty(ua)
    assert list(fig.data[0].x) == ["u2", "u1", "u0"]
    np.testing.assert_allclose(fig.data[0].y, [1.0, 0.5, 0.0])
    assert fig.layout.yaxis.autorange is None
    assert fig.layout.yaxis.title.text == "percentile rank (1 = best)"
    ranks = Uncertainty(("u0", "u1"), np.zeros((1, 2)), np.array([[2.0, 1.0]]),
                        np.array([2.0, 1.0]), np.zeros(2), top=1)
    assert plot.uncertainty(ranks).layout.yaxis.autorange == "reversed"


def test_sensitivity_is_first_and_total_indices_with_intervals():
    first = np.array([[0.5, 0.25], [0.125, 0.0]])
    sa = Sensitivity(("weights", "aggregation"), ("mean_abs_rank_shift", "top2_kept"),
                     first, first + 0.1, np.stack([first - 0.05, first + 0.1]),
                     np.stack([first, first + 0.3]), 64, pd.DataFrame())
    s, t = plot.sensitivity(sa).data
    assert list(s.x) == ["weights", "aggregation"]
    np.testing.assert_allclose(s.y, [0.5, 0.125])
    np.testing.assert_allclose(s.error_y.array, [0.1, 0.1])
    np.testing.assert_allclose(s.error_y.arrayminus, [0.05, 0.05])
    np.testing.assert_allclose(t.y, [0.6, 0.225])
    np.testing.assert_allclose(t.error_y.array, [0.2, 0.2])
    np.testing.assert_allclose(t.error_y.arrayminus, [0.1, 0.1])
    np.testing.assert_allclose(plot.sensitivity(sa, "top2_kept").data[0].y, [0.25, 0.0])


def test_rank_history_across_editions(res, tmp_path):
    later = build([[10, 10, 10, 4], [5, 0, 10, 1], [0, 5, 4, 2]])  # u0 now first
    by_label = plot.rank_history({"2024": res, "2025": later})
    assert [t.name for t in by_label.data] == ["u0", "u1", "u2"]  # the latest's order
    assert [list(t.y) for t in by_label.data] == [[3, 1], [2, 2], [1, 3]]
    assert list(by_label.data[0].x) == ["2024", "2025"]
    with Store(tmp_path / "s.duckdb") as store:
        store.publish(res, "e1")
        store.publish(later, "e2")
        fig = plot.rank_history(store, units=["u2"])
    assert [list(t.y) for t in fig.data] == [[1, 3]] and list(fig.data[0].x) == ["e1", "e2"]
    panel = build(np.array([VALUES, [[10, 10, 10, 4], [5, 0, 10, 1], [0, 5, 4, 2]]]),
                  years=(2024, 2025))
    assert list(plot.rank_history(panel, units=["u0"]).data[0].x) == ["2024", "2025"]


def test_each_sector_holds_its_children_exactly_on_a_real_tree():
    fw = fi.examples.load("asem").framework  # 5 x 2 x 8 ... children: shares like 1/3
    sun = plot.framework(fw).data[0]
    size = dict(zip(sun.ids, sun.values, strict=True))
    eff = plot.effective_weights(fw)
    for code in fw.aggregates:
        kids = fw.nodes[code].children
        assert sum(size[k] for k in kids) == size[code]  # plotly's "total" needs <=
        assert size[code] == pytest.approx(eff[code])
    assert sum(size[c] for c in fw.indicators) == pytest.approx(1.0)
    from fintech_index.analysis.backcast import effective_weights as on_indicators

    assert on_indicators(fw) == pytest.approx({c: eff[c] for c in fw.indicators})


def test_the_palette_is_okabe_itos_and_every_figure_uses_it(res):
    """Okabe and Ito's eight colours (jfly.uni-koeln.de/color), as they published them; the
    colorway of every figure, the base and highlight colours from the same set."""
    assert set(plot.OKABE_ITO.values()) == {"#000000", "#E69F00", "#56B4E9", "#009E73",
                                            "#F0E442", "#0072B2", "#D55E00", "#CC79A7"}
    assert set(plot.SERIES) == set(plot.OKABE_ITO.values()) and len(plot.SERIES) == 8
    assert {plot.BASE, plot.HIGHLIGHT} <= set(plot.SERIES)
    for fig in (plot.bar(res), plot.dot(res), plot.scatter(res, "A", "B"),
                plot.dist(res, dset="scores"), plot.rank_history(res), plot.profile(res, "u0"),
                plot.gap(res, 2)):
        assert list(fig.layout.colorway) == list(plot.SERIES)


def test_profile_is_the_unit_against_the_top_mean_and_its_peers(res):
    """u0 (A 50, B 16.67) against the top two (u2, u1: A (75 + 25) / 2 = 50, B (70 + 50) / 2
    = 60) and its peer u1 (A 25, B 50), the tree's aggregates top to bottom."""
    fig = plot.profile(res, "u0", peers=["u1"], top=2, text={"top_mean": "best two"})
    assert [t.name for t in fig.data] == ["Zero", "best two", "One & Co"]
    assert all(list(t.y) == ["A", "B"] for t in fig.data)
    np.testing.assert_allclose([list(t.x) for t in fig.data],
                               [[50, 100 / 6], [50, 60], [25, 50]])
    assert [t.marker.color for t in fig.data] == list(plot.SERIES[:3])
    assert len({t.marker.symbol for t in fig.data}) == 3  # told apart by shape too
    assert list(fig.layout.xaxis.range) == [-3, 103]  # scores on 0-100: the whole scale
    tai = fi.examples.load("tai").build()  # scores on 0-1: the axis fits them
    assert plot.profile(tai, "KOR").layout.xaxis.range is None
    bars = plot.profile(res, "u0", peers=["u1", "u2"], top=2, peers_mean=True, bars=True)
    assert [t.type for t in bars.data] == ["bar"] * 3 and bars.layout.barmode == "group"
    np.testing.assert_allclose(bars.data[2].x, [50, 60])  # (25 + 75) / 2, (50 + 70) / 2
    with pytest.raises(fi.FintechIndexError, match=r"unit 'u9'.*\[U96\]"):
        plot.profile(res, "u0", peers=["u9"])


def test_gap_has_one_point_per_edition_and_axis_titles():
    from fintech_index.analysis.edition import Edition
    from fintech_index.analysis.gaps import gap

    two = build(np.array([VALUES, [[10, 10, 10, 4], [5, 0, 10, 1], [0, 5, 4, 2]]]),
                years=(2024, 2025))
    fig = plot.gap(two, 2, text={"x": "Edition", "y": "Index points"})
    assert [list(t.x) for t in fig.data] == [[2024, 2025]] * 2
    assert fig.layout.xaxis.title.text == "Edition"
    assert fig.layout.yaxis.title.text == "Index points"
    # 2024: the top two are u2 72.5 and u1 37.5: range 35, sd 35 / sqrt(2)
    assert fig.data[0].y[0] == pytest.approx(35) and fig.data[1].y[0] == pytest.approx(
        35 / np.sqrt(2))
    later = gap(Edition.of(two, 2025), 2)
    assert (fig.data[0].y[1], fig.data[1].y[1]) == (later.range, later.sd)
    assert list(fig.layout.xaxis.ticktext) == ["2024", "2025"]
    assert list(fig.layout.xaxis.range) == [2023.5, 2025.5]


def test_world_map_labels_the_top_and_sizes_by_rank(res):
    coords = pd.DataFrame({"code": ["u0", "u1", "u2"], "latitude": [51.5, 48.9, 40.7],
                           "longitude": [-0.1, 2.4, -74.0]})
    geo = plot.world_map(res, coords, top=2, hover="{city} #{rank}").data[0]
    # in rank order u2, u1, u0; the top two named, u0 unlabelled
    assert list(geo.text) == ["<b>Two</b>", "One & Co", ""]
    assert list(geo.lat) == [40.7, 48.9, 51.5] and list(geo.hovertext)[0] == "<b>Two</b> #1"
    assert list(geo.marker.size) == [25.5, 25.0, 24.5]  # 26 - rank / 2


def test_map_labels_of_close_cities_do_not_overlap():
    """London, Paris, Amsterdam and Frankfurt lie within 9 degrees (10 px markers, 2.5 px a
    degree): London's label above would cover Amsterdam's marker, below it Paris's, right
    of it both: it goes left; Paris's above would meet London's label: below; New York,
    far away, and Amsterdam take the first side; Frankfurt, right. No two labels meet;
    an unlabelled Frankfurt moves no other label."""
    lat, lon = [51.5, 48.9, 40.7, 52.4, 50.1], [-0.1, 2.4, -74.0, 4.9, 8.7]
    names = ["London", "Paris", "New York", "Amsterdam", "Frankfurt"]
    got = plot.label_positions(lat, lon, names)
    assert got == ["middle left", "bottom center", "top center", "top center", "middle right"]
    assert plot.label_positions(lat, lon, [*names[:4], ""])[:4] == got[:4]
    boxes = [plot._label_box(a, o, n, p) for a, o, n, p in zip(lat, lon, names, got,
                                                                 strict=True)]
    assert all(plot._overlap(a, b) == 0 for i, a in enumerate(boxes) for b in boxes[i + 1:])
    # a CJK character is as wide as the font size (11 px), a Latin one about 6.2 px
    assert plot._text_px("伦敦") == 22.0 and plot._text_px("London") == pytest.approx(37.2)


def test_rank_history_of_one_unit_on_several_nodes(res):
    """One line per node (the papers' history): u0 ranks 3rd on the index, 2nd on A (50
    against 25 and 75) and 3rd on B."""
    fig = plot.rank_history(res, units=["u0"], nodes=["idx", "A", "B"],
                            names={"idx": "Index", "A": "Alpha"})
    assert [t.name for t in fig.data] == ["Index", "Alpha", "B"]
    assert [list(t.y) for t in fig.data] == [[3], [2], [3]]
    assert [t.line.color for t in fig.data] == list(plot.SERIES[:3])


def test_no_chart_is_defined_outside_plot():
    """One chart definition per kind: no Plotly trace or axis properties are written in the
    presentation's other modules and templates (publish/, web/, gfcdi/); they take
    fintech_index.plot's figures (the papers' Typst template draws their data)."""
    import re
    from pathlib import Path

    src = Path(plot.__file__).parent
    chart_keys = re.compile(r"""["'](mode|marker|xaxis|yaxis|geo|textposition|orientation|"""
                            r"""colorway|hovertext)["']\s*:|["']type["']\s*:\s*["']"""
                            r"""(scatter|bar|scattergeo|heatmap|sunburst)""")
    found = [f"{p.relative_to(src)}:{n}" for folder in ("publish", "web", "gfcdi")
             for p in sorted((src / folder).rglob("*")) if p.suffix in {".py", ".html", ".js"}
             and "assets" not in p.parts
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if chart_keys.search(line)]
    assert found == []
    assert chart_keys.search('{"type": "scatter", "mode": "markers"}')  # the rule bites
