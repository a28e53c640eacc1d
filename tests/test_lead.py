"""The lead story on the hand-worked two-edition example of test_analysis (synthetic) and on
the bundled fintech index: selection by newsworthiness, one sentence per city, nothing
said twice, at most eight sentences, every sentence also in the sentences file."""

import pytest

import fintech_index as fi
from fintech_index.analysis.changes import compare
from fintech_index.analysis.edition import Edition
from fintech_index.analysis.facts import edition_facts
from fintech_index.analysis.gaps import gap
from fintech_index.publish.lead import lead_story, weight
from fintech_index.publish.sentences import edition_sentences, ordinal

from .test_analysis import E24, E25

GAP = ("The gap among the top three narrowed: the score range went from 27.5 to 21.0 points "
       "(standard deviation 13.9 to 11.5).")


def test_lead_of_the_worked_example():
    """Facts and weights (top 3): leaders 100, top two unchanged 90, gap 50 + 10 x 6.5 ->
    80 (capped); Sburg entered the top three (4th -> 3rd): 40 + 8 + (4 - 3) + 40 = 89, said
    alone (its moves on Alpha and Beta, 15 + 2 + 0.5 = 17.5 each, go to the sections);
    Rcity left it (3rd -> 4th): 40 + 8 - (4 - 3) / 6 + 40 = 87.83; region 50; firsts on
    Alpha (P, overall 2nd) and Beta (Q, 1st): 45 + 1 = 46 and 45 + 1.5 = 46.5. The
    overtake of Rcity by Sburg on Alpha is what Sburg's climb on Alpha says: not in the lead."""
    lead = lead_story(E25, E24, top=3)
    assert lead.sentences == (
        "The 2025 ranking is led by Qtown, followed by Pville and Sburg.",
        "The top two positions are unchanged from 2024.",
        "Sburg climbed one place to third, into the top three.",
        "Rcity fell one place to fourth, out of the top three.",
        GAP,
        "North America leads with two of the top three (mean index score 83.8).",
        "Qtown ranks first on Beta.",
        "Pville ranks first on Alpha.",
    )
    assert lead.sections == (
        ("Head to head among the leaders", ("Sburg overtook Rcity on Alpha.",)),
        ("Moves in the ranking", ("Sburg climbed one place to third on Alpha.",
                                  "Sburg fell one place to third on Beta.")))
    weights = {(f.kind, f.subject, f.node): weight(f, 3) for f in edition_facts(E25, E24, 3)}
    assert weights[("move", "S", None)] == 89 and weights[("move", "S", "A")] == 17.5
    assert weights[("move", "R", None)] == pytest.approx(87 + 5 / 6)
    assert weights[("first", "Q", "B")] == 46.5 and weights[("gap", None, None)] == 80


def test_every_lead_fact_is_in_the_sentences_file_and_nothing_is_said_twice():
    lead = lead_story(E25, E24, top=3)
    sentences = edition_sentences(E25, E24, top=3)
    in_sections = [s for _, lines in lead.sections for s in lines]
    assert set(in_sections) <= set(sentences)
    assert len(set(in_sections)) == len(in_sections)
    for s in sentences:  # every sentence is in the lead, or merged into it, or in a section
        core = s.rstrip(".").split(" ", 1)[1]
        assert s in lead.sentences or s in in_sections or any(
            core in x for x in lead.sentences), s


def test_focus_tells_the_story_of_one_city():
    """Rcity, 4th (3rd in 2024): fell one place; on Alpha 3rd -> 4th, on Beta 4th -> 3rd
    (tied with S); overtaken by Sburg on Alpha (2024: R 65 > S 45; 2025: S 68 > R 60)."""
    lead = lead_story(E25, E24, top=3, focus="R")
    assert lead.sentences[:4] == (
        "Rcity fell one place to fourth, out of the top three.",
        "Rcity is strongest on Beta (third) and weakest on Alpha (fourth).",
        "Rcity fell one place to fourth on Alpha and climbed one place to third on Beta.",
        "Rcity was overtaken by Sburg on Alpha.")
    assert lead.sentences[4] == "The 2025 ranking is led by Qtown, followed by Pville and Sburg."
    zh = lead_story(E25, E24, top=3, focus="R", lang="zh")
    assert zh.sentences[:4] == ("Rcity排名下降1位至第4位，跌出前三名。",
                                "Rcity在Beta上表现最强（第3位），在Alpha上最弱（第4位）。",
                                "Rcity在Alpha上排名下降1位至第4位，在Beta上排名上升1位至第3位。",
                                "Rcity在Alpha上被Sburg超越。")
    assert "北美进入前三名的城市最多，共两个（指数平均得分83.8）。" in zh.sentences
    # Qtown did not move: its position, unchanged
    assert lead_story(E25, E24, top=3, focus="Q").sentences[0] == (
        "Qtown ranks first of four, unchanged from 2024.")


