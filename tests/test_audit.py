"""The audit: coherence, the batched engine, uncertainty and Sobol sensitivity, Dask."""

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import fintech_index as fi
from fintech_index.audit import coherence
from fintech_index.audit.engine import Engine, UncertaintySpec, evaluate_chunks
from fintech_index.audit.sensitivity import analyse, saltelli, sensitivity, sobol_indices
from fintech_index.audit.uncertainty import sobol_points, uncertainty

ASEM = fi.examples.load("asem")
SPEC = {"seed": 3, "factors": [
    {"name": "imputation", "stage": "impute",
     "options": [{"method": "i_mean_grp", "use_group": "EurAsia_group"}, "i_median"]},
    {"name": "treatment", "stage": "treat", "options": [{"method": "winsorise"}, "none"]},
    {"name": "normalisation", "stage": "normalise",
     "options": [{"method": "n_minmax", "l_u": [1, 100]}, {"method": "n_rank"}]},
    {"name": "weights", "stage": "weights", "noise": 0.25},
    {"name": "aggregation", "stage": "aggregate",
     "options": [{"method": "a_amean", "na_rm": True}, {"method": "a_gmean", "na_rm": True}]},
]}


def engine(spec=SPEC):
    return Engine(ASEM.framework, ASEM.panel, ASEM.methodology,
                  UncertaintySpec.model_validate(spec))


def ishigami(x):
    return np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])


def test_sobol_estimators_on_ishigami_match_the_analytic_values():
    """Ishigami (a = 7, b = 0.1) on [-pi, pi]^3: S = (0.3139, 0.4424, 0), ST = (0.5576,
    0.4424, 0.2437) (Saltelli et al. 2008, Global Sensitivity Analysis, section 4.9)."""
    x, _, _ = saltelli(3, 2 ** 13, 0, [slice(i, i + 1) for i in range(3)])
    y = ishigami(-np.pi + 2 * np.pi * x)[:, None]
    s = analyse(y, ["x1", "x2", "x3"], ["f"], resamples=50)
    np.testing.assert_allclose(s.first[:, 0], [0.3139, 0.4424, 0.0], atol=0.01)
    np.testing.assert_allclose(s.total[:, 0], [0.5576, 0.4424, 0.2437], atol=0.01)
    assert (s.first_ci[0] <= s.first).all() and (s.first <= s.first_ci[1]).all()


def test_our_estimator_equals_salib_on_the_same_samples():
    salib = pytest.importorskip("SALib.analyze.sobol")
    x, _, _ = saltelli(3, 1024, 1, [slice(i, i + 1) for i in range(3)])
    y = ishigami(-np.pi + 2 * np.pi * x)
    # SALib's layout without second order: A, AB_1..AB_D, B per row block of D + 2
    n = 1024
    blocks = y.reshape(5, n)
    interleaved = np.stack([blocks[k] for k in range(5)], axis=1).reshape(-1)
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    ref = salib.analyze(problem, interleaved, calc_second_order=False, seed=1)
    f, t = sobol_indices(y[:, None], 3)
    np.testing.assert_allclose(f[:, 0], ref["S1"], rtol=1e-12)
    np.testing.assert_allclose(t[:, 0], ref["ST"], rtol=1e-12)


def test_no_uncertain_factor_gives_the_nominal_ranks_with_zero_width():
    e = engine({"factors": []})
    ua = uncertainty(e, n=16)
    s = ua.summary()
    assert (s["rank_p05"] == s["rank_p95"]).all()
    np.testing.assert_array_equal(s["median_rank"].to_numpy(), s["nominal_rank"].to_numpy())
    np.testing.assert_array_equal(s["median_score"].to_numpy(), s["nominal_score"].to_numpy())
    assert s.loc["CHE", "nominal_rank"] == 1


def test_a_factor_that_cannot_change_the_ranking_has_total_index_zero():
    """Min-max to [0, 100] or to [0, 200] doubles every score exactly: ranks never move."""
    spec = {"seed": 1, "factors": [
        {"name": "scale", "stage": "normalise",
         "options": [{"method": "n_minmax", "l_u": [0, 100]},
                     {"method": "n_minmax", "l_u": [0, 200]}]},
        {"name": "weights", "stage": "weights", "noise": 0.5}]}
    s = sensitivity(engine(spec), n=64, resamples=20)
    t = s.table()
    scale = t[t["factor"] == "scale"]
    assert (scale["ST"] == 0).all() and (scale["S"] == 0).all()
    w = t[(t["factor"] == "weights") & (t["output"] == "mean_abs_rank_shift")]
    assert float(w["ST"].iloc[0]) > 0.5


