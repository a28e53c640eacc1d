"""CDC/ATSDR Social Vulnerability Index: every published percentile rank, theme and overall
value of the 2022, 2020 and 2018 county files and of the 2022 Pennsylvania state-ranked file,
reproduced at the published 4 decimals by the engine's own stages (and the flag counts)."""

import numpy as np
import pytest

from fintech_index import examples
from fintech_index.build import build
from fintech_index.methodology import load_methodology

# published (non-missing) cells per example, and per measure: a variable's EPL and the sums
# (score), the RPL (rank) and the flag counts (flags)
EXPECTED = {"svi_2022": 97_464, "svi_2020": 97_428, "svi_2018": 94_251, "svi_2022_pa": 2_077}
UNITS = {"svi_2022": 3144, "svi_2020": 3143, "svi_2018": 3142, "svi_2022_pa": 67}
VARIABLES = {"svi_2022": 16, "svi_2020": 16, "svi_2018": 15, "svi_2022_pa": 16}
DC = "11001"  # District of Columbia: its 2020 flags are -999 (see test below)
RIO_ARRIBA = "35039"  # Rio Arriba County, NM: no POV, UNEMP or PCI in 2018


@pytest.fixture(scope="module")
def checks():
    return {name: examples.validate(name) for name in examples.SVI}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_published_value_is_reproduced(checks, name):
    found = checks[name]
    bad = {v.what: v.mismatches.head(5).to_dict("records") for v in found if not v.ok}
    assert bad == {}
    assert sum(v.total for v in found) == EXPECTED[name]
    assert sum(v.matched for v in found) == EXPECTED[name]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_cells_published_per_measure(checks, name):
    """Every unit's EPL (one per variable), theme sums, theme ranks, overall sum and rank,
    and flag counts, less the cells CDC publishes as -999."""
    n, k = UNITS[name], VARIABLES[name]
    per = {v.what: v.total for v in checks[name]}
    ranks = sum(t for w, t in per.items() if w.endswith("rank"))
    flags = sum(t for w, t in per.items() if w.endswith("flags"))
    missing_2018 = {"scores": 3 + 1 + 1, "ranks": 1 + 1, "flags": 1 + 1}  # Rio Arriba
    lost = missing_2018 if name == "svi_2018" else {"scores": 0, "ranks": 0, "flags": 0}
    if name == "svi_2020":
        lost = {"scores": 0, "ranks": 0, "flags": 5}  # DC's five counts
    assert ranks == 5 * n - lost["ranks"]
    assert flags == 5 * n - lost["flags"]
    assert sum(per.values()) - ranks - flags == (k + 5) * n - lost["scores"]


def test_a_missing_variable_leaves_its_theme_and_the_overall_without_value():
    """Rio Arriba County 2018: POV, UNEMP and PCI are -999, read as missing; theme 1 and the
    overall have no value (CDC: -999), the other themes are ranked (theme 2: 0.8758)."""
    res = examples.load("svi_2018").build()
    for node in ("pov", "unemp", "pci", "theme1", "svi"):
        assert np.isnan(res.scores(node).loc[RIO_ARRIBA, 2018]), node
    assert np.isnan(res.ranks("svi").loc[RIO_ARRIBA, 2018])
    assert res.ranks("theme2").loc[RIO_ARRIBA, 2018] == 0.8758


def test_dc_2020_flags_are_a_documented_source_inconsistency():
    """CDC's 2020 county file gives the District of Columbia every flag as -999 although
    all 16 of its variables, theme sums and ranks are published (SPL_THEMES 8.7941): those
    five cells are not published values, and the rebuild counts them (no EPL of DC reaches
    0.9 except in themes 3 and 4)."""
    ex = examples.load("svi_2020")
    assert not ((ex.published["unit"] == DC) & (ex.published["measure"] == "flags")).any()
    assert ((ex.published["unit"] == DC) & (ex.published["measure"] == "score")).sum() == 21
    flags = build(ex.framework, ex.panel, load_methodology(ex.files["flags"]))
    assert [flags.scores(t).loc[DC, 2020] for t in ("theme1", "theme2", "theme3", "theme4",
                                                    "svi")] == [0.0, 0.0, 1.0, 2.0, 3.0]


