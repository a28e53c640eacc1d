"""Every name ``fintech_index`` exports, used as a user's typed code would use it: checked by
mypy in tests/test_typing.py, never run (its files do not exist)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import fintech_index as fi


def use() -> None:
    fw: fi.Framework = fi.load_framework(Path("framework.yaml"))
    panel: fi.Panel = fi.load_panel("data.csv", fw, sheet=None, units="units.csv")
    meth: fi.Methodology = fi.load_methodology("methodology.yaml")
    res: fi.Results = fi.build(fw, panel, meth)
    res.ranking(2024)
    res.scores(fw.index)
    res.ranks(fw.index)
    written: list[Path] = res.write("out")
    print(written, fi.explain(res, "a", "b", 2024), fi.compare_published(res, {"a": 1}))
    fw2: fi.Framework = fi.framework_from_dict({"index": {"code": "i"}}, "fw.yaml")
    meth2: fi.Methodology = fi.methodology_from_dict({}, "m.yaml")
    panel2: fi.Panel = fi.panel_from_arrays(np.zeros((1, 2, 1)), fw2, ["a", "b"], [2024])
    pair: tuple[fi.Framework, fi.Panel] = fi.load_coinr("iData.csv", "iMeta.csv")
    files: list[Path] = fi.convert_coinr("iData.csv", "iMeta.csv", "out", methodology=meth2)
    example = fi.examples.load("tai")
    figure = fi.plot.bar(example.build(), stack_children=True)
    flags: list[int] = [int(fi.OBSERVED), int(fi.IMPUTED), int(fi.TREATED)]
    errors: tuple[type[fi.FintechIndexError], ...] = (
        fi.DataError, fi.FrameworkError, fi.MethodError, fi.MethodologyError, fi.StoreError)
    version: str = fi.__version__
    decorate = fi.register("aggregate", "a_example")
    print(panel2, pair, files, figure, flags, errors, version, decorate, fi.methods)
