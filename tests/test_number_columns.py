"""Number columns of a hand-made table: values and problems, a column's D15s before its D16s
and the columns in order (the cell-level property, against the row-by-row parser, is in
tests/test_columnar_io.py)."""

import numpy as np
import pandas as pd

from fintech_index.errors import Problems
from fintech_index.tables import Table, parse_numbers


def test_a_hand_made_table():
    frame = pd.DataFrame({"a": ["1", "x", "NA", " 2.5 "], "b": ["1e400", "", "-3", "y"],
                          "c": [1.0, np.inf, 2.0, np.nan]})
    table = Table(frame, "t.csv", first_row=2)
    problems = Problems()
    got = {c: parse_numbers(table.frame[c], table, c, problems) for c in ("a", "b", "c")}
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
