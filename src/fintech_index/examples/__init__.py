"""Bundled examples: a framework, its data and methodology, and published values to check.

``load(name)`` gives an :class:`Example`; ``validate(name)`` rebuilds it and compares every
published value at the published number of decimals.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..build import Results, build
from ..errors import FintechIndexError
from ..framework import Framework, load_framework
from ..methodology import Methodology, load_methodology
from ..panel import Panel, load_panel
from . import undp  # noqa: F401  (registers UNDP's kernels)

if TYPE_CHECKING:  # pragma: no cover
    from ..gfcdi import Editions

HDR_SOURCE = ("UNDP Human Development Report 2023/2024, composite indices time series")
UNDP_INDICES = ("hdi", "gdi", "gii", "ihdi", "phdi")
ASEM_SOURCE = "COINr 1.1.14 ASEM_iData (JRC ASEM Sustainable Connectivity portal)"
ASEM_PANEL = "asem_panel"  # COINr's example purse: ASEM_iData_p, artificial panel 2018-2022
ASEM_PANEL_SOURCE = "COINr 1.1.14 ASEM_iData_p (artificially generated panel, COINr R/data.R)"
FINTECH = "fintech"
GAIN = "gain_2014"  # ND-GAIN, release with data 1995-2014
GAIN_SOURCE = ("ND-GAIN Country Index, University of Notre Dame Global Adaptation Initiative, "
               "release with data 1995-2014")
GAIN_TOLERANCE = 1e-9  # the release prints about 12 significant digits
SDG = "sdg_2023"  # SDSN SDG Index 2023
SDG_SOURCE = "SDSN Sustainable Development Report 2023 (SDR 2023 Data)"
TAI_SOURCE = ("UNDP Human Development Report 2001, Technology Achievement Index, via OECD/JRC "
              "Handbook on Constructing Composite Indicators (2008) Table A.2")
SVI_SOURCE = ("Centers for Disease Control and Prevention/Agency for Toxic Substances and Disease "
              "Registry/Geospatial Research, Analysis, and Services Program. CDC/ATSDR Social "
              "Vulnerability Index {year} Database {where}")
# CDC/ATSDR SVI, county level: example -> (framework design, year, what the file ranks)
SVI = {"svi_2022": ("svi", 2022, "US"), "svi_2020": ("svi", 2020, "US"),
       "svi_2018": ("svi_2018", 2018, "US"),
       "svi_2022_pa": ("svi", 2022, "Pennsylvania (counties ranked within the state)")}
SVI_DECIMALS = 4  # CDC publishes every percentile rank and sum at 4 decimals


def datasets_dir() -> Path:
    return Path(str(resources.files("fintech_index") / "datasets"))


@dataclass(frozen=True)
class Example:
    name: str
    framework: Framework
    panel: Panel
    methodology: Methodology
    published: pd.DataFrame | None = None  # unit, year, node, measure, value, decimals
    files: dict[str, Path] = field(default_factory=dict)
    editions: Editions | None = None  # the fintech index: both editions, as load() built them
    # how published values were rounded: "half_even" (NumPy's, the UNDP files agree) or
    # "half_up" (SDSN's: 97.85 is 97.9; Excel's ROUND of the decimal value)
    rounding: str = "half_even"
    tolerance: float | None = None  # compare within this instead of at the decimals

    def build(self) -> Results:
        return build(self.framework, self.panel, self.methodology)


def quick_audit_of(results: Results, name: str) -> pd.DataFrame | None:
    """The small uncertainty analysis (``audit.quick``) of the bundled example ``name`` over
    the uncertain choices of its ``<name>.uncertainty.yaml``; None for an example without one."""
    from ..audit.quick import quick_audit

    spec = datasets_dir() / name / f"{name}.uncertainty.yaml"
    return quick_audit(results, spec) if spec.exists() else None


def available() -> list[str]:
    return [FINTECH, *UNDP_INDICES, "asem", ASEM_PANEL, "tai", *SVI, GAIN, SDG]


def _files(folder: Path, name: str) -> dict[str, Path]:
    return {"framework": folder / f"{name}.yaml", "data": folder / f"{name}.csv",
            "methodology": folder / f"{name}.methodology.yaml"}


def load(name: str) -> Example:
    """A bundled example by name: 'hdi', 'gdi', 'gii', 'ihdi', 'phdi' (UNDP), 'asem'
    (COINr's example index), 'asem_panel' (COINr's example purse, 2018-2022), 'fintech' (the
    fintech index, editions 2024 and 2025), 'tai' (the OECD/JRC Handbook's Technology
    Achievement Index case study, 23 countries), 'svi_2022', 'svi_2020', 'svi_2018' (CDC/ATSDR
    Social Vulnerability Index, every US county ranked nationally), 'svi_2022_pa' (the 67
    Pennsylvania counties ranked within the state), 'gain_2014' (the ND-GAIN country index,
    192 countries, 1995-2014) and 'sdg_2023' (SDSN's SDG Index 2023, 193 countries)."""
    if name in SVI:
        return _svi(name)
    if name == FINTECH:  # the index itself lives in its own package (gfcdi)
        from ..gfcdi import EDITION_YEARS, load_editions
        from ..gfcdi import folder as fintech_folder
        from ..gfcdi.editions import published_ranks

        here = fintech_folder()
        files = _files(here, name) | {"framework": here / f"fintech_{EDITION_YEARS[-1]}.yaml"}
        eds = load_editions()
        published = published_ranks()
        # the latest framework over both years: the earlier year is the back-cast
        return Example(name, eds.frameworks[EDITION_YEARS[-1]], eds.latest.panel,
                       eds.methodology, published, files, eds)
    if name in ("asem", "tai"):
        folder = datasets_dir() / name
        source, year = {"asem": (ASEM_SOURCE, 2018), "tai": (TAI_SOURCE, 2001)}[name]
        return _from_files(name, _files(folder, name), source, year,
                           pd.read_csv(folder / "published.csv", dtype={"unit": str}))
    if name in (GAIN, SDG):
        return _gain_or_sdg(name)
    if name == ASEM_PANEL:
        # COINr's documentation prints no scores of its example purse: what it prints is
        # pinned in tests/test_asem_panel.py, so there is nothing to validate here
        folder = datasets_dir() / "asem"
        return _from_files(name, {"framework": folder / "asem.yaml",
                                  "data": folder / "asem_panel.csv",
                                  "methodology": folder / "asem_panel.methodology.yaml"},
                           ASEM_PANEL_SOURCE)
    if name not in UNDP_INDICES:
        raise FintechIndexError("U02",
                                f"unknown example '{name}' (available: {', '.join(available())})")
    folder = datasets_dir() / "hdr"
    ex = _from_files(name, _files(folder, name), HDR_SOURCE, 2024)
    raw = pd.read_csv(folder / "published.csv", dtype={"unit": str})
    raw = raw[raw["index"].isin([name, f"{name}_rank"])]
    is_rank = raw["index"].str.endswith("_rank")
    published = pd.DataFrame({"unit": raw["unit"], "year": raw["year"],
                              "node": ex.framework.index,
                              "measure": np.where(is_rank, "rank", "score"),
                              "value": raw["value"], "decimals": np.where(is_rank, 0, 3)})
    return replace(ex, published=published)


def _svi(name: str) -> Example:
    """A CDC/ATSDR SVI example. Published: each variable's percentile rank (EPL_*, the
    score of an indicator), the theme and overall sums (SPL_*, scores) and their percentile
    ranks (RPL_*, ranks), at 4 decimals; the flag counts (F_THEMEk, F_TOTAL: measure
    ``flags``, the scores of a build with the ``flags`` methodology). -999 (missing) is not
    a published value."""
    design, year, where = SVI[name]
    folder = datasets_dir() / "svi"
    files = _files(folder, design) | {"data": folder / f"{name}.csv",
                                      "flags": folder / f"{design}.flags.methodology.yaml"}
    wide = pd.read_csv(folder / f"{name}.published.csv.gz", dtype={"unit": str})
    cols = [c for c in wide.columns if c != "unit"]  # <node>.<measure>
    values = wide[cols].to_numpy(np.float64).T.ravel()  # column by column
    node, measure = (np.repeat(np.array([c.split(".", 1)[i] for c in cols], dtype=object),
                               len(wide)) for i in (0, 1))
    keep = ~np.isnan(values)
    published = pd.DataFrame({
        "unit": np.tile(wide["unit"].to_numpy(object), len(cols))[keep], "year": year,
        "node": node[keep], "measure": measure[keep], "value": values[keep],
        "decimals": np.where(measure[keep] == "flags", 0, SVI_DECIMALS)})
    return _from_files(name, files, SVI_SOURCE.format(year=year, where=where), year, published)


def _gain_or_sdg(name: str) -> Example:
    """ND-GAIN (every published score to 1e-9, grouped as indicator scores, sector scores,
    vulnerability, readiness, index) or the SDG Index (goal and index scores at 1 decimal,
    rounded half up, and ranks)."""
    short = name.split("_")[0]
    folder = datasets_dir() / short
    ex = _from_files(name, _files(folder, short), GAIN_SOURCE if name == GAIN else SDG_SOURCE)
    if name == SDG:
        published = pd.read_csv(folder / "published.csv", dtype={"unit": str})
        index = published["node"] == ex.framework.index
        what = np.where(~index, f"{name} goal scores",
                        np.where(published["measure"] == "rank", f"{name}_rank", name))
        return replace(ex, published=published.assign(what=what), rounding="half_up")
    raw = pd.read_csv(folder / "published.csv.gz", dtype={"unit": str})
    fw = ex.framework
    kind = {c: "indicator scores" for c in fw.indicators}
    kind |= {c: "sector scores" for c in fw.aggregates if fw.nodes[c].level == 2}
    published = raw.assign(measure="score", decimals=np.nan,
                           what=[f"{name} {kind.get(n, n)}" for n in raw["node"]])
    return replace(ex, published=published, tolerance=GAIN_TOLERANCE)


def round_half_up(x: np.ndarray, decimals: np.ndarray) -> np.ndarray:
    """Round half away from zero at ``decimals``, reading ``x`` as the decimal it stands for
    (97.85, stored as 97.8499999..., gives 97.9): the scaled value is first rounded to 6
    decimals, then half away from zero."""
    scale = 10.0 ** np.asarray(decimals, dtype=np.float64)
    scaled = np.round(np.abs(x) * scale, 6)
    return np.sign(x) * np.floor(scaled + 0.5) / scale


def _from_files(name: str, files: dict[str, Path], source: str,
                source_year: int | None = None, published: pd.DataFrame | None = None
                ) -> Example:
    """An example from its framework, data and methodology files; its values carry
    ``source`` and ``source_year``."""
    fw = load_framework(files["framework"])
    panel = load_panel(files["data"], fw, source=source, source_year=source_year)
    return Example(name, fw, panel, load_methodology(files["methodology"]), published, files)


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
    """Compare a rebuild with every published value of the example, each at its published
    number of decimals; one Validation per node and measure (score, rank, or a measure
    naming one of the example's methodology files, e.g. the SVI's ``flags``: the scores of
    a build with that methodology)."""
    ex = load(name)
    if name == FINTECH:
        raise FintechIndexError("U03", "the fintech index has no published values to reproduce; "
                                       "see gfcdi.editions.agreement() for rank agreement")
    if ex.published is None:
        return []  # no published values (asem_panel: see load())
    res = results or ex.build()
    other: dict[str, Results] = {}  # builds with the example's other methodologies
    units = {c: i for i, c in enumerate(res.units)}
    nodes = {c: i for i, c in enumerate(res.nodes)}
    by = ["what"] if "what" in ex.published.columns else ["node", "measure"]
    out = []
    for key, rows in ex.published.groupby(by, sort=False):
        u = rows["unit"].map(units).to_numpy(int)
        y = np.searchsorted(np.array(res.years), rows["year"].to_numpy(int))
        k = rows["node"].map(nodes).to_numpy(int)
        computed = np.empty(len(rows))
        measures = rows["measure"].to_numpy(object)
        for measure in pd.unique(measures):
            at = measures == measure
            if measure in ("score", "rank"):
                arr = res.score_array if measure == "score" else res.rank_array
            else:  # flags: the scores of a build with the example's methodology of that name
                if measure not in other:
                    other[measure] = build(ex.framework, ex.panel,
                                           load_methodology(ex.files[measure]))
                arr = other[measure].score_array
            computed[at] = arr[y[at], u[at], k[at]]
        published = rows["value"].to_numpy(float)
        if ex.tolerance is not None:
            same = np.abs(computed - published) <= ex.tolerance
        else:
            decimals = rows["decimals"].to_numpy(int)
            if ex.rounding == "half_up":
                rounded = round_half_up(computed, decimals)
            else:
                rounded = np.empty(len(rows))
                for d in np.unique(decimals):  # each number of decimals at once (SVI: 97,000)
                    at = decimals == d
                    rounded[at] = np.round(computed[at], d)
            same = rounded == published
        bad = rows.loc[~same, ["unit", "year"]].assign(published=published[~same],
                                                       computed=computed[~same])
        if "what" in rows.columns:
            what = str(key[0])
        else:
            node, measure = key
            what = f"{node} {measure}" if node != res.framework.index or name == "asem" else {
                "score": name, "rank": f"{name}_rank"}.get(measure, f"{name}_{measure}")
        out.append(Validation(name, what, len(rows), int(same.sum()),
                              bad.reset_index(drop=True)))
    return out