def test_uncertainty_summary_and_probabilities():
    ua = uncertainty(engine(), n=256)
    s = ua.summary()
    assert (s["rank_p05"] <= s["median_rank"]).all() and (s["median_rank"] <= s["rank_p95"]
                                                          ).all()
    probs = ua.rank_probabilities()
    np.testing.assert_allclose(probs.sum(axis=1).to_numpy(), 1.0)
    assert s.loc["CHE", "p_top10"] > 0.9  # COINr's leader stays in the top 10
    s.loc["CHE", "p_top10"] = -1.0  # computed once, but each caller gets its own copy
    assert ua.summary().loc["CHE", "p_top10"] > 0.9


def test_results_do_not_depend_on_chunk_size():
    e = engine()
    u = sobol_points(e.dimension, 300, 5)
    a = evaluate_chunks(e, u, chunk=300)
    b = evaluate_chunks(e, u, chunk=7)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.slow
def test_dask_local_cluster_gives_bit_identical_results():
    distributed = pytest.importorskip("distributed")
    e = engine()
    u = sobol_points(e.dimension, 200, 9)
    local = evaluate_chunks(e, u, chunk=64)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        remote = evaluate_chunks(e, u, chunk=37, client=client)
    np.testing.assert_array_equal(local[0], remote[0])
    np.testing.assert_array_equal(local[1], remote[1])


def test_coherence_of_the_asem_build():
    """Cronbach's alpha by hand on two columns: alpha = 2 (1 - (v1 + v2) / var(sum))."""
    x = np.array([[1.0, 2.0], [2.0, 3.0], [4.0, 3.0], [5.0, 7.0]])
    v = x.var(axis=0, ddof=1)
    expected = 2 * (1 - v.sum() / x.sum(axis=1).var(ddof=1))
    assert coherence.cronbach_alpha(x) == pytest.approx(expected)
    res = ASEM.build()
    links = coherence.parent_links(res).set_index("node")
    assert links.at["TBTs", "flag"] == "negative"  # more trade barriers, worse
    r, p = coherence.correlations(res, nodes=["Conn", "Sust", "Index"])
    assert r.at["Conn", "Index"] > 0.5 and p.at["Conn", "Index"] < 0.01
    summary = coherence.node_summary(res).set_index("node")
    assert 0 < summary.at["Index", "pc1_variance_share"] <= 1


def test_leaving_one_indicator_out_equals_a_build_with_its_weight_zero():
    """The exclusion factor's option i + 1 leaves indicator i out: its weight becomes 0 in
    its parent. Sample u = (i + 1.5) / (k + 1) picks it."""
    e = engine({"factors": [{"name": "leave out", "stage": "exclude"}]})
    fw = ASEM.framework
    i = fw.indicators.index("Goods")
    k = len(fw.indicators)
    scores, _ = e.evaluate(np.array([[(i + 1.5) / (k + 1)]]))
    parent = fw.nodes["Goods"].parent
    values = [0.0 if c == "Goods" else fw.nodes[c].weight for c in fw.nodes[parent].children]
    raw = ASEM.methodology.model_dump(mode="json")
    raw["weight"] = {"method": "w_explicit",
                     "by_node": {parent: {"method": "w_explicit", "values": values}}}
    ref = fi.build(fw, ASEM.panel, fi.methodology_from_dict(raw))
    np.testing.assert_array_equal(scores[0], ref.scores()[2018].to_numpy())
    assert not np.array_equal(scores[0], e.nominal_score)


def test_bad_spec_is_refused_with_the_file_named(tmp_path):
    from fintech_index.audit.engine import load_spec

    p = tmp_path / "ua.yaml"
    p.write_text("factors: [{name: w, stage: weights, noise: 2}]\n")
    with pytest.raises(fi.MethodologyError, match=r"ua.yaml: field 'factors.0': .*0 < noise < 1"):
        load_spec(p)


