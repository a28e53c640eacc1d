"""Regenerate src/fintech_index/datasets/hdr/ from shared/data/hdr (UNDP HDR 2023/2024;
the folder is the argument, else $FINTECH_SHARED_DATA or the first shared/data found upwards).

Copies, cell for cell as text, the component columns each index needs (one wide CSV per
index), the units table every index's framework declares (countries.csv: code, name,
country, region, level of every row of the source) and the published index values and 2022
ranks (for validation). Nothing is computed or filled in here.
Run: python scripts/make_hdr_dataset.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from shared_data import shared_data

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(sys.argv[1]) if len(sys.argv) > 1 else shared_data()
SRC = SHARED / "hdr" / "HDR23-24_Composite_indices_complete_time_series.csv"
OUT = ROOT / "src" / "fintech_index" / "datasets" / "hdr"

COMPONENTS = {
    "hdi": ["le", "eys", "mys", "gnipc"],
    "gdi": ["le_f", "eys_f", "mys_f", "gni_pc_f", "le_m", "eys_m", "mys_m", "gni_pc_m"],
    "gii": ["mmr", "abr", "pr_f", "se_f", "lfpr_f", "pr_m", "se_m", "lfpr_m"],
    "ihdi": ["le", "eys", "mys", "gnipc", "ineq_le", "ineq_edu", "ineq_inc"],
    "phdi": ["le", "eys", "mys", "gnipc", "co2_prod", "mf"],
}


def main() -> None:
    with SRC.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    years_of: dict[str, list[int]] = {}
    for col in rows[0]:
        m = re.fullmatch(r"(.+)_(\d{4})", col)
        if m:
            years_of.setdefault(m.group(1), []).append(int(m.group(2)))
    OUT.mkdir(parents=True, exist_ok=True)
    meta_cols = ["unit", "year", "name", "country", "region", "level"]

    def meta(r: dict) -> list[str]:
        aggregate = r["iso3"].startswith("ZZ")
        return [r["country"], "" if aggregate else r["iso3"], r["region"],
                "aggregate" if aggregate else "country"]

    with (OUT / "countries.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")  # the frameworks' units_file:
        w.writerow(["code", *meta_cols[2:]])
        for r in rows:
            w.writerow([r["iso3"], *meta(r)])
    for index, comps in COMPONENTS.items():
        years = sorted(set.intersection(*(set(years_of[c]) for c in comps)))
        with (OUT / f"{index}.csv").open("w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(meta_cols + comps)
            for r in rows:
                for y in years:
                    w.writerow([r["iso3"], y, *meta(r), *(r[f"{c}_{y}"] for c in comps)])
    with (OUT / "published.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["unit", "year", "index", "value"])
        for index in COMPONENTS:
            for r in rows:
                for y in years_of[index]:
                    if r[f"{index}_{y}"] != "":
                        w.writerow([r["iso3"], y, index, r[f"{index}_{y}"]])
        for index in ("hdi_rank", "gii_rank"):
            for r in rows:
                if r[f"{index}_2022"] != "":
                    w.writerow([r["iso3"], 2022, index, r[f"{index}_2022"]])


if __name__ == "__main__":
    main()
