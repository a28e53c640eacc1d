"""The batched evaluation engine of the audit: many alternative methodologies at once.

A replication is one row of unit-interval samples, decoded into choices (an imputation,
treatment and normalisation option, weight multipliers, an excluded indicator, an
aggregation option). Replications sharing their data-stage choices share one prepared and
normalised data set (computed once by build()); the rest (weights, exclusion, aggregation)
runs through ``scoring.aggregate_and_rank``, the build's own path, once per aggregation
choice: the data sets side by side on a leading axis and each one's replications on the
next ([data sets, replications, units]). The index is then ranked for every replication by
one argsort. No build() per replication. A replication's result depends on its own sample
row only (tests/test_engine.py holds it as a property), so results are bit-identical for
any chunk size, in-process or on Dask.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..build import build, indicator_scores
from ..errors import MethodologyError
from ..framework import Framework
from ..methodology import Methodology, Stage
from ..panel import Panel
from ..scoring import Plan, aggregate_and_rank, plan, rank_node, weight_slots
from ..yamlfile import read_yaml, validate

DATA_STAGES = ("impute", "treat", "normalise")


class Factor(BaseModel):
    """One uncertain input. ``options`` (discrete stages) are methodology stages
    (``{method, params, by_level, by_node}`` or a method name); ``noise`` (weights)
    multiplies every weight by a factor in [1 - noise, 1 + noise]; ``exclude`` leaves out no
    indicator or one of them; ``sets`` (weight_sets) are named weight sets, ``{name: {node:
    weight}}``, one drawn per replication with equal probability (the OECD/JRC Handbook's
    sampling of experts' weightings, section 7.1): the set's weights replace those of the
    nominal build (a node the set does not name keeps its nominal weight; weight 0 leaves
    a node out). Weight noise multiplies the drawn set.
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
        for name, ws in self.sets.items():
            for node, v in ws.items():
                if not (math.isfinite(v) and v >= 0):  # NaN is not "below 0": say what it is
                    raise ValueError(f"factor '{self.name}': weight set '{name}': {node} = "
                                     f"{v!r}; a weight is a finite number, 0 or more")
            if not math.isfinite(sum(ws.values())):
                raise ValueError(f"factor '{self.name}': weight set '{name}': its weights "
                                 "add up to more than a float holds; give weights of a "
                                 "sensible size (they are relative)")
        return self


class UncertaintySpec(BaseModel):
    """The uncertain choices of an audit, with the sample size and the seed."""

    model_config = ConfigDict(extra="forbid")
    factors: list[Factor] = []
    n: int = Field(1000, ge=1)
    seed: int = Field(0, ge=0)  # NumPy's generators take seeds >= 0 (-1: a ValueError)
    year: int | None = None  # checked against the data's years by the Engine [M23]
    top: int = Field(10, ge=1)  # the rank a unit's p_top counts up to

    @field_validator("factors")
    @classmethod
    def _distinct_names(cls, factors: list[Factor]) -> list[Factor]:
        """Factors are reported and varied by name (Sobol indices, the summary's columns):
        two factors of one name would be read as one."""
        names = [f.name for f in factors]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"factor name(s) {twice} given more than once; every factor "
                             "needs its own name")
        return factors


MAX_AUDIT_BYTES = 2 * 1024**3  # the replications' scores and ranks held at once


def check_replications(rows: int, units: int, what: str) -> None:
    """Refuse [M70] an analysis whose per-replication scores and ranks (2 x rows x units
    float64, about twice that while summarised) would not fit in MAX_AUDIT_BYTES, before
    any work: ``n: 30000000`` reached 14 GB in two minutes."""
    need = 4 * 8 * rows * max(units, 1)
    if need > MAX_AUDIT_BYTES:
        fit = MAX_AUDIT_BYTES // (4 * 8 * max(units, 1))
        raise MethodologyError("M70", f"{what}: {rows:,} replications of {units} units need "
                                      f"about {need / 1024**3:,.1f} GiB; at most {fit:,} fit "
                                      f"in {MAX_AUDIT_BYTES / 1024**3:g} GiB: lower n")


def load_spec(path: str | Path) -> UncertaintySpec:
    """Read an uncertainty spec (YAML); every invalid field is reported on its own line."""
    p = Path(path)
    raw = read_yaml(p, MethodologyError, "uncertainty spec", ("M01", "M02", "M03")) or {}
    return validate(UncertaintySpec, raw, p.name, MethodologyError, "M15")


