"""Districts inside a city: specialisation by location quotient, the leading district of
each sector, and roll-up of district figures into the city — from the records in the store.

Location quotient of district d in sector s (Isard 1960; Miller, Gibson and Wright 1991):
``LQ_ds = (n_ds / n_d) / (N_s / N)`` with n counts of institutions in the district and N in
the whole city; LQ > 1 means the district is specialised in s.
"""

from __future__ import annotations

import pandas as pd

from .store import Store


def district_table(store: Store, unit: str, year: int) -> pd.DataFrame:
    """One row per district and sector of ``unit`` in ``year``: institutions, share of the
    district in the sector, location quotient."""
    return store.con.execute("""
        WITH c AS (
            SELECT district, sector, count(DISTINCT institution) AS n
            FROM records WHERE unit = ? AND year = ? AND district IS NOT NULL
            GROUP BY district, sector),
        d AS (SELECT district, sum(n) AS n_d FROM c GROUP BY district),
        s AS (SELECT sector, sum(n) AS n_s FROM c GROUP BY sector),
        t AS (SELECT sum(n) AS n_all FROM c)
        SELECT c.district, c.sector, c.n AS institutions,
               c.n::DOUBLE / s.n_s AS share_of_sector,
               (c.n::DOUBLE / d.n_d) / (s.n_s::DOUBLE / t.n_all) AS location_quotient
        FROM c JOIN d USING (district) JOIN s USING (sector), t
        ORDER BY c.sector, c.n DESC, location_quotient DESC, c.district""",
                             [unit, year]).df()


def leading_districts(store: Store, unit: str, year: int) -> pd.DataFrame:
    """The district with the most institutions in each sector (ties: the higher location
    quotient, then the name), with a sentence: "Huangpu leads in asset management (12 of 20
    institutions, location quotient 1.8)"."""
    t = district_table(store, unit, year)
    lead = t.groupby("sector", sort=True).head(1).reset_index(drop=True)
    totals = t.groupby("sector")["institutions"].sum()
    lead["sentence"] = [
        f"{r.district} leads in {r.sector} ({r.institutions} of {totals[r.sector]} "
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
