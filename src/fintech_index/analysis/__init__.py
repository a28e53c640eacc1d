"""Analyses of an edition, as an index's annual report publishes them: rankings on every
node, changes against the previous edition, gaps among the leaders, head-to-head
comparisons, regional leads, city profiles, and plain-English sentences built from those
facts (every figure in a sentence comes from the results)."""

from .changes import Changes, compare, unchanged_top
from .gaps import Gap, gap
from .head_to_head import HeadToHead, head_to_head
from .profiles import Profile, profile
from .regions import regional_leads
from .report import EditionReport, write_edition_report
from .sentences import edition_sentences, ordinal

__all__ = ["Changes", "EditionReport", "Gap", "HeadToHead", "Profile", "compare",
           "edition_sentences", "gap", "head_to_head", "ordinal", "profile", "regional_leads",
           "unchanged_top", "write_edition_report"]
