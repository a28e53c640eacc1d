"""The one stage runner: a stage's choice resolved, its kernel bound and run, in one place.

Every stage (impute, treat, normalise, weight, aggregate) goes group -> kernel -> bind ->
apply through here: :func:`bound` makes a choice callable (:class:`Bound`) with the
arguments the engine supplies and the stage-level parameters declared where the kernels
are registered (``methods.stage_param``, e.g. normalise's ``global``), and
:func:`run_indicator_stage` runs a per-indicator stage group by group. The callers keep
only what is their own: the checks on each group's output and where it goes.


A methodology gives a kernel's parameters by the names its users know (``use_group: region``,
``ref: CHE``); the engine turns them into what the kernel takes and adds what comes from
the framework and the data: group codes per unit, the years, the reference unit's row, the
indicators' directions, goalposts and targets, and (for optimised weights) the node's own
aggregation function.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from . import methods
from .errors import MethodError
from .framework import Framework
from .methodology import PARAM_FOR_ENGINE_ARG, Choice
from .methods import Kernel
from .panel import Panel


def choice_key(c: Choice) -> str:
    return json.dumps([c.method, c.params], sort_keys=True, default=str)


def indicator_groups(framework: Framework, stage) -> list[tuple[Choice, list[int]]]:
    """Indicators sharing one resolved choice, so each kernel runs once on all of them."""
    groups: dict[str, tuple[Choice, list[int]]] = {}
    for i, code in enumerate(framework.indicators):
        c = stage.resolve(code, 1)
        groups.setdefault(choice_key(c), (c, []))[1].append(i)
    return list(groups.values())


def group_codes(panel: Panel, column: str) -> np.ndarray:
    """Integer group per unit from a unit metadata column; -1 where the unit has none."""
    import pandas as pd

    col = panel.units[column] if column in panel.units.columns else pd.Series(
        [None] * len(panel.units), index=panel.units.index)
    codes, _ = pd.factorize(col.where(col.notna() & (col.astype(str) != ""), None),
                            sort=True)
    return codes.astype(np.int64)


def aux_columns(panel: Panel, names: str | Sequence[str]) -> np.ndarray:
    """The auxiliary variables a methodology names (``use_aux``) as ``[years, units, m]``:
    columns the data give beside the indicators, declared under the framework's
    ``denominators:`` (the one route for a non-indicator variable)."""
    names = [names] if isinstance(names, str) else list(names)
    pos = {c: k for k, c in enumerate(panel.denominator_codes)}
    lacking = [n for n in names if n not in pos]
    if lacking:
        raise MethodError("A30", f"impute: auxiliary variable(s) {lacking} are not given in "
                                 f"{panel.origin} (given: "
                                 f"{', '.join(panel.denominator_codes) or 'none'})")
    return panel.denominators[..., [pos[n] for n in names]]


def bind(kernel: Kernel, choice: Choice, panel: Panel, framework: Framework | None = None,
         indicators: Sequence[int] | None = None, goalposts: np.ndarray | None = None,
         aggregate: Callable | None = None) -> dict:
    """Keyword arguments for ``kernel``: the choice's parameters (without the names the
    engine translates) and every engine-supplied argument the kernel takes.
    ``indicators`` (positions in the framework) and ``goalposts`` ([indicators, 2], after
    any transform) are needed by normalisation kernels only."""
    own = methods.stage_params(kernel.stage)  # run by the stage (Bound), not the kernel
    kw = {k: v for k, v in choice.params.items()
          if k not in PARAM_FOR_ENGINE_ARG.values() and k not in own}
    if kernel.takes("groups"):
        kw["groups"] = group_codes(panel, choice.params["use_group"])
    if kernel.takes("aux"):
        kw["aux"] = aux_columns(panel, choice.params["use_aux"])
    if kernel.takes("years"):
        kw["years"] = np.array(panel.years)
    if kernel.takes("ref_index"):
        ref = choice.params["ref"]
        if ref not in panel.unit_codes:
            raise MethodError("A12", f"{choice.method}: reference unit '{ref}' is not a unit of "
                                     f"{panel.origin}")
        kw["ref_index"] = panel.unit_codes.index(ref)
    if kernel.takes("aggregate"):
        kw["aggregate"] = aggregate
    if framework is None or indicators is None:
        return kw
    idx = list(indicators)
    codes = [framework.indicators[i] for i in idx]
    if kernel.takes("direction"):
        kw["direction"] = framework.directions()[idx]
    if kernel.takes("gposts"):
        gp = framework.goalposts() if goalposts is None else goalposts
        lacking = [c for c, i in zip(codes, idx, strict=True) if np.isnan(gp[i]).any()]
        if lacking:
            raise MethodError("A02", f"{kernel.stage}: method '{choice.method}' needs goalposts "
                                     f"but indicator(s) {lacking} have none in "
                                     f"{framework.source_file}; add goalposts: [lower, upper]")
        kw["gposts"] = gp[idx]
    if kernel.takes("targ") and "targ" not in kw:
        targets = framework.targets()
        lacking = [c for c, i in zip(codes, idx, strict=True) if np.isnan(targets[i])]
        if lacking:
            raise MethodError("A03", f"{kernel.stage}: method '{choice.method}' needs a target "
                                     f"but indicator(s) {lacking} have none in "
                                     f"{framework.source_file}; add target: <value>, or give "
                                     "targ in the methodology")
        kw["targ"] = targets[idx]
    return kw


@dataclass(frozen=True)
class Bound:
    """A stage's choice made callable: ``bound(*arrays)`` is the kernel on those arrays with
    its bound arguments, run the way the stage's own parameters say (``run``), its
    numerical failures named by ``where``."""

    stage: str
    choice: Choice
    kernel: Kernel
    kwargs: dict
    where: str
    run: tuple[Callable, ...] = ()

    def __call__(self, *arrays: Any) -> Any:
        fn = partial(self.kernel.apply, self.where)
        for runner in self.run:
            fn = partial(runner, fn)
        return fn(*arrays, **self.kwargs)


def bound(stage: str, choice: Choice, panel: Panel, where: str, **context: Any) -> Bound:
    """The kernel of ``choice`` for ``stage`` with its arguments bound (``context``: what
    :func:`bind` takes besides the kernel, choice and panel) and the stage-level parameters
    declared for the stage applied."""
    kernel = methods.get(stage, choice.method)
    run = tuple(r for r in (p.runner(kernel, choice.params.get(name))
                            for name, p in methods.stage_params(stage).items())
                if r is not None)
    return Bound(stage, choice, kernel, bind(kernel, choice, panel, **context), where, run)


def run_indicator_stage(stage: str, framework: Framework, panel: Panel, choices, x: np.ndarray,
                        *, goalposts: np.ndarray | None = None, per_indicator: bool = False
                        ) -> Iterator[tuple[Bound, list[int], Any]]:
    """Run a per-indicator stage (impute, treat, normalise): each group of indicators
    sharing a resolved choice through its kernel once, all years together; yields the bound
    choice, the indicators' positions and the kernel's output on ``x[..., positions]``.
    ``per_indicator`` (normalise) binds the indicators' own arguments too: directions,
    ``goalposts`` (after any transform; default the framework's), targets."""
    for choice, idx in indicator_groups(framework, choices):
        where = f"indicator(s) {[framework.indicators[i] for i in idx]}"
        extra = {"framework": framework, "indicators": idx, "goalposts": goalposts} \
            if per_indicator else {}
        b = bound(stage, choice, panel, where, **extra)
        yield b, idx, b(x[..., idx])
