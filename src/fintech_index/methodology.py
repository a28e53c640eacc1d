"""Methodology: every choice of a build, per level with per-node overrides, with a stable hash.

YAML shape (method names are COINr's; parameters go under ``params`` or inline)::

    name: COINr default
    denominate: true         # divide indicators by their framework denominator
    impute: {method: i_mean_grp, use_group: EurAsia_group}
    screen: {dat_thresh: 0.9, unit_screen: byNA}
    treat: {method: winsorise, winmax: 5, by_node: {Goods: none}}
    normalise: {method: n_minmax, params: {l_u: [0, 100]}, by_node: {gnipc: n_goalposts}}
    weight: {method: w_explicit, by_node: {Conn: {method: w_budget, points: [3, 1, 1]}}}
    aggregate: {method: a_amean, by_level: {4: a_gmean}, by_node: {Conn: {method: a_genmean,
                params: {p: 0.5}}}}
    round: {hdi: 3}          # round a node's score to 3 decimals before its parents use it
    min_indicators: {vuln: 23}   # a node's score only where >= 23 indicators under it have values
    fill: {goal14: goal14_regional}  # a node's missing score from a units-table column
    rank: {ties: min, only: ranked}  # ranks only of units whose 'ranked' column says yes
    rank: {ties: min, decimals: 3, exclude_levels: [aggregate]}

Resolution order for a node: ``by_node`` > ``by_level`` > the stage's default.
The hash is SHA-256 of the canonical JSON (sorted keys, defaults filled in).
"""

from __future__ import annotations

import hashlib
import json
import math
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import pandas as pd
import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_serializer,
    model_validator,
)

from . import display, methods
from .errors import MethodologyError, Problems, did_you_mean
from .framework import Framework
from .framework import Level as UnitLevel
from .methods.contracts import node_problem
from .yamlfile import read_yaml, validate

TIES = ("min", "max", "average", "dense", "ordinal")
MAX_DECIMALS = 15  # rounding finer than a float64's ~15 significant digits changes nothing


# methodology parameters the engine turns into kernel arguments: use_group names a unit
# metadata column (-> integer group codes), ref names a unit (-> its row), use_aux names
# auxiliary variables given in the data beside the indicators (the framework's
# denominators: -> their columns)
PARAM_FOR_ENGINE_ARG = {"groups": "use_group", "ref_index": "ref", "aux": "use_aux"}