def test_pennsylvania_by_hand():
    """Adams County, PA (42001), ranked within the state's 67 counties: 4 counties have a
    lower EP_POV150 than its 13.7 (one other ties with it), so EPL_POV150 = 4/66 = 0.060606
    -> 0.0606, as published; Philadelphia (42101) has the highest poverty (EPL 1) and the
    highest overall score (SPL_THEMES 12.7726, RPL_THEMES 1)."""
    res = examples.load("svi_2022_pa").build()
    assert res.scores("pov150").loc["42001", 2022] == 0.0606
    assert res.scores("theme1").loc["42001", 2022] == 1.9092
    assert res.ranks("theme1").loc["42001", 2022] == 0.2576
    assert res.scores("pov150").loc["42101", 2022] == 1.0
    assert res.scores("svi").loc["42101", 2022] == 12.7726
    assert res.ranks("svi").loc["42101", 2022] == 1.0
    ranking = res.ranking(2022)  # best (the highest percentile rank) first
    assert ranking.index[0] == "42101" and ranking["rank"].is_monotonic_decreasing


def test_2018_per_capita_income_is_one_minus_its_percentile_rank():
    """Four counties tie at a per-capita income of $26,515 (18031, 20029, 39021, 39129);
    1,624 of the 3,141 counties with a value have less: 1 - 1624/3140 = 0.482803 -> 0.4828,
    as CDC publishes. The rank of the negated value would give 1513/3140 -> 0.4818."""
    res = examples.load("svi_2018").build()
    tied = ["18031", "20029", "39021", "39129"]
    assert res.scores("pci").loc[tied, 2018].tolist() == [0.4828] * 4
    assert round(1513 / 3140, 4) == 0.4818


def test_the_examples_declare_framework_methodology_and_units():
    ex = examples.load("svi_2022")
    assert ex.framework.indicators[:5] == ("pov150", "unemp", "hburd", "nohsdp", "uninsur")
    assert ex.framework.nodes["pov150"].unit == "% of persons"
    assert examples.load("svi_2018").framework.nodes["pci"].direction == -1
    assert ex.methodology.rank.percentile and ex.methodology.rank.percentile_decimals == 4
    assert set(ex.methodology.round) == set(ex.framework.node_codes)  # 4 decimals everywhere
    assert ex.panel.units.loc["01001", "name"] == "Autauga County, Alabama"


@pytest.mark.parametrize(("unrounded", "wrong"), [
    ("indicators", {"theme1 score": 35, "theme1 rank": 4, "theme2 score": 27, "theme2 rank": 7,
                    "theme4 score": 30, "theme4 rank": 1, "svi_2022_pa": 48,
                    "svi_2022_pa_rank": 5}),
    ("aggregates", {"theme4 rank": 2, "svi_2022_pa_rank": 1})])
def test_four_decimals_at_every_step_are_needed(unrounded, wrong):
    """Pennsylvania with the sums left unrounded: float noise in sums that are equal in
    decimals breaks their ties (2 theme-4 ranks, 1 overall rank); with the variables'
    percentile ranks left unrounded, the sums themselves differ."""
    ex = examples.load("svi_2022_pa")
    fw = ex.framework
    keep = {k: d for k, d in ex.methodology.round.items()
            if (k in fw.indicators) != (unrounded == "indicators")}
    res = build(fw, ex.panel, ex.methodology.model_copy(update={"round": keep}))
    found = {v.what: v.total - v.matched for v in examples.validate("svi_2022_pa", res)
             if not v.ok and not v.what.endswith("flags")}
    assert found == wrong


def test_the_audit_of_percentile_ranks(tmp_path):
    """The audit of the Pennsylvania file over svi.uncertainty.yaml (200 replications): its
    ranks are CDC's percentile ranks, so the summary puts the most vulnerable first
    (Philadelphia, nominal RPL_THEMES 1), has no P(top N) and writes no rank
    probabilities (ranks 1..N only); an audit with no uncertain factor is the build."""
    from fintech_index.audit.engine import Engine, UncertaintySpec, load_spec
    from fintech_index.audit.run import run_audit
    from fintech_index.audit.uncertainty import uncertainty
    from fintech_index.examples import datasets_dir

    ex = examples.load("svi_2022_pa")
    spec = load_spec(datasets_dir() / "svi" / "svi.uncertainty.yaml")
    audit = run_audit(Engine(ex.framework, ex.panel, ex.methodology, spec), n=200)
    s = audit.uncertainty.summary()
    assert s.index[0] == "42101" and s["nominal_rank"].iloc[0] == 1.0
    assert (s["median_rank"].diff().dropna() <= 0).all()
    assert not any(c.startswith("p_top") for c in s.columns)
    assert ((s["rank_p05"] >= 0) & (s["rank_p95"] <= 1)).all()
    written = {p.name for p in audit.write(tmp_path / "audit")}
    assert "uncertainty_summary.csv" in written and "rank_probabilities.csv" not in written
    assert "percentile ranks" in repr(audit.uncertainty)
    plain = uncertainty(Engine(ex.framework, ex.panel, ex.methodology,
                               UncertaintySpec.model_validate({"factors": []})), n=4)
    np.testing.assert_array_equal(plain.ranks[0], ex.build().ranks("svi")[2022].to_numpy())
