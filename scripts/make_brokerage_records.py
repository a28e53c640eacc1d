"""Regenerate the brokerage IT-investment records and their exchange rate (datasets/fintech/)
from ../shared/data/brokerage-it-investment and the China Daily conversion.

Writes
* brokerage_it_investment_records.csv: one record per firm and year as stated
  (institution, unit = HQ city code, sector, year, amount in CNY, currency, source). A value
  stated only as a floor ("超10亿元": more than 1 billion yuan) has that floor as amount and
  says so in ``source``; a firm named only as a top-10 member or by rank has no amount.
* brokerage_fx_rates.csv: the dated CNY -> USD rate the report quotes: China Daily's own
  conversion "1 billion yuan ($137 million)" of 2024-12-17 (0.137 USD per CNY).
Run: python scripts/make_brokerage_records.py
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
from shared_data import shared_data

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "fintech_index" / "datasets" / "fintech"
SECTOR = "Securities IT investment"
# HQ city as the source spells it -> unit code (cities.csv; Jinan is outside the index: TNA)
HQ_UNITS = {"Beijing": "BJS", "Shanghai": "SHA", "Shenzhen": "SZX", "Guangzhou": "CAN",
            "Nanjing": "NKG", "Jinan": "TNA"}
FLOORS = {"listed_above_1bn": 1e9, "listed_above_500m": 5e8, "listed_above_2bn (top10)": 2e9}
RATE = {"currency": "CNY", "date": "2024-12-17", "usd_per_unit": 0.137,
        "source": "China Daily, 2024-12-17, 'Shanghai retains 3rd spot as global fintech hub': "
                  "'1 billion yuan ($137 million)' (https://chinaservicesinfo.com/s/202412/17/"
                  "WS6760e340498eec7e1f72ab58/shanghai-retains-3rd-spot-as-global-fintech-hub"
                  ".html)"}


def records(firms: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, f in firms.iterrows():
        kind = f["statement_kind"]
        src = (f"{f['source_outlet']}, {f['source_date']} ({f['source_url']}): "
               f"{f['amount_as_stated']}")
        if kind == "value":
            amount = float(f["amount_yuan"])
        elif kind in FLOORS:
            amount = FLOORS[kind]
            src += f"; stated only as more than {amount:,.0f} yuan: amount is that floor"
        else:
            amount = float("nan")
            src += f"; {kind}: no amount stated"
        rows.append({"institution": f["firm_en"], "unit": HQ_UNITS[f["hq_city"]],
                     "sector": SECTOR, "year": int(f["year"]), "amount": amount,
                     "currency": "CNY" if amount == amount else "", "source": src})
    return pd.DataFrame(rows)


def main() -> None:
    firms = pd.read_csv(shared_data() / "brokerage-it-investment"
                        / "brokerage_it_investment_firm_stated.csv", dtype=str)
    out = records(firms)
    out.to_csv(OUT / "brokerage_it_investment_records.csv", index=False, lineterminator="\n",
               quoting=csv.QUOTE_MINIMAL)
    pd.DataFrame([RATE]).to_csv(OUT / "brokerage_fx_rates.csv", index=False,
                                lineterminator="\n")
    print(f"wrote {len(out)} brokerage records and 1 rate to {OUT}")


if __name__ == "__main__":
    main()