class Choice(BaseModel):
    """One method with its parameters (given under ``params`` or inline beside ``method``)."""

    model_config = ConfigDict(extra="forbid")
    method: str
    params: dict[str, Any] = {}
    reason: str | None = None  # why this choice (a non-default one): the report prints it

    @model_validator(mode="before")
    @classmethod
    def _inline_params(cls, v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        own = set(cls.model_fields)
        inline = {k: x for k, x in v.items() if k not in own}
        if not inline:
            return v
        rest = {k: x for k, x in v.items() if k in own}
        params = rest.get("params") or {}
        if not isinstance(params, dict):
            return v  # pydantic reports 'params' as not a mapping
        return rest | {"params": dict(params) | inline}


def _as_choice(v: Any) -> Any:
    return {"method": v} if isinstance(v, str) else v


class Stage(Choice):
    """A stage's default choice and its overrides by level and by node."""

    by_level: dict[int, Choice] = {}
    by_node: dict[str, Choice] = {}

    @field_validator("by_level", "by_node", mode="before")
    @classmethod
    def _strings_are_methods(cls, v: Any) -> Any:
        return {k: _as_choice(c) for k, c in v.items()} if isinstance(v, dict) else v

    def resolve(self, node: str, level: int) -> Choice:
        if node in self.by_node:
            return self.by_node[node]
        if level in self.by_level:
            return self.by_level[level]
        return Choice(method=self.method, params=self.params)


class ScreenChoice(BaseModel):
    """Unit screening, as COINr's ``Screen``: drop units whose share of observed indicator
    values (``byNA``) or of non-zero values (``byNZ``, ``both``) is below a threshold."""

    model_config = ConfigDict(extra="forbid")
    dat_thresh: float = 0.0
    unit_screen: Literal["byNA", "byNZ", "both"] = "byNA"
    nzero_thresh: float = 0.0
    action: Literal["drop", "flag"] = "drop"

    @field_validator("dat_thresh", "nzero_thresh")
    @classmethod
    def _share(cls, v: float) -> float:
        if not 0 <= v <= 1:
            raise ValueError(f"{v} is not a share between 0 and 1")
        return v


class RankChoice(BaseModel):
    """How scores become ranks: tie rule, rounding before ranking, units left unranked."""

    model_config = ConfigDict(extra="forbid")
    ties: Literal["min", "max", "average", "dense", "ordinal"] = "min"
    decimals: int | None = None
    exclude_levels: list[str] = []
    # ranks as percentile ranks (rank - 1) / (N - 1), 1 = best, rounded to
    # percentile_decimals (the CDC/ATSDR SVI's RPL_*): see scoring.rank_node
    percentile: bool = False
    percentile_decimals: int | None = None
    # a units-table column: only units whose value there is yes/true/1 are ranked (SDSN ranks
    # 166 of the 193 countries it scores); None: every unit
    only: str | None = None

    @field_validator("decimals", "percentile_decimals", mode="before")
    @classmethod
    def _decimals(cls, v: Any) -> Any:
        """Decimals kept before ranking, as ``round``'s: 0 to 15 (a float64 holds about 15
        significant digits); 1e20 overflowed np.round and -400 made every score NaN, so
        that no unit was ranked."""
        if v is None:
            return v
        ok = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) \
            and float(v).is_integer() and 0 <= v <= MAX_DECIMALS
        if not ok:
            raise ValueError(f"{v!r} is not a whole number of decimals from 0 to "
                             f"{MAX_DECIMALS}")
        return int(v)

    @model_serializer(mode="wrap")
    def _dump(self, handler: Any) -> dict[str, Any]:
        """The percentile options and ``only`` only when chosen: the canonical form (and so
        the hash) of a methodology that ranks every unit ordinally is what it was before they
        existed."""
        out = handler(self)
        if not self.percentile and self.percentile_decimals is None:
            out.pop("percentile", None)
            out.pop("percentile_decimals", None)
        if self.only is None:
            out.pop("only", None)
        return out