@pytest.fixture(scope="module")
def fintech():
    r = fi.examples.load("fintech").build()
    return Edition.of(r), Edition.of(r, r.years[-2])


def test_fintech_lead_is_short_and_leads_with_the_leaders(fintech):
    cur, prev = fintech
    lead = lead_story(cur, prev)
    all_sentences = edition_sentences(cur, prev)
    assert len(all_sentences) > 30 and len(lead.sentences) == 8
    top3 = [cur.name(u) for u in cur.ranked().index[:3]]
    assert lead.sentences[0] == (f"The 2025 ranking is led by {top3[0]}, followed by "
                                 f"{top3[1]} and {top3[2]}.")
    # one sentence per city: no city opens two lead sentences
    cities = {cur.name(u) for u in cur.ranks.index}
    openers = [next((c for c in cities if s.startswith(c + " ")), None)
               for s in lead.sentences[1:]]
    openers = [o for o in openers if o]
    assert len(set(openers)) == len(openers)
    # the biggest move on the index within the top ten is in the lead, first in its sentence
    moves = [f for f in edition_facts(cur, prev) if f.kind == "move" and f.node is None]
    big = max(moves, key=lambda f: (abs(f.data["change"]), -f.data["rank"]))
    verb = "climbed" if big.data["change"] > 0 else "fell"
    assert any(s.startswith(f"{cur.name(big.subject)} {verb} ") for s in lead.sentences)
    # a fact merged into the lead is not told again in the sections
    sections = [x for _, lines in lead.sections for x in lines]
    for f in edition_facts(cur, prev):
        if f.kind == "first":
            alone = f"{cur.name(f.subject)} ranks first on {cur.node_names[f.node]}."
            merged = any(s.startswith(f"{cur.name(f.subject)} ") and
                         cur.node_names[f.node] in s and "first on" in s
                         for s in lead.sentences)
            assert alone in all_sentences and (alone in sections) != merged, alone
    rank = int(cur.ranks.at["SHA", cur.index])
    n = len(cur.ranked())
    focus = lead_story(cur, prev, focus="SHA")
    change = prev.ranks.at["SHA", prev.index] - rank
    assert focus.sentences[0].startswith("Shanghai ") and len(focus.sentences) <= 8
    if change == 0:
        assert focus.sentences[0] == (f"Shanghai ranks {ordinal(rank)} of {n}, unchanged "
                                      "from 2024 (recomputed on the 2025 framework).")


def test_fintech_lead_tells_the_news(fintech):
    """The bundled 2025 edition against the 2024 back-cast: Boston enters the top ten (11th
    -> 9th), Hong Kong leaves it (10th -> 11th); Beijing's fall of four places (15th ->
    19th) and Shenzhen's rise of four (19th -> 15th) are the largest among the top twenty;
    Dubai (+3) is the edition's largest rise outside it. Each opens a lead sentence, in both
    languages; entering or leaving the top ten is said alone, right after the leaders."""
    cur, prev = fintech
    en = lead_story(cur, prev).sentences
    assert en[1] == "Boston climbed two places to ninth, into the top ten."
    assert en[3] == "Hong Kong fell one place to 11th, out of the top ten."
    for s in ("Beijing fell four places to 19th.", "Dubai climbed three places to 24th.",
              # 44% of Shenzhen's weight is observed (its GDP, talent, ... imputed): said
              "Shenzhen climbed four places to 15th, though 56% of its index weight rests "
              "on imputed values."):
        assert any(x.startswith(s) for x in en), s
    zh = lead_story(cur, prev, lang="zh").sentences
    for s in ("波士顿排名上升2位至第9位，跻身前十名。", "香港排名下降1位至第11位，跌出前十名。",
              "北京排名下降4位至第19位。",
              "深圳排名上升4位至第15位，但其指数权重的56%基于插补值。"):
        assert any(x.startswith(s) for x in zh), s
    # every other mover of the lead rests mostly on observed values: no caveat
    assert sum("imputed" in x for x in en) == 1
    assert cur.observed["SZX"] == pytest.approx(0.44, abs=0.005)
    # the rule, checked on the data: every crossing of the top ten and every largest move of
    # the top twenty are in the lead
    t = compare(cur, prev).node()
    before = t["rank"] + t["rank_change"]
    crossing = t[(t["rank"] <= 10) != (before <= 10)].index
    top20 = t[(t["rank"] <= 20) | (before <= 20)]
    moves = top20["rank_change"].abs()
    big = moves[moves == moves.max()].index
    for unit in [*crossing, *big]:
        assert any(x.startswith(cur.name(unit) + " ") for x in en), unit
    assert set(crossing) == {"BOS", "HKG"} and set(big) == {"BJS", "SZX"}


