"""Panel loaders: long and wide, CSV, Excel and Parquet; bad files refused with row and column."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fintech_index as fi
from fintech_index.panel import IMPUTED, OBSERVED

from .helpers import declared_units, two_level_framework

FW = two_level_framework(units=("NYC", "LDN"))

LONG = """unit,year,indicator,value,source,source_year
NYC,2024,x1,1.5,WFE,2023
NYC,2024,x2,2,,
NYC,2024,x3,,WFE,2023
NYC,2024,x4,4,WFE,2023
LDN,2024,x1,5,WFE,2023
LDN,2024,x2,6,WDI,2022
LDN,2024,x3,7,WDI,2022
LDN,2024,x4,NA,WDI,2022
"""


def write(tmp_path, text, name="d.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_long_csv_values_mask_and_provenance(tmp_path):
    p = fi.load_panel(write(tmp_path, LONG), FW)
    assert p.years == (2024,) and p.unit_codes == ("NYC", "LDN")
    np.testing.assert_array_equal(p.values[0], [[1.5, 2, np.nan, 4], [5, 6, 7, np.nan]])
    assert p.missing.sum() == 2
    assert p.flags[0, 0, 0] == OBSERVED and p.flags[0, 0, 2] == 0
    assert p.sources[p.source_id[0, 1, 1]] == "WDI" and p.source_year[0, 1, 1] == 2022
    assert p.source_id[0, 0, 1] == -1  # no source given for that value: stays unknown
    frame = p.frame()
    assert len(frame) == 8 and frame.loc[0, "source"] == "WFE"


def test_wide_long_excel_parquet_give_the_same_panel(tmp_path):
    long = fi.load_panel(write(tmp_path, LONG), FW)
    wide = pd.DataFrame({"unit": ["NYC", "LDN"], "year": [2024, 2024], "x1": [1.5, 5],
                         "x2": [2, 6], "x3": [None, 7], "x4": [4, None]})
    wide.to_csv(tmp_path / "w.csv", index=False)
    wide.to_excel(tmp_path / "w.xlsx", index=False)
    wide.to_parquet(tmp_path / "w.parquet", index=False)
    for name in ("w.csv", "w.xlsx", "w.parquet"):
        p = fi.load_panel(tmp_path / name, FW)
        np.testing.assert_array_equal(p.values, long.values, err_msg=name)
        assert p.unit_codes == long.unit_codes


@pytest.mark.parametrize("order", ["in order", "shuffled"])
def test_a_wide_file_gives_the_panel_its_long_form_gives(tmp_path, order):
    """A wide file's block placed at once (in the panel's order, or shuffled rows of two
    years with a (unit, year) absent and its columns in another order): values, flags,
    sources and source years equal those of the same values read long, value by value."""
    fw = two_level_framework(units=("NYC", "LDN", "SGP"))
    rows = [("NYC", 2023, "1.5", "", "3", "4"), ("LDN", 2023, "5", "6", "NA", "8"),
            ("SGP", 2023, "9", "10", "11", ""), ("NYC", 2024, "2", "-1", "", "0"),
            ("SGP", 2024, "", "7", "7", "7")]
    columns = ["x1", "x2", "x3", "x4"]
    if order == "shuffled":
        rows, columns = [rows[i] for i in (3, 1, 4, 0, 2)], ["x3", "x1", "x4", "x2"]
    else:
        rows = rows[:3]
    at = {"x1": 2, "x2": 3, "x3": 4, "x4": 5}
    wide = "unit,year," + ",".join(columns) + "\n" + "".join(
        f"{r[0]},{r[1]}," + ",".join(r[at[c]] for c in columns) + "\n" for r in rows)
    long = "unit,year,indicator,value\n" + "".join(
        f"{r[0]},{r[1]},{c},{r[at[c]]}\n" for r in rows for c in columns)
    for kw in ({}, {"source": "WDI", "source_year": 2022}):
        w = fi.load_panel(write(tmp_path, wide, "w.csv"), fw, **kw)
        v = fi.load_panel(write(tmp_path, long, "l.csv"), fw, **kw)
        for name in ("values", "flags", "source_id", "source_year"):
            a, b = getattr(w, name), getattr(v, name)
            assert a.dtype == b.dtype and a.tobytes() == b.tobytes(), (name, kw)
        assert w.sources == v.sources and w.years == v.years
    assert w.flags.sum() == np.count_nonzero(~np.isnan(w.values)) > 0


def test_unit_metadata_columns_and_units_file(tmp_path):
    text = "unit,year,name,region,x1,x2,x3,x4\nSH,2024,Shanghai,Asia,1,2,3,4\n"
    units = write(tmp_path, "code,country,level\nSH,CN,city\n", "units.csv")
    p = fi.load_panel(write(tmp_path, text), two_level_framework(), units=units)
    assert p.units.loc["SH", "name"] == "Shanghai"
    assert p.units.loc["SH", "region"] == "Asia"
    assert p.units.loc["SH", "country"] == "CN" and p.units.loc["SH", "level"] == "city"


@pytest.mark.parametrize("text, message", [
    (LONG.replace("NYC,2024,x1,1.5", "NYC,2024,x1,1,5x"), "row 2: 7 fields but the header has 6"),
    ("unit,year,x1,x2,x3,x4\nA,2024,1,2,3,4\n\nB,2024,1,2,3\n", "row 4: 5 fields but the header"),
    (LONG.replace("1.5", "abc"), "d.csv: row 2, column 'value': 'abc' is not a number"),
    (LONG.replace("LDN,2024,x2,6", "LDN,2024,x1,6"),
     "d.csv: rows 6, 7: duplicate value for unit 'LDN', year 2024, indicator 'x1'"),
    (LONG.replace("LDN,2024,x4", "LDN,2024,x9"), "row 9, column 'indicator': 'x9' is not an"),
    (LONG.replace("NYC,2024,x2", "NYC,20x4,x2"), "row 3, column 'year': '20x4' is not a number"),
    (LONG.replace("NYC,2024,x2", "NYC,2024.5,x2"), "row 3, column 'year': '2024.5' is not a four"),
    (LONG.replace("1.5", "inf"), "is not a finite number"),
    ("unit,year,indicator,value\n", "has a header but no data rows"),
    ("", "the file is empty"),
    ("unit,indicator,value\nA,x1,1\n", "columns 'unit' and 'year' are required"),
    ("unit,year,x1,x2,x3\nA,2024,1,2,3\n", "framework indicator(s) ['x4'] have no column"),
    ("unit,year,x1,x2,x3,x4,gdp\nA,2024,1,2,3,4,5\n", "column(s) ['gdp'] are neither"),
    ("unit,year,x1,x2,x3,x4\nA,2024,1,2,3,4\nA,2024,1,2,3,4\n",
     "rows 2, 3: unit 'A', year 2024 appears more than once"),
    ("unit,year,region,x1,x2,x3,x4\nA,2024,EU,1,2,3,4\nA,2025,Asia,1,2,3,4\n",
     "row 3, column 'region': unit 'A' has region 'Asia' here but 'EU' at row 2"),
])
def test_bad_files_are_refused_with_row_and_column(tmp_path, text, message):
    with pytest.raises(fi.DataError) as e:
        fi.load_panel(write(tmp_path, text), two_level_framework(units=("NYC", "LDN", "A")))
    assert message in str(e.value)
    assert "d.csv" in str(e.value)


def test_every_problem_is_listed_not_only_the_first(tmp_path):
    text = LONG.replace("1.5", "abc").replace(",6,", ",six,").replace("x4,4", "x7,4")
    with pytest.raises(fi.DataError) as e:
        fi.load_panel(write(tmp_path, text), FW)
    msg = str(e.value)
    assert "'abc'" in msg and "'six'" in msg and "'x7'" in msg


def test_bad_encoding_names_the_row(tmp_path):
    p = tmp_path / "d.csv"
    p.write_bytes(LONG.replace("NYC,2024,x3", "Z\xfcrich,2024,x3").encode("latin-1"))
    with pytest.raises(fi.DataError, match=r"d.csv: row 4: byte \d+ \(0xfc\) is not UTF-8"):
        fi.load_panel(p, FW)


def test_units_outside_the_frameworks_list_are_all_listed(tmp_path):
    fw = fi.framework_from_dict({"units": [{"code": "NYC"}], "index": {"code": "i", "children": [
        {"code": "x1"}, {"code": "x2"}, {"code": "x3"}, {"code": "x4"}]}})
    text = LONG + "PAR,2024,x1,3,,\n"
    with pytest.raises(fi.DataError) as e:
        fi.load_panel(write(tmp_path, text), fw)
    assert "'LDN' is not a unit" in str(e.value) and "'PAR' is not a unit" in str(e.value)


def test_unknown_file_type_and_missing_file(tmp_path):
    with pytest.raises(fi.DataError, match="unknown file type '.json'"):
        fi.load_panel(write(tmp_path, "{}", "d.json"), FW)
    with pytest.raises(fi.DataError, match="no such data file"):
        fi.load_panel(tmp_path / "nope.csv", FW)


def test_panel_arrays_are_read_only():
    p = fi.panel_from_arrays(np.ones((1, 2, 4)), FW, ["a", "b"], [2024])
    with pytest.raises(ValueError):
        p.values[0, 0, 0] = 2.0
    with pytest.raises(ValueError):
        p.flags[0, 0, 0] = IMPUTED


def test_excel_and_parquet_errors_name_the_row(tmp_path):
    wide = pd.DataFrame({"unit": ["NYC", "LDN"], "year": [2024, 2024], "x1": [1.5, "n/k"],
                         "x2": [2, 6], "x3": [3, 7], "x4": [4, 8]})
    wide.to_excel(tmp_path / "w.xlsx", index=False, sheet_name="data")
    with pytest.raises(fi.DataError, match=r"w.xlsx: sheet 'data' row 3, column 'x1': 'n/k'"):
        fi.load_panel(tmp_path / "w.xlsx", FW, sheet="data")
    wide["x1"] = wide["x1"].astype(str)
    wide.to_parquet(tmp_path / "w.parquet", index=False)
    with pytest.raises(fi.DataError, match=r"w.parquet: record 2, column 'x1': 'n/k'"):
        fi.load_panel(tmp_path / "w.parquet", FW)
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(fi.DataError, match="broken.parquet: not a readable Parquet file"):
        fi.load_panel(tmp_path / "broken.parquet", FW)


def test_long_frame_carries_every_value_with_its_provenance(tmp_path):
    p = fi.load_panel(write(tmp_path, LONG), FW)
    f = p.frame(2024).set_index(["unit", "indicator"])
    assert f.loc[("LDN", "x2"), "value"] == 6 and f.loc[("LDN", "x2"), "source"] == "WDI"
    assert f.loc[("LDN", "x2"), "source_year"] == 2022
    assert pd.isna(f.loc[("NYC", "x2"), "source"])
    assert np.isnan(f.loc[("NYC", "x2"), "source_year"])
    assert np.isnan(f.loc[("NYC", "x3"), "value"]) and f.loc[("NYC", "x3"), "flags"] == 0


def test_a_bad_year_is_reported_once_under_its_own_code(tmp_path):
    """'abc' is not a number (D15), inf not finite (D16), 24 not a four-digit year (D17):
    one line each, never a second D17 for the cells already reported."""
    fw = fi.framework_from_dict({"units": declared_units("X", "Y", "Z"), "index": {
        "code": "i", "children": [{"code": "a"}, {"code": "b"}]}})
    p = tmp_path / "d.csv"
    p.write_text("unit,year,a,b\nX,abc,1,2\nY,inf,1,2\nZ,24,1,2\n")
    with pytest.raises(fi.DataError) as info:
        fi.load_panel(p, fw)
    assert [line[-5:] for line in str(info.value).splitlines()] == ["[D15]", "[D16]", "[D17]"]


TYPO = "unit,year,a,b\nSHA,2024,1,2\nSAH,2024,3,4\nBJS,2024,5,6\n"  # SAH typed for SHA
TREE = {"index": {"code": "i", "children": [{"code": "a"}, {"code": "b"}]}}


def test_data_read_with_a_framework_that_declares_no_units_are_refused(tmp_path):
    """Issue 17: without a declared list the typo SAH became a unit of its own (ranked on one
    value while Shanghai's was imputed). The refusal says how many codes the data have and
    how to declare them, in the Python API as on the command line."""
    from typer.testing import CliRunner

    from fintech_index.cli import app

    (tmp_path / "f.yaml").write_text("index: {code: i, children: [{code: a}, {code: b}]}\n")
    data = write(tmp_path, TYPO)
    with pytest.raises(fi.FrameworkError) as info:
        fi.load_panel(data, fi.load_framework(tmp_path / "f.yaml"))
    assert info.value.codes == ("F80",)
    message = str(info.value)
    assert message.startswith("d.csv: the framework f.yaml declares no units, so the 3 unit "
                              "code(s) of the data ('SHA', 'SAH', 'BJS') cannot be checked")
    for how in ("units: [{code: SHA, name: Shanghai}, ...]", "units_file: units.csv",
                "code,name[,group...]", "--units FILE"):
        assert how in message
    for command in ("validate", "build"):
        r = CliRunner().invoke(app, [command, str(tmp_path / "f.yaml"), str(data)])
        assert r.exit_code == 2 and "[F80]" in r.output and "Traceback" not in r.output


@pytest.mark.parametrize("how", ["units list", "units_file", "units table given"])
def test_every_way_of_declaring_units_refuses_the_typo_and_suggests_the_code(tmp_path, how):
    (tmp_path / "cities.csv").write_text("code,name\nSHA,Shanghai\nBJS,Beijing\n")
    if how == "units list":
        fw = fi.framework_from_dict({**TREE, "units": declared_units("SHA", "BJS")}, "f.yaml")
    else:
        doc = {**TREE, "units_file": "cities.csv"} if how == "units_file" else TREE
        fw = fi.framework_from_dict(doc, "f.yaml", tmp_path)
    units = tmp_path / "cities.csv" if how == "units table given" else None
    with pytest.raises(fi.DataError) as info:
        fi.load_panel(write(tmp_path, TYPO), fw, units=units)
    assert "did you mean 'SHA'?" in str(info.value) and "'SAH'" in str(info.value)
    fixed = fi.load_panel(write(tmp_path, TYPO.replace("SAH", "SHA", 1).replace(
        "SHA,2024,3,4", "SHA,2025,3,4")), fw, units=units)
    assert fixed.unit_codes == ("SHA", "BJS") and fixed.years == (2024, 2025)
    assert fixed.values[1, 0].tolist() == [3.0, 4.0]


def test_a_units_file_carries_the_frameworks_group_columns(tmp_path):
    """A units table may hold the framework's group columns (COINr's iData groups, as
    convert-coinr writes them): code,name[,group...]; the table's values fill the data's."""
    (tmp_path / "units.csv").write_text("code,name,income\nSHA,Shanghai,UM\nBJS,Beijing,UM\n"
                                        "NYC,New York,H\n")
    fw = fi.framework_from_dict({**TREE, "groups": ["income"], "units_file": "units.csv"},
                                "f.yaml", tmp_path)
    p = fi.load_panel(write(tmp_path, "unit,year,a,b\nNYC,2024,1,2\nSHA,2024,3,4\n"), fw)
    assert p.unit_codes == ("NYC", "SHA")
    assert p.units["income"].tolist() == ["H", "UM"]
    assert p.units["name"].tolist() == ["New York", "Shanghai"]
    (tmp_path / "units.csv").write_text("code,name,colour\nSHA,Shanghai,red\n")
    with pytest.raises(fi.DataError, match=r"unknown column\(s\) \['colour'\].*income"):
        fi.load_panel(write(tmp_path, "unit,year,a,b\nSHA,2024,1,2\n"), fw)


def test_every_bundled_framework_declares_its_units():
    from fintech_index.examples import datasets_dir

    frameworks = [p for p in sorted(datasets_dir().glob("*/*.yaml"))
                  if len(p.suffixes) == 1]  # not *.methodology.yaml, *.uncertainty.yaml, ...
    assert len(frameworks) == 13  # the SVI's two designs (svi, svi_2018), ND-GAIN, SDG
    for path in frameworks:
        fw = fi.load_framework(path)
        assert fw.units or fw.units_file, path


def test_declared_unit_codes_are_stripped_as_the_datas_are(tmp_path):
    """Found by benchmarks/robustness.py: a unit declared as '\\tTAB' never matched the
    data's 'TAB' (unit cells are stripped), so data naming it were refused [D20]."""
    fw = fi.framework_from_dict({**TREE, "units": declared_units("\tTAB", " SHA ")}, "f.yaml")
    assert [u.code for u in fw.units] == ["TAB", "SHA"]
    p = fi.load_panel(write(tmp_path, 'unit,year,a,b\n"\tTAB",2024,1,2\nSHA ,2024,3,4\n'), fw)
    assert p.unit_codes == ("TAB", "SHA") and p.values[0].tolist() == [[1, 2], [3, 4]]
    with pytest.raises(fi.FrameworkError, match=r"f.yaml: units\[1\]: empty unit code.*\[F23\]"):
        fi.framework_from_dict({**TREE, "units": declared_units("X", "  ")}, "f.yaml")


