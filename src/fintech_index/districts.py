"""Districts inside a city: specialisation by location quotient, the leading district of
each sector, and roll-up of district figures into the city.

Two sources of district counts share one computation (:func:`location_quotients`):
institution-level records in the store (:func:`district_table`), and the bundled CB
Insights unicorn counts per headquarters place inside each metro (:func:`unicorn_places`:
San Francisco, Palo Alto, San Mateo ... inside the Bay Area; Brooklyn inside New York).

Location quotient of district d in sector s (Isard 1960; Miller, Gibson and Wright 1991):
``LQ_ds = (n_ds / n_d) / (N_s / N)`` with n counts of institutions in the district and N in
the whole city; LQ > 1 means the district is specialised in s.

Shanghai's district statements (:func:`shanghai_notes`) differ in year and definition; they
are cited notes, never numbers to compare.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pandas as pd

from .errors import FintechIndexError, listing
from .store import Store

# CB Insights' industries; a list row with anything else there is a shifted cell
CB_INDUSTRIES = ("Consumer & Retail", "Enterprise Tech", "Financial Services",
                 "Healthcare & Life Sciences", "Industrials", "Insurance",
                 "Media & Entertainment")
FINTECH_INDUSTRIES = ("Financial Services", "Insurance")  # as the index counts fintech
CB_SOURCE = "CB Insights, Global Unicorn Club, list of {}"
LQ_COLUMNS = ["district", "sector", "institutions", "district_total", "sector_total",
              "share_of_sector", "location_quotient"]


def location_quotients(counts: pd.DataFrame) -> pd.DataFrame:
    """``counts`` (district, sector, institutions) -> one row per district and sector with
    the district's and the sector's totals, the district's share of the sector and
    ``LQ = (n_ds / n_d) / (N_s / N)``; ordered by sector, then most institutions first."""
    c = counts[["district", "sector", "institutions"]].copy()
    c["institutions"] = c["institutions"].astype("int64")
    c = c[c["institutions"] > 0]
    total = int(c["institutions"].sum())
    c["district_total"] = c.groupby("district")["institutions"].transform("sum")
    c["sector_total"] = c.groupby("sector")["institutions"].transform("sum")
    c["share_of_sector"] = c["institutions"] / c["sector_total"]
    c["location_quotient"] = ((c["institutions"] / c["district_total"])
                              / (c["sector_total"] / total))
    return c.sort_values(["sector", "institutions", "location_quotient", "district"],
                         ascending=[True, False, False, True], kind="stable"
                         )[LQ_COLUMNS].reset_index(drop=True)


def district_table(store: Store, unit: str, year: int) -> pd.DataFrame:
    """One row per district and sector of ``unit`` in ``year`` from the store's records:
    institutions, totals, share of the district in the sector, location quotient."""
    counts = store.con.execute("""
        SELECT district, sector, count(DISTINCT institution) AS institutions
        FROM records WHERE unit = ? AND year = ? AND district IS NOT NULL
        GROUP BY district, sector""", [unit, year]).df()
    return location_quotients(counts)


def leading_districts(table: pd.DataFrame) -> pd.DataFrame:
    """The district with the most institutions in each sector of a :func:`district_table`
    (ties: the higher location quotient, then the name), with a sentence: "Huangpu leads in
    asset management (12 of 20 institutions, location quotient 1.80)"."""
    lead = table.groupby("sector", sort=True).head(1).reset_index(drop=True)
    lead["sentence"] = [
        f"{r.district} leads in {r.sector} ({r.institutions} of {r.sector_total} "
        f"institutions, location quotient {r.location_quotient:.2f})."
        for r in lead.itertuples()]
    return lead


def roll_up(store: Store, unit: str, year: int) -> pd.DataFrame:
    """District counts summed into the city per sector; institutions without a district
    are counted in the city total and shown as such."""
    return store.con.execute("""
        SELECT sector, count(DISTINCT institution) AS city_total,
               count(DISTINCT institution) FILTER (WHERE district IS NOT NULL) AS in_districts,
               count(DISTINCT institution) FILTER (WHERE district IS NULL) AS no_district
        FROM records WHERE unit = ? AND year = ? GROUP BY sector ORDER BY sector""",
                             [unit, year]).df()


