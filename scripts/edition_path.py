"""Follow one edition from ``publish_all`` to its first city page, and count how often the
edition and its changes are computed on the way to every output.

Prints (1) the call stack at the moment the first city page is rendered, as the package's
files it passes through, in order (a file entered twice is a return to a file already
left), and (2) how many times ``Edition.of`` and ``compare`` run while the site, the ten
white papers and the workbook of the bundled fintech index are written. Read with
sys.setprofile; runs against whichever tree PYTHONPATH gives (its publish_all's own
arguments: nothing index-specific is passed).

Run: PYTHONPATH=src python scripts/edition_path.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import fintech_index as fi
from fintech_index.publish import publish_all


def main() -> None:
    results = fi.examples.load("fintech").build()
    pkg = Path(fi.__file__).parent
    counts = {"Edition.of": 0, "compare": 0}
    stack: list[str] = []

    def profile(frame, event, arg):
        if event != "call":
            return
        code = frame.f_code
        name = code.co_filename
        if name.endswith("analysis/edition.py") and code.co_name == "of":
            counts["Edition.of"] += 1
        elif name.endswith("analysis/changes.py") and code.co_name == "compare":
            counts["compare"] += 1
        elif name.endswith("publish/site.py") and code.co_name == "city" and not stack:
            f, frames = frame, []
            while f is not None:
                if f.f_code.co_filename.startswith(str(pkg)):
                    frames.append(f"{Path(f.f_code.co_filename).relative_to(pkg)}:"
                                  f"{f.f_code.co_name}")
                f = f.f_back
            stack.extend(reversed(frames))

    with tempfile.TemporaryDirectory() as tmp:
        sys.setprofile(profile)
        try:
            publish_all(results, site=Path(tmp) / "site", pdf=Path(tmp) / "pdf",
                        xlsx=Path(tmp) / "book.xlsx")
        finally:
            sys.setprofile(None)
    files = [s.split(":")[0] for s in stack]
    returns = sum(1 for i, f in enumerate(files) if i and f != files[i - 1]
                  and f in files[:i - 1])
    print(f"publish_all -> first city page: {len(stack)} frames in {len(set(files))} files, "
          f"{returns} returns to a file already left")
    print("  " + " -> ".join(stack))
    print(f"site + 10 papers + workbook: Edition.of {counts['Edition.of']} times, compare "
          f"{counts['compare']} times")


if __name__ == "__main__":
    main()
