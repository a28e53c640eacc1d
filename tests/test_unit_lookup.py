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
