"""The Global Fintech Center Development Index's editions: its frameworks and data (two
editions), the universe screen, and its agreement with published rankings."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.backcast import Backcast, backcast, weight_on_levels
from ..analysis.differs import PublishedRanking
from ..build import Results, build
from ..framework import Framework, load_framework
from ..methodology import Methodology, ScreenChoice, load_methodology
from ..ordinal import BELOW_CUTOFF, apply_ordinals
from ..panel import IMPUTED, Panel, load_panel
from ..prepare import screen

EDITION_YEARS = (2024, 2025)

CITY_LEVELS = ("city", "metro", "cluster")
NAME = "fintech"  # the index's name among the bundled examples (fi.examples.load)


def folder() -> Path:
    """The index's bundled files (frameworks, data, methodology, records, published ranks):
    datasets/fintech/ of the installed package."""
    return Path(str(resources.files("fintech_index") / "datasets" / NAME))


def published_ranks() -> pd.DataFrame:
    """The published rankings the editions are compared with (published_ranks.csv)."""
    return pd.read_csv(folder() / "published_ranks.csv", keep_default_na=False)


def publish_inputs(example: str) -> tuple[list[str] | None, pd.DataFrame | None]:
    """What publishing the bundled fintech index uses beside its results: the ten cities
    the official 2024 edition names (their white papers) and the map coordinates (every
    city with its ISO3 country code; latitude and longitude where UN WUP 2018 has them, so
    the site places the others at their country's centroid and says so); nothing for other
    examples."""
    if example != NAME:
        return None, None
    here = folder()
    ten = list(official_ranking().ranks.index)
    cities = pd.read_csv(here / "cities.csv", keep_default_na=False)[["code", "country_iso3"]]
    coords = cities.merge(pd.read_csv(here / "city_coordinates.csv"), on="code", how="left")
    return ten, coords


def official_ranking(example: str = NAME) -> PublishedRanking | None:
    """The official 2024 ranking (its top ten, as the press reported it): what the
    published outputs say the edition differs from; None for other examples."""
    if example != NAME:
        return None
    pub = published_ranks()
    rows = pub[(pub["edition"] == 2024) & (pub["node"] == "index")
               & pub["ranking"].str.startswith("Global Fintech Center")]
    return PublishedRanking("Global Fintech Center Development Index", 2024,
                            rows.set_index("unit")["rank"].astype(int),
                            name_zh="全球金融科技中心发展指数")


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
    from scipy.stats import kendalltau, spearmanr  # 0.6 s to import: not for every build

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


def universe_screen(framework: Framework, panel: Panel, year: int
                    ) -> tuple[np.ndarray, pd.DataFrame]:
    """Which cities enter an edition: COINr's ``Screen`` on the city-, metro- and
    cluster-level indicators only, with the rule the framework states under
    ``meta: universe_screen`` (``dat_thresh``: share with a value, observed or placed below
    a published list's cut-off; ``nzero_thresh``: share that is non-zero, i.e. the city is
    listed or counted). Returns the kept mask over units and one row per city with why."""
    rule = ScreenChoice.model_validate(dict(framework.meta["universe_screen"]))
    panel = panel.subset_indicators(framework.indicators)
    x, _ = apply_ordinals(framework, panel, panel.values, panel.flags)
    cols = [k for k, c in enumerate(framework.indicators)
            if framework.nodes[c].figure_level in CITY_LEVELS]
    y = panel.years.index(year)
    keep, table = screen(rule, x[y:y + 1][..., cols], panel.subset_years([year]))
    table["name"] = panel.units["name"].to_numpy()
    why = []
    for _, r in table.iterrows():
        parts = []
        if r["share_present"] < rule.dat_thresh:
            parts.append(f"a value on {r['share_present']:.0%} of the city-level indicators "
                         f"(needs {rule.dat_thresh:.0%})")
        if r["share_nonzero"] < rule.nzero_thresh:
            parts.append(f"listed or counted on {r['share_nonzero']:.0%} "
                         f"(needs {rule.nzero_thresh:.0%})")
        why.append("; ".join(parts))
    table["why_out"] = why
    return keep[0], table


@dataclass(frozen=True)
class Editions:
    """Both editions of the bundled fintech index: the 2024 edition on its own (three
    dimension) framework, the 2025 edition on the five-dimension framework with the 2024
    data back-cast onto it (like-for-like changes), the universe screen of each."""

    frameworks: dict[int, Framework]
    methodology: Methodology
    panel: Panel  # every candidate city, both years
    screening: dict[int, pd.DataFrame]
    own: dict[int, Results]  # each edition on its own framework (its year only)
    latest: Results  # the 2025 framework over both years: 2024 = the back-cast
    backcast: Backcast

    def summary(self, year: int) -> dict[str, float | int]:
        """Cities, indicators, share of weight and of values that are city-level, share
        imputed, share placed below a list's cut-off: one edition on its own framework."""
        res, fw = self.own[year], self.frameworks[year]
        levels = weight_on_levels(fw)
        flags = res.flags[0]
        present = flags != 0
        city = np.array([fw.nodes[c].figure_level in CITY_LEVELS for c in fw.indicators])
        n = flags.size
        return {"cities": len(res.units), "indicators": len(fw.indicators),
                "weight_city_level": sum(v for k, v in levels.items() if k in CITY_LEVELS),
                "weight_country": levels.get("country", 0.0),
                "values_city_level": float((present & city).sum() / n),
                "imputed": float(((flags & IMPUTED) != 0).sum() / n),
                "below_cutoff": float(((flags & BELOW_CUTOFF) != 0).sum() / n)}


def load_editions() -> Editions:
    """Build both editions from the bundled files (datasets/fintech/)."""
    here = folder()
    fws = {y: load_framework(here / f"fintech_{y}.yaml") for y in EDITION_YEARS}
    meth = load_methodology(here / "fintech.methodology.yaml")
    cities = pd.read_csv(here / "cities.csv", keep_default_na=False)
    latest_fw = fws[EDITION_YEARS[-1]]
    panel = load_panel(here / "fintech.csv", latest_fw, units=units_frame(cities))
    screening, own = {}, {}
    for y in EDITION_YEARS:
        keep, screening[y] = universe_screen(fws[y], panel, y)
        data = panel.subset_years([y]).subset_units(keep).subset_indicators(fws[y].indicators)
        own[y] = build(fws[y], data, meth)
    keep_latest = screening[EDITION_YEARS[-1]]["kept"].to_numpy()
    both = panel.subset_units(keep_latest)
    latest = build(latest_fw, both, meth)
    bc = backcast(latest_fw, both, meth, EDITION_YEARS[0], f"edition {EDITION_YEARS[0]}")
    return Editions(fws, meth, panel, screening, own, latest, bc)


def edition_agreement(eds: Editions, published: pd.DataFrame | None = None) -> list[Agreement]:
    """:func:`agreement` of each published ranking with our edition of the nearest year,
    each edition on its own framework."""
    if published is None:
        published = published_ranks()
    years = sorted(eds.own)
    nearest = published["edition"].astype(int).map(
        lambda e: min(years, key=lambda y: (abs(y - e), -y)))
    out = []
    for y in years:
        out += agreement(eds.own[y], published[nearest == y])
    return sorted(out, key=lambda a: (a.ranking, a.edition))
