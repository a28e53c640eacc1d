"""The index's counts from institution-level records: listed brokerages above 1 billion
yuan of IT investment (bundled press records, counted by DuckDB SQL with ``from_records``)
and CB Insights unicorn lists read as records."""

from __future__ import annotations

import re

import pandas as pd

from .. import records
from ..framework import load_framework
from .districts import place_name
from .editions import folder


def unicorn_records(raw_csv, mapping_csv) -> pd.DataFrame:
    """CB Insights unicorn lists (``unicorns_tidy.csv``, not bundled) as records: the
    company, its metro (from the reviewed HQ-city mapping; companies outside the index's
    metros are left out), its HQ city as district (spelled as the reviewed place-name table
    says), CB's industry as sector, the list's year,
    the valuation in USD. Exact duplicate rows are counted once."""
    raw = pd.read_csv(raw_csv, keep_default_na=False, dtype=str).drop_duplicates()
    mapping = pd.read_csv(mapping_csv, keep_default_na=False, dtype=str)
    m = raw.merge(mapping, left_on=["country", "city"], right_on=["country", "hq_city"])
    m = m[m["metro"] != ""]
    return pd.DataFrame({
        "institution": m["company"], "unit": m["metro"],
        "district": place_name(m["metro"], m["city"]).replace("", None),
        "sector": m["industry"], "year": m["list_as_of"].str[:4].astype(int),
        "amount": m["valuation_usd_bn"].astype(float) * 1e9, "currency": "USD",
        "source": "CB Insights, Global Unicorn Club, list of " + m["list_as_of"],
    }).reset_index(drop=True)


BROKERAGE_BATCH = "brokerage-it-investment"


def brokerage_counts(store) -> pd.DataFrame:
    """Ingest the bundled brokerage records and their dated CNY rate into ``store`` (once)
    and count, per HQ city and year, the firms above 1 billion yuan with ``from_records``
    (DuckDB SQL): ``unit, year, indicator, value, source, source_year``."""
    here = folder()
    fw = load_framework(here / "brokerage.records.yaml")
    done = store.con.execute("SELECT count(*) FROM records WHERE batch = ?",
                             [BROKERAGE_BATCH]).fetchone()[0]
    if not done:
        records.ingest(store, records.read_records(
            here / "brokerage_it_investment_records.csv"), BROKERAGE_BATCH)
        records.put_rates(store, records.read_rates(here / "brokerage_fx_rates.csv"))
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
