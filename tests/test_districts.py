"""District specialisation: location quotients by hand, on the real unicorn lists (places
inside the Bay Area and New York), through the store, on the command line; Shanghai's
district statements as cited notes."""

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from fintech_index import districts, records
from fintech_index.cli import app
from fintech_index.examples import datasets_dir
from fintech_index.gfcdi import districts as bundled_places
from fintech_index.store import Store

from .helpers import shared_file


def test_location_quotient_by_hand():
    """Two districts, two sectors, N = 10: A has 4 banks 1 insurer, B 1 bank 4 insurers.
    LQ(A, bank) = (4/5) / (5/10) = 1.6; LQ(B, bank) = (1/5) / (5/10) = 0.4."""
    counts = pd.DataFrame({"district": ["A", "A", "B", "B"], "sector": ["bank", "ins"] * 2,
                           "institutions": [4, 1, 1, 4]})
    t = districts.location_quotients(counts).set_index(["district", "sector"])
    assert t.at[("A", "bank"), "location_quotient"] == pytest.approx(1.6)
    assert t.at[("B", "bank"), "location_quotient"] == pytest.approx(0.4)
    assert t.at[("B", "ins"), "share_of_sector"] == pytest.approx(0.8)
    assert list(t.index[:2]) == [("A", "bank"), ("B", "bank")]  # sector, then most first


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcde"), st.sampled_from("xyz"),
                          st.integers(1, 50)), min_size=1, max_size=15,
                unique_by=lambda r: r[:2]))
def test_location_quotients_average_to_one_over_districts(rows):
    """For every sector, sum_d (n_d / N) LQ_ds = 1: the city as a whole is not specialised."""
    t = districts.location_quotients(pd.DataFrame(rows, columns=["district", "sector",
                                                                 "institutions"]))
    n = t["institutions"].sum()
    for _, s in t.groupby("sector"):
        assert (s["district_total"] / n * s["location_quotient"]).sum() == pytest.approx(1.0)


def test_bay_area_places_from_the_real_2025_list():
    """CB Insights list of 2025-10-07, Bay Area (SFO): 327 unicorns with an industry in 26
    places; San Francisco 197 of them (194 + 3 spelled "San Fransisco"), 35 in Financial
    Services (40 in the metro): LQ = (35/197) / (40/327) = 1.4524; Palo Alto 2 of 7 insurers:
    (2/30) / (7/327) = 3.1143. One firm's industry cell reads 'West Palm Beach' (shifted in
    the source): left out."""
    table, info = bundled_places.unicorn_places("SFO", 2025)
    assert info["firms"] == 327 and info["places"] == 26
    assert info["unclassified"] == [("San Francisco", "West Palm Beach", 1)]
    assert "San Fransisco" not in set(table["district"])
    t = table.set_index(["district", "sector"])
    assert t.at[("San Francisco", "Financial Services"), "location_quotient"] == \
        pytest.approx(35 / 197 / (40 / 327))
    assert t.at[("Palo Alto", "Insurance"), "location_quotient"] == \
        pytest.approx(2 / 30 / (7 / 327))
    summary = bundled_places.place_summary(table).set_index("place")
    assert list(summary.index[:3]) == ["San Francisco", "Palo Alto", "Redwood City"]
    assert summary.at["San Mateo", "firms"] == 10
    assert summary.at["San Francisco", "fintech_firms"] == 39


