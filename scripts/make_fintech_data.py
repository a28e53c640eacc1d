"""Regenerate the bundled fintech-index data (datasets/fintech/) from ../shared/data.

Writes
* unicorns_by_hq_city.csv: CB Insights unicorn counts and valuations per list, HQ city and
  industry (aggregates with attribution; the raw company rows are not bundled);
* city_coordinates.csv: latitude and longitude from UN WUP 2018 (the report's map);
* published_ranks.csv: other publishers' city ranks (press coverage of the official index,
  Global FinTech Hub Report, Findexable), with our city codes, for validation only;
* fintech.csv: the long panel of both editions (unit, year = edition, indicator, value,
  source, source_year), one row per value found; a value not found has no row and stays
  missing (the framework's ``ordinal:`` rule reads a city absent from a published list as
  below its last entry).

Sources per indicator (levels are in fintech_2024.yaml / fintech_2025.yaml):
* CB Insights Global Unicorn Club: list of 2024-03-20 (edition 2024) or 2025-10-07 (2025);
* Mori Memorial Foundation GPCI 2023 indicator scores (0-100), the latest GPCI with
  indicator-level data, for both editions;
* PitchBook Global VC Ecosystem Rankings (April 2024): the rank 1-50;
* Z/Yen & CDI GFCI 36 (Sep 2024, edition 2024) or GFCI 38 (Sep 2025, edition 2025): the rank
  within the top 20 we hold completely (a rank beyond it is read as absent, like every other
  centre outside the top 20);
* GaWC 2024 Alpha tiers: the tier's position (1 = Alpha++ ... 4 = Alpha-);
* QS Best Student Cities 2024: the rank ("=8" -> 8; the band "151-160" -> its mean 155.5);
* WFE exchange capitalisation (Aug 2023): a city GPCI does not cover, on GPCI's scale
  (exchange_rows);
* auxiliary variables (declared under `denominators:` in the frameworks, not indicators):
  raw figures that the methodology's imputation regresses GPCI's scores on (auxiliary_rows).
Run: python scripts/make_fintech_data.py (set FINTECH_SHARED_DATA if ../shared/data is not
found walking up from this script).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from shared_data import shared_data

HERE = Path(__file__).resolve().parent
SHARED = shared_data()
OUT = HERE.parent / "src" / "fintech_index" / "datasets" / "fintech"

EDITIONS = {2024: {"unicorns": "2024-03-20", "gfci": "GFCI 36"},
            2025: {"unicorns": "2025-10-07", "gfci": "GFCI 38"}}
FINTECH_INDUSTRIES = ("Financial Services", "Insurance")  # CB Insights' fintech + insurtech
CB = "CB Insights, Global Unicorn Club, list of {}"
GPCI = "Mori Memorial Foundation, Institute for Urban Strategies, Global Power City Index 2023"
# indicator code in the frameworks -> GPCI 2023 indicator number
GPCI_INDICATORS = {
    "gdp_nominal": 1, "gdp_per_capita": 2, "economic_freedom": 4, "stock_market_cap": 5,
    "top500_hq": 6, "business_services_jobs": 8, "skilled_talent": 10, "business_risk": 13,
    "researchers": 14, "top_universities": 15, "rd_expenditure": 16, "patents": 19,
    "startups": 21, "ict_readiness": 49, "intl_flights": 61, "air_passengers": 63,
}
# the GPCI indicators the frameworks label `level: country` (national figures: identical for
# every GPCI city of a country; checked in national_rows)
COUNTRY_LEVEL = ("economic_freedom", "ict_readiness")
GFCI_LIST_SIZE = 20  # the part of each GFCI edition held completely (../shared/data/gfci)
# names as the sources spell them -> our city codes (reviewed; the rest match cities.csv)
ALIASES = {
    "New York City": "NYC", "San Francisco": "SFO", "San Francisco (Silicon Valley)": "SFO",
    "Washington, D.C.": "WAS", "Washington DC": "WAS", "Washington, DC": "WAS",
    "Hong Kong SAR": "HKG", "Bangalore": "BLR", "Gurugram": "DEL", "New Delhi": "DEL",
    "Delhi": "DEL", "Sao Paulo": "SAO", "São Paulo": "SAO",
}


def city_codes(cities: pd.DataFrame) -> dict[str, str]:
    return dict(zip(cities["name"], cities["code"], strict=True)) | ALIASES


def code_of(name: str, codes: dict[str, str]) -> str | None:
    """Our code of a source's city name; 'Shenzhen, China' is read as 'Shenzhen'."""
    name = str(name).strip()
    return codes.get(name) or codes.get(name.split(",")[0].strip())


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


