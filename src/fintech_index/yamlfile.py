"""Reading and validating the YAML documents (framework, methodology, uncertainty spec) with
errors that name the file, the line and column or the field, and carry the caller's codes."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from .errors import FintechIndexError, Problems, did_you_mean, one_line

Model = TypeVar("Model", bound=BaseModel)


MAX_YAML_BYTES = 4 * 1024 * 1024  # a framework of thousands of nodes is under 1 MB
MAX_YAML_NODES = 200_000  # scalars and collections, every alias counted as what it repeats
MAX_YAML_DEPTH = 700  # nested collections (a 300-level index tree is about 600)
# the codes of a document over these bounds, by the family of the caller's error
LIMIT_CODES = {"F": "F68", "M": "M68"}
# libyaml's parser when PyYAML was built with it (about 10 times faster: some 60 ms of every
# command on the ASEM files); the constructor and resolver are the same Python classes, so
# the values are the same. Its error texts are terser ("found undefined alias" without the
# name), so a document it refuses is read again by the Python parser for the message.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# libyaml's own nesting bound and its words for it: a document over it is over ours, and
# the Python parser would take seconds to say so (its scanner is quadratic in depth)
LIBYAML_TOO_DEEP, LIBYAML_MAX_DEPTH = "exceeded maximum nesting depth", 1000


@contextmanager
def _recursion_room(depth: int) -> Iterator[None]:
    """PyYAML composes and constructs recursively (a few frames per level): room for a
    document ``depth`` levels deep, restored afterwards. Python 3.11+ does not use the C
    stack for these Python-to-Python calls."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, 8 * depth + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def yaml_extent(text: str, loader: type = yaml.SafeLoader) -> tuple[int, int]:
    """(nodes, depth) of a YAML text with every alias expanded, from the parser's events
    (no recursion, no construction), so an alias bomb (``a: &a [x, x]``, ``b: &b [*a,
    *a]``, ... : 2^n nodes from n lines) is measured before anything is built. A node
    counts 1 plus its contents; an alias counts the nodes of its anchor. Reading stops as
    soon as either is over its bound (MAX_YAML_NODES, MAX_YAML_DEPTH)."""
    sizes: dict[str, int] = {}
    open_: list[list] = []  # [anchor, nodes so far] per open collection
    depth = deepest = 0
    seen = 0  # nodes met so far, aliases expanded (a collection counts 1 at its start)

    def into_parent(k: int) -> None:
        if open_:
            open_[-1][1] += k

    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.ScalarEvent):
            if event.anchor:
                sizes[event.anchor] = 1
            seen += 1
            into_parent(1)
        elif isinstance(event, yaml.AliasEvent):
            k = sizes.get(event.anchor, 1)
            seen += k
            into_parent(k)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            open_.append([event.anchor, 1])
            seen += 1
            depth += 1
            deepest = max(deepest, depth)
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, n = open_.pop()  # already in seen, node by node
            depth -= 1
            if anchor:
                sizes[anchor] = n
            into_parent(n)
        if seen > MAX_YAML_NODES or deepest > MAX_YAML_DEPTH:  # no need to read on:
            return seen, deepest  # Python's scanner is quadratic in depth (100,000: 7 min)
    return seen, deepest


def read_yaml(path: str | Path, error: type[FintechIndexError], what: str,
              codes: tuple[str, str, str]) -> Any:
    """The parsed document (JSON is YAML too); ``codes`` are those of a missing file, of
    bytes that are not UTF-8 and of text that is not YAML. A document over MAX_YAML_BYTES,
    MAX_YAML_NODES (aliases expanded) or MAX_YAML_DEPTH is refused before it is built
    [F68 / M68]."""
    missing, not_utf8, invalid = codes
    p = Path(path)
    if p.is_dir():  # '' is '.'
        raise error(missing, f"{p}: no such {what} (it is a folder)")
    try:
        size = p.stat().st_size
        if size > MAX_YAML_BYTES:
            raise error(LIMIT_CODES[error.family],
                        f"{p.name}: {size:,} bytes; a {what} may have at most "
                        f"{MAX_YAML_BYTES:,}")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(missing, f"{p}: no such {what}") from None
    except UnicodeDecodeError as e:
        raise error(not_utf8, f"{p.name}: not UTF-8 text (byte {e.start}); save the {what} "
                              "as UTF-8") from None
    if FAST_LOADER is not yaml.SafeLoader:
        try:
            return _load_bounded(text, FAST_LOADER, p.name, error, what)
        except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as e:
            if getattr(e, "problem", None) == LIBYAML_TOO_DEEP:  # its bound is over ours
                mark = e.problem_mark
                raise error(LIMIT_CODES[error.family],
                            f"{p.name}: line {mark.line + 1}, column {mark.column + 1}: over "
                            f"{LIBYAML_MAX_DEPTH:,} levels deep; a {what} may have at most "
                            f"{MAX_YAML_DEPTH:,} levels") from None
            # refused: the Python parser below says where and what in its own words
    try:
        return _load_bounded(text, yaml.SafeLoader, p.name, error, what)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}:" if mark else ""
        raise error(invalid, f"{p.name}:{where} not valid YAML: "
                             f"{one_line(getattr(e, 'problem', None) or e)}") from None
    except (ValueError, OverflowError, RecursionError) as e:  # e.g. a date 2024-13-01
        raise error(invalid, f"{p.name}: a value YAML cannot construct: {one_line(e)}"
                    ) from None


def _load_bounded(text: str, loader: type, name: str, error: type[FintechIndexError],
                  what: str) -> Any:
    """The document of ``text`` read by ``loader``, refused [F68 / M68] when over
    MAX_YAML_NODES values (aliases expanded) or MAX_YAML_DEPTH levels."""
    nodes, depth = yaml_extent(text, loader)
    if nodes > MAX_YAML_NODES or depth > MAX_YAML_DEPTH:
        deep = f"over {MAX_YAML_DEPTH:,}" if depth > MAX_YAML_DEPTH else f"{depth:,}"
        raise error(LIMIT_CODES[error.family],
                    f"{name}: over {min(nodes, MAX_YAML_NODES):,} values when its "
                    f"aliases are expanded, {deep} levels deep; a {what} may have at "
                    f"most {MAX_YAML_NODES:,} values (aliases expanded) and "
                    f"{MAX_YAML_DEPTH:,} levels")
    with _recursion_room(depth):
        return yaml.load(text, Loader=loader)  # SafeLoader or CSafeLoader


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The field names accepted at ``loc`` inside ``model`` (list indices and dict keys
    skipped); [] where the path leaves the models."""
    import typing

    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (isinstance(current, type)
                                         and issubclass(current, BaseModel)):
            continue
        field = current.model_fields.get(str(part))
        if field is None:
            return []
        inner = [a for a in typing.get_args(field.annotation) or (field.annotation,)
                 if isinstance(a, type) and issubclass(a, BaseModel)]
        if not inner:
            for a in typing.get_args(field.annotation):
                inner += [b for b in typing.get_args(a)
                          if isinstance(b, type) and issubclass(b, BaseModel)]
        current = inner[0] if inner else None
    return list(current.model_fields) if isinstance(current, type) and \
        issubclass(current, BaseModel) else []


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
                problems.add(code, f"{src}: unknown field '{loc}'"
                                   + did_you_mean(err["loc"][-1],
                                                  _fields_at(model, err["loc"][:-1]),
                                                  before=" (", after=")"))
            else:
                problems.add(code, f"{src}: field '{loc}': {err['msg']} "
                                   f"(got {err.get('input')!r})")
        raise error.of(problems) from None
