"""The fintech-index command: build, validate, audit, publish and serve composite indices.

Commands are thin: each resolves its inputs, calls one library function and prints what it
returned. Every deliberate error (``FintechIndexError``) reaches one handler
(:class:`Commands`), which prints the message and exits with status 2; 1 is a failed check;
0 success. Heavy libraries (NumPy, pandas, SciPy, DuckDB, Dask, Plotly, Typst, FastAPI) are
imported inside the commands that use them, so ``--help`` and ``validate`` start fast:
measured on the 2-core machine (2026-12-07, load 2.3), ``fintech-index --help`` takes
0.20 s this way, against 2.6 s for importing the modules the commands use at the top
(``benchmarks/startup.py`` tracks it; ``tests/test_startup.py`` holds what --help imports).
"""

from __future__ import annotations

import atexit
import functools
import gc
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from typer.core import TyperGroup

from .errors import FintechIndexError, StoreError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from rich.table import Table

    from .build import Results
    from .examples import Example
    from .framework import Framework
    from .methodology import Methodology
    from .panel import Panel
    from .publish.report import EditionReport
    from .publish.view import EditionView


@functools.cache  # registered once
def _leave_to_the_os() -> None:
    """At exit, freeze the objects still alive (the imported pandas, Arrow and pydantic
    modules; a finished build's arrays) out of the collector's last passes and leave them
    to the operating system: those passes took 0.4 s after a 20,000 x 200 build and 0.2 s
    after a bare ``import pandas`` (measured 2026-12-07; ``gc.freeze``, Python's gc docs).
    Only for the commands that read and write files they close themselves (build,
    validate): a frozen object in a reference cycle is not finalised at exit."""
    atexit.register(gc.freeze)


MAIN_EXAMPLE = "fintech"  # the README's first command builds the fintech index
FOCUS_OPT = typer.Option(None, help="tell the lead story from this city's point of view "
                                     "(code or name)")
SHEET_OPT = typer.Option(None, help="sheet of an Excel DATA file (default: the first)")
UNITS_OPT = typer.Option(None, help="units table (code[, name, country, region, ...]): the "
                                    "data's units must be in it")


def _print_error(e: FintechIndexError) -> None:
    from rich.text import Text

    from .safe import plain, text_console

    # the message quotes users' files: printed as text, never as markup (issue 17)
    text_console(stderr=True).print(Text("error: ", style="bold red") + plain(str(e), keep="\n"),
                                    soft_wrap=True)


def _coded_usage_error(e, ctx=None) -> FintechIndexError:
    """click's usage error (missing argument, bad option value, unknown option or command)
    as [U80]: click's words, the usage line and --help pointer of the command it names
    (``e.ctx``; else ``ctx``, the group's)."""
    where = e.ctx or ctx
    if where is None:
        return FintechIndexError("U80", f"{e.format_message()} (see 'fintech-index --help')")
    usage = " ".join(where.get_usage().split())
    return FintechIndexError("U80", f"{where.command_path}: {e.format_message()} ({usage}; "
                                    f"see '{where.command_path} --help')")


class Commands(TyperGroup):
    """The command group; the one place a ``FintechIndexError`` or a usage error (click's
    words, coded U80) becomes a printed message and exit status 2 (never a traceback)."""

    def make_context(self, info_name, args, parent=None, **extra):
        try:  # the group's own options (``fintech-index --bogus``)
            return super().make_context(info_name, args, parent, **extra)
        except _usage_error() as e:
            _raise_coded(e)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except FintechIndexError as e:
            _print_error(e)
            raise typer.Exit(2) from None
        except _usage_error() as e:
            _raise_coded(e, ctx)


def _usage_error() -> type[Exception]:
    """click's UsageError, from the click typer uses (its own copy since typer 0.2x)."""
    return next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")


def _raise_coded(e, ctx=None) -> None:
    if type(e).__name__ == "NoArgsIsHelpError":  # the help asked for by no arguments
        raise e
    _print_error(_coded_usage_error(e, ctx))
    raise typer.Exit(2) from None


app = typer.Typer(cls=Commands, add_completion=False, no_args_is_help=False,
                  rich_markup_mode=None, pretty_exceptions_enable=False,
                  help="Build, audit and publish composite indices.")


class _LazyConsole:
    """rich's Console, made on first use (rich is not imported for ``--help``). rich wraps at
    80 columns when output is not a terminal (pipes, files, CI logs): the ranking table
    gets 140 there."""

    _made = None

    def get(self):
        if _LazyConsole._made is None:
            from .safe import text_console

            # every string printed is text, never markup: names come from users' files
            _LazyConsole._made = text_console(width=None if sys.stdout.isatty() else 140)
        return _LazyConsole._made

    def __getattr__(self, name: str):
        return getattr(self.get(), name)


console = _LazyConsole()


def _table(title: str):
    from rich.table import Table

    return Table(title=title, title_justify="left")


@dataclass(frozen=True)
class Inputs:
    """A framework, panel and methodology from files or from a bundled example."""

    framework: Framework
    panel: Panel
    methodology: Methodology
    example: str | None  # the bundled example's name, None for user files
    bundled: Example | None = None  # that example, as loaded