class Methodology(BaseModel):
    """All choices of a build. Defaults are COINr's: min-max to [0, 100] (over all years of a
    panel together, ``global``), arithmetic mean skipping missing children."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    denominate: bool = False
    impute: Stage | None = None
    screen: ScreenChoice | None = None
    treat: Stage | None = None
    normalise: Stage = Stage(method="n_minmax", params={"l_u": [0, 100]})
    weight: Stage = Stage(method="w_explicit")
    aggregate: Stage = Stage(method="a_amean")
    # decimals kept before the parents use a score: round(x, -400) emptied the index
    round: dict[str, Annotated[int, Field(ge=0, le=MAX_DECIMALS)]] = {}
    # a node's score kept only where at least n of the indicators under it have a value
    # (ND-GAIN publishes vulnerability only with >= 23 of its 36 indicators)
    min_indicators: dict[str, Annotated[int, Field(ge=1)]] = {}
    # a node's missing score taken from a numeric units-table column, one value per unit
    # (SDSN: a missing goal score is the unit's regional score of that goal)
    fill: dict[str, str] = {}
    rank: RankChoice = RankChoice()
    _source: str = PrivateAttr("<methodology>")  # the file, for messages (not hashed)

    def __repr__(self) -> str:
        return display.methodology_view(self).text()

    def _repr_html_(self) -> str:
        """The notebook's table (fintech_index.display)."""
        return display.methodology_view(self).html()

    @field_validator("impute", "treat", "normalise", "weight", "aggregate", mode="before")
    @classmethod
    def _method_name_alone(cls, v: Any) -> Any:
        return _as_choice(v)

    @model_serializer(mode="wrap")
    def _without_unset_rules(self, handler: Any) -> Any:
        """``min_indicators`` and ``fill`` are dumped only when given, so that methodologies
        without them keep the hash and the files they had before these existed."""
        out = handler(self)
        if isinstance(out, dict):
            for k in ("min_indicators", "fill"):
                if out.get(k, 0) == {}:
                    del out[k]
        return out

    @property
    def hash(self) -> str:
        """SHA-256 of the canonical JSON form: equal choices give equal hashes."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def canonical_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=True)

    def check(self, framework: Framework) -> None:
        """Every node named exists, every method is registered, every parameter accepted."""
        problems = Problems()
        indicators, aggregates = set(framework.indicators), set(framework.aggregates)
        stages = [("impute", self.impute, indicators), ("treat", self.treat, indicators),
                  ("normalise", self.normalise, indicators), ("weight", self.weight, aggregates),
                  ("aggregate", self.aggregate, aggregates)]
        for stage_name, stage, nodes in stages:
            if stage is not None:
                problems += [(code, f"{self._source}: {message}") for code, message in
                             _stage_problems(stage_name, stage, nodes, framework)]
        if not problems:
            problems += [("M20", f"{self._source}: {message}")
                         for message in self._node_problems(framework)]
        for node in self.round:
            if node not in framework.nodes:
                problems.add("M13", f"{self._source}: round: '{node}' is not a node of "
                                    f"{framework.source_file}")
        if self.rank.percentile_decimals is not None and not self.rank.percentile:
            problems.add("M40", f"{self._source}: rank.percentile_decimals: "
                                f"{self.rank.percentile_decimals} is given but rank.percentile "
                                "is false, so no percentile rank would be rounded; add "
                                "percentile: true or leave percentile_decimals out")
        problems += self._coverage_problems(framework)
        if self.denominate and not any(framework.nodes[c].denominator
                                       for c in framework.indicators):
            problems.add("M14", f"{self._source}: denominate: true, but no indicator of "
                                f"{framework.source_file} names a denominator")
        problems.raise_as(MethodologyError)

    def check_units(self, units: pd.DataFrame, framework: Framework) -> None:
        """``rank.exclude_levels`` names unit levels: a level of these units (their
        ``level`` column), or one of the levels a framework knows (city, metro, ...), so
        that a typo ('metr0') is refused [M22] instead of excluding nobody."""
        known = set(typing.get_args(UnitLevel)) | {u.level for u in framework.units if u.level}
        known |= set(units["level"].dropna().astype(str)) if "level" in units else set()
        problems = Problems()
        columns = [c for c in units.columns if c not in ("name", "country", "region", "level",
                                                           "parent")]
        wanted = [(f"fill: '{node}'", col) for node, col in self.fill.items()]
        wanted += [("rank.only", self.rank.only)] if self.rank.only is not None else []
        for where, col in wanted:
            if col not in units.columns:
                problems.add("M47", f"{self._source}: {where}: '{col}' is not a column of the "
                                    "units table" + did_you_mean(col, columns, before=" (",
                                                                 after=")")
                                    + f"; accepted: a group column the framework declares "
                                      f"(groups: [...]) and its units table gives "
                                      f"({', '.join(columns) or 'none'})")
        for lv in self.rank.exclude_levels:
            if lv not in known:
                problems.add("M22", f"{self._source}: rank.exclude_levels: '{lv}' is not a "
                                    "level of any unit"
                                    + did_you_mean(lv, sorted(known), before=" (", after=")")
                                    + f"; accepted: {', '.join(sorted(known))}")
        problems.raise_as(MethodologyError)

    def _coverage_problems(self, framework: Framework) -> Problems:
        """``min_indicators`` and ``fill`` name aggregates of the framework [M45]; a count of
        indicators no more than the node has [M46]."""
        problems = Problems()
        for field in ("min_indicators", "fill"):
            for node in getattr(self, field):
                if node not in framework.aggregates:
                    problems.add("M45", f"{self._source}: {field}: '{node}' is not an "
                                        f"aggregate of {framework.source_file}"
                                        + did_you_mean(node, framework.aggregates, before=" (",
                                                     after=")")
                                        + f"; accepted: {', '.join(framework.aggregates)}")
        for node, n in self.min_indicators.items():
            have = len(framework.descendants(node)) if node in framework.aggregates else n
            if n > have:
                problems.add("M46", f"{self._source}: min_indicators: '{node}': {n} indicators "
                                    f"asked for but the node has {have} (accepted: 1 to {have})")
        return problems

    def _node_problems(self, framework: Framework) -> list[str]:
        """What a kernel's per-node check (``contracts.per_node``) finds on the nodes its
        stage resolves to it (bounds that the node's number of children cannot meet)."""
        found = []
        for stage_name in ("weight", "aggregate"):
            stage: Stage = getattr(self, stage_name)
            for code in framework.aggregates:
                node = framework.nodes[code]
                c = stage.resolve(code, node.level)
                msg = node_problem(methods.get(stage_name, c.method).fn, c.params,
                                   len(node.children))
                if msg is not None:
                    found.append(f"{stage_name}: node '{framework.path(code)}' "
                                 f"({c.method}): {msg}")
        return found


def _stage_problems(stage_name: str, stage: Stage, nodes: set[str], framework: Framework
                    ) -> Problems:
    problems = Problems()
    choices = [("(default)", Choice(method=stage.method, params=stage.params))]
    choices += [(f"by_level {k}", c) for k, c in stage.by_level.items()]
    choices += [(f"by_node {k}", c) for k, c in stage.by_node.items()]
    kind = "indicator" if nodes == set(framework.indicators) else "aggregate"
    for k in stage.by_node:
        if k not in nodes:
            problems.add("M09", f"{stage_name}.by_node: '{k}' is not an {kind} of "
                                f"{framework.source_file} (accepted: {sorted(nodes)})")
    levels = sorted({framework.nodes[c].level for c in nodes})
    for lv in stage.by_level:
        if lv not in levels:
            hint = did_you_mean(str(lv), [str(x) for x in levels], after="; ")
            problems.add("M21", f"{stage_name}.by_level: level {lv} is not a level of the "
                                f"{kind}s of {framework.source_file} ({hint}accepted: "
                                f"{', '.join(map(str, levels))}; 1 = indicators)")
    for where, c in choices:
        try:
            kernel = methods.get(stage_name, c.method)
        except MethodologyError as e:
            problems.add(e.code, f"{stage_name} {where}: {e.message}")
            continue
        accepted = set(kernel.params) | {p for a, p in PARAM_FOR_ENGINE_ARG.items()
                                         if kernel.takes(a)}
        for name, declared in methods.stage_params(stage_name).items():
            accepted.add(name)
            for code, msg in declared.problems(kernel, c.params.get(name)):
                problems.add(code, f"{stage_name} {where}: {msg}")
        unknown = sorted(set(c.params) - accepted)
        if unknown:
            problems.add("M10", f"{stage_name} {where}: method '{c.method}' has no "
                                f"parameter(s) {unknown} (accepted: {sorted(accepted)})")
        for arg, param in PARAM_FOR_ENGINE_ARG.items():
            if kernel.takes(arg) and param not in c.params:
                problems.add("M11", f"{stage_name} {where}: method '{c.method}' needs "
                                    f"parameter '{param}'")
        for param, accepted in kernel.contract_problems(c.params):
            if not accepted:
                problems.add("M57", f"{stage_name} {where}: method '{c.method}' needs "
                                    f"parameter '{param}'")
            else:
                problems.add("M56", f"{stage_name} {where}: method '{c.method}': {param} = "
                                    f"{c.params[param]!r} is not accepted (accepted: "
                                    f"{accepted})")
        aux = c.params.get("use_aux")
        if aux is not None:
            names = [aux] if isinstance(aux, str) else aux
            bad = [n for n in names if not isinstance(n, str)
                   or n not in framework.denominator_codes] \
                if isinstance(names, list) and names else [aux]
            if bad:
                problems.add("M30", f"{stage_name} {where}: use_aux {bad} is not a list of "
                                    "variables declared under denominators: in "
                                    f"{framework.source_file} (declared: "
                                    f"{', '.join(framework.denominator_codes) or 'none'})")
        group = c.params.get("use_group")
        if group is not None and group not in framework.groups and group not in (
                "country", "region", "level", "parent"):
            problems.add("M12", f"{stage_name} {where}: use_group '{group}' is not a group "
                                f"column of {framework.source_file} (groups: "
                                f"{', '.join(framework.groups) or 'none'}; or country, region, "
                                "level, parent)")
    return problems


def methodology_from_dict(raw: Any, src: str = "<methodology>") -> Methodology:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise MethodologyError("M04",
                               f"{src}: the top level must be a mapping of stages (accepted: "
                               f"{', '.join(Methodology.model_fields)})")
    meth = validate(Methodology, raw, src, MethodologyError, "M05")
    meth._source = src
    return meth


def load_methodology(path: str | Path) -> Methodology:
    """Read a methodology YAML or JSON file."""
    p = Path(path)
    raw = read_yaml(p, MethodologyError, "methodology file", ("M01", "M02", "M03"))
    return methodology_from_dict(raw, p.name)
