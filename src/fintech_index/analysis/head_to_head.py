"""Head-to-head: on which nodes one unit is ahead of another, and which orders changed."""

from __future__ import annotations

from dataclasses import dataclass

from .edition import Edition


@dataclass(frozen=True)
class HeadToHead:
    a: str
    b: str
    a_ahead: tuple[str, ...]  # nodes where a has the better (lower) rank
    b_ahead: tuple[str, ...]
    level: tuple[str, ...]  # same rank
    changed: tuple[str, ...]  # nodes whose order differs from the previous edition


def _order(ed: Edition, a: str, b: str, node: str) -> int:
    ra, rb = ed.ranks.at[a, node], ed.ranks.at[b, node]
    if ra != ra or rb != rb:  # NaN: one of them unranked
        return 2
    return int(ra < rb) - int(ra > rb)  # 1: a ahead, -1: b ahead, 0: level


def head_to_head(current: Edition, a: str, b: str, previous: Edition | None = None,
                 nodes: list[str] | None = None) -> HeadToHead:
    """Compare units ``a`` and ``b`` on every node (or ``nodes``), by rank."""
    nodes = nodes or list(current.ranks.columns)
    order = {n: _order(current, a, b, n) for n in nodes}
    changed: tuple[str, ...] = ()
    if previous is not None:
        changed = tuple(n for n in nodes if n in previous.ranks.columns
                        and a in previous.ranks.index and b in previous.ranks.index
                        and _order(previous, a, b, n) != order[n])
    return HeadToHead(a, b, tuple(n for n in nodes if order[n] == 1),
                      tuple(n for n in nodes if order[n] == -1),
                      tuple(n for n in nodes if order[n] == 0), changed)