def resolve_inputs(command: str, framework: Path | None, data: Path | None,
                   methodology: Path | None, example: str | None,
                   sheet: str | None = None, units: Path | None = None) -> Inputs:
    """User files (FRAMEWORK and DATA, both) or a bundled example (default: the main
    index); ``--methodology`` replaces the example's or the default methodology."""
    from .methodology import Methodology, load_methodology

    meth = load_methodology(methodology) if methodology else None
    if framework is None:
        from . import examples as bundled

        name = example or MAIN_EXAMPLE
        ex = bundled.load(name)
        return Inputs(ex.framework, ex.panel, meth or ex.methodology, name, ex)
    if data is None:
        raise FintechIndexError("U01", f"{command}: give both FRAMEWORK and DATA (or neither "
                                       "for the bundled index)")
    from .framework import load_framework
    from .panel import load_panel

    fw = load_framework(framework)
    return Inputs(fw, load_panel(data, fw, sheet=sheet, units=units), meth or Methodology(),
                  None)


def _change(prev_ranks, unit: str, rank: float) -> str:
    from . import format as fmt

    if prev_ranks is None or unit not in prev_ranks.index:
        return ""
    return fmt.change(prev_ranks.at[unit] - rank, style="sign")


def _ranking_head(results: Results, year: int, top: int, view: EditionView | None
                  ) -> tuple[pd.DataFrame, pd.Series, int]:
    """The first ``top`` ranked rows of ``results.ranking(year)`` (name, rank, score, each
    node's ``.rank``/``.score`` and the unit's ``observed_weight``), every unit's rank, and
    the number unranked: from the edition ``view`` when given (its ranked order is the
    ranking's: by rank, then unit code), instead of a ranking of every unit and node
    (80 MB, 0.3 s for 20,000 units x 255 nodes) to print 20 rows; percentile ranks (best
    last) from the ranking itself."""
    import pandas as pd

    if view is None or results.methodology.rank.percentile:
        frame = results.ranking(year)
        head = frame.head(top)  # ranked first, the unranked after them
        return head[head["rank"].notna()], frame["rank"], int(frame["rank"].isna().sum())
    ed = view.edition(year)
    units = ed.ranked().index[:top]
    at = ed.ranks.index.get_indexer(units)
    ranks, scores = ed.ranks.to_numpy()[at], ed.scores.to_numpy()[at]
    cols = {"name": results.panel.units["name"].reindex(units).to_numpy(),
            "observed_weight": ed.observed.to_numpy()[at]}
    for k, c in enumerate(ed.ranks.columns):
        prefix = "" if c == ed.index else f"{c}."
        cols[f"{prefix}rank"], cols[f"{prefix}score"] = ranks[:, k], scores[:, k]
    ranks = ed.ranks[ed.index]
    return pd.DataFrame(cols, index=units), ranks, int(ranks.isna().sum())


def print_ranking(results: Results, year: int | None, top: int,
                  view: EditionView | None = None) -> None:
    """The ranking of ``year`` (default the last), with the change against the year before
    it (labelled a back-cast when that year is computed on a later edition's framework);
    ``view``: the editions of ``results`` already made (:class:`publish.view.EditionView`)."""
    from . import format as fmt
    from .analysis.edition import recomputed_on
    from .build import OBSERVED_WEIGHT_MIN

    year = results.years[results.year_index(year)]
    shown, _, unranked = _ranking_head(results, year, top, view)
    earlier = [y for y in results.years if y < year]
    prev = _ranking_head(results, earlier[-1], 0, view)[1] if earlier else None
    fw = results.framework
    dims = [c for c in fw.nodes[fw.index].children if not fw.nodes[c].is_indicator]
    table = _table(f"{fw.name}: ranking {year}")
    table.add_column("rank", justify="right")
    if prev is not None:
        backcast = recomputed_on(fw, earlier[-1]) is not None
        table.add_column(f"vs {earlier[-1]}{' back-cast' if backcast else ''}", justify="right")
    table.add_column("unit")
    table.add_column(fw.index, justify="right")
    for d in dims:
        table.add_column(f"{d} (rank)", justify="right")
    # the share of each unit's index weight on observed values, where any shown is imputed
    observed = shown["observed_weight"]
    imputed = bool((observed < 1).any())
    if imputed:
        table.add_column("observed", justify="right")
    for unit, row in shown.iterrows():
        cells = [fmt.rank(row["rank"])]
        if prev is not None:
            cells.append(_change(prev, unit, row["rank"]))
        cells += [f"{row['name']} ({unit})", fmt.number(row["score"], 3)]
        cells += [f"{fmt.number(row[f'{d}.score'], 3)} ({fmt.rank(row[f'{d}.rank'])})"
                  for d in dims]
        if imputed:
            share = observed.at[unit]  # rounded down: an imputed value never shows 100%
            cells.append(fmt.percent(share, rounding="down")
                         + (" *" if share < OBSERVED_WEIGHT_MIN else ""))
        table.add_row(*cells)
    console.print(table)
    if imputed:
        console.print(f"observed: the share of the index weight resting on observed values, "
                      f"the rest imputed; * under {fmt.percent(OBSERVED_WEIGHT_MIN)}, ranked "
                      "but to be read with care.")
    if unranked:
        console.print(f"{unranked} unit(s) without a rank in {year} (missing data or excluded "
                      "by the methodology).")


