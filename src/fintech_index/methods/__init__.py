"""Registry of array kernels, by stage and by the name a methodology uses.

A kernel is a pure NumPy function. Imputation kernels map ``x[..., years, units, k]`` to
the same shape; treatment kernels map ``x[..., units, k]`` to a ``Treated`` (values, what
was done to each point); normalisation kernels map ``x[..., units, k]`` to the same shape;
weighting kernels map a node's children ``x[..., units, k]`` and framework weights ``w[k]``
to ``[..., k]``; aggregation kernels map ``x[..., units, k]`` and weights ``w[..., k]`` to
``[..., units]``. Any leading axes are a batch (years in a build, replications in an audit).

Users and bundled examples add their own with :func:`register`, without touching the engine.

Declaring a kernel's parameters (its *contract*)
-------------------------------------------------
The parameters a methodology may set are the kernel's keyword arguments other than the
arrays and context the engine supplies (``ENGINE_ARGS``). Their types come from the
signature's annotations; constraints beyond the type are declared at registration, as
scikit-learn's ``_parameter_constraints`` do::

    from fintech_index.methods import register
    from fintech_index.methods.contracts import Each, Interval, Options, Pair

    @register("aggregate", "a_trimmed", constraints={
        "trim": Interval(0, 0.5, closed="left"),   # 0 <= trim < 0.5
        "mode": Options("symmetric", "upper"),     # one of the listed values
        "bounds": Pair(increasing=True),           # [lower, upper], lower < upper
        "points": Each(Interval(0, None), positive_sum=True)})
    def a_trimmed(x, w, trim: float = 0.1, mode: str = "symmetric",
                  bounds: tuple[float, float] = (0.0, 1.0), points: list[float] | None = None):
        ...

A parameter of a whole stage rather than of one kernel (normalise's ``global``: all years
together) is declared next to the stage's kernels with :func:`stage_param`: how a value is
checked against the chosen kernel and how it changes the way the kernel is run. Every
choice of that stage accepts it, and the engine's one stage runner
(``binding.bound``) applies it; nothing else special-cases it.

``Methodology.check`` validates every choice against these declarations before any work
(a value of the wrong type or outside its constraint: ``[M56]``; a required parameter not
given: ``[M57]``; a check that needs the node's number of children, declared with
``contracts.per_node``, e.g. share bounds n children cannot meet: ``[M20]``), and the engine
calls every kernel through :meth:`Kernel.apply`, which turns a numerical failure into a
coded error naming the node (``[A05]``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ..errors import MethodError, MethodologyError, did_you_mean, one_line
from . import contracts

STAGES = ("impute", "treat", "normalise", "weight", "aggregate")
# arguments the engine supplies (from the framework and data), not set in a methodology
ENGINE_ARGS = frozenset({"x", "w", "direction", "gposts", "groups", "years", "ref_index",
                         "aggregate", "aux"})
# arguments a methodology may give and the framework supplies otherwise (n_dist2targ's targ)
FRAMEWORK_DEFAULTS = frozenset({"targ"})


@dataclass(frozen=True)
class Kernel:
    """A registered kernel with what the engine needs to know about it."""

    name: str
    stage: str
    fn: Callable
    honours_direction: bool = True
    constraints: dict[str, Callable[[Any], str | None]] = field(default_factory=dict)
    # an imputation that fills only what it can predict; the stage's default choice then
    # completes the values it leaves missing (prepare.impute)
    partial: bool = False

    @cached_property
    def _arguments(self) -> Mapping[str, inspect.Parameter]:
        return inspect.signature(self.fn).parameters

    def takes(self, name: str) -> bool:
        """Whether the kernel has an argument ``name`` (e.g. goalposts the engine passes)."""
        return name in self._arguments

    @property
    def params(self) -> dict[str, inspect.Parameter]:
        """Keyword parameters a methodology may set (not the arrays the engine passes)."""
        return {k: p for k, p in self._arguments.items()
                if k not in ENGINE_ARGS and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}

    def contract_problems(self, params: dict[str, Any]) -> list[tuple[str, str]]:
        """(parameter, what it accepts) for each given value that breaks the contract, and
        (parameter, "") for each required parameter not given."""
        found = contracts.problems(self.fn, params, self.constraints, ENGINE_ARGS)
        return [(k, m) for k, m in found if not (m == "" and k in FRAMEWORK_DEFAULTS)]

    def apply(self, where: str, *args: Any, **kwargs: Any) -> Any:
        """Call the kernel; a numerical failure inside it (``ValueError``, including
        ``LinAlgError``, or ``ArithmeticError``) becomes a coded error naming ``where`` (the
        stage and node) and the method."""
        try:
            return self.fn(*args, **kwargs)
        except (ValueError, ArithmeticError) as e:
            raise MethodError("A05", f"{self.stage}: {where} ({self.name}): {one_line(e)}"
                              ) from None


_REGISTRY: dict[str, dict[str, Kernel]] = {s: {} for s in STAGES}


@dataclass(frozen=True)
class StageParam:
    """A methodology parameter of a whole stage, accepted by every kernel of that stage.

    ``problems(kernel, value)``: (error code, what is wrong and what is accepted) for a
    given value, None when it is not given; ``runner(kernel, value)``: a function
    ``run(fn, x, **kw)`` that calls the bound kernel ``fn`` in the stage's own way (e.g.
    :func:`.normalise.pool_years`), or None to call it on ``x`` as it is."""

    name: str
    problems: Callable[[Kernel, Any], list[tuple[str, str]]]
    runner: Callable[[Kernel, Any], Callable | None]


_STAGE_PARAMS: dict[str, dict[str, StageParam]] = {s: {} for s in STAGES}


def stage_param(stage: str, name: str, *,
                problems: Callable[[Kernel, Any], list[tuple[str, str]]],
                runner: Callable[[Kernel, Any], Callable | None]) -> None:
    """Declare ``name`` a parameter of every kernel of ``stage`` (see :class:`StageParam`)."""
    if stage not in _STAGE_PARAMS:
        raise MethodologyError("M07", f"unknown stage '{stage}' (accepted: {', '.join(STAGES)})")
    _STAGE_PARAMS[stage][name] = StageParam(name, problems, runner)


def stage_params(stage: str) -> dict[str, StageParam]:
    """The stage-level parameters declared for ``stage``, by name."""
    return _STAGE_PARAMS.get(stage, {})


def register(stage: str, name: str, *, honours_direction: bool = True, replace: bool = False,
             constraints: dict[str, Callable[[Any], str | None]] | None = None,
             partial: bool = False) -> Callable[[Callable], Callable]:
    """Decorator: register ``fn`` as the kernel ``name`` of ``stage``.

    ``constraints`` maps a parameter to a check from :mod:`.contracts` (``Interval``,
    ``Options``, ``Pair``, ``Each``, or any callable returning None or what is accepted).
    ``honours_direction=False`` marks a normalisation that leaves values as they are (ranks
    of its output then use the indicator's direction). Re-registering a name needs
    ``replace=True``, so that a typo cannot silently shadow a built-in method.
    ``partial=True`` marks an imputation that fills only the values it can predict (from
    auxiliary variables, say): the stage's default choice completes the rest.
    """
    if stage not in _REGISTRY:
        raise MethodologyError("M07", f"unknown stage '{stage}' (accepted: {', '.join(STAGES)})")

    def deco(fn: Callable) -> Callable:
        if name in _REGISTRY[stage] and not replace and _REGISTRY[stage][name].fn is not fn:
            raise MethodologyError("M08", f"a {stage} kernel named '{name}' is already registered; "
                                          "pass replace=True to replace it")
        kernel = Kernel(name, stage, fn, honours_direction, dict(constraints or {}), partial)
        stray = sorted(set(kernel.constraints) - set(kernel.params))
        if stray:
            raise MethodologyError("M58", f"register {stage} '{name}': constraints for "
                                          f"{stray}, which are not parameters a methodology "
                                          f"sets (accepted: {sorted(kernel.params)})")
        _REGISTRY[stage][name] = kernel
        return fn

    return deco


def get(stage: str, name: str) -> Kernel:
    """The kernel registered as ``name``, or an error listing the accepted names."""
    try:
        return _REGISTRY[stage][name]
    except KeyError:
        accepted = sorted(_REGISTRY.get(stage, {}))
        hint = did_you_mean(name, accepted, after=" ")
        raise MethodologyError("M06", f"unknown {stage} method '{name}' ({hint}accepted: "
                                      f"{', '.join(accepted)})") from None


def unregister(stage: str, name: str) -> None:
    """Remove a kernel registered with :func:`register` (e.g. a plug-in tried in a test)."""
    get(stage, name)  # an unknown name is an error, not a silent no-op
    del _REGISTRY[stage][name]


def available(stage: str) -> list[str]:
    return sorted(_REGISTRY[stage])


from . import aggregate, impute, normalise, treat, weight  # noqa: E402,F401  (built-in kernels)
