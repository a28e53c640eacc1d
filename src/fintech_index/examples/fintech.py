"""The bundled fintech index (two editions) and its agreement with published rankings."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import kendalltau, spearmanr

from ..build import Results


def publish_inputs(example: str) -> tuple[list[str] | None, pd.DataFrame | None]:
    """What publishing the bundled fintech index uses beside its results: the ten cities
    the official 2024 edition names (their white papers) and the map coordinates (every
    city with its ISO3 country code; latitude and longitude where UN WUP 2018 has them, so
    the site places the others at their country's centroid and says so); nothing for other
    examples."""
    from . import FINTECH, datasets_dir

    if example != FINTECH:
        return None, None
    folder = datasets_dir() / "fintech"
    pub = pd.read_csv(folder / "published_ranks.csv", keep_default_na=False)
    ten = pub[(pub["edition"] == 2024) & (pub["node"] == "index")
              & pub["ranking"].str.startswith("Global Fintech Center")]["unit"].tolist()
    cities = pd.read_csv(folder / "cities.csv", keep_default_na=False)[["code", "country_iso3"]]
    coords = cities.merge(pd.read_csv(folder / "city_coordinates.csv"), on="code", how="left")
    return ten, coords


def units_frame(cities: pd.DataFrame) -> pd.DataFrame:
    """Unit metadata for the panel loader from datasets/fintech/cities.csv."""
    return pd.DataFrame({"code": cities["code"], "name": cities["name"],
                         "name_zh": cities["name_zh"], "country": cities["country"],
                         "region": cities["region"], "level": "city"})


@dataclass(frozen=True)
class Agreement:
    """Our ranks against one published ranking: rank correlations over the cities both
    rank, and how many of the published top 10 are in our top 10."""

    ranking: str
    edition: int
    our_year: int
    cities: int
    spearman: float
    kendall: float
    top10_shared: int
    top10_published: int


def agreement(results: Results, published: pd.DataFrame) -> list[Agreement]:
    """Compare every published ranking (exact integer ranks only) with our edition of the
    same year (or our nearest year when that edition is not built)."""
    out = []
    exact = published[(published["node"] == "index")
                      & published["rank"].astype(str).str.fullmatch(r"\d+")]
    for (ranking, edition), rows in exact.groupby(["ranking", "edition"], sort=True):
        year = min(results.years, key=lambda y: (abs(y - int(edition)), -y))
        ours = results.ranks()[year]
        pub = rows.set_index("unit")["rank"].astype(int)
        common = [u for u in pub.index if u in ours.index and not np.isnan(ours[u])]
        if len(common) < 3:
            continue
        a, b = pub[common].to_numpy(), ours[common].to_numpy()
        top_pub = set(pub[pub <= 10].index)
        top_ours = set(ours[ours <= 10].index)
        out.append(Agreement(ranking, int(edition), int(year), len(common),
                             float(spearmanr(a, b).statistic), float(kendalltau(a, b).statistic),
                             len(top_pub & top_ours), len(top_pub)))
    return out


def unicorn_records(raw_csv, mapping_csv) -> pd.DataFrame:
    """CB Insights unicorn lists (``unicorns_tidy.csv``, not bundled) as records: the
    company, its metro (from the reviewed HQ-city mapping; companies outside the index's
    metros are left out), its HQ city as district, CB's industry as sector, the list's year,
    the valuation in USD. Exact duplicate rows are counted once."""
    raw = pd.read_csv(raw_csv, keep_default_na=False, dtype=str).drop_duplicates()
    mapping = pd.read_csv(mapping_csv, keep_default_na=False, dtype=str)
    m = raw.merge(mapping, left_on=["country", "city"], right_on=["country", "hq_city"])
    m = m[m["metro"] != ""]
    return pd.DataFrame({
        "institution": m["company"], "unit": m["metro"], "district": m["city"].replace("", None),
        "sector": m["industry"], "year": m["list_as_of"].str[:4].astype(int),
        "amount": m["valuation_usd_bn"].astype(float) * 1e9, "currency": "USD",
        "source": "CB Insights, Global Unicorn Club, list of " + m["list_as_of"],
    }).reset_index(drop=True)