@app.command("build")
def build_cmd(
    framework: Path | None = typer.Argument(None, help="framework YAML (default: bundled)"),
    data: Path | None = typer.Argument(None, help="data file: CSV, Excel or Parquet"),
    methodology: Path | None = typer.Option(None, "--methodology", "-m",
                                            help="methodology YAML/JSON"),
    year: int | None = typer.Option(None, help="year of the ranking printed (default: last)"),
    out: str = typer.Option("out", help="folder the results are written to"),
    top: int = typer.Option(20, min=1, help="rows of the ranking printed"),
    example: str | None = typer.Option(None, "--example", "-e",
                                       help="build a bundled example instead (e.g. asem, hdi)"),
    sheet: str | None = SHEET_OPT,
    units: Path | None = UNITS_OPT,
    lang: str = typer.Option("en", help="language of the lead story and of the site's root "
                                        "(en, zh; the site is written in both)"),
    focus: str | None = FOCUS_OPT,
) -> None:
    """Build an index and print its ranking; with no arguments, the bundled main index."""
    _leave_to_the_os()
    from .build import build
    from .outfiles import (
        keeping_inputs,
        listed_files,
        output_folder,
        output_run,
    )
    from .publish.i18n import check_lang
    from .publish.report import write_edition_report
    from .publish.view import EditionView

    check_lang(lang)
    out_dir = output_folder(out, make=False)  # a path it cannot write is refused first
    inputs = resolve_inputs("build", framework, data, methodology, example, sheet, units)
    if inputs.example is not None:
        out_dir = out_dir / inputs.example
    results = build(inputs.framework, inputs.panel, inputs.methodology)
    year = results.years[results.year_index(year)]  # refuses a year that is not there
    view = EditionView(results, year)  # the edition every output renders, made once
    if focus is not None:  # a city that is not there is refused before anything is printed
        from .publish.lead import resolve_unit

        focus = resolve_unit(view.cur, focus)

    print_ranking(results, year, top, view)
    # one run: its manifest lists every file below, and an earlier run's other files go.
    # (Writing the report beside the results, or beside results.parquet's tail once the
    # CSVs were written, saved no clear wall time on 2 cores, and their overlapping peaks
    # cost 120 MB, then 50 MB, over the 5 x goal; since results.parquet is made without a
    # gather per cell it ends with the ranking CSV, leaving no tail to overlap: issue 27.)
    with keeping_inputs([framework, data, methodology, units]), output_run(out_dir) as run:
        results.write(out_dir)
        notes = None
        if inputs.example == MAIN_EXAMPLE:  # first: the focus lead tells its audit interval
            from .gfcdi.job import write_main_job

            job = write_main_job(results, out_dir, top, lang, focus, inputs.bundled.editions,
                                 view)
            notes = job.notes
        report = write_edition_report(results, out_dir, year, focus=focus, lang=lang, view=view,
                                      notes=notes)
        run.describe(results.manifest())
    if inputs.example == MAIN_EXAMPLE:
        console.print("\n".join(job.lines), soft_wrap=True, markup=False, highlight=False)
        if job.audit is not None:
            console.print(f"small audit: {job.audit.attrs['replications']:,} replications of "
                          f"{len(job.audit.attrs['factors'])} uncertain choices (rank "
                          "intervals on the site; `fintech-index audit` for the full analysis)")
    print_regional_leads(report.regional_leads)
    print_lead(report)
    # what the run's manifest lists (itself included): the lists the writers return missed
    # files another part of the run wrote (it said 118 where there were 122)
    files = listed_files(out_dir)
    top_level = sorted({Path(f).parts[0] for f in files})
    console.print(f"wrote {len(files)} files to {out_dir}/: " + ", ".join(
        f"{t}/" if (out_dir / t).is_dir() else t for t in top_level))


store_app = typer.Typer(rich_markup_mode=None,
                        help="Editions in the DuckDB store: list, show, diff, publish.")
records_app = typer.Typer(rich_markup_mode=None,
                          help="Institution-level records: ingest, rates, aggregate.")
app.add_typer(store_app, name="store")
app.add_typer(records_app, name="records")
STORE_OPT = typer.Option(Path("fintech-index.duckdb"), "--store", help="the DuckDB file")


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, float):
        return f"{int(v)}" if v.is_integer() and abs(v) < 1e6 else f"{v:.3f}"
    return str(v)


def _frame_table(frame, title: str) -> Table:
    """A frame as a terminal table, each numeric column in one format (format.column: never
    "1" beside "0.985")."""
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    from . import format as fmt

    table = _table(title)
    cells = []
    for c in frame.columns:
        col = frame[c]
        number = is_numeric_dtype(col) and not is_bool_dtype(col)
        signed = not number and col.map(lambda v: isinstance(v, str) and bool(v) and v[0] in
                                        "+\u2212" and v[1:2].isdigit()).all()
        table.add_column(str(c), justify="right" if number or signed else "left")
        cells.append(fmt.column(col) if number else [_cell(v) for v in col])
    for row in zip(*cells, strict=True):
        table.add_row(*row)
    return table


@store_app.command("ls")
def store_ls(store: Path = STORE_OPT) -> None:
    """List the published editions."""
    from .store import Store

    with Store(store, read_only=True) as s:
        s.check()  # a damaged store is not listed as healthy
        frame = s.editions()[["name", "revises", "created_at", "framework_name", "years"]]
    console.print(_frame_table(frame, f"editions in {store}"))


