"""build(framework, panel, methodology) -> Results: the pure function at the centre.

Stages: denominate -> impute -> screen -> treat (see prepare.py) -> transform (log) ->
normalise (per indicator) -> weight and aggregate (bottom-up, per node) -> round (per node,
if asked) -> rank (per node and year). Years are the kernels' batch axis, so a whole panel
goes through each kernel in one call.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from . import __version__, methods
from .errors import MethodError
from .exports import write_csv
from .framework import Framework
from .methodology import Methodology
from .panel import Panel
from .prepare import Prepared, engine_args, indicator_groups, prepare

MAX_LISTED = 10


def _cells(panel: Panel, mask: np.ndarray, cols: list[str] | None = None) -> str:
    """'unit U, year Y' for the first cells of a [years, units(, k)] mask."""
    hits = np.argwhere(mask)[:MAX_LISTED]
    units = panel.unit_codes
    parts = []
    for h in hits:
        where = f"unit '{units[h[1]]}', year {panel.years[h[0]]}"
        if cols is not None and len(h) > 2:
            where = f"indicator '{cols[h[2]]}', " + where
        parts.append(where)
    more = int(mask.sum()) - len(parts)
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def _transform(framework: Framework, panel: Panel, values: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
    """Apply each indicator's transform to values and goalposts (log: natural logarithm)."""
    x = np.array(values, dtype=np.float64)
    gp = framework.goalposts()
    for i, code in enumerate(framework.indicators):
        if framework.nodes[code].transform == "log":
            col = x[..., i]
            bad = col <= 0
            if bad.any():
                raise MethodError("A01",
                                  f"indicator '{framework.path(code)}' has transform log but "
                                  f"values <= 0 at {_cells(panel, bad)}; log needs values > 0")
            x[..., i] = np.log(col)
            gp[i] = np.log(gp[i])
    return x, gp


def _normalise(framework: Framework, panel: Panel, meth: Methodology, x: np.ndarray,
               gp: np.ndarray) -> np.ndarray:
    out = np.full_like(x, np.nan)
    directions = framework.directions()
    targets = framework.targets()
    for choice, idx in indicator_groups(framework, meth.normalise):
        kernel = methods.get("normalise", choice.method)
        kw = engine_args(kernel, choice, panel)
        if kernel.takes("gposts"):
            if "gposts" in kw:
                kw["gposts"] = np.broadcast_to(np.asarray(kw["gposts"], float), (len(idx), 2))
            else:
                lacking = [framework.indicators[i] for i in idx if np.isnan(gp[i]).any()]
                if lacking:
                    raise MethodError("A02",
                                      f"normalise: method '{choice.method}' needs goalposts but "
                                      f"indicator(s) {lacking} have none in "
                                      f"{framework.source_file}; add goalposts: [lower, upper]")
                kw["gposts"] = gp[idx]
        if kernel.takes("targ") and "targ" not in kw:
            lacking = [framework.indicators[i] for i in idx if np.isnan(targets[i])]
            if lacking:
                raise MethodError("A03",
                                  f"normalise: method '{choice.method}' needs a target but "
                                  f"indicator(s) {lacking} have none in {framework.source_file};"
                                  " add target: <value>, or give targ in the methodology")
            kw["targ"] = targets[idx]
        cols = x[..., idx]
        y = kernel.fn(cols, direction=directions[idx], **kw)
        lost = np.isnan(y) & ~np.isnan(cols)
        if lost.any():
            names = [framework.indicators[i] for i in idx]
            raise MethodError("A04",
                              f"normalise: method '{choice.method}' gives no value at "
                              f"{_cells(panel, lost, names)} (e.g. every unit has the same value "
                              "in that year); choose goalposts or another method for it")
        out[..., idx] = y
    return out


def _weights(framework: Framework, panel: Panel, meth: Methodology, code: str,
             x: np.ndarray, aggregate) -> np.ndarray:
    """The weights of a node's children, [years, children], from the weight stage."""
    node = framework.nodes[code]
    w0 = np.array([framework.nodes[k].weight for k in node.children])
    choice = meth.weight.resolve(code, node.level)
    kernel = methods.get("weight", choice.method)
    kw = engine_args(kernel, choice, panel)
    if kernel.takes("aggregate"):
        kw["aggregate"] = aggregate
    try:
        w = kernel.fn(x, w0, **kw)
    except ValueError as e:
        raise MethodError("A05", f"weight: node '{framework.path(code)}' ({choice.method}): {e}"
                                 ) from None
    if np.isnan(w).any():
        raise MethodError("A06",
                          f"weight: node '{framework.path(code)}' ({choice.method}) gives no "
                          "weights (too few units with all children observed)")
    return w