# --------------------------------------------------------------------------- bundled data

def _fintech_folder() -> Path:
    from .examples import datasets_dir

    return datasets_dir() / "fintech"


def unicorn_counts(year: int) -> pd.DataFrame:
    """The bundled unicorn counts of the CB Insights list published in ``year``, with the
    metro of each headquarters place: list_as_of, metro, place, industry, firms,
    valuation_usd_bn (places outside the index's metros left out)."""
    return _unicorn_counts(int(year)).copy()


@cache
def _unicorn_counts(year: int) -> pd.DataFrame:
    folder = _fintech_folder()
    counts = pd.read_csv(folder / "unicorns_by_hq_city.csv", keep_default_na=False,
                         dtype={"firms": "int64", "valuation_usd_bn": "float64"})
    mapping = pd.read_csv(folder / "hq_city_metro.csv", keep_default_na=False, dtype=str)
    got = counts[counts["list_as_of"].str[:4] == str(year)].merge(
        mapping[["country", "hq_city", "metro"]], on=["country", "hq_city"], how="inner")
    got = got[got["metro"] != ""]
    return got.rename(columns={"hq_city": "place"})[
        ["list_as_of", "metro", "place", "industry", "firms", "valuation_usd_bn"]
    ].reset_index(drop=True)


def unicorn_places(unit: str, year: int) -> tuple[pd.DataFrame, dict]:
    """Location quotients of the headquarters places inside metro ``unit`` by CB Insights
    industry, from the list published in ``year``; and what goes with them: the list's date,
    its source, firms whose industry cell is not an industry (left out of the quotients,
    counted here), the metro's fintech unicorns."""
    table, info = _unicorn_places(unit, int(year))
    return table.copy(), dict(info)


@cache
def _unicorn_places(unit: str, year: int) -> tuple[pd.DataFrame, dict]:
    got = _unicorn_counts(year)
    mine = got[got["metro"] == unit]
    known = mine[mine["industry"].isin(CB_INDUSTRIES)]
    shifted = mine[~mine["industry"].isin(CB_INDUSTRIES)]
    table = location_quotients(known.rename(columns={"place": "district", "industry":
                                                     "sector", "firms": "institutions"}))
    list_date = str(got["list_as_of"].iloc[0]) if len(got) else ""
    info = {"list_as_of": list_date, "source": CB_SOURCE.format(list_date),
            "firms": int(known["firms"].sum()),
            "fintech_firms": int(known.loc[known["industry"].isin(FINTECH_INDUSTRIES),
                                           "firms"].sum()),
            "places": int(known["place"].nunique()),
            "unclassified": [(r.place, r.industry, int(r.firms))
                             for r in shifted.itertuples()]}
    return table, info


def place_summary(table: pd.DataFrame, min_firms: int = 3) -> pd.DataFrame:
    """One row per place of a location-quotient table with at least ``min_firms`` firms,
    largest first: firms, share of the metro, its fintech firms (Financial Services and
    Insurance) and their location quotient, and the industry it is most specialised in
    (highest LQ among the industries where it has at least two firms)."""
    total = int(table["institutions"].sum())
    is_fin = table["sector"].isin(FINTECH_INDUSTRIES)
    fin_total = int(table.loc[is_fin, "institutions"].sum())
    firms = table.groupby("district", sort=True)["institutions"].sum()
    fin = table[is_fin].groupby("district")["institutions"].sum().reindex(firms.index,
                                                                           fill_value=0)
    out = pd.DataFrame({"place": firms.index, "firms": firms.to_numpy(),
                        "share_of_metro": firms.to_numpy() / total if total else [],
                        "fintech_firms": fin.to_numpy()})
    out["fintech_lq"] = ((out["fintech_firms"] / out["firms"]) / (fin_total / total)
                         if fin_total else float("nan"))
    top = (table[table["institutions"] >= 2]
           .sort_values(["location_quotient", "institutions", "sector"],
                        ascending=[False, False, True], kind="stable")
           .drop_duplicates("district").set_index("district"))
    out["top_industry"] = out["place"].map(top["sector"])
    out["top_industry_firms"] = out["place"].map(top["institutions"]).fillna(0).astype(int)
    out["top_industry_lq"] = out["place"].map(top["location_quotient"])
    out = out[out["firms"] >= min_firms]
    return out.sort_values(["firms", "place"], ascending=[False, True],
                           kind="stable").reset_index(drop=True)