@store_app.command("publish")
def store_publish(name: str, example: str = typer.Option(MAIN_EXAMPLE, "--example", "-e"),
                  revises: str | None = typer.Option(None, help="the edition this revises"),
                  data: Path | None = typer.Option(None, "--data", help="corrected data for "
                                                   "the example's framework (CSV, Excel, "
                                                   "Parquet), e.g. for a revision"),
                  sheet: str | None = SHEET_OPT,
                  note: str | None = typer.Option(None), store: Path = STORE_OPT) -> None:
    """Build a bundled index (with --data: on that data) and publish it as the edition NAME
    (once; immutable)."""
    from . import examples as bundled
    from .build import build
    from .panel import load_panel
    from .store import Store

    ex = bundled.load(example)
    panel = ex.panel if data is None else load_panel(data, ex.framework, sheet=sheet)
    results = build(ex.framework, panel, ex.methodology)
    with Store(store) as s:
        s.publish(results, name, revises=revises, note=note)
        same = _same_inputs(s, name, revises) if revises is not None else False
    console.print(f"published edition '{name}' ({example}"
                  + (f", data {data}" if data is not None else "")
                  + f", years {list(results.years)}) to {store}"
                  + (f"; it revises '{revises}'" if revises else ""), markup=False)
    if same:
        console.print(f"note: '{name}' has the same data, framework and methodology as "
                      f"'{revises}' (nothing revised); give the corrected data with --data",
                      markup=False)


def _same_inputs(store, a: str, b: str) -> bool:
    """Editions ``a`` and ``b`` of ``store`` were built from the same data, framework and
    methodology (same hashes)."""
    eds = store.editions().set_index("name")
    cols = ["framework_hash", "data_hash", "methodology_hash"]
    return bool((eds.loc[a, cols] == eds.loc[b, cols]).all())


@store_app.command("show")
def store_show(name: str, year: int | None = typer.Option(None),
               node: str | None = typer.Option(None, help="node (default: the index)"),
               top: int = typer.Option(20, min=1), store: Path = STORE_OPT) -> None:
    """An edition's ranking on one node."""
    from .store import Store

    with Store(store, read_only=True) as s:
        part = s.ranking(name, node, year).head(top)
    console.print(_frame_table(part[["rank", "unit", "unit_name", "score", "figure_level"]],
                               f"{name}: {part['node'].iloc[0]}, {int(part['year'].iloc[0])}"))


@store_app.command("diff")
def store_diff(a: str, b: str, node: str | None = typer.Option(None),
               top: int = typer.Option(20, min=1), store: Path = STORE_OPT) -> None:
    """Rank and score changes from edition A to edition B."""
    from .store import Store

    with Store(store, read_only=True) as s:
        node = node or s.index_node(b)
        full = s.diff(a, b, node=node)
    same = (_same_values(full["rank_a"], full["rank_b"])
            & _same_values(full["score_a"], full["score_b"]))
    if same.all():
        console.print(f"{a} -> {b}: {node}: no changes (the {len(full)} units have the same "
                      "ranks and scores)", markup=False)
        return
    part = full[~same].head(top)
    console.print(_frame_table(part[["unit", "rank_a", "rank_b", "rank_change", "score_a",
                                     "score_b", "score_change"]], f"{a} -> {b}: {node}"))
    if same.any():
        console.print(f"{int(same.sum())} of {len(full)} units unchanged (not shown)",
                      markup=False)


def _same_values(x, y):
    """Element-wise: equal, or missing in both (unranked in both editions)."""
    return (x == y) | (x.isna() & y.isna())


@records_app.command("ingest")
def records_ingest(file: Path, batch: str | None = typer.Option(None, help="batch name "
                                                                 "(default: the file name)"),
                   store: Path = STORE_OPT) -> None:
    """Load a records file (CSV, Excel, Parquet) into the store."""
    from . import records
    from .store import Store

    frame = records.read_records(file)
    with Store(store) as s:
        n = records.ingest(s, frame, batch or file.name)
    console.print(f"ingested {n:,} records as batch '{batch or file.name}' into {store}")


@records_app.command("rates")
def records_rates(file: Path, store: Path = STORE_OPT) -> None:
    """Load a dated exchange-rate table (currency, date, usd_per_unit[, source])."""
    from . import records
    from .store import Store

    frame = records.read_rates(file)
    with Store(store) as s:
        new = records.put_rates(s, frame)
    console.print(f"stored {new} new exchange rates in {store} ({len(frame) - new} already "
                  "there)")


@records_app.command("aggregate")
def records_aggregate(framework: Path, out: str = typer.Option("from_records.csv"),
                      store: Path = STORE_OPT) -> None:
    """Count the framework's from_records indicators into a long data file."""
    from . import records
    from .exports import write_csv
    from .framework import load_framework
    from .outfiles import keeping_inputs, output_path
    from .store import Store

    out_file = output_path(out)
    fw = load_framework(framework)
    with Store(store, read_only=True) as s:
        frame = records.aggregate(s, fw)
    with keeping_inputs([framework, store]):
        write_csv(frame, out_file)
    console.print(f"wrote {len(frame):,} values of {frame['indicator'].nunique()} indicators "
                  f"to {out}")


