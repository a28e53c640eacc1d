"""Regenerate datasets/asem from ../shared/data/coinr_asem with the COINr converter.

Writes asem.yaml (framework from iMeta), asem.csv (iData as a wide file) and
asem.methodology.yaml (COINr's build_example_coin steps). published.csv and SOURCE.md are
written by hand from COINr's documentation and are not touched.
"""

from pathlib import Path

from fintech_index.coinr import convert_coinr
from fintech_index.methodology import load_methodology

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "fintech_index" / "datasets" / "asem"
SRC = OUT / "coinr"  # copies of ../shared/data/coinr_asem/iData.csv and iMeta.csv


def main() -> None:
    meth = load_methodology(OUT / "asem.methodology.yaml")
    written = convert_coinr(SRC / "iData.csv", SRC / "iMeta.csv", OUT,
                            name="ASEM Sustainable Connectivity (COINr example)",
                            methodology=meth)
    for p, new in zip(written, ("asem.yaml", "asem.csv", "asem.methodology.yaml"), strict=True):
        if new == "asem.methodology.yaml":
            p.unlink()  # the hand-written methodology stays as it is
            continue
        p.replace(OUT / new)
        print("wrote", OUT / new)


if __name__ == "__main__":
    main()