def gpci_rows(cities: pd.DataFrame, year: int) -> list[dict]:
    """GPCI 2023 indicator scores (0-100) of the cities GPCI covers (48 cities; a city it
    does not cover has no row: missing, imputed visibly)."""
    g = pd.read_csv(SHARED / "gpci" / "gpci_indicator_scores_long.csv")
    g = g[g["edition"] == 2023]
    codes = city_codes(cities)
    rows = []
    for ind, number in GPCI_INDICATORS.items():
        part = g[g["indicator_no"] == number]
        name = part["indicator"].iloc[0]
        for _, r in part.iterrows():
            unit = code_of(r["city"], codes)
            if unit is not None:
                rows.append(_row(unit, year, ind, repr(float(r["score_0_100"])),
                                 f"{GPCI}, indicator {number} ({name}), score 0-100", 2023))
    return rows + national_rows(rows, cities, year)


def national_rows(rows: list[dict], cities: pd.DataFrame, year: int) -> list[dict]:
    """A `level: country` GPCI indicator is one national figure: the value GPCI gives every
    city it covers in a country, given here to each of our cities of that country that GPCI
    does not cover (never imputed city by city). A country whose GPCI cities disagree stops
    the script: such an indicator is not a country figure."""
    country = cities.set_index("code")["country"]
    name = cities.set_index("code")["name"]
    out = []
    for ind in COUNTRY_LEVEL:
        have = [r for r in rows if r["indicator"] == ind]
        by_country: dict[str, dict[str, str]] = {}
        for r in have:
            by_country.setdefault(country[r["unit"]], {})[r["unit"]] = r["value"]
        for nation, values in sorted(by_country.items()):
            if len(set(values.values())) != 1:
                raise SystemExit(f"{ind}: GPCI's {nation} cities {sorted(values)} differ; "
                                 "not a country figure")
            value = next(iter(values.values()))
            number = GPCI_INDICATORS[ind]
            covered = ", ".join(sorted(name[u] for u in values))
            for unit in cities.loc[cities["country"] == nation, "code"]:
                if unit not in values:
                    out.append(_row(unit, year, ind, value,
                                    f"{GPCI}, indicator {number}, national figure of {nation} "
                                    f"(GPCI's value for {covered}), "
                                    f"given to every city of {nation}", 2023))
    return out


