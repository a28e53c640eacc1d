"""Facts about an edition, as an index's annual report uses them: rankings on every node,
changes against the previous edition, gaps among the leaders, head-to-head comparisons,
regional leads, city profiles, back-casts. No words: the sentences, the lead story and the
edition report that turn these facts into text are in :mod:`fintech_index.publish`."""

from .changes import Changes, compare, unchanged_top
from .explain import Comparison, Explanation, compare_published, explain
from .gaps import Gap, gap
from .head_to_head import HeadToHead, head_to_head
from .profiles import Profile, profile
from .regions import regional_leads

__all__ = ["Changes", "Comparison", "Explanation", "Gap", "HeadToHead", "Profile", "compare",
           "compare_published", "explain", "gap", "head_to_head", "profile", "regional_leads",
           "unchanged_top"]
