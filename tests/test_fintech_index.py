"""The bundled fintech index: HQ-city mapping coverage, record counts against the source
note, provenance and level of every value, the ordinal (cut-off) reading, the back-cast,
the two editions' ranks, ties, agreement with published rankings, and the main command."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import fintech_index as fi
from fintech_index.analysis.backcast import backcast, effective_weights, weight_on_levels
from fintech_index.cli import app
from fintech_index.errors import FrameworkError
from fintech_index.examples import datasets_dir
from fintech_index.gfcdi.editions import edition_agreement, load_editions
from fintech_index.ordinal import BELOW_CUTOFF, read_ordinal

FOLDER = datasets_dir() / "fintech"
TEN = ["NYC", "LON", "SHA", "BJS", "SZX", "TYO", "CHI", "HKG", "SIN", "SFO"]


@pytest.fixture(scope="module")
def editions():
    return load_editions()


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


def test_every_value_has_its_source_year_and_level(editions):
    data = pd.read_csv(FOLDER / "fintech.csv")
    assert data["source"].notna().all() and data["source_year"].notna().all()
    assert (data["source_year"] <= data["year"]).all()
    for y, fw in editions.frameworks.items():
        levels = {fw.nodes[c].figure_level for c in fw.indicators}
        assert levels == {"metro", "city", "country"}, y
        given = set(data.loc[data["year"] == y, "indicator"])
        assert set(fw.indicators) == given - set(fw.denominator_codes)
        assert set(fw.denominator_codes) == {"air_passengers_system", "global500_hq_count",
                                             "gii_pct_filings", "gdp_nbs_cny"} <= given
    assert len(editions.panel.unit_codes) == 53 and editions.panel.years == (2024, 2025)
    # GPCI covers 34 of our 53 candidate cities; each has all 16 GPCI indicators; the 18 others
    # of a country GPCI covers have its 2 national figures (Luxembourg: none)
    gpci = data[data["source"].str.startswith("Mori")]
    national = gpci["source"].str.contains("national figure of")
    assert (gpci[~national].groupby("year").size() == 34 * 16).all()
    assert (gpci[national].groupby("year").size() == 18 * 2).all()


def test_country_figures_are_one_number_per_country(editions):
    """0 contradictions in both editions, in the data as loaded and after imputation; each
    city of China, India and Germany outside GPCI has its country's one GPCI figure."""
    from fintech_index.panel import country_contradictions

    p = editions.panel
    assert country_contradictions(editions.frameworks[2025], p.values, p.years, p.units) == []
    for y, res in editions.own.items():
        imputed = res.prepared.datasets["imputed"]
        assert country_contradictions(res.framework, imputed, res.years,
                                      res.panel.units) == [], y
    data = pd.read_csv(FOLDER / "fintech.csv").set_index(["unit", "year", "indicator"])
    for city, gpci in (("SZX", "SHA"), ("HGH", "BJS"), ("BLR", "BOM"), ("MUC", "FRA")):
        for ind in ("economic_freedom", "ict_readiness"):
            assert data.at[(city, 2024, ind), "value"] == data.at[(gpci, 2024, ind), "value"]
            assert "national figure of" in data.at[(city, 2024, ind), "source"]
    assert data.at[("SZX", 2025, "economic_freedom"), "value"] == 0.0  # China's GPCI score


def test_shenzhen_market_capitalisation_is_its_exchange_on_gpci_scale(editions):
    """Shenzhen Stock Exchange USD 4.5 tn (WFE, Aug 2023) between Hong Kong's 4.2 tn (GPCI
    11.3326) and Tokyo's 5.9 tn (13.3517): 11.3326 + 0.3 / 1.7 * 2.0191 = 11.6889, observed
    with its provenance in both editions (no other city outside GPCI has an exchange of its
    own in the WFE list)."""
    data = pd.read_csv(FOLDER / "fintech.csv")
    wfe = data[data["source"].str.startswith("WFE")]
    assert sorted(zip(wfe["unit"], wfe["year"], strict=True)) == [("SZX", 2024), ("SZX", 2025)]
    assert wfe["value"].tolist() == pytest.approx([11.688916] * 2)
    assert "Hong Kong USD 4.2 tn = 11.33, Tokyo USD 5.9 tn = 13.35" in wfe["source"].iloc[0]
    for y, res in editions.own.items():
        k = res.framework.indicators.index("stock_market_cap")
        assert res.flags[0, list(res.units).index("SZX"), k] & fi.OBSERVED, y
        assert not res.flags[0, list(res.units).index("SZX"), k] & fi.IMPUTED, y


