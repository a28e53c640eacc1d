"""The bundled examples' outputs byte for byte as they were before the columnar reader and
the vectorised CSV writer (issue 27): Results.write (rankings, results.parquet, weights,
nodes, treatment, screening, methodology, manifest) and the edition report's exports
(changes, gaps, regional leads, profiles, sentences, lead) of asem, hdi, tai and fintech.

The SHA-256 of every file was taken on the branch before those changes
(tests/output_hashes.json); ``python tests/test_output_bytes.py`` rewrites it, which is only
right when an output is meant to change."""

import hashlib
import json
import sys
from pathlib import Path

import pytest

import fintech_index as fi
from fintech_index.analysis import write_edition_report

FIXTURE = Path(__file__).with_name("output_hashes.json")
EXAMPLES = ("asem", "hdi", "tai", "fintech")


def output_hashes(name: str, folder: Path) -> dict[str, str]:
    """SHA-256 of every file the example's Results.write and edition report write."""
    results = fi.examples.load(name).build()
    written = results.write(folder) + write_edition_report(results, folder).written
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(set(written))}


@pytest.mark.parametrize("name", EXAMPLES)
def test_outputs_are_byte_identical_to_before(name, tmp_path):
    expected = json.loads(FIXTURE.read_text(encoding="utf-8"))[name]
    got = output_hashes(name, tmp_path)
    assert sorted(got) == sorted(expected)
    assert [f for f in got if got[f] != expected[f]] == []


if __name__ == "__main__":  # regenerate the fixture (only when an output is meant to change)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        table = {n: output_hashes(n, Path(tmp) / n) for n in EXAMPLES}
    FIXTURE.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    sys.exit(0)
