"""Records in the store: loading with clear errors, indicators counted by SQL (hand-worked),
currency conversion with its citation, districts, and the real unicorn lists."""


import pandas as pd
import pytest

import fintech_index as fi
from fintech_index import districts, records
from fintech_index.examples import datasets_dir
from fintech_index.store import Store

from .helpers import declared_units, shared_file

# synthetic records: two cities, brokerages' fintech investment in CNY or USD
RECORDS = """institution,unit,district,sector,year,amount,currency
Broker A,SHA,Huangpu,Brokerage,2024,1500000000,CNY
Broker B,SHA,Pudong,Brokerage,2024,800000000,CNY
Broker C,SHA,Huangpu,Brokerage,2024,200000000,USD
Fund D,SHA,Huangpu,Asset management,2024,,
Fund E,SHA,Huangpu,Asset management,2024,,
Insurer F,SHA,Pudong,Insurance,2024,,
Broker G,BJS,Xicheng,Brokerage,2024,999000000,CNY
Fund H,BJS,Xicheng,Asset management,2025,,
"""
RATES = "currency,date,usd_per_unit,source\nCNY,2024-06-28,0.137,synthetic rate\n"

FW = fi.framework_from_dict({"index": {"code": "i", "children": [
    {"code": "brokers", "from_records": {"agg": "count", "sector": "Brokerage"}},
    {"code": "big_brokers", "from_records": {"agg": "count_above", "sector": "Brokerage",
                                             "threshold": 1.0e9, "currency": "CNY",
                                             "rate_date": "2024-06-28"}},
    {"code": "invested_usd", "from_records": {"agg": "sum", "sector": "Brokerage",
                                              "currency": "USD", "rate_date": "2024-06-28"}},
    {"code": "am_share", "from_records": {"agg": "share", "sector": "Asset management"}},
]}, "units": declared_units("SHA", "BJS")}, "records.yaml")


@pytest.fixture
def store(tmp_path):
    (tmp_path / "r.csv").write_text(RECORDS)
    (tmp_path / "fx.csv").write_text(RATES)
    with Store(tmp_path / "s.duckdb") as s:
        records.ingest(s, records.read_records(tmp_path / "r.csv"), "brokers-2024")
        records.put_rates(s, records.read_rates(tmp_path / "fx.csv"))
        yield s


def test_indicators_counted_by_sql_as_worked(store):
    """SHA 2024: brokers A, B, C -> 3. Over 1 billion CNY: A 1.5e9 CNY yes; B 0.8e9 no;
    C 200 million USD = 200e6 / 0.137 = 1.46e9 CNY yes -> 2. BJS: G 0.999e9 CNY -> 0.
    Invested in USD: SHA 1.5e9 * 0.137 + 0.8e9 * 0.137 + 200e6 = 515.1e6.
    Asset-management share: SHA 2 of 6 records; BJS 2024 0 of 1, 2025 1 of 1."""
    out = records.aggregate(store, FW, units=["SHA", "BJS"], years=[2024, 2025])
    v = out.set_index(["indicator", "unit", "year"])["value"]
    assert v[("brokers", "SHA", 2024)] == 3 and v[("brokers", "BJS", 2025)] == 0
    assert v[("big_brokers", "SHA", 2024)] == 2 and v[("big_brokers", "BJS", 2024)] == 0
    assert v[("invested_usd", "SHA", 2024)] == pytest.approx(515.1e6)
    assert v[("am_share", "SHA", 2024)] == pytest.approx(2 / 6)
    assert v[("am_share", "BJS", 2025)] == 1.0
    src = out.set_index(["indicator", "unit", "year"])["source"][("big_brokers", "SHA", 2024)]
    assert "1 billion CNY ($137 million) at 0.137 USD per CNY on 2024-06-28" in src


def test_records_feed_a_panel_and_a_build(store, tmp_path):
    out = records.aggregate(store, FW, units=["SHA", "BJS"], years=[2024])
    out.to_csv(tmp_path / "from_records.csv", index=False)
    p = fi.load_panel(tmp_path / "from_records.csv", FW)
    assert p.values.shape == (1, 2, 4)
    assert fi.build(FW, p).ranking(2024).index[0] == "SHA"


