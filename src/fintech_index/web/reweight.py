"""Re-weighting a published edition: the stored indicator scores through the engine's own
aggregate-and-rank path (scoring.py) with new weights for any dimension or pillar, so that
the nominal weights give the published scores and ranks bit for bit."""

from __future__ import annotations

import json
import numbers
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import FintechIndexError
from ..framework import Framework, framework_from_json
from ..methodology import Methodology, methodology_from_dict
from ..panel import Panel, panel_from_arrays
from ..scoring import Scored, aggregate_and_rank, weight_slots


class WeightsRefused(ValueError):
    """New weights name a node that is not weighted, or are not positive numbers."""


def refuse_non_numbers(weights: dict) -> None:
    """Refuse [U71] weights that are not numbers: JSON ``true`` is not the weight 1.0
    (Python's bool is an int, and pydantic turned ``true`` and ``"2"`` into floats)."""
    bad = {k: v for k, v in weights.items()
           if isinstance(v, bool | np.bool_) or not isinstance(v, numbers.Real)}
    if bad:
        shown = ", ".join(f"{k!r}: {json.dumps(v, default=repr)}"
                          for k, v in list(bad.items())[:20])
        shown += f" and {len(bad) - 20} more" if len(bad) > 20 else ""
        raise FintechIndexError("U71", f"reweight: weights must be numbers > 0 (JSON numbers "
                                       f"such as 2 or 0.5, not true, false, text or null); "
                                       f"got {shown}")


@dataclass(frozen=True)
class Reweighting:
    """One edition and year, ready to be re-weighted many times."""

    framework: Framework
    panel: Panel
    methodology: Methodology
    indicator_scores: np.ndarray  # [units, indicators], as published

    @classmethod
    def from_edition(cls, inputs: dict, frame: pd.DataFrame) -> Reweighting:
        """From ``Store.edition_inputs`` and one year of ``Store.edition``. Units the
        edition left unranked although they have an index score were excluded by the
        methodology's ``rank.exclude_levels``; they keep that level here."""
        fw = framework_from_json(inputs["framework"])
        meth = methodology_from_dict(inputs["methodology"])
        wide = frame.pivot(index="unit", columns="node", values="score")
        ranks = frame[frame["node"] == fw.index].set_index("unit")["rank"].reindex(wide.index)
        first = frame.drop_duplicates("unit").set_index("unit").reindex(wide.index)
        excluded = ranks.isna() & wide[fw.index].notna()
        level = (meth.rank.exclude_levels or [None])[0]
        meta = pd.DataFrame({"name": first["unit_name"],
                             "name_zh": first.get("unit_name_zh"),
                             "level": np.where(excluded, level, None)}, index=wide.index)
        year = int(frame["year"].iloc[0])
        scores = wide[list(fw.indicators)].to_numpy(dtype=np.float64)
        panel = panel_from_arrays(scores[None], fw, wide.index, [year],
                                  source="published edition", meta=meta)
        return cls(fw, panel, meth, scores)

    @cached_property
    def weighted_nodes(self) -> tuple[str, ...]:
        """Nodes whose weight can be changed: every aggregate below the index, top down in
        the framework's order (a dimension, then its pillars). Walked once per edition (the
        instance is cached by the app), not on each of the five uses in every request."""
        fw = self.framework
        out: list[str] = []

        def walk(code: str) -> None:
            for k in fw.nodes[code].children:
                if not fw.nodes[k].is_indicator:
                    out.append(k)
                    walk(k)

        walk(fw.index)
        return tuple(out)

    def multipliers(self, weights: dict[str, float]) -> np.ndarray:
        """One multiplier per weight slot: new weight / framework weight (1.0 where a node
        keeps its weight, so the nominal weights change nothing, bit for bit)."""
        refuse_non_numbers(weights)
        allowed = set(self.weighted_nodes)
        unknown = sorted(set(weights) - allowed)
        bad = sorted(k for k, v in weights.items() if not (np.isfinite(v) and v > 0))
        if unknown or bad:
            raise WeightsRefused(f"weights must be finite numbers > 0 for nodes among "
                                 f"{sorted(allowed)} (unknown: {unknown}; not > 0: {bad})")
        nodes = self.framework.nodes
        return np.array([float(weights[kid]) / nodes[kid].weight if kid in weights else 1.0
                         for _, kid in weight_slots(self.framework)])

    def apply(self, weights: dict[str, float]) -> Scored:
        """Scores and ranks of the index and every aggregate, [units] each."""
        fw = self.framework
        keep = [fw.index, *self.weighted_nodes]
        m = self.multipliers(weights)
        return aggregate_and_rank(fw, self.panel, self.methodology, self.indicator_scores,
                                  weight_multipliers=None if (m == 1.0).all() else m,
                                  rank=keep, keep=keep)
