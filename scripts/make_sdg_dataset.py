"""Regenerate datasets/sdg/ from the shared SDSN Sustainable Development Report 2023 data
(shared/data/sdsn-sdr-2023/SDR-2023-Data.csv).

Writes, for the 193 countries (the 13 regional and income aggregates, codes starting with
``_``, are left out):

- ``sdg.csv``: the 98 normalised indicator scores that enter the index (the file's
  ``Normalized Score: <code>`` columns, 0-100), year 2023, one column per indicator code.
  The SDR scores no Goal 14 for landlocked countries although some of their goal-14
  indicators have scores (e.g. ``sdg14_biomar``): for the 38 countries whose published
  Goal 14 score is blank while goal-14 indicator scores are present, those scores are left
  out, so that the goal is missing as the SDR has it;
- ``countries.csv``: the units table ``sdg.yaml`` declares: code, name, country, level,
  ``ranked`` (yes for the 166 countries with a published rank) and ``goal<g>_regional``,
  each row's published ``Goal g Regional Score`` (the SDR's stand-in for a missing goal);
- ``sdg.yaml``: the framework, 17 goals over their indicators (names from the file's
  column titles);
- ``published.csv``: every published goal score and index score (1 decimal) and rank.

The methodology and SOURCE.md are written by hand. The shared data folder is found as
scripts/shared_data.py says.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from shared_data import shared_data

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "fintech_index" / "datasets" / "sdg"
YEAR = 2023
SCORE = "Normalized Score: "
SOURCE = "SDSN Sustainable Development Report 2023, SDR 2023 Data sheet"
GOALS = ["No poverty", "Zero hunger", "Good health and well-being", "Quality education",
         "Gender equality", "Clean water and sanitation", "Affordable and clean energy",
         "Decent work and economic growth", "Industry, innovation and infrastructure",
         "Reduced inequalities", "Sustainable cities and communities",
         "Responsible consumption and production", "Climate action", "Life below water",
         "Life on land", "Peace, justice and strong institutions",
         "Partnerships for the goals"]


def goal_of(code: str) -> int:
    return int(code.split("_")[0][3:])


def main() -> None:
    raw = pd.read_csv(shared_data() / "sdsn-sdr-2023" / "SDR-2023-Data.csv", dtype=str,
                      keep_default_na=False)
    raw = raw[~raw["Country Code ISO3"].str.startswith("_")].reset_index(drop=True)
    cols = list(raw.columns)
    codes = [c[len(SCORE):] for c in cols if c.startswith(SCORE)]
    label = {c: cols[cols.index(f"Year: {c}") - 1] for c in codes}
    data = pd.DataFrame({"unit": raw["Country Code ISO3"], "year": YEAR})
    for c in codes:
        data[c] = raw[SCORE + c]
    g14 = [c for c in codes if goal_of(c) == 14]
    landlocked = (raw["Goal 14 Score"] == "") & (data[g14] != "").any(axis=1)
    data.loc[landlocked, g14] = ""
    ranked = raw["2023 SDG Index Rank"] != ""
    units = pd.DataFrame({"code": raw["Country Code ISO3"], "name": raw["Country"],
                          "country": raw["Country Code ISO3"], "level": "country",
                          "ranked": ranked.map({True: "yes", False: "no"})})
    for g in range(1, 18):
        units[f"goal{g}_regional"] = raw[f"Goal {g} Regional Score"]
    fw = {"name": "SDG Index 2023 (SDSN Sustainable Development Report 2023)",
          "units_file": "countries.csv",
          "groups": ["ranked", *[f"goal{g}_regional" for g in range(1, 18)]],
          "meta": {"reference": "Sachs, J.D., Lafortune, G., Fuller, G., Drumm, E. (2023) "
                                "Implementing the SDG Stimulus. Sustainable Development "
                                "Report 2023. Dublin University Press; Methodology, "
                                "section 'SDG Index'"},
          "index": {"code": "sdg", "name": "SDG Index", "children": [
              {"code": f"goal{g}", "name": f"Goal {g}: {GOALS[g - 1]}", "children": [
                  {"code": c, "name": label[c], "unit": "normalised score (0-100)",
                   "source": SOURCE}
                  for c in codes if goal_of(c) == g]} for g in range(1, 18)]}}
    rows = []
    for g in range(1, 18):
        rows.append(pd.DataFrame({"unit": raw["Country Code ISO3"], "node": f"goal{g}",
                                  "measure": "score", "value": raw[f"Goal {g} Score"],
                                  "decimals": 1}))
    rows.append(pd.DataFrame({"unit": raw["Country Code ISO3"], "node": "sdg",
                              "measure": "score", "value": raw["2023 SDG Index Score"],
                              "decimals": 1}))
    rows.append(pd.DataFrame({"unit": raw["Country Code ISO3"], "node": "sdg",
                              "measure": "rank", "value": raw["2023 SDG Index Rank"],
                              "decimals": 0}))
    published = pd.concat(rows, ignore_index=True)
    published = published[published["value"] != ""]
    published.insert(1, "year", YEAR)
    OUT.mkdir(parents=True, exist_ok=True)
    data.to_csv(OUT / "sdg.csv", index=False)
    units.to_csv(OUT / "countries.csv", index=False)
    (OUT / "sdg.yaml").write_text(
        "# written by scripts/make_sdg_dataset.py from the SDR 2023 data file\n"
        + yaml.safe_dump(fw, sort_keys=False, allow_unicode=True, width=100))
    published.to_csv(OUT / "published.csv", index=False)
    print("wrote", OUT, f"({len(units)} countries, {len(codes)} indicators, "
                        f"{int(landlocked.sum())} without goal 14, {len(published):,} "
                        "published values)")


if __name__ == "__main__":
    main()
