"""Bring a COINr index over: read an iData/iMeta pair (CSV or Excel) into a framework and
a panel, and write them as this package's files.

COINr's input format (``new_coin(iData, iMeta)``, vignette "coins",
https://bluefoxr.github.io/COINr/articles/coins.html):

* iMeta: one row per column of iData other than uCode/uName/Time, plus one per aggregate:
  ``Level, iCode, iName, Direction, Weight, Type, Parent`` and optionally ``Unit, Target,
  Denominator``. ``Type`` is Indicator, Aggregate, Group (a unit grouping column),
  Denominator or Other (ignored).
* iData: one row per unit (and year, ``Time``): ``uCode``, ``uName``, group and
  denominator columns, then one column per indicator.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .errors import DataError, Problems
from .framework import Framework, framework_from_dict
from .methodology import Methodology, methodology_from_dict
from .outfiles import output_folder, write_text, write_with
from .panel import Panel, panel_from_table
from .tables import Table, as_text, parse_numbers, read_table

META_REQUIRED = ("iCode", "Level", "Parent", "Type")
TYPES = ("Indicator", "Aggregate", "Group", "Denominator", "Other")
RENAMED = {"uCode": "unit", "uName": "name", "Time": "year"}
UNITS_FILE = "units.csv"  # the units table convert_coinr writes beside the framework

# COINr's defaults when Normalise() and Aggregate() are called without arguments
COINR_DEFAULT_METHODOLOGY = {
    "name": "COINr defaults (Normalise: n_minmax 0-100; Aggregate: a_amean, NA skipped)",
    "normalise": {"method": "n_minmax", "params": {"l_u": [0, 100]}},
    "aggregate": {"method": "a_amean", "params": {"na_rm": True}},
}


def coinr_default_methodology(years: tuple[int, ...] | list[int]) -> Methodology:
    """What COINr does with no arguments for the data it is given. One year is a coin:
    ``Normalise()`` min-max 0-100, ``Aggregate()`` a_amean skipping missing children. Several
    years make a purse (``new_coin(split_to = "all")``), whose ``Normalise()`` defaults to
    ``global = TRUE``: min and max over all years (``R/normalise.R``, ``Normalise.purse``)."""
    raw = {k: (dict(v) if isinstance(v, dict) else v)
           for k, v in COINR_DEFAULT_METHODOLOGY.items()}
    if len(years) > 1:
        span = f"{len(years)} years, {min(years)}-{max(years)}"
        raw["name"] = (f"COINr defaults for panel data ({span}: a purse): Normalise(global = "
                       "TRUE): n_minmax 0-100 over all years together; Aggregate: a_amean, NA "
                       "skipped")
        raw["normalise"] = {"method": "n_minmax", "params": {"l_u": [0, 100], "global": True}}
    return methodology_from_dict(raw)


def _text(v: Any) -> str | None:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return None
    s = str(v).strip()
    return s or None


def framework_dict_from_imeta(imeta: str | Path, sheet: str | int | None = None,
                              name: str | None = None) -> dict:
    """COINr's iMeta as this package's flat framework document (``nodes:`` with parents)."""
    table = read_table(imeta, sheet)
    f = table.frame
    f.columns = [str(c).strip() for c in f.columns]
    missing = [c for c in META_REQUIRED if c not in f.columns]
    if missing:
        raise DataError("D32", f"{table.src}: header row: iMeta needs column(s) {missing} (found: "
                               f"{list(f.columns)}; COINr's iMeta has Level, iCode, iName, "
                               "Direction, Weight, Type, Parent and optionally Unit, Target, "
                               "Denominator)")
    problems = Problems()
    numbers = {c: parse_numbers(f[c], table, c, problems)
               for c in ("Level", "Direction", "Weight", "Target") if c in f.columns}
    nodes, groups, denominators = [], [], []
    for i in range(len(f)):
        row = {c: _text(f[c].iat[i]) for c in f.columns}
        code, typ = row["iCode"], row["Type"]
        if code is None:
            problems.add("D33", f"{table.src}: {table.row(i)}, column 'iCode': empty code")
            continue
        if typ not in TYPES:
            problems.add("D34", f"{table.src}: {table.row(i)}, column 'Type': {typ!r} is not one "
                                f"of {', '.join(TYPES)}")
            continue
        if typ == "Group":
            groups.append(code)
        elif typ == "Denominator":
            denominators.append({k: v for k, v in {
                "code": code, "name": row.get("iName"), "unit": row.get("Unit")}.items()
                if v is not None})
        elif typ in ("Indicator", "Aggregate"):
            node: dict[str, Any] = {"code": code, "name": row.get("iName") or code,
                                    "parent": row.get("Parent"), "type": typ.lower()}
            for col, key in (("Weight", "weight"), ("Direction", "direction")):
                if col in numbers and not np.isnan(numbers[col][i]):
                    v = numbers[col][i]
                    node[key] = int(v) if key == "direction" else float(v)
            if typ == "Indicator":
                if row.get("Unit"):
                    node["unit"] = row["Unit"]
                if "Target" in numbers and not np.isnan(numbers["Target"][i]):
                    node["target"] = float(numbers["Target"][i])
                if row.get("Denominator"):
                    node["denominator"] = row["Denominator"]
            nodes.append(node)
    problems.raise_as(DataError)
    roots = [n["name"] for n in nodes if n["type"] == "aggregate" and not n["parent"]]
    # the title: given, else the one top aggregate's iName, else the file's name
    doc: dict[str, Any] = {"name": name or (roots[0] if len(roots) == 1 else Path(imeta).stem),
                           "nodes": nodes}
    if groups:
        doc["groups"] = groups
    if denominators:
        doc["denominators"] = denominators
    return doc


def _idata_table(idata: str | Path, sheet: str | int | None, year: int | None) -> Table:
    table = read_table(idata, sheet)
    f = table.frame
    f.columns = [str(c).strip() for c in f.columns]
    if "uCode" not in f.columns:
        raise DataError("D32", f"{table.src}: header row: iData needs a 'uCode' column (found: "
                               f"{list(f.columns)[:12]})")
    if "Time" not in f.columns:
        if year is None:
            raise DataError("D35", f"{table.src}: iData has no 'Time' column; give the year of the "
                                   "data (--year)")
        f["Time"] = str(year)
    table.frame = f.rename(columns=RENAMED)
    return table


def units_from_idata(table: Table, groups: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """iData's units as a units table: COINr's ``uCode`` (code), ``uName`` (name) and the
    group columns, one row per code in order of first appearance, each column's first
    non-empty value (a unit given two values of one column is refused when the data are
    loaded, D19). iData is COINr's list of units: this is what its data are checked against."""
    f = table.frame
    codes = as_text(f["unit"])
    out = pd.DataFrame({"code": codes})
    for c in ["name", *groups]:
        if c in f.columns:
            out[c] = as_text(f[c])
    out = out[out["code"] != ""]
    first = {c: out[out[c] != ""].groupby("code", sort=False)[c].first()
             for c in out.columns if c != "code"}
    units = pd.DataFrame({"code": list(dict.fromkeys(out["code"]))})
    for c, values in first.items():
        units[c] = units["code"].map(values).fillna("")
    return units


