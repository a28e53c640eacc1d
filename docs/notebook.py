# ---
# jupyter:
#   jupytext:
#     formats: py:percent
# ---

# %% [markdown]
# # The analyst's notebook: results, audit and every plot
#
# A Jupytext notebook (open it in Jupyter with jupytext, or run it as a script): the TAI
# example (UNDP's Technology Achievement Index, 72 countries) built, audited, shown and
# drawn with `fintech_index.plot`. `tests/test_notebook.py` runs it. With the environment
# variable `FINTECH_INDEX_FIGURES` set to a folder, every figure is also written there as
# PNG (kaleido and a Chromium).

# %%
import builtins
import os
from pathlib import Path

import fintech_index as fi
from fintech_index import plot
from fintech_index.audit.engine import Engine, load_spec
from fintech_index.audit.run import run_audit
from fintech_index.examples import datasets_dir

if hasattr(builtins, "__IPYTHON__"):  # Jupyter: tables as HTML, figures interactive
    from IPython.display import display
else:  # run as a script (the test): the text forms, and a line per figure
    def display(obj):
        print(f"{type(obj).__name__}: {len(obj.data)} traces" if hasattr(obj, "data")
              else repr(obj))

ex = fi.examples.load("tai")
res = ex.build()
display(res)  # the ranking as a table (Results._repr_html_)

# %%
display(ex.framework)
display(ex.methodology)

# %% [markdown]
# A small audit: 256 replications of the example's uncertain choices and a Sobol analysis
# with a base sample of 64.

# %%
spec = load_spec(datasets_dir() / "tai" / "tai.uncertainty.yaml")
audit = run_audit(Engine(res.framework, res.panel, res.methodology, spec), n=256, sobol=64)
display(audit.uncertainty)
display(audit.sensitivity)

# %%
figures = {
    "bar": plot.bar(res, stack_children=True),
    "dot": plot.dot(res, usel=["FIN", "KOR"]),
    "framework": plot.framework(res),
    "corr": plot.corr(audit),
    "scatter": plot.scatter(res, "patents", "internet", dsets=("raw", "raw")),
    "dist": plot.dist(res, list(res.framework.indicators)[:4], dset="scores"),
    "uncertainty": plot.uncertainty(audit),
    "sensitivity": plot.sensitivity(audit),
    # COINr's ASEM panel (2018-2022): each year's ranking as an edition
    "rank_history": plot.rank_history(panel := fi.examples.load("asem_panel").build(), top=8),
    # the report site's charts: the top eight's gap in every year, Korea against the top
    # five's mean and its neighbours on each aggregate
    "gap": plot.gap(panel, 8),
    "profile": plot.profile(res, "KOR", peers=["JPN", "NLD"], top=5),
}
for fig in figures.values():
    display(fig)

# %%
out = os.environ.get("FINTECH_INDEX_FIGURES")
if out:
    Path(out).mkdir(parents=True, exist_ok=True)
    for name, fig in figures.items():
        fig.write_image(Path(out) / f"{name}.png", width=900, height=600)
