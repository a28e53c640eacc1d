"""COINr's ASEM example and COINr's documented treatment numbers, and the iData/iMeta
converter. Published values come from COINr's vignettes (articles/results.md, treat.md)."""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import fintech_index as fi
from fintech_index import examples
from fintech_index.cli import app
from fintech_index.coinr import convert_coinr, load_coinr, to_imeta
from fintech_index.framework import load_framework
from fintech_index.methods import treat

COINR_FILES = examples.datasets_dir() / "asem" / "coinr"  # COINr's ASEM_iData/iMeta as CSV
IDATA, IMETA = COINR_FILES / "iData.csv", COINR_FILES / "iMeta.csv"


def test_build_example_coin_reproduces_every_number_coinr_prints():
    checks = examples.validate("asem")
    assert sum(v.total for v in checks) == 94
    for v in checks:
        assert v.ok, (v.what, v.mismatches)


def test_asem_build_records_imputation_screening_and_treatment():
    ex = examples.load("asem")
    res = ex.build()
    raw_missing = int(np.isnan(ex.panel.values).sum())
    assert raw_missing == 63  # SOURCE.md of the shared data
    imputed = (res.flags & fi.IMPUTED) != 0
    # LAO has no Energy denominator, so its Elec and Gas per energy are missing too (as in
    # COINr); all 63 + 2 are imputed by EurAsia group mean, and flagged
    lao = ex.panel.unit_codes.index("LAO")
    assert np.isnan(ex.panel.denominators[0, lao, ex.panel.denominator_codes.index("Energy")])
    assert int(imputed.sum()) == raw_missing + 2
    assert imputed[0, lao, ex.framework.indicators.index("Elec")]
    assert np.isnan(res.dataset("imputed")["value"]).sum() == 0
    # after imputation every unit has all its data: nobody is screened out (COINr: 51 units)
    assert len(res.units) == 51 and res.prepared.screening["kept"].all()
    t = res.prepared.treatment.set_index("indicator")
    assert int(t.loc["Services", "points_treated"]) == 4
    assert not t["transformed"].any() and t["passes_after"].all()
    treated = (res.flags & fi.TREATED) != 0
    assert int(treated.sum()) == int(t["points_treated"].sum())


def test_skew_kurt_and_winsorise_as_coinr_vignette():
    """Vignette 'Outlier Treatment': x = c(1:10, 30, 100) has skew 3.063241 and kurtosis
    9.741391; winsorising (winmax = 2) replaces 100 by 30 and gives 1.712038 and 1.815781."""
    x = np.array([*range(1, 11), 30, 100], float)[:, None]
    assert treat.skew(x)[0] == pytest.approx(3.063241, abs=5e-7)
    assert treat.kurt(x)[0] == pytest.approx(9.741391, abs=5e-7)
    out = treat.winsorise(x, winmax=2)
    assert out.x[-1, 0] == 30 and out.points[-1, 0] == treat.WIN_HIGH
    assert int(out.details["winsorised"][0]) == 1
    assert treat.skew(out.x)[0] == pytest.approx(1.712038, abs=5e-7)
    assert treat.kurt(out.x)[0] == pytest.approx(1.815781, abs=5e-7)


def test_treat_raw_asem_as_coinr_dets_table():
    """COINr: Treat(coin, dset = "Raw") Dets_Table, and with winmax = 1 Goods still fails."""
    fw, panel = load_coinr(IDATA, IMETA)
    cols = [fw.indicators.index(c) for c in ("Flights", "Bord", "Elec", "Gas", "Goods")]
    x = panel.values[0][:, cols]
    out = treat.winsorise(x)
    d = out.details
    np.testing.assert_allclose(d["skew_before"], [2.1032872, 2.1482360, 2.2252736,
                                                  2.8294486, 2.6499733], atol=5e-8)
    np.testing.assert_allclose(d["kurt_before"], [4.5088794, 5.7914905, 5.7910268,
                                                  10.3346494, 8.2666095], atol=5e-8)
    assert d["winsorised"].tolist() == [1, 1, 1, 1, 2]
    np.testing.assert_allclose(d["skew_after"], [1.900658, 1.899211, 1.717744, 1.602518,
                                                 1.140608], atol=5e-7)
    np.testing.assert_allclose(d["kurt_after"], [3.336065, 4.346298, 2.586062, 1.525576,
                                                 0.1572047], atol=5e-7)
    one = treat.winsorise(x[:, [4]], winmax=1)  # Goods: 1 point is not enough -> log_CT
    assert bool(one.details["transformed"][0])
    g = x[:, 4]
    expected = np.log(g - g.min() + 0.01 * (g.max() - g.min()))
    np.testing.assert_array_equal(one.x[:, 0], expected)


def test_convert_coinr_writes_files_that_build(tmp_path):
    written = convert_coinr(IDATA, IMETA, tmp_path)
    fw = fi.load_framework(written[0])
    assert len(fw.indicators) == 49 and fw.index == "Index"
    assert fw.nodes["Flights"].denominator == "Population"
    assert fw.nodes["LPI"].target == pytest.approx(4.11803135)
    assert fw.groups == ("GDP_group", "GDPpc_group", "Pop_group", "EurAsia_group")
    panel = fi.load_panel(written[1], fw)
    assert panel.units.loc["AUT", "EurAsia_group"] == "Europe"
    assert panel.denominators[0, panel.unit_codes.index("AUT"), 3] == 8735.453
    res = fi.build(fw, panel, fi.load_methodology(written[2]))
    assert np.isfinite(res.scores("Index")[2018]).all()
    meta = to_imeta(fw)
    assert (meta["Type"] == "Indicator").sum() == 49 and (meta["Type"] == "Group").sum() == 4
    back = pd.read_csv(IMETA).set_index("iCode")
    ours = meta.set_index("iCode")
    agg = back[back["Type"].isin(["Indicator", "Aggregate"])].index
    assert (ours.loc[agg, "Level"].astype(int) == back.loc[agg, "Level"]).all()


