"""What a reader needs beside scores, shared by the white papers and the workbook: each raw
value with its unit, source, source year and figure level, the method that imputed it when
it was imputed, and the methodology as rows a person reads (stage, method, parameters,
where it applies) instead of Python dict text."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..build import Results
from ..panel import IMPUTED, TREATED
from .i18n import node_name, reason_text, strings

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


def auxiliaries_used(results: Results, unit: str, indicator: str, year: int | None = None
                     ) -> list[tuple[str, float]]:
    """The auxiliary variables, as (code, value), from which an auxiliary regression
    (``use_aux``) imputed ``unit``'s value of ``indicator``; empty for an observed value or
    one the stage's default filled."""
    y = results.year_index(year)
    stage, prep = results.methodology.impute, results.prepared
    if stage is None or prep is None:
        return []
    u, k = results.units.index(unit), results.framework.indicators.index(indicator)
    choice = stage.resolve(indicator, results.framework.nodes[indicator].level)
    codes = choice.params.get("use_aux") or []
    default = prep.completed_by_default is not None and prep.completed_by_default[y, u, k]
    if not codes or not results.flags[y, u, k] & IMPUTED or default:
        return []
    pos = {c: j for j, c in enumerate(results.panel.denominator_codes)}
    return [(c, float(results.panel.denominators[y, u, pos[c]])) for c in codes]


def method_note(method: str | None, auxiliary: str | None) -> str:
    """An imputed value's method as the papers and the workbook write it (by its code), with
    the auxiliary values of a regression: "i_aux_ratio (gdp_nbs_cny = 32387.68)"."""
    method = "" if pd.isna(method) else method
    return method if pd.isna(auxiliary) or not auxiliary else f"{method} ({auxiliary})"


def _aux_choices(results: Results) -> list[str]:
    """The indicators whose imputation choice names auxiliary variables (``use_aux``)."""
    stage = results.methodology.impute
    fw = results.framework
    return [c for c in fw.indicators if stage is not None
            and stage.resolve(c, fw.nodes[c].level).params.get("use_aux")]


def value_table(results: Results, year: int | None = None) -> pd.DataFrame:
    """One row per unit and indicator of one year (default: the latest): the raw value as
    given (missing stays missing), the value used after imputation, unit, source, source
    year, figure level, and for an imputed value its method and, for an auxiliary
    regression, the auxiliary values it used ("gdp_nbs_cny = 32387.7")."""
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
    method = frame["indicator"].map(methods).to_numpy(dtype=object)
    completed = results.prepared.completed_by_default if results.prepared is not None else None
    if completed is not None:  # what a partial kernel (i_aux) left, the default filled
        method = np.where(completed[y].reshape(-1), results.methodology.impute.method, method)
    frame["imputation_method"] = np.where(is_imputed, method, None)
    aux = np.full(len(frame), None, dtype=object)  # what an auxiliary regression used
    for i in np.flatnonzero(is_imputed & frame["indicator"].isin(_aux_choices(results)
                                                                  ).to_numpy()):
        used = auxiliaries_used(results, frame["unit"].iat[i], frame["indicator"].iat[i],
                                results.years[y])
        aux[i] = "; ".join(f"{c} = {v:.10g}" for c, v in used) or None
    frame["imputation_auxiliary"] = aux
    frame["unit_of_measure"] = frame["indicator"].map({c: fw.nodes[c].unit or ""
                                                       for c in fw.indicators})
    frame["figure_level"] = frame["indicator"].map({c: fw.nodes[c].figure_level or ""
                                                    for c in fw.indicators})
    return frame.drop(columns=["flags"])


def _params(params: dict) -> str:
    """``k = v`` pairs of the parameters that are set (an unset one, None or empty, is not
    a parameter a reader needs: "decimals = None, exclude_levels = []" says nothing); a
    yes/no as the methodology file spells it ("global = false", not Python's False)."""
    return ", ".join(f"{k} = {str(v).lower() if isinstance(v, bool) else v}"
                     for k, v in sorted(params.items())
                     if v is not None and v != [] and v != {} and v != "")


def values_by_unit(results: Results, year: int | None = None) -> dict[str, dict[str, dict]]:
    """:func:`value_table` as unit -> indicator -> row (a dict): how a page or a paper that
    reads hundreds of single values looks them up."""
    values: dict[str, dict[str, dict]] = {}
    for row in value_table(results, year).to_dict("records"):
        values.setdefault(row["unit"], {})[row["indicator"]] = row
    return values


def _reason(choice, lang: str) -> str:
    """Why a choice was made, as the methodology file says (empty when it does not), in
    ``lang`` from the reviewed table (:func:`i18n.reason_text`)."""
    return reason_text(" ".join(str(getattr(choice, "reason", None) or "").split()), lang)


def methodology_rows(results: Results, lang: str = "en") -> pd.DataFrame:
    """The methodology as a readable table in ``lang``: stage, applies to (all / level N /
    node), method, parameters, the reason given for it; in the order the stages run, then
    the hash. Stages, scopes and reasons in words from the reviewed tables; methods and
    parameters by their codes (the annex's form; the site names them in plain words)."""
    meth, fw = results.methodology, results.framework
    t = strings(lang)
    none = t["mr_none"]  # a stage the methodology leaves out

    def node(code: str) -> str:
        return t["mr_node"].format(node=code, name=node_name(fw, code, lang)
                                   if code in fw.nodes else code)

    rows: list[dict] = []
    for stage in STAGES:
        value = getattr(meth, stage, None)
        name = t[f"stage_{stage}"]
        if stage == "denominate":
            rows.append({"stage": name, "applies_to": t["mr_all"], "method":
                         t["mr_denominators"] if value else none, "parameters": ""})
        elif stage == "screen":
            rows.append({"stage": name, "applies_to": t["mr_all_units"],
                         "method": value.unit_screen if value else none,
                         "parameters": _params(value.model_dump(exclude={"unit_screen"}))
                         if value else ""})
        elif stage == "round":
            rows.append({"stage": name, "applies_to": t["list_sep"].join(sorted(value))
                         or none, "method": t["mr_decimals"] if value else none,
                         "parameters": _params(value)})
        elif stage == "rank":
            rows.append({"stage": name, "applies_to": t["mr_every_node"], "method":
                         t["mr_ties"].format(ties=value.ties), "parameters": _params(
                             value.model_dump(exclude={"ties"}))})
        else:
            if value is None:
                rows.append({"stage": name, "applies_to": t["mr_all"], "method": none,
                             "parameters": ""})
                continue
            rows.append({"stage": name, "applies_to": t["mr_default"],
                         "method": value.method, "parameters": _params(value.params),
                         "reason": _reason(value, lang)})
            for level, c in sorted(value.by_level.items()):
                rows.append({"stage": name, "applies_to": t["level_n"].format(level=level),
                             "method": c.method, "parameters": _params(c.params),
                             "reason": _reason(c, lang)})
            for code, c in sorted(value.by_node.items()):
                rows.append({"stage": name, "applies_to": node(code),
                             "method": c.method if c.method != "none" else none,
                             "parameters": _params(c.params), "reason": _reason(c, lang)})
    rows.append({"stage": t["stage_hash"], "applies_to": "", "method": meth.hash,
                 "parameters": ""})
    return pd.DataFrame(rows, columns=["stage", "applies_to", "method", "parameters",
                                       "reason"]).fillna({"reason": ""})