@app.command("districts")
def districts_cmd(
    unit: str = typer.Argument(..., help="city code, e.g. SFO (Bay Area), NYC, SHA"),
    year: int = typer.Option(2025, help="year of the unicorn list (or of the records)"),
    store: Path | None = typer.Option(None, "--store", help="count the store's records "
                                      "instead of the bundled unicorn lists"),
    min_firms: int = typer.Option(3, help="places with fewer firms are left out of the "
                                  "summary (never out of the quotients)"),
) -> None:
    """District specialisation inside a city: location quotients by place and industry."""
    from .gfcdi import districts

    if store is not None:
        from .store import Store

        with Store(store, read_only=True) as s:
            table, info = districts.city_places(unit, year, s)
        what = info["source"]
    else:
        table, info = districts.city_places(unit, year)
        what = f"{info['source']}: {info['firms']} unicorns in {info['places']} places"
        for place, cell, n in info["unclassified"]:
            console.print(f"left out: {n} firm(s) in {place} whose industry cell reads "
                          f"'{cell}' (a shifted cell in the source)")
    summary = districts.place_summary(table, min_firms)
    plain = districts.one_place_sentence(districts.place_summary(table, 1), info, min_firms)
    if plain:
        console.print(plain, soft_wrap=True, markup=False, highlight=False)
    console.print(_frame_table(summary, f"{unit}: places with at least {min_firms} firms "
                                        f"({what})"))
    console.print(_frame_table(table, f"{unit}: location quotient by place and industry "
                                      "(LQ = (n_ds / n_d) / (N_s / N))"))


def print_lead(report: EditionReport) -> None:
    """The lead story (lead_<year>.txt up to its sections) and where the rest is."""
    from .publish.lead import joined

    year = report.year
    console.print(joined(report.lead.sentences).strip(), soft_wrap=True, markup=False,
                  highlight=False)
    console.print(f"({len(report.sentences)} sentences in all: lead_{year}.txt by section, "
                  f"sentences_{year}.txt)")


@app.command("publish")
def publish_cmd(
    edition: str = typer.Argument(..., help="edition name (stored with --store)"),
    example: str = typer.Option(MAIN_EXAMPLE, "--example", "-e"),
    site: str | None = typer.Option(None, help="folder for the static report site"),
    pdf: str | None = typer.Option(None, help="folder for the city white papers"),
    xlsx: str | None = typer.Option(None, help="Excel workbook to write"),
    store: Path | None = typer.Option(None, "--store", help="also publish into this store"),
    audit: Path | None = typer.Option(None, help="uncertainty_summary.csv of an audit "
                                                 "(default: a small audit is run)"),
    cities: str | None = typer.Option(None, help="white papers for these cities too, beside "
                                      "the top ten (codes, comma-separated: SHA,BJS)"),
    lang: str = typer.Option("en", help="language of the white papers and workbook and at "
                                        "the site's root (the site has both): en, zh"),
    focus: str | None = FOCUS_OPT,
) -> None:
    """Build an edition and write its report site, white papers and workbook."""
    from rich.progress import Progress

    from . import examples as bundled
    from .audit.uncertainty import read_summary
    from .gfcdi.editions import official_ranking, publish_inputs
    from .gfcdi.paper import paper_sections
    from .outfiles import keeping_inputs, output_folder, output_path, output_run
    from .publish import paper_units, publish_all
    from .publish.i18n import check_lang
    from .publish.lead import focus_unit

    check_lang(lang)
    if site is None and pdf is None and xlsx is None and store is None:
        raise FintechIndexError("U67", "publish: nothing to write; give --site DIR, --pdf DIR, "
                                       "--xlsx FILE and/or --store FILE")
    # each output path is checked before the build (refused: empty, a file, read-only)
    site_dir = output_folder(site, option="--site", make=False) if site is not None else None
    pdf_dir = output_folder(pdf, option="--pdf", make=False) if pdf is not None else None
    xlsx_file = output_path(xlsx, option="--xlsx") if xlsx is not None else None
    results = bundled.load(example).build()
    summary = read_summary(audit, results.panel.unit_codes) if audit else None
    unit = focus_unit(results, focus)
    if store is not None:
        from .store import Store

        with Store(store) as s:
            s.publish(results, edition)
    _, coords = publish_inputs(example)
    if summary is None and (site_dir or pdf_dir or xlsx_file):
        summary = bundled.quick_audit_of(results, example)
    extra = [c.strip() for c in cities.split(",") if c.strip()] if cities else []
    papers = paper_units(results, extra) if pdf_dir else []
    steps = (1 if site_dir else 0) + len(papers) + (1 if xlsx_file else 0)
    with ExitStack() as runs, keeping_inputs([audit, store]), \
            Progress(console=console.get(), transient=True) as bar:
        for folder, kind in ((site_dir, "site"), (pdf_dir, "papers")):
            if folder is not None:  # each folder all or nothing, with its manifest
                runs.enter_context(output_run(folder, kind=kind)).describe({"edition": edition})
        from rich.markup import escape

        from .safe import visible
        task = bar.add_task(f"publishing {escape(visible(edition))}", total=steps)
        written = publish_all(results, site=site_dir, pdf=pdf_dir, xlsx=xlsx_file, cities=extra,
                              coordinates=coords, audit=summary, lang=lang,
                              sections=paper_sections(results, store), focus=unit,
                              progress=lambda _: bar.advance(task),
                              published=official_ranking(example))
    console.print(f"published '{edition}': {len(written)} files"
                  + (f"; stored in {store}" if store else ""))