def test_place_names_table_is_reviewed_and_merges_every_variant():
    """Each row of place_names.csv has a reason and a source and names a spelling the
    bundled lists really use inside that metro; after normalisation no variant is left and
    the merged place holds the sum: Bengaluru 2025 = 27 + 1 "Bangalore" = 28 firms, the
    only place of the metro; Munich 2024 = 5 + 1 "Munchen"; Hong Kong's blank city cell
    counts as Hong Kong."""
    names = bundled_places.place_names()
    assert list(names.columns) == bundled_places.PLACE_NAME_COLUMNS
    assert (names["reason"] != "").all() and (names["source"] != "").all()
    assert not names.duplicated(["metro", "source_name"]).any()
    raw = pd.read_csv(datasets_dir() / "fintech" / "unicorns_by_hq_city.csv",
                      keep_default_na=False)
    assert set(names["source_name"]) <= set(raw["hq_city"])
    for year in (2024, 2025):
        got = bundled_places.unicorn_counts(year)
        pairs = set(zip(got["metro"], got["place"], strict=True))
        assert not pairs & set(zip(names["metro"], names["source_name"], strict=True))
    blr = bundled_places.unicorn_counts(2025).query("metro == 'BLR'")
    assert set(blr["place"]) == {"Bengaluru"} and blr["firms"].sum() == 28
    muc = bundled_places.unicorn_counts(2024).query("metro == 'MUC' and place == 'Munich'")
    assert muc["firms"].sum() == 6
    hkg = bundled_places.unicorn_counts(2025).query("metro == 'HKG'")
    assert set(hkg["place"]) == {"Hong Kong", "Central", "Kowloon"}
    assert hkg.query("place == 'Hong Kong' and industry == 'Financial Services'"
                     )["firms"].tolist() == [5]


def test_new_york_places_include_brooklyn():
    table, info = bundled_places.unicorn_places("NYC", 2025)
    places = set(table["district"])
    assert {"New York", "Brooklyn", "Jersey City", "Hoboken"} <= places
    assert table.loc[table["district"] == "Brooklyn", "institutions"].sum() == 1
    assert info["firms"] == 130


def test_all_places_cover_every_metro_with_unicorns():
    frame = bundled_places.all_places(2024)
    assert frame["unit"].nunique() >= 30
    lq = frame["location_quotient"]
    assert (lq > 0).all() and all(math.isfinite(v) for v in lq)


def test_shanghai_statements_are_notes_without_comparable_numbers():
    notes = bundled_places.district_notes("SHA")
    assert "value_numeric" not in notes.columns  # nothing to compare across districts
    assert {"Pudong", "Hongkou", "Huangpu", "Xuhui"} <= set(notes["district"])
    assert notes["source_url"].str.startswith("http").all()
    assert notes["district"].iloc[0] != "" and notes["district"].iloc[-1] == ""
    assert bundled_places.district_notes("NYC").empty


UNICORNS = shared_file("cbinsights-unicorns", "unicorns_tidy.csv")


@pytest.mark.skipif(UNICORNS is None, reason="the raw CB Insights lists are not "
                    "bundled (licence); shared/data/cbinsights-unicorns is absent here")
def test_store_records_give_the_same_quotients_as_the_bundled_counts(tmp_path):
    """The company rows ingested into a real DuckDB store, counted by SQL per HQ place:
    the same location quotients as the bundled per-place counts."""
    from fintech_index.gfcdi.counts import unicorn_records

    recs = unicorn_records(UNICORNS, datasets_dir() / "fintech" / "hq_city_metro.csv")
    recs = recs[recs["sector"].isin(bundled_places.CB_INDUSTRIES)]
    with Store(tmp_path / "s.duckdb") as s:
        records.ingest(s, recs, "cb-unicorns")
    with Store(tmp_path / "s.duckdb", read_only=True) as s:
        from_store = districts.district_table(s, "SFO", 2025)
    bundled, _ = bundled_places.unicorn_places("SFO", 2025)
    pd.testing.assert_frame_equal(from_store, bundled, check_dtype=False)
    r = CliRunner().invoke(app, ["districts", "SFO", "--store", str(tmp_path / "s.duckdb")])
    assert r.exit_code == 0, r.output
    assert "Palo Alto" in r.output
    # the white paper's district section comes from the store when it has the records
    import pypdf

    import fintech_index as fi
    from fintech_index.gfcdi.paper import paper_sections
    from fintech_index.publish import publish_all

    res = fi.examples.load("fintech").build()
    paper = [p for p in publish_all(res, pdf=tmp_path / "pdf",
                                    sections=paper_sections(res, tmp_path / "s.duckdb"))
             if p.name.startswith("San_Francisco")][0]
    text = " ".join(" ".join(pg.extract_text().split()) for pg in pypdf.PdfReader(paper).pages)
    assert f"Counted from: records in {tmp_path / 's.duckdb'}, 2025." in text
    assert "San Mateo 10 3% 2 1.39" in text


