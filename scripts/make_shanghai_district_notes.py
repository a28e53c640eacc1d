"""Regenerate datasets/fintech/shanghai_district_notes.csv from the shared data folder
``shanghai-district-finance/`` (Shanghai district statements collected from news).

The statements differ in year (2010-2025), definition ("financial companies", "licensed
financial institutions", "asset management institutions") and area (districts and
sub-district clusters), so the bundled file keeps each as a cited note: the value as
stated, its date, scope and source. The numeric column of the shared file is left out on
purpose: nothing downstream may compare these figures.

Shared data is found at $FINTECH_SHARED_DATA, else in the first ``shared/data``
folder beside this repository or one of its parents.
Run: python scripts/make_shanghai_district_notes.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from shared_data import shared_data

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "fintech_index" / "datasets" / "fintech" / \
    "shanghai_district_notes.csv"
COLUMNS = ["area", "area_level", "district", "as_of", "indicator", "value_as_stated",
           "scope_note", "source_outlet", "source_date", "source_url", "source_quality"]


def main() -> None:
    src = shared_data() / "shanghai-district-finance" / "shanghai_district_finance_stated.csv"
    raw = pd.read_csv(src, dtype=str, keep_default_na=False)
    notes = raw[COLUMNS].sort_values(["district", "as_of", "area", "indicator"],
                                     kind="stable")
    notes.to_csv(OUT, index=False, lineterminator="\n")
    print(f"wrote {len(notes)} notes to {OUT}")


if __name__ == "__main__":
    main()
