"""Reading YAML with libyaml: the same documents, the same bounds and the same messages as
PyYAML's Python parser."""

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import fintech_index as fi
from fintech_index.errors import FrameworkError, MethodologyError
from fintech_index.yamlfile import FAST_LOADER, MAX_YAML_DEPTH, read_yaml, yaml_extent

DATASETS = Path(fi.__file__).parent / "datasets"
BUNDLED = sorted(DATASETS.rglob("*.yaml"))
CODES = ("F01", "F02", "F03")


def read(tmp_path: Path, text: str, error=FrameworkError):
    p = tmp_path / "f.yaml"
    p.write_text(text, encoding="utf-8")
    return read_yaml(p, error, "framework file", CODES)


def python_load(text: str):
    return yaml.load(text, Loader=yaml.SafeLoader)


def test_libyaml_is_used_where_pyyaml_has_it():
    assert FAST_LOADER is (yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader)


def test_every_bundled_yaml_reads_as_the_python_parser_reads_it():
    assert len(BUNDLED) >= 20
    for path in BUNDLED:
        text = path.read_text(encoding="utf-8")
        got = read_yaml(path, FrameworkError, "framework file", CODES)
        assert repr(got) == repr(python_load(text)), path.name  # values and their types
        assert yaml_extent(text, FAST_LOADER) == yaml_extent(text), path.name


TYPED = """\
a: [1, 2.5, .inf, -.Inf, ~, null, true, yes, no, On, 0o17, 017, 0x1f, 1_000, 1e3]
d: [2024-01-02, 2024-01-02T03:04:05Z, 12:30:00, '2024', "x\\u00e9\\n"]
anchor: &x {b: 1, c: [1, 2]}
copy: *x
merged: {<<: *x, e: 2}
tagged: [!!str 1, !!binary aGVsbG8=, !!float 3]
中文: é
folded: >
  a
  b
literal: |-
  x
? long key
: value
"""


def test_types_anchors_merges_and_tags_read_the_same(tmp_path):
    got = read(tmp_path, TYPED)
    assert repr(got) == repr(python_load(TYPED))
    assert got["copy"] == {"b": 1, "c": [1, 2]} and got["merged"]["e"] == 2
    # YAML 1.1: 017 is octal, 0o17 a string
    assert got["a"][10:13] == ["0o17", 15, 31] and got["tagged"][:2] == ["1", b"hello"]


@pytest.mark.parametrize(("text", "message"), [
    # the Python parser's words, where libyaml's are "found undefined alias", "found
    # character that cannot start any token", "did not find expected node content" ...
    ("a: *nope\n", "f.yaml: line 1, column 4: not valid YAML: found undefined alias 'nope'"),
    ("a:\n\t- x\n", "f.yaml: line 2, column 1: not valid YAML: found character '\\t' that "
                    "cannot start any token"),
    ("index: {code: i, children: [\n", "f.yaml: line 2, column 1: not valid YAML: expected "
                                       "the node content, but found '<stream end>'"),
    ("a: b: c\n", "f.yaml: line 1, column 5: not valid YAML: mapping values are not "
                  "allowed here"),
    ("a:\n  - b\n  c: d\n", "f.yaml: line 3, column 3: not valid YAML: expected <block "
                            "end>, but found '?'"),
    ("a: \x07\n", "f.yaml: not valid YAML: unacceptable character #x0007: special "
                  "characters are not allowed in \"<unicode string>\", position 3"),
    ("x: 2024-13-01\n", "f.yaml: a value YAML cannot construct: month must be in 1..12"),
])
def test_a_refused_document_gets_the_python_parsers_message(tmp_path, text, message):
    with pytest.raises(FrameworkError) as info:
        read(tmp_path, text)
    assert str(info.value) == message + " [F03]"


def nested(depth: int) -> str:
    """A block mapping ``depth`` levels deep (a: / a: / ... / b: 1): depth + 1 levels."""
    return "".join("  " * i + "a:\n" for i in range(depth - 1)) + "  " * (depth - 1) + "b: 1\n"


def test_the_depth_bound_holds_and_a_document_at_it_is_read(tmp_path):
    doc = read(tmp_path, nested(MAX_YAML_DEPTH))
    for _ in range(MAX_YAML_DEPTH - 1):
        doc = doc["a"]
    assert doc == {"b": 1}
    with pytest.raises(MethodologyError) as info:
        read(tmp_path, nested(MAX_YAML_DEPTH + 1), MethodologyError)
    assert info.value.codes == ("M68",) and f"over {MAX_YAML_DEPTH:,} levels deep" in \
        str(info.value)


scalars = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                    st.booleans(), st.none(), st.text(max_size=8))
documents = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
    max_leaves=20)


@settings(max_examples=60, deadline=None)
@given(documents, st.booleans())
def test_any_dumped_document_reads_back_as_the_python_parser_reads_it(tmp_path_factory,
                                                                     doc, flow):
    text = yaml.safe_dump({"doc": doc}, default_flow_style=flow, allow_unicode=True)
    got = read(tmp_path_factory.mktemp("y"), text)
    assert repr(got) == repr(python_load(text))
    assert yaml_extent(text, FAST_LOADER) == yaml_extent(text)


def test_extent_stops_reading_at_the_first_bound_crossed():
    """A 200 KB flow sequence 100,000 levels deep: the extent pass stops at level 701 (the
    Python scanner is quadratic in depth and took 7 minutes to read it all). libyaml
    refuses it itself (its nesting limit is 1,000 and it scans ahead), and read_yaml then
    reads it with the Python parser, as here."""
    text = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"
    nodes, depth = yaml_extent(text, yaml.SafeLoader)
    assert depth == MAX_YAML_DEPTH + 1  # the mapping and 700 lists
    assert nodes == 2 + MAX_YAML_DEPTH  # the mapping, its key a and the lists


@pytest.mark.parametrize("depth", [701, 1001, 100_000])
def test_a_very_deep_document_is_refused(tmp_path, depth):
    """Over libyaml's own nesting bound (1,000) libyaml says where; under it our extent pass
    does."""
    with pytest.raises(MethodologyError) as info:
        read(tmp_path, "a: " + "[" * depth + "]" * depth + "\n", MethodologyError)
    assert info.value.codes == ("M68",)
    message = str(info.value)
    if depth > 1000 and yaml.__with_libyaml__:
        assert message.startswith("f.yaml: line 1, column 1003: over 1,000 levels deep; a "
                                  "framework file may have at most 700 levels")
    else:
        assert message.startswith("f.yaml: over 702 values when its aliases are expanded, "
                                  "over 700 levels deep")