@app.command("serve")
def serve_cmd(store: Path = STORE_OPT, host: str = typer.Option("127.0.0.1"),
              port: int = typer.Option(8000, min=1, max=65535)) -> None:
    """Serve the read-only API and the interactive ranking page over a store."""
    if not store.exists():
        raise StoreError("S01", f"{store}: no store here; publish an edition first "
                                "(fintech-index store publish NAME)")
    from .web.app import serve

    serve(store, host, port)


@app.command("audit")
def audit_cmd(
    framework: Path | None = typer.Argument(None, help="framework YAML (default: bundled)"),
    data: Path | None = typer.Argument(None, help="data file"),
    spec: Path = typer.Option(..., "--spec", help="uncertainty spec YAML"),
    methodology: Path | None = typer.Option(None, "--methodology", "-m"),
    example: str | None = typer.Option(None, "--example", "-e"),
    n: int | None = typer.Option(None, min=1,
                                 help="uncertainty replications (default: the spec's)"),
    sobol: int = typer.Option(0, min=0,
                              help="Sobol base sample N (0: no sensitivity analysis)"),
    dask: str | None = typer.Option(None, "--dask", help="Dask scheduler address"),
    chunk: int = typer.Option(2000, min=1, help="replications evaluated per task (results "
                                                "do not depend on it)"),
    out: str = typer.Option("out/audit", help="folder for the audit files"),
    top: int = typer.Option(15, min=1, help="rows of the summary printed"),
    imputation_check: bool = typer.Option(
        False, "--imputation-check", help="also cross-validate the imputation: hide observed "
        "values fold by fold, impute, compare (imputation_check.csv; minutes with EM)"),
) -> None:
    """Coherence, uncertainty and (with --sobol N) sensitivity analysis of an index."""
    from rich.progress import Progress

    from . import format as fmt
    from .audit.engine import Engine, load_spec
    from .audit.run import run_audit
    from .outfiles import keeping_inputs, output_folder, output_run

    out_dir = output_folder(out, make=False)  # refused before the audit runs, not after
    inputs = resolve_inputs("audit", framework, data, methodology, example)
    engine = Engine(inputs.framework, inputs.panel, inputs.methodology, load_spec(spec))
    with Progress(console=console.get(), transient=True) as bar:
        tasks: dict[str, int] = {}

        def progress(task: str, total: int, k: int) -> None:
            if task not in tasks:
                tasks[task] = bar.add_task(task, total=total)
            bar.advance(tasks[task], k)

        result = run_audit(engine, n=n, sobol=sobol, chunk=chunk, dask=dask, progress=progress,
                           check_imputation=imputation_check)
    with keeping_inputs([framework, data, methodology, spec]), \
            output_run(out_dir, listing=False):  # all of the files or none
        written = result.write(out_dir)
    shown = result.uncertainty.summary().head(top).reset_index()
    pct = result.uncertainty.percentile  # percentile ranks: 4 decimals, no top-N share
    shown.insert(1, "interval", [f"{a:.4f}-{b:.4f}" if pct else fmt.interval(a, b) for a, b in
                                 zip(shown["rank_p05"], shown["rank_p95"], strict=True)])
    cols = ["unit", "nominal_rank", "median_rank", "interval",
            *([] if pct else [f"p_top{engine.spec.top}"])]
    console.print(_frame_table(shown[cols], f"uncertainty: {result.replications:,} "
                               f"replications of {len(engine.spec.factors)} factors (rank "
                               "interval 5-95%)"))
    if result.sensitivity is not None:
        t = result.sensitivity.table().query("output == 'mean_abs_rank_shift'")
        console.print(_frame_table(t[["factor", "S", "S_low", "S_high", "ST", "ST_low",
                                      "ST_high"]],
                                   f"sensitivity of the mean absolute rank shift (N = {sobol})"))
    console.print(f"wrote {', '.join(p.name for p in written)} to {out_dir}/")


@app.command("convert-coinr")
def convert_coinr_cmd(
    idata: Path = typer.Argument(..., help="COINr iData table (CSV or Excel)"),
    imeta: Path = typer.Argument(..., help="COINr iMeta table (CSV or Excel)"),
    out: str = typer.Option("coinr-index", help="folder for the converted files"),
    year: int | None = typer.Option(None, help="year of the data if iData has no Time"),
    data_sheet: str | None = typer.Option(None, help="Excel sheet of iData"),
    meta_sheet: str | None = typer.Option(None, help="Excel sheet of iMeta"),
    name: str | None = typer.Option(None, help="title of the converted index (default: the "
                                    "iName of iMeta's one top aggregate)"),
) -> None:
    """Convert a COINr iData/iMeta pair into framework.yaml, units.csv, data.csv and
    methodology.yaml."""
    from .coinr import convert_coinr
    from .methodology import load_methodology
    from .outfiles import keeping_inputs, output_folder, output_run

    out_dir = output_folder(out, make=False)
    with keeping_inputs([idata, imeta]), output_run(out_dir, listing=False):
        written = convert_coinr(idata, imeta, out_dir, name=name, year=year,
                                data_sheet=data_sheet, meta_sheet=meta_sheet)
    console.print(f"wrote {', '.join(str(p) for p in written)}")
    # what COINr does by default for this data (a panel: global normalisation)
    console.print(f"methodology: {load_methodology(written[2]).name}", markup=False)
    console.print(f"build it with: fintech-index build {written[0]} {written[1]} "
                  f"-m {written[2]}")