def exchange_rows(cities: pd.DataFrame, year: int, rows: list[dict]) -> list[dict]:
    """Stock-market capitalisation (GPCI indicator 5's 0-100 scale) of a city GPCI does not
    cover whose exchange is in the WFE list (../shared/data/stock-exchanges; Shenzhen): the
    exchange's capitalisation placed on GPCI's scale by linear interpolation between the two
    GPCI cities whose capitalisations bracket it (a monotone fit on the GPCI cities with an
    exchange of their own, refused if GPCI's scores are not monotone in them; never an
    extrapolation). A city's capitalisation is the sum of the exchanges whose only venue it
    is; an exchange of several cities (Euronext, Korea Exchange) is not split."""
    wfe = pd.read_csv(SHARED / "stock-exchanges" / "wfe_market_cap_2023_08_top25.csv")
    wfe = wfe[wfe["market_cap_usd_tn"].notna()
              & ~wfe["venue_cities_added_by_us"].str.contains(";")]
    codes = city_codes(cities)
    cap: dict[str, float] = {}
    named: dict[str, list[str]] = {}
    for _, r in wfe.iterrows():
        unit = code_of(r["venue_cities_added_by_us"], codes)
        if unit is not None:
            cap[unit] = cap.get(unit, 0.0) + float(r["market_cap_usd_tn"])
            named.setdefault(unit, []).append(r["exchange"])
    gpci = {r["unit"]: float(r["value"]) for r in rows
            if r["indicator"] == "stock_market_cap" and r["year"] == year}
    pairs = sorted((cap[u], gpci[u], u) for u in cap if u in gpci)
    if any(b[1] < a[1] for a, b in zip(pairs, pairs[1:], strict=False) if b[0] > a[0]):
        raise SystemExit("stock_market_cap: GPCI's scores are not monotone in the WFE "
                         "capitalisations; no interpolation")
    name = cities.set_index("code")["name"]
    out = []
    for unit in sorted(set(cap) - set(gpci)):
        x = cap[unit]
        lo = [p for p in pairs if p[0] <= x]
        hi = [p for p in pairs if p[0] >= x]
        if not lo or not hi:
            continue  # outside the GPCI cities' range: no extrapolation, stays missing
        (x0, y0, u0), (x1, y1, u1) = lo[-1], hi[0]
        y = y0 if x1 == x0 else y0 + (x - x0) / (x1 - x0) * (y1 - y0)
        out.append(_row(unit, year, "stock_market_cap", repr(round(y, 6)),
                        f"WFE domestic market capitalisation, August 2023 (via Visual "
                        f"Capitalist, secondary): {' + '.join(named[unit])} USD {x:g} tn, "
                        f"placed on {GPCI} indicator 5's 0-100 scale by linear interpolation "
                        f"between the GPCI cities whose exchanges bracket it ({name[u0]} "
                        f"USD {x0:g} tn = {y0:.2f}, {name[u1]} USD {x1:g} tn = {y1:.2f})",
                        2023))
    return out


def gfci_rows(cities: pd.DataFrame, year: int) -> list[dict]:
    """The edition's GFCI rank within the top 20 (ranks beyond the top 20 we hold for a few
    centres are not used: every centre outside the top 20 is read the same way)."""
    g = pd.read_csv(SHARED / "gfci" / "gfci_ratings.csv")
    g = g[(g["edition"] == EDITIONS[year]["gfci"]) & (g["rank"] <= GFCI_LIST_SIZE)]
    codes = city_codes(cities)
    return [_row(unit, year, "gfci_rank", int(r["rank"]),
                 f"Z/Yen & CDI, {r['edition']}, rank in the top {GFCI_LIST_SIZE} "
                 f"({r['source_url']})", int(str(r["published"])[:4]))
            for _, r in g.iterrows() if (unit := code_of(r["centre"], codes)) is not None]


def pitchbook_rows(cities: pd.DataFrame, year: int) -> list[dict]:
    """PitchBook's April 2024 VC ecosystem rank (1-50, metro ecosystems)."""
    p = pd.read_csv(SHARED / "pitchbook-vc-ecosystems" / "pitchbook_vc_ecosystem_rank_2024-04.csv")
    codes = city_codes(cities)
    return [_row(unit, year, "vc_ecosystem_rank", int(r["rank"]),
                 "PitchBook Global VC Ecosystem Rankings, dashboard of 2024-04-18, as quoted "
                 f"by {r['source'].split(':')[0]}", 2024)
            for _, r in p.iterrows() if (unit := code_of(r["city_as_published"], codes))]


def gawc_rows(cities: pd.DataFrame, year: int) -> list[dict]:
    """GaWC 2024 Alpha tiers as the tier's position (1 = Alpha++); secondary copy, flagged
    in the source text."""
    g = pd.read_csv(SHARED / "gawc-2024" / "gawc_2024_alpha_tiers.csv")
    codes = city_codes(cities)
    return [_row(unit, year, "gawc_tier", int(r["tier_order"]),
                 f"GaWC, The World According to GaWC 2024, tier {r['tier']} (secondary "
                 "source: a copy of the GaWC page, not yet checked against it)", 2024)
            for _, r in g.iterrows() if (unit := code_of(r["city"], codes))]


def qs_rank(text: str) -> float:
    """'=8' -> 8 (a tie); '151-160' -> 155.5 (the band's mean rank)."""
    text = text.strip().lstrip("=")
    if "-" in text:
        lo, hi = (int(v) for v in text.split("-"))
        return (lo + hi) / 2
    return float(text)