def test_convert_coinr_declares_idatas_units_and_later_data_are_checked_against_them(tmp_path):
    """Issue 17: the converted framework declared no units, so a code typed wrong in data.csv
    became a unit of its own. The converter writes iData's uCode, uName and group columns as
    units.csv and declares it with units_file:; a typo in the data is then refused."""
    fw_path, data_path, _, units_path = convert_coinr(IDATA, IMETA, tmp_path)
    assert units_path == tmp_path / "units.csv"
    units = pd.read_csv(units_path, keep_default_na=False)
    assert list(units.columns) == ["code", "name", "GDP_group", "GDPpc_group", "Pop_group",
                                   "EurAsia_group"]
    idata = pd.read_csv(IDATA, keep_default_na=False)
    assert units["code"].tolist() == idata["uCode"].tolist() and len(units) == 51
    india = idata.set_index("uCode").loc["IND"]
    assert units.set_index("code").loc["IND"].tolist() == [
        "India", india["GDP_group"], india["GDPpc_group"], india["Pop_group"], "Asia"]
    fw = fi.load_framework(fw_path)
    assert fw.units_file == str(units_path)
    assert "\nunits_file: units.csv\n" in fw_path.read_text()
    rows = data_path.read_text().splitlines(keepends=True)
    typo = tmp_path / "typo.csv"
    typo.write_text("".join(r.replace("IND,", "INN,", 1) if r.startswith("IND,") else r
                            for r in rows))
    with pytest.raises(fi.DataError) as info:
        fi.load_panel(typo, fw)
    assert info.value.codes == ("D24",) and "'INN' is not in the units table" in str(info.value)
    assert "did you mean 'IND'?" in str(info.value)


def test_load_coinr_takes_its_units_from_idata():
    fw, panel = load_coinr(IDATA, IMETA)
    assert fw.units == () and fw.units_file is None and len(panel.unit_codes) == 51
    assert panel.units.loc["IND", "name"] == "India"
    assert panel.units.loc["IND", "EurAsia_group"] == "Asia"


def test_convert_coinr_refuses_bad_imeta_and_idata(tmp_path):
    bad = pd.read_csv(IMETA)
    bad.loc[3, "Type"] = "Indikator"
    bad.to_csv(tmp_path / "meta.csv", index=False)
    with pytest.raises(fi.DataError, match=r"meta.csv: row 5, column 'Type': 'Indikator' is not"):
        convert_coinr(IDATA, tmp_path / "meta.csv", tmp_path / "out")
    data = pd.read_csv(IDATA).drop(columns=["uCode"])
    data.to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(fi.DataError, match="data.csv: header row: iData needs a 'uCode'"):
        convert_coinr(tmp_path / "data.csv", IMETA, tmp_path / "out")
    data = pd.read_csv(IDATA)
    data["LPI"] = data["LPI"].astype(object)
    data.loc[7, "LPI"] = "n.a."
    data.to_csv(tmp_path / "data2.csv", index=False)
    with pytest.raises(fi.DataError, match=r"data2.csv: row 9, column 'LPI': 'n.a.' is not"):
        convert_coinr(tmp_path / "data2.csv", IMETA, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing written from bad input


def test_cli_builds_asem_and_converts(tmp_path):
    r = CliRunner().invoke(app, ["build", "--example", "asem", "--out", str(tmp_path),
                                 "--top", "3"])
    assert r.exit_code == 0, r.output
    assert "Switzerland" in r.output and "68.384" in r.output
    ranking = pd.read_csv(tmp_path / "asem" / "ranking_2018.csv", index_col="unit")
    assert ranking.loc["IND", "rank"] == 45
    assert (tmp_path / "asem" / "treatment.csv").exists()
    r = CliRunner().invoke(app, ["convert-coinr", str(IDATA), str(IMETA), "--out",
                                 str(tmp_path / "cv")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "cv" / "framework.yaml").exists()
    # the title: iMeta's one top aggregate (Index, "Sustainable Connectivity"), never the
    # file's name "iMeta"; --name sets it
    assert load_framework(tmp_path / "cv" / "framework.yaml").name == "Sustainable Connectivity"
    r = CliRunner().invoke(app, ["convert-coinr", str(IDATA), str(IMETA), "--out",
                                 str(tmp_path / "named"), "--name", "ASEM index: 2018"])
    assert r.exit_code == 0, r.output
    assert load_framework(tmp_path / "named" / "framework.yaml").name == "ASEM index: 2018"


def test_convert_coinr_from_excel_sheets(tmp_path):
    """The same pair as an Excel workbook (two sheets) gives the same framework and values."""
    book = tmp_path / "asem.xlsx"
    with pd.ExcelWriter(book) as xl:
        pd.read_csv(IDATA).to_excel(xl, sheet_name="iData", index=False)
        pd.read_csv(IMETA).to_excel(xl, sheet_name="iMeta", index=False)
    fw, panel = load_coinr(book, book, data_sheet="iData", meta_sheet="iMeta")
    fw_csv, panel_csv = load_coinr(IDATA, IMETA)
    assert fw.indicators == fw_csv.indicators
    # the workbook writer (openpyxl, like Excel) keeps 15 significant digits: 1 ulp at most
    np.testing.assert_allclose(panel.values, panel_csv.values, rtol=1e-15, atol=0)
    np.testing.assert_array_equal(np.isnan(panel.values), np.isnan(panel_csv.values))
    np.testing.assert_allclose(panel.denominators, panel_csv.denominators, rtol=1e-15, atol=0)