@app.command("validate")
def validate_cmd(
    framework: Path = typer.Argument(..., help="framework YAML"),
    data: Path = typer.Argument(..., help="data file: CSV, Excel or Parquet"),
    methodology: Path | None = typer.Option(None, "--methodology", "-m"),
    sheet: str | None = SHEET_OPT,
    units: Path | None = UNITS_OPT,
    problems_file: Path | None = typer.Option(
        None, "--problems", help="write every problem, each list in full, to this CSV file "
                                 "(code, message); messages show the first of each"),
) -> None:
    """Check a framework, data file and methodology and list every problem, without building."""
    _leave_to_the_os()
    from .framework import load_framework
    from .methodology import Methodology, load_methodology
    from .panel import load_panel

    if problems_file is not None:
        _refuse_input_as_output(problems_file, framework, data, methodology, units)
    errors: list[FintechIndexError] = []
    fw = None
    try:
        fw = load_framework(framework)
    except FintechIndexError as e:
        errors.append(e)
    if fw is not None:
        try:
            panel = load_panel(data, fw, sheet=sheet, units=units)
            # numbers only: plain print, so a clean validate does not import rich (45 ms)
            print(f"data: {_sheet_read(data, sheet)}{len(panel.unit_codes)} units, "
                  f"{len(panel.years)} years, {len(panel.indicators)} indicators, "
                  f"{int(panel.missing.sum())} missing values")
        except FintechIndexError as e:
            errors.append(e)
        try:
            meth = load_methodology(methodology) if methodology else Methodology()
            meth.check(fw)
        except FintechIndexError as e:
            errors.append(e)
    if problems_file is not None:
        _write_problems(problems_file, errors)
    if errors:
        from .safe import text_console

        err = text_console(stderr=True)
        for e in errors:
            err.print(str(e), soft_wrap=True)
        if problems_file is not None:
            err.print(f"every problem, in full: {problems_file}", soft_wrap=True)
        raise typer.Exit(2)
    print("no problems found")


def _sheet_read(data: Path, sheet: str | None) -> str:
    """'sheet 'X' (hidden sheets passed over: ...); ' for an xlsx workbook, else ''."""
    import zipfile

    if data.suffix.lower() not in (".xlsx", ".xlsm") or not zipfile.is_zipfile(data):
        return ""
    from .xlsx import choose_sheet, worksheets

    with zipfile.ZipFile(data) as book:
        chosen = choose_sheet(worksheets(book), data.name, sheet)
    skipped = f" (hidden sheets passed over: {', '.join(map(repr, chosen.skipped))})" \
        if chosen.skipped else ""
    return f"sheet {chosen.name!r}{skipped}; "


def _refuse_input_as_output(out: Path, *inputs: Path | None) -> None:
    """A usage error [U80] when ``out`` is one of the command's input files."""
    for given in inputs:
        if given is not None and given.exists() and out.exists() and out.samefile(given):
            raise typer.BadParameter(f"{out} is an input of this command; name another file",
                                     param_hint="--problems")


def _write_problems(path: Path, errors: list[FintechIndexError]) -> None:
    """Every problem of ``errors`` as CSV rows (code, message; lists in full), written to
    a new file put in place of ``path`` (a symlink there is replaced, not followed)."""
    import os
    import tempfile

    import pandas as pd

    from .exports import write_csv

    frame = pd.DataFrame([p for e in errors for p in e.problems], columns=["code", "message"])
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".problems-", suffix=".csv", dir=path.parent)
        os.close(fd)
        write_csv(frame, tmp)
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        raise typer.BadParameter(f"cannot write {path}: {e.strerror or e}",
                                 param_hint="--problems") from None
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


@app.command("validate-examples")
def validate_examples_cmd() -> None:
    """Rebuild the bundled examples and count published values reproduced exactly."""
    import pandas as pd

    from . import examples as bundled

    table = _table("Published values reproduced (UNDP HDR 2023/2024 at 3 decimals; "
                   "COINr's ASEM example at 2 decimals; the Handbook's TAI ranks, Table 23; "
                   "CDC/ATSDR's SVI percentile ranks and sums at 4 decimals, flag counts; "
                   "ND-GAIN 1995-2014 within 1e-9; SDSN SDG Index 2023 at 1 decimal; "
                   "ranks exact)")
    for col in ("index", "published", "reproduced", "not reproduced"):
        table.add_column(col, justify="right" if col != "index" else "left")
    all_ok = True
    for name in bundled.available():
        if name == bundled.FINTECH:
            continue
        checks = bundled.validate(name)
        if name in bundled.SVI:  # 31 nodes and measures: one row per file (by measure in
            checks = [bundled.Validation(  # Python: examples.validate)
                name, f"{name} (every EPL, SPL, RPL; flag counts)", sum(v.total for v in checks),
                sum(v.matched for v in checks), pd.concat([v.mismatches for v in checks]))]
        for v in checks:
            all_ok &= v.ok
            table.add_row(v.what, f"{v.total:,}", f"{v.matched:,}", f"{v.total - v.matched:,}")
    console.print(table)
    print_agreement()
    if not all_ok:
        raise typer.Exit(1)


