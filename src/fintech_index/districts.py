"""Districts inside a city: specialisation by location quotient, the leading district of
each sector, and roll-up of district figures into the city.

Every source of district counts shares one computation (:func:`location_quotients`), which
takes the counts as input: institution-level records in the store (:func:`district_table`),
or an index's own lists (the fintech index's unicorn counts: ``gfcdi.districts``).

Location quotient of district d in sector s (Isard 1960; Miller, Gibson and Wright 1991):
``LQ_ds = (n_ds / n_d) / (N_s / N)`` with n counts of institutions in the district and N in
the whole city; LQ > 1 means the district is specialised in s.
"""

from __future__ import annotations

import pandas as pd

from .errors import FintechIndexError, did_you_mean, listing
from .store import Store

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


def check_unit(unit: str, known: list[str], where: str) -> None:
    """Refuse a unit code that is not one of ``known`` (U52), naming the known codes."""
    if unit not in known:
        raise FintechIndexError("U52", f"{where}: '{unit}' is not one of the cities here"
                                       f"{did_you_mean(unit, known, ' (', ')')} "
                                       f"(codes: {listing(sorted(known))})")
