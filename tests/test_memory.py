"""What a large build holds (issue 27, peak memory): no copy of a data set a stage did not
change, and one constant instead of a source array where the data give no source."""

import numpy as np
import pandas as pd
import pytest

import fintech_index as fi
from fintech_index.build import trim_heap
from fintech_index.exports import rows_taken, write_csv

from .helpers import two_level_framework

FW = two_level_framework(units=("NYC", "LDN", "SH"))
WIDE = "unit,year,x1,x2,x3,x4\nNYC,2024,1,2,,4\nLDN,2024,5,6,7,8\nSH,2024,9,,11,12\n" \
       "NYC,2023,2,3,4,5\nLDN,2023,6,7,8,9\nSH,2023,1,2,3,4\n"


def test_prepared_values_are_the_panels_own_when_no_stage_changes_them():
    values = np.array([[[1.0, 2, 3, 4], [5, 6, 7, 8], [9, 1, 2, 3]]])
    res = fi.build(FW, fi.panel_from_arrays(values, FW, ["NYC", "LDN", "SH"], [2024]))
    assert res.prepared.values is res.panel.values  # not a 3 x 4 copy
    assert res.dataset("raw")["value"].tolist()[:4] == [1.0, 2.0, 3.0, 4.0]


def test_each_data_set_kept_is_its_stages_output_not_a_copy_and_read_only():
    values = np.array([[[1.0, np.nan, 3, 4], [5, 6, 7, 8], [9, 1, 2, 300]]])
    meth = fi.methodology_from_dict({"impute": {"method": "i_mean"},
                                     "treat": {"method": "winsorise"}})
    res = fi.build(FW, fi.panel_from_arrays(values, FW, ["NYC", "LDN", "SH"], [2024]), meth)
    sets = res.prepared.datasets
    assert sets["imputed"][0, 0, 1] == 3.5  # the mean of 6 and 1, made once
    assert sets["treated"] is res.prepared.values
    assert not any(v.flags.writeable for v in sets.values())
    assert np.isnan(res.panel.values[0, 0, 1])  # the raw panel as it was read