def print_regional_leads(leads: pd.DataFrame) -> None:
    """The regional leads table (:func:`analysis.regional_leads`), unless no unit has a
    region."""
    from . import format as fmt
    from .analysis.regions import NO_GROUP

    frame = leads.reset_index()
    if frame.empty or frame["group"].astype(str).eq(NO_GROUP).all():
        return
    top_col = next(c for c in frame.columns if c.startswith("top_"))
    table = _table(f"Regional leads ({top_col.replace('_', ' ')} of the index, mean scores)")
    means = [c for c in frame.columns if c.startswith("mean_")]
    for col in ["region", "cities", top_col.replace("_", " "), *[m[5:] for m in means]]:
        table.add_column(col, justify="left" if col == "region" else "right")
    for _, r in frame.iterrows():
        table.add_row(str(r["group"]), str(r["units"]), str(r[top_col]),
                      *[fmt.number(r[m], 1) for m in means])
    console.print(table)


def print_agreement() -> None:
    """The fintech index against published rankings (agreement, not reproduction)."""
    from .gfcdi.editions import edition_agreement, load_editions

    table = _table("Fintech index: rank agreement with published rankings (their exact "
                   "ranks only; not a reproduction: their data are not public)")
    for col in ("ranking", "edition", "our edition", "cities", "Spearman", "Kendall",
                "top 10 shared"):
        table.add_column(col, justify="left" if col == "ranking" else "right")
    for a in edition_agreement(load_editions()):  # each edition on its own framework
        table.add_row(a.ranking.split(" (")[0], str(a.edition), str(a.our_year),
                      str(a.cities), f"{a.spearman:.2f}", f"{a.kendall:.2f}",
                      f"{a.top10_shared} of {a.top10_published}")
    console.print(table)


@app.command("explain")
def explain_cmd(
    a: str = typer.Argument(..., help="unit code, e.g. SHA"),
    b: str = typer.Argument(..., help="the unit it is compared with, e.g. NYC"),
    framework: Path | None = typer.Option(None, help="framework YAML (with --data)"),
    data: Path | None = typer.Option(None, help="data file (with --framework)"),
    methodology: Path | None = typer.Option(None, "--methodology", "-m"),
    example: str | None = typer.Option(None, "--example", "-e"),
    year: int | None = typer.Option(None, help="year (default: the last)"),
    top: int = typer.Option(10, help="indicators printed, largest contribution first"),
    published: Path | None = typer.Option(None, help="a published ranking (CSV or Excel: "
                                                     "unit, rank) to compare with"),
) -> None:
    """Split the score difference of A and B by indicator; with --published, the agreement
    with a published ranking and what puts each unit away from its published place."""
    from .analysis.explain import compare_published, explain, read_published
    from .build import build

    inputs = resolve_inputs("explain", framework, data, methodology, example)
    eds = inputs.bundled.editions if inputs.bundled is not None and not methodology else None
    own = eds.own if eds is not None else {}  # editions: each on its own framework
    pick = max(own) if own and year is None else year
    results = own[pick] if pick in own else build(inputs.framework, inputs.panel,
                                                  inputs.methodology)
    from . import format as fmt

    e = explain(results, a, b, year)
    console.print(_frame_table(_explained(results, e, top), f"{a} {fmt.MINUS} {b}, {e.year}: "
                               f"{fmt.signed(e.difference, 3)} (sum of the contributions)"))
    if published is not None:
        c = compare_published(results, read_published(published), e.year)
        console.print(f"{c.units} units ranked by both: Spearman {c.spearman:.3f}, Kendall "
                      f"{c.kendall:.3f}, top {c.k} shared {c.top_k_shared}")
        console.print(_frame_table(c.table.reset_index(), "distance from the published "
                                   "place: the unit against the one we rank there"))


def _explained(results, e, top: int):
    """The largest contributions as the terminal shows them: the indicator's name, each
    contribution with its sign, and which of the two units' values were imputed (a
    contribution resting on an imputed value is an estimate)."""
    from . import format as fmt
    from .panel import IMPUTED

    frame = e.top(top).reset_index()
    fw, t = results.framework, results.year_index(e.year)
    ua, ub = results.units.index(e.a), results.units.index(e.b)
    col = {c: k for k, c in enumerate(fw.indicators)}

    def imputed(code: str) -> str:
        said = [u for u, i in ((e.a, ua), (e.b, ub)) if results.flags[t, i, col[code]] & IMPUTED]
        return " and ".join(said)

    names = [fw.nodes[c].name for c in frame["indicator"]]
    if names != list(frame["indicator"]):  # a framework without names: the codes once
        frame.insert(1, "name", names)
    frame["contribution"] = [fmt.signed(v, 3) for v in frame["contribution"]]
    frame["imputed"] = [imputed(c) for c in frame["indicator"]]
    return frame.rename(columns={"score_a": f"score {e.a}", "score_b": f"score {e.b}"})


@app.command("examples")
def examples_cmd() -> None:
    """List the bundled examples."""
    from . import examples as bundled

    for name in bundled.available():
        ex = bundled.load(name)
        console.print(f"{name}: {ex.framework.name} ({len(ex.panel.unit_codes)} units, "
                      f"{ex.panel.years[0]}-{ex.panel.years[-1]})")


def main() -> None:  # pragma: no cover - console entry point
    app()
