"""The one "did you mean" hint (errors.did_you_mean) that every unknown-name message gives;
the messages themselves are pinned where they are raised (tests/test_hostile.py)."""

from pathlib import Path

import fintech_index
from fintech_index.errors import did_you_mean


def test_the_closest_name_at_a_ratio_of_at_least_0_6():
    """difflib's ratio 2M / T: 'normalize' ~ 'normalise' 2 x 8 / 18 = 0.89; 'abc' ~ 'abd'
    2 x 2 / 6 = 0.67 (kept); 'abcde' ~ 'axxxe' 2 x 2 / 10 = 0.4 (too far)."""
    assert did_you_mean("normalize", ["treat", "normalise"]) == "did you mean 'normalise'?"
    assert did_you_mean("abc", ["abd"]) == "did you mean 'abd'?"
    assert did_you_mean("abcde", ["axxxe"]) == ""
    assert did_you_mean("x", []) == ""


def test_before_and_after_only_when_there_is_a_hint():
    assert did_you_mean("idz", ("idx", "A"), before=" (", after=")") == " (did you mean 'idx'?)"
    assert did_you_mean("zzz", ("idx", "A"), before=" (", after=")") == ""
    # names are quoted as repr() quotes them: one holding a quote stays readable
    assert did_you_mean("o'hara", ["O'Hare", "o'hare"]) == 'did you mean "o\'hare"?'


def test_no_module_finds_close_names_on_its_own():
    src = Path(fintech_index.__file__).parent
    users = sorted(p.relative_to(src).as_posix() for p in src.rglob("*.py")
                   if "get_close_matches" in p.read_text(encoding="utf-8"))
    assert users == ["errors.py"]
