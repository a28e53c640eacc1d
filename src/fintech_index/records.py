"""Institution-level records (firms, deals, investments) in the store, and the indicators
counted from them by SQL inside DuckDB.

A record: ``institution, unit, sector, year`` and optionally ``district, amount, currency,
source``. An indicator declares how it is counted in the framework YAML::

    from_records: {agg: count, sector: [Financial Services, Insurance]}
    from_records: {agg: sum, sector: Financial Services}                 # sum of amounts (USD)
    from_records: {agg: count_above, sector: Brokerage, threshold: 1.0e9, currency: CNY,
                   rate_date: 2024-06-28}      # "brokerages investing over 1 billion yuan"
    from_records: {agg: share, sector: Financial Services}               # share of records

Amounts in other currencies are converted with the user's dated ``fx_rates`` table (USD per
unit of a currency on a date); the conversion used is cited ("1 billion yuan ($137.0
million) at 0.137 USD per CNY on 2024-06-28").
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from .errors import DataError, FrameworkError, Problems, StoreError
from .framework import Framework
from .store import Store
from .tables import as_text, parse_numbers, read_table

REQUIRED = ("institution", "unit", "sector", "year")
OPTIONAL = ("district", "amount", "currency", "source")
AGGS = ("count", "sum", "count_above", "share")


class RecordSpec(BaseModel):
    """How an indicator is counted from records (the ``from_records:`` mapping)."""

    model_config = ConfigDict(extra="forbid")
    agg: str
    sector: list[str] | None = None
    threshold: float | None = None
    currency: str = "USD"
    rate_date: date | None = None

    @field_validator("agg")
    @classmethod
    def _agg(cls, v: str) -> str:
        if v not in AGGS:
            raise ValueError(f"{v!r} is not one of {', '.join(AGGS)}")
        return v

    @field_validator("sector", mode="before")
    @classmethod
    def _sectors(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v


def read_records(path: str | Path, sheet: str | int | None = None) -> pd.DataFrame:
    """A CSV, Excel or Parquet file of records, checked: every problem listed with file,
    row and column; nothing dropped."""
    table = read_table(path, sheet)
    f = table.frame
    f.columns = [str(c).strip() for c in f.columns]
    missing = [c for c in REQUIRED if c not in f.columns]
    unknown = [c for c in f.columns if c not in REQUIRED + OPTIONAL]
    if missing or unknown:
        raise DataError("D26", f"{table.src}: header row: " + "; ".join(
            ([f"missing column(s) {missing}"] if missing else [])
            + ([f"unknown column(s) {unknown}"] if unknown else []))
            + f" (required: {', '.join(REQUIRED)}; optional: {', '.join(OPTIONAL)})")
    if len(f) == 0:
        raise DataError("D11", f"{table.src}: the file has a header but no records")
    problems = Problems()
    out = pd.DataFrame({c: as_text(f[c]) for c in ("institution", "unit", "sector")})
    for c in ("institution", "unit", "sector"):
        for i in np.flatnonzero(out[c].to_numpy() == ""):
            problems.add("D27", f"{table.src}: {table.row(int(i))}, column '{c}': empty")
    years = parse_numbers(f["year"], table, "year", problems)
    with np.errstate(invalid="ignore"):
        not_year = ~np.isnan(years) & (~np.isfinite(years) | (years % 1 != 0) | (years < 1900)
                                       | (years > 2100))
    for i in np.flatnonzero(not_year):
        problems.add("D17", f"{table.src}: {table.row(int(i))}, column 'year': "
                            f"{float(years[i])!r} is not a year")
    for i in np.flatnonzero(np.isnan(years)):
        problems.add("D27", f"{table.src}: {table.row(int(i))}, column 'year': empty")
    out["year"] = np.where(np.isnan(years) | not_year, 0, years).astype(np.int64)
    out["district"] = as_text(f["district"]) if "district" in f.columns else ""
    amount = (parse_numbers(f["amount"], table, "amount", problems) if "amount" in f.columns
              else np.full(len(f), np.nan))
    currency = (as_text(f["currency"]).str.upper() if "currency" in f.columns
                else pd.Series([""] * len(f)))
    for i in np.flatnonzero(~np.isnan(amount) & (currency.to_numpy() == "")):
        problems.add("D28", f"{table.src}: {table.row(int(i))}, column 'currency': an amount "
                            "needs its currency (ISO code such as USD, CNY)")
    out["amount"] = amount
    out["currency"] = currency.to_numpy()
    out["source"] = as_text(f["source"]) if "source" in f.columns else table.src
    problems.raise_as(DataError)
    out["district"] = out["district"].replace("", None)
    out["currency"] = out["currency"].replace("", None)
    return out[["institution", "unit", "district", "sector", "year", "amount", "currency",
                "source"]]


def read_rates(path: str | Path) -> pd.DataFrame:
    """A dated exchange-rate table: ``currency, date, usd_per_unit[, source]``."""
    table = read_table(path)
    f = table.frame
    need = ["currency", "date", "usd_per_unit"]
    if any(c not in f.columns for c in need):
        raise DataError("D29", f"{table.src}: header row: a rates table needs columns {need} "
                               f"(found: {list(f.columns)})")
    problems = Problems()
    rate = parse_numbers(f["usd_per_unit"], table, "usd_per_unit", problems)
    dates = pd.to_datetime(as_text(f["date"]), errors="coerce", format="%Y-%m-%d")
    for i in np.flatnonzero(dates.isna().to_numpy()):
        problems.add("D30", f"{table.src}: {table.row(int(i))}, column 'date': "
                            f"{f['date'].iat[i]!r} is not a date (YYYY-MM-DD)")
    for i in np.flatnonzero(~(rate > 0)):
        problems.add("D31", f"{table.src}: {table.row(int(i))}, column 'usd_per_unit': needs a "
                            "positive number")
    out = pd.DataFrame({"currency": as_text(f["currency"]).str.upper(),
                        "date": dates.dt.date, "usd_per_unit": rate,
                        "source": as_text(f["source"]) if "source" in f.columns
                        else table.src})
    if not problems:
        first: dict[tuple, int] = {}
        for i, key in enumerate(zip(out["currency"], out["date"], strict=True)):
            j = first.setdefault(key, i)
            if j != i and out["usd_per_unit"].iat[j] != out["usd_per_unit"].iat[i]:
                problems.add("D67", f"{table.src}: {table.row(j)} and {table.row(i)}: two "
                                    f"rates for {key[0]} on {key[1]} "
                                    f"({out['usd_per_unit'].iat[j]:g} and "
                                    f"{out['usd_per_unit'].iat[i]:g}); keep one")
    problems.raise_as(DataError)
    # the same rate given twice is one rate
    return out.drop_duplicates(["currency", "date"]).reset_index(drop=True)


def ingest(store: Store, records: pd.DataFrame, batch: str) -> int:
    """Add records to the store under ``batch`` (once), in one transaction."""
    if store.con.execute("SELECT count(*) FROM records WHERE batch = ?", [batch]
                         ).fetchone()[0]:
        raise StoreError("S03", f"{store.path}: a record batch named '{batch}' exists; ingest new "
                                "records under a new batch name")

    def write(con):
        con.register("incoming", records)
        con.execute("INSERT INTO records SELECT ?, institution, unit, district, sector, "
                    "year, amount, currency, source FROM incoming", [batch])
        con.unregister("incoming")

    store.atomic(write)
    return len(records)


def put_rates(store: Store, rates: pd.DataFrame) -> int:
    """Add dated rates, in one transaction; returns how many were new. A rate the store
    already holds for a currency and date is skipped if equal and refused [S67] if not:
    a second rate would silently change every aggregate converted on that date."""
    stored = store.con.execute("SELECT currency, date, usd_per_unit FROM fx_rates").df()
    known = {(c, pd.Timestamp(d).date()): r for c, d, r in stored.itertuples(index=False)}
    problems = Problems()
    new = []
    for c, d, r in zip(rates["currency"], rates["date"], rates["usd_per_unit"], strict=True):
        if (c, d) not in known:
            new.append(True)
            continue
        new.append(False)
        if known[(c, d)] != r:
            problems.add("S67", f"{store.path}: a rate for {c} on {d} is stored "
                                f"({known[(c, d)]:g} USD) and differs from the new {r:g}; "
                                "stored rates are immutable (aggregates were computed with "
                                "them): correct the rates file or use another store")
    problems.raise_as(StoreError)
    fresh = rates[np.array(new, dtype=bool)]

    def write(con):
        con.register("incoming", fresh)
        con.execute("INSERT INTO fx_rates SELECT currency, date, usd_per_unit, source "
                    "FROM incoming")
        con.unregister("incoming")

    store.atomic(write)
    return len(fresh)


def specs(framework: Framework) -> dict[str, RecordSpec]:
    """The indicators counted from records, with their validated specs."""
    out = {}
    for code in framework.indicators:
        raw = framework.nodes[code].from_records
        if raw is None:
            continue
        try:
            out[code] = RecordSpec.model_validate(dict(raw))
        except ValidationError as e:
            msg = "; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors())
            raise FrameworkError("F25", f"{framework.source_file}: node '{framework.path(code)}': "
                                        f"from_records: {msg} (fields: "
                                        f"{', '.join(RecordSpec.model_fields)})") from None
        if out[code].agg == "count_above" and out[code].threshold is None:
            raise FrameworkError("F25", f"{framework.source_file}: node '{framework.path(code)}': "
                                        "from_records: count_above needs a threshold")
    return out


def _rates(store: Store, when: date, currencies: list[str]) -> dict[str, float]:
    """USD per unit of each currency on ``when`` (USD is 1); an error names those missing."""
    rows = store.con.execute("SELECT currency, usd_per_unit FROM fx_rates WHERE date = ?",
                             [when]).fetchall()
    rates = {"USD": 1.0}
    for c, r in rows:  # a store written before rates were checked may hold two
        if c in rates and rates[c] != float(r) and c != "USD":
            raise StoreError("S67", f"{store.path}: two rates for {c} on {when} "
                                    f"({rates[c]:g} and {float(r):g}); an aggregate cannot "
                                    "choose between them: keep one in a new store")
        rates[c] = float(r)
    lacking = sorted(set(currencies) - set(rates))
    if lacking:
        raise StoreError("S07",
                         f"{store.path}: no exchange rate on {when} for {lacking}; add them to "
                         "the rates table (currency, date, usd_per_unit)")
    return rates


def conversion_phrase(amount: float, currency: str, rate_usd: float, when: date) -> str:
    """'1 billion CNY ($137.0 million) at 0.137 USD per CNY on 2024-06-28'."""
    usd = amount * rate_usd

    def words(v: float) -> str:
        for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
            if abs(v) >= size:
                return f"{v / size:.4g} {word}"
        return f"{v:,.0f}"

    return (f"{words(amount)} {currency} (${words(usd)}) at {rate_usd:g} USD per {currency} "
            f"on {when.isoformat()}")


def aggregate(store: Store, framework: Framework, units: list[str] | None = None,
              years: list[int] | None = None) -> pd.DataFrame:
    """Every ``from_records`` indicator per unit and year, computed in DuckDB: a long frame
    ``unit, year, indicator, value, source, source_year`` ready for the panel loader. Counts
    and sums are 0 for a unit and year without matching records (given ``units``/``years``);
    shares are missing there."""
    frames = []
    for code, spec in specs(framework).items():
        sql, params, note = _sql(store, spec)
        got = store.con.execute(sql, params).df()
        if units is not None and years is not None:
            grid = pd.MultiIndex.from_product([units, years], names=["unit", "year"])
            got = got.set_index(["unit", "year"]).reindex(grid).reset_index()
            if spec.agg != "share":  # no matching record: a count or sum of 0
                got["value"] = got["value"].fillna(0.0)
            got = got.dropna(subset=["value"])
        got["indicator"] = code
        got["source"] = f"records ({note})"
        got["source_year"] = got["year"]
        frames.append(got)
    if not frames:
        return pd.DataFrame(columns=["unit", "year", "indicator", "value", "source",
                                     "source_year"])
    out = pd.concat(frames, ignore_index=True)
    return out[["unit", "year", "indicator", "value", "source", "source_year"]].sort_values(
        ["indicator", "year", "unit"], kind="stable").reset_index(drop=True)


def _grouped(select: str, where: str) -> str:
    return (f"SELECT unit, year, {select} AS value FROM records WHERE {where} "
            "GROUP BY unit, year ORDER BY unit, year")


def _amount_in(store: Store, spec: RecordSpec) -> tuple[str, dict[str, float]]:
    """SQL for a record's amount in ``spec.currency`` (through USD at ``spec.rate_date``),
    and the rates it uses."""
    currencies = [r[0] for r in store.con.execute(
        "SELECT DISTINCT currency FROM records WHERE currency IS NOT NULL").fetchall()]
    if spec.rate_date is None:
        if set(currencies) - {spec.currency, "USD"} or spec.currency != "USD":
            raise StoreError("S08", f"{store.path}: records in {sorted(currencies)} need a "
                                    f"rate_date to convert to {spec.currency}")
        rates = {"USD": 1.0}
    else:
        rates = _rates(store, spec.rate_date, currencies + [spec.currency])
    cases = " ".join(f"WHEN '{c}' THEN {float(r)!r}" for c, r in sorted(rates.items())
                     if c.isalnum())
    # an amount already in the target currency is taken as it is: a round trip through USD
    # would move 1e9 CNY to 999999999.9999999 and drop it below a threshold of 1e9
    target = spec.currency if spec.currency.isalnum() else ""
    return (f"CASE WHEN currency = '{target}' THEN amount ELSE amount * (CASE currency {cases} "
            f"END) / {float(rates[spec.currency])!r} END", rates)


def _sql(store: Store, spec: RecordSpec) -> tuple[str, list, str]:
    """The query of one ``from_records`` indicator, its parameters, and what it counts."""
    in_sector = f"sector IN ({', '.join('?' * len(spec.sector))})" if spec.sector else "TRUE"
    params: list = list(spec.sector or [])
    what = spec.agg + (f" of sector {', '.join(spec.sector)}" if spec.sector else "")
    if spec.agg == "share":  # of all the unit's records, the share in the sector
        return _grouped(f"avg(CASE WHEN {in_sector} THEN 1.0 ELSE 0.0 END)", "TRUE"), params, what
    if spec.agg == "count":
        return _grouped("count(*)::DOUBLE", in_sector), params, what
    amount, rates = _amount_in(store, spec)
    if spec.agg == "sum":
        return (_grouped(f"coalesce(sum({amount}), 0)", in_sector), params,
                what + f" of amounts in {spec.currency}")
    what += f" with amount >= {spec.threshold:g} {spec.currency}"
    if spec.rate_date is not None and spec.currency != "USD":
        what += " = " + conversion_phrase(spec.threshold, spec.currency, rates[spec.currency],
                                          spec.rate_date)
    return (_grouped("count(*)::DOUBLE", f"{in_sector} AND {amount} >= ?"),
            params + [spec.threshold], what)
