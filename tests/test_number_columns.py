"""Parsing all number columns of a table in one pass gives what parsing them one by one
gives: the same float64 bits and the same problems in the same order."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from fintech_index.errors import Problems
from fintech_index.tables import Table, parse_number_columns, parse_numbers

CELLS = ["1", " 2.5 ", "", "NA", "n/a", "..", "None", "x", "1e400", "-inf", "nan",
         "9007199254740993", "12345678901234567890123", "0x10", "1,5", "+3", "-0", "\t7 ",
         "1e-400", ".5", "TRUE", "-9223372036854775809"]
cell = st.one_of(st.sampled_from(CELLS), st.none(), st.floats(), st.integers(-10**20, 10**20),
                 st.booleans())


def one_by_one(table: Table, columns: list[str]) -> tuple[dict, Problems]:
    problems = Problems()
    return {c: parse_numbers(table.frame[c], table, c, problems) for c in columns}, problems


def test_a_hand_made_table():
    frame = pd.DataFrame({"a": ["1", "x", "NA", " 2.5 "], "b": ["1e400", "", "-3", "y"],
                          "c": [1.0, np.inf, 2.0, np.nan]})
    table = Table(frame, "t.csv", first_row=2)
    problems = Problems()
    got = parse_number_columns(table, ["a", "b", "c"], problems)
    np.testing.assert_array_equal(got["a"], [1.0, np.nan, np.nan, 2.5])
    np.testing.assert_array_equal(got["b"], [np.inf, np.nan, -3.0, np.nan])
    np.testing.assert_array_equal(got["c"], [1.0, np.inf, 2.0, np.nan])
    assert [(code, text.split(": ", 1)[1]) for code, text in problems] == [
        ("D15", "row 3, column 'a': 'x' is not a number (accepted: a number, or empty/NA for "
                "a missing value)"),
        ("D15", "row 5, column 'b': 'y' is not a number (accepted: a number, or empty/NA for "
                "a missing value)"),
        ("D16", "row 2, column 'b': inf is not a finite number"),  # a column's D15s first
        ("D16", "row 3, column 'c': inf is not a finite number")]


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6).flatmap(lambda rows: st.lists(
    st.lists(cell, min_size=rows, max_size=rows), min_size=1, max_size=5)))
def test_all_columns_at_once_equal_one_by_one(columns):
    frame = pd.DataFrame({f"c{j}": pd.Series(v, dtype=object) for j, v in enumerate(columns)})
    for j in range(len(columns)):  # some columns numeric, as Excel and Parquet give them
        if all(isinstance(v, float) for v in columns[j]):
            frame[f"c{j}"] = frame[f"c{j}"].astype(float)
    table = Table(frame, "t.csv", first_row=2)
    names = list(frame.columns)
    expected, expected_problems = one_by_one(table, names)
    problems = Problems()
    got = parse_number_columns(table, names, problems)
    assert list(got) == names
    for c in names:
        assert got[c].dtype == np.float64 and got[c].tobytes() == expected[c].tobytes()
    assert list(problems) == list(expected_problems)