def _aggregate(framework: Framework, panel: Panel, meth: Methodology,
               scores: np.ndarray) -> dict[str, np.ndarray]:
    """Fill the aggregate columns of ``scores`` [years, units, nodes] bottom-up, in place;
    return the weights used per node ([years, children])."""
    pos = {c: k for k, c in enumerate(framework.node_codes)}
    used: dict[str, np.ndarray] = {}
    for code in framework.aggregates:
        node = framework.nodes[code]
        kids = [pos[k] for k in node.children]
        choice = meth.aggregate.resolve(code, node.level)
        kernel = methods.get("aggregate", choice.method)
        x = scores[..., kids]

        def agg(xs, ws, _fn=kernel.fn, _kw=choice.params):
            return _fn(xs, ws, **_kw)

        w = _weights(framework, panel, meth, code, x, agg)
        used[code] = w
        try:
            y = kernel.fn(x, w, **choice.params)
        except ValueError as e:
            raise MethodError("A05", f"aggregate: node '{framework.path(code)}' ({choice.method}): "
                                     f"{e}") from None
        na_rm = bool(choice.params.get("na_rm", False))
        complete = ~np.isnan(x).all(-1) if na_rm else ~np.isnan(x).any(-1)
        lost = np.isnan(y) & complete
        if lost.any():
            raise MethodError("A07",
                              f"aggregate: node '{framework.path(code)}' ({choice.method}) gives "
                              f"no value at {_cells(panel, lost)} although its children have "
                              f"values; {choice.method} needs children >= 0 (normalise to "
                              "e.g. l_u: [0, 100], or choose a_amean)")
        if code in meth.round:
            y = np.round(y, meth.round[code])
        scores[..., pos[code]] = y
    return used


def _rank(framework: Framework, panel: Panel, meth: Methodology, scores: np.ndarray
          ) -> np.ndarray:
    """Ranks per year and node over units; 1 = best; missing or excluded units get NaN."""
    s = scores if meth.rank.decimals is None else np.round(scores, meth.rank.decimals)
    sign = np.ones(len(framework.node_codes))
    for k, code in enumerate(framework.node_codes):
        node = framework.nodes[code]
        if node.is_indicator:
            c = meth.normalise.resolve(code, 1)
            honours = methods.get("normalise", c.method).honours_direction
            sign[k] = 1.0 if honours else node.direction
        else:
            sign[k] = node.direction
    s = s * sign
    if meth.rank.exclude_levels:
        excluded = panel.units["level"].isin(meth.rank.exclude_levels).to_numpy()
        s = np.where(excluded[None, :, None], np.nan, s)
    if s.size == 0:
        return s.copy()
    # rank along a contiguous last axis (units): argsort is several times faster there
    by_unit_last = np.ascontiguousarray(np.moveaxis(-s, 1, -1))
    ranks = rankdata(by_unit_last, method=meth.rank.ties, axis=-1, nan_policy="omit")
    return np.ascontiguousarray(np.moveaxis(ranks, -1, 1))


def build(framework: Framework, panel: Panel, methodology: Methodology | None = None
          ) -> Results:
    """Score and rank every node, unit and year. Same inputs give bit-identical outputs."""
    meth = methodology or Methodology()
    meth.check(framework)
    if tuple(panel.indicators) != tuple(framework.indicators):
        raise MethodError("A08",
                          f"the panel ({panel.origin}) has indicators {list(panel.indicators)} "
                          f"but the framework {framework.source_file} has "
                          f"{list(framework.indicators)}; load the panel with this framework")
    prep = prepare(framework, panel, meth)
    panel = prep.panel
    x, gp = _transform(framework, panel, prep.values)
    n_ind = len(framework.indicators)
    scores = np.full(x.shape[:2] + (len(framework.node_codes),), np.nan)
    scores[..., :n_ind] = _normalise(framework, panel, meth, x, gp)
    for code in framework.indicators:
        if code in meth.round:
            k = framework.indicators.index(code)
            scores[..., k] = np.round(scores[..., k], meth.round[code])
    weights = _aggregate(framework, panel, meth, scores)
    ranks = _rank(framework, panel, meth, scores)
    scores.setflags(write=False)
    ranks.setflags(write=False)
    return Results(framework, panel, meth, scores, ranks, prep, weights)


