"""Framework YAML: the tree, its levels, and every refusal names file, node and field."""

import pytest

import fintech_index as fi
from fintech_index.examples import datasets_dir


def ind(code, **kw):
    return {"code": code, **kw}


def nested(*children):
    return {"index": {"code": "i", "children": [{"code": "a", "children": list(children)}]}}


def test_levels_and_bottom_up_order_of_an_uneven_tree():
    fw = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "a", "children": [{"code": "a1", "children": [ind("x"), ind("y")]}]},
        ind("z"),
    ]}})
    assert fw.indicators == ("x", "y", "z")
    assert fw.aggregates == ("a1", "a", "i")
    assert [fw.level_of(c) for c in ("x", "a1", "a", "i")] == [1, 2, 3, 4]
    assert fw.path("y") == "i/a/a1/y"


def test_flat_form_equals_nested_form():
    flat = fi.framework_from_dict({"nodes": [
        {"code": "i"}, {"code": "a", "parent": "i"}, ind("x", parent="a", weight=2),
        ind("y", parent="a")]})
    tree = fi.framework_from_dict(nested(ind("x", weight=2), ind("y")))
    assert flat.node_codes == tree.node_codes
    assert flat.nodes["x"] == tree.nodes["x"]


@pytest.mark.parametrize("raw, message", [
    (nested(ind("x", weight="high")), "t.yaml: node 'i/a/x': weight 'high' is not a number"),
    (nested(ind("x", weight=0)), "node 'i/a/x': field 'weight'"),
    (nested(ind("x", weight=-2)), "not a positive finite number"),
    (nested(ind("x", colour="red")), "node 'i/a/x': unknown field 'colour'"),
    (nested(ind("x"), ind("x")), "duplicate code 'x'"),
    (nested(ind("x", direction=0)), "field 'direction': Input should be 1 or -1"),
    (nested(ind("x", goalposts=[10, 0])), "is not [lower, upper] with lower < upper"),
    (nested(ind("x", transform="sqrt")), "field 'transform'"),
    ({"index": {"code": "i", "children": [{"code": "a", "children": []}]}},
     "node 'i/a' has an empty 'children' list"),
    ({"index": {"code": "i", "goalposts": [0, 1], "children": [ind("x")]}},
     "belong to indicators, not to an aggregate"),
    ({"nodes": [{"code": "i"}, {"code": "a", "parent": "b"}, {"code": "b", "parent": "a"}]},
     "cycle in the tree: a -> b -> a"),
    ({"nodes": [{"code": "i"}, {"code": "j"}]}, "exactly one index"),
    ({"nodes": [{"code": "i"}, ind("x", parent="nope")]}, "parent 'nope' is not a node"),
    ({"nodes": [{"code": "i"}, {"code": "a", "parent": "i", "type": "aggregate"}]},
     "node 'a' is an aggregate with no children"),
    ({"tree": {}}, "unknown top-level key(s) ['tree']"),
    ([1, 2], "the top level must be a mapping"),
])
def test_bad_frameworks_are_refused_with_where_and_what(raw, message):
    with pytest.raises(fi.FrameworkError) as e:
        fi.framework_from_dict(raw, "t.yaml")
    assert message in str(e.value)
    assert str(e.value).startswith("t.yaml")


def test_yaml_alias_cycle_is_refused(tmp_path):
    p = tmp_path / "loop.yaml"
    p.write_text("index: &a {code: i, children: [*a]}\n")
    with pytest.raises(fi.FrameworkError, match="contains itself"):
        fi.load_framework(p)


def test_file_errors_name_the_file(tmp_path):
    with pytest.raises(fi.FrameworkError, match="no such framework file"):
        fi.load_framework(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("index: {code: i, children: [\n")
    with pytest.raises(fi.FrameworkError, match=r"bad.yaml: line \d+, column \d+: not valid YAML"):
        fi.load_framework(bad)
    latin = tmp_path / "latin.yaml"
    latin.write_bytes("name: caf\xe9\n".encode("latin-1"))
    with pytest.raises(fi.FrameworkError, match="not UTF-8"):
        fi.load_framework(latin)


def test_bundled_hdi_framework():
    fw = fi.load_framework(datasets_dir() / "hdr" / "hdi.yaml")
    assert fw.indicators == ("le", "eys", "mys", "gnipc")
    assert fw.aggregates == ("health", "education", "income", "hdi")
    assert fw.nodes["gnipc"].transform == "log"
    assert fw.nodes["le"].goalposts == (20.0, 85.0)
    assert fw.nodes["le"].figure_level == "country"