def test_districts_location_quotients_and_leaders(store):
    """SHA 2024: Huangpu has brokerage 2 (A, C), asset management 2 (D, E); Pudong brokerage
    1 (B), insurance 1 (F). N = 6. LQ(Huangpu, AM) = (2/4) / (2/6) = 1.5; LQ(Pudong,
    insurance) = (1/2) / (1/6) = 3; LQ(Huangpu, brokerage) = (2/4) / (3/6) = 1."""
    t = districts.district_table(store, "SHA", 2024).set_index(["district", "sector"])
    assert t.at[("Huangpu", "Asset management"), "location_quotient"] == pytest.approx(1.5)
    assert t.at[("Pudong", "Insurance"), "location_quotient"] == pytest.approx(3.0)
    assert t.at[("Huangpu", "Brokerage"), "location_quotient"] == pytest.approx(1.0)
    lead = districts.leading_districts(t.reset_index()).set_index("sector")
    assert lead.at["Asset management", "sentence"] == (
        "Huangpu leads in Asset management (2 of 2 institutions, location quotient 1.50).")
    assert lead.at["Brokerage", "district"] == "Huangpu"
    up = districts.roll_up(store, "SHA", 2024).set_index("sector")
    assert up.at["Brokerage", "city_total"] == 3 and up["no_district"].sum() == 0


def test_bad_records_are_refused_with_row_and_column(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("institution,unit,sector,year,amount,currency\n"
                   "A,SHA,Brokerage,2024,12x,CNY\n"
                   ",SHA,Brokerage,2024,,\n"
                   "C,SHA,Brokerage,24.5,5,\n")
    with pytest.raises(fi.DataError) as e:
        records.read_records(bad)
    msg = str(e.value)
    assert "bad.csv: row 2, column 'amount': '12x' is not a number" in msg
    assert "bad.csv: row 3, column 'institution': empty" in msg
    assert "bad.csv: row 4, column 'year': 24.5 is not a year" in msg
    assert "bad.csv: row 4, column 'currency': an amount needs its currency" in msg
    with pytest.raises(fi.DataError, match="missing column\\(s\\) \\['sector'\\]"):
        (tmp_path / "nosector.csv").write_text("institution,unit,year\nA,SHA,2024\n")
        records.read_records(tmp_path / "nosector.csv")


def test_missing_rate_and_second_batch_are_refused(store):
    with pytest.raises(fi.StoreError, match="batch named 'brokers-2024' exists"):
        records.ingest(store, pd.DataFrame(columns=["institution"]), "brokers-2024")
    fw = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "x", "from_records": {"agg": "sum", "currency": "EUR",
                                       "rate_date": "2024-06-28"}}, {"code": "y"}]}})
    with pytest.raises(fi.StoreError, match=r"no exchange rate on 2024-06-28 for \['EUR'\]"):
        records.aggregate(store, fw)


UNICORNS = shared_file("cbinsights-unicorns", "unicorns_tidy.csv")


@pytest.mark.skipif(UNICORNS is None, reason="the raw CB Insights lists are not bundled "
                    "(licence); ../shared/data/cbinsights-unicorns is absent here")
def test_unicorn_lists_as_records_give_the_bundled_counts(tmp_path):
    from fintech_index.gfcdi.counts import unicorn_records

    folder = datasets_dir() / "fintech"
    recs = unicorn_records(UNICORNS, folder / "hq_city_metro.csv")
    fw = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "fintech_unicorns", "from_records": {
            "agg": "count", "sector": ["Financial Services", "Insurance"]}},
        {"code": "fintech_unicorn_value", "from_records": {
            "agg": "sum", "sector": ["Financial Services", "Insurance"]}}]}})
    bundled = pd.read_csv(folder / "fintech.csv")
    cities = pd.read_csv(folder / "cities.csv")["code"].tolist()
    with Store(tmp_path / "s.duckdb") as s:
        records.ingest(s, recs, "cb-unicorns")
        got = records.aggregate(s, fw, units=cities, years=[2024, 2025])
    merged = got.merge(bundled, on=["unit", "year", "indicator"], suffixes=("", "_bundled"))
    assert len(merged) == 2 * 2 * len(cities)
    scale = (merged["indicator"] == "fintech_unicorn_value").map({True: 1e9, False: 1.0})
    assert (merged["value"] / scale).round(6).tolist() == merged["value_bundled"].tolist()
