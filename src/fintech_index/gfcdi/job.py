"""The main job (``fintech-index build`` with no arguments) beside the generic build: the
editions report (the earlier edition on its own framework, city-level shares, the universe
screen, treatment reasons, the brokerage count), the districts table, the small audit and
the published site, white papers and workbook."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..audit.imputation_check import AUX_KERNELS, candidates_for, imputation_check
from ..audit.imputation_check import summary as imputation_summary
from ..audit.quick import quick_audit
from ..build import Results
from ..exports import write_csv
from ..outfiles import output_folder
from ..publish import focus_notes, publish_all
from ..publish.lead import focus_unit
from ..publish.view import EditionView
from ..store import Store
from .counts import BROKERAGE_BATCH, brokerage_counts, brokerage_sentence
from .districts import all_places
from .editions import (
    EDITION_YEARS,
    NAME,
    Editions,
    edition_agreement,
    folder,
    load_editions,
    official_ranking,
    publish_inputs,
)
from .paper import paper_sections


def _two_places(v: float) -> str:
    """An error to two decimals, or to its first digit when smaller (0.004, not 0.00)."""
    return f"{v:.2f}" if v >= 0.005 else f"{v:.1g}"


def imputation_check_file(eds: Editions, year: int, out: Path) -> tuple[Path, str]:
    """``imputation_check_<year>.csv``: the cross-validated error of the methodology's
    imputation, of the complete methods and of its auxiliary regressions on edition
    ``year``'s cities, per indicator; and the line that says how each did."""
    res = eds.own[year]
    check = imputation_check(res.framework, res.panel, eds.methodology,
                             candidates_for(eds.methodology.impute), year)
    p = out / f"imputation_check_{year}.csv"
    write_csv(check, p)
    s = imputation_summary(check)
    full = s[s["indicators"] == s["indicators"].max()]
    said = (f"Imputation check {year} (5-fold, MAE / sd of the observed values, mean over "
            f"{int(full['indicators'].max())} indicators): " + "; ".join(
                f"{m.split(' by_node')[0] + (' (this methodology)' if 'by_node' in m else '')} "
                f"{r['mean_mae_sd']:.2f}" for m, r in full.iterrows()))
    aux = check[check["method"].str.startswith(AUX_KERNELS)]
    if len(aux):
        said += "; auxiliary regressions, on the values they fill against EM on the same: " \
            + "; ".join(f"{r['indicator']} {r['method'].split()[0]} "
                        + (f"{_two_places(r['mae_sd'])} vs {r['ref_mae_sd']:.2f} "
                           f"({r['hidden'] - r['not_imputed']} of {r['hidden']})"
                           if r["not_imputed"] < r["hidden"] else "predicts none")
                        for _, r in aux.iterrows())
    return p, said


