"""Parameter contracts of the kernels: what a methodology may give each parameter.

A parameter's *type* comes from the kernel's signature (``l_u: tuple[float, float]``: two
numbers; ``winmax: int | None``: a whole number or null; ``f2: str``: a string);
*constraints* beyond the type are declared at registration, as scikit-learn's estimators
declare ``_parameter_constraints`` (sklearn.utils._param_validation):

    @register("normalise", "n_minmax", constraints={"l_u": Pair(increasing=True)})
    @register("treat", "winsorise", constraints={"winmax": Interval(0, None),
                                                 "f2": Options("log_CT", "boxcox")})

A constraint is a callable object that returns ``None`` when a value is accepted and a
phrase saying what is accepted otherwise; :func:`problems` applies type and constraints.
"""

from __future__ import annotations

import inspect
import math
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(
        v, bool | np.bool_)


def _finite(v: Any) -> bool:
    return _is_number(v) and math.isfinite(float(v))


@dataclass(frozen=True)
class Interval:
    """A finite number in [low, high] (``closed``: both, left, right, neither; None: no
    bound on that side)."""

    low: float | None = None
    high: float | None = None
    closed: str = "both"

    def __call__(self, v: Any) -> str | None:
        if not _finite(v):
            return f"a finite number {self.describe()}".rstrip()
        v = float(v)
        lo_ok = self.low is None or (v >= self.low if self.closed in ("both", "left")
                                     else v > self.low)
        hi_ok = self.high is None or (v <= self.high if self.closed in ("both", "right")
                                      else v < self.high)
        return None if lo_ok and hi_ok else f"a number {self.describe()}"

    def describe(self) -> str:
        left = "[" if self.closed in ("both", "left") else "("
        right = "]" if self.closed in ("both", "right") else ")"
        if self.low is not None and self.high is not None:
            return f"in {left}{self.low:g}, {self.high:g}{right}"
        if self.low is not None:
            return f"{'>=' if left == '[' else '>'} {self.low:g}"
        if self.high is not None:
            return f"{'<=' if right == ']' else '<'} {self.high:g}"
        return ""


@dataclass(frozen=True)
class Options:
    """One of the listed values."""

    values: tuple[Any, ...]

    def __init__(self, *values: Any) -> None:
        object.__setattr__(self, "values", values)

    def __call__(self, v: Any) -> str | None:
        return None if v in self.values else "one of " + ", ".join(map(repr, self.values))


@dataclass(frozen=True)
class Pair:
    """Two finite numbers [a, b]: with ``increasing``, a < b (a scale's lower and upper
    end); with ``ordered``, a <= b (bounds that may meet); ``first``/``second`` constrain
    each (e.g. a standard deviation > 0)."""

    increasing: bool = False
    first: Callable[[Any], str | None] | None = None
    second: Callable[[Any], str | None] | None = None
    ordered: bool = False

    def __call__(self, v: Any) -> str | None:
        if not _pair_of_numbers(v):
            return "two finite numbers [a, b]"
        for name, check, x in (("first", self.first, v[0]), ("second", self.second, v[1])):
            if check is not None and (msg := check(x)) is not None:
                return f"[a, b] with the {name} number {msg.removeprefix('a number ')}"
        if self.increasing and not float(v[0]) < float(v[1]):
            return "[lower, upper] with lower < upper"
        if self.ordered and not float(v[0]) <= float(v[1]):
            return "[lower, upper] with lower <= upper"
        return None


@dataclass(frozen=True)
class Each:
    """A list whose every element meets ``check`` (and, with ``positive_sum``, whose sum
    is > 0 and finite: weights are divided by their sum, and a sum that overflows to inf
    makes every weight 0)."""

    check: Callable[[Any], str | None]
    positive_sum: bool = False

    def __call__(self, v: Any) -> str | None:
        if isinstance(v, str) or not isinstance(v, Sequence | np.ndarray) or len(v) == 0:
            return "a non-empty list"
        for x in v:
            if (msg := self.check(x)) is not None:
                return f"a list whose every element is {msg}"
        if self.positive_sum and not 0 < sum(float(x) for x in v) < math.inf:
            return "a list with a positive, finite sum"
        return None


def _pair_of_numbers(v: Any) -> bool:
    return (isinstance(v, Sequence | np.ndarray) and not isinstance(v, str) and len(v) == 2
            and all(_finite(x) for x in v))


# ------------------------------------------------------------------ types from signatures
def type_problem(v: Any, hint: Any) -> str | None:
    """``None`` when ``v`` (as read from YAML/JSON) fits the annotation ``hint``, else what
    the annotation accepts."""
    return None if _fits(v, hint) else _describe(hint)


