"""Registry of array kernels, by stage and by the name a methodology uses.

A kernel is a pure NumPy function. Imputation kernels map ``x[..., years, units, k]`` to
the same shape; treatment kernels map ``x[..., units, k]`` to a ``Treated`` (values, what
was done to each point); normalisation kernels map ``x[..., units, k]`` to the same shape;
weighting kernels map a node's children ``x[..., units, k]`` and framework weights ``w[k]``
to ``[..., k]``; aggregation kernels map ``x[..., units, k]`` and weights ``w[..., k]`` to
``[..., units]``. Any leading axes are a batch (years in a build, replications in an audit).

Users and bundled examples add their own with :func:`register`, without touching the engine.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import MethodologyError

STAGES = ("impute", "treat", "normalise", "weight", "aggregate")
# arguments the engine supplies (from the framework and data), not set in a methodology
ENGINE_ARGS = frozenset({"x", "w", "direction", "gposts", "groups", "years", "ref_index",
                         "aggregate"})


@dataclass(frozen=True)
class Kernel:
    """A registered kernel with what the engine needs to know about it."""

    name: str
    stage: str
    fn: Callable
    honours_direction: bool = True

    def takes(self, name: str) -> bool:
        """Whether the kernel has an argument ``name`` (e.g. goalposts the engine passes)."""
        return name in inspect.signature(self.fn).parameters

    @property
    def params(self) -> dict[str, inspect.Parameter]:
        """Keyword parameters a methodology may set (not the arrays the engine passes)."""
        sig = inspect.signature(self.fn)
        return {k: p for k, p in sig.parameters.items()
                if k not in ENGINE_ARGS and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}


_REGISTRY: dict[str, dict[str, Kernel]] = {s: {} for s in STAGES}


def register(stage: str, name: str, *, honours_direction: bool = True,
             replace: bool = False) -> Callable[[Callable], Callable]:
    """Decorator: register ``fn`` as the kernel ``name`` of ``stage``.

    ``honours_direction=False`` marks a normalisation that leaves values as they are (ranks
    of its output then use the indicator's direction). Re-registering a name needs
    ``replace=True``, so that a typo cannot silently shadow a built-in method.
    """
    if stage not in _REGISTRY:
        raise MethodologyError("M07", f"unknown stage '{stage}' (accepted: {', '.join(STAGES)})")

    def deco(fn: Callable) -> Callable:
        if name in _REGISTRY[stage] and not replace and _REGISTRY[stage][name].fn is not fn:
            raise MethodologyError("M08", f"a {stage} kernel named '{name}' is already registered; "
                                          "pass replace=True to replace it")
        _REGISTRY[stage][name] = Kernel(name, stage, fn, honours_direction)
        return fn

    return deco


def get(stage: str, name: str) -> Kernel:
    """The kernel registered as ``name``, or an error listing the accepted names."""
    try:
        return _REGISTRY[stage][name]
    except KeyError:
        import difflib

        accepted = sorted(_REGISTRY.get(stage, {}))
        close = difflib.get_close_matches(str(name), accepted, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise MethodologyError("M06", f"unknown {stage} method '{name}' ({hint}accepted: "
                                      f"{', '.join(accepted)})") from None


def unregister(stage: str, name: str) -> None:
    """Remove a kernel registered with :func:`register` (e.g. a plug-in tried in a test)."""
    get(stage, name)  # an unknown name is an error, not a silent no-op
    del _REGISTRY[stage][name]


def available(stage: str) -> list[str]:
    return sorted(_REGISTRY[stage])


from . import aggregate, impute, normalise, treat, weight  # noqa: E402,F401  (built-in kernels)
