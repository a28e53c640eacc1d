"""Issue 27, the load's unit lookups: the vectorised first rows and Arrow lookups give what the
per-row Python rules gave (np.unique's first index; a dict of first rows; list.index)."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from fintech_index.panel import _first_rows, _places

CODES = st.lists(st.sampled_from(["u1", "u2", "=u3", "é", "", "a,b", "u10"]), max_size=40)


@settings(max_examples=300, deadline=None)
@given(CODES)
def test_first_rows_are_where_each_code_first_appears(column):
    codes, uniques = pd.factorize(np.array(column, dtype=object))
    expected = [column.index(u) for u in uniques]  # the first row of each, in code order
    assert _first_rows(codes).tolist() == expected
    assert _first_rows(codes).tolist() == np.unique(codes, return_index=True)[1].tolist()


@settings(max_examples=300, deadline=None)
@given(CODES, CODES)
def test_places_are_each_codes_first_place_among_the_table_or_minus_one(found, table):
    expected = [table.index(u) if u in table else -1 for u in found]
    assert _places(np.array(found, dtype=object), table).tolist() == expected
    as_str = pd.Series(table, dtype="str")  # an Arrow-backed text column, as read
    assert _places(np.array(found, dtype=object), as_str).tolist() == expected


def test_a_unit_code_of_digits_is_text_not_a_number():
    assert _places(np.array(["1", "01"], dtype=object), ["01", "1"]).tolist() == [1, 0]


def _unit_meta_row_by_row(table, units, problems, column):
    """The rule _unit_meta replaced: each unit's first non-empty value; every later row that
    differs is a D19 problem."""
    first = {}
    for i, (u, v) in enumerate(zip(units, table.frame[column], strict=True)):
        if v == "":
            continue
        if u in first and first[u][0] != v:
            problems.add("D19", f"{table.src}: {table.row(i)}, column '{column}': unit '{u}' "
                                f"has {column} {v!r} here but {first[u][0]!r} at "
                                f"{table.row(first[u][1])}")
        first.setdefault(u, (v, i))
    return {u: v for u, (v, _) in first.items()}


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["u1", "u2", "é", "u10"]),
                          st.sampled_from(["", "Asia", "Europe", "asia"])), min_size=1,
                max_size=30))
def test_unit_metadata_by_arrays_is_the_row_by_row_rule(rows):
    from fintech_index.errors import Problems
    from fintech_index.panel import _unit_meta
    from fintech_index.tables import Table

    units = np.array([u for u, _ in rows], dtype=object)
    frame = pd.DataFrame({"unit": units, "region": pd.Series([r for _, r in rows],
                                                             dtype="str")})
    table = Table(frame, "d.csv", first_row=2)
    got, expected = Problems(), Problems()
    meta = _unit_meta(table, pd.Categorical.from_codes(*pd.factorize(units)), got)
    values = _unit_meta_row_by_row(table, units, expected, "region")
    assert list(meta.index) == list(dict.fromkeys(units))  # in order of first appearance
    assert {u: v for u, v in meta["region"].items() if isinstance(v, str)} == values
    assert got == expected