def test_head_to_head_only_on_observed_values(fintech):
    """Shenzhen's Skilled-workforce score rests on imputed values: 'Shanghai overtook
    Shenzhen on Skilled workforce' is not stated; Shanghai's focus gives its strongest and
    weakest dimensions instead."""
    cur, prev = fintech
    node = next(c for c, n in cur.node_names.items() if n == "Skilled workforce")
    assert cur.imputed.at["SZX", node]
    said = lead_story(cur, prev, focus="SHA").sentences
    assert not any("Shenzhen on Skilled workforce" in s for s in said)
    assert said[1] == "Shanghai is strongest on Industry (tenth) and weakest on Talent (24th)."


@pytest.mark.slow
def test_main_command_prints_the_lead_and_writes_the_story(tmp_path):
    from typer.testing import CliRunner

    from fintech_index.cli import app

    r = CliRunner().invoke(app, ["build", "--out", str(tmp_path), "--top", "10"])
    assert r.exit_code == 0, r.output
    assert "ranking 2025" in r.output and "vs 2024" in r.output
    # the lead story (at most eight sentences), then where the other sentences are
    assert "The 2025 ranking is led by New York" in r.output
    assert "sentences in all: lead_2025.txt by section, sentences_2025.txt" in r.output
    assert "small audit: 1,024 replications" in r.output
    out = tmp_path / "fintech"
    for name in ("sentences_2025.txt", "lead_2025.txt", "uncertainty_summary_2025.csv"):
        assert (out / name).exists(), name
    lead = (out / "lead_2025.txt").read_text()
    assert lead.startswith("The 2025 ranking is led by New York")
    every = (out / "sentences_2025.txt").read_text().splitlines()
    for line in lead.split("\n\n", 1)[1].splitlines():
        if line.startswith("- "):
            assert line[2:] in every


def _two_years(before, after, meta=None):
    """Index = mean(x1, x2) with x1 = x2 = the score given (no normalisation): the
    editions of both years of one build (synthetic)."""
    import numpy as np

    fw = fi.framework_from_dict({"meta": meta or {}, "index": {
        "code": "idx", "children": [{"code": "x1"}, {"code": "x2"}]}}, "synthetic.yaml")
    values = np.array([[[v, v] for v in before], [[v, v] for v in after]], float)
    panel = fi.panel_from_arrays(values, fw, list("PQRS"), [2024, 2025], source="synthetic")
    r = fi.build(fw, panel, fi.methodology_from_dict({"normalise": "none",
                                                      "aggregate": "a_amean"}))
    return Edition.of(r), Edition.of(r, 2024)


def test_gap_figure_unchanged_at_the_decimal_shown_is_said_so():
    """Top three 90, 80, 70 (range 20, sd 10) -> 89.96, 80, 70.04: range 19.92 shows 19.9,
    sd sqrt((9.96^2 + 0 + 9.96^2) / 2) = 9.96 shows 10.0 as before."""
    cur, prev = _two_years([90, 80, 70, 10], [89.96, 80, 70.04, 10])
    en = [s for s in edition_sentences(cur, prev, top=3) if "gap" in s]
    assert en == ["The gap among the top three narrowed: the score range went from 20.0 to "
                  "19.9 points (standard deviation unchanged at 10.0)."]
    zh = [s for s in edition_sentences(cur, prev, top=3, lang="zh") if "差距" in s]
    assert zh == ["前三名之间的差距缩小：得分极差由20.0分变为19.9分（标准差保持在10.0）。"]


