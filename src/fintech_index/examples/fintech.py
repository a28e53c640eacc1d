"""The bundled fintech index (two editions) and its agreement with published rankings."""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..analysis.backcast import Backcast, backcast, weight_on_levels
from ..build import Results, build
from ..exports import write_csv
from ..framework import Framework, load_framework
from ..methodology import Methodology, ScreenChoice, load_methodology
from ..ordinal import BELOW_CUTOFF, apply_ordinals
from ..outfiles import output_folder
from ..panel import IMPUTED, Panel, load_panel
from ..prepare import screen

EDITION_YEARS = (2024, 2025)

CITY_LEVELS = ("city", "metro", "cluster")


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
    from . import datasets_dir

    folder = datasets_dir() / "fintech"
    fws = {y: load_framework(folder / f"fintech_{y}.yaml") for y in EDITION_YEARS}
    meth = load_methodology(folder / "fintech.methodology.yaml")
    cities = pd.read_csv(folder / "cities.csv", keep_default_na=False)
    latest_fw = fws[EDITION_YEARS[-1]]
    panel = load_panel(folder / "fintech.csv", latest_fw, units=units_frame(cities))
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
    from . import datasets_dir

    if published is None:
        published = pd.read_csv(datasets_dir() / "fintech" / "published_ranks.csv",
                                keep_default_na=False)
    years = sorted(eds.own)
    nearest = published["edition"].astype(int).map(
        lambda e: min(years, key=lambda y: (abs(y - e), -y)))
    out = []
    for y in years:
        out += agreement(eds.own[y], published[nearest == y])
    return sorted(out, key=lambda a: (a.ranking, a.edition))


BROKERAGE_BATCH = "brokerage-it-investment"


def brokerage_counts(store) -> pd.DataFrame:
    """Ingest the bundled brokerage records and their dated CNY rate into ``store`` (once)
    and count, per HQ city and year, the firms above 1 billion yuan with ``from_records``
    (DuckDB SQL): ``unit, year, indicator, value, source, source_year``."""
    from .. import records
    from . import datasets_dir

    folder = datasets_dir() / "fintech"
    fw = load_framework(folder / "brokerage.records.yaml")
    done = store.con.execute("SELECT count(*) FROM records WHERE batch = ?",
                             [BROKERAGE_BATCH]).fetchone()[0]
    if not done:
        records.ingest(store, records.read_records(
            folder / "brokerage_it_investment_records.csv"), BROKERAGE_BATCH)
        records.put_rates(store, records.read_rates(folder / "brokerage_fx_rates.csv"))
    return records.aggregate(store, fw)


def brokerage_sentence(counts: pd.DataFrame, year: int, names: dict[str, str],
                       records_in_year: int | None = None) -> str:
    """'Of the 8 listed brokerages that disclosed more than 1 billion yuan (...) of IT
    investment for 2022, 3 are based in Beijing, 2 in Shanghai, ...': the exact scope of the
    count (listed firms, disclosed amounts, that year), cities by count then name."""
    rows = counts[(counts["year"] == year) & (counts["value"] > 0)]
    by_city = sorted(((int(v), names.get(u, u)) for u, v in zip(rows["unit"], rows["value"],
                                                                 strict=True)),
                     key=lambda t: (-t[0], t[1]))
    total = sum(n for n, _ in by_city)
    hit = re.search(r"= 1 billion (\w+) \((\$[^)]+)\) at (.+)\)$", rows["source"].iloc[0]) \
        if len(rows) else None
    amount = (f"1 billion yuan ({hit.group(2)} at {hit.group(3)})" if hit
              else "1 billion yuan")
    parts = [f"{n} in {c}" for n, c in by_city]
    if parts:
        n, c = by_city[0]
        parts[0] = f"{n} {'is' if n == 1 else 'are'} based in {c}"
    listing = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    firms = "brokerage that" if total == 1 else "brokerages that"
    scope = ("" if records_in_year is None else
             f" (scope: the {records_in_year} firm-year statements for {year} in the bundled "
             "press records of listed firms' disclosures)")
    return (f"Of the {total} listed {firms} disclosed more than {amount} of IT "
            f"investment for {year}, {listing}{scope}.")


