"""COINr parity on a panel: the steps of COINr's ``build_example_purse()`` (``R/examples.R``)
on ``ASEM_iData_p`` (the bundled example ``asem_panel``) and every number COINr's
documentation prints about that purse, each test citing where the numbers are printed.

COINr prints no index scores of its example purse, so the numbers pinned here are the ones it
does print: the panel's values, the units left after screening, and the maxima of the
globally normalised data (COINr 1.1.14, GitHub ``bluefoxr/COINr`` commit b968203, the
pkgdown articles under ``docs/articles/`` and reference pages under ``docs/reference/``).
"""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import fintech_index as fi
from fintech_index import examples
from fintech_index.cli import app
from fintech_index.coinr import convert_coinr

COINR_FILES = examples.datasets_dir() / "asem" / "coinr"
IDATA_P, IMETA = COINR_FILES / "iData_p.csv", COINR_FILES / "iMeta.csv"


def close_to_printed(value: float, printed: str) -> bool:
    """``value`` shows as R printed it: equal at the printed number of decimals."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return abs(value - float(printed)) <= 0.5 * 10.0 ** -decimals * (1 + 1e-9)


@pytest.fixture(scope="module")
def purse():
    return examples.load("asem_panel")


def value(ex, year, unit, code):
    p = ex.panel
    return p.values[p.years.index(year), p.unit_codes.index(unit), p.indicators.index(code)]


@pytest.mark.parametrize("year, unit, printed", [
    # vignette "coins", section "Purses and panel data": ASEM_iData_p[Time == 2018, 1:15]
    (2018, "AUT", ("4.097985", "29.01725", "0.000000", "35")),
    (2018, "BEL", ("4.108538", "31.88546", "20.567121", "48")),
    (2018, "BGR", ("2.807685", "9.23588", "7.919366", "18")),
    (2018, "HRV", ("3.160829", "9.24529", "12.440452", "41")),
    (2018, "CYP", ("2.999061", "8.75467", "11.689495", "0")),
    # ... and ASEM_iData_p[Time == 2019, 1:15]
    (2019, "AUT", ("4.153182", "37.53763", "0.6054851", "39.752508")),
    (2019, "BEL", ("4.149371", "41.53901", "21.2045607", "52.123937")),
    (2019, "BGR", ("2.868647", "15.82871", "7.9467542", "23.203648")),
    (2019, "HRV", ("3.230168", "16.06586", "13.0958316", "46.566308")),
    (2019, "CYP", ("3.098577", "10.92502", "12.3571194", "3.993825")),
])
def test_panel_values_as_the_coins_vignette_prints_them(purse, year, unit, printed):
    for code, text in zip(("LPI", "Flights", "Ship", "Bord"), printed, strict=True):
        assert close_to_printed(value(purse, year, unit, code), text), (year, unit, code)


def test_panel_values_as_get_data_and_the_imputation_vignette_print_them(purse):
    """Reference page ``get_data.purse``: Lang and Forest of AUT, CHN, DNK in 2019-2020;
    vignette "imputation", section Purses: LPI of GBR in 2021 is 4.386542."""
    printed = {(2019, "AUT"): ("14.9590871", "4.510501"), (2019, "CHN"): ("0.9909247", "4.007399"),
               (2019, "DNK"): ("19.5377677", "6.626489"), (2020, "AUT"): ("16.2053167", "5.150510"),
               (2020, "CHN"): ("1.2525769", "4.322223"), (2020, "DNK"): ("19.3664297", "5.323871")}
    for (year, unit), (lang, forest) in printed.items():
        assert close_to_printed(value(purse, year, unit, "Lang"), lang)
        assert close_to_printed(value(purse, year, unit, "Forest"), forest)
    assert close_to_printed(value(purse, 2021, "GBR", "LPI"), "4.386542")


def test_build_example_purse_keeps_the_units_coinr_keeps(purse):
    """Vignette "coins" prints ``build_example_purse()``: 5 coins of 51 units and 49
    indicators; in the first coin (2018) Screened, Treated, Normalised and Aggregated have
    46 units each (COINr's test snapshot ``_snaps/methods_added.md`` prints the same 46)."""
    assert purse.panel.years == (2018, 2019, 2020, 2021, 2022)
    assert len(purse.panel.unit_codes) == 51 and len(purse.framework.indicators) == 49
    res = purse.build()
    screening = res.prepared.screening
    y2018 = screening[screening["year"] == 2018]
    assert len(y2018) == 51 and int(y2018["kept"].sum()) == 46
    year = res.years.index(2018)
    n = len(res.framework.indicators)
    for name in ("screened", "treated"):
        d = res.dataset(name)
        assert d[d["year"] == 2018].groupby("unit")["value"].count().gt(0).sum() == 46
    assert (~np.isnan(res.score_array[year, :, :n]).all(-1)).sum() == 46
    assert (~np.isnan(res.score_array[year, :, n:])).all(-1).sum() == 46


def test_purse_normalised_over_all_years_as_coinr(purse):
    """COINr's ``Normalise.purse(global = TRUE)`` normalises the treated data of all coins
    as one data set: every 2018-2022 value of the panel's normalised data is
    (x - min) / (max - min) * 100 with min and max over all years and kept units, so each
    indicator spans exactly 0-100 over the panel, not in each year."""
    res = purse.build()
    n = len(res.framework.indicators)
    treated = res.prepared.values * res.framework.directions()
    lo, hi = np.nanmin(treated, axis=(0, 1)), np.nanmax(treated, axis=(0, 1))
    np.testing.assert_allclose(res.score_array[..., :n], (treated - lo) / (hi - lo) * 100,
                               rtol=0, atol=1e-12)
    per_year_max = np.nanmax(res.score_array[..., :n], axis=1)
    assert (np.nanmax(per_year_max, axis=0) == 100).all()
    assert (per_year_max < 100).any()


NORMALISE_RAW_GLOBAL = {"normalise": {"method": "n_minmax", "l_u": [0, 100], "global": True}}


def test_normalise_raw_purse_globally_as_the_normalise_vignette_prints(purse):
    """Vignette "normalise", section Purses: ``Normalise(purse, dset = "Raw", global =
    TRUE)``; the first coin's (2018) minima of LPI, Flights, Ship, Bord are 0 and maxima
    83.98913, 88.79325, 85.91861, 93.62416; over all coins the maxima are 100. With
    ``global = FALSE`` the 2018 maxima are 100."""
    res = fi.build(purse.framework, purse.panel, fi.methodology_from_dict(NORMALISE_RAW_GLOBAL))
    codes = ["LPI", "Flights", "Ship", "Bord"]
    k = [res.framework.indicators.index(c) for c in codes]
    y2018 = res.score_array[res.years.index(2018)][:, k]
    for got, printed in zip(np.nanmax(y2018, axis=0),
                            ("83.98913", "88.79325", "85.91861", "93.62416"), strict=True):
        assert close_to_printed(got, printed)
    assert (np.nanmin(y2018, axis=0) == 0).all()
    assert (np.nanmax(res.score_array[..., k], axis=(0, 1)) == 100).all()
    yearly = fi.build(purse.framework, purse.panel, fi.methodology_from_dict(
        {"normalise": {"method": "n_minmax", "l_u": [0, 100], "global": False}}))
    assert (np.nanmax(yearly.score_array[yearly.years.index(2018)][:, k], axis=0) == 100).all()
    default = fi.build(purse.framework, purse.panel)  # a panel: global by default, as COINr
    assert np.array_equal(default.score_array, res.score_array, equal_nan=True)


def test_convert_coinr_panel_writes_coinrs_purse_defaults_and_says_so(tmp_path):
    """A panel (Time with 5 years) is a purse in COINr, normalised globally by default: the
    converter writes global: true, names it in the methodology and prints it; building the
    converted files gives the vignette's 2018 maxima."""
    fw_path, data_path, meth_path, _ = convert_coinr(IDATA_P, IMETA, tmp_path / "p")
    text = meth_path.read_text()
    assert text.startswith("# COINr defaults for panel data (5 years, 2018-2022: a purse): "
                           "Normalise(global = TRUE)")
    meth = fi.load_methodology(meth_path)
    assert meth.normalise.params == {"l_u": [0, 100], "global": True}
    fw = fi.load_framework(fw_path)
    res = fi.build(fw, fi.load_panel(data_path, fw), meth)
    lpi = res.score_array[0, :, fw.indicators.index("LPI")]
    assert close_to_printed(np.nanmax(lpi), "83.98913")
    single = convert_coinr(COINR_FILES / "iData.csv", IMETA, tmp_path / "s")[2]
    assert "global" not in fi.load_methodology(single).normalise.params  # one year: a coin
    out = CliRunner().invoke(app, ["convert-coinr", str(IDATA_P), str(IMETA),
                                   "--out", str(tmp_path / "c")], terminal_width=200)
    assert out.exit_code == 0, out.output
    assert "methodology: COINr defaults for panel data (5 years, 2018-2022: a purse)" in (
        out.output)


def test_asem_panel_builds_from_the_cli(tmp_path):
    out = CliRunner().invoke(app, ["build", "--example", "asem_panel", "--out", str(tmp_path),
                                   "--year", "2022"], terminal_width=200)
    assert out.exit_code == 0, out.output
    ranking = pd.read_csv(tmp_path / "asem_panel" / "ranking_2022.csv")
    assert ranking["rank"].notna().sum() == 46
    assert examples.validate("asem_panel") == []
