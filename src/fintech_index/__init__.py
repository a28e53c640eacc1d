"""fintech-index: build, audit and publish composite indices (Global Fintech Center
Development Index, UNDP's human development indices, COINr's ASEM example, ...)."""

__version__ = "0.1.0"

from . import examples, methods  # noqa: E402
from .build import Results, build  # noqa: E402
from .coinr import convert_coinr, load_coinr  # noqa: E402
from .errors import (  # noqa: E402
    DataError,
    FintechIndexError,
    FrameworkError,
    MethodError,
    MethodologyError,
    StoreError,
)
from .framework import Framework, framework_from_dict, load_framework  # noqa: E402
from .methodology import Methodology, load_methodology, methodology_from_dict  # noqa: E402
from .methods import register  # noqa: E402
from .panel import IMPUTED, OBSERVED, TREATED, Panel, load_panel, panel_from_arrays  # noqa: E402

__all__ = [
    "DataError", "FintechIndexError", "Framework", "FrameworkError", "MethodError",
    "Methodology", "MethodologyError", "Panel", "StoreError", "Results", "build", "examples",
    "framework_from_dict", "load_framework", "load_methodology", "load_panel",
    "methodology_from_dict", "panel_from_arrays", "register", "methods", "__version__",
    "IMPUTED", "OBSERVED", "TREATED", "convert_coinr", "load_coinr",
]