def test_a_units_table_gives_each_unit_one_row(tmp_path):
    """A code repeated or empty in a units table escaped as a pandas ValueError (length
    mismatch) once units tables became the way to declare units."""
    units = write(tmp_path, "code,name\nSHA,Shanghai\nSHA,Shanghai 2\n,Nowhere\n", "u.csv")
    with pytest.raises(fi.DataError) as info:
        fi.load_panel(write(tmp_path, "unit,year,a,b\nSHA,2024,1,2\n"),
                      fi.framework_from_dict(TREE, "f.yaml"), units=units)
    assert str(info.value).splitlines() == [
        "u.csv: row 3, column 'code': unit 'SHA' is already at row 2; give each unit one row "
        "[D81]",
        "u.csv: row 4, column 'code': empty unit code (each row of a units table is one unit, "
        "named by its code) [D81]"]
    frame = pd.DataFrame({"code": ["SHA", "SHA"]})
    with pytest.raises(fi.DataError, match=r"<units frame>: entry 1, column 'code'.*\[D81\]"):
        fi.load_panel(write(tmp_path, "unit,year,a,b\nSHA,2024,1,2\n"),
                      fi.framework_from_dict(TREE, "f.yaml"), units=frame)


def _contradictions_by_scan(framework, values, years, units):
    """panel.country_contradictions by pandas, one indicator and year at a time: the units
    of each country (in sorted order) whose values take more than one number."""
    label = units["name"].where(units["name"].notna(), units.index.to_series())
    found = []
    for j, code in enumerate(framework.indicators):
        if framework.nodes[code].figure_level == "country":
            for t, year in enumerate(years):
                table = pd.DataFrame({"country": units["country"], "label": label,
                                      "value": values[t, :, j]}).dropna(
                    subset=["country", "value"])
                for nation, rows in table.groupby("country", sort=True):
                    if rows["value"].nunique() > 1:
                        found.append((code, int(year), str(nation),
                                      dict(zip(rows["label"].astype(str),
                                               rows["value"].astype(float), strict=True))))
    return found