def _fits(v: Any, hint: Any) -> bool:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is inspect.Parameter.empty:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_fits(v, a) for a in args)
    if hint is type(None):
        return v is None
    if hint is bool:
        return isinstance(v, bool | np.bool_)
    if hint is int:
        return _is_number(v) and float(v).is_integer()
    if hint is float:
        return _finite(v)
    if hint is str:
        return isinstance(v, str)
    if hint is np.ndarray:  # one number or a list of numbers
        return _finite(v) or (isinstance(v, Sequence | np.ndarray) and not isinstance(v, str)
                              and all(_finite(x) for x in v))
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return _is_list(v) and all(_fits(x, args[0]) for x in v)
        return _is_list(v) and len(v) == len(args) and all(
            _fits(x, a) for x, a in zip(v, args, strict=True))
    if origin in (list, Sequence):
        return _is_list(v) and all(_fits(x, args[0]) for x in v) if args else _is_list(v)
    if origin is dict or hint is dict:
        return isinstance(v, dict)
    return True  # an annotation the engine does not interpret (a callable, a class)


def _is_list(v: Any) -> bool:
    return isinstance(v, Sequence | np.ndarray) and not isinstance(v, str)


def _describe(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args)
    if origin is tuple and args and args[-1] is not Ellipsis:
        inner = {_describe(a) for a in args}
        return f"a list of {len(args)} " + (inner.pop().removeprefix("a ") + "s"
                                            if len(inner) == 1 else "values")
    if origin in (list, Sequence, tuple):
        return "a list of " + (_describe(args[0]).removeprefix("a ") + "s" if args else "values")
    return {type(None): "null", bool: "true or false", int: "a whole number",
            float: "a finite number", str: "a string",
            np.ndarray: "a number or a list of numbers"}.get(hint, str(hint))


def problems(fn: Callable, params: dict[str, Any], constraints: dict[str, Callable],
             engine_args: frozenset[str]) -> list[tuple[str, str]]:
    """(parameter, what is accepted) for every given parameter that does not fit its
    annotation or its declared constraint, and (parameter, "") for every required parameter
    a methodology must give and did not."""
    hints = typing.get_type_hints(fn)
    sig = inspect.signature(fn)
    out: list[tuple[str, str]] = []
    for name, p in sig.parameters.items():
        if name in engine_args or p.kind not in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD):
            continue
        if name not in params:
            if p.default is inspect.Parameter.empty:
                out.append((name, ""))
            continue
        v = params[name]
        msg = type_problem(v, hints.get(name, Any))
        if msg is None and name in constraints and not (v is None and p.default is None):
            msg = constraints[name](v)
        if msg is not None:
            out.append((name, msg))
    return out


# ------------------------------------------------------------------ checks per node
def per_node(check: Callable[[dict[str, Any], int], str | None]) -> Callable[[Callable], Callable]:
    """Decorator: declare a check of a kernel's parameters that needs the number of the
    node's children (bounds on weight shares that n children cannot meet): ``check(params,
    k)`` returns None, or what is wrong; ``Methodology.check`` applies it to every node the
    kernel is chosen for, before any work [M20]."""

    def deco(fn: Callable) -> Callable:
        fn.node_check = check
        return fn

    return deco


def node_problem(fn: Callable, params: dict[str, Any], k: int) -> str | None:
    """What :func:`per_node` declared for ``fn`` says of ``params`` on a node of ``k``
    children (None: nothing wrong, or nothing declared)."""
    check = getattr(fn, "node_check", None)
    return None if check is None else check(params, k)


# ------------------------------------------------------------------ linear forms
@dataclass(frozen=True)
class LinearForm:
    """What an aggregation kernel declares when it is a quasi-arithmetic weighted mean:
    ``score = g(sum_j w'_j f(x_j))`` with ``w' = w / sum(w)`` over the children that count
    (Kolmogorov-Nagumo mean; OECD/JRC Handbook 2008, section 6.1: arithmetic ``f = x``,
    geometric ``f = log x``, harmonic ``f = 1/x``). ``f`` maps children's scores to the
    terms (NaN where undefined, e.g. log of a negative number), ``g`` the weighted sum
    ``z`` to the score. The engine sums such a node as weights times terms, one child after
    another, in one reduction shared by build, audit and web, and passes a child's ``z``
    straight to a parent of the same form (``f(g(z)) = z``: one rounding fewer)."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    g: Callable[[np.ndarray], np.ndarray]


def linear(form: LinearForm) -> Callable[[Callable], Callable]:
    """Decorator: declare a kernel's :class:`LinearForm` (read with :func:`linear_form`)."""

    def deco(fn: Callable) -> Callable:
        fn.linear_form = form
        return fn

    return deco


def linear_form(fn: Callable) -> LinearForm | None:
    """The linear form a kernel function declares, or None (the generic per-node call)."""
    return getattr(fn, "linear_form", None)


def shape_only(fn: Callable) -> Callable:
    """Decorator: a weighting kernel that reads only the shape of the children's scores, not
    their values (explicit, equal or budget weights), so the engine need not assemble the
    scores to call it."""
    fn.reads_values = False
    return fn


def reads_values(fn: Callable) -> bool:
    """Whether a weighting kernel reads the children's values (True unless declared
    :func:`shape_only`)."""
    return getattr(fn, "reads_values", True)
