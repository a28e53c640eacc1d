"""Coverage-guided fuzzing of the loaders with atheris (libFuzzer): mutated bytes, starting
from one valid file per target, are written to a file of the target's type and loaded. The
only exception allowed out is a FintechIndexError whose every line names the file and ends
with a code of docs/errors.md; anything else is a crash (libFuzzer stops and prints it).

Run one target: python benchmarks/fuzz_atheris.py TARGET -runs=10000
(TARGET: csv, xlsx, parquet, records, framework, methodology, spec);
benchmarks/robustness.py --atheris N runs them all and prints the figures.
"""

from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["fintech_index"]):
    import fintech_index as fi
    from fintech_index import records
    from fintech_index.audit.engine import load_spec

sys.path.insert(0, str(Path(__file__).parent))
from robustness import refusal_problem  # noqa: E402

FRAMEWORK = fi.framework_from_dict({"units": [{"code": "X"}, {"code": "Y"}], "index": {
    "code": "i", "children": [{"code": "a"}, {"code": "b", "direction": -1}]}}, "fuzz.yaml")
PANEL_CSV = b"unit,year,a,b\nX,2024,1.5,2\nY,2024,NA,4\n"


def _xlsx_seed() -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    for row in (["unit", "year", "a", "b"], ["X", 2024, 1.5, 2], ["Y", 2024, None, 4]):
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def _parquet_seed() -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.table({"unit": ["X", "Y"], "year": [2024, 2024], "a": [1.5, None],
                             "b": [2.0, 4.0]}), buf)
    return buf.getvalue()


TARGETS = {  # name: (suffix, loader, seed bytes)
    "csv": (".csv", lambda p: fi.load_panel(p, FRAMEWORK), lambda: PANEL_CSV),
    "xlsx": (".xlsx", lambda p: fi.load_panel(p, FRAMEWORK), _xlsx_seed),
    "parquet": (".parquet", lambda p: fi.load_panel(p, FRAMEWORK), _parquet_seed),
    "records": (".csv", records.read_records, lambda: (
        b"institution,unit,sector,year,amount,currency\nHuatai,SH,brokerage,2024,1.2e9,CNY\n")),
    "framework": (".yaml", fi.load_framework, lambda: (
        b"index:\n  code: i\n  children:\n  - {code: a, weight: 2}\n"
        b"  - {code: b, goalposts: [0, 1]}\n")),
    "methodology": (".yaml", fi.load_methodology, lambda: (
        b"impute: {method: i_mean_grp, use_group: region}\nnormalise: n_minmax\n"
        b"weight: {method: w_equal, by_node: {A: w_pca}}\n")),
    "spec": (".yaml", load_spec, lambda: (
        b"n: 100\nfactors:\n- {name: w, stage: weights, noise: 0.25}\n"
        b"- {name: n, stage: normalise, options: [n_minmax, n_zscore]}\n")),
}


def main() -> None:
    name = sys.argv.pop(1)
    suffix, loader, seed = TARGETS[name]
    tmp = Path(tempfile.mkdtemp())
    corpus = tmp / "corpus"
    corpus.mkdir()
    (corpus / f"seed{suffix}").write_bytes(seed())
    path = tmp / f"fuzz{suffix}"

    def one_input(data: bytes) -> None:
        path.write_bytes(data)
        problem = refusal_problem(loader, path)
        if problem:
            raise AssertionError(problem)

    atheris.Setup([sys.argv[0], *sys.argv[1:], str(corpus)], one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