def test_shenzhen_gdp_is_imputed_from_its_nbs_gdp_by_ratio(editions):
    """GPCI-2023 nominal GDP scores Beijing 68.102746 and Shanghai 73.285656; NBS 2022 GDP
    45,222.4 and 48,594.5 (100 million yuan); Shenzhen 32,387.68: r = 141.388402 /
    93,816.9 and Shenzhen's score 32,387.68 r = 48.810 in both editions, flagged as imputed
    by i_aux_ratio (not observed: its coverage is unchanged)."""
    want = 32387.68 * (68.102746 + 73.285656) / (45222.4 + 48594.5)
    for y, res in editions.own.items():
        k = res.framework.indicators.index("gdp_nominal")
        u = list(res.units).index("SZX")
        assert res.prepared.datasets["imputed"][0, u, k] == pytest.approx(want, abs=1e-9), y
        assert round(want, 2) == 48.81
        assert res.flags[0, u, k] & fi.IMPUTED and not res.flags[0, u, k] & fi.OBSERVED, y
        from fintech_index.publish.provenance import value_table

        t = value_table(res).set_index(["unit", "indicator"])["imputation_method"]
        assert t["SZX", "gdp_nominal"] == "i_aux_ratio", y


def test_country_weight_is_at_most_a_quarter(editions):
    assert weight_on_levels(editions.frameworks[2024])["country"] == pytest.approx(1 / 8)
    assert weight_on_levels(editions.frameworks[2025])["country"] == pytest.approx(7 / 60)
    for fw in editions.frameworks.values():
        assert sum(effective_weights(fw).values()) == pytest.approx(1.0)


def test_ordinal_reading_hand_worked():
    """A top-5 list: ranks 1, 3, 5 -> 5, 3, 1 Borda points; a unit absent -> 0, flagged;
    in a year without the list every unit stays missing. Tiers and memberships the same."""
    rank = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "r", "ordinal": {"kind": "rank", "list_size": 5}}]}}).nodes["r"].ordinal
    values = np.array([[1.0, 3.0, np.nan, 5.0], [np.nan] * 4])  # [years, units]
    scores, below = read_ordinal(values, rank)
    np.testing.assert_array_equal(scores[0], [5.0, 3.0, 0.0, 1.0])
    assert np.isnan(scores[1]).all()
    np.testing.assert_array_equal(below, [[False, False, True, False], [False] * 4])
    tier = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "t", "ordinal": {"kind": "tier", "tiers": ["A++", "A+", "A", "A-"]}}]}})
    s, _ = read_ordinal(np.array([[1.0, 4.0, np.nan]]), tier.nodes["t"].ordinal)
    np.testing.assert_array_equal(s, [[4.0, 1.0, 0.0]])
    member = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "m", "ordinal": {"kind": "member", "list_size": 10}}]}})
    s, _ = read_ordinal(np.array([[1.0, np.nan]]), member.nodes["m"].ordinal)
    np.testing.assert_array_equal(s, [[1.0, 0.0]])


def test_ordinal_reading_through_a_build():
    """Min-max of the points (5, 3, 0, 1) -> 100, 60, 0, 20; the absent unit is flagged
    below the cut-off, not imputed."""
    fw = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "r", "ordinal": {"kind": "rank", "list_size": 5}}]}})
    panel = fi.panel_from_arrays(np.array([[[1.0], [3.0], [np.nan], [5.0]]]), fw,
                                 ["a", "b", "c", "d"], [2024], source="synthetic")
    res = fi.build(fw, panel, fi.methodology_from_dict({"impute": {"method": "i_mean"}}))
    np.testing.assert_allclose(res.scores("i")[2024].to_numpy(), [100, 60, 0, 20])
    assert res.flags[0, 2, 0] & BELOW_CUTOFF and not res.flags[0, 2, 0] & fi.IMPUTED
    assert res.ranks("i")[2024].tolist() == [1, 2, 4, 3]


