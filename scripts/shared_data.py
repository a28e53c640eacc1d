"""Where ../shared/data is: the env var FINTECH_SHARED_DATA, else the first ``shared/data``
found walking up from this file (works from /work/main and from any worktree beside it)."""

from __future__ import annotations

import os
from pathlib import Path


def shared_data() -> Path:
    env = os.environ.get("FINTECH_SHARED_DATA")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        if (parent / "shared" / "data").is_dir():
            return parent / "shared" / "data"
    raise SystemExit("shared data not found: set FINTECH_SHARED_DATA to the shared/data folder")
