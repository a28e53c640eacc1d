"""fintech-index: build, audit and publish composite indices (Global Fintech Center
Development Index, UNDP's human development indices, COINr's ASEM example, ...).

The public names are imported on first use (PEP 562), so that ``import fintech_index``
and the command line's ``--help`` do not pay for NumPy, pandas and SciPy up front.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_WHERE = {
    "DataError": "errors", "FintechIndexError": "errors", "FrameworkError": "errors",
    "MethodError": "errors", "MethodologyError": "errors", "StoreError": "errors",
    "Results": "build", "build": "build",
    "compare_published": "analysis.explain", "explain": "analysis.explain",
    "convert_coinr": "coinr", "load_coinr": "coinr",
    "Framework": "framework", "framework_from_dict": "framework", "load_framework": "framework",
    "Methodology": "methodology", "load_methodology": "methodology",
    "methodology_from_dict": "methodology",
    "register": "methods",
    "IMPUTED": "panel", "OBSERVED": "panel", "TREATED": "panel", "Panel": "panel",
    "load_panel": "panel", "panel_from_arrays": "panel",
}
_MODULES = ("examples", "methods", "plot")

__all__ = [
    "IMPUTED", "OBSERVED", "TREATED", "DataError", "FintechIndexError", "Framework",
    "FrameworkError", "MethodError", "Methodology", "MethodologyError", "Panel", "Results",
    "StoreError", "__version__", "build", "compare_published", "convert_coinr", "examples",
    "explain", "framework_from_dict",
    "load_coinr", "load_framework", "load_methodology", "load_panel", "methodology_from_dict",
    "methods", "panel_from_arrays", "plot", "register",
]


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fintech_index' has no attribute {name!r}")


def __dir__() -> list[str]:
    return __all__


class _Package(types.ModuleType):
    """``fintech_index.build`` is the function, as it was when everything was imported up
    front: importing the submodule of the same name must not put the module in its place."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "build" and isinstance(value, types.ModuleType):
            value = value.build
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


if TYPE_CHECKING:  # pragma: no cover
    from . import examples, methods, plot
    from .analysis.explain import compare_published, explain
    from .build import Results, build
    from .coinr import convert_coinr, load_coinr
    from .errors import (
        DataError,
        FintechIndexError,
        FrameworkError,
        MethodError,
        MethodologyError,
        StoreError,
    )
    from .framework import Framework, framework_from_dict, load_framework
    from .methodology import Methodology, load_methodology, methodology_from_dict
    from .methods import register
    from .panel import IMPUTED, OBSERVED, TREATED, Panel, load_panel, panel_from_arrays