def test_a_gap_change_shown_by_neither_figure_is_not_news():
    """89.99, 80, 70.01: range 19.98 and sd 9.99, both 20.0 and 10.0 as shown: narrowed
    by the exact figures, but no sentence says 'from 20.0 to 20.0'."""
    cur, prev = _two_years([90, 80, 70, 10], [89.99, 80, 70.01, 10])
    assert gap(cur, 3).versus(gap(prev, 3)) == "narrowed"
    assert not [f for f in edition_facts(cur, prev, 3) if f.kind == "gap"]


def test_a_year_recomputed_on_a_later_framework_is_named_so():
    """A framework of edition 2025 (meta: edition) over 2024 and 2025: 2024 is a back-cast
    on it, and every sentence that names 2024 says so; without the meta, plain 2024."""
    cur, prev = _two_years([90, 80, 70, 10], [95, 80, 70, 10], meta={"edition": 2025})
    assert (cur.recomputed_on, prev.recomputed_on) == (None, 2025)
    said = edition_sentences(cur, prev, top=3)
    assert "The top four positions are unchanged from 2024 (recomputed on the 2025 " \
           "framework)." in said
    assert "前四名的位次与2024年（按2025年框架重新计算）相同。" in edition_sentences(
        cur, prev, top=3, lang="zh")
    assert lead_story(cur, prev, top=3, focus="R").sentences[0] == (
        "R ranks third of four, unchanged from 2024 (recomputed on the 2025 framework).")
    cur, prev = _two_years([90, 80, 70, 10], [95, 80, 70, 10])
    assert prev.recomputed_on is None
    assert "The top four positions are unchanged from 2024." in edition_sentences(cur, prev, 3)


def test_fintech_sentences_name_the_backcast_and_the_deviation_unchanged_as_shown(fintech):
    """The bundled 2025 edition against the 2024 back-cast: top-ten sd 10.859 -> 10.810
    (10.9 -> 10.8 as shown); range 34.61 -> 33.78."""
    cur, prev = fintech
    g_now, g_before = gap(cur, 10), gap(prev, 10)
    assert round(g_before.sd, 3) == 10.859 and round(g_now.sd, 3) == 10.81
    said = edition_sentences(cur, prev)
    assert "The top six positions are unchanged from 2024 (recomputed on the 2025 " \
           "framework)." in said
    assert ("The gap among the top ten narrowed: the score range went from 34.6 to 33.8 "
            "points (standard deviation 10.9 to 10.8).") in said
    zh = edition_sentences(cur, prev, lang="zh")
    assert "前六名的位次与2024年（按2025年框架重新计算）相同。" in zh
    assert "前十名之间的差距缩小：得分极差由34.6分变为33.8分（标准差由10.9变为10.8）。" in zh


def test_focus_city_by_code_or_name_in_the_latest_year():
    """The unit --focus names (code or name, any case) among the ranked units of the latest
    year; none given, none; an unknown city [U49] lists the ranked ones."""
    import numpy as np

    from fintech_index.errors import FintechIndexError
    from fintech_index.publish.lead import focus_unit

    from .test_analysis import FW, META, METH, V2024, V2025

    p = fi.panel_from_arrays(np.array([V2024, V2025], float), FW, list("PQRS"), [2024, 2025],
                             meta=META, source="synthetic")
    r = fi.build(FW, p, METH)
    assert focus_unit(r, "rcity") == "R" and focus_unit(r, " Q ") == "Q"
    assert focus_unit(r, None) is None
    with pytest.raises(FintechIndexError, match=r"'Tcity'.*P \(Pville\).*\[U49\]"):
        focus_unit(r, "Tcity")


