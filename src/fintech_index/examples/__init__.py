"""Bundled examples: a framework, its data and methodology, and published values to check.

``load(name)`` gives an :class:`Example`; ``validate(name)`` rebuilds it and compares every
published value at the published number of decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from ..build import Results, build
from ..errors import FintechIndexError
from ..framework import Framework, load_framework
from ..methodology import Methodology, load_methodology
from ..panel import Panel, load_panel
from . import undp  # noqa: F401  (registers UNDP's kernels)

HDR_SOURCE = ("UNDP Human Development Report 2023/2024, composite indices time series")
UNDP_INDICES = ("hdi", "gdi", "gii", "ihdi", "phdi")


def datasets_dir() -> Path:
    return Path(str(resources.files("fintech_index") / "datasets"))


@dataclass(frozen=True)
class Example:
    name: str
    framework: Framework
    panel: Panel
    methodology: Methodology
    published: pd.DataFrame | None = None  # unit, year, index, value
    files: dict[str, Path] = field(default_factory=dict)

    def build(self) -> Results:
        return build(self.framework, self.panel, self.methodology)


def available() -> list[str]:
    return list(UNDP_INDICES)


def load(name: str) -> Example:
    """A bundled example by name: 'hdi', 'gdi', 'gii', 'ihdi', 'phdi'."""
    if name not in UNDP_INDICES:
        raise FintechIndexError(f"unknown example '{name}' (available: {', '.join(available())})")
    folder = datasets_dir() / "hdr"
    files = {"framework": folder / f"{name}.yaml", "data": folder / f"{name}.csv",
             "methodology": folder / f"{name}.methodology.yaml"}
    fw = load_framework(files["framework"])
    panel = load_panel(files["data"], fw, source=HDR_SOURCE, source_year=2024)
    published = pd.read_csv(folder / "published.csv", dtype={"unit": str})
    return Example(name, fw, panel, load_methodology(files["methodology"]),
                   published[published["index"].isin([name, f"{name}_rank"])], files)


@dataclass(frozen=True)
class Validation:
    """How many published values the rebuild reproduces at the published decimals."""

    name: str
    what: str
    total: int
    matched: int
    mismatches: pd.DataFrame  # unit, year, published, computed

    @property
    def ok(self) -> bool:
        return self.total == self.matched


def validate(name: str, results: Results | None = None) -> list[Validation]:
    """Compare a rebuild with every published value (3 decimals) and rank of the example."""
    ex = load(name)
    res = results or ex.build()
    pub = ex.published
    out = []
    for what, arr, decimals in ((name, res.score_array, 3), (f"{name}_rank", res.rank_array, 0)):
        rows = pub[pub["index"] == what]
        if rows.empty:
            continue
        u = np.array([res.units.index(c) for c in rows["unit"]])
        y = np.array([res.years.index(int(v)) for v in rows["year"]])
        k = res.nodes.index(res.framework.index)
        computed = arr[y, u, k]
        published = rows["value"].to_numpy(float)
        same = np.round(computed, decimals) == published
        bad = rows.loc[~same, ["unit", "year"]].assign(published=published[~same],
                                                       computed=computed[~same])
        out.append(Validation(name, what, len(rows), int(same.sum()), bad.reset_index(drop=True)))
    return out
