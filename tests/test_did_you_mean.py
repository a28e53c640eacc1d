"""The one "did you mean" hint (errors.did_you_mean) that every unknown-name message gives;
the messages themselves are pinned where they are raised (tests/test_hostile.py)."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

import fintech_index
from fintech_index.cli import app
from fintech_index.districts import check_unit
from fintech_index.errors import FintechIndexError, did_you_mean, did_you_mean_unit


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


def test_a_unit_is_matched_by_its_code_or_its_name_in_any_case():
    """'Shangai' ~ 'shanghai' 2 x 7 / 15 = 0.93: the name and its code; a code typo finds the
    code; nothing close gives no hint."""
    names = {"SHA": "Shanghai", "NYC": "New York", "LON": ""}
    assert did_you_mean_unit("Shangai", names) == "did you mean 'Shanghai', code SHA?"
    assert did_you_mean_unit(" shanghia ", names) == "did you mean 'Shanghai', code SHA?"
    assert did_you_mean_unit("nyk", names, " (", ")") == " (did you mean 'New York', code NYC?)"
    assert did_you_mean_unit("LNO", names) == "did you mean 'LON'?"  # no name: the code
    assert did_you_mean_unit("Atlantis", names) == ""


def test_city_arguments_of_the_command_line_get_the_hint(tmp_path):
    """build --focus (refused before the ranking is printed or a folder made), explain A B
    and publish --cities."""
    out = tmp_path / "out"
    r = CliRunner().invoke(app, ["build", "--focus", "Shangai", "--out", str(out)])
    assert r.exit_code == 2 and "[U49]" in r.output
    assert "'Shangai': no ranked city of the 2025 edition has this code or name (did you " \
           "mean 'Shanghai', code SHA?)" in " ".join(r.output.split())
    assert "ranking 2025" not in r.output and not out.exists()
    r = CliRunner().invoke(app, ["explain", "Shangai", "NYC"])
    assert "no unit 'Shangai' in these results (did you mean 'Shanghai', code SHA?)" in \
        " ".join(r.output.split())
    with pytest.raises(FintechIndexError, match=r"'SHAA' is not one of the cities here "
                                                r"\(did you mean 'SHA'\?\).*\[U52\]"):
        check_unit("SHAA", ["NYC", "SHA"], "--cities")