def _three(values, year, fw):
    return fi.panel_from_arrays(np.array([values]).transpose(0, 2, 1), fw, ["u1", "u2", "u3"],
                                [year], source="synthetic")


OLD = fi.framework_from_dict({"name": "old", "index": {"code": "i", "children": [
    {"code": "P", "children": [{"code": "a"}, {"code": "b"}]},
    {"code": "Q", "children": [{"code": "c"}]}]}}, "old.yaml")
NEW = fi.framework_from_dict({"name": "new", "index": {"code": "i", "children": [
    {"code": "R", "children": [{"code": "a"}]},
    {"code": "S", "children": [{"code": "b"}, {"code": "c"}]}]}}, "new.yaml")


def test_backcast_on_a_two_framework_example():
    """2024 data a = (0, 5, 10), b = (10, 0, 5), c = (0, 10, 4) -> min-max a (0, 50, 100),
    b (100, 0, 50), c (0, 100, 40). On its own framework: P = (50, 25, 75), Q = c,
    index (25, 62.5, 57.5): u2 first. Back-cast on the new one: R = a, S = (50, 50, 45),
    index (25, 50, 72.5): u3 first. 2025 on the new framework: a (100, 50, 0),
    b (0, 100, 50), c (40, 100, 0) -> R (100, 50, 0), S (20, 100, 25), index (60, 75, 12.5)."""
    meth = fi.methodology_from_dict({})
    data_2024 = _three([[0, 5, 10], [10, 0, 5], [0, 10, 4]], 2024, OLD)
    own = fi.build(OLD, data_2024, meth)
    np.testing.assert_allclose(own.scores("P")[2024], [50, 25, 75])
    np.testing.assert_allclose(own.scores("i")[2024], [25, 62.5, 57.5])
    bc = backcast(NEW, data_2024, meth, 2024, "edition 2024")
    assert bc.label == ("2024 back-cast on the new framework (recomputed from edition 2024's "
                        "own data)")
    np.testing.assert_allclose(bc.results.scores("R")[2024], [0, 50, 100])
    np.testing.assert_allclose(bc.results.scores("S")[2024], [50, 50, 45])
    np.testing.assert_allclose(bc.results.scores("i")[2024], [25, 50, 72.5])
    assert bc.results.ranks("i")[2024].tolist() == [3, 2, 1]
    new = fi.build(NEW, _three([[10, 5, 0], [0, 10, 5], [4, 10, 0]], 2025, NEW), meth)
    np.testing.assert_allclose(new.scores("S")[2025], [20, 100, 25])
    np.testing.assert_allclose(new.scores("i")[2025], [60, 75, 12.5])
    # like-for-like change in rank (back-cast 2024 -> 2025): u1 +1, u2 +1, u3 -2
    change = bc.results.ranks("i")[2024] - new.ranks("i")[2025]
    assert change.tolist() == [1, 1, -2]


def test_backcast_needs_every_new_indicator_in_the_previous_data():
    wider = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "a"}, {"code": "d"}]}}, "wider.yaml")
    with pytest.raises(FrameworkError, match=r"\['d'\].*\[F40\]"):
        backcast(wider, _three([[0, 5, 10], [10, 0, 5], [0, 10, 4]], 2024, OLD),
                 fi.methodology_from_dict({}), 2024)


