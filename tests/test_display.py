"""Notebook display (issue 26): every model object shows a small table as text (``repr``)
and as escaped HTML (``_repr_html_``), numbers through fintech_index.format.

The index is hand-made: idx <- {A: x1, x2; B: x3, x4}, min-max to [0, 100], arithmetic
means. Raw values (u0, u1, u2): x1 0, 5, 10; x2 10, 0, 5; x3 0, 10, 4; x4 2, 1, 4, so
A = 50, 25, 75; B = (0 + 33.33) / 2, (100 + 0) / 2, (40 + 100) / 2 = 16.67, 50, 70 and
idx = 33.33, 37.50, 72.50: ranks 3, 2, 1.
"""

import datetime

import numpy as np
import pandas as pd
import pytest

import fintech_index as fi
from fintech_index import format as fmt
from fintech_index.audit.sensitivity import Sensitivity
from fintech_index.audit.uncertainty import Uncertainty
from fintech_index.display import View
from fintech_index.store import Store

from .helpers import two_level_framework

VALUES = [[0, 10, 0, 2], [5, 0, 10, 1], [10, 5, 4, 4]]
NAMES = pd.DataFrame({"name": ["Zero", "One & Co", "<b>Two</b>"]},
                     index=["u0", "u1", "u2"])


@pytest.fixture(scope="module")
def res():
    fw = two_level_framework()
    panel = fi.panel_from_arrays(np.array([VALUES], float), fw, ["u0", "u1", "u2"], [2024],
                                 meta=NAMES)
    return fi.build(fw, panel)


def test_results_text_is_the_ranking_best_first(res):
    assert repr(res) == "\n".join([
        "Results: idx, 3 units, 4 indicators, 3 aggregates, years 2024",
        "rank  unit  name        score",
        "   1  u2    <b>Two</b>  72.50",
        "   2  u1    One & Co    37.50",
        "   3  u0    Zero        33.33",
        f"ranking of 2024; methodology {res.methodology.hash[:12]}"])


def test_results_html_is_escaped(res):
    html = res._repr_html_()
    assert html.startswith('<div class="fintech-index"><strong>Results: idx, 3 units, 4 '
                           'indicators, 3 aggregates, years 2024</strong><table><thead><tr>'
                           '<th style="text-align:right">rank</th>')
    assert ('<tr><td style="text-align:right">1</td><td style="text-align:left">u2</td>'
            '<td style="text-align:left">&lt;b&gt;Two&lt;/b&gt;</td>'
            '<td style="text-align:right">72.50</td></tr>') in html
    assert "One &amp; Co" in html and "<b>" not in html
    assert html.count("<tr>") == 4 and html.endswith("</p></div>")


def test_a_long_ranking_shows_ten_units_and_says_how_many_more():
    ex = fi.examples.load("tai")
    text = repr(ex.build()).splitlines()
    assert len(text) == 1 + 1 + 10 + 2
    assert text[-2] == f"... and {len(ex.panel.unit_codes) - 10} more units"
    # an index on [0, 1] to 3 decimals: Finland 0.7449
    assert text[2].split() == ["1", "FIN", "Finland", "0.745"]


def test_framework_is_its_tree(res):
    assert repr(res.framework) == "\n".join([
        "Framework: idx, 4 indicators, 3 aggregates, 3 levels (synthetic.yaml)",
        "node    name  weight  direction",
        "idx     idx        1",
        "  A     A          1",
        "    x1  x1         1  +",
        "    x2  x2         1  +",
        "  B     B          1",
        "    x3  x3         1  +",
        "    x4  x4         1  +"])


def test_methodology_is_its_stages():
    meth = fi.methodology_from_dict({
        "name": "demo", "impute": {"method": "i_median_grp", "use_group": "region"},
        "aggregate": {"method": "a_amean", "by_level": {3: "a_gmean"},
                      "by_node": {"B": {"method": "a_hmean"}}},
        "rank": {"ties": "average", "decimals": 2}})
    assert repr(meth) == "\n".join([
        f"Methodology: demo ({meth.hash[:12]})",
        "stage       choice                            overrides",
        "denominate  no",
        "impute      i_median_grp (use_group: region)",
        "screen      none",
        "treat       none",
        "normalise   n_minmax (l_u: 0, 100)",
        "weight      w_explicit",
        "aggregate   a_amean                           level 3: a_gmean; B: a_hmean",
        "round       none",
        "rank        ties: average; decimals: 2"])
    assert "<td style=\"text-align:left\">level 3: a_gmean; B: a_hmean</td>" in \
        meth._repr_html_()


def test_uncertainty_shows_intervals_and_the_top_share():
    # 4 replications of 3 units: u0 always 1st; u1 and u2 swap 2nd and 3rd half the time:
    # median 2.5, 5th percentile 2, 95th 3 (linear interpolation), in the top 2 half the time
    ranks = np.array([[1, 2, 3], [1, 3, 2], [1, 3, 2], [1, 2, 3]], float)
    ua = Uncertainty(("u0", "u1", "u2"), 100 - ranks, ranks, np.array([1.0, 2, 3]),
                     np.array([99.0, 98, 97]), top=2)
    assert repr(ua) == "\n".join([
        "Uncertainty analysis: 4 replications, 3 units",
        "unit  nominal rank  median rank  rank 5-95%  P(top 2)",
        "u0               1          1.0           1      100%",
        "u1               2          2.5         2–3       50%",
        "u2               3          2.5         2–3       50%"])