def framework_json(framework: Framework) -> str:
    """The framework's tree as canonical JSON (what the store keeps and the hash covers)."""
    nodes = {c: {k: (list(v) if isinstance(v, tuple) else v)
                 for k, v in vars(n).items() if k != "from_records"} | {
                     "from_records": dict(n.from_records or {})}
             for c, n in framework.nodes.items()}
    return json.dumps({"index": framework.index, "nodes": nodes}, sort_keys=True, default=str)


def framework_hash(framework: Framework) -> str:
    return hashlib.sha256(framework_json(framework).encode()).hexdigest()


def data_hash(panel: Panel) -> str:
    h = hashlib.sha256()
    h.update(json.dumps([list(panel.years), list(panel.unit_codes), list(panel.indicators)])
             .encode())
    h.update(np.ascontiguousarray(panel.values).tobytes())
    return h.hexdigest()


@dataclass(frozen=True, eq=False)
class Results:
    """Scores and ranks of every node (indicators then aggregates), unit and year."""

    framework: Framework
    panel: Panel
    methodology: Methodology
    score_array: np.ndarray  # [years, units, nodes]
    rank_array: np.ndarray
    prepared: Prepared | None = None
    weights: dict[str, np.ndarray] | None = None  # node -> [years, children]

    @property
    def flags(self) -> np.ndarray:
        """Provenance of the indicator values [years, units, indicators]: OBSERVED, IMPUTED,
        TREATED bits."""
        return self.prepared.flags if self.prepared is not None else self.panel.flags

    def dataset(self, name: str) -> pd.DataFrame:
        """An intermediate data set as a long frame (COINr's ``.$Data``): raw,
        denominated, imputed, screened, treated, normalised."""
        sets = dict(self.prepared.datasets) if self.prepared is not None else {}
        sets["normalised"] = self.score_array[..., :len(self.framework.indicators)]
        if name not in sets or name == "treated_points":
            raise MethodError("A09", f"no data set '{name}' in these results (available: "
                                     f"{', '.join(k for k in sets if k != 'treated_points')})")
        arr = sets[name]
        ny, nu, ni = arr.shape
        return pd.DataFrame({
            "year": np.repeat(np.array(self.years), nu * ni),
            "unit": np.tile(np.repeat(np.array(self.units, dtype=object), ni), ny),
            "indicator": np.tile(np.array(self.framework.indicators, dtype=object), ny * nu),
            "value": arr.reshape(-1)})

    def node_table(self) -> pd.DataFrame:
        """Every node with what describes it: the figure level of an indicator (a country
        figure given to a city says "country"), unit, direction, weight, source."""
        fw = self.framework
        return pd.DataFrame([{
            "node": c, "name": n.name, "parent": n.parent, "level": n.level,
            "indicator": n.is_indicator, "figure_level": n.figure_level, "unit": n.unit,
            "direction": n.direction, "weight": n.weight, "source": n.source}
            for c, n in ((c, fw.nodes[c]) for c in self.nodes)])

    def weight_table(self) -> pd.DataFrame:
        """The weight of every child in every aggregate and year, as used."""
        rows = []
        for code, w in (self.weights or {}).items():
            kids = self.framework.nodes[code].children
            for yi, year in enumerate(self.years):
                for k, kid in enumerate(kids):
                    rows.append((year, code, kid, float(w[yi, k])))
        return pd.DataFrame(rows, columns=["year", "parent", "node", "weight"])

    @property
    def years(self) -> tuple[int, ...]:
        return self.panel.years

    @property
    def units(self) -> tuple[str, ...]:
        return self.panel.unit_codes

    @property
    def nodes(self) -> tuple[str, ...]:
        return self.framework.node_codes

    def _node(self, node: str | None) -> int:
        node = node or self.framework.index
        try:
            return self.nodes.index(node)
        except ValueError:
            raise MethodError("A10", f"'{node}' is not a node of {self.framework.source_file} "
                                     f"(nodes: {', '.join(self.nodes)})") from None

    def year_index(self, year: int | None) -> int:
        """Position of ``year`` (default: the latest) on the years axis; an error naming the
        years there are if it is not one of them."""
        if year is None:
            return len(self.years) - 1
        try:
            return self.years.index(int(year))
        except ValueError:
            raise MethodError("A11", f"year {year} is not in the results (years: "
                                     f"{self.years[0]}-{self.years[-1]})") from None

    def _frame(self, arr: np.ndarray, node: str | None) -> pd.DataFrame:
        k = self._node(node)
        return pd.DataFrame(arr[..., k].T, index=pd.Index(self.units, name="unit"),
                            columns=pd.Index(self.years, name="year"))

    def scores(self, node: str | None = None) -> pd.DataFrame:
        """Scores of one node (default: the index) as a unit x year frame."""
        return self._frame(self.score_array, node)

    def ranks(self, node: str | None = None) -> pd.DataFrame:
        """Ranks of one node (default: the index) as a unit x year frame."""
        return self._frame(self.rank_array, node)

    def ranking(self, year: int | None = None) -> pd.DataFrame:
        """One year (default: the latest): every node's score and rank per unit, best first.

        Columns: name, rank, score (the index), then ``<node>.score``/``<node>.rank`` for
        every other node from the top of the tree down.
        """
        y = self.year_index(year)
        top_down = [self.framework.index] + [c for c in reversed(self.nodes)
                                             if c != self.framework.index]
        data: dict[str, np.ndarray] = {"name": self.panel.units["name"].to_numpy()}
        for c in top_down:
            k = self.nodes.index(c)
            prefix = "" if c == self.framework.index else f"{c}."
            data[f"{prefix}rank"] = self.rank_array[y, :, k]
            data[f"{prefix}score"] = self.score_array[y, :, k]
        frame = pd.DataFrame(data, index=pd.Index(self.units, name="unit"))
        order = np.lexsort((np.array(self.units), np.nan_to_num(frame["rank"].to_numpy(),
                                                                  nan=np.inf)))
        return frame.iloc[order]

    def to_long(self) -> pd.DataFrame:
        """One row per year, unit and node: score, rank, node level."""
        ny, nu, nn = self.score_array.shape
        levels = np.array([self.framework.nodes[c].level for c in self.nodes])
        figure = np.array([self.framework.nodes[c].figure_level or "" for c in self.nodes],
                          dtype=object)
        return pd.DataFrame({
            "year": np.repeat(np.array(self.years, dtype=np.int64), nu * nn),
            "unit": np.tile(np.repeat(np.array(self.units, dtype=object), nn), ny),
            "node": np.tile(np.array(self.nodes, dtype=object), ny * nu),
            "level": np.tile(levels, ny * nu),
            "figure_level": np.tile(figure, ny * nu),
            "score": self.score_array.reshape(-1),
            "rank": self.rank_array.reshape(-1),
            "flags": np.concatenate([self.flags, np.zeros((ny, nu, nn - self.flags.shape[-1]),
                                                          np.uint8)], axis=-1).reshape(-1),
        })

    def manifest(self) -> dict:
        """What went into the results: hashes of framework, data and methodology."""
        return {"framework": self.framework.name, "framework_hash": framework_hash(self.framework),
                "data_origin": self.panel.origin, "data_hash": data_hash(self.panel),
                "methodology_hash": self.methodology.hash, "package_version": __version__,
                "years": list(self.years), "units": len(self.units), "nodes": len(self.nodes)}

    def write_parquet(self, path: str | Path) -> Path:
        """The long frame as Parquet; identical results give identical bytes."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        p = Path(path)
        table = pa.Table.from_pandas(self.to_long(), preserve_index=False)
        table = table.replace_schema_metadata({"fintech_index": json.dumps(self.manifest(),
                                                                           sort_keys=True)})
        pq.write_table(table, p, compression="zstd")
        return p

    def write(self, out_dir: str | Path) -> list[Path]:
        """results.parquet, one ranking CSV per year, methodology.yaml and manifest.json."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = [self.write_parquet(out / "results.parquet")]
        for year in self.years:
            p = out / f"ranking_{year}.csv"
            write_csv(self.ranking(year), p, index=True)
            written.append(p)
        p = out / "methodology.yaml"
        p.write_text(self.methodology.to_yaml(), encoding="utf-8")
        written.append(p)
        tables = {"weights.csv": self.weight_table(), "nodes.csv": self.node_table()}
        if self.prepared is not None and len(self.prepared.treatment):
            tables["treatment.csv"] = self.prepared.treatment
        if self.prepared is not None and len(self.prepared.screening):
            tables["screening.csv"] = self.prepared.screening
        for fname, frame in tables.items():
            p = out / fname
            write_csv(frame, p)
            written.append(p)
        p = out / "manifest.json"
        p.write_text(json.dumps(self.manifest(), indent=2, sort_keys=True) + "\n",
                     encoding="utf-8")
        written.append(p)
        return written