def store_places(store: Store, unit: str, year: int) -> tuple[pd.DataFrame, dict] | None:
    """Like :func:`unicorn_places`, from the store's records with a district (None when the
    store has none for ``unit`` in ``year``)."""
    table = district_table(store, unit, year)
    return None if table.empty else (table, _store_info(store, table, year))


def _store_info(store: Store, table: pd.DataFrame, year: int) -> dict:
    is_fin = table["sector"].isin(FINTECH_INDUSTRIES)
    return {"list_as_of": str(year), "source": f"records in {store.path}, {year}",
            "firms": int(table["institutions"].sum()),
            "fintech_firms": int(table.loc[is_fin, "institutions"].sum()),
            "places": int(table["district"].nunique()), "unclassified": []}


def city_places(unit: str, year: int, store: Store | None = None
                ) -> tuple[pd.DataFrame, dict]:
    """The location quotients of metro ``unit`` and what goes with them, as
    :func:`unicorn_places` gives them: from the store's records with a district when
    ``store`` is given, else from the bundled unicorn list of ``year``; a city that is not
    there is refused [U52]."""
    if store is None:
        known = sorted(unicorn_counts(year)["metro"].unique())
        check_unit(unit, known, f"CB Insights unicorn list of {year}")
        return unicorn_places(unit, year)
    known = [r[0] for r in store.con.execute(
        "SELECT DISTINCT unit FROM records WHERE district IS NOT NULL").fetchall()]
    check_unit(unit, known, f"{store.path}: records with a district")
    table = district_table(store, unit, year)
    return table, _store_info(store, table, year)


def all_places(year: int) -> pd.DataFrame:
    """Every metro's location-quotient table for the list published in ``year``, one frame
    with a ``unit`` column (what the main job writes as districts_<year>.csv)."""
    got = unicorn_counts(year)
    frames = []
    for unit in sorted(got["metro"].unique()):
        table, _ = unicorn_places(unit, year)
        frames.append(table.assign(unit=unit))
    if not frames:
        return pd.DataFrame(columns=["unit", *LQ_COLUMNS])
    return pd.concat(frames, ignore_index=True)[["unit", *LQ_COLUMNS]]


def shanghai_notes() -> pd.DataFrame:
    """Shanghai's district statements as cited notes (see scripts/
    make_shanghai_district_notes.py): area, date, what was stated, scope, source. Different
    years and definitions: never to be compared as numbers."""
    return _shanghai_notes().copy()


@cache
def _shanghai_notes() -> pd.DataFrame:
    return pd.read_csv(_fintech_folder() / "shanghai_district_notes.csv", dtype=str,
                       keep_default_na=False)


def district_notes(unit: str) -> pd.DataFrame:
    """The cited district notes of ``unit`` (Shanghai only, for now), district rows first."""
    if unit != "SHA":
        return shanghai_notes().iloc[0:0]
    notes = shanghai_notes()
    return notes.assign(_city=notes["district"] == "").sort_values(
        ["_city", "district", "as_of"], kind="stable").drop(columns="_city"
                                                            ).reset_index(drop=True)


def check_unit(unit: str, known: list[str], where: str) -> None:
    """Refuse a unit code that is not one of ``known`` (U52), naming the known codes."""
    if unit not in known:
        raise FintechIndexError("U52", f"{where}: '{unit}' is not one of the cities here "
                                       f"(codes: {listing(sorted(known))})")