def test_data_without_sources_hold_one_constant_per_source_array(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text(WIDE, encoding="utf-8")
    panel = fi.load_panel(p, FW)
    assert panel.source_id.shape == (2, 3, 4) and panel.sources == ()
    assert panel.source_id.strides == (0, 0, 0) and panel.source_year.strides == (0, 0, 0)
    assert set(panel.source_id.reshape(-1).tolist()) == {-1}
    assert set(panel.source_year.reshape(-1).tolist()) == {0}
    for part in (panel.subset_units(np.array([True, False, True])),
                 panel.subset_years([2024]), panel.subset_indicators(["x4", "x1"])):
        assert part.source_id.shape == part.values.shape
        assert not any(part.source_id.strides) and not any(part.source_year.strides)
    frame = panel.frame(2024)
    assert frame["source"].isna().all() and frame["source_year"].isna().all()


def test_a_source_given_fills_the_source_arrays_as_before(tmp_path):
    p = tmp_path / "w.csv"
    p.write_text(WIDE, encoding="utf-8")
    panel = fi.load_panel(p, FW, source="WFE", source_year=2023)
    assert panel.sources == ("WFE",)
    assert panel.years == (2023, 2024)
    assert panel.source_id[1, 0, 1] == 0 and panel.source_year[1, 0, 1] == 2023
    assert panel.source_id[1, 0, 2] == -1 and panel.source_year[1, 0, 2] == 0  # missing
    part = panel.subset_units(np.array([True, False, False]))
    assert part.source_id[:, 0].tolist() == [[0, 0, 0, 0], [0, 0, -1, 0]]
    got = panel.frame(2024)["source"]
    assert got.isna().tolist()[:4] == [False, False, True, False] and got[0] == "WFE"


RANKED = ("NYC", "LDN", "SH", "HK")
FW4 = two_level_framework(units=RANKED)


def ranked_results(meth=None):
    """Two years of four units, one missing the index in 2023, with names a spreadsheet
    would run, quote or split (and one without a name)."""
    values = np.array([[[1.0, 2, 3, 4], [5, 6, 7, 8], [9, 1, 2, 3], [np.nan] * 4],
                       [[2.0, 2, 3, 1], [5, 1, 7, 8], [3, 3, 3, 3], [4, 0.1, 6, 2]]])
    meta = pd.DataFrame({"name": ["=HYPERLINK(1)", 'New "York", NY', None, "-1"]},
                        index=list(RANKED))
    panel = fi.panel_from_arrays(values, FW4, RANKED, [2023, 2024], meta=meta)
    return fi.build(FW4, panel, meth)


@pytest.mark.parametrize("rank", [{}, {"percentile": True}])
def test_a_ranking_written_from_the_arrays_has_the_bytes_of_its_frame(tmp_path, rank):
    res = ranked_results(fi.methodology_from_dict({"rank": rank}) if rank else None)
    for year in res.years:
        want = write_csv(res.ranking(year), tmp_path / f"frame{year}.csv", index=True)
        got = res.write_ranking(tmp_path / f"arrays{year}.csv", year)
        assert got.read_bytes() == want.read_bytes(), year
    text = (tmp_path / "arrays2024.csv").read_text(encoding="utf-8")
    assert text.startswith("unit,name,rank,score,observed_weight,under_half_observed,")
    assert "'=HYPERLINK(1)" in text and '"New ""York"", NY"' in text and ",'-1," in text


def test_results_write_writes_each_years_ranking_as_its_frame(tmp_path):
    res = ranked_results()
    written = {p.name: p for p in res.write(tmp_path / "out")}
    for year in res.years:
        want = write_csv(res.ranking(year), tmp_path / f"{year}.csv", index=True)
        assert written[f"ranking_{year}.csv"].read_bytes() == want.read_bytes()
    lines = written["ranking_2023.csv"].read_text(encoding="utf-8").splitlines()
    assert lines[-1].startswith("HK,'-1,,,0,True,")  # unranked last: no rank, no score


def test_rows_taken_are_a_blocks_columns_in_the_given_order():
    block = np.array([[1.0, 0.5], [2.0, np.nan], [3.0, 0.25]])
    cols = rows_taken(block, np.array([2, 0, 1]))
    assert cols[0].column().tolist() == [3.0, 1.0, 2.0]
    assert cols[1][0:2].tolist() == [0.25, 0.5] and len(cols[1]) == 3
    assert cols[0].whole() and not cols[1].whole()


def test_the_heap_is_trimmed_where_the_c_library_can_and_skipped_where_not(tmp_path,
                                                                          monkeypatch):
    import ctypes
    import platform

    if platform.system() == "Linux" and platform.libc_ver()[0] == "glibc":
        assert trim_heap()

    def no_library(name):
        raise OSError(f"{name}: no C library here")

    monkeypatch.setattr(ctypes, "CDLL", no_library)
    assert not trim_heap()
    written = ranked_results().write(tmp_path / "out")  # and a write goes on without it
    assert sorted(p.name for p in written)[:2] == ["manifest.json", "methodology.yaml"]


def test_a_table_read_for_the_panel_alone_is_let_go_and_one_given_is_kept(tmp_path):
    from fintech_index.panel import panel_from_table
    from fintech_index.tables import read_table

    p = tmp_path / "w.csv"
    p.write_text(WIDE, encoding="utf-8")
    table = read_table(p)
    given = panel_from_table(table, FW)
    assert len(table.frame) == 6 and table.frame.loc[5, "x3"] == "3"  # the caller's, as read
    read = fi.load_panel(p, FW)
    np.testing.assert_array_equal(read.values, given.values)
    assert read.values[1, 0].tolist()[:2] == [1.0, 2.0] and np.isnan(read.values[1, 0, 2])


def test_a_long_table_read_for_the_panel_alone_gives_the_panel_of_the_table(tmp_path):
    from fintech_index.panel import panel_from_table
    from fintech_index.tables import read_table

    p = tmp_path / "l.csv"
    p.write_text("unit,year,indicator,value,source\nNYC,2024,x1,1.5,WFE\nNYC,2024,x2,2,\n"
                 "NYC,2024,x3,3,WDI\nNYC,2024,x4,4,WFE\nLDN,2024,x1,5,WDI\n"
                 "LDN,2024,x2,6,WDI\nLDN,2024,x3,7,WDI\nLDN,2024,x4,NA,WDI\n", encoding="utf-8")
    two = two_level_framework(units=("NYC", "LDN"))
    table = read_table(p)
    given = panel_from_table(table, two)
    read = fi.load_panel(p, two)
    assert len(table.frame) == 8
    np.testing.assert_array_equal(read.values, given.values)
    assert read.sources == ("WFE", "WDI") and read.source_id[0].tolist() == [[0, -1, 1, 0],
                                                                           [1, 1, 1, -1]]
