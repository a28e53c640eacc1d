"""The lead story on the hand-worked two-edition example of test_analysis (synthetic) and on
the bundled fintech index: selection by newsworthiness, one sentence per city, nothing
said twice, at most eight sentences, every sentence also in the sentences file."""

import pytest

import fintech_index as fi
from fintech_index.analysis import edition_sentences
from fintech_index.analysis.edition import Edition
from fintech_index.analysis.lead import lead_story, weight
from fintech_index.analysis.sentences import edition_facts

from .test_analysis import E24, E25

GAP = ("The gap among the top three narrowed: the score range went from 27.5 to 21.0 points "
       "(standard deviation 13.9 to 11.5).")


def test_lead_of_the_worked_example():
    """Facts and weights (top 3): leaders 100, top two unchanged 90, gap 50 + 10 x 6.5 ->
    80 (capped), Sburg's three facts: index move 40 + 8 + (4 - 3) = 49, Alpha move 15 + 5 +
    0.5 = 20.5, Beta move 20.5 -> one sentence of weight 49 + 2 + 2 = 53; region 50; firsts
    on Alpha (P, overall 2nd) and Beta (Q, 1st): 45 + 1 = 46 and 45 + 1.5 = 46.5. The
    overtake of Rcity by Sburg on Alpha is what Sburg's climb on Alpha says: not in the lead."""
    lead = lead_story(E25, E24, top=3)
    assert lead.sentences == (
        "The 2025 ranking is led by Qtown, followed by Pville and Sburg.",
        "The top two positions are unchanged from 2024.",
        GAP,
        "Sburg climbed one place to third, climbed one place to third on Alpha and fell one "
        "place to third on Beta.",
        "North America leads with two of the top three (mean index score 83.8).",
        "Qtown ranks first on Beta.",
        "Pville ranks first on Alpha.",
    )
    assert lead.sections == (("Head to head among the leaders",
                              ("Sburg overtook Rcity on Alpha.",)),)
    weights = {(f.kind, f.subject, f.node): weight(f, 3) for f in edition_facts(E25, E24, 3)}
    assert weights[("move", "S", None)] == 49 and weights[("move", "S", "A")] == 20.5
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
    assert lead.sentences[:3] == (
        "Rcity fell one place to fourth.",
        "Rcity fell one place to fourth on Alpha and climbed one place to third on Beta.",
        "Rcity was overtaken by Sburg on Alpha.")
    assert lead.sentences[3] == "The 2025 ranking is led by Qtown, followed by Pville and Sburg."
    zh = lead_story(E25, E24, top=3, focus="R", lang="zh")
    assert zh.sentences[:3] == ("Rcity排名下降1位至第四。",
                                "Rcity在Alpha上排名下降1位至第四，在Beta上排名上升1位至第三。",
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
    assert len(all_sentences) > 40 and len(lead.sentences) == 8
    assert lead.sentences[0] == ("The 2025 ranking is led by New York, followed by San "
                                 "Francisco Bay Area and Los Angeles.")
    # one sentence per city: no city opens two lead sentences
    openers = [s.split(" climbed")[0].split(" fell")[0] for s in lead.sentences[2:]]
    assert len(set(openers)) == len(openers)
    # Hong Kong climbed two places to fourth (2024: 6th): the biggest move of the top ten
    assert any(s.startswith("Hong Kong climbed two places to fourth") for s in lead.sentences)
    # a fact merged into the lead is not told again in the sections
    sections = [x for _, lines in lead.sections for x in lines]
    assert "Seoul ranks first on R&D investment." in all_sentences
    assert any("Seoul" in s and "R&D investment" in s for s in lead.sentences)
    assert "Seoul ranks first on R&D investment." not in sections
    assert len(sections) + sum(s.count(",") + s.count(" and ") + 1
                               for s in lead.sentences) >= len(all_sentences)
    focus = lead_story(cur, prev, focus="SHA")
    assert focus.sentences[0] == "Shanghai ranks 18th of 43, unchanged from 2024."
    assert len(focus.sentences) <= 8
