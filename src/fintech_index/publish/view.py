"""One edition as every output renders it, computed once from ``Results``: the edition and
the one before it, their changes, the facts the sentences state, each year's edition, the
raw values with provenance and the names in each language. The site, the white papers, the
workbook and the edition report read this one view instead of each recomputing
``Edition.of`` / ``Edition.previous`` / ``compare`` and passing them around."""

from __future__ import annotations

from functools import cache, cached_property

from ..analysis.changes import Changes, compare
from ..analysis.edition import Edition
from ..analysis.facts import Fact, edition_facts
from ..build import Results
from .i18n import node_name, unit_name
from .provenance import values_by_unit


class EditionView:
    """The edition of ``year`` (default: the last) of ``results`` against ``previous_year``
    (default: the year before it, if any); ``top``: the N of the facts' "top N"."""

    def __init__(self, results: Results, year: int | None = None,
                 previous_year: int | None = None, top: int = 10) -> None:
        self.results, self.top = results, top
        self.cur = self.edition(results.years[results.year_index(year)])
        self.year = self.cur.year
        self.prev = (self.edition(previous_year) if previous_year is not None
                     else self.previous(self.year))
        self.changes = self.changes_of(self.year) if previous_year is None else (
            compare(self.cur, self.prev))

    @cache  # noqa: B019 - a view lives as long as the outputs of one edition
    def edition(self, year: int) -> Edition:
        """The edition of ``year`` (made once per view)."""
        return Edition.of(self.results, year)

    def previous(self, year: int) -> Edition | None:
        """The edition of the year before ``year`` in the results, None for the first."""
        earlier = [y for y in self.results.years if y < year]
        return self.edition(earlier[-1]) if earlier else None

    @cache  # noqa: B019
    def changes_of(self, year: int) -> Changes | None:
        """``compare`` of the edition of ``year`` with the one before it (None: the first)."""
        prev = self.previous(year)
        return compare(self.edition(year), prev) if prev is not None else None

    @property
    def editions(self) -> list[Edition]:
        """Every year's edition, oldest first."""
        return [self.edition(y) for y in self.results.years]

    @cached_property
    def facts(self) -> list[Fact]:
        """Every fact the sentences and the lead story state."""
        return edition_facts(self.cur, self.prev, self.top, changes=self.changes)

    @cached_property
    def values(self) -> dict[str, dict[str, dict]]:
        """Each raw value with its provenance: unit -> indicator -> a row of value_table."""
        return values_by_unit(self.results)

    @cached_property
    def top10(self) -> list[str]:
        """The edition's first ten units."""
        return list(self.cur.ranked().index[:10])

    @cache  # noqa: B019
    def names(self, lang: str) -> tuple[dict[str, str], dict[str, str]]:
        """Unit names and node names in ``lang`` (the reviewed name tables)."""
        res = self.results
        units = {u: unit_name(res.panel.units, u, lang) for u in res.units}
        nodes = {c: node_name(res.framework, c, lang) for c in res.framework.nodes}
        return units, nodes