def test_backcast_keeps_the_denominators_of_the_previous_data():
    """Old data (indicators b, a, c; years 2023, 2024), a per capita on the new framework.
    2024: a = (10, 40, 90), pop = (1, 4, 3) -> a per capita (10, 10, 30) -> min-max
    (0, 0, 100); b = (0, 50, 100) -> (0, 50, 100); index (0, 25, 100)."""
    pop = [{"code": "pop"}]
    old = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "b"}, {"code": "a"}, {"code": "c"}]}, "denominators": pop}, "old.yaml")
    new = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "a", "denominator": "pop"}, {"code": "b"}]}, "denominators": pop},
        "new.yaml")
    values = [[[1, 1, 1], [2, 2, 2], [3, 3, 3]],              # 2023: u1, u2, u3 x (b, a, c)
              [[0, 10, 7], [50, 40, 7], [100, 90, 7]]]        # 2024
    den = [[[1], [1], [1]], [[1], [4], [3]]]
    panel = fi.panel_from_arrays(np.array(values, float), old, ["u1", "u2", "u3"],
                                 [2023, 2024], source="synthetic", denominators=den)
    bc = backcast(new, panel, fi.methodology_from_dict({"denominate": True}), 2024)
    np.testing.assert_allclose(bc.results.scores("a")[2024], [0, 0, 100])
    np.testing.assert_allclose(bc.results.scores("i")[2024], [0, 25, 100])
    one = bc.results.panel
    assert one.years == (2024,) and one.indicators == ("a", "b")
    assert one.denominator_codes == ("pop",) and one.denominators[0, :, 0].tolist() == [1, 4, 3]
    assert (one.sources, one.origin) == (panel.sources, panel.origin)
    np.testing.assert_array_equal(one.flags, panel.flags[1:, :, [1, 0]])


def test_universe_screen_lists_who_is_out_and_why(editions):
    for y in (2024, 2025):
        t = editions.screening[y].set_index("unit")
        assert t["kept"].sum() == len(editions.own[y].units) == UNIVERSE
        assert set(TEN) <= set(t.index[t["kept"]])
        # listed or counted on 4 of 21 city-level indicators (19% < 20%)
        assert t.at["HGH", "why_out"] == "listed or counted on 19% (needs 20%)"
        assert t.at["XMN", "why_out"] == "listed or counted on 0% (needs 20%)"
        assert (t.loc[~t["kept"], "why_out"] != "").all()
        assert (t.loc[t["kept"], "why_out"] == "").all()


def test_named_cities_tie_on_a_dimension_only_with_equal_inputs(editions):
    for y, res in editions.own.items():
        fw = res.framework
        data = res.panel
        for dim in fw.nodes[fw.index].children:
            scores = res.scores(dim)[y]
            cols = [fw.indicators.index(c) for c in fw.descendants(dim)]
            ranked = [u for u in TEN if u in scores.index]
            for i, u in enumerate(ranked):
                for v in ranked[i + 1:]:
                    if scores[u] == scores[v]:
                        a = data.values[0, data.unit_codes.index(u), cols]
                        b = data.values[0, data.unit_codes.index(v), cols]
                        np.testing.assert_array_equal(a, b, err_msg=f"{y} {dim}: {u} = {v}")


def test_ranks_of_the_ten_named_cities(editions):
    got = {y: ten_ranks(editions.own[y].ranks()[y]) for y in (2024, 2025)}
    assert got == RANKS


def test_agreement_with_published_rankings(editions):
    found = {(a.ranking.split(" (")[0], a.edition): a for a in edition_agreement(editions)}
    gfcdi = found[("Global Fintech Center Development Index", 2024)]
    assert gfcdi.cities == 10 and gfcdi.our_year == 2024 and gfcdi.top10_published == 10
    assert (gfcdi.spearman, gfcdi.kendall) == pytest.approx(AGREEMENT_2024, abs=5e-5)


# pinned results of the bundled build (both editions on their own frameworks)
RANKS = {2024: {"NYC": 1, "LON": 2, "SHA": 12, "BJS": 15, "SZX": 16, "TYO": 8, "CHI": 7,
                "HKG": 10, "SIN": 5, "SFO": 3},
         2025: {"NYC": 1, "LON": 2, "SHA": 14, "BJS": 19, "SZX": 15, "TYO": 7, "CHI": 8,
                "HKG": 11, "SIN": 5, "SFO": 3}}
AGREEMENT_2024 = (0.0667, -0.0222)  # Spearman, Kendall with the official 2024 top ten
UNIVERSE = 39  # cities kept by the screen in each edition


def ten_ranks(ranks: pd.Series) -> dict[str, int | None]:
    """The ten named cities' ranks; None for a city not ranked (screened out)."""
    return {u: int(ranks[u]) if u in ranks.index and ranks[u] == ranks[u] else None
            for u in TEN}


