"""The one formatting module and the strings table: hand-worked values in both languages."""

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fintech_index import format as fmt
from fintech_index.errors import FintechIndexError
from fintech_index.publish import i18n


def test_ranks_and_missing():
    assert fmt.rank(3.0) == "3" and fmt.rank(float("nan")) == ""
    assert fmt.rank(None, missing="-") == "-"
    assert fmt.interval(3.0, 7.0) == "3\u20137" and fmt.interval(1, 1) == "1"
    assert fmt.interval(float("nan"), 2) == ""


def test_a_rank_interval_is_widened_to_whole_ranks_never_floored():
    """5th and 95th percentiles of ranks fall between ranks: 2.15-2.85 was printed "2" (both
    ends floored, an interval narrower than the audit's); widened it is "2–3". Whole ends
    stay as they are; the float noise of a percentile (3.0000000000000004) is not a rank."""
    assert fmt.interval(2.15, 2.85) == "2\u20133"
    assert fmt.interval(1.0, 2.0) == "1\u20132" and fmt.interval(4.5, 4.5) == "4\u20135"
    assert fmt.interval(3.0000000000000004, 6.999999999999999) == "3\u20137"


@settings(max_examples=200, deadline=None)
@given(st.floats(1, 200), st.floats(0, 50))
def test_an_interval_holds_the_percentiles_it_shows(lo, width):
    hi = lo + width
    a, _, b = fmt.interval(lo, hi).partition("\u2013")
    assert int(a) <= lo + 1e-9 and int(b or a) >= hi - 1e-9 and int(b or a) - hi < 1


def test_one_minus_sign_in_every_reader_output():
    """U+2212 for a negative number, a signed difference and a rank change alike (a
    hyphen-minus beside a minus sign in one table was the inconsistency)."""
    assert fmt.MINUS == "\u2212"
    assert fmt.number(-1234.56) == "\u22121,234.6" and fmt.score(-0.5) == "\u22120.50"
    assert fmt.signed(-0.5) == "\u22120.5" and fmt.change(-3, style="sign") == "\u22123"
    assert fmt.number(-0.04) == "0.0" and fmt.number(0.0) == "0.0"
    assert fmt.value(-2.5, "points") == "\u22122.50 points"


def test_a_column_of_numbers_has_one_format():
    """P(top 10) of 1 beside 0.985 was "1" beside "0.985": a column is whole numbers only
    when every value is whole (years are not grouped), else every value has the same
    decimals."""
    assert fmt.column([1.0, 0.985, 0.5]) == ["1.000", "0.985", "0.500"]
    assert fmt.column([1.0, 2.0, float("nan")]) == ["1", "2", ""]
    assert fmt.column([2024, 2025]) == ["2024", "2025"]
    assert fmt.column([-1.0, 0.0, 3.0]) == ["\u22121", "0", "3"]
    assert fmt.column([12.5, -0.021], digits=2) == ["12.50", "\u22120.02"]


@pytest.mark.parametrize(("n", "en", "zh"), [(1, "first", "第1位"), (3, "third", "第3位"),
                                             (10, "tenth", "第10位"), (11, "11th", "第11位"),
                                             (12, "12th", "第12位"), (22, "22nd", "第22位"),
                                             (103, "103rd", "第103位"), (111, "111th", "第111位")])
def test_ordinals(n, en, zh):
    assert fmt.ordinal(n) == en and fmt.ordinal(n, "zh") == zh


@pytest.mark.parametrize(("v", "words_en", "words_zh", "sign", "arrow", "cls"), [
    (2.0, "up 2", "上升2位", "+2", "\u25b22", "up"),
    (-1.0, "down 1", "下降1位", "\u22121", "\u25bc1", "down"),
    (0.0, "unchanged", "持平", "=", "=", "same"),
    (float("nan"), "new", "新上榜", "new", "new", "new")])
def test_changes(v, words_en, words_zh, sign, arrow, cls):
    assert fmt.change(v) == words_en and fmt.change(v, "zh") == words_zh
    assert fmt.change(v, style="sign") == sign and fmt.change(v, style="arrow") == arrow
    assert fmt.change_class(v) == cls


