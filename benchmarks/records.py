"""10 million synthetic records (named synthetic) aggregated into indicators for 1,000 units
x 20 years inside DuckDB: count, sum, count-above-threshold with currency conversion, share.
Prints the time of each step and the peak memory of the process.
Run: python benchmarks/records.py [--records N]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

import fintech_index as fi
from fintech_index import records
from fintech_index.store import Store

FW = fi.framework_from_dict({"index": {"code": "synthetic_records_index", "children": [
    {"code": "fintech_firms", "from_records": {"agg": "count", "sector": ["fintech"]}},
    {"code": "invested", "from_records": {"agg": "sum", "sector": ["fintech", "bank"],
                                          "currency": "USD", "rate_date": "2024-06-28"}},
    {"code": "big_investors", "from_records": {
        "agg": "count_above", "sector": ["broker"], "threshold": 1.0e9, "currency": "CNY",
        "rate_date": "2024-06-28"}},
    {"code": "fintech_share", "from_records": {"agg": "share", "sector": ["fintech"]}},
]}}, "synthetic.yaml")


def synthetic(n: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    sectors = np.array(["fintech", "bank", "broker", "insurer", "other"])
    currencies = np.array(["USD", "CNY", "EUR"])
    return pa.table({
        "institution": pa.array(np.char.add("inst", rng.integers(0, n // 5, n).astype(str))),
        "unit": pa.array(np.char.add("u", rng.integers(0, 1000, n).astype(str))),
        "district": pa.array(np.char.add("d", rng.integers(0, 20, n).astype(str))),
        "sector": pa.array(sectors[rng.integers(0, len(sectors), n)]),
        "year": pa.array(rng.integers(2006, 2026, n).astype(np.int32)),
        "amount": pa.array(rng.lognormal(18, 2, n)),
        "currency": pa.array(currencies[rng.integers(0, 3, n)]),
        "source": pa.array(np.full(n, "synthetic")),
    })


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000_000)
    n = parser.parse_args().records
    t = time.perf_counter()
    table = synthetic(n)
    made = time.perf_counter() - t
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "bench.duckdb") as s:
        t = time.perf_counter()
        s.con.register("incoming", table)
        s.con.execute("INSERT INTO records SELECT 'synthetic', institution, unit, district, "
                      "sector, year, amount, currency, source FROM incoming")
        s.con.unregister("incoming")
        ingested = time.perf_counter() - t
        s.con.execute("INSERT INTO fx_rates VALUES ('CNY', DATE '2024-06-28', 0.137, 'synthetic'),"
                      " ('EUR', DATE '2024-06-28', 1.07, 'synthetic')")
        t = time.perf_counter()
        out = records.aggregate(s, FW, units=[f"u{i}" for i in range(1000)],
                                years=list(range(2006, 2026)))
        aggregated = time.perf_counter() - t
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"synthetic records: {n:,} (1,000 units x 20 years, 4 indicators)")
    print(f"  generate (NumPy/Arrow)      {made:7.2f} s")
    print(f"  insert into DuckDB          {ingested:7.2f} s")
    print(f"  aggregate 4 indicators      {aggregated:7.2f} s  ({len(out):,} values)")
    print(f"  peak memory (max RSS)       {peak_mb:7.0f} MB")


if __name__ == "__main__":
    main()
