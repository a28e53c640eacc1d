"""The index tree: index -> aggregates of any depth -> indicators, read from YAML and validated.

Two YAML shapes are accepted and give the same Framework:

* nested: ``index: {code, name, children: [...]}`` where a node with ``children`` is an
  aggregate and a node without is an indicator;
* flat (COINr's iMeta style): ``nodes: [{code, parent, ...}, ...]`` with exactly one node
  whose ``parent`` is empty (the index).

Levels follow COINr: indicators are level 1, an aggregate is one more than its highest child.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from . import display
from .errors import FrameworkError, Problems
from .yamlfile import read_yaml

# level of an indicator's figure: a country figure given to a city is labelled as such
Level = Literal["city", "metro", "cluster", "country", "region", "district", "world"]

MAX_TREE_DEPTH = 320  # levels from the index down; the tree walks below recurse


class UnitSpec(BaseModel):
    """A unit the framework declares (``units:``). The data's units must be declared, here,
    by ``units_file:`` or by a units table given with the data; undeclared data are refused
    (F80), so a mistyped code never becomes a unit of its own."""

    model_config = ConfigDict(extra="forbid")
    code: str
    name: str | None = None
    name_zh: str | None = None  # Simplified Chinese name, from a reviewed table
    country: str | None = None
    country_iso3: str | None = None  # ISO 3166 alpha-3 (the map places a city without
    region: str | None = None        # coordinates at its country's centroid)
    level: str | None = None
    parent: str | None = None


class OrdinalSpec(BaseModel):
    """How an ordinal input is read (see :mod:`fintech_index.ordinal`): ``rank`` in a
    published top-``list_size`` list (the data give the rank), ``tier`` among ordered
    ``tiers`` (the data give the tier's position, 1 = best), ``member`` of a published
    top-``list_size`` list (the data give 1). A unit absent from the list is below its last
    entry."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["rank", "tier", "member"]
    list_size: int | None = None
    tiers: list[str] | None = None

    @model_validator(mode="after")
    def _complete(self) -> OrdinalSpec:
        if self.kind == "tier":
            if not self.tiers or len(set(self.tiers)) != len(self.tiers):
                raise ValueError("kind 'tier' needs 'tiers': the distinct tier names, best first")
            if self.list_size is not None:
                raise ValueError("kind 'tier' takes 'tiers', not 'list_size'")
        else:
            if self.list_size is None or self.list_size < 1:
                raise ValueError(f"kind '{self.kind}' needs 'list_size': the length of the "
                                 "published list (a positive whole number)")
            if self.tiers is not None:
                raise ValueError(f"kind '{self.kind}' takes 'list_size', not 'tiers'")
        return self


class NodeSpec(BaseModel):
    """One node of the tree as written in YAML; indicator fields are rejected on aggregates."""

    model_config = ConfigDict(extra="forbid")
    code: str
    name: str | None = None
    name_zh: str | None = None  # Simplified Chinese name, from a reviewed table
    parent: str | None = None
    type: Literal["indicator", "aggregate"] | None = None
    weight: float = 1.0
    direction: Literal[1, -1] = 1
    description: str | None = None
    # indicator-only fields
    unit: str | None = None
    level: Level | None = None
    goalposts: tuple[float, float] | None = None
    transform: Literal["log"] | None = None
    denominator: str | None = None
    target: float | None = None
    source: str | None = None
    from_records: dict[str, Any] | None = None
    ordinal: OrdinalSpec | None = None

    @field_validator("code")
    @classmethod
    def _code_is_plain(cls, v: str) -> str:
        if not v or not v.strip() or v != v.strip() or "/" in v:
            raise ValueError(f"{v!r} is not a code: use a non-empty name without '/' or spaces "
                             "at either end")
        return v

    @field_validator("weight")
    @classmethod
    def _weight_positive(cls, v: float) -> float:
        if not math.isfinite(v) or v <= 0:
            raise ValueError(f"{v!r} is not a positive finite number")
        return v

    @field_validator("goalposts")
    @classmethod
    def _goalposts_ordered(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and not (math.isfinite(v[0]) and math.isfinite(v[1]) and v[0] < v[1]):
            raise ValueError(f"{list(v)} is not [lower, upper] with lower < upper")
        return v


_INDICATOR_ONLY = ("unit", "level", "goalposts", "transform", "denominator", "target",
                   "from_records", "ordinal")


class DenominatorSpec(BaseModel):
    """A variable indicators may be divided by (population, GDP, area), given in the data."""

    model_config = ConfigDict(extra="forbid")
    code: str
    name: str | None = None
    unit: str | None = None
    source: str | None = None
    name_zh: str | None = None  # how the Chinese outputs name it, where it is shown
    unit_zh: str | None = None


@dataclass(frozen=True)
class Node:
    """A validated node. ``children`` are codes, in the order the YAML gives them."""

    code: str
    name: str
    parent: str | None
    is_indicator: bool
    weight: float
    direction: int
    level: int
    children: tuple[str, ...] = ()
    unit: str | None = None
    figure_level: str | None = None
    goalposts: tuple[float, float] | None = None
    transform: str | None = None
    denominator: str | None = None
    target: float | None = None
    source: str | None = None
    from_records: Mapping[str, Any] | None = None
    description: str | None = None
    name_zh: str | None = None
    ordinal: OrdinalSpec | None = None


@dataclass(frozen=True)
class Framework:
    """The validated tree with arrays that build() uses directly.

    ``indicators`` is the column order of a Panel; ``aggregates`` are in bottom-up order
    (every aggregate after all its children), the index last.
    """

    name: str
    nodes: Mapping[str, Node]
    index: str
    indicators: tuple[str, ...]
    aggregates: tuple[str, ...]
    units: tuple[UnitSpec, ...] = ()
    source_file: str = "<framework>"
    meta: Mapping[str, Any] = field(default_factory=dict)
    groups: tuple[str, ...] = ()
    denominators: tuple[DenominatorSpec, ...] = ()
    units_file: str | None = None  # the declared units table (``units_file:``), resolved
    # values the data write for "missing" (``missing_values: [-999]``, CDC's SVI): read as NaN
    missing_values: tuple[float, ...] = ()

    def __repr__(self) -> str:
        return display.framework_view(self).text()

    def _repr_html_(self) -> str:
        """The notebook's table (fintech_index.display)."""
        return display.framework_view(self).html()

    @property
    def denominator_codes(self) -> tuple[str, ...]:
        return tuple(d.code for d in self.denominators)

    @property
    def node_codes(self) -> tuple[str, ...]:
        """Indicators then aggregates bottom-up: the node axis of Results."""
        return self.indicators + self.aggregates

    def top_down(self) -> list[tuple[str, int]]:
        """Every node with its depth below the index (0), each parent before its children,
        children in the framework's order: the order the outputs list the tree in."""
        out: list[tuple[str, int]] = []

        def walk(code: str, depth: int) -> None:
            out.append((code, depth))
            for child in self.nodes[code].children:
                walk(child, depth + 1)

        walk(self.index, 0)
        return out

    def path(self, code: str) -> str:
        """'index/dimension/.../code', the address used in messages."""
        parts = [code]
        while (p := self.nodes[parts[-1]].parent) is not None:
            parts.append(p)
        return "/".join(reversed(parts))

    def level_of(self, code: str) -> int:
        return self.nodes[code].level

    def directions(self) -> np.ndarray:
        return np.array([self.nodes[c].direction for c in self.indicators], dtype=np.int8)

    def goalposts(self) -> np.ndarray:
        """[n_indicators, 2] with NaN where an indicator has none."""
        out = np.full((len(self.indicators), 2), np.nan)
        for i, c in enumerate(self.indicators):
            gp = self.nodes[c].goalposts
            if gp is not None:
                out[i] = gp
        return out

    def targets(self) -> np.ndarray:
        """[n_indicators] targets (COINr iMeta ``Target``), NaN where an indicator has none."""
        return np.array([np.nan if self.nodes[c].target is None else self.nodes[c].target
                         for c in self.indicators])

    def to_json(self) -> str:
        """The tree as canonical JSON (what the store keeps and the hash covers)."""
        def plain(v: Any) -> Any:  # tuples as lists, a declared ordinal rule as its fields
            return (list(v) if isinstance(v, tuple) else
                    v.model_dump(exclude_none=True) if isinstance(v, BaseModel) else v)

        nodes = {c: {k: plain(v) for k, v in vars(n).items() if k != "from_records"} | {
                         "from_records": dict(n.from_records or {})}
                 for c, n in self.nodes.items()}
        return json.dumps({"index": self.index, "nodes": nodes}, sort_keys=True, default=str)

    @property
    def hash(self) -> str:
        """SHA-256 of :meth:`to_json`: equal trees give equal hashes."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()

    def effective_weights(self, weights: Mapping[str, Any] | None = None) -> dict[str, float]:
        """Every node's share of the index (COINr ``get_eff_weights``), top down: a child's
        share is its parent's times ``w / sum(w of its siblings)``. ``weights``: per
        aggregate, its children's weights as a build used them (default: as declared)."""
        weights = weights or {}
        out = {self.index: 1.0}
        for code in reversed(self.aggregates):  # top down: every parent before its children
            kids = self.nodes[code].children
            w = np.asarray(weights[code] if code in weights else
                           [self.nodes[c].weight for c in kids], dtype=np.float64)
            for kid, share in zip(kids, w / w.sum(), strict=True):
                out[kid] = out[code] * float(share)
        return out

    def descendants(self, code: str) -> list[str]:
        """Indicators under a node, in panel order."""
        node = self.nodes[code]
        if node.is_indicator:
            return [code]
        out: list[str] = []
        for c in node.children:
            out.extend(self.descendants(c))
        return out


def _fmt_loc(loc: tuple) -> str:
    return ".".join(str(p) for p in loc)


def _node_problems(src: str, where: str, err: ValidationError) -> Problems:
    """One F13 problem per bad field of a node."""
    lines = Problems()
    for e in err.errors():
        loc = _fmt_loc(e["loc"]) or "(node)"
        value = e.get("input")
        if e["type"] == "extra_forbidden":
            lines.add("F13", f"{src}: node {where}: unknown field '{loc}' "
                              f"(accepted: {', '.join(NodeSpec.model_fields)}, children)")
        elif loc in ("weight", "goalposts.0", "goalposts.1") and e["type"].endswith("parsing"):
            lines.add("F13", f"{src}: node {where}: {loc.split('.')[0]} {value!r} is not a number")
        else:
            lines.add("F13", f"{src}: node {where}: field '{loc}': {e['msg']} (got {value!r})")
    return lines


def _flatten_nested(raw: Any, src: str, parent: str | None, path: str,
                    out: list[tuple[str, dict]], seen_ids: set[int]) -> None:
    if not isinstance(raw, dict):
        raise FrameworkError("F08", f"{src}: node under '{path or '(top)'}' is not a mapping "
                                    f"(got {type(raw).__name__}); each node is {{code, name, ...}}")
    if id(raw) in seen_ids:
        raise FrameworkError("F10",
                             f"{src}: node '{raw.get('code')}' under '{path}' contains itself "
                             "(a YAML alias makes a cycle); the tree must be acyclic")
    seen_ids.add(id(raw))
    code = raw.get("code")
    here = f"{path}/{code}" if path else str(code)
    item = {k: v for k, v in raw.items() if k != "children"}
    if "parent" in item:
        raise FrameworkError("F09", f"{src}: node '{here}': field 'parent' is only for the flat "
                                    "'nodes:' form; in the nested form the tree gives the parent")
    item["parent"] = parent
    children = raw.get("children")
    if children is not None:
        if not isinstance(children, list):
            raise FrameworkError("F11", f"{src}: node '{here}': 'children' must be a list of nodes")
        if not children:
            raise FrameworkError("F12", f"{src}: node '{here}' has an empty 'children' list; an "
                                        "aggregate needs at least one child")
        item["type"] = item.get("type", "aggregate")
    out.append((here, item))
    for child in children or []:
        _flatten_nested(child, src, code, here, out, seen_ids)
    seen_ids.discard(id(raw))


def framework_from_dict(raw: Any, src: str = "<framework>", base: Path | None = None
                        ) -> Framework:
    """Validate a parsed YAML document into a Framework (errors name ``src``; a relative
    ``units_file`` is read from ``base``, the framework file's folder)."""
    if not isinstance(raw, dict):
        raise FrameworkError("F04", f"{src}: the top level must be a mapping with 'index:' (nested "
                                    "tree) or 'nodes:' (flat list with parents)")
    allowed_top = {"name", "index", "nodes", "units", "units_file", "meta", "groups",
                   "denominators", "missing_values"}
    unknown = sorted(set(raw) - allowed_top)
    if unknown:
        raise FrameworkError("F05", f"{src}: unknown top-level key(s) {unknown} "
                                    f"(accepted: {sorted(allowed_top)})")
    if ("index" in raw) == ("nodes" in raw):
        raise FrameworkError("F06",
                             f"{src}: give exactly one of 'index:' (nested tree) or 'nodes:' "
                             "(flat list with parents)")
    items: list[tuple[str, dict]] = []
    if "index" in raw:
        _flatten_nested(raw["index"], src, None, "", items, set())
    else:
        if not isinstance(raw["nodes"], list) or not raw["nodes"]:
            raise FrameworkError("F07", f"{src}: 'nodes' must be a non-empty list")
        for i, item in enumerate(raw["nodes"]):
            if not isinstance(item, dict):
                raise FrameworkError("F08", f"{src}: nodes[{i}] is not a mapping")
            if "children" in item:
                raise FrameworkError("F09",
                                     f"{src}: nodes[{i}] ('{item.get('code')}'): 'children' is "
                                     "only for the nested 'index:' form; give 'parent' instead")
            items.append((str(item.get("code", f"nodes[{i}]")), dict(item)))

    specs: dict[str, NodeSpec] = {}
    where_of: dict[str, str] = {}
    for where, item in items:
        try:
            spec = NodeSpec.model_validate(item)
        except ValidationError as e:
            raise FrameworkError.of(_node_problems(src, f"'{where}'", e)) from None
        if spec.code in specs:
            raise FrameworkError("F14", f"{src}: duplicate code '{spec.code}' at '{where}' and "
                                        f"'{where_of[spec.code]}'; every node needs its own code")
        specs[spec.code] = spec
        where_of[spec.code] = where

    children: dict[str, list[str]] = {c: [] for c in specs}
    roots = []
    for code, spec in specs.items():
        if spec.parent is None:
            roots.append(code)
        elif spec.parent not in specs:
            raise FrameworkError("F15",
                                 f"{src}: node '{code}': parent '{spec.parent}' is not a node "
                                 "of this framework")
        else:
            children[spec.parent].append(code)
    if len(roots) != 1:
        raise FrameworkError("F16",
                             f"{src}: the tree needs exactly one index (a node without parent); "
                             f"found {len(roots)}: {roots}")
    root = roots[0]

    # cycles (possible in the flat form): every node must reach the root
    for code in specs:
        seen = [code]
        p = specs[code].parent
        while p is not None:
            if p in seen:
                cycle = " -> ".join(seen[seen.index(p):] + [p])
                raise FrameworkError("F10",
                                     f"{src}: cycle in the tree: {cycle}; parents must lead to "
                                     "the index")
            seen.append(p)
            p = specs[p].parent
        if len(seen) > MAX_TREE_DEPTH:
            raise FrameworkError("F69", f"{src}: node '{code}' is {len(seen)} levels below the "
                                        f"index; a tree may have at most {MAX_TREE_DEPTH} levels")

    for code, spec in specs.items():
        is_ind = not children[code] if spec.type is None else spec.type == "indicator"
        where = where_of[code]
        if is_ind and children[code]:
            raise FrameworkError("F17", f"{src}: node '{where}' is declared an indicator but has "
                                        f"children {children[code]}")
        if not is_ind and not children[code]:
            raise FrameworkError("F12",
                                 f"{src}: node '{where}' is an aggregate with no children; give "
                                 "it children or make it an indicator")
        if not is_ind:
            bad = [f for f in _INDICATOR_ONLY if getattr(spec, f) is not None]
            if bad:
                raise FrameworkError("F18", f"{src}: node '{where}': field(s) {bad} belong to "
                                            "indicators, not to an aggregate")
        if code == root and is_ind:
            raise FrameworkError("F12", f"{src}: the index '{code}' has no children")
        _check_sibling_weights(src, where, [specs[k] for k in children[code]])

    levels: dict[str, int] = {}

    def level(code: str) -> int:
        if code not in levels:
            kids = children[code]
            levels[code] = 1 if not kids else 1 + max(level(k) for k in kids)
        return levels[code]

    level(root)
    nodes: dict[str, Node] = {}
    for code, spec in specs.items():
        nodes[code] = Node(
            code=code, name=spec.name or code, parent=spec.parent,
            is_indicator=not children[code], weight=float(spec.weight),
            direction=int(spec.direction), level=levels[code], children=tuple(children[code]),
            unit=spec.unit, figure_level=spec.level, goalposts=spec.goalposts,
            transform=spec.transform, denominator=spec.denominator, target=spec.target,
            source=spec.source,
            from_records=spec.from_records, description=spec.description,
            name_zh=spec.name_zh, ordinal=spec.ordinal,
        )
    indicators, aggregates = _build_order(nodes, root)
    units = _parse_units(raw.get("units"), src)
    groups = _parse_groups(raw.get("groups"), src)
    denominators = _parse_denominators(raw.get("denominators"), src, nodes)
    name, meta = _parse_name_and_meta(raw, src)
    return Framework(name=name or nodes[root].name, nodes=nodes, index=root,
                     indicators=indicators, aggregates=aggregates, units=units,
                     source_file=src, meta=meta, groups=groups, denominators=denominators,
                     units_file=_parse_units_file(raw.get("units_file"), src, base),
                     missing_values=_parse_missing_values(raw.get("missing_values"), src))


def _check_sibling_weights(src: str, where: str, kids: list[NodeSpec]) -> None:
    """Refuse [F30] children whose weights add up to more than a float holds: weights are
    rescaled by their sum (``w / sum(w)``), and two weights of 1e308 summed to inf made
    every child's share 0, every score 0 and every unit first. Refused rather than
    rescaled, since weights that large are a typo, not a choice."""
    total = sum(k.weight for k in kids)  # not fsum: it raises on overflow
    if not math.isfinite(total):
        raise FrameworkError("F30", f"{src}: node '{where}': the weights of its children "
                                    f"{[k.code for k in kids]} add up to more than "
                                    f"{sys.float_info.max:.3g} "
                                    f"({', '.join(f'{k.weight:g}' for k in kids)}); give "
                                    "weights of a sensible size (they are relative: 1, 2, 0.5)")


def _parse_units_file(value: Any, src: str, base: Path | None) -> str | None:
    """``units_file:`` names the units table the data's unit codes must come from (CSV or
    Excel with a ``code`` column; a relative path is read beside the framework file), so a
    mistyped code is refused with a suggestion instead of becoming a unit of its own."""
    if value is None:
        return None
    accepted = ("give the path of a units table (CSV or Excel with a 'code' column), "
                "relative to the framework file")
    if not isinstance(value, str) or not value.strip():
        raise FrameworkError("F27", f"{src}: units_file: {value!r} is not a path; {accepted}")
    path = Path(value)
    if not path.is_absolute():
        path = (base or Path(".")) / path
    if not path.is_file():
        raise FrameworkError("F27", f"{src}: units_file: no such file '{value}' ({path}); "
                                    f"{accepted}")
    return str(path)


def _parse_missing_values(value: Any, src: str) -> tuple[float, ...]:
    """``missing_values:`` the numbers the data write for a missing value (CDC/ATSDR's SVI
    files write -999), each read as missing by the panel loaders, never as a value."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    bad = [v for v in items if isinstance(v, bool) or not isinstance(v, int | float)
           or not math.isfinite(v)]
    if bad or not items:
        raise FrameworkError("F50", f"{src}: missing_values: {value!r} is not a list of "
                                    "finite numbers; give the codes the data write for a "
                                    "missing value, e.g. missing_values: [-999]")
    return tuple(float(v) for v in items)


def framework_from_json(text: str | Mapping[str, Any], name: str | None = None,
                        source: str = "<stored framework>") -> Framework:
    """The Framework back from :meth:`Framework.to_json` (what the store keeps with every
    edition): nodes, children in their order, indicators and aggregates in build order."""
    raw = json.loads(text) if isinstance(text, str) else text
    nodes: dict[str, Node] = {}
    for code, f in raw["nodes"].items():
        f = dict(f)
        f["children"] = tuple(f.get("children") or ())
        f["goalposts"] = tuple(f["goalposts"]) if f.get("goalposts") else None
        f["from_records"] = f.get("from_records") or None
        if f.get("ordinal") is not None:
            f["ordinal"] = OrdinalSpec.model_validate(f["ordinal"])
        nodes[code] = Node(**f)
    indicators, aggregates = _build_order(nodes, raw["index"])
    return Framework(name=name or nodes[raw["index"]].name, nodes=nodes, index=raw["index"],
                     indicators=indicators, aggregates=aggregates, source_file=source)


def _build_order(nodes: Mapping[str, Node], root: str
                 ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Indicators and aggregates in build order: depth-first keeps the YAML's order of
    indicators; aggregates come out bottom-up."""
    indicators: list[str] = []
    aggregates: list[str] = []

    def walk(code: str) -> None:
        for k in nodes[code].children:
            walk(k)
        (indicators if nodes[code].is_indicator else aggregates).append(code)

    walk(root)
    return tuple(indicators), tuple(aggregates)


def _parse_groups(raw: Any, src: str) -> tuple[str, ...]:
    """Names of unit grouping columns (COINr's ``Group`` rows: income group, region...)."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(g, str) and g.strip() for g in raw):
        raise FrameworkError("F19", f"{src}: 'groups' must be a list of column names, e.g. "
                                    "[EurAsia_group, GDP_group]")
    if len(set(raw)) != len(raw):
        raise FrameworkError("F19", f"{src}: 'groups' lists a column twice: {raw}")
    return tuple(raw)


def _parse_specs(raw: Any, src: str, key: str, model: type[BaseModel], code: str) -> list:
    """A top-level list of mappings (``units:``, ``denominators:``), each validated by
    ``model``; anything else is refused with ``code``."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise FrameworkError(code, f"{src}: '{key}' must be a list of {{code, name, ...}} "
                                   f"(got {type(raw).__name__})")
    out = []
    for i, item in enumerate(raw):
        try:
            out.append(model.model_validate(item))
        except ValidationError as e:
            msgs = "; ".join(f"{_fmt_loc(x['loc']) or '(entry)'}: {x['msg']}"
                             for x in e.errors())
            raise FrameworkError(code, f"{src}: {key}[{i}]: {msgs} (accepted fields: "
                                       f"{', '.join(model.model_fields)})") from None
    return out


def _parse_denominators(raw: Any, src: str, nodes: Mapping[str, Node]
                        ) -> tuple[DenominatorSpec, ...]:
    out = _parse_specs(raw, src, "denominators", DenominatorSpec, "F20")
    codes = [d.code for d in out]
    clash = sorted({c for c in codes if codes.count(c) > 1 or c in nodes})
    if clash:
        raise FrameworkError("F21", f"{src}: denominators: code(s) {clash} are repeated or also "
                                    "node codes; a denominator needs its own code")
    for code, node in nodes.items():
        if node.denominator is not None and node.denominator not in codes:
            raise FrameworkError("F22",
                                 f"{src}: node '{code}': denominator '{node.denominator}' is "
                                 f"not declared under 'denominators:' (declared: {codes})")
    return tuple(out)


def _parse_units(raw: Any, src: str) -> tuple[UnitSpec, ...]:
    """The ``units:`` list; codes are stripped as the data's unit cells are (a declared
    ``"\tTAB"`` is the data's ``TAB``), and an empty code is refused."""
    out = [u.model_copy(update={"code": u.code.strip()})
           for u in _parse_specs(raw, src, "units", UnitSpec, "F23")]
    for i, u in enumerate(out):
        if not u.code:
            raise FrameworkError("F23", f"{src}: units[{i}]: empty unit code (a unit needs a "
                                        "code, as the data's 'unit' column gives it)")
    seen: set[str] = set()  # a set, not the codes before each: 70,000 units took 62 s
    for i, u in enumerate(out):
        if u.code in seen:
            raise FrameworkError("F24", f"{src}: units[{i}]: duplicate unit code '{u.code}'")
        seen.add(u.code)
    return tuple(out)


def _parse_name_and_meta(raw: dict, src: str) -> tuple[str | None, dict]:
    """The optional ``name:`` (text) and ``meta:`` (a mapping) of the framework."""
    name, meta = raw.get("name"), raw.get("meta")
    if name is not None and not isinstance(name, str | int | float):
        raise FrameworkError("F26", f"{src}: 'name' must be text (got {type(name).__name__})")
    if meta is not None and not isinstance(meta, dict):
        raise FrameworkError("F26", f"{src}: 'meta' must be a mapping of key: value (got "
                                    f"{type(meta).__name__})")
    return (None if name is None else str(name)), dict(meta or {})


def load_framework(path: str | Path) -> Framework:
    """Read and validate a framework YAML file."""
    p = Path(path)
    raw = read_yaml(p, FrameworkError, "framework file", ("F01", "F02", "F03"))
    return framework_from_dict(raw, p.name, p.parent)
