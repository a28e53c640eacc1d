"""Save or compare the bundled examples' scores and ranks bit for bit (issue 23, item 3: the
one stage runner must not change a number), and an audit of ASEM (the batched engine's plan,
work arrays and in-place sums) with every stage varied.

Run: python scripts/stage_outputs.py save DIR     (one DIR/<example>.npz per example)
     python scripts/stage_outputs.py compare DIR  (exit 1 if any array differs in any bit)
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from fintech_index import examples
from fintech_index.audit.engine import Engine, load_spec
from fintech_index.examples import datasets_dir

NAMES = ("asem", "asem_panel", "hdi", "tai", "fintech")


def arrays(name: str) -> dict[str, np.ndarray]:
    """Every node's scores and ranks [years, units, nodes], and the weights used."""
    res = examples.load(name).build()
    out = {"scores": res.score_array, "ranks": res.rank_array}
    out |= {f"weights.{k}": v for k, v in (res.weights or {}).items()}
    return out


def audit_arrays() -> dict[str, np.ndarray]:
    """Index scores and ranks of 2,000 replications of ASEM (its bundled uncertainty spec,
    which varies every stage), in batches of 500."""
    ex = examples.load("asem")
    spec = load_spec(datasets_dir() / "asem" / "asem.uncertainty.yaml")
    engine = Engine(ex.framework, ex.panel, ex.methodology, spec)
    u = np.random.default_rng(7).random((2000, engine.dimension))
    got = [engine.evaluate(u[i:i + 500]) for i in range(0, 2000, 500)]
    return {"scores": np.concatenate([s for s, _ in got]),
            "ranks": np.concatenate([r for _, r in got])}


def bits(a: np.ndarray) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def main(mode: str, folder: str) -> int:
    where = Path(folder)
    where.mkdir(parents=True, exist_ok=True)
    bad = 0
    for name in (*NAMES, "audit"):
        now = audit_arrays() if name == "audit" else arrays(name)
        if mode == "save":
            np.savez(where / f"{name}.npz", **now)
            print(f"{name}: {len(now)} arrays saved")
            continue
        before = dict(np.load(where / f"{name}.npz"))
        for key in sorted(set(before) | set(now)):
            same = key in before and key in now and before[key].shape == now[key].shape \
                and bits(before[key]) == bits(now[key])
            if not same:
                bad += 1
                print(f"differs: {name} {key}")
        print(f"{name}: {len(now)} arrays compared")
    if mode != "save":
        print("IDENTICAL" if not bad else f"{bad} array(s) differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