def editions_report(out_dir: str | Path, top: int = 20, editions: Editions | None = None
                    ) -> tuple[list[str], list[Path]]:
    """What ``fintech-index build`` adds for the bundled index: the 2024 edition's ranking
    on its own framework, each edition's share of weight and of values at city level, the
    universe screen (who is out and why), each non-default treatment with its reason, and
    the brokerage sentence. Returns the lines to print and the files written.
    ``editions``: :func:`load_editions`, when already loaded."""
    from ..store import Store
    from . import datasets_dir

    out = output_folder(out_dir)
    eds = editions if editions is not None else load_editions()
    written: list[Path] = []
    first, last = EDITION_YEARS[0], EDITION_YEARS[-1]
    lines = [f"Changes to {last} are against the {eds.backcast.label}: like for like."]
    own = eds.own[first]
    fw = own.framework
    dims = list(fw.nodes[fw.index].children)
    lines.append(f"{fw.name}: ranking {first} on its own framework ({', '.join(dims)})")
    frame = own.ranking(first)
    lines.append(f"{'rank':>4}  {'city':<32}{'score':>7}  " + "  ".join(f"{d:>11}" for d in dims))
    for unit, row in frame[frame["rank"].notna()].head(top).iterrows():
        lines.append(f"{int(row['rank']):>4}  {row['name'] + ' (' + unit + ')':<32}"
                     f"{row['score']:>7.2f}  "
                     + "  ".join(f"{row[f'{d}.score']:>6.2f} ({int(row[f'{d}.rank']):>2})"
                                 for d in dims))
    for y in EDITION_YEARS:
        s = eds.summary(y)
        lines.append(f"Edition {y}: {s['cities']} cities, {s['indicators']} indicators; "
                     f"{s['weight_city_level']:.1%} of the index weight and "
                     f"{s['values_city_level']:.1%} of the values are city, metro or cluster "
                     f"figures ({s['weight_country']:.1%} of the weight on country figures); "
                     f"{s['imputed']:.1%} of the values imputed, {s['below_cutoff']:.1%} "
                     "placed below a published list's cut-off.")
        t = eds.screening[y]
        gone = t[~t["kept"]]
        lines.append(f"Screened out of {y} ({len(gone)}): " + "; ".join(
            f"{r['name']}: {r['why_out']}" for _, r in gone.iterrows()))
        p = out / f"screening_{y}.csv"
        write_csv(t, p)
        written.append(p)
    p = out / f"ranking_{first}_own_framework.csv"
    write_csv(frame, p, index=True)
    written.append(p)
    lines.append("Treatment choices other than the default, with their reasons:")
    for code, choice in eds.methodology.treat.by_node.items():
        lines.append(f"  {code}: {choice.method}: {choice.reason}")
    if eds.methodology.impute is not None and eds.methodology.impute.reason:
        lines.append(f"  imputation {eds.methodology.impute.method}: "
                     f"{' '.join(eds.methodology.impute.reason.split())}")
    # the records are counted in a scratch store: a DuckDB file's bytes differ from run to
    # run, and the main job's outputs are byte-identical across runs
    with tempfile.TemporaryDirectory() as scratch, Store(Path(scratch) / "records.duckdb") \
            as store:
        counts = brokerage_counts(store)
        statements = store.con.execute(
            "SELECT count(*) FROM records WHERE batch = ? AND year = 2022",
            [BROKERAGE_BATCH]).fetchone()[0]
    cities = pd.read_csv(datasets_dir() / "fintech" / "cities.csv", keep_default_na=False)
    lines.append(brokerage_sentence(counts, 2022, dict(zip(cities["code"], cities["name"],
                                                           strict=True)), statements))
    return lines, written


@dataclass(frozen=True)
class MainJob:
    """What the main job (``fintech-index build`` with no arguments) writes for the bundled
    index beside the edition report: the lines of :func:`editions_report` to print, the
    small uncertainty analysis (None without a spec) and the files written."""

    lines: list[str]
    audit: pd.DataFrame | None
    written: list[Path]


def write_main_job(results: Results, out_dir: str | Path, top: int = 20, lang: str = "en",
                   focus: str | None = None, editions: Editions | None = None) -> MainJob:
    """:func:`editions_report`, the location quotients by HQ place and industry
    (districts_<year>.csv), the small uncertainty analysis (uncertainty_summary_<year>.csv)
    and the published outputs (site/, white_papers/, fintech.xlsx; rank intervals from that
    analysis; the lead story from the point of view of the city ``focus`` when given) of
    ``results``, the bundled index's build, in ``out_dir``."""
    from ..analysis.lead import focus_unit
    from ..districts import all_places
    from ..publish import publish_all
    from . import FINTECH, quick_audit_of

    out = Path(out_dir)
    lines, written = editions_report(out, top, editions)
    year = results.years[-1]
    places = out / f"districts_{year}.csv"
    write_csv(all_places(year), places)
    written.append(places)
    audit = quick_audit_of(results, FINTECH)
    if audit is not None:
        p = out / f"uncertainty_summary_{year}.csv"
        write_csv(audit, p, index=True)
        written.append(p)
    _, coords = publish_inputs(FINTECH)
    written += publish_all(results, site=out / "site", pdf=out / "white_papers",
                           xlsx=out / f"{FINTECH}.xlsx", coordinates=coords, audit=audit,
                           lang=lang, focus=focus_unit(results, focus))
    return MainJob(lines, audit, written)
