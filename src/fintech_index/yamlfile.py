"""Reading and validating the YAML documents (framework, methodology, uncertainty spec) with
errors that name the file, the line and column or the field, and carry the caller's codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import FintechIndexError, Problems, one_line

Model = TypeVar("Model", bound=BaseModel)


def read_yaml(path: str | Path, error: type[FintechIndexError], what: str,
              codes: tuple[str, str, str]) -> Any:
    """The parsed document (JSON is YAML too); ``codes`` are those of a missing file, of
    bytes that are not UTF-8 and of text that is not YAML."""
    missing, not_utf8, invalid = codes
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(missing, f"{p}: no such {what}") from None
    except UnicodeDecodeError as e:
        raise error(not_utf8, f"{p.name}: not UTF-8 text (byte {e.start}); save the {what} "
                              "as UTF-8") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        raise error(invalid, f"{p.name}:{where} not valid YAML: "
                             f"{one_line(getattr(e, 'problem', None) or e)}") from None
    except (ValueError, OverflowError, RecursionError) as e:  # e.g. a date 2024-13-01
        raise error(invalid, f"{p.name}: a value YAML cannot construct: {one_line(e)}"
                    ) from None


def validate(model: type[Model], raw: Any, src: str, error: type[FintechIndexError],
             code: str) -> Model:
    """``raw`` as a ``model``, or one error with a line per invalid field."""
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        problems = Problems()
        for err in e.errors():
            loc = ".".join(str(x) for x in err["loc"]) or "(top level)"
            if err["type"] == "extra_forbidden":
                problems.add(code, f"{src}: unknown field '{loc}'")
            else:
                problems.add(code, f"{src}: field '{loc}': {err['msg']} "
                                   f"(got {err.get('input')!r})")
        raise error.of(problems) from None
