"""Back-cast: the previous edition recomputed on the new edition's framework from its own
data, so that changes between editions whose frameworks differ are like for like.

Index producers do this when a framework changes (OECD/JRC Handbook 2008, section 6 on
presenting changes over time: compare scores computed with the same framework and method;
COINr keeps each coin's own framework, ``iMeta``, and rebuilds it on other data the same way).
Works for any index: the frameworks come from the caller or from the store, where each
edition's framework is kept with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..build import Results, build
from ..errors import FrameworkError, StoreError
from ..framework import Framework, framework_from_json
from ..methodology import Methodology, methodology_from_dict
from ..panel import Panel

if TYPE_CHECKING:  # the store (DuckDB) is only imported by who opens one
    from ..store import Store


def same_framework(a: Framework, b: Framework) -> bool:
    """The same tree: nodes, parents, weights, directions and ordinal rules."""
    def shape(fw: Framework) -> list[tuple]:
        return sorted((c, n.parent, n.weight, n.direction, n.is_indicator,
                       None if n.ordinal is None else n.ordinal.model_dump_json())
                      for c, n in fw.nodes.items())
    return shape(a) == shape(b)


@dataclass(frozen=True)
class Backcast:
    """The previous edition's year rebuilt on the new framework; ``label`` says so."""

    year: int
    results: Results
    label: str


def backcast(new_framework: Framework, previous_panel: Panel, methodology: Methodology,
             year: int, previous_name: str = "previous edition") -> Backcast:
    """Rebuild ``year`` of ``previous_panel`` (the previous edition's own data) on
    ``new_framework``. Every indicator of the new framework must be in that data (a
    concept the previous edition did not measure cannot be back-cast)."""
    lacking = [c for c in new_framework.indicators if c not in previous_panel.indicators]
    if lacking:
        raise FrameworkError("F40", f"{new_framework.source_file}: indicator(s) {lacking} of "
                                    f"the new framework are not in the data of {previous_name} "
                                    f"({previous_panel.origin}); a back-cast needs every "
                                    "indicator of the new framework in the previous data")
    if year not in previous_panel.years:
        raise FrameworkError("F41", f"{previous_panel.origin}: {previous_name} has no year "
                                    f"{year} (years: {list(previous_panel.years)})")
    panel = previous_panel.subset_years([year]).subset_indicators(new_framework.indicators)
    res = build(new_framework, panel, methodology)
    return Backcast(year, res, f"{year} back-cast on the {new_framework.name} framework "
                               f"(recomputed from {previous_name}'s own data)")


def effective_weights(framework: Framework) -> dict[str, float]:
    """Each indicator's share of the index weight, as declared
    (:meth:`Framework.effective_weights`, kept to the indicators)."""
    share = framework.effective_weights()
    return {code: share[code] for code in framework.indicators}


def weight_on_levels(framework: Framework) -> dict[str, float]:
    """Share of the index weight per figure level (city, metro, country ...)."""
    out: dict[str, float] = {}
    for code, w in effective_weights(framework).items():
        lvl = framework.nodes[code].figure_level or "unstated"
        out[lvl] = out.get(lvl, 0.0) + w
    return dict(sorted(out.items()))


def changed_nodes(new: Framework, old: Framework) -> list[str]:
    """Codes whose place, weight or content differ between two frameworks."""
    def key(fw: Framework, c: str) -> tuple:
        n = fw.nodes[c]
        return (n.parent, n.weight, n.direction, tuple(sorted(fw.descendants(c))))
    return sorted(c for c in set(new.nodes) | set(old.nodes)
                  if c not in new.nodes or c not in old.nodes or key(new, c) != key(old, c))




def _panel_from_long(frame: pd.DataFrame, origin: str) -> Panel:
    """A store dataset (year, unit, indicator, value, flags, source, source_year) as a Panel."""
    years = tuple(int(y) for y in sorted(frame["year"].unique()))
    units = list(dict.fromkeys(frame["unit"]))
    inds = tuple(dict.fromkeys(frame["indicator"]))
    shape = (len(years), len(units), len(inds))
    y = np.searchsorted(np.array(years), frame["year"].to_numpy())
    u = pd.Index(units).get_indexer(frame["unit"])
    k = pd.Index(inds).get_indexer(frame["indicator"])
    values = np.full(shape, np.nan)
    flags = np.zeros(shape, np.uint8)
    source_year = np.zeros(shape, np.int32)
    source_id = np.full(shape, -1, np.int32)
    values[y, u, k] = frame["value"].to_numpy(float)
    flags[y, u, k] = frame["flags"].fillna(0).to_numpy(np.uint8)
    source_year[y, u, k] = frame["source_year"].fillna(0).to_numpy(np.int32)
    sid, sources = pd.factorize(frame["source"].fillna(""))
    source_id[y, u, k] = sid
    meta = pd.DataFrame({"name": units}, index=pd.Index(units, name="code"))
    return Panel(values=values, years=years, units=meta, indicators=inds, flags=flags,
                 source_id=source_id.astype(np.int32), source_year=source_year,
                 sources=tuple(str(s) for s in sources), origin=origin)


def store_backcast(store: Store, previous: str, new: str) -> Backcast:
    """Back-cast from the store, for any index: the edition ``new``'s framework and
    methodology (kept with it) applied to the data of the edition ``previous`` (the store's
    dataset whose hash is that edition's data hash), its last year."""
    new_in, prev_in = store.edition_inputs(new), store.edition_inputs(previous)
    name = store.con.execute("SELECT framework_name FROM editions WHERE name = ?",
                             [new]).fetchone()[0]
    fw = framework_from_json(new_in["framework"], name, f"edition '{new}'")
    meth = methodology_from_dict(new_in["methodology"], f"edition '{new}'")
    wanted = prev_in["manifest"]["data_hash"]
    hit = store.con.execute("SELECT name FROM datasets WHERE data_hash = ? ORDER BY name",
                            [wanted]).fetchone()
    if hit is None:
        raise StoreError("S40", f"{store.path}: no dataset holds the data of edition "
                                f"'{previous}' (data hash {wanted[:12]}...); store them with "
                                "put_dataset before publishing, so that the edition can be "
                                "back-cast")
    panel = _panel_from_long(store.dataset(hit[0]), f"dataset '{hit[0]}'")
    year = int(prev_in["manifest"]["years"][-1])
    return backcast(fw, panel, meth, year, f"edition '{previous}'")
