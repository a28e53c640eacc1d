"""Publishing an edition: Excel workbook, static report site, PDF white papers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd

from ..build import Results


def publish_all(results: Results, *, site: Path | None = None, pdf: Path | None = None,
                xlsx: Path | None = None, cities: list[str] | None = None,
                coordinates: pd.DataFrame | None = None, audit: pd.DataFrame | None = None,
                progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write whichever outputs are asked for; white papers for ``cities`` (default: the top
    ten of the latest year)."""
    from .excel import write_workbook
    from .pdf import write_white_paper
    from .site import write_site

    tick = progress or (lambda _: None)
    written: list[Path] = []
    if site is not None:
        written += write_site(results, site, coordinates=coordinates, audit=audit)
        tick("site")
    if pdf is not None:
        units = cities or list(results.ranking().index[:10])
        files = paper_names(results, units)
        for unit in units:
            name = results.panel.units.at[unit, "name"]
            written.append(write_white_paper(
                results, unit, Path(pdf) / f"{files[unit]}_white_paper_{results.years[-1]}.pdf"))
            tick(f"white paper {name}")
    if xlsx is not None:
        written.append(write_workbook(results, xlsx))
        tick("workbook")
    return written


def paper_names(results: Results, units: list[str]) -> dict[str, str]:
    """A file-name stem per unit: its name, made a safe segment (``Sao Paulo`` and
    ``Sao-Paulo`` stay two files; ``../x`` stays inside), with the unit code added where
    two units share a name."""
    from collections import Counter

    from ..safe import file_segments

    names = {u: str(results.panel.units.at[u, "name"]) for u in units}
    shared = Counter(names.values())
    labels = {u: n if shared[n] == 1 else f"{n} {u}" for u, n in names.items()}
    stems = file_segments(labels.values(), what="city name")
    return {u: stems[labels[u]] for u in units}
