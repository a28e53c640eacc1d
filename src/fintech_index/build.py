"""build(framework, panel, methodology) -> Results: the pure function at the centre.

Stages: denominate -> impute -> screen -> treat (see prepare.py) -> transform (log) ->
normalise (per indicator) -> weight, aggregate, round and rank (scoring.py, the path the
audit and the web app share). Years are the kernels' batch axis, so a whole panel goes
through each kernel in one call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, display
from .binding import run_indicator_stage
from .errors import MethodError
from .exports import rows_taken, write_columns, write_csv
from .framework import Framework
from .methodology import Methodology
from .methods.normalise import GLOBAL, is_global
from .outfiles import MANIFEST, output_run, write_text, write_with
from .panel import Panel
from .prepare import Prepared, prepare
from .scoring import aggregate_and_rank, cells
from .tables import release_arrow_memory

OBSERVED_WEIGHT_MIN = 0.5  # a ranked unit with less of its weight on observed values is marked


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
                                  f"values <= 0 at {cells(panel, bad)}; log needs values > 0")
            x[..., i] = np.log(col)
            gp[i] = np.log(gp[i])
    return x, gp


def _normalise(framework: Framework, panel: Panel, meth: Methodology, x: np.ndarray,
               gp: np.ndarray) -> np.ndarray:
    """Indicator scores: each group of indicators sharing a choice through its kernel, all
    years together (COINr's ``global = TRUE`` for a panel) unless ``global: false``."""
    out = np.full_like(x, np.nan)
    for b, idx, y in run_indicator_stage("normalise", framework, panel, meth.normalise, x,
                                         goalposts=gp, per_indicator=True):
        lost = np.isnan(y) & ~np.isnan(x[..., idx])
        if lost.any():
            names = [framework.indicators[i] for i in idx]
            pooled = is_global(b.kernel, b.choice.params.get(GLOBAL))
            raise MethodError("A04",
                              f"normalise: method '{b.choice.method}' gives no value at "
                              f"{cells(panel, lost, names)} (e.g. every unit has the same value "
                              f"{'in every year' if pooled else 'in that year'}); choose "
                              "goalposts or another method for it")
        out[..., idx] = y
    return out


def indicator_scores(framework: Framework, panel: Panel, meth: Methodology
                     ) -> tuple[Prepared, np.ndarray]:
    """The prepared data and the normalised indicator scores [years, units, indicators]:
    everything before aggregation."""
    prep = prepare(framework, panel, meth)
    x, gp = _transform(framework, prep.panel, prep.values)
    return prep, _normalise(framework, prep.panel, meth, x, gp)


def build(framework: Framework, panel: Panel, methodology: Methodology | None = None
          ) -> Results:
    """Score and rank every node, unit and year. Same inputs give bit-identical outputs."""
    meth = methodology or Methodology()
    meth.check(framework)
    meth.check_units(panel.units, framework)
    if tuple(panel.indicators) != tuple(framework.indicators):
        raise MethodError("A08",
                          f"the panel ({panel.origin}) has indicators {list(panel.indicators)} "
                          f"but the framework {framework.source_file} has "
                          f"{list(framework.indicators)}; load the panel with this framework")
    prep, normalised = indicator_scores(framework, panel, meth)
    scored = aggregate_and_rank(framework, prep.panel, meth, normalised)
    scores, ranks = scored.stacked(framework.node_codes)
    scores.setflags(write=False)
    ranks.setflags(write=False)
    return Results(framework, prep.panel, meth, scores, ranks, prep, scored.weights)


def trim_heap() -> bool:
    """Give back to the system the pages C's allocator keeps free in the heap (glibc's
    ``malloc_trim``); False where the C library has none (macOS, musl, Windows).

    The build's temporaries, once freed, stay in the main thread's heap (glibc serves
    arrays under its mmap threshold, raised up to 32 MB by the first large array freed,
    from the heap): 110 MB at 20,000 x 200. The Parquet thread of a write allocates from
    its own arena and cannot reuse them, so the write's peak stood on them (issue 27)."""
    import ctypes  # only a write needs it

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    trim(0)
    return True


def _columns(data: dict, taken: dict) -> dict:
    """The columns of :meth:`Results._ranked`'s ``data``, each ``("rank" | "score", k)``
    replaced by column ``k`` of ``taken[kind]`` (a frame's arrays or a writer's columns)."""
    return {c: taken[v[0]][v[1]] if isinstance(v, tuple) else v for c, v in data.items()}


PARQUET_ROW_GROUP = 1024 * 1024  # pyarrow's default row group: the rows written at a time
# 8-byte values that fill Arrow's dictionary page (its default limit, 1 MiB): a column chunk
# with this many distinct values falls back to plain encoding midway
DICTIONARY_PAGE_VALUES = (1024 * 1024) // 8


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
    # the latest year's ranking once made, by year position (results never change once built)
    _rankings: dict[int, pd.DataFrame] = field(default_factory=dict, init=False, repr=False)

    def __repr__(self) -> str:
        return display.results_view(self).text()

    def _repr_html_(self) -> str:
        """The notebook's table (fintech_index.display)."""
        return display.results_view(self).html()

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

        Columns: name, rank, score (the index), observed_weight and under_half_observed
        (:meth:`observed_weight`; no unit is dropped), then ``<node>.score``/``<node>.rank``
        for every other node from the top of the tree down. The latest year's is made once
        and kept (the publishers, the notebook display and percentile printing each ask for
        it; the CSV writer and the printed table do not make it); earlier years' are made on
        each call, so that a long panel's rankings are not all held. Each call gives its own
        frame.
        """
        y = self.year_index(year)
        if y != len(self.years) - 1:
            return self._ranking(y)
        if y not in self._rankings:
            self._rankings[y] = self._ranking(y)
        return self._rankings[y].copy(deep=False)  # copy-on-write: a change stays the caller's

    def _ranked(self, y: int) -> tuple[np.ndarray, dict[str, np.ndarray | tuple[str, int]]]:
        """The ranking of year position ``y``: the units' ranked order, and its columns
        (after the index, unit), each either in ranked order (name, observed_weight,
        under_half_observed) or ``("rank" | "score", node position)``, a node's column of
        the year's arrays, in unit order."""
        top_down = [self.framework.index] + [c for c in reversed(self.nodes)
                                             if c != self.framework.index]
        top = self.rank_array[y, :, self.nodes.index(self.framework.index)]
        if self.methodology.rank.percentile:  # percentile ranks: 1 is the best
            top = -top
        order = np.lexsort((np.array(self.units), np.nan_to_num(top, nan=np.inf)))
        data: dict = {"name": self.panel.units["name"].to_numpy()[order]}
        for c in top_down:
            k = self.nodes.index(c)
            prefix = "" if c == self.framework.index else f"{c}."
            data[f"{prefix}rank"] = ("rank", k)
            data[f"{prefix}score"] = ("score", k)
            if c == self.framework.index:  # coverage beside the index's score
                observed = self.observed_shares(self.years[y])[order]
                data["observed_weight"] = observed
                data["under_half_observed"] = observed < OBSERVED_WEIGHT_MIN
        return order, data

    def _ranking(self, y: int) -> pd.DataFrame:
        order, data = self._ranked(y)
        # the columns taken in ranked order and framed without a further copy (a ranking of
        # 20,000 units x 255 nodes is 80 MB)
        taken = {"rank": self.rank_array[y][order].T.copy(),  # [nodes, units]: a node's row
                 "score": self.score_array[y][order].T.copy()}  # is contiguous
        return pd.DataFrame(_columns(data, taken),
                            index=pd.Index(self.units, name="unit")[order], copy=False)

    def write_ranking(self, path: str | Path, year: int | None = None) -> Path:
        """``ranking(year)`` as CSV, the bytes :func:`exports.write_csv` writes of it
        (``index=True``), the node columns taken from the score and rank arrays a chunk of
        rows at a time: no frame of the whole ranking is made (20,000 units x 255 nodes:
        80 MB, held while results.parquet is written beside it)."""
        y = self.year_index(year)
        return self._write_ranking(path, y, self._ranked(y))

    def _write_ranking(self, path: str | Path, y: int,
                       ranked: tuple[np.ndarray, dict]) -> Path:
        """:meth:`write_ranking` of year position ``y``, whose :meth:`_ranked` is given."""
        order, data = ranked
        taken = {"rank": rows_taken(self.rank_array[y], order),
                 "score": rows_taken(self.score_array[y], order)}
        return write_columns(path, pd.Index(self.units, name="unit")[order],
                             _columns(data, taken))

    def effective_weights(self, year: int | None = None) -> pd.Series:
        """Each indicator's share of the index weight in ``year``, with the weights the
        methodology gave (:meth:`Framework.effective_weights`)."""
        y = self.year_index(year)
        fw = self.framework
        share = fw.effective_weights({k: w[y] for k, w in (self.weights or {}).items()})
        return pd.Series([share[c] for c in fw.indicators], index=pd.Index(fw.indicators,
                                                                           name="indicator"))

    def observed_weight(self, year: int | None = None) -> pd.Series:
        """Per unit, the share of the index weight resting on observed values in ``year``: the
        effective weights of the indicators whose value was observed or placed below a
        published list's cut-off (not imputed). The rule, the same for every index: a unit
        under ``OBSERVED_WEIGHT_MIN`` (half) is marked ``under_half_observed`` in its ranking,
        never dropped."""
        return pd.Series(self.observed_shares(year), index=pd.Index(self.units, name="unit"),
                         name="observed_weight")

    def observed_shares(self, year: int | None = None) -> np.ndarray:
        """:meth:`observed_weight` as an array in the order of ``units`` (no index of a
        million unit codes made to look up twenty)."""
        from .ordinal import BELOW_CUTOFF
        from .panel import IMPUTED, OBSERVED

        flags = self.flags[self.year_index(year)]
        known = ((flags & (OBSERVED | BELOW_CUTOFF)) != 0) & ((flags & IMPUTED) == 0)
        return known @ self.effective_weights(year).to_numpy()

    def to_long(self) -> pd.DataFrame:
        """One row per year, unit and node: score, rank, node level."""
        return self.long_table().to_pandas()

    def long_table(self, start: int = 0, stop: int | None = None):
        """Rows ``start:stop`` of :meth:`to_long` as an Arrow table, made without a Python
        object per row and without a gather per cell: rows run year, unit, node, so the
        node columns are their pattern over the nodes repeated (copied whole, then sliced),
        the unit column is one run of ``nn`` rows per (year, unit) pair (an Arrow run-end
        array, decoded), score and rank are views of the arrays. A row group of a million
        rows takes 35 ms this way, against 96 ms by a gather per column (20,000 x 200,
        issue 27: results.parquet 1.5 s instead of 1.8 s, the same bytes)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        ny, nu, nn = self.score_array.shape
        stop = ny * nu * nn if stop is None else min(stop, ny * nu * nn)
        n = max(start, stop) - start
        text = pa.large_string()
        # the (year, unit) pairs first..last-1 cover the rows; the first starts `skip` rows in
        first, skip = divmod(start, nn)
        last = -(-(start + n) // nn) if n else first
        pairs = np.arange(first, last, dtype=np.int64)
        rows = slice(skip, skip + n)
        runs = np.minimum(np.arange(1, last - first + 1, dtype=np.int64) * nn - skip, n)
        units = self.units  # the pairs' units alone are made Arrow text, not every unit's
        unit = pc.run_end_decode(pa.RunEndEncodedArray.from_arrays(
            runs, pa.array([units[u] for u in (pairs % nu).tolist()], text)))
        year = np.repeat(np.array(self.years, dtype=np.int64)[pairs // nu], nn)[rows]

        def repeated(values, type_=None):
            """``values`` (one per node) over the rows: its copies end to end, sliced."""
            if type_ is None:
                return np.tile(values, last - first)[rows]
            copies = [pa.array(values, type_)] * (last - first)
            return pa.concat_arrays(copies).slice(skip, n) if copies else pa.array([], type_)

        flags = np.zeros((last - first, nn), np.uint8)  # aggregates have no flags
        ni = self.flags.shape[-1]
        flags[:, :ni] = self.flags.reshape(-1, ni)[first:last]
        nodes = [self.framework.nodes[c] for c in self.nodes]
        return pa.table({
            "year": year,
            "unit": unit,
            "node": repeated(list(self.nodes), text),
            "level": repeated(np.array([node.level for node in nodes], dtype=np.int64)),
            "figure_level": repeated([node.figure_level or "" for node in nodes], text),
            # missing as null, not NaN: what Arrow made of the pandas frame written before
            "score": pa.array(self.score_array.reshape(-1)[start:start + n], from_pandas=True),
            "rank": pa.array(self.rank_array.reshape(-1)[start:start + n], from_pandas=True),
            "flags": flags.reshape(-1)[rows],
        })

    def manifest(self) -> dict:
        """What went into the results: hashes of framework, data and methodology."""
        return {"framework": self.framework.name, "framework_hash": self.framework.hash,
                "data_origin": self.panel.origin, "data_hash": self.panel.hash,
                "methodology_hash": self.methodology.hash, "package_version": __version__,
                "years": list(self.years), "units": len(self.units), "nodes": len(self.nodes)}

    def write_parquet(self, path: str | Path) -> Path:
        """The long frame as Parquet; identical results give identical bytes."""
        import pyarrow.parquet as pq

        p = Path(path)
        meta = {"fintech_index": json.dumps(self.manifest(), sort_keys=True)}
        plain = self._plain_columns()

        def write_row_groups(tmp: Path) -> None:
            """One row group at a time: what write_table makes of the whole table."""
            writer = None
            try:
                for start in range(0, max(self.score_array.size, 1), PARQUET_ROW_GROUP):
                    part = self.long_table(start, start + PARQUET_ROW_GROUP)
                    part = part.replace_schema_metadata(meta)
                    if writer is None:
                        dictionary = [c for c in part.column_names if c not in plain]
                        writer = pq.ParquetWriter(tmp, part.schema, compression="zstd",
                                                  use_dictionary=dictionary)
                    writer.write_table(part)
                    del part  # not held while the next row group is made
                    release_arrow_memory()  # nor what Arrow's allocator kept of it
            finally:
                if writer is not None:
                    writer.close()

        write_with(p, write_row_groups)
        release_arrow_memory()
        return p

    def _plain_columns(self) -> set[str]:
        """The float columns of results.parquet written without a dictionary: those whose
        distinct values in a row group may fill Arrow's dictionary page
        (:data:`DICTIONARY_PAGE_VALUES`), bounded by the rows of a row group and, for ranks
        (whole or, tied on average, half numbers from 1 to the number of units), by twice
        the units. Arrow would hash such a column's values until the page is full and then
        write the rest plain: at 1,000,000 units x 20 indicators that futile dictionary was
        nearly a third of the file's CPU time, and made it 4% larger (issue 27). Where the bound
        is under the page, the column keeps its dictionary (the bundled examples' files,
        and the ranks of up to 65,535 units, have the bytes they had)."""
        rows = min(self.score_array.size, PARQUET_ROW_GROUP)
        ranks = rows if self.methodology.rank.percentile else min(rows, 2 * len(self.units))
        return {c for c, bound in (("score", rows), ("rank", ranks))
                if bound >= DICTIONARY_PAGE_VALUES}

    def write(self, out_dir: str | Path) -> list[Path]:
        """results.parquet, one ranking CSV per year, methodology.yaml and manifest.json
        (which also lists the files of the run: :func:`outfiles.output_run`)."""
        with output_run(out_dir) as run:
            written = self._write(run.folder)
            run.describe(self.manifest())
        return [*written, run.folder / MANIFEST]

    def _write(self, out: Path) -> list[Path]:
        import contextvars
        from concurrent.futures import ThreadPoolExecutor  # 9 ms: only a write needs it

        # results.parquet is written by a worker thread while the CSVs are formatted (Arrow
        # and numpy release the GIL: the two overlap on a second core; the same bytes), in
        # this thread's context, so that the output run stages the file as its own; a
        # failed CSV leaves the block only once the thread has finished. The first ranking's
        # order and coverage are made before the thread (the coverage of 20,000 x 200 makes
        # a 32 MB float matrix of the flags; a later year's is made in turn, not all held),
        # and then the heap is trimmed (:func:`trim_heap`).
        first = self._ranked(0)
        trim_heap()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="parquet") as pool:
            parquet = pool.submit(contextvars.copy_context().run, self.write_parquet,
                                  out / "results.parquet")
            written = self._write_csvs(out, first)
        return [parquet.result(), *written]

    def _write_csvs(self, out: Path, first: tuple[np.ndarray, dict]) -> list[Path]:
        """Every file of :meth:`write` but results.parquet; ``first``: the first year's
        :meth:`_ranked`."""
        written = []
        for y, year in enumerate(self.years):
            ranked = first if y == 0 else self._ranked(y)
            written.append(self._write_ranking(out / f"ranking_{year}.csv", y, ranked))
        written.append(write_text(out / "methodology.yaml", self.methodology.to_yaml()))
        tables = {"weights.csv": self.weight_table(), "nodes.csv": self.node_table()}
        if self.prepared is not None and len(self.prepared.treatment):
            tables["treatment.csv"] = self.prepared.treatment
        if self.prepared is not None and len(self.prepared.screening):
            tables["screening.csv"] = self.prepared.screening
        for fname, frame in tables.items():
            p = out / fname
            write_csv(frame, p)
            written.append(p)
        return written
