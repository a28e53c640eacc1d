"""Small frameworks and panels made in memory for tests (synthetic, never bundled), and
where the shared data are."""

from pathlib import Path

import numpy as np

import fintech_index as fi


def two_level_framework(weights=(1.0, 1.0, 1.0, 1.0), directions=(1, 1, 1, 1), goalposts=None):
    """index <- {A: x1, x2; B: x3, x4}."""
    def ind(k):
        d = {"code": f"x{k + 1}", "weight": weights[k], "direction": directions[k]}
        if goalposts is not None:
            d["goalposts"] = list(goalposts[k])
        return d

    return fi.framework_from_dict({"index": {"code": "idx", "children": [
        {"code": "A", "children": [ind(0), ind(1)]},
        {"code": "B", "children": [ind(2), ind(3)]},
    ]}}, "synthetic.yaml")


def panel(fw, values, units=None, years=None):
    values = np.asarray(values, dtype=float)
    if values.ndim == 2:
        values = values[None]
    units = units or [f"u{i}" for i in range(values.shape[1])]
    years = years or list(range(2020, 2020 + values.shape[0]))
    return fi.panel_from_arrays(values, fw, units, years, source="synthetic")


def shared_file(*parts: str) -> Path | None:
    """A file of the shared data folder (``shared/data`` beside the checkout or one of its
    parents, as scripts/shared_data.py looks for it), or None where it is absent (CI)."""
    for parent in Path(__file__).resolve().parents:
        p = parent.joinpath("shared", "data", *parts)
        if p.exists():
            return p
    return None
