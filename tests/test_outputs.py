"""Nothing written where it was not asked (issue 22): outputs replace a symbolic link instead
of writing through it, never overwrite an input, refuse an empty, file or read-only output
path with a code, list each run's files in its manifest (an earlier run's other files are
removed), and show control and bidirectional-override characters of names as escapes."""

import errno
import json
import os
import stat
import unicodedata
import zipfile
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import fintech_index as fi
from fintech_index.cli import app
from fintech_index.errors import FintechIndexError
from fintech_index.outfiles import listed_files, output_run, replacing, write_text
from fintech_index.publish.excel import write_workbook
from fintech_index.publish.site import write_site
from fintech_index.safe import printable

from .helpers import units_yaml

runner = CliRunner()
FW = "index: {code: i, children: [{code: a}, {code: b}]}\n"
TWO_YEARS = "unit,year,a,b\nX,2023,1,2\nY,2023,3,1\nX,2024,1,2\nY,2024,3,1\n"
ONE_YEAR = "unit,year,a,b\nX,2024,1,2\nY,2024,3,1\n"
EVIL = "Evil\x1b[31m\u202eCity\x00"
RAW = (b"\x1b", b"\x00", "\u202e".encode())  # bytes no text output may hold


def inputs(tmp: Path, data: str = TWO_YEARS) -> tuple[Path, Path]:
    (tmp / "f.yaml").write_text(FW + units_yaml("X", "Y"))
    (tmp / "d.csv").write_text(data)
    return tmp / "f.yaml", tmp / "d.csv"


def build(tmp: Path, out, *more: str, data: str = TWO_YEARS):
    fw, d = inputs(tmp, data)
    return runner.invoke(app, ["build", str(fw), str(d), "--out", str(out), *more])