def test_cli_audit_writes_the_files(tmp_path):
    from typer.testing import CliRunner

    from fintech_index.cli import app
    from fintech_index.examples import datasets_dir

    spec = datasets_dir() / "asem" / "asem.uncertainty.yaml"
    r = CliRunner().invoke(app, ["audit", "--example", "asem", "--spec", str(spec), "--n",
                                 "256", "--sobol", "64", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    assert "CHE" in r.output and "normalisation" in r.output
    summary = __import__("pandas").read_csv(tmp_path / "uncertainty_summary.csv",
                                            index_col="unit")
    assert summary.loc["CHE", "nominal_rank"] == 1
    for f in ("sensitivity.csv", "sensitivity_convergence.csv", "parent_links.csv",
              "rank_probabilities.csv"):
        assert (tmp_path / f).exists()


@pytest.mark.slow
def test_audit_files_are_byte_identical_across_processes_chunk_sizes_and_dask(tmp_path):
    """`fintech-index audit` of the bundled fintech index (300 replications, Sobol N = 64)
    three ways: PYTHONHASHSEED 1 in one task per 2000 replications; PYTHONHASHSEED 2 in
    chunks of 37; chunks of 50 on a Dask cluster of two worker processes. Every file written
    (coherence, uncertainty, rank probabilities, Sobol indices, convergence) has the same
    bytes in all three."""
    import os
    import subprocess
    import sys

    distributed = pytest.importorskip("distributed")
    from fintech_index.examples import datasets_dir

    spec = datasets_dir() / "fintech" / "fintech.uncertainty.yaml"

    def audit(out, seed, *extra):
        subprocess.run([sys.executable, "-m", "fintech_index", "audit", "--spec", str(spec),
                        "--n", "300", "--sobol", "64", "--out", str(out), *extra],
                       env=dict(os.environ, PYTHONHASHSEED=seed), check=True,
                       capture_output=True)
        return {p.name: p.read_bytes() for p in sorted(out.iterdir())}

    plain = audit(tmp_path / "a", "1")
    chunked = audit(tmp_path / "b", "2", "--chunk", "37")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        on_dask = audit(tmp_path / "c", "3", "--chunk", "50", "--dask", cluster.scheduler_address)
    assert {"uncertainty_summary.csv", "rank_probabilities.csv", "sensitivity.csv",
            "sensitivity_convergence.csv"} <= set(plain)
    assert plain == chunked
    assert plain == on_dask


@settings(max_examples=200, deadline=None)
@example([[0.0, 0.0, 0.0, 0.0, np.nan, np.nan], [0.0, 0.01, 0.0, 0.0, 1.0, 2.5],
          [1.0, 0.0, 1.0, np.nan, np.nan, np.nan]], "pearson")  # r = -1 on a gappy pair
@example([[np.nan, 0.0, 0.0, 1.0], [np.nan, 21.57, 21.57, 21.57]], "pearson")  # constant
@given(st.integers(2, 10).flatmap(lambda u: st.lists(
    st.lists(st.one_of(st.sampled_from([0.0, 1.0, 2.5, -3.0]), st.just(np.nan),
                       st.floats(-100, 100, allow_nan=False).map(lambda v: round(v, 2))),
             min_size=u, max_size=u), min_size=2, max_size=5)),
       st.sampled_from(["pearson", "spearman"]))
def test_vectorised_coherence_equals_scipy_pair_by_pair(columns, method):
    """All pairs at once (masked matrix products, t-distribution p-values) give what
    scipy.stats.pearsonr/spearmanr give on each pair's common units."""
    from scipy import stats

    x = np.array(columns).T
    r, p = coherence.correlation_matrix(x, method)
    fn = stats.pearsonr if method == "pearson" else stats.spearmanr
    for a in range(x.shape[1]):
        for b in range(a + 1, x.shape[1]):
            ok = ~np.isnan(x[:, a]) & ~np.isnan(x[:, b])
            xa, xb = x[ok, a], x[ok, b]
            if ok.sum() < 3 or np.ptp(xa) == 0 or np.ptp(xb) == 0:
                assert np.isnan(r[a, b]) and np.isnan(p[a, b])
                continue
            expected = fn(xa, xb)
            assert r[a, b] == pytest.approx(expected.statistic, abs=1e-9)
            # near |r| = 1 with few units, p ~ sqrt(1 - |r|) magnifies the last bit of r
            near_one = 1 - abs(expected.statistic) < 1e-9
            assert p[a, b] == pytest.approx(expected.pvalue, abs=1e-6 if near_one else 1e-9)