def test_bounded_em_keeps_imputations_within_the_observed_range():
    """Two perfectly correlated indicators (b = 2a); a unit with a = 10 and b missing gets
    b = 20 from EM, outside the observed b (2..8): bounded EM gives the largest observed, 8;
    an estimate inside the range is EM's own."""
    from fintech_index.methods.impute import i_em, i_em_bounded

    x = np.array([[[1, 2], [2, 4], [3, 6], [4, 8], [10, np.nan], [2.5, np.nan]]])
    em = i_em(x)
    assert em[0, 4, 1] == pytest.approx(20, rel=1e-3) and em[0, 5, 1] == pytest.approx(5)
    out = i_em_bounded(x)
    assert out[0, 4, 1] == 8.0 and out[0, 5, 1] == em[0, 5, 1]
    np.testing.assert_array_equal(out[~np.isnan(x)], x[~np.isnan(x)])


def test_brokerage_records_count_and_sentence(tmp_path):
    """2022: eight listed brokerages disclosed more than 1 billion yuan (Huatai, Haitong,
    CICC by value; Guotai Junan, CMS, CSC, GF, Galaxy stated as above it), as the source's
    aggregate says (21 firms reporting, 8 above 1 billion)."""
    from fintech_index.gfcdi.counts import brokerage_counts, brokerage_sentence
    from fintech_index.store import Store

    with Store(tmp_path / "s.duckdb") as store:
        counts = brokerage_counts(store)
        again = brokerage_counts(store)  # ingested once
    pd.testing.assert_frame_equal(counts, again)
    y22 = counts[counts["year"] == 2022].set_index("unit")["value"].to_dict()
    assert y22 == {"BJS": 3.0, "SHA": 2.0, "CAN": 1.0, "NKG": 1.0, "SZX": 1.0}
    assert sum(y22.values()) == 8
    names = dict(pd.read_csv(FOLDER / "cities.csv")[["code", "name"]].to_numpy())
    assert brokerage_sentence(counts, 2022, names) == (
        "Of the 8 listed brokerages that disclosed more than 1 billion yuan ($137 million at "
        "0.137 USD per CNY on 2024-12-17) of IT investment for 2022, 3 are based in Beijing, "
        "2 in Shanghai, 1 in Guangzhou, 1 in Nanjing and 1 in Shenzhen.")
    assert brokerage_sentence(counts, 2023, names, records_in_year=3) == (
        "Of the 2 listed brokerages that disclosed more than 1 billion yuan ($137 million at "
        "0.137 USD per CNY on 2024-12-17) of IT investment for 2023, 1 is based in Beijing and "
        "1 in Nanjing (scope: the 3 firm-year statements for 2023 in the bundled press records "
        "of listed firms' disclosures).")
    one = counts[(counts["year"] == 2022) & (counts["unit"] == "CAN")]
    assert brokerage_sentence(one, 2022, names).startswith(
        "Of the 1 listed brokerage that disclosed more than 1 billion yuan")


