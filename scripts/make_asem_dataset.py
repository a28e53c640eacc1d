"""Regenerate datasets/asem from the shared folder's coinr_asem with the COINr converter.

Copies COINr's iData.csv, iData_p.csv and iMeta.csv byte for byte into datasets/asem/coinr/,
then writes asem.yaml (framework from iMeta), units.csv (its units table: iData's uCode,
uName and group columns, the same 51 units in both iData tables), asem.csv (ASEM_iData as a
wide file) and asem_panel.csv (ASEM_iData_p, 2018-2022). The methodologies (COINr's
build_example_coin and build_example_purse steps), published.csv and SOURCE.md are written
by hand from COINr's documentation and are not touched.

The shared data folder is $FINTECH_SHARED_DATA, else the first ``shared/data`` found beside
the repository or one of its parents (../shared/data from /work/main, ../../shared/data from
a worktree under /work/wt/).
"""

import shutil
from pathlib import Path

from shared_data import shared_data

from fintech_index.coinr import convert_coinr
from fintech_index.methodology import load_methodology

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "src" / "fintech_index" / "datasets" / "asem"
COPIES = OUT / "coinr"
FILES = ("iData.csv", "iData_p.csv", "iMeta.csv")


def convert(idata: str, target: str, methodology: str) -> None:
    """Convert one iData with iMeta; keep the framework, the units table and the data file."""
    meth = load_methodology(OUT / methodology)
    tmp = OUT / "_converted"
    written = convert_coinr(COPIES / idata, COPIES / "iMeta.csv", tmp,
                            name="ASEM Sustainable Connectivity (COINr example)",
                            methodology=meth)
    framework, data, _, units = written
    framework.replace(OUT / "asem.yaml")
    units.replace(OUT / units.name)  # asem.yaml's units_file:
    data.replace(OUT / target)
    shutil.rmtree(tmp)
    print("wrote", OUT / "asem.yaml", OUT / units.name, "and", OUT / target)


def main() -> None:
    src = shared_data() / "coinr_asem"
    for name in FILES:
        shutil.copyfile(src / name, COPIES / name)
        print("copied", src / name, "to", COPIES / name)
    convert("iData.csv", "asem.csv", "asem.methodology.yaml")
    convert("iData_p.csv", "asem_panel.csv", "asem_panel.methodology.yaml")


if __name__ == "__main__":
    main()
