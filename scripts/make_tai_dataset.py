"""Regenerate datasets/tai/tai.csv and countries.csv from the shared TAI data (shared/data/tai).

The 23 countries of the OECD/JRC Handbook's (2008) case study, Table A.2 as transcribed in
shared/data/tai/tai_handbook_table_a2_23countries.csv, written as a wide file with one row per
country (year 2001: the values are those of UNDP's Human Development Report 2001), and
countries.csv, the units table tai.yaml declares (code, name, country, level of the same
23 rows), against which the data's codes are checked. The
shared data folder is found from the environment variable FINTECH_SHARED_DATA, or else by
walking up from this script to a directory that has a ``shared/data/tai`` folder.
The framework, methodologies, published.csv and SOURCE.md are written by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from shared_data import shared_data

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "fintech_index" / "datasets" / "tai"
TABLE_A2 = "tai_handbook_table_a2_23countries.csv"
COLUMNS = {"patents": "patents", "royalties": "royalties", "internet": "internet",
           "exports": "exports", "telephones_log": "telephones",
           "electricity_log": "electricity", "schooling": "schooling",
           "university": "university"}


def main() -> None:
    raw = pd.read_csv(shared_data() / "tai" / TABLE_A2, dtype={"iso3": str})
    table = pd.DataFrame({"unit": raw["iso3"], "year": 2001, "name": raw["country"],
                          "country": raw["iso3"], "level": "country"})
    for src, code in COLUMNS.items():
        table[code] = raw[src]
    OUT.mkdir(parents=True, exist_ok=True)
    table.to_csv(OUT / "tai.csv", index=False)
    units = table[["unit", "name", "country", "level"]].rename(columns={"unit": "code"})
    units.to_csv(OUT / "countries.csv", index=False)  # tai.yaml's units_file:
    print("wrote", OUT / "tai.csv", "and", OUT / "countries.csv", f"({len(table)} countries)")


if __name__ == "__main__":
    main()
