"""Cross-validated imputation check: hidden observed values, imputed, compared."""

import numpy as np
import pytest

import fintech_index as fi
from fintech_index.audit.imputation_check import imputation_check, summary


def test_leave_one_out_hand_worked():
    """a = 1..7, b = 2a. Leave-one-out with i_mean: hiding a = k gives (28 - k) / 6, an error
    of (28 - 7k) / 6, so MAE = (3.5 + 7/3 + 7/6) * 2 / 7 = 2 and RMSE = sqrt(1372 / 252);
    for b twice both. EM, with b = 2a exactly, recovers every hidden value."""
    fw = fi.framework_from_dict({"index": {"code": "i", "children": [{"code": "a"},
                                                                    {"code": "b"}]}})
    a = np.arange(1.0, 8.0)
    p = fi.panel_from_arrays(np.stack([a, 2 * a], axis=-1)[None], fw,
                             [f"u{i}" for i in range(7)], [2020])
    c = imputation_check(fw, p, fi.methodology_from_dict({}, "m"), ["i_mean", "i_EM"],
                         folds=7).set_index(["indicator", "method"])
    assert c.at[("a", "i_mean"), "mae"] == pytest.approx(2.0)
    assert c.at[("b", "i_mean"), "mae"] == pytest.approx(4.0)
    assert c.at[("a", "i_mean"), "rmse"] == pytest.approx(np.sqrt(1372 / 252))
    assert c.at[("a", "i_mean"), "mae_sd"] == pytest.approx(2.0 / np.std(a, ddof=1))
    assert c.at[("a", "i_EM"), "mae"] < 1e-4 and c.at[("b", "i_EM"), "mae"] < 1e-4
    assert (c["hidden"] == 7).all() and (c["not_imputed"] == 0).all()
    s = summary(c.reset_index())
    assert list(s.index) == ["i_EM", "i_mean"] and s.at["i_EM", "best_on"] == 2


def test_a_group_without_another_member_is_counted_not_imputed():
    """i_mean_grp cannot fill a unit alone in its group: counted in not_imputed, left out
    of the errors."""
    fw = fi.framework_from_dict({"index": {"code": "i", "children": [{"code": "a"},
                                                                    {"code": "b"}]}})
    import pandas as pd

    meta = pd.DataFrame({"region": ["N", "N", "N", "S"]}, index=[f"u{i}" for i in range(4)])
    p = fi.panel_from_arrays(np.array([[[1.0, 1.0], [2.0, 2.0], [3.0, 3.0], [9.0, 9.0]]]),
                             fw, list(meta.index), [2020], meta=meta)
    c = imputation_check(fw, p, fi.methodology_from_dict({}, "m"),
                         [{"method": "i_mean_grp", "use_group": "region"}], folds=4)
    row = c.set_index("indicator").loc["a"]
    # u3 (alone in S) is not imputed; u0..u2 get the mean of the other two N: errors 1.5, 0, 1.5
    assert row["method"] == "i_mean_grp use_group=region" and row["not_imputed"] == 1
    assert row["mae"] == pytest.approx(1.0)


def test_the_audit_checks_the_imputation_when_asked(tmp_path):
    """run_audit(check_imputation=True) holds the check of the methodology's imputation
    (EM first, the methodology as a whole, median, mean) and writes imputation_check.csv;
    without it, nothing (the check imputes once per fold, indicator and method)."""
    from fintech_index.audit.engine import Engine, UncertaintySpec
    from fintech_index.audit.imputation_check import candidates_for
    from fintech_index.audit.run import run_audit

    fw = fi.framework_from_dict({"index": {"code": "i", "children": [
        {"code": "a"}, {"code": "b"}, {"code": "c"}]}})
    a = np.arange(1.0, 9.0)
    x = np.stack([a, 2 * a + np.sin(a), np.cos(a)], axis=-1)[None]
    x[0, 3, 1] = np.nan
    p = fi.panel_from_arrays(x, fw, [f"u{i}" for i in range(8)], [2020])
    meth = fi.methodology_from_dict({"impute": {"method": "i_mean"}}, "m")
    spec = UncertaintySpec.model_validate({"factors": [{"name": "w", "stage": "weights",
                                                        "noise": 0.2}]})
    audit = run_audit(Engine(fw, p, meth, spec), n=8, check_imputation=True)
    want = imputation_check(fw, p, meth, candidates_for(meth.impute))
    assert audit.imputation.equals(want)
    assert list(dict.fromkeys(want["method"])) == ["i_EM_bounded", "i_mean", "i_median"]
    assert "imputation_check.csv" in [f.name for f in audit.write(tmp_path)]
    assert run_audit(Engine(fw, p, meth, spec), n=8).imputation.empty
