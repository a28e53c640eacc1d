"""Regenerate datasets/svi/ from the shared CDC/ATSDR SVI county files (shared/data/cdc-svi-county).

For each bundled example (svi_2022, svi_2020, svi_2018: every US county ranked nationally;
svi_2022_pa: CDC's 2022 file of the 67 Pennsylvania counties ranked within the state) it
writes only what the rebuild needs and what it is checked against:

- ``<name>.csv``: unit (5-digit FIPS), year, name and the ranked inputs ``EP_*`` (percent,
  1 decimal; -999 kept as CDC writes it: the framework reads it as missing);
- ``<name>.published.csv.gz``: the published values, one column per node and measure
  (``<node>.score`` = EPL_* for a variable, SPL_THEMEk for a theme, SPL_THEMES for the index;
  ``<node>.rank`` = RPL_THEMEk, RPL_THEMES; ``<node>.flags`` = F_THEMEk, F_TOTAL), -999 left
  out (blank). gzip: the four files hold about 380,000 published cells;

and ``counties.csv``, the units table the frameworks declare (every FIPS code of the four
files, with its latest name and state). The frameworks, methodologies and SOURCE.md are
written by hand.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from shared_data import shared_data

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "fintech_index" / "datasets" / "svi"
THEMES_2020 = (("pov150", "unemp", "hburd", "nohsdp", "uninsur"),
               ("age65", "age17", "disabl", "sngpnt", "limeng"),
               ("minrty",),
               ("munit", "mobile", "crowd", "noveh", "groupq"))
THEMES_2018 = (("pov", "unemp", "pci", "nohsdp"),
               ("age65", "age17", "disabl", "sngpnt"),
               ("minrty", "limeng"),
               ("munit", "mobile", "crowd", "noveh", "groupq"))
# example: (file, year, design) -- the order is newest first, so a FIPS code takes its
# latest name in counties.csv
EXAMPLES = {"svi_2022": ("SVI_2022_US_county.csv", 2022, THEMES_2020),
            "svi_2022_pa": ("SVI_2022_PA_county_state-ranked.csv", 2022, THEMES_2020),
            "svi_2020": ("SVI_2020_US_county.csv", 2020, THEMES_2020),
            "svi_2018": ("SVI_2018_US_county.csv", 2018, THEMES_2018)}
MISSING = -999


def published(raw: pd.DataFrame, themes: tuple[tuple[str, ...], ...]) -> pd.DataFrame:
    """The published values of one file, one column per node and measure."""
    cols = {"unit": raw["unit"]}
    for k, theme in enumerate(themes, 1):
        for v in theme:
            cols[f"{v}.score"] = raw[f"EPL_{v.upper()}"]
        cols[f"theme{k}.score"] = raw[f"SPL_THEME{k}"]
        cols[f"theme{k}.rank"] = raw[f"RPL_THEME{k}"]
        cols[f"theme{k}.flags"] = raw[f"F_THEME{k}"]
    cols["svi.score"] = raw["SPL_THEMES"]
    cols["svi.rank"] = raw["RPL_THEMES"]
    cols["svi.flags"] = raw["F_TOTAL"]
    return pd.DataFrame(cols).replace(MISSING, float("nan"))


def main() -> None:
    src = shared_data() / "cdc-svi-county"
    OUT.mkdir(parents=True, exist_ok=True)
    units = []
    for name, (fname, year, themes) in EXAMPLES.items():
        raw = pd.read_csv(src / fname, dtype={"FIPS": str})
        raw = raw.assign(unit=raw["FIPS"].str.zfill(5))
        data = pd.DataFrame({"unit": raw["unit"], "year": year, "name": raw["LOCATION"]})
        for v in (v for theme in themes for v in theme):
            data[v] = raw[f"EP_{v.upper()}"]
        data.to_csv(OUT / f"{name}.csv", index=False)
        published(raw, themes).to_csv(OUT / f"{name}.published.csv.gz", index=False,
                                      compression={"method": "gzip", "mtime": 0})
        units.append(pd.DataFrame({"code": raw["unit"], "name": raw["LOCATION"],
                                   "country": "USA", "region": raw["ST_ABBR"],
                                   "level": "county"}))
        print("wrote", name, f"({len(data)} counties)")
    table = pd.concat(units).drop_duplicates("code").sort_values("code")
    table.to_csv(OUT / "counties.csv", index=False)  # the frameworks' units_file:
    print("wrote", OUT / "counties.csv", f"({len(table)} counties)")


if __name__ == "__main__":
    main()