def test_numbers_values_dates_lists():
    assert fmt.number(12345.678) == "12,345.7" and fmt.score(70.125) == "70.12"
    assert fmt.number(-0.04) == "0.0" and fmt.signed(-1.25) == "\u22121.2"
    assert fmt.signed(2.0, 0) == "+2" and fmt.percent(0.853) == "85%"
    assert fmt.value(12.0, "unicorns") == "12 unicorns" and fmt.value(43.2644) == "43.26"
    assert fmt.value(720.0, "points") == "720 points" and fmt.value(0.01234) == "0.012"
    assert fmt.value(1801.58) == "1,801.6"
    assert fmt.value(3.0, "家", "zh") == "3家" and fmt.value(62.72, "%（占GDP）", "zh") == \
        "62.72%（占GDP）"
    assert fmt.value(45.0, "GPCI得分（0–100）", "zh") == "45 GPCI得分（0–100）"
    assert fmt.date(dt.date(2026, 11, 5)) == "5 November 2026"
    assert fmt.date(dt.date(2026, 11, 5), "zh") == "2026年11月5日"
    assert fmt.join(["A", "B", "C"]) == "A, B and C" and fmt.join(["A", "B"], "zh") == "A和B"
    assert fmt.places(1) == "one place" and fmt.places(-3) == "three places"
    assert fmt.places(2, "zh") == "2位" and fmt.count(5, "zh") == "五"


@given(st.floats(min_value=-1e12, max_value=1e12) | st.just(float("nan")))
def test_number_round_trips_to_its_rounding(x):
    text = fmt.number(x, 2)
    if math.isnan(x):
        assert text == ""
    else:
        back = float(text.replace(",", "").replace(fmt.MINUS, "-"))
        assert abs(back - x) <= 0.005 + 1e-9 * abs(x)


def test_strings_table_has_no_key_twice():
    """YAML keeps the last of two equal keys without a word: refuse that in the table."""
    import yaml

    class Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node):
        keys = [loader.construct_object(k) for k, _ in node.value]
        assert len(keys) == len(set(keys)), [k for k in keys if keys.count(k) > 1]
        return loader.construct_mapping(node)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    yaml.load(i18n.STRINGS_FILE.read_text(encoding="utf-8"), Loader=Strict)


def test_strings_table_is_complete_and_languages_are_checked():
    en, zh = i18n.strings("en"), i18n.strings("zh")
    assert en.keys() == zh.keys() and len(en) > 40
    # every {field} of a key is the same in both languages
    import string
    for key in en:
        fields = [{f for _, f, _, _ in string.Formatter().parse(s) if f} for s in (en[key],
                                                                                  zh[key])]
        assert fields[0] == fields[1], key
    fw = __import__("fintech_index").framework_from_dict(
        {"index": {"code": "i", "children": [{"code": "a", "unit": "firms"},
                                             {"code": "b", "unit": "furlongs"}]}})
    assert i18n.unit_of(fw, "a", "zh") == "家" and i18n.unit_of(fw, "a") == "firms"
    assert i18n.unit_of(fw, "b", "zh") == "furlongs"  # not in the table: as given
    rank = __import__("fintech_index").framework_from_dict(
        {"index": {"code": "i", "children": [{"code": "a", "unit": "rank"}, {"code": "b"}]}})
    assert fmt.value(4.0, i18n.unit_for_value(rank, "a", "zh"), "zh") == "第4位"
    assert fmt.value(4.0, i18n.unit_for_value(rank, "a")) == "rank 4"
    assert i18n.unit_of(rank, "a") == "rank" and i18n.unit_of(rank, "a", "zh") == "名次"
    assert i18n.text("city_summary", "zh", rank=3, n=43, score="70.12") == \
        "在43个城市中排名第3位，得分70.12。"
    with pytest.raises(FintechIndexError, match=r"'fr'.*en, zh \[U48\]"):
        i18n.check_lang("fr")


def test_a_share_rounded_down_or_up_is_never_said_larger_or_smaller():
    """An observed weight of 99.6% is not "100%" rounded down; the imputed 0.4% is not "0%"
    rounded up; 0.29 * 100 (28.999999999999996 in floats) stays 29%; nearest as before."""
    assert fmt.percent(0.996, rounding="down") == "99%"
    assert fmt.percent(0.004, rounding="up") == "1%"
    assert fmt.percent(0.29, rounding="down") == "29%" == fmt.percent(0.29, rounding="up")
    assert fmt.percent(0.44, rounding="up") == "44%" and fmt.percent(0.5501, rounding="up") == "56%"
    assert fmt.percent(0.8537, 1, rounding="down") == "85.3%"
    assert fmt.percent(0.996) == "100%" and fmt.percent(None, rounding="down") == ""
