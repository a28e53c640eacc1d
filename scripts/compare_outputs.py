"""Compare two runs of the main job for a refactor that must not change behaviour.

Text outputs (CSV, HTML, JSON, YAML, TXT, JS, CSS) are compared byte for byte; a PDF by its
text (``pdftotext -layout``), a workbook by every sheet's cell values (openpyxl), a Parquet
file by its frame (pandas). The one field that names the producing code's version is
compared too: nothing is ignored. Prints one line per differing file and a summary.

Run: python scripts/compare_outputs.py BEFORE_DIR AFTER_DIR   (exit 1 when they differ)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def pdf_text(path: Path) -> bytes:
    """The PDF's text as pdftotext lays it out (the PDF itself carries a creation date)."""
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True).stdout


def xlsx_cells(path: Path) -> list:
    """Every sheet's name and cell values, in order (the file itself carries timestamps)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    return [(ws.title, [tuple(row) for row in ws.iter_rows(values_only=True)])
            for ws in book.worksheets]


def parquet_frame(path: Path):
    """The Parquet file read as a frame (its footer names the writer)."""
    import pandas as pd

    return pd.read_parquet(path)


def same(a: Path, b: Path) -> bool:
    """Whether two output files say the same thing, by the rule for their kind."""
    kind = a.suffix.lower()
    if kind == ".pdf":
        return pdf_text(a) == pdf_text(b)
    if kind == ".xlsx":
        return xlsx_cells(a) == xlsx_cells(b)
    if kind == ".parquet":
        return parquet_frame(a).equals(parquet_frame(b))
    return a.read_bytes() == b.read_bytes()


def compare(before: Path, after: Path) -> list[str]:
    """Lines naming every file missing on one side or differing; empty when the runs agree."""
    left = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    right = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    out = [f"only in {before}: {p}" for p in sorted(left - right)]
    out += [f"only in {after}: {p}" for p in sorted(right - left)]
    out += [f"differs: {p}" for p in sorted(left & right) if not same(before / p, after / p)]
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__)
        return 2
    before, after = Path(argv[0]), Path(argv[1])
    problems = compare(before, after)
    n = sum(1 for p in before.rglob("*") if p.is_file())
    for line in problems:
        print(line)
    kinds: dict[str, int] = {}
    for p in before.rglob("*"):
        if p.is_file():
            kinds[p.suffix or "(none)"] = kinds.get(p.suffix or "(none)", 0) + 1
    print(f"{n} files compared ({', '.join(f'{v} {k}' for k, v in sorted(kinds.items()))}): "
          f"{'IDENTICAL' if not problems else f'{len(problems)} DIFFER'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