def qs_rows(cities: pd.DataFrame, year: int) -> list[dict]:
    q = pd.read_csv(SHARED / "qs-best-student-cities" / "qs_best_student_cities_2024.csv",
                    dtype={"rank": str})
    codes = city_codes(cities)
    return [_row(unit, year, "student_city_rank", repr(qs_rank(r["rank"])),
                 f"QS Quacquarelli Symonds, QS Best Student Cities 2024, rank {r['rank']} "
                 "of 160", 2023)
            for _, r in q.iterrows() if (unit := code_of(r["city"], codes))]


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
    "MEL": "Melbourne", "CTU": "Chengdu", "NKG": "Nanjing, Jiangsu", "WUH": "Wuhan",
    "SZV": "Suzhou, Jiangsu", "CKG": "Chongqing", "XIY": "Xi'an, Shaanxi", "TSN": "Tianjin",
    "HFE": "Hefei", "TAO": "Qingdao", "XMN": "Xiamen",
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


def published_ranks(cities: pd.DataFrame) -> pd.DataFrame:
    """Other publishers' ranks (for validation only), with our city codes."""
    by_name = city_codes(cities)
    g = pd.read_csv(SHARED / "gfcdi-published" / "published_ranks.csv")
    a = pd.DataFrame({"ranking": "Global Fintech Center Development Index (press coverage)",
                      "edition": g["edition"], "node": g["node"], "rank": g["rank"].astype(str),
                      "city": g["city"], "source": "China Daily (2024): " + g["statement"]})
    h = pd.read_csv(SHARED / "fintech-hub-rankings" / "fintech_hub_rankings.csv")
    b = pd.DataFrame({"ranking": h["ranking"] + " (" + h["publisher"] + ")",
                      "edition": h["edition"], "node": "index", "rank": h["rank"].astype(str),
                      "city": h["city"], "source": h["source_url"]})
    g = pd.read_csv(SHARED / "gfci" / "gfci_ratings.csv")
    editions = {v["gfci"]: k for k, v in EDITIONS.items()}
    g = g[g["edition"].isin(editions) & (g["rank"] <= GFCI_LIST_SIZE)]
    c = pd.DataFrame({"ranking": "Global Financial Centres Index (Z/Yen & CDI; top 20; also an "
                                 "input of ours: not independent)",
                      "edition": g["edition"].map(editions), "node": "index",
                      "rank": g["rank"].astype(str), "city": g["centre"],
                      "source": g["edition"] + ": " + g["source_url"]})
    out = pd.concat([a, b, c], ignore_index=True)
    out.insert(5, "unit", out["city"].map(by_name).fillna(""))
    return out


# auxiliary variables: code -> (edition -> source year of the figures used)
AIRPORTS = {2024: 2023, 2025: 2024}  # city airport systems: the year published before each
FORTUNE = {2024: 2024, 2025: 2025}  # Fortune Global 500 list of that summer
# NBS city GDP: the year before GPCI-2023 (published in November 2023, the source of
# gdp_nominal in both editions), the latest full year published before it
NBS_GDP = {2024: 2022, 2025: 2022}
# GII 2023 clusters that name two or more of our cities (cities.csv): their figure is the
# sum over cities it does not split, so it describes none of them and is given to none
GII_SHARED_CLUSTERS = ("Shenzhen–Hong Kong–Guangzhou", "Shanghai–Suzhou")


def airport_rows(cities: pd.DataFrame, year: int) -> list[dict]:
    """Passengers of a metro's whole airport system (Wikipedia's table of ACI / Port
    Authority figures, top 21 of 2024 and top 19 of 2023). Partial list: a city absent
    from it is missing, not zero."""
    t = pd.read_csv(SHARED / "airport-city-systems" / "city_airport_systems_passengers.csv")
    t = t[t["year"] == AIRPORTS[year]]
    codes = city_codes(cities)
    return [_row(unit, year, "air_passengers_system", int(r["total_passengers"]),
                 f"List of busiest city airport systems by passenger traffic ({r['year']}; "
                 f"airports: {r['airports_included']}), {r['source']}", int(r["year"]))
            for _, r in t.iterrows() if (unit := code_of(r["metropolitan_area"], codes))]