COUNTRY_FW = fi.framework_from_dict({"index": {"code": "idx", "children": [
    {"code": "gdp", "level": "country"}, {"code": "firms", "level": "city"},
    {"code": "rate", "level": "country"}]}}, "synthetic.yaml")


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 12), st.integers(1, 3), st.integers(0, 2**32 - 1))
def test_country_contradictions_are_those_of_a_scan_of_every_country(n, years, seed):
    """Small panels (synthetic): a few countries, some units without one, values drawn
    from few levels (equal within a country or not), missing values, -0 beside 0."""
    from fintech_index.panel import country_contradictions

    rng = np.random.default_rng(seed)
    countries = rng.choice(np.array(["Narnia", "Atlantis", "Oz", None], dtype=object), n)
    names = rng.choice(np.array([f"c{i}" for i in range(n)] + [None], dtype=object), n)
    units = pd.DataFrame({"name": names, "country": countries},
                         index=[f"u{i}" for i in range(n)])
    values = rng.choice(np.array([1.0, 2.0, 0.0, -0.0, np.nan]), (years, n, 3))
    same = rng.random((years, 1, 3)) < 0.5  # some indicator-years: one value per country
    by_country = {c: rng.choice([1.0, 2.0, np.nan]) for c in ("Narnia", "Atlantis", "Oz")}
    for t, j in zip(*np.nonzero(same[:, 0]), strict=True):
        values[t, :, j] = [by_country.get(c, np.nan) if c else 5.0 for c in countries]
    year_list = list(range(2020, 2020 + years))
    assert (country_contradictions(COUNTRY_FW, values, year_list, units)
            == _contradictions_by_scan(COUNTRY_FW, values, year_list, units))
