"""Methodology: every choice of a build, per level with per-node overrides, with a stable hash.

YAML shape (method names are COINr's)::

    name: COINr default
    normalise: {method: n_minmax, params: {l_u: [0, 100]}, by_node: {gnipc: n_goalposts}}
    aggregate: {method: a_amean, by_level: {4: a_gmean}, by_node: {Conn: {method: a_genmean,
                params: {p: 0.5}}}}
    round: {hdi: 3}          # round a node's score to 3 decimals before its parents use it
    rank: {ties: min, decimals: 3, exclude_levels: [aggregate]}

Resolution order for a node: ``by_node`` > ``by_level`` > the stage's default.
The hash is SHA-256 of the canonical JSON (sorted keys, defaults filled in).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from . import methods
from .errors import MethodologyError
from .framework import Framework

TIES = ("min", "max", "average", "dense", "ordinal")


class Choice(BaseModel):
    """One method with its parameters."""

    model_config = ConfigDict(extra="forbid")
    method: str
    params: dict[str, Any] = {}


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


class RankChoice(BaseModel):
    """How scores become ranks: tie rule, rounding before ranking, units left unranked."""

    model_config = ConfigDict(extra="forbid")
    ties: Literal["min", "max", "average", "dense", "ordinal"] = "min"
    decimals: int | None = None
    exclude_levels: list[str] = []


class Methodology(BaseModel):
    """All choices of a build. Defaults are COINr's: min-max to [0, 100], arithmetic mean."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    normalise: Stage = Stage(method="n_minmax", params={"l_u": [0, 100]})
    aggregate: Stage = Stage(method="a_amean")
    round: dict[str, int] = {}
    rank: RankChoice = RankChoice()

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
        problems: list[str] = []
        stages = (("normalise", self.normalise, set(framework.indicators)),
                  ("aggregate", self.aggregate, set(framework.aggregates)))
        for stage_name, stage, nodes in stages:
            choices = [("(default)", Choice(method=stage.method, params=stage.params))]
            choices += [(f"by_level {k}", c) for k, c in stage.by_level.items()]
            choices += [(f"by_node {k}", c) for k, c in stage.by_node.items()]
            for k in stage.by_node:
                if k not in nodes:
                    kind = "indicator" if stage_name == "normalise" else "aggregate"
                    problems.append(f"{stage_name}.by_node: '{k}' is not an {kind} of "
                                    f"{framework.source_file} (accepted: {sorted(nodes)})")
            for where, c in choices:
                try:
                    kernel = methods.get(stage_name, c.method)
                except MethodologyError as e:
                    problems.append(f"{stage_name} {where}: {e}")
                    continue
                unknown = sorted(set(c.params) - set(kernel.params))
                if unknown:
                    problems.append(f"{stage_name} {where}: method '{c.method}' has no "
                                    f"parameter(s) {unknown} (accepted: {sorted(kernel.params)})")
        for node in self.round:
            if node not in framework.nodes:
                problems.append(f"round: '{node}' is not a node of {framework.source_file}")
        if problems:
            raise MethodologyError("\n".join(problems))


def methodology_from_dict(raw: Any, src: str = "<methodology>") -> Methodology:
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise MethodologyError(f"{src}: the top level must be a mapping of stages (accepted: "
                               f"{', '.join(Methodology.model_fields)})")
    try:
        return Methodology.model_validate(raw)
    except ValidationError as e:
        lines = []
        for err in e.errors():
            loc = ".".join(str(p) for p in err["loc"])
            if err["type"] == "extra_forbidden":
                lines.append(f"{src}: unknown field '{loc}'")
            else:
                lines.append(f"{src}: field '{loc}': {err['msg']} (got {err.get('input')!r})")
        raise MethodologyError("\n".join(lines)) from None


def load_methodology(path: str | Path) -> Methodology:
    """Read a methodology YAML or JSON file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MethodologyError(f"{p}: no such methodology file") from None
    except UnicodeDecodeError as e:
        raise MethodologyError(f"{p.name}: not UTF-8 text (byte {e.start})") from None
    try:
        raw = yaml.safe_load(text)  # JSON is YAML
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise MethodologyError(f"{p.name}:{where}: not valid YAML/JSON") from None
    return methodology_from_dict(raw, p.name)
