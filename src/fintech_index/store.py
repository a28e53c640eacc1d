"""The store: one DuckDB file holding datasets, editions and institution-level records.

Tables: ``datasets`` / ``dataset_values`` (panels with provenance), ``editions`` (one row
per published edition: hashes of framework, data and methodology, package version, time,
the edition it revises, the framework and methodology themselves) / ``edition_results``
(score and rank of every node, unit and year), ``records`` and ``fx_rates`` (see
records.py). An edition is immutable: a name is published once; a revision is a new edition
naming the one it revises. Every write is one transaction, so a failed or killed writer
leaves the store as it was (DuckDB replays only committed transactions from its WAL).
DuckDB: https://duckdb.org/docs/ (transactions, Python API).
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from . import __version__
from .build import Results
from .errors import StoreError, one_line
from .panel import Panel

DEFAULT_PATH = Path("fintech-index.duckdb")

SCHEMA = """
CREATE TABLE IF NOT EXISTS datasets (
    name VARCHAR PRIMARY KEY, created_at TIMESTAMP, origin VARCHAR, data_hash VARCHAR,
    years INTEGER, units INTEGER, indicators INTEGER);
CREATE TABLE IF NOT EXISTS dataset_values (
    dataset VARCHAR, year INTEGER, unit VARCHAR, indicator VARCHAR, value DOUBLE,
    flags UTINYINT, source VARCHAR, source_year INTEGER);
CREATE TABLE IF NOT EXISTS editions (
    name VARCHAR PRIMARY KEY, revises VARCHAR, created_at TIMESTAMP, package_version VARCHAR,
    framework_name VARCHAR, framework_hash VARCHAR, data_hash VARCHAR,
    methodology_hash VARCHAR, methodology_yaml VARCHAR, manifest_json VARCHAR,
    years VARCHAR, note VARCHAR, framework_json VARCHAR);
CREATE TABLE IF NOT EXISTS edition_results (
    edition VARCHAR, year INTEGER, unit VARCHAR, unit_name VARCHAR, node VARCHAR,
    level INTEGER, figure_level VARCHAR, score DOUBLE, rank DOUBLE, flags UTINYINT);
CREATE TABLE IF NOT EXISTS records (
    batch VARCHAR, institution VARCHAR, unit VARCHAR, district VARCHAR, sector VARCHAR,
    year INTEGER, amount DOUBLE, currency VARCHAR, source VARCHAR);
CREATE TABLE IF NOT EXISTS fx_rates (
    currency VARCHAR, date DATE, usd_per_unit DOUBLE, source VARCHAR);