def load_coinr(idata: str | Path, imeta: str | Path, *, year: int | None = None,
               data_sheet: str | int | None = None, meta_sheet: str | int | None = None,
               source: str | None = None) -> tuple[Framework, Panel]:
    """Read a COINr iData/iMeta pair into a Framework and a Panel (the units are iData's,
    :func:`units_from_idata`)."""
    doc = framework_dict_from_imeta(imeta, meta_sheet)
    fw = framework_from_dict(doc, Path(imeta).name)
    table = _idata_table(idata, data_sheet, year)
    return fw, panel_from_table(table, fw, units=units_from_idata(table, fw.groups),
                                source=source or Path(idata).name)


def convert_coinr(idata: str | Path, imeta: str | Path, out_dir: str | Path, *,
                  name: str | None = None, year: int | None = None,
                  data_sheet: str | int | None = None, meta_sheet: str | int | None = None,
                  methodology: Methodology | None = None) -> list[Path]:
    """Write ``framework.yaml``, ``data.csv``, ``methodology.yaml`` (what COINr does by
    default for this data, see :func:`coinr_default_methodology`, or the one given) and
    ``units.csv`` (iData's uCode, uName and group columns, :func:`units_from_idata`, declared
    by the framework's ``units_file:`` so that later data are checked against it) for
    ``fintech-index build``; the methodology's name says which defaults it holds. The data
    are checked by loading them."""
    doc = framework_dict_from_imeta(imeta, meta_sheet, name)
    fw = framework_from_dict(doc, Path(imeta).name)
    table = _idata_table(idata, data_sheet, year)
    units = units_from_idata(table, fw.groups)
    panel = panel_from_table(table, fw, units=units)  # refuse bad data before writing anything
    out = output_folder(out_dir)
    fw_path, data_path, meth_path, units_path = (out / "framework.yaml", out / "data.csv",
                                                 out / "methodology.yaml", out / UNITS_FILE)
    write_with(units_path, partial(units.to_csv, index=False, lineterminator="\n"))
    doc = {"name": doc.pop("name"), "units_file": UNITS_FILE, **doc}
    header = (f"# Converted from COINr iMeta {Path(imeta).name} by fintech-index; the units "
              f"are iData's ({UNITS_FILE})\n")
    write_text(fw_path, header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    frame = table.frame
    keep = ["unit", "year"] + [c for c in ("name",) if c in frame.columns] + list(fw.groups) \
        + list(fw.denominator_codes) + list(fw.indicators)
    absent = [c for c in keep if c not in frame.columns]
    frame = frame.assign(**{c: "" for c in absent})[keep]
    write_with(data_path, partial(frame.to_csv, index=False, lineterminator="\n"))
    meth = methodology or coinr_default_methodology(panel.years)
    header = "".join(f"# {line}\n" for line in (meth.name or "").splitlines())
    write_text(meth_path, header + meth.to_yaml())
    return [fw_path, data_path, meth_path, units_path]


def to_imeta(framework: Framework) -> pd.DataFrame:
    """The framework as a COINr iMeta table (for going back to R)."""
    rows = []
    for g in framework.groups:
        rows.append({"Level": None, "iCode": g, "iName": g, "Type": "Group"})
    for d in framework.denominators:
        rows.append({"Level": None, "iCode": d.code, "iName": d.name or d.code,
                     "Unit": d.unit, "Type": "Denominator"})
    for code in framework.node_codes:
        n = framework.nodes[code]
        rows.append({"Level": n.level, "iCode": code, "iName": n.name,
                     "Direction": n.direction, "Weight": n.weight, "Unit": n.unit,
                     "Target": n.target, "Denominator": n.denominator, "Parent": n.parent,
                     "Type": "Indicator" if n.is_indicator else "Aggregate"})
    return pd.DataFrame(rows, columns=["Level", "iCode", "iName", "Direction", "Weight",
                                       "Unit", "Target", "Denominator", "Parent", "Type"])
