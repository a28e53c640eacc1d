"""Write datasets/fintech/hq_city_metro.csv: every HQ city of CB Insights' unicorn lists in
the countries of the index's cities, mapped to one of the index's metros or left blank
(outside any metro of the index), with the reason where it is not obvious.

The rules below were reviewed by hand (metro definitions: US Census Bureau metropolitan
statistical areas, the nine-county San Francisco Bay Area, Ile-de-France, Greater Toronto,
Mumbai Metropolitan Region, National Capital Region of Delhi, Israel CBS Tel Aviv
metropolitan area); where a city name is ambiguous, the firm's HQ decided it (note column).
Run: python scripts/make_hq_city_metro.py (needs ../shared/data/cbinsights-unicorns).
"""

import csv
from pathlib import Path

import pandas as pd
from shared_data import shared_data

HERE = Path(__file__).resolve().parent
RAW = shared_data() / "cbinsights-unicorns" / "unicorns_tidy.csv"
OUT = HERE.parent / "src" / "fintech_index" / "datasets" / "fintech"

US_METROS = {
    "NYC": ["New York", "Brooklyn", "Jersey City", "Hoboken", "Fort Lee", "Englewood Cliffs",
            "Port Washington", "Roseland", "Islandia", "Chatham", "Berkeley Heights"],
    "SFO": ["San Francisco", "San Fransisco", "South San Francisco", "Oakland", "Berkeley",
            "Alameda", "Hayward", "Fremont", "Pleasanton", "San Ramon", "Dublin", "San Mateo",
            "Burlingame", "Foster City", "San Carlos", "Redwood City", "Menlo Park",
            "Portola Valley", "Palo Alto", "Stanford", "Los Altos", "Mountain View",
            "Sunnyvale", "Santa Clara", "San Jose", "Milpitas", "Campbell", "Brisbane"],
    "CHI": ["Chicago", "Northbrook"],
    "LAX": ["Los Angeles", "Santa Monica", "Culver City", "El Segundo", "Hawthorne",
            "Inglewood", "Long Beach", "Marina del Rey", "Venice", "Sherman Oaks",
            "Beverly Hills", "Glendale", "Torrance", "Covina", "Irvine", "Mission Viejo"],
    "BOS": ["Boston", "Cambridge", "Somerville", "Brookline", "Waltham", "Woburn",
            "Burlington", "Natick", "Framingham", "Quincy"],
    "WAS": ["DC", "Washington DC", "McLean", "Herndon", "Bethesda", "Vienna"],
    "SEA": ["Seattle", "Bellevue", "Kirkland", "Redmond"],
    "MIA": ["Miami", "Boca Raton", "Plantation"],
}
OTHER = {
    ("China", "Shanghai"): "SHA", ("China", "Pudong"): "SHA", ("China", "Beijing"): "BJS",
    ("China", "Haidian"): "BJS", ("China", "Shenzhen"): "SZX", ("China", "Hangzhou"): "HGH",
    ("China", "Guangzhou"): "CAN", ("China", "Chengdu"): "CTU", ("China", "Nanjing"): "NKG",
    ("China", "Wuhan"): "WUH", ("China", "Suzhou"): "SZV", ("China", "Chongqing"): "CKG",
    ("China", "Hefei"): "HFE", ("China", "Qingdao"): "TAO", ("Hong Kong", ""): "HKG",
    ("Hong Kong", "Central"): "HKG",
    ("Hong Kong", "Hong Kong"): "HKG", ("Hong Kong", "Kowloon"): "HKG", ("", "Hong Kong"): "HKG",
    ("Singapore", ""): "SIN", ("", "Singapore"): "SIN", ("Japan", "Tokyo"): "TYO",
    ("South Korea", "Seoul"): "SEL", ("India", "Mumbai"): "BOM", ("India", "Andheri"): "BOM",
    ("India", "Thane"): "BOM", ("India", "Bengaluru"): "BLR", ("India", "Bangalore"): "BLR",
    ("India", "New Delhi"): "DEL", ("India", "Gurgaon"): "DEL", ("India", "Gurugram"): "DEL",
    ("India", "Noida"): "DEL", ("India", "Faridabad"): "DEL", ("Indonesia", "Jakarta"): "JKT",
    ("Thailand", "Bangkok"): "BKK", ("Australia", "Sydney"): "SYD",
    ("Australia", "Surry Hills"): "SYD", ("Australia", "Alexandria"): "SYD",
    ("Australia", "Melbourne"): "MEL", ("Australia", "Richmond"): "MEL",
    ("United Kingdom", "London"): "LON", ("France", "Paris"): "PAR",
    ("France", "La Plaine Saint-Denis"): "PAR", ("France", "Evry"): "PAR",
    ("Germany", "Berlin"): "BER", ("Germany", "Munich"): "MUC", ("Germany", "Munchen"): "MUC",
    ("Germany", "Unterfoehring"): "MUC", ("Germany", "Gilching"): "MUC",
    ("Netherlands", "Amsterdam"): "AMS", ("Switzerland", "Zurich"): "ZRH",
    ("Switzerland", "Geneva"): "GVA", ("Ireland", "Dublin"): "DUB",
    ("Luxembourg", "Leudelange"): "LUX", ("Sweden", "Stockholm"): "STO",
    ("Spain", "Madrid"): "MAD", ("Italy", "Milan"): "MIL", ("Israel", "Tel Aviv"): "TLV",
    ("Israel", "Ramat Gan"): "TLV", ("Israel", "Giv'atayim"): "TLV",
    ("Israel", "Herzliya"): "TLV", ("Israel", "Petah Tikva"): "TLV",
    ("Israel", "Ra'anana"): "TLV", ("Israel", "Netanya"): "TLV", ("Israel", "Yehud"): "TLV",
    ("United Arab Emirates", "Dubai"): "DXB", ("Canada", "Toronto"): "TOR",
    ("Canada", "Mississauga"): "TOR", ("Brazil", "Sao Paulo"): "SAO",
    ("Mexico", "Mexico City"): "MEX",
}
NOTES = {
    ("United States", "Dublin"): "Dublin, California (Alameda County): Vagaro's HQ",
    ("United States", "Brisbane"): "Brisbane, California (San Mateo County)",
    ("United States", "Glendale"): "Glendale, California (Los Angeles County)",
    ("United States", "Burlington"): "Burlington, Massachusetts; South Burlington (Vermont) "
                                      "is a separate row",
    ("United States", "Cambridge"): "Cambridge, Massachusetts",
    ("United States", "Quincy"): "Quincy, Massachusetts (Norfolk County)",
    ("United States", "Vienna"): "Vienna, Virginia (Fairfax County)",
    ("United States", "Irvine"): "Orange County: Los Angeles-Long Beach-Anaheim MSA",
    ("United States", "Mission Viejo"): "Orange County: Los Angeles-Long Beach-Anaheim MSA",
    ("United States", "Islandia"): "Suffolk County, Long Island: New York-Newark MSA",
    ("United States", "Chatham"): "Morris County, New Jersey: New York-Newark MSA",
    ("United States", "Berkeley Heights"): "Union County, New Jersey: New York-Newark MSA",
    ("United States", "San Fransisco"): "misspelling of San Francisco in the source "
                                       "(merged into it by place_names.csv)",
    ("United States", "Plantation"): "Broward County: Miami-Fort Lauderdale MSA",
    ("United States", "Boca Raton"): "Palm Beach County: Miami-Fort Lauderdale MSA",
    ("United States", "Kindbody"): "company name in the city field (source error): unknown",
    ("United States", ""): "no city in the source",
    ("United States", "New Jersey"): "a state, not a city: unknown",
    ("United States", "Scotts Valley"): "Santa Cruz County: outside the nine-county Bay Area",
    ("United States", "Santa Cruz"): "Santa Cruz County: outside the nine-county Bay Area",
    ("United States", "Westborough"): "Worcester County: outside the Boston MSA",
    ("United States", "Ellicott City"): "Baltimore MSA",
    ("United States", "Hanover"): "Hanover, Maryland: Baltimore MSA",
    ("United States", "Princeton"): "Mercer County, New Jersey: Trenton MSA",
    ("United States", "Pennsauken"): "Philadelphia MSA",
    ("", "Hong Kong"): "country blank in the source; the city is Hong Kong",
    ("", "Singapore"): "country blank in the source (shifted cell); the city is Singapore",
    ("Hong Kong", ""): "city-state: no city in the source",
    ("Singapore", ""): "city-state: no city in the source",
    ("Australia", "Richmond"): "Richmond, Victoria (Melbourne): Culture Amp's HQ",
    ("Australia", "Alexandria"): "Alexandria, New South Wales (Sydney)",
    ("Germany", "Gilching"): "Starnberg district: Munich metropolitan region",
    ("Luxembourg", "Leudelange"): "commune adjoining Luxembourg City",
    ("Israel", "Netanya"): "northern ring of the Tel Aviv metropolitan area (Israel CBS)",
    ("India", "Thane"): "Mumbai Metropolitan Region",
    ("India", "Maharashtra"): "a state, not a city: unknown",
    ("India", "Uttar Pradesh"): "a state, not a city: unknown",
    ("Malaysia", "Selangor"): "a state, not a city: the Klang Valley is not identifiable",
    ("France", "Evry"): "Essonne, Ile-de-France",
    ("France", "La Plaine Saint-Denis"): "Seine-Saint-Denis, Ile-de-France",
    ("Canada", "Mississauga"): "Greater Toronto Area",
    ("Mexico", "Lerma de Villada"): "State of Mexico: Toluca metropolitan area",
    ("Switzerland", "Prilly"): "Vaud (Lausanne), not Geneva",
}


def metro_of(country: str, city: str) -> str:
    if country == "United States":
        return next((m for m, names in US_METROS.items() if city in names), "")
    return OTHER.get((country, city), "")


def main() -> None:
    cities = pd.read_csv(OUT / "cities.csv", keep_default_na=False)
    countries = set(cities["country"]) | {""}
    raw = pd.read_csv(RAW, keep_default_na=False, dtype=str)
    pairs = sorted({p for p in zip(raw["country"], raw["city"], strict=True)
                    if p[0] in countries})
    with open(OUT / "hq_city_metro.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["country", "hq_city", "metro", "note"])
        for country, city in pairs:
            w.writerow([country, city, metro_of(country, city), NOTES.get((country, city), "")])
    print(f"wrote {len(pairs)} HQ cities to {OUT / 'hq_city_metro.csv'}")


if __name__ == "__main__":
    main()