def test_cli_prints_places_and_the_left_out_cell():
    r = CliRunner().invoke(app, ["districts", "SFO"])
    assert r.exit_code == 0, r.output
    assert "327 unicorns in 26 places" in r.output
    assert "'West Palm Beach'" in r.output
    for place in ("San Francisco", "Palo Alto", "San Mateo"):
        assert place in r.output


def test_cli_says_plainly_when_one_place_holds_the_firms():
    """Shanghai 2025: 34 unicorns listed as "Shanghai", 1 as "Pudong": one sentence that
    says so, not a share of 97%; the Bay Area (a real split) gets no such sentence."""
    r = CliRunner().invoke(app, ["districts", "SHA"])
    assert r.exit_code == 0, r.output
    assert ("34 of the metro's 35 unicorns are headquartered in Shanghai and 1 in Pudong: no "
            "other place has 3 or more") in " ".join(r.output.split())
    assert "97%" not in r.output
    r = CliRunner().invoke(app, ["districts", "SHA", "--year", "2024"])
    assert "All 38 unicorns of the metro are headquartered in Shanghai" in " ".join(
        r.output.split())
    assert "headquartered in San Francisco and" not in CliRunner().invoke(
        app, ["districts", "SFO"]).output


def test_no_place_with_enough_firms_is_said_plainly_in_both_languages():
    """Melbourne 2025: 3 unicorns, 2 in Melbourne and 1 in Richmond, no place with 3."""
    table, info = bundled_places.unicorn_places("MEL", 2025)
    every = bundled_places.place_summary(table, 1)
    assert bundled_places.one_place_sentence(every, info, 3) == (
        "The metro's 3 unicorns are headquartered in 2 places (2 in Melbourne and 1 in "
        "Richmond), none with 3 or more: no split inside the metro is possible from these "
        "records.")
    zh = bundled_places.one_place_sentence(every, info, 3, "zh")
    assert zh.startswith("该都市区3家独角兽的总部分布在2个地点（2家位于") and "均不足3家" in zh
    sfo, sfo_info = bundled_places.unicorn_places("SFO", 2025)
    assert bundled_places.one_place_sentence(bundled_places.place_summary(sfo, 1), sfo_info,
                                             3) is None  # a real split: the table


def test_city_places_from_the_store_or_the_bundled_list(tmp_path):
    """Store branch, by hand: Palo Alto 2 fintech firms, San Mateo 1 health firm (N = 3):
    LQ Palo Alto fintech (2/2) / (2/3) = 1.5, San Mateo health (1/1) / (1/3) = 3. An unknown
    city is refused in both branches [U52]; the bundled branch is unicorn_places."""
    from fintech_index.errors import FintechIndexError

    recs = pd.DataFrame({"institution": ["A", "B", "C"], "unit": "SFO",
                         "district": ["Palo Alto", "Palo Alto", "San Mateo"],
                         "sector": ["Financial Services", "Financial Services", "Health"],
                         "year": 2025, "amount": 1.0, "currency": "USD", "source": "synthetic"})
    with Store(tmp_path / "s.duckdb") as s:
        records.ingest(s, recs, "synthetic")
    with Store(tmp_path / "s.duckdb", read_only=True) as s:
        table, info = bundled_places.city_places("SFO", 2025, s)
        with pytest.raises(FintechIndexError, match=r"records with a district: 'NYC' .*\[U52\]"):
            bundled_places.city_places("NYC", 2025, s)
    lq = table.set_index("district")["location_quotient"]
    assert lq["Palo Alto"] == pytest.approx(1.5) and lq["San Mateo"] == pytest.approx(3)
    assert info == {"list_as_of": "2025", "source": f"records in {tmp_path / 's.duckdb'}, 2025",
                    "firms": 3, "fintech_firms": 2, "places": 2, "unclassified": []}
    table, info = bundled_places.city_places("SFO", 2025)
    bundled, bundled_info = bundled_places.unicorn_places("SFO", 2025)
    pd.testing.assert_frame_equal(table, bundled)
    assert info == bundled_info
    with pytest.raises(FintechIndexError, match=r"unicorn list of 2025: 'ATL' .*\[U52\]"):
        bundled_places.city_places("ATL", 2025)