def files_under(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def refused(r, code: str) -> str:
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output and f"[{code}]" in r.output, r.output
    return r.output


# ------------------------------------------------------------------ 1. links are replaced

def test_a_linked_output_file_is_replaced_and_the_file_it_points_at_kept(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious\x00bytes\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "ranking_2024.csv").symlink_to(victim)
    (out / "results.parquet").symlink_to(victim)
    r = build(tmp_path, out)
    assert r.exit_code == 0, r.output
    assert victim.read_bytes() == b"precious\x00bytes\n"
    for name in ("ranking_2024.csv", "results.parquet"):
        assert not (out / name).is_symlink() and (out / name).is_file()
    assert (out / "ranking_2024.csv").read_text().startswith("unit,name,rank,score")


def small_results(tmp: Path, name: str = "Xville"):
    fw = fi.load_framework(inputs(tmp)[0])
    units = tmp / "u.csv"
    units.write_text(f"code,name,region\nX,{name},R1\nY,Yton,R2\n", encoding="utf-8")
    return fi.build(fw, fi.load_panel(tmp / "d.csv", fw, units=units))


def test_a_linked_site_page_and_workbook_are_replaced_not_written_through(tmp_path):
    victim = tmp_path / "victim.html"
    victim.write_bytes(b"<p>mine</p>")
    site = tmp_path / "site"
    (site / "city").mkdir(parents=True)
    (site / "index.html").symlink_to(victim)
    (site / "city" / "X.html").symlink_to(victim)
    book = tmp_path / "book.xlsx"
    book.symlink_to(victim)
    res = small_results(tmp_path)
    write_site(res, site, langs=("en",))
    write_workbook(res, book)
    assert victim.read_bytes() == b"<p>mine</p>"
    for p in (site / "index.html", site / "city" / "X.html", book):
        assert p.is_file() and not p.is_symlink()
    assert "Xville" in (site / "index.html").read_text()
    assert zipfile.is_zipfile(book)


def test_a_linked_folder_inside_the_output_folder_is_refused(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(FintechIndexError, match=r"sub: is a symbolic link .*\[U86\]"):
        with output_run(out):
            write_text(out / "sub" / "x.txt", "x")
    assert list(elsewhere.iterdir()) == []


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "a.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError), replacing(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("the writer failed")
    assert target.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["a.txt"]


def test_a_written_file_has_the_permissions_of_a_plainly_written_one(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    p = write_text(tmp_path / "a.txt", "x")
    assert stat.S_IMODE(p.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)  # not 0600


# ------------------------------------------------------------------ 2. inputs are kept

def test_build_refuses_to_overwrite_its_input_methodology(tmp_path):
    meth = tmp_path / "methodology.yaml"
    meth.write_text("# my notes\nnormalise: {method: n_minmax}\n")
    before = meth.read_bytes()
    out = refused(build(tmp_path, tmp_path, "-m", str(meth)), "U85")
    assert "methodology.yaml: is the input file" in out
    assert meth.read_bytes() == before
    # a refused run writes nothing, not even the files it had made before the refusal
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.csv", "f.yaml", "methodology.yaml"]


def test_an_input_reached_by_another_path_is_kept_too(tmp_path):
    """A hard link to the data named like an output is the same file: refused."""
    out = tmp_path / "out"
    out.mkdir()
    inputs(tmp_path)
    os.link(tmp_path / "d.csv", out / "weights.csv")
    refused(build(tmp_path, out), "U85")
    assert (tmp_path / "d.csv").read_text() == TWO_YEARS


# ------------------------------------------------------------ 3, 5. output paths refused

def test_an_empty_out_is_refused_and_nothing_written_here(tmp_path, monkeypatch):
    inputs(tmp_path)
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["build", "f.yaml", "d.csv", "--out", ""])
    assert "--out: the output path is empty" in refused(r, "U81")
    assert sorted(os.listdir(tmp_path)) == ["d.csv", "f.yaml"]


@pytest.mark.parametrize("where, code, words", [
    ("file", "U82", "is a file, not a folder"),
    ("file/under", "U83", "a part of this path is a file")])
def test_an_out_that_is_or_is_under_a_file_is_refused(tmp_path, where, code, words):
    (tmp_path / "file").write_text("keep")
    out = refused(build(tmp_path, tmp_path / where), code)
    assert f"{tmp_path / where}: {words}" in out
    assert (tmp_path / "file").read_text() == "keep"


def test_publish_refuses_a_site_that_is_a_file_before_building(tmp_path):
    (tmp_path / "site").write_text("keep")
    r = runner.invoke(app, ["publish", "e", "--site", str(tmp_path / "site")])
    refused(r, "U82")
    assert runner.invoke(app, ["publish", "e", "--xlsx", ""]).output.count("[U81]") == 1


def test_a_read_only_out_is_refused_with_the_reason(tmp_path):
    """The file system's refusal (here a read-only mount, simulated: tests run as root,
    whom permissions do not stop) is a coded error naming the folder."""
    rofs = OSError(errno.EROFS, os.strerror(errno.EROFS))
    with mock.patch("pathlib.Path.mkdir", side_effect=rofs):
        out = refused(build(tmp_path, tmp_path / "ro"), "U84")
    assert "ro: cannot make this folder (Read-only file system; the file system is " \
           "mounted read-only)" in " ".join(out.split())
    (tmp_path / "full").mkdir()
    with mock.patch("tempfile.mkstemp", side_effect=OSError(errno.EACCES, "Permission denied")):
        out = refused(build(tmp_path, tmp_path / "full"), "U84")
    assert "cannot write this file (Permission denied" in " ".join(out.split())
    no_writing = mock.patch("os.access", side_effect=lambda p, mode, **kw: not mode & os.W_OK)
    with no_writing:  # checked before the build
        out = refused(build(tmp_path, tmp_path / "full"), "U84")
    assert "full: cannot write in this folder (Permission denied" in " ".join(out.split())


# ------------------------------------------------------------------ 4. one run, one list

def test_a_rebuild_removes_the_earlier_runs_files_and_lists_what_is_there(tmp_path):
    out = tmp_path / "out"
    assert build(tmp_path, out).exit_code == 0
    first = files_under(out)
    assert {"ranking_2023.csv", "changes_2024.csv", "gaps_2024.json"} <= first
    assert json.loads((out / "manifest.json").read_text())["files"] == sorted(first)
    (out / "notes.txt").write_text("mine")  # a file the tool did not write
    r = build(tmp_path, out, data=ONE_YEAR)
    assert r.exit_code == 0, r.output
    now = files_under(out)
    assert not {"ranking_2023.csv", "changes_2024.csv", "gaps_2024.json"} & now
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"] == sorted(now - {"notes.txt"})
    assert manifest["years"] == [2024] and (out / "notes.txt").read_text() == "mine"


def test_only_files_inside_the_folder_that_the_manifest_lists_are_removed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("mine")
    out = tmp_path / "out"
    out.mkdir()
    listing = {"files": ["../victim.txt", str(victim), "old.csv", "sub/../old.csv", 3]}
    (out / "manifest.json").write_text(json.dumps(listing))
    (out / "old.csv").write_text("stale")
    assert listed_files(out) == []  # not written by this package: its list is not used
    (out / "manifest.json").write_text(json.dumps({**listing, "written_by": "fintech-index",
                                                   "run": "build"}))
    assert listed_files(out) == ["old.csv"]
    assert build(tmp_path, out).exit_code == 0
    assert victim.read_text() == "mine" and not (out / "old.csv").exists()


def test_a_foreign_manifest_removes_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.csv").write_text("mine")
    (out / "manifest.json").write_text(json.dumps({"files": ["mine.csv"]}))
    assert build(tmp_path, out).exit_code == 0
    assert (out / "mine.csv").read_text() == "mine"


def test_a_run_of_another_kind_removes_none_of_a_builds_files(tmp_path):
    """A site published into a build's folder leaves the build's files (and the reverse)."""
    out = tmp_path / "out"
    with output_run(out):
        write_text(out / "ranking_2024.csv", "r")
    with output_run(out, kind="site"):
        write_text(out / "index.html", "i")
    with output_run(out):
        write_text(out / "ranking_2024.csv", "r")
    assert files_under(out) == {"manifest.json", "ranking_2024.csv", "index.html"}


def test_files_in_folders_of_an_earlier_run_go_with_their_emptied_folders(tmp_path):
    out = tmp_path / "out"
    with output_run(out):
        write_text(out / "site" / "city" / "X.html", "x")
        write_text(out / "site" / "index.html", "i")
    with output_run(out):
        write_text(out / "site" / "index.html", "i2")
    assert files_under(out) == {"manifest.json", "site/index.html"}
    assert sorted(p.name for p in (out / "site").iterdir()) == ["index.html"]


def test_a_failed_rebuild_keeps_the_earlier_run(tmp_path):
    """Refused before building (a bad methodology) or half-way through writing (the input
    methodology is the output methodology.yaml: refused after results.parquet and the
    rankings were written), the folder holds the earlier run's files, bytes and all."""
    out = tmp_path / "out"
    assert build(tmp_path, out).exit_code == 0
    before = {name: (out / name).read_bytes() for name in files_under(out)}
    (tmp_path / "m.yaml").write_text("normalise: {method: n_nope}\n")
    assert build(tmp_path, out, "-m", str(tmp_path / "m.yaml"), data=ONE_YEAR).exit_code == 2
    (out / "methodology.yaml").write_text("normalise: {method: n_zscore}\n")
    before["methodology.yaml"] = (out / "methodology.yaml").read_bytes()
    refused(build(tmp_path, out, "-m", str(out / "methodology.yaml"), data=ONE_YEAR), "U85")
    assert {name: (out / name).read_bytes() for name in files_under(out)} == before


def test_results_write_alone_keeps_its_own_list(tmp_path):
    res = small_results(tmp_path)
    written = res.write(tmp_path / "o")
    listed = json.loads((tmp_path / "o" / "manifest.json").read_text())["files"]
    assert listed == sorted(p.name for p in written) == sorted(files_under(tmp_path / "o"))


# ------------------------------------------------------------------ 6. --top

@pytest.mark.parametrize("top", ["-5", "0"])
def test_a_top_that_is_not_positive_is_refused(tmp_path, top):
    out = refused(build(tmp_path, tmp_path / "o", "--top", top), "U80")
    assert "Invalid value for '--top'" in out  # click's words differ between versions
    assert "x>=1" in out or "greater than or equal to 1" in out
    assert not (tmp_path / "o").exists()


# ---------------------------------------------------- 7. control characters in names

def test_control_characters_of_a_name_are_escaped_in_every_text_output(tmp_path):
    units = tmp_path / "u.csv"
    units.write_text(f"code,name,region\nX,{EVIL},R1\nY,Yton,R2\n", encoding="utf-8")
    fw, d = inputs(tmp_path)
    out = tmp_path / "out"
    r = runner.invoke(app, ["build", str(fw), str(d), "--units", str(units), "--out", str(out)])
    assert r.exit_code == 0, r.output
    shown = r"Evil\x1b[31m\u202eCity\x00"
    assert shown in r.output and not any(b.decode() in r.output for b in RAW)
    for p in out.iterdir():  # the text files; results.parquet keeps the data as they are
        if p.suffix != ".parquet":
            assert not any(b in p.read_bytes() for b in RAW), p.name
    assert f"X,{shown},1," in (out / "ranking_2024.csv").read_text()
    assert shown in (out / "lead_2024.txt").read_text()
    res = small_results(tmp_path, EVIL)
    write_site(res, tmp_path / "site", langs=("en",))
    pages = list((tmp_path / "site").rglob("*.html"))
    for p in pages:
        assert not any(b in p.read_bytes() for b in RAW), p
    assert shown in (tmp_path / "site" / "index.html").read_text()
    write_workbook(res, tmp_path / "b.xlsx")
    with zipfile.ZipFile(tmp_path / "b.xlsx") as z:
        xml = b"".join(z.read(n) for n in z.namelist())
    assert shown.encode() in xml and not any(b in xml for b in RAW)


def test_printable_examples():
    assert printable(EVIL) == r"Evil\x1b[31m\u202eCity\x00"
    assert printable("two\tcolumns\nlines") == "two\tcolumns\nlines"
    assert printable("S\u00e3o Paulo \u4e0a\u6d77") == "S\u00e3o Paulo \u4e0a\u6d77"
    assert printable("a\u2028b\u200fc") == r"a\u2028b\u200fc"


@given(st.text())
def test_printable_leaves_no_control_character_but_line_breaks_and_tabs(text):
    out = printable(text)
    assert all(c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")
               for c in out)
    if not any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
        assert out == text


def test_a_refused_coinr_conversion_writes_none_of_its_files(tmp_path):
    """convert-coinr into the folder of its iData named data.csv: refused at data.csv
    (U85), after framework.yaml and units.csv were made, none of which is left."""
    from fintech_index.examples import datasets_dir

    coinr = datasets_dir() / "asem" / "coinr"
    (tmp_path / "data.csv").write_bytes((coinr / "iData.csv").read_bytes())
    (tmp_path / "iMeta.csv").write_bytes((coinr / "iMeta.csv").read_bytes())
    r = runner.invoke(app, ["convert-coinr", str(tmp_path / "data.csv"),
                            str(tmp_path / "iMeta.csv"), "--out", str(tmp_path)])
    assert "data.csv: is the input file" in refused(r, "U85")
    assert sorted(os.listdir(tmp_path)) == ["data.csv", "iMeta.csv"]
    assert (tmp_path / "data.csv").read_bytes() == (coinr / "iData.csv").read_bytes()
    r = runner.invoke(app, ["convert-coinr", str(tmp_path / "data.csv"),
                            str(tmp_path / "iMeta.csv"), "--out", str(tmp_path / "new")])
    assert r.exit_code == 0, r.output
    assert sorted(os.listdir(tmp_path / "new")) == ["data.csv", "framework.yaml",
                                                   "methodology.yaml", "units.csv"]


def test_publish_lists_the_site_and_replaces_a_linked_page(tmp_path):
    """`publish e --site site` where site/index.html links to a file outside: the file is
    kept, the page is a file, and the site's manifest lists exactly its files."""
    victim = tmp_path / "victim.html"
    victim.write_bytes(b"<p>mine</p>")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").symlink_to(victim)
    r = runner.invoke(app, ["publish", "e", "--site", str(site), "--example", "tai"])
    assert r.exit_code == 0, r.output
    assert victim.read_bytes() == b"<p>mine</p>" and not (site / "index.html").is_symlink()
    manifest = json.loads((site / "manifest.json").read_text())
    assert manifest["files"] == sorted(files_under(site)) and manifest["edition"] == "e"


# ------------------------------------------------------------------ 9. a writer failing

@pytest.mark.parametrize("where", ["results", "report"])
def test_a_build_failing_in_either_writer_prints_the_error_and_keeps_the_earlier_run(
        tmp_path, where):
    """build writes the results, then the edition report: a coded error in either (the
    results' Parquet file is written in a worker thread) is printed as the command's, and
    the folder keeps the earlier run's files, bytes and all, with no temporary file."""
    out = tmp_path / "out"
    assert build(tmp_path, out).exit_code == 0
    before = {name: (out / name).read_bytes() for name in files_under(out)}
    target = ("fintech_index.build.Results.write_parquet" if where == "results"
              else "fintech_index.publish.report.profile_table")
    with mock.patch(target, side_effect=FintechIndexError("U84", f"{where} failed")):
        assert f"{where} failed" in refused(build(tmp_path, out), "U84")
    assert {name: (out / name).read_bytes() for name in os.listdir(out)} == before
