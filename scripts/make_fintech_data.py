"""Regenerate the bundled fintech-index data (datasets/fintech/) from ../shared/data.

Writes
* unicorns_by_hq_city.csv: CB Insights unicorn counts and valuations per list, HQ city and
  industry (aggregates with attribution; the raw company rows are not bundled);
* city_coordinates.csv: latitude and longitude from UN WUP 2018 (the report's map);
* published_ranks.csv: other publishers' city ranks (press coverage of the official index,
  Global FinTech Hub Report, Findexable), with our city codes, for validation only;
* fintech.csv: the long panel of both editions (unit, year = edition, indicator, value,
  source, source_year), one row per value found; a value not found has no row and stays
  missing.

Edition E uses what was published before it: the unicorn list of 2024-03-20 (E = 2024) or
2025-10-07 (E = 2025), GFCI 36 (Sep 2024) or GFCI 38 (Sep 2025), and for World Bank series
the latest year <= E - 1 (at most 5 years old), with that year kept as source_year.
Run: python scripts/make_fintech_data.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
OUT = HERE.parent / "src" / "fintech_index" / "datasets" / "fintech"

EDITIONS = {2024: {"unicorns": "2024-03-20", "gfci": "GFCI 36"},
            2025: {"unicorns": "2025-10-07", "gfci": "GFCI 38"}}
FINTECH_INDUSTRIES = ("Financial Services", "Insurance")  # CB Insights' fintech + insurtech
CB = "CB Insights, Global Unicorn Club, list of {}"
WDI = "World Bank, World Development Indicators, {} ({})"
# indicator code in the framework -> WDI series (numerator, optional per-million denominator)
WDI_SERIES = {
    "market_cap_gdp": ("CM.MKT.LCAP.GD.ZS", None),
    "stocks_traded_gdp": ("CM.MKT.TRAD.GD.ZS", None),
    "private_credit_gdp": ("FS.AST.PRVT.GD.ZS", None),
    "rd_gdp": ("GB.XPD.RSDV.GD.ZS", None),
    "researchers_per_m": ("SP.POP.SCIE.RD.P6", None),
    "patents_per_m": ("IP.PAT.RESD", "SP.POP.TOTL"),
    "articles_per_m": ("IP.JRN.ARTC.SC", "SP.POP.TOTL"),
    "tertiary_enrolment": ("SE.TER.ENRR", None),
    "gdp_per_capita_ppp": ("NY.GDP.PCAP.PP.CD", None),
    "broadband_per_100": ("IT.NET.BBND.P2", None),
    "secure_servers_per_m": ("IT.NET.SECR.P6", None),
}
MAX_AGE = 5
GFCI_NAMES = {"Washington, D.C.": "WAS", "San Francisco": "SFO"}


def unicorn_aggregates(raw: pd.DataFrame, mapping: pd.DataFrame) -> pd.DataFrame:
    dedup = raw.drop_duplicates()  # the 2025 file repeats three rows exactly (SOURCE.md)
    agg = (dedup.assign(valuation_usd_bn=dedup["valuation_usd_bn"].astype(float))
           .groupby(["list_as_of", "country", "city", "industry"], as_index=False)
           .agg(firms=("company", "size"), valuation_usd_bn=("valuation_usd_bn", "sum")))
    agg["valuation_usd_bn"] = agg["valuation_usd_bn"].round(6)
    return agg.rename(columns={"city": "hq_city"}).merge(
        mapping[["country", "hq_city", "metro"]], on=["country", "hq_city"], how="left")


def unicorn_rows(agg: pd.DataFrame, cities: pd.DataFrame, year: int) -> list[dict]:
    """Counts over the whole list: a city with no unicorn HQ in the list has 0 (an observed
    count, not a missing value)."""
    listed = EDITIONS[year]["unicorns"]
    part = agg[(agg["list_as_of"] == listed) & agg["metro"].fillna("").ne("")]
    src = CB.format(listed)
    fin = part[part["industry"].isin(FINTECH_INDUSTRIES)]
    sums = {"fintech_unicorns": fin.groupby("metro")["firms"].sum(),
            "fintech_unicorn_value": fin.groupby("metro")["valuation_usd_bn"].sum().round(6),
            "unicorns_all": part.groupby("metro")["firms"].sum()}
    return [_row(code, year, ind, s.get(code, 0), src, int(listed[:4]))
            for ind, s in sums.items() for code in cities["code"]]


def _row(unit: str, year: int, indicator: str, value, source: str, source_year: int) -> dict:
    return {"unit": unit, "year": year, "indicator": indicator, "value": value,
            "source": source, "source_year": source_year}


def wdi_rows(cities: pd.DataFrame, year: int) -> list[dict]:
    wdi = pd.read_csv(SHARED / "wdi-country" / "wdi_selected_long.csv", dtype={"value": str})
    names = pd.read_csv(SHARED / "wdi-country" / "indicators.csv").set_index(
        "indicator_code")["indicator_name"]
    wdi = wdi[(wdi["year"] <= year - 1) & (wdi["year"] >= year - MAX_AGE)]
    latest = wdi.sort_values("year").groupby(["indicator_code", "country_code"]).last()
    rows = []
    for code, (num, den) in WDI_SERIES.items():
        for _, city in cities.iterrows():
            key = (num, city["country_iso3"])
            if key not in latest.index:
                continue
            y, v = int(latest.loc[key, "year"]), float(latest.loc[key, "value"])
            src = WDI.format(names[num], num)
            if den is not None:
                pop = wdi[(wdi["indicator_code"] == den) & (wdi["country_code"] == key[1])
                          & (wdi["year"] == y)]
                if pop.empty:
                    continue
                v = v / float(pop["value"].iloc[0]) * 1e6
                src += f" per million people ({den}, same year)"
            rows.append(_row(city["code"], year, code, repr(v), src, y))
    return rows


def gfci_rows(cities: pd.DataFrame, year: int) -> list[dict]:
    g = pd.read_csv(SHARED / "gfci" / "gfci_ratings.csv")
    g = g[(g["edition"] == EDITIONS[year]["gfci"]) & g["rating"].notna()]
    by_name = dict(zip(cities["name"], cities["code"], strict=True)) | GFCI_NAMES
    rows = []
    for _, r in g.iterrows():
        unit = by_name.get(r["centre"])
        if unit is not None:
            rows.append(_row(unit, year, "gfci_rating", int(r["rating"]),
                             f"Z/Yen & CDI, {r['edition']} ({r['source_url']})",
                             int(str(r["published"])[:4])))
    return rows


WUP_NAMES = {  # our city -> UN WUP 2018 agglomeration (Luxembourg is under 300,000: absent)
    "NYC": "New York-Newark", "SFO": "San Francisco-Oakland", "CHI": "Chicago",
    "LAX": "Los Angeles-Long Beach-Santa Ana", "BOS": "Boston", "WAS": "Washington, D.C.",
    "SEA": "Seattle", "MIA": "Miami", "TOR": "Toronto",
    "MEX": "Ciudad de México (Mexico City)", "SAO": "São Paulo", "PAR": "Paris",
    "FRA": "Frankfurt am Main", "BER": "Berlin", "MUC": "München (Munich)",
    "AMS": "Amsterdam", "ZRH": "Zürich (Zurich)", "GVA": "Genève", "DUB": "Dublin",
    "STO": "Stockholm", "MAD": "Madrid", "MIL": "Milano (Milan)",
    "TLV": "Tel Aviv-Yafo (Tel Aviv-Jaffa)", "DXB": "Dubayy (Dubai)", "SHA": "Shanghai",
    "BJS": "Beijing", "SZX": "Shenzhen", "HGH": "Hangzhou", "CAN": "Guangzhou, Guangdong",
    "HKG": "Hong Kong", "TYO": "Tokyo", "SEL": "Seoul", "SIN": "Singapore",
    "JKT": "Jakarta", "KUL": "Kuala Lumpur", "BKK": "Krung Thep (Bangkok)",
    "BOM": "Mumbai (Bombay)", "BLR": "Bangalore", "DEL": "Delhi", "SYD": "Sydney",
    "MEL": "Melbourne",
}
WUP_COUNTRY = {"LON": ("London", "United Kingdom"), "MEL": ("Melbourne", "Australia")}


def coordinates() -> pd.DataFrame:
    """Latitude and longitude of each city from UN WUP 2018 (for the report's map)."""
    w = pd.read_csv(SHARED / "un-wup2018-agglomerations" / "wup2018_f12_urban_agglomerations.csv")
    rows = []
    names = WUP_NAMES | {code: name for code, (name, _) in WUP_COUNTRY.items()}
    for code, name in names.items():
        hit = w[w["urban_agglomeration"] == name]
        if code in WUP_COUNTRY:
            hit = hit[hit["country"] == WUP_COUNTRY[code][1]]
        if len(hit) != 1:
            raise SystemExit(f"WUP 2018: {name!r} for {code} matches {len(hit)} rows")
        r = hit.iloc[0]
        rows.append({"code": code, "latitude": r["latitude"], "longitude": r["longitude"],
                     "wup_agglomeration": name,
                     "source": "UN DESA, World Urbanization Prospects 2018, File 12"})
    return pd.DataFrame(rows).sort_values("code")


PUBLISHED_NAMES = {"San Francisco (Silicon Valley)": "SFO", "San Francisco": "SFO",
                   "Bangalore": "BLR"}


def published_ranks(cities: pd.DataFrame) -> pd.DataFrame:
    """Other publishers' ranks (for validation only), with our city codes."""
    by_name = dict(zip(cities["name"], cities["code"], strict=True)) | PUBLISHED_NAMES
    g = pd.read_csv(SHARED / "gfcdi-published" / "published_ranks.csv")
    a = pd.DataFrame({"ranking": "Global Fintech Center Development Index (press coverage)",
                      "edition": g["edition"], "node": g["node"], "rank": g["rank"].astype(str),
                      "city": g["city"], "source": "China Daily (2024): " + g["statement"]})
    h = pd.read_csv(SHARED / "fintech-hub-rankings" / "fintech_hub_rankings.csv")
    b = pd.DataFrame({"ranking": h["ranking"] + " (" + h["publisher"] + ")",
                      "edition": h["edition"], "node": "index", "rank": h["rank"].astype(str),
                      "city": h["city"], "source": h["source_url"]})
    out = pd.concat([a, b], ignore_index=True)
    out.insert(5, "unit", out["city"].map(by_name).fillna(""))
    return out


def main() -> None:
    cities = pd.read_csv(OUT / "cities.csv", keep_default_na=False)
    mapping = pd.read_csv(OUT / "hq_city_metro.csv", keep_default_na=False, dtype=str)
    raw = pd.read_csv(SHARED / "cbinsights-unicorns" / "unicorns_tidy.csv",
                      keep_default_na=False, dtype=str)
    agg = unicorn_aggregates(raw, mapping)
    agg.drop(columns=["metro"]).to_csv(OUT / "unicorns_by_hq_city.csv", index=False,
                                       lineterminator="\n")
    rows: list[dict] = []
    for year in EDITIONS:
        rows += unicorn_rows(agg, cities, year) + wdi_rows(cities, year) + gfci_rows(cities, year)
    coordinates().to_csv(OUT / "city_coordinates.csv", index=False, lineterminator="\n")
    published_ranks(cities).to_csv(OUT / "published_ranks.csv", index=False,
                                   lineterminator="\n")
    frame = pd.DataFrame(rows).sort_values(["year", "unit", "indicator"], kind="stable")
    frame.to_csv(OUT / "fintech.csv", index=False, lineterminator="\n",
                 quoting=csv.QUOTE_MINIMAL)
    print(f"wrote {len(frame)} values for {frame['unit'].nunique()} cities to "
          f"{OUT / 'fintech.csv'}")


if __name__ == "__main__":
    main()