def fortune_rows(cities: pd.DataFrame, year: int) -> list[dict]:
    """Fortune Global 500 headquarters per city, as stated for the list of that year (the
    counts a source states; the quality it is given is in the row). Partial list: a city
    without a stated count is missing, not zero."""
    t = pd.read_csv(SHARED / "fortune-global500-cities"
                    / "fortune_global500_hq_city_counts_stated.csv")
    t = t[t["edition"] == FORTUNE[year]]
    codes = city_codes(cities)
    return [_row(unit, year, "global500_hq_count", int(r["n_global500_hq"]),
                 f"Fortune Global 500 {r['edition']}, HQ count as stated by "
                 f"{r['source_outlet']} ({r['source_date']}; quality: {r['source_quality']}), "
                 f"{r['source_url']}", int(r["edition"]))
            for _, r in t.iterrows() if (unit := code_of(r["city"], codes))]


def gii_rows(cities: pd.DataFrame, year: int) -> list[dict]:
    """WIPO GII 2023 S&T clusters (ranks 1-35): PCT applications 2018-2022 by inventor
    location, cluster level (both editions: the latest table with counts). A cluster is
    given to the one city of ours it names, flagged in the source (Amsterdam-Rotterdam ->
    Amsterdam); a cluster naming several of our cities (GII_SHARED_CLUSTERS) to none; a
    city outside ranks 1-35 is missing, not zero (the table is sorted by the sum of two
    shares, not by filings)."""
    folder = SHARED / "gii-st-clusters-2023-table"
    t = pd.read_csv(folder / "gii2023_top_clusters_rank1_35.csv")
    m = pd.read_csv(folder / "cluster_to_city.csv", keep_default_na=False)
    known = set(cities["code"])
    m = m[m["city_code"].isin(known) & ~m["gii2023_cluster"].isin(GII_SHARED_CLUSTERS)]
    t = t.merge(m[["city_code", "gii2023_cluster", "match_note"]], left_on="cluster",
                right_on="gii2023_cluster")
    return [_row(r["city_code"], year, "gii_pct_filings", int(r["pct_applications"]),
                 f"WIPO, Global Innovation Index 2023, Appendix Table 3, S&T cluster "
                 f"'{r['cluster']}' (rank {r['rank']}): PCT applications 2018-2022, cluster "
                 f"figure given to {r['city_code']}"
                 + (f" ({r['match_note']})" if r["match_note"] else ""), 2023)
            for _, r in t.iterrows()]


def nbs_gdp_rows(cities: pd.DataFrame, year: int) -> list[dict]:
    """Nominal GDP at current prices (100 million yuan) of the Chinese cities in NBS's 36
    major cities, for the year GPCI-2023's GDP scores could measure (NBS_GDP). One
    statistical system and one currency: only Chinese cities have a value; any other city
    is missing, not zero. Matched on the Chinese name (NBS spells Xi'an "Xian")."""
    t = pd.read_csv(SHARED / "china-36city-nbs" / "nbs_major_cities_annual_long.csv")
    t = t[(t["indicator"] == "gdp_current_prices") & (t["year"] == NBS_GDP[year])]
    chinese = cities[cities["country_iso3"] == "CHN"]
    codes = dict(zip(chinese["name_zh"], chinese["code"], strict=True))
    return [_row(codes[r["city_cn"]], year, "gdp_nbs_cny", float(r["value"]),
                 f"National Bureau of Statistics of China, major cities annual data (csnd "
                 f"A0101, GDP at current prices, {r['year']}; {r['city_cn']})", int(r["year"]))
            for _, r in t.iterrows() if r["city_cn"] in codes]


def auxiliary_rows(cities: pd.DataFrame, year: int) -> list[dict]:
    """The raw figures an imputation may regress an indicator on (see the readers)."""
    return (airport_rows(cities, year) + fortune_rows(cities, year) + gii_rows(cities, year)
            + nbs_gdp_rows(cities, year))


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
        rows += unicorn_rows(agg, cities, year)
        for reader in (gpci_rows, gfci_rows, pitchbook_rows, gawc_rows, qs_rows):
            rows += reader(cities, year)
        rows += exchange_rows(cities, year, rows)
        rows += auxiliary_rows(cities, year)
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
