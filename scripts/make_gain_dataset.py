"""Regenerate datasets/gain/ from the shared ND-GAIN release (shared/data/nd-gain).

Writes, from ``resources/``:

- ``gain.csv``: the raw indicator values (each indicator's ``raw.csv``, not the gap-filled
  ``input.csv``: the build fills the gaps itself), one row per country and year 1995-2014,
  one column per indicator, the numbers as the release prints them;
- ``countries.csv``: the units table ``gain.yaml`` declares (code, name, country, level);
- ``gain.yaml``: the framework, from ``config_log.csv`` (ND-GAIN's own scaling file): each
  indicator's goalposts are its min and max, its direction -1 where the score is reversed
  (``Direction = 1`` on a vulnerability indicator), its sector its parent;
- ``published.csv.gz``: every published value to reproduce, as ``unit, year, node, value``
  (each indicator's ``score.csv``, the six sector and three readiness component files,
  vulnerability, readiness and the ND-GAIN index), gzip-compressed (about 200,000 values).

The cross-cutting vulnerability components (exposure, sensitivity, capacity) are not
written: they are not nodes of the sector tree, and the release's component files do not
follow the rule the sectors follow (see datasets/gain/SOURCE.md). The methodology and
SOURCE.md are written by hand. The shared data folder is found as scripts/shared_data.py
says.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import yaml
from shared_data import shared_data

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "fintech_index" / "datasets" / "gain"
YEARS = [str(y) for y in range(1995, 2015)]
SOURCE = "ND-GAIN Country Index (University of Notre Dame), release with data 1995-2014"
# sector (config_log.csv) -> (node code, file under resources/, name)
SECTORS = {"Food": ("food", "vulnerability/food.csv", "Food"),
           "Water": ("water", "vulnerability/water.csv", "Water"),
           "Health": ("health", "vulnerability/health.csv", "Health"),
           "Ecosystems": ("ecosystems", "vulnerability/ecosystems.csv", "Ecosystem services"),
           "Habitat": ("habitat", "vulnerability/habitat.csv", "Human habitat"),
           "Infrastructure": ("infrastructure", "vulnerability/infrastructure.csv",
                              "Infrastructure"),
           "Economic": ("economic", "readiness/economic.csv", "Economic readiness"),
           "Governance": ("governance", "readiness/governance.csv", "Governance readiness"),
           "Social": ("social", "readiness/social.csv", "Social readiness")}
TOP = {"vulnerability": "vulnerability/vulnerability.csv",
       "readiness": "readiness/readiness.csv", "gain": "gain/gain.csv"}


def read_wide(path: Path) -> pd.DataFrame:
    """An ND-GAIN file (ISO3, Name, 1995..2014; cells padded with spaces) as text."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    return frame.apply(lambda c: c.str.strip())


def long(frame: pd.DataFrame, node: str) -> pd.DataFrame:
    """unit, year, node, value of the non-empty cells of a wide file."""
    out = frame.melt(id_vars=["ISO3"], value_vars=YEARS, var_name="year", value_name="value")
    out = out[out["value"] != ""]
    return pd.DataFrame({"unit": out["ISO3"], "year": out["year"].astype(int), "node": node,
                         "value": out["value"]})


def framework(config: pd.DataFrame) -> dict:
    def indicator(r) -> dict:
        reversed_ = r.vr == "Vulnerability" and int(r.direction) == 1
        return {"code": r.id.lower(), "name": r.name, "goalposts": [float(r.lo), float(r.hi)],
                "direction": -1 if reversed_ else 1,
                "unit": "as in the source (see config_log.csv)", "source": SOURCE}

    def sector(name: str) -> dict:
        code, _, title = SECTORS[name]
        rows = config[config["sector"] == name]
        node = {"code": code, "name": title, "children": [indicator(r) for r in
                                                          rows.itertuples()]}
        return node | ({"direction": -1} if rows["vr"].iloc[0] == "Vulnerability" else {})

    sectors = list(dict.fromkeys(config["sector"]))
    vuln = [s for s in sectors if (config[config["sector"] == s]["vr"] == "Vulnerability").all()]
    read = [s for s in sectors if s not in vuln]
    return {
        "name": "ND-GAIN Country Index (University of Notre Dame Global Adaptation Initiative)",
        "units_file": "countries.csv",
        "meta": {"reference": "Chen, C., Noble, I., Hellmann, J., Coffee, J., Murillo, M. and "
                              "Chawla, N. (2015) University of Notre Dame Global Adaptation "
                              "Index, Country Index Technical Report; gain.nd.edu "
                              "Methodology page",
                 "scaling": "goalposts and reversal from the release's config_log.csv; a "
                            "vulnerability indicator with direction -1 is scored "
                            "1 - (x - min)/(max - min)"},
        "index": {"code": "gain", "name": "ND-GAIN index", "children": [
            {"code": "vulnerability", "name": "Vulnerability", "direction": -1,
             "children": [sector(s) for s in vuln]},
            {"code": "readiness", "name": "Readiness",
             "children": [sector(s) for s in read]}]}}


def main() -> None:
    root = shared_data() / "nd-gain" / "resources"
    config = pd.read_csv(root / "config_log.csv", header=None, dtype=str).rename(
        columns={0: "name", 2: "lo", 3: "hi", 4: "direction", 5: "vr", 6: "sector",
                 12: "id"})
    codes = [i.lower() for i in config["id"]]
    raws = {c: read_wide(root / "indicators" / c / "raw.csv") for c in codes}
    first = raws[codes[0]]
    units = pd.DataFrame({"code": first["ISO3"], "name": first["Name"],
                          "country": first["ISO3"], "level": "country"})
    data = pd.DataFrame({"unit": first["ISO3"].repeat(len(YEARS)).to_numpy(),
                         "year": YEARS * len(first)})
    for c in codes:
        assert (raws[c]["ISO3"] == first["ISO3"]).all(), c  # one country order throughout
        data[c] = raws[c][YEARS].to_numpy().reshape(-1)
    published = [long(read_wide(root / "indicators" / c / "score.csv"), c) for c in codes]
    published += [long(read_wide(root / f), code) for code, f, _ in SECTORS.values()]
    published += [long(read_wide(root / f), code) for code, f in TOP.items()]
    OUT.mkdir(parents=True, exist_ok=True)
    data.to_csv(OUT / "gain.csv", index=False)
    units.to_csv(OUT / "countries.csv", index=False)
    (OUT / "gain.yaml").write_text(
        "# written by scripts/make_gain_dataset.py from the release's config_log.csv\n"
        + yaml.safe_dump(framework(config), sort_keys=False, allow_unicode=True, width=100))
    table = pd.concat(published, ignore_index=True)
    with gzip.GzipFile(OUT / "published.csv.gz", "wb", mtime=0) as f:  # same bytes each run
        f.write(table.to_csv(index=False).encode())
    print("wrote", OUT, f"({len(units)} countries, {len(codes)} indicators, "
                        f"{len(table):,} published values)")


if __name__ == "__main__":
    main()