def test_sensitivity_shows_first_and_total_indices_of_the_summary_outputs():
    first = np.array([[0.5, 0.25, 0.1], [0.125, 0.0, 0.2]])
    total = first + 0.1
    ci = np.stack([first - 0.05, first + 0.05])
    sa = Sensitivity(("weights", "aggregation"), ("mean_abs_rank_shift", "top2_kept",
                                                  "rank u0"),
                     first, total, ci, ci + 0.1, 64, pd.DataFrame())
    assert repr(sa) == "\n".join([
        "Sensitivity analysis (Sobol): N = 64, 2 factors, 3 outputs",
        "output               factor           S       S interval     ST     ST interval",
        "mean_abs_rank_shift  weights      0.500   [0.450, 0.550]  0.600  [0.550, 0.650]",
        "mean_abs_rank_shift  aggregation  0.125   [0.075, 0.175]  0.225  [0.175, 0.275]",
        "top2_kept            weights      0.250   [0.200, 0.300]  0.350  [0.300, 0.400]",
        "top2_kept            aggregation  0.000  [\u22120.050, 0.050]  0.100  [0.050, 0.150]",
        "Sensitivity.table() also has each unit's rank (1 output)"])


def test_store_lists_its_editions(res, tmp_path):
    def today() -> str:
        return fmt.date(datetime.datetime.now(datetime.UTC).date())

    with Store(tmp_path / "s.duckdb") as store:
        before = today()
        store.publish(res, "e2024")
        store.publish(res, "e2024b", revises="e2024")
        lines = repr(store).splitlines()
        # published just now (the "published" column is padded to its widest date)
        assert lines[:2] == [f"Store: {tmp_path / 's.duckdb'}, 2 editions",
                             "edition  revises  framework  years  published"]
        dates = {before, today()}
        for line, start in zip(lines[2:], ["e2024             idx        2024   ",
                                           "e2024b   e2024    idx        2024   "], strict=True):
            assert line.startswith(start) and line.removeprefix(start) in dates
        assert "<td style=\"text-align:left\">e2024b</td>" in store._repr_html_()
    assert repr(store) == f"Store: {tmp_path / 's.duckdb'} (closed or unreadable)\nedition"


def test_view_aligns_columns_and_escapes_every_cell():
    v = View("T <1>", ("a", "bb"), "lr", (("x", "1"), ("yyy", "22")), ("n & m",))
    assert v.text() == "T <1>\na    bb\nx     1\nyyy  22\nn & m"
    assert v.html() == (
        '<div class="fintech-index"><strong>T &lt;1&gt;</strong><table><thead><tr>'
        '<th style="text-align:left">a</th><th style="text-align:right">bb</th></tr></thead>'
        '<tbody><tr><td style="text-align:left">x</td><td style="text-align:right">1</td></tr>'
        '<tr><td style="text-align:left">yyy</td><td style="text-align:right">22</td></tr>'
        "</tbody></table><p>n &amp; m</p></div>")


def test_an_audit_says_what_it_ran_and_shows_the_rank_intervals():
    from fintech_index.audit.engine import Engine, UncertaintySpec
    from fintech_index.audit.run import run_audit

    fw = two_level_framework(weights=(3.0, 1.0, 1.0, 1.0))
    res = fi.build(fw, fi.panel_from_arrays(np.array([VALUES], float), fw, ["u0", "u1", "u2"],
                                            [2024], meta=NAMES))
    spec = UncertaintySpec(factors=[{"name": "weights", "stage": "weights", "noise": 0.5}],
                           n=64, seed=3)
    audit = run_audit(Engine(res.framework, res.panel, res.methodology, spec))
    lines = repr(audit).splitlines()
    assert lines[0] == "Audit of idx: 64 replications"
    assert lines[1:5] == repr(audit.uncertainty).splitlines()[1:5]
    # A = 3/4 x1 + 1/4 x2 = 25, 37.5, 87.5 against x2 = 100, 0, 50: r = -625 / (sqrt(5000)
    # sqrt(2187.5)) = -0.19, a negative link
    flagged = audit.parent_links.query("flag != ''")
    assert lines[5] == (f"coherence: {len(flagged)} weak or negative link"
                        f"{'' if len(flagged) == 1 else 's'} to a parent"
                        + (": " + ", ".join(f"{r.node} ({r.flag}, r = {fmt.number(r.r, 2)})"
                                             for r in flagged.itertuples())
                           if len(flagged) else ""))
    assert lines[5].endswith(": x2 (negative, r = \u22120.19)")  # the minus sign U+2212
    assert "<strong>Audit of idx: 64 replications</strong>" in audit._repr_html_()