def editions_report(out_dir: str | Path, top: int = 20, editions: Editions | None = None
                    ) -> tuple[list[str], list[Path]]:
    """What ``fintech-index build`` adds for the bundled index: the 2024 edition's ranking
    on its own framework, each edition's share of weight and of values at city level, the
    universe screen (who is out and why), each non-default treatment with its reason, and
    the brokerage sentence. Returns the lines to print and the files written.
    ``editions``: :func:`load_editions`, when already loaded."""
    out = output_folder(out_dir)
    eds = editions if editions is not None else load_editions()
    written: list[Path] = []
    first, last = EDITION_YEARS[0], EDITION_YEARS[-1]
    lines = [f"Changes to {last} are against the {eds.backcast.label}: like for like."]
    own = eds.own[first]
    fw = own.framework
    dims = list(fw.nodes[fw.index].children)
    lines.append(f"{fw.name}: ranking {first} on its own framework ({', '.join(dims)})")
    frame = own.ranking(first)
    lines.append(f"{'rank':>4}  {'city':<32}{'score':>7}  " + "  ".join(f"{d:>11}" for d in dims))
    for unit, row in frame[frame["rank"].notna()].head(top).iterrows():
        lines.append(f"{int(row['rank']):>4}  {row['name'] + ' (' + unit + ')':<32}"
                     f"{row['score']:>7.2f}  "
                     + "  ".join(f"{row[f'{d}.score']:>6.2f} ({int(row[f'{d}.rank']):>2})"
                                 for d in dims))
    for y in EDITION_YEARS:
        s = eds.summary(y)
        lines.append(f"Edition {y}: {s['cities']} cities, {s['indicators']} indicators; "
                     f"{s['weight_city_level']:.1%} of the index weight and "
                     f"{s['values_city_level']:.1%} of the values are city, metro or cluster "
                     f"figures ({s['weight_country']:.1%} of the weight on country figures); "
                     f"{s['imputed']:.1%} of the values imputed, {s['below_cutoff']:.1%} "
                     "placed below a published list's cut-off.")
        t = eds.screening[y]
        gone = t[~t["kept"]]
        lines.append(f"Screened out of {y} ({len(gone)}): " + "; ".join(
            f"{r['name']}: {r['why_out']}" for _, r in gone.iterrows()))
        p = out / f"screening_{y}.csv"
        write_csv(t, p)
        written.append(p)
        p, said = imputation_check_file(eds, y, out)
        lines.append(said)
        written.append(p)
    lines.append("Agreement with published rankings (measured, never tuned: no weight, "
                 "threshold or universe is chosen to fit them; each edition on its own "
                 "framework):")
    lines += [f"  {a.ranking.split(' (')[0]} {a.edition} against ours of {a.our_year} "
              f"({a.cities} cities): Spearman {a.spearman:.2f}, Kendall {a.kendall:.2f}, "
              f"top 10 shared {a.top10_shared} of {a.top10_published}"
              for a in edition_agreement(eds)]
    p = out / f"ranking_{first}_own_framework.csv"
    write_csv(frame, p, index=True)
    written.append(p)
    lines.append("Treatment choices other than the default, with their reasons:")
    for code, choice in eds.methodology.treat.by_node.items():
        lines.append(f"  {code}: {choice.method}: {choice.reason}")
    if eds.methodology.impute is not None and eds.methodology.impute.reason:
        lines.append(f"  imputation {eds.methodology.impute.method}: "
                     f"{' '.join(eds.methodology.impute.reason.split())}")
    # the records are counted in a scratch store: a DuckDB file's bytes differ from run to
    # run, and the main job's outputs are byte-identical across runs
    with tempfile.TemporaryDirectory() as scratch, Store(Path(scratch) / "records.duckdb") \
            as store:
        counts = brokerage_counts(store)
        statements = store.con.execute(
            "SELECT count(*) FROM records WHERE batch = ? AND year = 2022",
            [BROKERAGE_BATCH]).fetchone()[0]
    cities = pd.read_csv(folder() / "cities.csv", keep_default_na=False)
    lines.append(brokerage_sentence(counts, 2022, dict(zip(cities["code"], cities["name"],
                                                           strict=True)), statements))
    return lines, written


@dataclass(frozen=True)
class MainJob:
    """What the main job (``fintech-index build`` with no arguments) writes for the bundled
    index beside the edition report: the lines of :func:`editions_report` to print, the
    small uncertainty analysis (None without a spec), the files written and what the lead
    told from the focus city's point of view adds, by language (None without a focus)."""

    lines: list[str]
    audit: pd.DataFrame | None
    written: list[Path]
    notes: Callable[[str], tuple[str, ...]] | None = None


def write_main_job(results: Results, out_dir: str | Path, top: int = 20, lang: str = "en",
                   focus: str | None = None, editions: Editions | None = None,
                   view: EditionView | None = None) -> MainJob:
    """:func:`editions_report`, the location quotients by HQ place and industry
    (districts_<year>.csv), the small uncertainty analysis (uncertainty_summary_<year>.csv)
    and the published outputs (site/, white_papers/, fintech.xlsx; rank intervals from that
    analysis; the lead story from the point of view of the city ``focus`` when given) of
    ``results``, the bundled index's build, in ``out_dir``; ``view``: its edition as the
    outputs render it, when already made."""
    out = Path(out_dir)
    lines, written = editions_report(out, top, editions)
    year = results.years[-1]
    places = out / f"districts_{year}.csv"
    write_csv(all_places(year), places)
    written.append(places)
    spec = folder() / f"{NAME}.uncertainty.yaml"
    audit = quick_audit(results, spec) if spec.exists() else None
    if audit is not None:
        p = out / f"uncertainty_summary_{year}.csv"
        write_csv(audit, p, index=True)
        written.append(p)
    _, coords = publish_inputs(NAME)
    unit, sections = focus_unit(results, focus), paper_sections(results)
    if view is None or view.results is not results or view.year != year:
        view = EditionView(results)
    written += publish_all(results, site=out / "site", pdf=out / "white_papers",
                           xlsx=out / f"{NAME}.xlsx", coordinates=coords, audit=audit,
                           lang=lang, focus=unit, sections=sections, view=view,
                           published=official_ranking())
    return MainJob(lines, audit, written, focus_notes(view, unit, audit, sections))