@pytest.mark.slow
def test_main_command_builds_both_editions(tmp_path, monkeypatch):
    from fintech_index import gfcdi
    from fintech_index.gfcdi import editions, job

    loaded = []  # the editions are loaded once: the report reuses what the build loaded
    load = editions.load_editions
    for where in (gfcdi, job):  # fi.examples.load and the main job's report
        monkeypatch.setattr(where, "load_editions", lambda: loaded.append(1) or load())
    r = CliRunner().invoke(app, ["build", "--out", str(tmp_path), "--top", "10"])
    assert r.exit_code == 0, r.output
    assert len(loaded) == 1
    text = " ".join(r.output.split())
    assert "ranking 2025" in text and "vs 2024" in text  # the column: vs 2024 back-cast
    assert "Changes to 2025 are against the 2024 back-cast" in text and "like for like" in text
    assert "ranking 2024 on its own framework (level, potential, environment)" in text
    assert ("Edition 2025: 39 cities, 23 indicators; 88.3% of the index weight and 91.3% of "
            "the values are city, metro or cluster figures (11.7% of the weight on country "
            "figures)") in text
    assert "Screened out of 2025 (14): Guangzhou: listed or counted on 19% (needs 20%)" in text
    assert "fintech_unicorns: log_CT: heavy-tailed count" in text
    # the cross-validated check of the edition's imputation against simpler ones
    # the per-indicator choice and the auxiliary regressions beat EM (figures in the reasons)
    assert ("Imputation check 2025 (5-fold, MAE / sd of the observed values, mean over 23 "
            "indicators): i_median (this methodology) 0.59; i_median 0.74; i_mean 0.76; "
            "i_EM_bounded 0.85; auxiliary regressions, on the values they fill against EM on "
            "the same: air_passengers i_aux 0.69 vs 1.19 (13 of 34)") in text
    assert "top500_hq i_aux_monotone 0.47 vs 2.72 (3 of 34)" in text
    assert "top500_hq i_aux_monotone predicts none" in text  # 2024: two cities to fit on
    check = pd.read_csv(tmp_path / "fintech" / "imputation_check_2025.csv")
    assert len(check) == 4 * 23 + 9 and (check["ref_mae_sd"] > check["mae_sd"])[
        check["method"].str.contains("use_aux=['global500", regex=False)].all()
    assert "Of the 8 listed brokerages that disclosed more than 1 billion yuan" in text
    # the agreement with the official ranking, printed by the main job (issue 24, item 6)
    assert ("Global Fintech Center Development Index 2024 against ours of 2024 (10 cities): "
            "Spearman 0.07, Kendall -0.02, top 10 shared 7 of 10") in text
    out = tmp_path / "fintech"
    for name in ("ranking_2024.csv", "ranking_2025.csv", "ranking_2024_own_framework.csv",
                 "screening_2024.csv", "screening_2025.csv", "changes_2025.csv",
                 "sentences_2025.txt", "nodes.csv", "imputation_check_2024.csv",
                 "imputation_check_2025.csv"):
        assert (out / name).exists(), name
    own = pd.read_csv(out / "ranking_2024_own_framework.csv", index_col=0)
    assert ten_ranks(own["rank"]) == RANKS[2024]


def test_country_figures_are_labelled_in_the_outputs(editions, tmp_path):
    res = editions.own[2025]
    long = res.to_long()
    assert (long.loc[long["node"] == "ict_readiness", "figure_level"] == "country").all()
    assert (long.loc[long["node"] == "fintech_unicorns", "figure_level"] == "metro").all()
    res.write(tmp_path)
    nodes = pd.read_csv(tmp_path / "nodes.csv", keep_default_na=False).set_index("node")
    assert nodes.at["economic_freedom", "figure_level"] == "country"
    assert nodes.at["rd_expenditure", "figure_level"] == "city"
    assert nodes.at["gfci_rank", "figure_level"] == "city"


def test_backcast_from_the_store_uses_each_editions_own_framework(tmp_path):
    """The same two-framework example through the store: edition e2024 (old framework, its
    data stored), edition e2025 (new framework); the back-cast reads the new framework and
    methodology from e2025 and the data from e2024: index (25, 50, 72.5) as by hand."""
    from fintech_index.analysis.backcast import store_backcast
    from fintech_index.store import Store

    meth = fi.methodology_from_dict({})
    data_2024 = _three([[0, 5, 10], [10, 0, 5], [0, 10, 4]], 2024, OLD)
    data_2025 = _three([[10, 5, 0], [0, 10, 5], [4, 10, 0]], 2025, NEW)
    with Store(tmp_path / "s.duckdb") as store:
        store.put_dataset(data_2024, "data-2024")
        store.publish(fi.build(OLD, data_2024, meth), "e2024")
        store.publish(fi.build(NEW, data_2025, meth), "e2025")
        bc = store_backcast(store, "e2024", "e2025")
    assert bc.results.framework.indicators == ("a", "b", "c")
    assert bc.results.framework.nodes["S"].children == ("b", "c")
    np.testing.assert_allclose(bc.results.scores("i")[2024], [25, 50, 72.5])
    assert bc.label == ("2024 back-cast on the new framework (recomputed from edition "
                        "'e2024''s own data)")
