"""The fintech-index command: exit codes, messages without tracebacks, files written."""

import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from fintech_index.cli import app

from .helpers import units_yaml

runner = CliRunner()


def test_build_of_the_bundled_hdi(tmp_path):
    r = runner.invoke(app, ["build", "--example", "hdi", "--out", str(tmp_path), "--top", "5"])
    assert r.exit_code == 0, r.output
    assert "Switzerland" in r.output and "0.967" in r.output
    assert (tmp_path / "hdi" / "results.parquet").exists()
    assert (tmp_path / "hdi" / "ranking_2022.csv").read_text().splitlines()[1].startswith("CHE,")


def test_build_of_user_files_and_bad_input_exit_2(tmp_path):
    fw = tmp_path / "f.yaml"
    fw.write_text("index: {code: i, children: [{code: a}, {code: b, weight: high}]}\n")
    data = tmp_path / "d.csv"
    data.write_text("unit,year,a,b\nX,2024,1,2\nY,2024,3,1\n")
    r = runner.invoke(app, ["build", str(fw), str(data), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "f.yaml: node 'i/b': weight 'high' is not a number" in r.output
    assert "Traceback" not in r.output
    fw.write_text("index: {code: i, children: [{code: a}, {code: b}]}\n" + units_yaml("X", "Y"))
    r = runner.invoke(app, ["build", str(fw), str(data), "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "o" / "ranking_2024.csv").exists()


def test_build_prints_the_regional_leads_and_lead_it_computed(tmp_path):
    """A region named 'NA' (North America) is printed as NA: the table is printed from the
    analysis, not read back from the CSV it was written to (pandas reads 'NA' as missing);
    the sentence count is that of the sentences written."""
    fw = tmp_path / "f.yaml"
    fw.write_text("index: {code: i, children: [{code: a}, {code: b}]}\n")
    data = tmp_path / "d.csv"
    data.write_text("unit,year,a,b\nX,2023,1,2\nY,2023,3,1\nZ,2023,2,2\n"
                    "X,2024,1,2\nY,2024,3,1\nZ,2024,3,3\n")
    units = tmp_path / "u.csv"
    units.write_text("code,name,region\nX,Xville,NA\nY,Yton,EU\nZ,Zburg,NA\n")
    out = tmp_path / "o"
    r = runner.invoke(app, ["build", str(fw), str(data), "--units", str(units), "--out",
                            str(out)])
    assert r.exit_code == 0, r.output
    rows = [line.split("│")[1:-1] for line in r.output.splitlines() if line.startswith("│ ")]
    leads = [[c.strip() for c in row] for row in rows if len(row) == 6]
    # Z 100 and X 25 in NA: mean 62.5; a: Z 100, X 0 -> 50; b: Z 100, X 50 -> 75
    assert leads == [["NA", "2", "2", "62.5", "50.0", "75.0"],
                     ["EU", "1", "1", "50.0", "100.0", "0.0"]]
    assert "nan" not in r.output
    n = len((out / "sentences_2024.txt").read_text().splitlines())
    assert f"({n} sentences in all: lead_2024.txt by section, sentences_2024.txt)" in r.output
    lead = (out / "lead_2024.txt").read_text().split("\n\n")[0]
    assert lead.startswith("The 2024 ranking is led by Zburg") and lead in r.output


def test_build_labels_a_year_recomputed_on_a_later_framework_as_a_back_cast(tmp_path):
    """The change column is against the previous year; a framework of edition 2025 (meta:
    edition) computes 2024 on the 2025 framework: a back-cast, and the column says so."""
    data = tmp_path / "d.csv"
    data.write_text("unit,year,a,b\nX,2024,1,2\nY,2024,3,1\nX,2025,1,2\nY,2025,3,3\n")
    fw = tmp_path / "f.yaml"
    for meta, header in (("", "vs 2024"), ("meta: {edition: 2025}\n", "vs 2024 back-cast")):
        fw.write_text(meta + "index: {code: i, children: [{code: a}, {code: b}]}\n"
                      + units_yaml("X", "Y"))
        r = runner.invoke(app, ["build", str(fw), str(data), "--out", str(tmp_path / "o")])
        assert r.exit_code == 0, r.output
        head = next(line for line in r.output.splitlines() if "rank" in line and "vs" in line)
        assert [c.strip() for c in head.split("┃")[1:-1]] == ["rank", header, "unit", "i"]


def test_validate_lists_every_problem(tmp_path):
    fw = tmp_path / "f.yaml"
    fw.write_text("index: {code: i, children: [{code: a}, {code: b}]}\n" + units_yaml("X", "Y"))
    data = tmp_path / "d.csv"
    data.write_text("unit,year,a,b\nX,2024,one,2\nY,2024,3,two\n")
    meth = tmp_path / "m.yaml"
    meth.write_text("aggregate: {method: a_median}\n")
    r = runner.invoke(app, ["validate", str(fw), str(data), "-m", str(meth)])
    assert r.exit_code == 2
    assert "row 2, column 'a': 'one'" in r.output and "row 3, column 'b': 'two'" in r.output
    assert "unknown aggregate method 'a_median'" in r.output


@pytest.mark.slow
def test_validate_examples_prints_the_counts():
    r = subprocess.run([sys.executable, "-m", "fintech_index", "validate-examples"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    for count in ("6,171", "5,014", "4,711", "2,106", "5,100", "193", "166",
                  "97,464", "97,428", "94,251", "2,077",  # the SVI files
                  "155,380", "34,320", "2,750"):  # ND-GAIN indicator and sector scores, SDG goals
        assert count in r.stdout


def test_messages_are_printed_as_text_not_as_console_markup(tmp_path):
    """A path or cell holding [red] or [/] is part of the message, not a style for rich."""
    data = tmp_path / "d.csv"
    data.write_text("unit,year,a,b\nX,2024,1,2\n")
    r = runner.invoke(app, ["build", str(tmp_path / "[red]f[/].yaml"), str(data)])
    assert r.exit_code == 2
    assert "[red]f[/].yaml: no such framework file [F01]" in r.output


def test_help_imports_no_numerical_library():
    """`--help` (and so every command's start) loads neither NumPy, pandas, SciPy, DuckDB,
    Dask, Plotly, Typst nor FastAPI: they are imported by the commands that use them."""
    code = ("import sys\nfrom fintech_index.cli import app\n"
            "try:\n    app(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = ('numpy', 'pandas', 'scipy', 'duckdb', 'distributed', 'plotly', 'typst', "
            "'fastapi')\nprint(sorted(m for m in heavy if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       check=True)
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_every_command_error_goes_through_one_handler(tmp_path):
    """A coded error from any command (here: audit's spec, store ls of no store) is printed
    with its code and exits 2, with no traceback."""
    spec = tmp_path / "ua.yaml"
    spec.write_text("factors: [{name: w, stage: weights, noise: 2}]\n")
    r = runner.invoke(app, ["audit", "--example", "asem", "--spec", str(spec)])
    assert r.exit_code == 2 and "[M15]" in r.output and "Traceback" not in r.output
    r = runner.invoke(app, ["store", "ls", "--store", str(tmp_path / "none.duckdb")])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_the_printed_ranking_shows_the_ranked_units_only(tmp_path):
    """W has no value: unranked, last in the ranking, never a row of the printed table
    (taken from the head of the ranking, not from a filtered copy of all of it), and
    counted below it; --top 2 cuts the tie at rank 2 after X (code order)."""
    fw = tmp_path / "f.yaml"
    fw.write_text("index: {code: i, children: [{code: a}, {code: b}]}\n"
                  + units_yaml("X", "Y", "Z", "W"))
    data = tmp_path / "d.csv"
    data.write_text("unit,year,a,b\nX,2024,1,2\nY,2024,3,1\nZ,2024,2,2\nW,2024,,\n")
    for top, units in ((9, ["Z", "X", "Y"]), (2, ["Z", "X"])):
        r = runner.invoke(app, ["build", str(fw), str(data), "--out", str(tmp_path / "o"),
                                "--top", str(top)])
        assert r.exit_code == 0, r.output
        rows = [[c.strip() for c in line.split("│")[1:-1]] for line in r.output.splitlines()
                if line.startswith("│ ")]
        assert [row[1] for row in rows if len(row) == 3] == [f"{u} ({u})" for u in units]
        assert "1 unit(s) without a rank in 2024" in r.output


def test_the_ranking_printed_from_the_edition_is_the_rankings_head(tmp_path):
    """Two years, ties, an unranked unit and codes whose code point order is not their
    letter order ('B' < 'a' < 'b'): the table printed from the edition view is the one
    printed from Results.ranking, row for row, change column included, for every top."""
    import fintech_index as fi
    from fintech_index.cli import console, print_ranking
    from fintech_index.publish.view import EditionView

    fw = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "A", "children": [{"code": "x"}, {"code": "y"}]},
        {"code": "B", "children": [{"code": "z"}]}]}}, "f.yaml")
    codes = ["b", "B", "a", "c", "W"]
    v2023 = [[1, 2, 3], [1, 2, 3], [3, 2, 1], [2, 2, 2], [1, 1, 1]]
    v2024 = [[2, 2, 2], [1, 2, 3], [2, 2, 2], [3, 3, 1], [np.nan] * 3]  # b and a tie
    res = fi.build(fw, fi.panel_from_arrays(np.array([v2023, v2024], float), fw, codes,
                                            [2023, 2024]))
    view = EditionView(res, 2024)

    def printed(**kw) -> str:
        with console.get().capture() as cap:
            print_ranking(res, 2024, top, **kw)
        return cap.get()

    for top in (1, 2, 3, 4, 9):
        assert printed(view=view) == printed(), top
    assert "1 unit(s) without a rank in 2024" in printed(view=view)
    assert "vs 2023" in printed(view=view)


def test_build_says_how_many_files_its_manifest_lists(tmp_path):
    """The closing line counts every file of the run, as manifest.json lists them (itself
    included), and names the top-level entries."""
    import json

    r = CliRunner().invoke(app, ["build", "--example", "asem", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    files = json.loads((tmp_path / "asem" / "manifest.json").read_text())["files"]
    on_disk = [p for p in (tmp_path / "asem").rglob("*") if p.is_file()]
    assert len(files) == len(on_disk) and "manifest.json" in files
    assert f"wrote {len(files)} files to " in " ".join(r.output.split())


def test_the_printed_ranking_shows_each_units_observed_weight_and_marks_under_half(tmp_path):
    """Four equally weighted indicators, the median filling what is missing: X observed on
    one (25%, marked), Y on three (75%), Z and V on all (100%). Without imputation the
    column is not printed."""
    fw = tmp_path / "f.yaml"
    fw.write_text("index: {code: i, children: [{code: a}, {code: b}, {code: c}, {code: d}]}\n"
                  + units_yaml("X", "Y", "Z", "V"))
    data = tmp_path / "d.csv"
    data.write_text("unit,year,a,b,c,d\nX,2024,9,,,\nY,2024,1,2,,3\nZ,2024,2,3,4,1\n"
                    "V,2024,5,1,2,2\n")
    meth = tmp_path / "m.yaml"
    meth.write_text("impute: {method: i_median}\n")
    r = runner.invoke(app, ["build", str(fw), str(data), "-m", str(meth),
                            "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    rows = {row[1]: row[-1] for row in ([c.strip() for c in line.split("│")[1:-1]]
                                        for line in r.output.splitlines()
                                        if line.startswith("│ "))}
    assert rows == {"X (X)": "25% *", "Y (Y)": "75%", "Z (Z)": "100%", "V (V)": "100%"}
    assert "* under 50%, ranked but to be read with care" in " ".join(r.output.split())
    data.write_text("unit,year,a,b,c,d\nX,2024,9,1,1,1\nY,2024,1,2,2,3\nZ,2024,2,3,4,1\n"
                    "V,2024,5,1,2,2\n")
    r = runner.invoke(app, ["build", str(fw), str(data), "-m", str(meth),
                            "--out", str(tmp_path / "o")])
    assert r.exit_code == 0 and "observed" not in r.output
