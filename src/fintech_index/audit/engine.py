"""The batched evaluation engine of the audit: many alternative methodologies at once.

A replication is one row of unit-interval samples, decoded into choices (an imputation,
treatment and normalisation option, weight multipliers, an excluded indicator, an
aggregation option). Replications sharing their data-stage choices share one prepared and
normalised data set (computed once by build()); the rest (weights, exclusion, aggregation)
runs through the aggregation kernels with the replications as the batch axis. No build()
per replication. A replication's result depends on its own sample row only, so results are
bit-identical for any chunk size, in-process or on Dask.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator
from scipy.stats import rankdata

from .. import methods
from ..build import Results, build
from ..errors import MethodologyError
from ..framework import Framework
from ..methodology import Methodology, Stage
from ..panel import Panel
from ..yamlfile import read_yaml, validate

DATA_STAGES = ("impute", "treat", "normalise")


class Factor(BaseModel):
    """One uncertain input. ``options`` (discrete stages) are methodology stages
    (``{method, params, by_level, by_node}`` or a method name); ``noise`` (weights)
    multiplies every weight by a factor in [1 - noise, 1 + noise]; ``exclude`` leaves out no
    indicator or one of them; ``sets`` (weight_sets) are named weight sets, ``{name: {node:
    weight}}``, one drawn per replication with equal probability (the OECD/JRC Handbook's
    sampling of experts' weightings, section 7.1; a node a set does not name keeps its
    framework weight; weight 0 leaves a node out). Weight noise multiplies the drawn set.
    ``level`` restricts an aggregation factor to the aggregates of one level, and a weights
    factor to the weights of the nodes of one level (COINr's ``noise_specs$Level``: 1 is the
    indicators' weights); several levels with their own noise are several weights factors."""

    model_config = ConfigDict(extra="forbid")
    name: str
    stage: Literal["impute", "treat", "normalise", "weights", "weight_sets", "exclude",
                   "aggregate"]
    options: list[Stage] = []
    noise: float = 0.0
    level: int | None = None
    sets: dict[str, dict[str, float]] = {}

    @model_validator(mode="before")
    @classmethod
    def _options_as_choices(cls, v: Any) -> Any:
        if isinstance(v, dict) and isinstance(v.get("options"), list):
            v = dict(v, options=[{"method": o} if isinstance(o, str) else o
                                 for o in v["options"]])
        return v

    @model_validator(mode="after")
    def _complete(self) -> Factor:
        if self.stage in DATA_STAGES + ("aggregate",) and len(self.options) < 1:
            raise ValueError(f"factor '{self.name}': stage {self.stage} needs options")
        if self.stage == "weights" and not 0 < self.noise < 1:
            raise ValueError(f"factor '{self.name}': weights need 0 < noise < 1")
        if self.stage == "weight_sets" and not self.sets:
            raise ValueError(f"factor '{self.name}': weight_sets needs at least one named set")
        bad = [f"{name}.{node}" for name, ws in self.sets.items() for node, v in ws.items()
               if not v >= 0]
        if bad:
            raise ValueError(f"factor '{self.name}': a weight must be 0 or more ({bad[0]})")
        return self


class UncertaintySpec(BaseModel):
    """The uncertain choices of an audit, with the sample size and the seed."""

    model_config = ConfigDict(extra="forbid")
    factors: list[Factor] = []
    n: int = 1000
    seed: int = 0
    year: int | None = None
    top: int = 10


def load_spec(path: str | Path) -> UncertaintySpec:
    """Read an uncertainty spec (YAML); every invalid field is reported on its own line."""
    p = Path(path)
    raw = read_yaml(p, MethodologyError, "uncertainty spec", ("M01", "M02", "M03")) or {}
    return validate(UncertaintySpec, raw, p.name, MethodologyError, "M15")


@dataclass
class Engine:
    """Evaluates replications of one framework, panel and nominal methodology."""

    framework: Framework
    panel: Panel
    methodology: Methodology
    spec: UncertaintySpec
    _cache: dict[tuple[int, int, int], np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        fw = self.framework
        self.year_index = self.panel.years.index(self.spec.year) if self.spec.year else -1
        self.node_pos = {c: k for k, c in enumerate(fw.node_codes)}
        self.weight_slots = [(code, i) for code in fw.aggregates
                             for i in range(len(fw.nodes[code].children))]
        self.slot_nodes = [fw.nodes[code].children[i] for code, i in self.weight_slots]
        self.base_weights = np.array([fw.nodes[c].weight for c in self.slot_nodes], dtype=float)
        self.weight_sets = {f.name: self._weight_set_table(f) for f in self.spec.factors
                            if f.stage == "weight_sets"}
        self.dims: list[tuple[str, int]] = []  # factor name, dimensions
        for f in self.spec.factors:
            self.dims.append((f.name, int(self._noisy_slots(f).sum()) if f.stage == "weights"
                              else 1))
        self.nominal = build(fw, self.panel, self.methodology)
        self.nominal_rank = self.nominal.rank_array[self.year_index, :, self._index_pos]
        self.nominal_score = self.nominal.score_array[self.year_index, :, self._index_pos]
        for f in self.spec.factors:
            for c in f.options:  # an unknown method is refused here, not mid-analysis
                methods.get(f.stage, c.method)
        self._cache[(-1, -1, -1)] = self._indicator_scores(self.nominal)

    def _noisy_slots(self, f: Factor) -> np.ndarray:
        """Which weight slots a weights factor perturbs: all, or those of one level's nodes."""
        levels = np.array([self.framework.level_of(c) for c in self.slot_nodes])
        if f.level is None:
            return np.ones(len(levels), dtype=bool)
        if f.level not in set(levels.tolist()):
            raise MethodologyError("M93", f"uncertainty spec: factor '{f.name}': no weights at "
                                          f"level {f.level} (levels with weights: "
                                          f"{sorted(set(levels.tolist()))}; 1 = indicators)")
        return levels == f.level

    def _weight_set_table(self, f: Factor) -> np.ndarray:
        """[sets, slots]: each named set's weight for every slot (framework weight if unnamed)."""
        table = np.tile(self.base_weights, (len(f.sets), 1))
        for s, (name, weights) in enumerate(f.sets.items()):
            for node, v in weights.items():
                if node not in self.slot_nodes:
                    raise MethodologyError(
                        "M92", f"uncertainty spec: factor '{f.name}', weight set '{name}': "
                               f"'{node}' is not a weighted node of the framework (accepted: "
                               f"{', '.join(self.slot_nodes[:12])}"
                               f"{' ...' if len(self.slot_nodes) > 12 else ''})")
                table[s, self.slot_nodes.index(node)] = v
        return table

    @property
    def _index_pos(self) -> int:
        return self.node_pos[self.framework.index]

    @property
    def dimension(self) -> int:
        return sum(d for _, d in self.dims)

    def groups(self) -> list[tuple[str, slice]]:
        """Each factor's columns in a sample row (a factor may span several)."""
        out, start = [], 0
        for name, d in self.dims:
            out.append((name, slice(start, start + d)))
            start += d
        return out

    # ---------------------------------------------------------------- decoding
    def _decode(self, u: np.ndarray) -> dict[str, np.ndarray]:
        r = len(u)
        choice = {s: np.full(r, -1) for s in DATA_STAGES}
        agg: list[tuple[Factor, np.ndarray]] = []
        base = np.broadcast_to(self.base_weights, (r, len(self.weight_slots)))
        multiplier = np.ones((r, len(self.weight_slots)))
        exclude = np.full(r, -1)
        for f, (_, cols) in zip(self.spec.factors, self.groups(), strict=True):
            x = u[:, cols]
            if f.stage in DATA_STAGES or f.stage == "aggregate":
                idx = np.minimum((x[:, 0] * len(f.options)).astype(np.int64),
                                 len(f.options) - 1)
                if f.stage == "aggregate":
                    agg.append((f, idx))
                else:
                    choice[f.stage] = idx
            elif f.stage == "weights":
                noisy = self._noisy_slots(f)
                multiplier[:, noisy] = multiplier[:, noisy] * (1 + f.noise * (2 * x - 1))
            elif f.stage == "weight_sets":
                table = self.weight_sets[f.name]
                base = table[np.minimum((x[:, 0] * len(table)).astype(np.int64),
                                        len(table) - 1)]
            else:  # exclude: none, or indicator i
                k = len(self.framework.indicators) + 1
                exclude = np.minimum((x[:, 0] * k).astype(np.int64), k - 1) - 1
        return {"choice": choice, "agg": agg, "weights": base * multiplier,
                "exclude": exclude}

    def _normalised(self, key: tuple[int, int, int]) -> np.ndarray:
        """Indicator scores [units, indicators] for one combination of data-stage options
        (the nominal methodology where a stage is not uncertain), built once and cached."""
        if key not in self._cache:
            raw = self.methodology.model_dump(mode="json")
            for stage, idx in zip(DATA_STAGES, key, strict=True):
                if idx >= 0:
                    f = next(f for f in self.spec.factors if f.stage == stage)
                    raw[stage] = f.options[idx].model_dump(mode="json")
            res = build(self.framework, self.panel, Methodology.model_validate(raw))
            self._cache[key] = self._indicator_scores(res)
        return self._cache[key]

    def _indicator_scores(self, res: Results) -> np.ndarray:
        if res.units != self.panel.unit_codes:
            raise MethodologyError("M16", "audit: a choice screens units out; the audit needs the "
                                          "same units in every replication")
        return res.score_array[self.year_index, :, :len(self.framework.indicators)]

    # ---------------------------------------------------------------- evaluation
    def evaluate(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index scores and ranks [replications, units] for sample rows ``u``."""
        u = np.atleast_2d(np.asarray(u, dtype=np.float64))
        d = self._decode(u)
        r, n_units = len(u), len(self.panel.unit_codes)
        scores = np.full((r, n_units), np.nan)
        keys = np.stack([d["choice"][s] for s in DATA_STAGES], axis=1)
        agg_keys = (np.stack([idx for _, idx in d["agg"]], axis=1) if d["agg"]
                    else np.zeros((r, 0), np.int64))
        combined = np.concatenate([keys, agg_keys], axis=1)
        for key in np.unique(combined, axis=0):
            rows = np.flatnonzero((combined == key).all(axis=1))
            x = self._normalised(tuple(int(v) for v in key[:3]))
            scores[rows] = self._aggregate(x, d, rows, key[3:])
        ranks = rankdata(-scores, method=self.methodology.rank.ties, axis=1,
                         nan_policy="omit")
        return scores, ranks

    def _aggregate(self, x: np.ndarray, d: dict, rows: np.ndarray, agg_key: np.ndarray
                   ) -> np.ndarray:
        fw = self.framework
        slot = 0
        values: dict[str, np.ndarray] = {c: x[:, i] for i, c in enumerate(fw.indicators)}
        excluded = d["exclude"][rows]
        for code in fw.aggregates:
            node = fw.nodes[code]
            kids = node.children
            w = d["weights"][rows][:, slot:slot + len(kids)]
            slot += len(kids)
            for j, k in enumerate(kids):
                if fw.nodes[k].is_indicator:
                    w[:, j] = np.where(excluded == fw.indicators.index(k), 0.0, w[:, j])
            choice = self.methodology.aggregate.resolve(code, node.level)
            for (f, _), a in zip(d["agg"], agg_key, strict=True):
                if f.level is None or f.level == node.level:
                    choice = f.options[int(a)].resolve(code, node.level)
            kernel = methods.get("aggregate", choice.method)
            children = np.stack([values[k] for k in kids], axis=-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                values[code] = kernel.fn(children, w, **choice.params)
            if values[code].ndim == 1:  # a kernel that ignores weights: same for every row
                values[code] = np.broadcast_to(values[code], (len(rows),) + values[code].shape)
        return values[fw.index]


def evaluate_chunks(engine: Engine, u: np.ndarray, chunk: int = 2000, client=None,
                    progress=None) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate sample rows in chunks: in-process, or on a Dask cluster when ``client``
    (a ``distributed.Client``) is given. Results are in row order and do not depend on the
    chunk size or on where the chunks ran."""
    starts = list(range(0, len(u), chunk))
    parts = [u[s:s + chunk] for s in starts]
    if client is None:
        out = []
        for p in parts:
            out.append(engine.evaluate(p))
            if progress is not None:
                progress(len(p))
    else:
        remote = client.scatter(engine, broadcast=True)
        futures = client.map(_evaluate_part, [remote] * len(parts), parts, pure=False)
        out = []
        for fut in futures:
            out.append(fut.result())
            if progress is not None:
                progress(chunk)
    return (np.concatenate([o[0] for o in out]), np.concatenate([o[1] for o in out]))


def _evaluate_part(engine: Engine, part: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return engine.evaluate(part)