@dataclass
class Engine:
    """Evaluates replications of one framework, panel and nominal methodology. ``threads``:
    how many aggregation choices are evaluated at once (each is one aggregate-and-rank call
    whose einsum and argsort release the GIL; 1 = one after the other; the numbers are the
    same bits either way)."""

    framework: Framework
    panel: Panel
    methodology: Methodology
    spec: UncertaintySpec
    threads: int = field(default_factory=lambda: min(4, os.cpu_count() or 1))
    _cache: dict[tuple[int, ...], tuple[Panel, np.ndarray]] = field(default_factory=dict,
                                                                    repr=False)
    _variants: dict[tuple[int, ...], Methodology] = field(default_factory=dict, repr=False)
    _steps: dict[tuple[int, ...], Plan] = field(default_factory=dict, repr=False)
    _stacks: dict[tuple, np.ndarray] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        fw = self.framework
        self.year_index = self._year_index()
        self.node_pos = {c: k for k, c in enumerate(fw.node_codes)}
        self.weight_slots = weight_slots(fw)
        self.slot_nodes = [kid for _, kid in self.weight_slots]
        self.slot_levels = np.array([fw.level_of(c) for c in self.slot_nodes])
        self.dims: list[tuple[str, int]] = []  # factor name, dimensions
        for f in self.spec.factors:
            self.dims.append((f.name, int(self._noisy_slots(f).sum()) if f.stage == "weights"
                              else 1))
        self._check_options()
        self.nominal = build(fw, self.panel, self.methodology)
        self.nominal_rank = self.nominal.rank_array[self.year_index, :, self._index_pos]
        self.nominal_score = self.nominal.score_array[self.year_index, :, self._index_pos]
        nominal_key = (-1,) * len(DATA_STAGES)
        self._cache[nominal_key] = (self.nominal.panel, self._year_scores(
            self.nominal.panel, self.nominal.score_array[..., :len(fw.indicators)],
            nominal_key))
        self.weight_sets = {f.name: self._weight_set_table(f) for f in self.spec.factors
                            if f.stage == "weight_sets"}

    def _year_index(self) -> int:
        """The place of the spec's ``year`` in the data (the last year when it names none);
        a year the data do not have is refused [M23]."""
        year = self.spec.year
        if year is None:
            return -1
        if year not in self.panel.years:
            years = list(self.panel.years)
            shown = ", ".join(map(str, years[:12])) + (" ..." if len(years) > 12 else "")
            raise MethodologyError("M23", f"uncertainty spec: year {year} is not a year of "
                                          f"the data ({self.panel.origin}: {shown}); give "
                                          "one of them, or no year for the latest")
        return self.panel.years.index(year)

    def _check_options(self) -> None:
        """Every option of every factor, as the methodology it makes, is checked against
        the framework and the kernels' contracts before any replication runs."""
        for f in self.spec.factors:
            for i, _ in enumerate(f.options):
                if f.stage in DATA_STAGES:
                    self._data_methodology(tuple(i if s == f.stage else -1
                                                 for s in DATA_STAGES)).check(self.framework)
                else:
                    self._aggregate_methodology([(f, i)]).check(self.framework)

    def _noisy_slots(self, f: Factor) -> np.ndarray:
        """Which weight slots a weights factor perturbs: all, or those of one level's nodes."""
        levels = self.slot_levels
        if f.level is None:
            return np.ones(len(levels), dtype=bool)
        if f.level not in set(levels.tolist()):
            raise MethodologyError("M93", f"uncertainty spec: factor '{f.name}': no weights at "
                                          f"level {f.level} (levels with weights: "
                                          f"{sorted(set(levels.tolist()))}; 1 = indicators)")
        return levels == f.level

    def _weight_set_table(self, f: Factor) -> np.ndarray:
        """[sets, slots]: each named set as weight multipliers, ``set weight / nominal
        weight`` per slot (1 where the set does not name the node), so that the one
        aggregation path uses the set's weights in place of the nominal build's."""
        nominal = np.concatenate([self.nominal.weights[code][self.year_index]
                                  for code in self.framework.aggregates])
        table = np.ones((len(f.sets), len(self.weight_slots)))
        for s, (name, weights) in enumerate(f.sets.items()):
            for node, v in weights.items():
                if node not in self.slot_nodes:
                    raise MethodologyError(
                        "M92", f"uncertainty spec: factor '{f.name}', weight set '{name}': "
                               f"'{node}' is not a weighted node of the framework (accepted: "
                               f"{', '.join(self.slot_nodes[:12])}"
                               f"{' ...' if len(self.slot_nodes) > 12 else ''})")
                slot = self.slot_nodes.index(node)
                if nominal[slot] == 0 and v != 0:
                    raise MethodologyError(
                        "M92", f"uncertainty spec: factor '{f.name}', weight set '{name}': "
                               f"'{node}' has weight 0 in the nominal build, so a set cannot "
                               "scale it; give it a weight in the methodology")
                table[s, slot] = v / nominal[slot] if v != 0 else 0.0
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
    def _decode(self, u: np.ndarray) -> dict:
        r = len(u)
        choice = {s: np.full(r, -1) for s in DATA_STAGES}
        agg: list[tuple[Factor, np.ndarray]] = []
        weights = None
        excluded = None
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
                scaled = 2 * x  # 1 + noise (2x - 1), in place: one array, not four
                scaled -= 1
                scaled *= f.noise
                scaled += 1
                if noisy.all():
                    noise = scaled
                else:
                    noise = np.ones((r, len(self.weight_slots)))
                    noise[:, noisy] = scaled
                weights = noise if weights is None else weights * noise
            elif f.stage == "weight_sets":
                table = self.weight_sets[f.name]
                chosen = table[np.minimum((x[:, 0] * len(table)).astype(np.int64),
                                          len(table) - 1)]
                weights = chosen if weights is None else weights * chosen
            else:  # exclude: none, or indicator i
                k = len(self.framework.indicators) + 1
                which = np.minimum((x[:, 0] * k).astype(np.int64), k - 1) - 1
                drop = which[:, None] == np.arange(k - 1)
                excluded = drop if excluded is None else excluded | drop
        return {"choice": choice, "agg": agg, "weights": weights, "excluded": excluded}

    # ---------------------------------------------------------------- methodologies
    def _data_methodology(self, key: tuple[int, ...]) -> Methodology:
        """The nominal methodology with the data-stage options of ``key`` (-1: nominal)."""
        raw = self.methodology.model_dump(mode="json")
        for stage, idx in zip(DATA_STAGES, key, strict=True):
            if idx >= 0:
                f = next(f for f in self.spec.factors if f.stage == stage)
                raw[stage] = f.options[idx].model_dump(mode="json")
        return Methodology.model_validate(raw)

    def _aggregate_methodology(self, picks: list[tuple[Factor, int]]) -> Methodology:
        """The nominal methodology with each aggregation factor's option applied to the
        aggregates of its level (all aggregates when it names no level)."""
        stage = self.methodology.aggregate
        fw = self.framework
        for f, i in picks:
            option = f.options[int(i)]
            if f.level is None:
                stage = option
            else:
                at_level = {c: option.resolve(c, f.level) for c in fw.aggregates
                            if fw.nodes[c].level == f.level}
                stage = stage.model_copy(update={"by_node": {**stage.by_node, **at_level}})
        return self.methodology.model_copy(update={"aggregate": stage})

    def _variant(self, agg_key: tuple[int, ...], agg: list[tuple[Factor, np.ndarray]]
                 ) -> Methodology:
        if agg_key not in self._variants:
            self._variants[agg_key] = self._aggregate_methodology(
                [(f, i) for (f, _), i in zip(agg, agg_key, strict=True)])
        return self._variants[agg_key]

    def _normalised(self, key: tuple[int, ...]) -> tuple[Panel, np.ndarray]:
        """The panel and indicator scores [units, indicators] for one combination of
        data-stage options (nominal where a stage is not uncertain), computed once."""
        if key not in self._cache:
            prep, scores = indicator_scores(self.framework, self.panel,
                                            self._data_methodology(key))
            self._cache[key] = (prep.panel, self._year_scores(prep.panel, scores, key))
        return self._cache[key]

    def _year_scores(self, panel: Panel, scores: np.ndarray, key: tuple[int, ...]
                     ) -> np.ndarray:
        """The scores of the audited year; refused [M16] when the methodology's ``screen``
        (after the data-stage options of ``key``) left units of the data out."""
        if panel.unit_codes != self.panel.unit_codes:
            kept = set(panel.unit_codes)
            out = [u for u in self.panel.unit_codes if u not in kept]
            options = [f"option {i + 1} of factor '{f.name}'" for f in self.spec.factors
                       for s, i in zip(DATA_STAGES, key, strict=True)
                       if i >= 0 and f.stage == s]
            under = f" under {', '.join(options)}" if options else ""
            shown = ", ".join(map(repr, out[:10])) + (" ..." if len(out) > 10 else "")
            sc = self.methodology.screen
            how = "" if sc is None else f" (dat_thresh: {sc.dat_thresh:g}, unit_screen: " \
                f"{sc.unit_screen}, nzero_thresh: {sc.nzero_thresh:g})"
            raise MethodologyError(
                "M16", f"audit: the methodology's screen{how} drops "
                       f"{len(out)} unit(s) of the data{under}: {shown}; every replication "
                       "must rank the same units: audit without screen, or audit data of "
                       "the units the screen keeps")
        return scores[self.year_index]

    # ---------------------------------------------------------------- evaluation
    def evaluate(self, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Index scores and ranks [replications, units] for sample rows ``u``."""
        u = np.atleast_2d(np.asarray(u, dtype=np.float64))
        d = self._decode(u)
        r, n_units = len(u), len(self.panel.unit_codes)
        scores = np.full((r, n_units), np.nan)
        if r == 0:
            return scores, scores.copy()
        data_keys = _codes(np.stack([d["choice"][s] for s in DATA_STAGES], axis=1))
        agg_keys = _codes(np.stack([idx for _, idx in d["agg"]], axis=1) if d["agg"]
                          else np.zeros((r, 0), np.int64))
        index = self.framework.index

        def one_choice(agg_rows: np.ndarray) -> None:
            # one call per aggregation choice: the data sets of the replications' data
            # choices side by side on a leading axis [data sets, replications, ...], each
            # data set's replications padded to the longest run (weights 1, no exclusion)
            agg_key = agg_keys[0][agg_keys[1][agg_rows[0]]]
            dsets, which = np.unique(data_keys[1][agg_rows], return_inverse=True)
            order = np.argsort(which, kind="stable")
            rows, which = agg_rows[order], which[order]
            counts = np.bincount(which)
            place = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
            shape = (len(dsets), int(counts.max()))
            x = self._stacked(tuple(data_keys[0][v] for v in dsets))
            mult = excl = None
            if d["weights"] is not None:
                mult = np.ones(shape + d["weights"].shape[1:])
                mult[which, place] = d["weights"][rows]
            if d["excluded"] is not None:
                excl = np.zeros(shape + d["excluded"].shape[1:], dtype=bool)
                excl[which, place] = d["excluded"][rows]
            got = aggregate_and_rank(self.framework, self.nominal.panel,
                                     self._variant(agg_key, d["agg"]), x,
                                     weight_multipliers=mult, excluded=excl, rank=[],
                                     keep=[index], strict=False, steps=self._plan(agg_key, d))
            scores[rows] = np.broadcast_to(got.scores[index], shape + (n_units,))[which, place]

        groups = _groups(agg_keys[1])
        workers = min(self.threads, len(groups))
        if workers > 1:
            # what the first batch builds (data-stage variants, plans: Python, holding the
            # GIL) is built here once, not by every thread at the same time
            for key in data_keys[0]:
                self._normalised(key)
            for rows in groups:
                self._plan(agg_keys[0][agg_keys[1][rows[0]]], d)
            # aggregation choices are independent (disjoint rows of scores, work arrays
            # per thread), and einsum and argsort release the GIL
            list(self._pool().map(one_choice, groups))
        else:
            for agg_rows in groups:
                one_choice(agg_rows)
        # every replication ranked at once: the rank settings are the nominal methodology's
        ranks = rank_node(self.framework, self.nominal.panel, self.methodology, index, scores)
        return scores, ranks

    def _pool(self) -> ThreadPoolExecutor:
        """The engine's own threads, made once: plans keep work arrays per thread, so a
        fresh pool per batch could leave a set behind for every thread that ever ran."""
        if self.__dict__.get("_threads") is None:
            self.__dict__["_threads"] = ThreadPoolExecutor(self.threads,
                                                           thread_name_prefix="engine")
        return self.__dict__["_threads"]

    def __getstate__(self) -> dict:
        """Pickled (to Dask workers) without the plans, stacked data sets and thread pool:
        the work arrays are megabytes, and all are made again where the engine runs."""
        return {**self.__dict__, "_steps": {}, "_stacks": {}, "_threads": None}

    def _plan(self, agg_key: tuple[int, ...], d: dict) -> Plan:
        if agg_key not in self._steps:
            self._steps[agg_key] = plan(self.framework, self.nominal.panel,
                                        self._variant(agg_key, d["agg"]))
        return self._steps[agg_key]

    def _stacked(self, keys: tuple[tuple[int, ...], ...]) -> np.ndarray:
        """The indicator scores of several data choices, ``[choices, 1, units,
        indicators]``, kept (the same array for the same choices: a plan keeps the
        indicators' terms of the array it last saw)."""
        stacked = self._stacks.get(keys)
        if stacked is None:  # keep the last only (a thread may be reading another)
            stacked = np.stack([self._normalised(k)[1] for k in keys])[:, None]
            self._stacks = {keys: stacked}
        return stacked


def _codes(keys: np.ndarray) -> tuple[list[tuple[int, ...]], np.ndarray]:
    """The distinct rows of choice indices as tuples, and each row's place among them."""
    shifted = keys + 1  # -1 (nominal) -> 0
    radix = np.cumprod(np.concatenate([[1], shifted.max(axis=0)[:-1] + 1])).astype(np.int64)
    code = shifted @ radix if keys.shape[1] else np.zeros(len(keys), np.int64)
    _, first, inverse = np.unique(code, return_index=True, return_inverse=True)
    return [tuple(int(v) for v in keys[i]) for i in first], inverse


def _groups(code: np.ndarray) -> list[np.ndarray]:
    """Row indices of each distinct code, in order of the codes."""
    order = np.argsort(code, kind="stable")
    return np.split(order, np.flatnonzero(np.diff(code[order])) + 1)


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
