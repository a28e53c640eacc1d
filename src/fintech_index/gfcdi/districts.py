"""The index's districts data: the bundled CB Insights unicorn counts per headquarters
place inside each metro (San Francisco, Palo Alto, San Mateo ... inside the Bay Area;
Brooklyn inside New York) and Shanghai's cited district statements, put through the generic
location quotients of :mod:`fintech_index.districts`; the same tables from the store's
records with a district.

Place names are normalised from a reviewed table (``place_names.csv``: the metro, the name as
the list spells it, the name used, the reason and the source of each row), so that one place
is one row ("San Fransisco" is San Francisco, "Bangalore" Bengaluru).

Shanghai's district statements (:func:`shanghai_notes`) differ in year and definition; they
are cited notes, never numbers to compare.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from ..districts import LQ_COLUMNS, check_unit, district_table, location_quotients
from ..store import Store
from .editions import folder

# CB Insights' industries; a list row with anything else there is a shifted cell
CB_INDUSTRIES = ("Consumer & Retail", "Enterprise Tech", "Financial Services",
                 "Healthcare & Life Sciences", "Industrials", "Insurance",
                 "Media & Entertainment")
FINTECH_INDUSTRIES = ("Financial Services", "Insurance")  # as the index counts fintech
CB_SOURCE = "CB Insights, Global Unicorn Club, list of {}"
PLACE_NAME_COLUMNS = ["metro", "source_name", "place", "reason", "source"]


def place_names() -> pd.DataFrame:
    """The reviewed place-name table: metro, source_name (as the list spells it), place
    (the name used), reason and source of each row."""
    return _place_names().copy()


@cache
def _place_names() -> pd.DataFrame:
    return pd.read_csv(folder() / "place_names.csv", dtype=str, keep_default_na=False)


def place_name(metro: pd.Series, place: pd.Series) -> pd.Series:
    """Each place as the reviewed table spells it inside its metro (unlisted: unchanged)."""
    names = _place_names().set_index(["metro", "source_name"])["place"]
    keys = pd.MultiIndex.from_arrays([metro, place])
    named = names.reindex(keys).to_numpy()
    return pd.Series(named, index=place.index).where(pd.notna(named), place)


def normalise_places(got: pd.DataFrame) -> pd.DataFrame:
    """``got`` (metro, place, ...) with each place spelled as the reviewed table says, and
    the rows of one list date, metro, place and industry summed into one."""
    got = got.assign(place=place_name(got["metro"], got["place"]))
    return got.groupby(["list_as_of", "metro", "place", "industry"], as_index=False,
                       sort=True)[["firms", "valuation_usd_bn"]].sum()


def unicorn_counts(year: int) -> pd.DataFrame:
    """The bundled unicorn counts of the CB Insights list published in ``year``, with the
    metro of each headquarters place: list_as_of, metro, place, industry, firms,
    valuation_usd_bn (places outside the index's metros left out)."""
    return _unicorn_counts(int(year)).copy()


@cache
def _unicorn_counts(year: int) -> pd.DataFrame:
    here = folder()
    counts = pd.read_csv(here / "unicorns_by_hq_city.csv", keep_default_na=False,
                         dtype={"firms": "int64", "valuation_usd_bn": "float64"})
    mapping = pd.read_csv(here / "hq_city_metro.csv", keep_default_na=False, dtype=str)
    got = counts[counts["list_as_of"].str[:4] == str(year)].merge(
        mapping[["country", "hq_city", "metro"]], on=["country", "hq_city"], how="inner")
    got = got[got["metro"] != ""].rename(columns={"hq_city": "place"})
    return normalise_places(got)[
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


def _places_said(places: pd.DataFrame, lang: str) -> list[str]:
    """"2 in Hoboken", ...: places with more than one firm named; towns with one firm
    counted ("7 in 7 other places, one each") when there are several: a list of one-firm
    towns tells a reader nothing."""
    from ..publish.i18n import term, text

    single = places[places["firms"] == 1]
    named = places if len(single) == 1 else places[places["firms"] > 1]
    each = [text("wp_district_rest", lang, n=r.firms, place=term("place", r.place, lang))
            for r in named.itertuples()]
    if len(single) > 1:
        each.append(text("wp_district_rest_single", lang, n=len(single)))
    return each


def one_place_sentence(every: pd.DataFrame, info: dict, min_firms: int, lang: str = "en"
                       ) -> str | None:
    """Said plainly when the records hold one place, or one place with ``min_firms`` firms
    or more and a few firms elsewhere (``every``: :func:`place_summary` with min_firms=1):
    "34 of the metro's 35 unicorns are headquartered in Shanghai and 1 in Pudong: ... no
    split inside the metro is possible"; places with one firm are counted, not named, when
    there are several ("and 7 in 7 other places, one each"); None when there is a split to
    show."""
    from .. import format as F
    from ..publish.i18n import term, text

    if info["places"] == 1:
        return text("wp_district_single_one" if info["firms"] == 1 else "wp_district_single",
                    lang, firms=info["firms"],
                    place=term("place", every["place"].iloc[0], lang))
    large = int((every["firms"] >= min_firms).sum())
    if info["places"] < 1 or large > 1:
        return None

    if large == 0:  # Melbourne: 2 firms in Melbourne, 1 in Richmond
        return text("wp_district_few", lang, firms=info["firms"], places=info["places"],
                    rest=F.join(_places_said(every, lang), lang), min=min_firms)
    return text("wp_district_one_place", lang, firms=info["firms"], n=every["firms"].iloc[0],
                place=term("place", every["place"].iloc[0], lang),
                rest=F.join(_places_said(every.iloc[1:], lang), lang), min=min_firms)


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
    return pd.read_csv(folder() / "shanghai_district_notes.csv", dtype=str,
                       keep_default_na=False)


def district_notes(unit: str) -> pd.DataFrame:
    """The cited district notes of ``unit`` (Shanghai only, for now), district rows first."""
    if unit != "SHA":
        return shanghai_notes().iloc[0:0]
    notes = shanghai_notes()
    return notes.assign(_city=notes["district"] == "").sort_values(
        ["_city", "district", "as_of"], kind="stable").drop(columns="_city"
                                                            ).reset_index(drop=True)
