"""The edition view: computed once, then read by the site, the white papers, the workbook
and the edition report (none of them recomputes an edition or its changes)."""

import numpy as np
import pandas as pd
import pytest

import fintech_index as fi
from fintech_index.analysis.changes import compare
from fintech_index.analysis.edition import Edition
from fintech_index.publish import publish_all
from fintech_index.publish.report import write_edition_report
from fintech_index.publish.view import EditionView

from .test_analysis import FW, META, METH, V2024, V2025


@pytest.fixture(scope="module")
def results():
    p = fi.panel_from_arrays(np.array([V2024, V2025], float), FW, list("PQRS"), [2024, 2025],
                             meta=META, source="synthetic")
    return fi.build(FW, p, METH)


def test_the_view_holds_the_edition_its_predecessor_and_their_changes(results):
    view = EditionView(results)
    assert (view.year, view.prev.year) == (2025, 2024)
    assert view.edition(2025) is view.cur and view.previous(2025) is view.prev
    assert view.previous(2024) is None and view.changes_of(2024) is None
    assert view.changes_of(2025) is view.changes
    fresh = compare(Edition.of(results), Edition.previous(results))
    pd.testing.assert_frame_equal(view.changes.table, fresh.table)
    assert [e.year for e in view.editions] == [2024, 2025]
    assert view.top10 == list(results.ranking(2025).dropna(subset=["rank"]).index)
    units, nodes = view.names("en")
    assert units["P"] == "Pville" and nodes[FW.index] == FW.nodes[FW.index].name
    by_year = EditionView(results, 2024)
    assert by_year.cur.year == 2024 and by_year.prev is None and by_year.facts[0].kind \
        == "leaders"


def test_every_output_reads_one_view(results, tmp_path, monkeypatch):
    """Site (both languages), four white papers, the workbook and the edition report of one
    edition make each year's edition once: two Edition.of calls in all (before the view,
    each output made its own: the site, every paper's context, each workbook sheet, the
    report)."""
    made = []
    real = Edition.of.__func__

    def counted(cls, res, year=None, label=None):
        made.append(year)
        return real(cls, res, year, label)

    monkeypatch.setattr(Edition, "of", classmethod(counted))
    view = EditionView(results)
    write_edition_report(results, tmp_path / "report", view=view)
    written = publish_all(results, site=tmp_path / "site", pdf=tmp_path / "pdf",
                          xlsx=tmp_path / "book.xlsx", view=view)
    assert len([p for p in written if p.suffix == ".pdf"]) == 4
    assert sorted(made) == [2024, 2025]
