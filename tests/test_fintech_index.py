"""The bundled fintech index: HQ-city mapping coverage, record counts against the source
note, provenance of every value, the two editions' ranks, agreement with published
rankings, and the main command."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import fintech_index as fi
from fintech_index.cli import app
from fintech_index.examples import datasets_dir
from fintech_index.examples.fintech import agreement

FOLDER = datasets_dir() / "fintech"
TEN = ["NYC", "LON", "SHA", "BJS", "SZX", "TYO", "CHI", "HKG", "SIN", "SFO"]


@pytest.fixture(scope="module")
def example():
    return fi.examples.load("fintech")


@pytest.fixture(scope="module")
def results(example):
    return example.build()


def test_every_unicorn_hq_city_of_the_index_countries_is_mapped_or_listed_outside():
    cities = pd.read_csv(FOLDER / "cities.csv", keep_default_na=False)
    mapping = pd.read_csv(FOLDER / "hq_city_metro.csv", keep_default_na=False)
    counts = pd.read_csv(FOLDER / "unicorns_by_hq_city.csv", keep_default_na=False)
    countries = set(cities["country"]) | {""}
    seen = set(zip(counts["country"], counts["hq_city"], strict=True))
    listed = set(zip(mapping["country"], mapping["hq_city"], strict=True))
    missing = sorted(p for p in seen if p[0] in countries and p not in listed)
    assert missing == []
    assert set(mapping["metro"]) - {""} <= set(cities["code"])
    m = mapping.set_index(["country", "hq_city"])["metro"]
    assert m[("United States", "San Mateo")] == "SFO"
    assert m[("United States", "Palo Alto")] == "SFO"
    assert m[("Hong Kong", "Kowloon")] == "HKG"
    assert m[("Singapore", "")] == "SIN"
    assert m[("United States", "Kindbody")] == ""  # a source error, listed as outside


def test_unicorn_counts_match_the_source_note():
    """CB Insights SOURCE.md, 2025 list, city field (all sectors / Financial Services):
    New York 121/35, London 46/20, Beijing 61/3, Shanghai 34/2, Chicago 17/3, Shenzhen 15/0,
    Tokyo 7/1, San Francisco 196/34 - 195 here: SingleStore's row is repeated exactly in the
    2025 file and counted once."""
    c = pd.read_csv(FOLDER / "unicorns_by_hq_city.csv", keep_default_na=False)
    c = c[c["list_as_of"] == "2025-10-07"]
    expected = {"New York": (121, 35), "London": (46, 20), "Beijing": (61, 3),
                "Shanghai": (34, 2), "Chicago": (17, 3), "Shenzhen": (15, 0), "Tokyo": (7, 1),
                "San Francisco": (195, 34)}
    for city, (all_sectors, financial) in expected.items():
        rows = c[c["hq_city"] == city]
        assert rows["firms"].sum() == all_sectors, city
        assert rows.loc[rows["industry"] == "Financial Services", "firms"].sum() == financial


def test_every_value_has_its_source_year_and_level(example):
    panel, fw = example.panel, example.framework
    frame = panel.frame()
    observed = frame[~frame["value"].isna()]
    assert observed["source"].notna().all() and observed["source_year"].notna().all()
    assert (observed["source_year"] <= observed["year"]).all()
    assert {fw.nodes[c].figure_level for c in fw.indicators} == {"metro", "country", "city"}
    assert len(panel.unit_codes) == 43 and panel.years == (2024, 2025)
    # GFCI ratings exist for the top 20 only: the rest stay missing in the data
    k = fw.indicators.index("gfci_rating")
    assert int((~np.isnan(panel.values[:, :, k])).sum()) == 40


def test_imputed_values_are_flagged_and_rank_the_ten_cities(results):
    k = results.framework.indicators.index("gfci_rating")
    flags = results.flags[..., k]
    assert int(((flags & fi.IMPUTED) != 0).sum()) == 2 * (43 - 20)
    ranks = results.ranks()
    # pinned: the ranks this build gives the ten cities the official 2024 edition names
    assert {u: int(ranks.at[u, 2024]) for u in TEN} == {
        "NYC": 1, "LON": 5, "SHA": 18, "BJS": 17, "SZX": 25, "TYO": 20, "CHI": 7, "HKG": 6,
        "SIN": 3, "SFO": 2}
    assert {u: int(ranks.at[u, 2025]) for u in TEN} == {
        "NYC": 1, "LON": 6, "SHA": 18, "BJS": 15, "SZX": 21, "TYO": 19, "CHI": 7, "HKG": 4,
        "SIN": 5, "SFO": 2}


def test_agreement_with_published_rankings(example, results):
    found = {(a.ranking.split(" (")[0], a.edition): a for a in agreement(results,
                                                                        example.published)}
    gfcdi = found[("Global Fintech Center Development Index", 2024)]
    assert gfcdi.cities == 10 and gfcdi.top10_published == 10
    assert gfcdi.top10_shared == 6
    # the figures the README reports: the reconstruction does not reproduce the official order
    assert gfcdi.spearman == pytest.approx(-0.1030, abs=5e-5)
    assert gfcdi.kendall == pytest.approx(-0.1556, abs=5e-5)
    hub = found[("Global FinTech Hub Report", 2025)]
    assert hub.spearman == pytest.approx(0.4303, abs=5e-5) and hub.top10_shared == 5


def test_main_command_builds_both_editions(tmp_path):
    r = CliRunner().invoke(app, ["build", "--out", str(tmp_path), "--top", "10"])
    assert r.exit_code == 0, r.output
    assert "ranking 2025" in r.output and "vs 2024" in r.output
    # the lead story (at most eight sentences), then where the other sentences are
    assert "The 2025 ranking is led by New York" in r.output
    assert "sentences in all: lead_2025.txt by section, sentences_2025.txt" in r.output
    assert "small audit: 1,024 replications" in r.output
    out = tmp_path / "fintech"
    for name in ("ranking_2024.csv", "ranking_2025.csv", "changes_2025.csv",
                 "gaps_2025.json", "regional_leads_2025.csv", "profiles_2025.csv",
                 "sentences_2025.txt", "lead_2025.txt", "uncertainty_summary_2025.csv",
                 "nodes.csv"):
        assert (out / name).exists(), name
    sentences = (out / "sentences_2025.txt").read_text()
    assert sentences.startswith("The 2025 ranking is led by New York")


def test_country_figures_are_labelled_in_the_outputs(results, tmp_path):
    long = results.to_long()
    rows = long[long["node"] == "market_cap_gdp"]
    assert (rows["figure_level"] == "country").all()
    assert (long.loc[long["node"] == "fintech_unicorns", "figure_level"] == "metro").all()
    results.write(tmp_path)
    nodes = pd.read_csv(tmp_path / "nodes.csv", keep_default_na=False).set_index("node")
    assert nodes.at["rd_gdp", "figure_level"] == "country"
    assert nodes.at["gfci_rating", "figure_level"] == "city"
