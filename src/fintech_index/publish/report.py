"""An edition's analyses written as files: changes, gaps, regional leads, sentences."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from ..analysis.changes import unchanged_top
from ..analysis.edition import Edition
from ..analysis.gaps import gap
from ..analysis.regions import regional_leads
from ..build import Results
from ..exports import write_csv
from ..outfiles import output_folder, write_text
from ..safe import printable
from ..tables import arrow_texts
from .lead import Lead, lead_story, resolve_unit
from .sentences import edition_sentences
from .view import EditionView


def profile_table(ed: Edition, margin: int = 3) -> pd.DataFrame:
    """Strengths and weaknesses of every ranked unit on the aggregates below the index:
    unit, overall rank, node, node rank, rank_gap (overall - node rank), kind; units in
    ranked order, each unit's strengths (largest gap first) then weaknesses, as
    :func:`profiles.profile` gives them, for all units in one pass: a sort of each unit's
    row of gaps (a sort of the text columns took 0.17 s for 500,000 rows, issue 27; one
    sort of the 500,000 selected pairs by one integer key, 0.1 s and 60 MB)."""
    cols = ["unit", "overall_rank", "node", "rank", "rank_gap", "score", "kind"]
    # in code point order (as Python sorts str): a stable sort of a row then leaves the
    # nodes of equal gaps in code order
    aggregates = sorted(n for n in ed.children if ed.children[n] and n != ed.index)
    ranked, rows = ed.ranked(), ed.ranked_rows()
    if not len(ranked) or not aggregates:
        return pd.DataFrame(columns=cols)
    at = ed.ranks.columns.get_indexer(aggregates)
    ranks = ed.ranks.to_numpy(dtype=float)[np.ix_(rows, at)]
    scores = ed.scores.to_numpy(dtype=float)[np.ix_(rows, at)]  # both in ranked order
    overall = ranked.to_numpy(dtype=float)[:, None]
    gap = overall - ranks  # whole or half ranks, below the number of units: exact floats
    strong = gap >= margin
    # 0 strength, 1 weakness, 2 neither; each row sorted: strengths (largest gap first),
    # weaknesses (most negative first), the rest
    kind = np.where(strong, 0, np.where(gap <= -margin, 1, 2)).astype(np.int8)
    span = 4.0 * (np.abs(gap[kind < 2]).max(initial=0) + 1)  # apart: each kind's keys
    order = np.argsort(np.where(strong, -gap, gap) + kind * span, axis=1, kind="stable")
    unit_pos, k = np.nonzero(np.take_along_axis(kind, order, axis=1) < 2)
    node_pos = order[unit_pos, k]
    # the selected (unit, node) cells by their flat place: a take each, in rising order
    # (pairs of indices into a 2-d array, or rows spread over the whole score matrix,
    # took 0.4 s more of 6 million cells, issue 27)
    cell = unit_pos * len(at) + node_pos
    weak = kind.ravel().take(cell) == 1
    return pd.DataFrame({
        "unit": _repeated(ranked.index, unit_pos), "overall_rank": overall[unit_pos, 0],
        "node": _repeated(aggregates, node_pos),
        "rank": ranks.ravel().take(cell), "rank_gap": gap.ravel().take(cell),
        "score": scores.ravel().take(cell),
        "kind": _repeated(["strength", "weakness"], weak.astype(np.intp))}, copy=False)


def _repeated(texts, at: np.ndarray) -> pd.Series:
    """``texts[at]`` as a text column held by Arrow (pandas 3's ``str``): taken by Arrow,
    and written by :func:`exports.write_csv` without a Python object per cell (an object
    column of 500,000 rows took 0.16 s more to write, issue 27); an Arrow-backed index's
    texts are taken from its own Arrow data (a million codes made Arrow text again: 0.5 s)."""
    taken = arrow_texts(texts, pa.string()).take(at)
    return pd.Series(pd.arrays.ArrowStringArray(taken, dtype=_STR), copy=False)


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas 3's default text dtype


@dataclass(frozen=True)
class EditionReport:
    """What :func:`write_edition_report` computed and wrote: the files, and the lead story,
    the sentences and the regional leads as objects (a caller prints them from here instead
    of reading the files back)."""

    year: int
    written: list[Path]
    lead: Lead
    sentences: list[str]
    regional_leads: pd.DataFrame  # one row per group: units, top_<n>, mean_<node>...


def write_edition_report(results: Results, out_dir: str | Path, year: int | None = None,
                         previous_year: int | None = None, top: int = 10,
                         focus: str | None = None, lang: str = "en",
                         view: EditionView | None = None,
                         notes: Callable[[str], Sequence[str]] | None = None
                         ) -> EditionReport:
    """changes_<year>.csv (every node), gaps_<year>.json, regional_leads_<year>.csv,
    profiles_<year>.csv (strengths and weaknesses of every city), sentences_<year>.txt
    (every sentence) and lead_<year>.txt (the lead story and its sections; from the point
    of view of the city ``focus`` when given) for ``year`` (default the latest) against
    ``previous_year`` (default the year before it in the results, if any). Returns the
    files and the lead, sentences and regional leads written to them. ``view``: that
    edition as every output renders it, when already made for the same year and top;
    ``notes``: what the focus lead adds in a language (``publish.focus_notes``)."""
    from .i18n import check_lang, node_name

    check_lang(lang)
    out = output_folder(out_dir)
    wanted = results.years[results.year_index(year)]
    if (view is None or view.results is not results or view.year != wanted
            or view.top != top or previous_year is not None):
        view = EditionView(results, wanted, previous_year, top)
    cur, prev, ch = view.cur, view.prev, view.changes
    focus_unit = resolve_unit(cur, focus) if focus else None
    written = []
    if ch is not None:
        p = out / f"changes_{cur.year}.csv"
        write_csv(ch.table.sort_values(["node", "rank", "unit"]), p)
        written.append(p)
        g_now, g_before = gap(cur, top), gap(prev, top)
        written.append(write_text(out / f"gaps_{cur.year}.json", json.dumps(
            {"current": asdict(g_now), "previous": asdict(g_before),
             "verdict": g_now.versus(g_before), "top_unchanged": unchanged_top(ch)},
            indent=2) + "\n"))
    leads = regional_leads(cur, top=top)
    p = out / f"regional_leads_{cur.year}.csv"
    write_csv(leads, p, index=True)
    written.append(p)
    p = out / f"profiles_{cur.year}.csv"
    write_csv(profile_table(cur), p)
    written.append(p)
    facts = view.facts  # one finding for both files
    fw = results.framework
    node_names = {c: node_name(fw, c, lang) for c in fw.nodes}
    sentences = edition_sentences(cur, prev, top=top, lang=lang, facts=facts,
                                  node_names=node_names)
    written.append(write_text(out / f"sentences_{cur.year}.txt",
                              printable("\n".join(sentences) + "\n")))
    lead = lead_story(cur, prev, top=top, lang=lang,
                      focus=focus_unit, node_names=node_names, facts=facts,
                      changes=ch, notes=notes(lang) if notes and focus_unit else ())
    written.append(write_text(out / f"lead_{cur.year}.txt", printable(lead.text())))
    return EditionReport(cur.year, written, lead, sentences, leads)