"""

# test hook: a writer pauses here (after writing, before COMMIT) so a test can kill it
_PAUSE_ENV = "FINTECH_INDEX_PAUSE_BEFORE_COMMIT"


class Store:
    """A DuckDB file of datasets, editions and records. Use as a context manager."""

    def __init__(self, path: str | Path = DEFAULT_PATH, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise StoreError("S01", f"{self.path}: no store here; publish an edition or ingest "
                                    "records first (or give --store PATH)")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as e:
            raise StoreError("S02", f"{self.path}: cannot open the store ({one_line(e)})") from None
        if not read_only:
            self.con.execute(SCHEMA)
            # stores made before a column existed get it (empty for their old editions)
            self.con.execute("ALTER TABLE editions ADD COLUMN IF NOT EXISTS framework_json "
                             "VARCHAR")

    @classmethod
    def view(cls, parent: Store) -> Store:
        """A Store on its own cursor of ``parent``'s connection (one per thread or request;
        DuckDB cursors share the connection's database and its read-only mode)."""
        obj = cls.__new__(cls)
        obj.path = parent.path
        obj.con = parent.con.cursor()
        return obj

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # ------------------------------------------------------------------ transactions
    def atomic(self, write) -> None:
        """Run ``write(con)`` in one transaction: all of it is stored, or none of it."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            write(self.con)
            marker = os.environ.get(_PAUSE_ENV)
            if marker:
                Path(marker).write_text("writing", encoding="utf-8")
                time.sleep(60)
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise

    # ------------------------------------------------------------------ datasets
    def put_dataset(self, panel: Panel, name: str) -> None:
        """Store a panel's values with their provenance under ``name`` (once)."""
        if self._exists("datasets", name):
            raise StoreError("S03", f"{self.path}: a dataset named '{name}' exists; datasets are "
                                    "immutable, store the new data under a new name")
        frame = panel.frame()[["year", "unit", "indicator", "value", "flags", "source",
                               "source_year"]]

        def write(con):
            con.execute("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [name, _now(), panel.origin, panel.hash, len(panel.years),
                         len(panel.unit_codes), len(panel.indicators)])
            con.register("incoming", frame)
            con.execute("INSERT INTO dataset_values SELECT ?, year, unit, indicator, value, "
                        "flags, source, source_year FROM incoming", [name])
            con.unregister("incoming")

        self.atomic(write)

    def dataset(self, name: str) -> pd.DataFrame:
        self._require("datasets", name)
        return self.con.execute("SELECT year, unit, indicator, value, flags, source, "
                                "source_year FROM dataset_values WHERE dataset = ? "
                                "ORDER BY year, unit, indicator", [name]).df()

    # ------------------------------------------------------------------ editions
    def publish(self, results: Results, name: str, *, revises: str | None = None,
                note: str | None = None) -> None:
        """Store ``results`` as the edition ``name``. Refused if the name exists; a revision
        names the edition it revises, which must exist."""
        if self._exists("editions", name):
            raise StoreError("S03", f"{self.path}: edition '{name}' is already published and "
                                    "editions are immutable; publish the revision under a new name "
                                    f"with --revises {name}")
        if revises is not None:
            self._require("editions", revises)
        manifest = results.manifest()
        long = results.to_long()
        names = results.panel.units["name"].reindex(long["unit"]).to_numpy()
        long = long.assign(unit_name=names)[["year", "unit", "unit_name", "node", "level",
                                             "figure_level", "score", "rank", "flags"]]

        def write(con):
            con.execute("INSERT INTO editions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                name, revises, _now(), __version__, results.framework.name,
                results.framework.hash, manifest["data_hash"],
                results.methodology.hash, yaml.safe_dump(
                    results.methodology.model_dump(mode="json"), sort_keys=True),
                json.dumps(manifest, sort_keys=True), json.dumps(list(results.years)), note,
                results.framework.to_json()])
            con.register("incoming", long)
            con.execute("INSERT INTO edition_results SELECT ?, year, unit, unit_name, node, "
                        "level, figure_level, score, rank, flags FROM incoming", [name])
            con.unregister("incoming")

        self.atomic(write)

    def edition_inputs(self, name: str) -> dict:
        """What went into an edition: framework (JSON tree), methodology (YAML), manifest."""
        self._require("editions", name)
        fw, meth, manifest = self.con.execute(
            "SELECT framework_json, methodology_yaml, manifest_json FROM editions "
            "WHERE name = ?", [name]).fetchone()
        if fw is None:
            raise StoreError("S04", f"{self.path}: edition '{name}' was published before editions "
                                    "kept their framework; publish it again under a new name")
        return {"framework": json.loads(fw), "methodology": yaml.safe_load(meth),
                "manifest": json.loads(manifest)}

    def editions(self) -> pd.DataFrame:
        """Every edition: name, revises, created_at, framework, years, hashes."""
        return self.con.execute(
            "SELECT name, revises, created_at, framework_name, years, package_version, "
            "framework_hash, data_hash, methodology_hash, note FROM editions "
            "ORDER BY created_at, name").df()

    def edition(self, name: str, year: int | None = None) -> pd.DataFrame:
        """An edition's results (one year: the latest unless given) as a long frame."""
        self._require("editions", name)
        year = self._year(name, year)
        return self.con.execute(
            "SELECT year, unit, unit_name, node, level, figure_level, score, rank, flags "
            "FROM edition_results WHERE edition = ? AND year = ? ORDER BY node, rank, unit",
            [name, year]).df()

    def diff(self, a: str, b: str, year_a: int | None = None, year_b: int | None = None
             ) -> pd.DataFrame:
        """Rank and score deltas of every node and unit from edition ``a`` to ``b``:
        ``rank_change = rank_a - rank_b`` (positive: climbed in b)."""
        for e in (a, b):
            self._require("editions", e)
        ya, yb = self._year(a, year_a), self._year(b, year_b)
        return self.con.execute("""
            SELECT coalesce(n.unit, o.unit) AS unit, coalesce(n.node, o.node) AS node,
                   o.rank AS rank_a, n.rank AS rank_b, o.rank - n.rank AS rank_change,
                   o.score AS score_a, n.score AS score_b, n.score - o.score AS score_change
            FROM (SELECT * FROM edition_results WHERE edition = ? AND year = ?) o
            FULL OUTER JOIN (SELECT * FROM edition_results WHERE edition = ? AND year = ?) n
              ON o.unit = n.unit AND o.node = n.node
            ORDER BY node, rank_b NULLS LAST, unit""", [a, ya, b, yb]).df()

    # ------------------------------------------------------------------ helpers
    def _year(self, edition: str, year: int | None) -> int:
        years = json.loads(self.con.execute("SELECT years FROM editions WHERE name = ?",
                                            [edition]).fetchone()[0])
        if year is None:
            return int(years[-1])
        if int(year) not in years:
            raise StoreError("S05", f"{self.path}: edition '{edition}' has no year {year} "
                                    f"(years: {years})")
        return int(year)

    def _exists(self, table: str, name: str) -> bool:
        return self.con.execute(f"SELECT count(*) FROM {table} WHERE name = ?",  # noqa: S608
                                [name]).fetchone()[0] > 0

    def _require(self, table: str, name: str) -> None:
        if not self._exists(table, name):
            known = [r[0] for r in self.con.execute(
                f"SELECT name FROM {table} ORDER BY name").fetchall()]  # noqa: S608
            kind = table.rstrip("s")
            raise StoreError("S06", f"{self.path}: no {kind} named '{name}' (known: "
                                    f"{', '.join(known) or 'none'})")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
