"""What a reader needs beside scores, shared by the white papers and the workbook: each raw
value with its unit, source, source year and figure level, the method that imputed it when
it was imputed, and the methodology as rows a person reads (stage, method, parameters,
where it applies) instead of Python dict text."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..build import Results
from ..panel import IMPUTED, TREATED

STAGES = ("denominate", "impute", "screen", "treat", "normalise", "weight", "aggregate",
          "round", "rank")


def top_down(fw) -> list[tuple[str, int]]:
    """Every node of the framework with its depth below the index (0), each parent before
    its children, children in the framework's order: the order the site, the papers and
    the workbook list the tree in (:meth:`.Framework.top_down`)."""
    return fw.top_down()


def p_top_column(audit: pd.DataFrame | None) -> tuple[str, int] | None:
    """The uncertainty summary's first ``p_top<N>`` column and its N (None: no audit, or
    no such column)."""
    cols = [c for c in (audit.columns if audit is not None else []) if c.startswith("p_top")]
    return (cols[0], int(cols[0][5:])) if cols else None


def imputation_method(results: Results, indicator: str) -> str:
    """The imputation method the methodology gives ``indicator`` (by node, level, default)."""
    stage = results.methodology.impute
    if stage is None:
        return "none"
    return stage.resolve(indicator, results.framework.nodes[indicator].level).method


def value_table(results: Results, year: int | None = None) -> pd.DataFrame:
    """One row per unit and indicator of one year (default: the latest): the raw value as
    given (missing stays missing), the value used after imputation, unit, source, source
    year, figure level, and for an imputed value its method."""
    y = results.year_index(year)
    fw = results.framework
    frame = results.panel.frame(results.years[y])
    flags = results.flags[y].reshape(-1)
    datasets = dict(results.prepared.datasets) if results.prepared is not None else {}
    # no imputation stage ran: the values used are the values given
    used = (datasets["imputed"][y].reshape(-1) if "imputed" in datasets
            else frame["value"].to_numpy())
    is_imputed = (flags & IMPUTED) != 0
    methods = {c: imputation_method(results, c) for c in fw.indicators}
    frame["value_used"] = used
    frame["imputed"] = is_imputed
    frame["treated"] = (flags & TREATED) != 0
    frame["imputation_method"] = np.where(
        is_imputed, frame["indicator"].map(methods).to_numpy(dtype=object), None)
    frame["unit_of_measure"] = frame["indicator"].map({c: fw.nodes[c].unit or ""
                                                       for c in fw.indicators})
    frame["figure_level"] = frame["indicator"].map({c: fw.nodes[c].figure_level or ""
                                                    for c in fw.indicators})
    return frame.drop(columns=["flags"])


def _params(params: dict) -> str:
    """``k = v`` pairs of the parameters that are set (an unset one, None or empty, is not
    a parameter a reader needs: "decimals = None, exclude_levels = []" says nothing)."""
    return ", ".join(f"{k} = {v}" for k, v in sorted(params.items())
                     if v is not None and v != [] and v != {} and v != "")


def values_by_unit(results: Results, year: int | None = None) -> dict[str, dict[str, dict]]:
    """:func:`value_table` as unit -> indicator -> row (a dict): how a page or a paper that
    reads hundreds of single values looks them up."""
    values: dict[str, dict[str, dict]] = {}
    for row in value_table(results, year).to_dict("records"):
        values.setdefault(row["unit"], {})[row["indicator"]] = row
    return values


def _reason(choice) -> str:
    """Why a choice was made, as the methodology file says (empty when it does not)."""
    return " ".join(str(getattr(choice, "reason", None) or "").split())


def methodology_rows(results: Results) -> pd.DataFrame:
    """The methodology as a readable table: stage, applies to (all / level N / node), method,
    parameters, the reason given for it; in the order the stages run, then the hash."""
    meth = results.methodology
    rows: list[dict] = []
    for stage in STAGES:
        value = getattr(meth, stage, None)
        if stage == "denominate":
            rows.append({"stage": stage, "applies_to": "all", "method":
                         "by the framework's denominators" if value else "none",
                         "parameters": ""})
        elif stage == "screen":
            rows.append({"stage": stage, "applies_to": "all units",
                         "method": value.unit_screen if value else "none",
                         "parameters": _params(value.model_dump(exclude={"unit_screen"}))
                         if value else ""})
        elif stage == "round":
            rows.append({"stage": stage, "applies_to": ", ".join(sorted(value)) or "none",
                         "method": "decimals" if value else "none",
                         "parameters": _params(value)})
        elif stage == "rank":
            rows.append({"stage": stage, "applies_to": "every node", "method":
                         f"ties: {value.ties}", "parameters": _params(
                             value.model_dump(exclude={"ties"}))})
        else:
            if value is None:
                rows.append({"stage": stage, "applies_to": "all", "method": "none",
                             "parameters": ""})
                continue
            rows.append({"stage": stage, "applies_to": "default", "method": value.method,
                         "parameters": _params(value.params), "reason": _reason(value)})
            for level, c in sorted(value.by_level.items()):
                rows.append({"stage": stage, "applies_to": f"level {level}",
                             "method": c.method, "parameters": _params(c.params),
                             "reason": _reason(c)})
            for node, c in sorted(value.by_node.items()):
                rows.append({"stage": stage, "applies_to": f"node {node}",
                             "method": c.method, "parameters": _params(c.params),
                             "reason": _reason(c)})
    rows.append({"stage": "hash", "applies_to": "", "method": meth.hash, "parameters": ""})
    return pd.DataFrame(rows, columns=["stage", "applies_to", "method", "parameters",
                                       "reason"]).fillna({"reason": ""})
