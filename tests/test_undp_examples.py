"""UNDP HDR 2023/2024: every published value of the five indices, reproduced exactly."""

import pytest

from fintech_index import examples

# (index, published cells) as counted in the HDR 2023/2024 time-series file
EXPECTED = {"hdi": 6171, "gdi": 5014, "gii": 4711, "ihdi": 2106, "phdi": 5100}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_published_value_is_reproduced(name):
    checks = {v.what: v for v in examples.validate(name)}
    v = checks[name]
    assert v.total == EXPECTED[name]
    assert v.matched == EXPECTED[name], v.mismatches.head(20).to_string()


def test_hdi_2022_ranks_of_193_countries():
    v = {v.what: v for v in examples.validate("hdi")}["hdi_rank"]
    assert (v.total, v.matched) == (193, 193), v.mismatches.to_string()


def test_gii_2022_ranks_of_166_countries():
    v = {v.what: v for v in examples.validate("gii")}["gii_rank"]
    assert (v.total, v.matched) == (166, 166), v.mismatches.to_string()


def test_hdi_published_values_by_hand():
    """Norway 2022 by hand from the Technical Notes:
    health = (83.393-20)/65 = 0.975277; education = (min(18.638,18)/18 + 13.062/15)/2
    = (1 + 0.870823)/2 = 0.935411; income = ln(69189.76/100)/ln(750) = 6.539439/6.620073 = 0.987820;
    HDI = (0.975277*0.935411*0.987820)^(1/3) = 0.965909 -> 0.966."""
    res = examples.load("hdi").build()
    assert round(res.scores("health").loc["NOR", 2022], 6) == 0.975277
    assert round(res.scores("education").loc["NOR", 2022], 6) == 0.935411
    assert round(res.scores("income").loc["NOR", 2022], 6) == 0.98782
    assert round(res.scores("hdi").loc["NOR", 2022], 3) == 0.966
    assert res.ranks("hdi").loc["CHE", 2022] == 1
    assert res.ranks("hdi").loc["NOR", 2022] == 2


def test_phdi_zero_hdi_gives_zero():
    """Rwanda 1994: life expectancy below 20 gives a health index of 0, so the HDI and the
    PHDI are 0 (UNDP publishes the PHDI 0.000 and leaves the HDI blank)."""
    res = examples.load("phdi").build()
    assert res.scores("phdi").loc["RWA", 1994] == 0.0
    assert res.scores("health").loc["RWA", 1994] == 0.0
