"""The boundary helpers of fintech_index.safe: file names and URL segments that cannot
escape a folder or collide, Typst text that typesets literally, console text that is not
markup and carries no terminal control."""

import io
import re

import pytest
import typst
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from fintech_index.errors import FintechIndexError
from fintech_index.safe import (
    file_segment,
    file_segments,
    plain,
    typst_length,
    typst_string,
    typst_text,
    visible,
)

SEGMENT = re.compile(r"[A-Za-z0-9_~-]+")


@pytest.mark.parametrize("name, expected", [
    ("SHA", "SHA"), ("Sao-Paulo", "Sao-Paulo"), ("Sao Paulo", "Sao_20Paulo"),
    ("Sao_Paulo", "Sao_5FPaulo"), ("../../escaped", "_2E_2E_2F_2E_2E_2Fescaped"),
    ("a/b", "a_2Fb"), ("..", "_2E_2E"), (".hidden", "_2Ehidden"), ("x\x1b[31m", "x_1B_5B31m"),
    ("São", "S_C3_A3o"), ("CON", "CON_"), ("nul", "nul_"), ("gfcdi-2025", "gfcdi-2025"),
])
def test_file_segment_hand_worked(name, expected):
    assert file_segment(name) == expected


def test_a_long_name_ends_in_a_digest_of_the_whole_name():
    a, b = file_segment("x" * 300), file_segment("x" * 299 + "y")
    assert len(a) == len(b) == 120 and a != b and a[:95] == b[:95] and a[95] == "~"


@settings(max_examples=300)
@given(st.text(min_size=1), st.text(min_size=1))
def test_file_segment_is_safe_and_injective(a, b):
    sa, sb = file_segment(a), file_segment(b)
    assert SEGMENT.fullmatch(sa) and len(sa) <= 120
    assert sa not in (".", "..")
    if a != b:
        assert sa != sb


def test_an_empty_name_and_a_case_collision_are_refused():
    with pytest.raises(FintechIndexError) as info:
        file_segment("", what="edition")
    assert info.value.codes == ("U64",) and "empty edition" in str(info.value)
    assert file_segments(["Sao-Paulo", "Sao Paulo"]) == {"Sao-Paulo": "Sao-Paulo",
                                                         "Sao Paulo": "Sao_20Paulo"}
    with pytest.raises(FintechIndexError) as info:
        file_segments(["SHA", "sha"], what="unit")
    assert info.value.codes == ("U65",)


def _typeset_text(markup: str) -> str:
    """The text of a one-page PDF Typst makes from ``markup`` (pdftotext)."""
    import subprocess
    pdf = typst.compile(f"#set page(width: 30cm, height: auto)\n{markup}".encode())
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                         check=True)
    return " ".join(out.stdout.decode("utf-8").split())


@pytest.mark.parametrize("text", [
    "= heading? *bold* _em_ $x$ #pagebreak() <label> @ref `raw` // comment",
    "line one\n\nline two", "1. not a list", "- not a list", "https://example.com/x",
    'a \\ backslash "quoted" it\'s -- --- ... ~ [x] {y}',
])
def test_typst_text_typesets_literally(text):
    expected = " ".join(text.split())
    assert _typeset_text("= " + typst_text(text)) == expected
    assert _typeset_text(f'#text("{typst_string(text)}")') == expected


def test_typst_length_never_gives_nan():
    assert typst_length(4.5) == "4.500cm"
    assert typst_length(float("nan")) == typst_length(float("inf")) == typst_length(-1) \
        == "0.000cm"


def _printed(obj) -> str:
    buf = io.StringIO()
    Console(file=buf, force_terminal=True, color_system="truecolor", width=200).print(obj)
    return buf.getvalue()


@pytest.mark.parametrize("name", ["[/x]", "[link=https://evil.example]click[/link]",
                                  "[bold red]loud", "a\x1b[31mred\x1b[0m", "\x07bell\rback"])
def test_plain_text_is_printed_as_written_without_control_characters(name):
    out = _printed(plain(name))
    assert visible(name) in out
    assert "\x1b]8;" not in out  # no hyperlink escape
    assert "\x07" not in out and "\r" not in out
    # the only ESC sequences are rich's own reset, never the user's colour
    assert "\x1b[31m" not in out


def test_visible_escapes_controls_and_bidi_overrides():
    assert visible("a\x1bb\u202ec\nd") == "a\\x1bb\\u202ec\\nd"
    assert visible("São Paulo 上海") == "São Paulo 上海"