def test_every_string_has_the_same_fields_in_both_languages():
    """A {field} only one language's template names would be a KeyError, or a figure left
    out, in that language only (publish/strings.yaml)."""
    import string

    from fintech_index.publish.i18n import strings

    def fields(text: str) -> set[str]:
        return {f for _, f, _, _ in string.Formatter().parse(text) if f}

    en, zh = strings("en"), strings("zh")
    assert en.keys() == zh.keys()
    assert {k: fields(en[k]) for k in en} == {k: fields(zh[k]) for k in zh}


def test_score_figures_in_sentences_show_three_significant_figures_of_the_scale(fintech):
    """HDI 2022 (0-1 scale, top 0.967 -> three decimals) against 2021: top-ten range 0.02211
    -> 0.02052, sd 0.00778 -> 0.00709 (at one decimal this read 'from 0.0 to 0.0 points');
    the fintech index (0-100, top 83.8) keeps one decimal."""
    r = fi.examples.load("hdi").build()
    cur, prev = Edition.of(r, 2022), Edition.of(r, 2021)
    assert cur.decimals() == 3 and fintech[0].decimals() == 1
    assert ("The gap among the top ten narrowed: the score range went from 0.022 to 0.021 "
            "points (standard deviation 0.008 to 0.007).") in edition_sentences(cur, prev)


def test_focus_notes_follow_the_profile_and_read_the_audit():
    """Rcity's notes (an index's count from records, then its interval: the audit's 5th and
    95th percentiles and P(top 3)) follow its position and its profile and come before its
    moves on the dimensions; the lead grows by them, so the edition's news stays."""
    import pandas as pd

    from fintech_index.publish.lead import focus_notes

    audit = pd.DataFrame({"rank_p05": [3.0], "rank_p95": [5.0], "median_rank": [4.0],
                          "p_top3": [0.25]}, index=["R"])
    notes = focus_notes(E25, "R", "en", audit, ["Rcity counts 7 firms."])
    assert notes == ("Rcity counts 7 firms.", "Under the audit's alternative methodologies "
                     "Rcity ranks between 3 and 5 in 90% of cases; its chance of the top three "
                     "is 25%.")
    assert focus_notes(E25, "R", "zh", audit) == (
        "在不确定性分析的各种备选方法下，Rcity的排名90%落在第3至第5位之间，进入前三名的概率为25%。",)
    assert focus_notes(E25, "R", "en") == () and focus_notes(E25, "Q", "en", audit) == ()
    plain = lead_story(E25, E24, top=3, focus="R")
    lead = lead_story(E25, E24, top=3, focus="R", notes=notes)
    assert lead.sentences == plain.sentences[:2] + notes + plain.sentences[2:]


def test_chinese_lead_has_no_space_after_a_full_stop():
    zh = lead_story(E25, E24, top=3, lang="zh")
    assert zh.text().startswith("".join(zh.sentences[:2])) and "。 " not in zh.text()
    assert lead_story(E25, E24, top=3).text().startswith(
        "The 2025 ranking is led by Qtown, followed by Pville and Sburg. The top two ")


def test_fintech_focus_gives_shanghai_counts_from_records():
    """Shanghai's counts from records as the index words them: 35 unicorns on CB Insights'
    list of 7 October 2025, two in fintech (Financial Services); listed brokerages above 1
    billion yuan of IT investment: 1 for 2019, 1 for 2021, 2 for 2022, 1 for 2024."""
    from fintech_index.gfcdi.paper import paper_sections

    focus = paper_sections(fi.examples.load("fintech").build()).focus
    assert focus("SHA", 2025, "en", "Shanghai") == [
        "Shanghai is home to 35 of the unicorns on CB Insights' list of 7 October 2025, 2 of "
        "them in fintech.",
        "Listed brokerages headquartered in Shanghai that disclosed more than 1 billion yuan "
        "of IT investment: 1 for 2019, 1 for 2021, 2 for 2022 and 1 for 2024."]
    assert focus("SHA", 2025, "zh", "上海") == [
        "按CB Insights 2025年10月7日的榜单，上海共有35家独角兽企业，其中金融科技企业2家。",
        "总部位于上海、披露信息技术投入超过10亿元的上市券商：2019年1家、2021年1家、2022年2家和"
        "2024年1家。"]
    assert focus("NYC", 2025, "en", "New York") == [
        "New York is home to 130 of the unicorns on CB Insights' list of 7 October 2025, 39 "
        "of them in fintech."]
