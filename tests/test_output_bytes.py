"""The bundled examples' outputs byte for byte as they were before the columnar reader and
the vectorised CSV writer (issue 27): Results.write (rankings, results.parquet, weights,
nodes, treatment, screening, methodology, manifest) and the edition report's exports
(changes, gaps, regional leads, profiles, sentences, lead) of asem, hdi, tai and fintech,
and a large synthetic index's results.parquet and ranking.

The SHA-256 of every file was taken on the branch before those changes
(tests/output_hashes.json); ``python tests/test_output_bytes.py --rewrite`` rewrites it,
which is only right when an output is meant to change. Changed on purpose since: the
synthetic index's results.parquet, whose score column (over a million mostly distinct
values a row group) is written without the dictionary Arrow used to try and give up
(the same values: ``Results._plain_columns``)."""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import fintech_index as fi
from fintech_index.exports import write_csv
from fintech_index.publish.report import write_edition_report

FIXTURE = Path(__file__).with_name("output_hashes.json")
EXAMPLES = ("asem", "hdi", "tai", "fintech")


def output_hashes(name: str, folder: Path) -> dict[str, str]:
    """SHA-256 of every file the example's Results.write and edition report write."""
    results = fi.examples.load(name).build()
    written = results.write(folder) + write_edition_report(results, folder).written
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(set(written))}


def synthetic_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of results.parquet and the ranking of a synthetic index (named synthetic:
    5,000 units x 200 indicators, five dimensions of four pillars of ten, uniform values at
    three decimals, 1% missing, seed 0): 1.3 million long rows, two Parquet row groups, a
    ranking of 511 columns."""
    tree = [{"code": f"D{d}", "children": [
        {"code": f"D{d}P{p}", "children": [{"code": f"x{(d * 4 + p) * 10 + i}"}
                                           for i in range(10)]} for p in range(4)]}
        for d in range(5)]
    units = [f"u{u}" for u in range(5000)]
    fw = fi.framework_from_dict({"units": [{"code": u} for u in units],
                                 "index": {"code": "synthetic", "children": tree}},
                                "synthetic.yaml")
    rng = np.random.default_rng(0)
    values = np.round(rng.uniform(0, 1000, (1, 5000, 200)), 3)
    values[rng.random(values.shape) < 0.01] = np.nan
    results = fi.build(fw, fi.panel_from_arrays(values, fw, units, [2024]))
    written = [results.write_parquet(folder / "results.parquet"), folder / "ranking.csv"]
    write_csv(results.ranking(2024), written[1], index=True)
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in written}


@pytest.mark.slow
def test_a_large_synthetic_index_writes_the_same_bytes(tmp_path):
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))["synthetic"]
    assert synthetic_hashes(tmp_path) == expected


@pytest.mark.parametrize("name", EXAMPLES)
def test_outputs_are_byte_identical_to_before(name, tmp_path):
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))[name]
    got = output_hashes(name, tmp_path)
    assert sorted(got) == sorted(expected)
    assert [f for f in got if got[f] != expected[f]] == []


def test_the_build_command_writes_the_same_bytes_as_the_api(tmp_path):
    """``fintech-index build`` (the results, their Parquet file in a worker thread, then the
    edition report): every file of the fixture, same bytes, and the manifest listing them
    (the fixture's manifest is Results.write's own, listing fewer files)."""
    from typer.testing import CliRunner

    from fintech_index.cli import app

    r = CliRunner().invoke(app, ["build", "--example", "asem", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))["asem"]
    out = tmp_path / "asem"
    got = {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in expected
           if name != "manifest.json"}
    assert len(got) == len(expected) - 1 == 11
    assert [f for f in got if got[f] != expected[f]] == []
    listed = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["files"]
    assert sorted(p.name for p in out.iterdir()) == listed == sorted(expected)


if __name__ == "__main__":  # regenerate the fixture (only when an output is meant to change)
    import tempfile

    if sys.argv[1:] != ["--rewrite"]:
        sys.exit(f"usage: python {sys.argv[0]} --rewrite  (rewrites {FIXTURE.name}: only "
                 "when an output is meant to change)")

    with tempfile.TemporaryDirectory() as tmp:
        table = {n: output_hashes(n, Path(tmp) / n) for n in EXAMPLES}
        (Path(tmp) / "synthetic").mkdir()
        table["synthetic"] = synthetic_hashes(Path(tmp) / "synthetic")
    FIXTURE.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    sys.exit(0)
