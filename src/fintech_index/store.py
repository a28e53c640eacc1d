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

import functools
import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from . import __version__, display
from .build import Results
from .errors import StoreError, did_you_mean, one_line
from .panel import Panel
from .safe import is_control

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
    level INTEGER, figure_level VARCHAR, score DOUBLE, rank DOUBLE, flags UTINYINT,
    unit_name_zh VARCHAR);
CREATE TABLE IF NOT EXISTS records (
    batch VARCHAR, institution VARCHAR, unit VARCHAR, district VARCHAR, sector VARCHAR,
    year INTEGER, amount DOUBLE, currency VARCHAR, source VARCHAR);
CREATE TABLE IF NOT EXISTS fx_rates (
    currency VARCHAR, date DATE, usd_per_unit DOUBLE, source VARCHAR);
"""

STORE_TABLES = ("datasets", "dataset_values", "editions", "edition_results", "records",
                "fx_rates")


# A write that fails for a cause outside the store is reported as that cause, never as a
# damaged store: (text in DuckDB's message, the OS's errno name), code, what, what to do.
_WRITE_FAILURES = (
    (("No space left on device", "ENOSPC"), "S70", "the disk holding the store is full",
     "free space on that disk (or give --store on another) and run the command again"),
    (("File too large", "EFBIG"), "S71",
     "the store would pass this process's file-size limit ('ulimit -f') or the file "
     "system's largest file", "raise the limit (ulimit -f unlimited) or move the store to "
     "a file system that allows larger files, and run the command again"),
    (("Permission denied", "Read-only file system", "Operation not permitted", "EACCES",
      "EROFS", "EPERM"), "S72",
     "no permission to write the store's file or its folder (DuckDB writes a .wal file "
     "beside it)", "make both writable for this user, or give --store in a folder you may "
     "write"),
)


def store_error(e: BaseException, path: Path) -> StoreError:
    """DuckDB's error as a coded StoreError: a cause outside the store (full disk
    [S70], file-size limit [S71], permissions [S72]) named as such, the file ending before
    a block DuckDB reads [S66 truncated], anything else [S66]."""
    text = one_line(e)
    for needles, code, cause, fix in _WRITE_FAILURES:
        if any(n in text for n in needles):
            return StoreError(code, f"{path}: {cause} ({text}); nothing was written, the "
                                    f"store is as it was: {fix}")
    if "Could not read enough bytes" in text:
        return StoreError("S66", f"{path}: the store is damaged: the file ends before the "
                                 f"data DuckDB reads ({text}; a truncated copy); restore it "
                                 "from a backup")
    return StoreError("S66", f"{path}: the store is damaged or not a fintech-index store "
                             f"({text}); restore it from a backup")


class _Guarded:
    """A DuckDB connection whose errors become coded StoreErrors naming the store
    (:func:`store_error`): never a DuckDB traceback or an HTTP 500."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        self._con, self._path = con, path

    def __getattr__(self, name: str):
        target = getattr(self._con, name)
        if not callable(target):
            return target

        def call(*args, **kwargs):
            try:
                out = target(*args, **kwargs)
            except duckdb.Error as e:
                raise store_error(e, self._path) from None
            return _Guarded(out, self._path) if isinstance(out, duckdb.DuckDBPyConnection) \
                else out
        return call


# stores found whole although shorter than their header's block count: (path, size, mtime,
# blocks) -> asking DuckDB which blocks hold data costs ~20 ms a table, once per file state
_SHORT_BUT_WHOLE: set[tuple] = set()

# test hook: a writer pauses here (after writing, before COMMIT) so a test can kill it
_PAUSE_ENV = "FINTECH_INDEX_PAUSE_BEFORE_COMMIT"


class Store:
    """A DuckDB file of datasets, editions and records. Use as a context manager."""

    def __repr__(self) -> str:
        return display.store_view(self).text()

    def _repr_html_(self) -> str:
        """The notebook's table (fintech_index.display)."""
        return display.store_view(self).html()

    def __init__(self, path: str | Path = DEFAULT_PATH, read_only: bool = False) -> None:
        self.path = Path(path)
        if read_only and not self.path.exists():
            raise StoreError("S01", f"{self.path}: no store here; publish an edition or ingest "
                                    "records first (or give --store PATH)")
        try:
            raw = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as e:
            coded = store_error(e, self.path)
            if coded.code == "S66":  # a lock held by a writer, or not a DuckDB file
                coded = StoreError("S02", f"{self.path}: cannot open the store "
                                          f"({one_line(e)})")
            elif coded.code == "S72" and read_only:
                coded = StoreError("S72", f"{self.path}: no permission to read the store's "
                                          f"file ({one_line(e)}): make it readable for this "
                                          "user")
            raise coded from None
        self.con = _Guarded(raw, self.path)
        try:
            self._refuse_truncated()
            self._refuse_foreign(read_only)
            if not read_only:
                self._refuse_newer()
                self.con.execute(SCHEMA)
                # stores made before a column existed get it (empty for their old editions)
                self.con.execute("ALTER TABLE editions ADD COLUMN IF NOT EXISTS framework_json "
                                 "VARCHAR")
                self.con.execute("ALTER TABLE edition_results ADD COLUMN IF NOT EXISTS "
                                 "unit_name_zh VARCHAR")
        except BaseException:
            raw.close()
            raise

    def _refuse_foreign(self, read_only: bool) -> None:
        """Refuse [S66] a DuckDB file holding none of the store's tables (another program's
        database), before anything is written to it."""
        tables = set(self._tables())
        if (tables or read_only) and not tables & set(STORE_TABLES):
            raise StoreError("S66", f"{self.path}: not a fintech-index store (tables: "
                                    f"{', '.join(sorted(tables)) or 'none'}; a store has "
                                    f"{', '.join(STORE_TABLES)}); give the store's own file")

    def _tables(self) -> list[str]:
        """The tables of the store's database (main schema)."""
        return [r[0] for r in self.con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = current_schema()").fetchall()]

    def _columns(self) -> dict[str, list[str]]:
        """The store's tables and their columns, as DuckDB holds them."""
        out: dict[str, list[str]] = {}
        for table, column in self.con.execute(
                "SELECT table_name, column_name FROM duckdb_columns() JOIN duckdb_tables() "
                "USING (database_name, schema_name, table_name) WHERE database_name = "
                "current_database() AND schema_name = current_schema() "
                "ORDER BY table_name, column_index").fetchall():
            out.setdefault(table, []).append(column)
        return out

    def _refuse_newer(self) -> None:
        """Refuse [S73] to write a store whose tables have columns this version does not
        know: a newer version wrote it, and rows written now would lack what it keeps
        there (reading it is fine: every query names its columns)."""
        known = _schema_columns()
        extra = [(t, c) for t, cols in self._columns().items() if t in known
                 for c in cols if c not in known[t]]
        if extra:
            named = ", ".join(f"{t}.{c}" for t, c in extra)
            raise StoreError("S73", f"{self.path}: the store was written by a newer version "
                                    f"of fintech-index (columns this version {__version__} "
                                    f"does not know: {named}); nothing was written: upgrade "
                                    "fintech-index to write to it, or publish into a new "
                                    "store")

    def _refuse_truncated(self) -> None:
        """Refuse [S66] a file that ends before a block DuckDB holds data in (a truncated
        copy), by asking DuckDB which blocks hold the tables' data and metadata. A file
        shorter than the header's block count is healthy: DuckDB cuts free blocks off the
        end of the file, so that count (``PRAGMA database_size``) includes blocks the file
        no longer has. File layout: three 4 KiB headers, then blocks of ``block_size``."""
        wal = self.path.with_name(self.path.name + ".wal")
        try:
            if wal.exists() and wal.stat().st_size > 0:
                return  # blocks replayed from the WAL are not in the file yet
            stat = self.path.stat()
        except OSError:
            return  # a new store (in memory until its first write), or the WAL just went
        size = stat.st_size
        _, _, block_size, total_blocks, *_ = self.con.execute("PRAGMA database_size").fetchone()
        if size >= 3 * 4096 + int(total_blocks) * int(block_size):
            return  # every block the header counts is in the file (the usual case: fast)
        seen = (str(self.path.resolve()), size, stat.st_mtime_ns, total_blocks)
        if seen in _SHORT_BUT_WHOLE:
            return  # this very file was checked (the web app opens it per request)
        used = [(t, b) for t in self._tables() for (b,) in self.con.execute(
            "SELECT max(block_id) FROM pragma_storage_info(?) WHERE block_id >= 0",
            [t]).fetchall() if b is not None]
        used += [("metadata", b) for (b,) in self.con.execute(
            "SELECT block_id FROM pragma_metadata_info()").fetchall()]
        if not used:
            return  # no table holds a block yet
        table, last = max(used, key=lambda tb: tb[1])
        needed = 3 * 4096 + (int(last) + 1) * int(block_size)
        if size < needed:
            raise StoreError("S66", f"{self.path}: the store is damaged: the file ends at "
                                    f"{size:,} bytes, before block {last} where DuckDB keeps "
                                    f"{table} (up to byte {needed:,}): a truncated copy; "
                                    "restore it from a backup")
        if len(_SHORT_BUT_WHOLE) >= 64:
            _SHORT_BUT_WHOLE.clear()
        _SHORT_BUT_WHOLE.add(seen)

    def check(self) -> None:
        """Read every stored value once, so that a damaged block (checksum mismatch,
        missing bytes) is reported now [S66], not by the first query that touches it."""
        for table in STORE_TABLES:
            self.con.execute(f"SELECT count(*), min(COLUMNS(*)) FROM {table}").fetchall()  # noqa: S608

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
            try:
                self.con.execute("ROLLBACK")
            except StoreError:
                pass  # DuckDB refuses it after a failed COMMIT: the first error is the cause
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
        check_edition_name(name)
        if revises is not None:
            check_edition_name(revises)
        if self._exists("editions", name):
            raise StoreError("S03", f"{self.path}: edition '{name}' is already published and "
                                    "editions are immutable; publish the revision under a new name "
                                    f"with --revises {name}")
        if revises is not None:
            self._require("editions", revises)
        manifest = results.manifest()
        long = results.to_long()
        units = results.panel.units
        names = units["name"].reindex(long["unit"]).to_numpy()
        names_zh = (units["name_zh"].reindex(long["unit"]).to_numpy()
                    if "name_zh" in units.columns else None)  # reviewed names, when declared
        long = long.assign(unit_name=names, unit_name_zh=names_zh)[[
            "year", "unit", "unit_name", "node", "level", "figure_level", "score", "rank",
            "flags", "unit_name_zh"]]

        def write(con):
            con.execute("INSERT INTO editions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                name, revises, _now(), __version__, results.framework.name,
                results.framework.hash, manifest["data_hash"],
                results.methodology.hash, yaml.safe_dump(
                    results.methodology.model_dump(mode="json"), sort_keys=True),
                json.dumps(manifest, sort_keys=True), json.dumps(list(results.years)), note,
                results.framework.to_json()])
            con.register("incoming", long)
            con.execute("INSERT INTO edition_results (edition, year, unit, unit_name, node, "
                        "level, figure_level, score, rank, flags, unit_name_zh) SELECT ?, year, "
                        "unit, unit_name, node, level, figure_level, score, rank, flags, "
                        "CAST(unit_name_zh AS VARCHAR) FROM incoming", [name])
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
        """An edition's results (one year: the latest unless given) as a long frame, with
        each unit's name and reviewed Chinese name (empty in a store made before it kept one,
        read without changing it)."""
        self._require("editions", name)
        year = self._year(name, year)
        zh = ("unit_name_zh" if "unit_name_zh" in self._columns().get("edition_results", ())
              else "CAST(NULL AS VARCHAR) AS unit_name_zh")
        return self.con.execute(
            "SELECT year, unit, unit_name, node, level, figure_level, score, rank, flags, "
            f"{zh} FROM edition_results WHERE edition = ? AND year = ? "
            "ORDER BY node, rank, unit", [name, year]).df()

    def ranking(self, name: str, node: str | None = None, year: int | None = None
                ) -> pd.DataFrame:
        """An edition's ranking on ``node`` (default: the index), best first; an unknown
        node is refused [S69] with the edition's nodes and the closest one."""
        frame = self.edition(name, year)
        node = node or frame.loc[frame["level"].idxmax(), "node"]
        self._require_node(name, node, frame["node"])
        return frame[frame["node"] == node].sort_values(["rank", "unit"])

    def index_node(self, name: str) -> str:
        """The code of edition ``name``'s index (its node of the highest level)."""
        self._require("editions", name)
        return self.con.execute("SELECT node FROM edition_results WHERE edition = ? "
                                "ORDER BY level DESC, node LIMIT 1", [name]).fetchone()[0]

    def diff(self, a: str, b: str, year_a: int | None = None, year_b: int | None = None,
             node: str | None = None) -> pd.DataFrame:
        """Rank and score deltas of every node (or of ``node`` only: one ``b`` has, else
        [S69]) and unit from edition ``a`` to ``b``: ``rank_change = rank_a - rank_b``
        (positive: climbed in b)."""
        for e in (a, b):
            self._require("editions", e)
        ya, yb = self._year(a, year_a), self._year(b, year_b)
        if node is not None:
            self._require_node(b, node, [r[0] for r in self.con.execute(
                "SELECT DISTINCT node FROM edition_results WHERE edition = ?", [b]).fetchall()])
            return self.diff(a, b, ya, yb).query("node == @node")
        return self.con.execute("""
            SELECT coalesce(n.unit, o.unit) AS unit, coalesce(n.node, o.node) AS node,
                   o.rank AS rank_a, n.rank AS rank_b, o.rank - n.rank AS rank_change,
                   o.score AS score_a, n.score AS score_b, n.score - o.score AS score_change
            FROM (SELECT * FROM edition_results WHERE edition = ? AND year = ?) o
            FULL OUTER JOIN (SELECT * FROM edition_results WHERE edition = ? AND year = ?) n
              ON o.unit = n.unit AND o.node = n.node
            ORDER BY node, rank_b NULLS LAST, unit""", [a, ya, b, yb]).df()

    # ------------------------------------------------------------------ helpers
    def _require_node(self, edition: str, node: str, nodes) -> None:
        """Refuse [S69] a node the edition does not have, naming its nodes and the closest."""
        nodes = sorted(set(nodes))
        if node not in nodes:
            hint = did_you_mean(node, nodes, after=" ")
            shown = ", ".join(nodes[:20]) + (", ..." if len(nodes) > 20 else "")
            raise StoreError("S69", f"{self.path}: edition '{edition}' has no node '{node}' "
                                    f"({hint}nodes: {shown})")

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


EDITION_NAME_MAX = 100


def check_edition_name(name: str) -> None:
    """Refuse [S68] an edition name that cannot be one URL segment and one line of text:
    empty, over EDITION_NAME_MAX characters, '.' or '..', holding '/' or '\\' (the web
    app's routes and file names split there), or a control or format character (line
    breaks, ANSI escapes, bidirectional overrides). Letters of any script, digits, spaces
    and other punctuation are fine."""
    bad = sorted({c for c in name if c in "/\\" or is_control(c)})
    if not name.strip() or len(name) > EDITION_NAME_MAX or name in (".", "..") or bad:
        raise StoreError("S68", f"edition name {name!r}: use 1 to {EDITION_NAME_MAX} "
                                "characters without '/', '\\', line breaks or control "
                                "characters (e.g. gfcdi-2025)"
                                + (f"; found {', '.join(repr(c) for c in bad)}" if bad else ""))


@functools.cache
def _schema_columns() -> dict[str, set[str]]:
    """Each table of SCHEMA and its columns, as DuckDB reads SCHEMA."""
    with duckdb.connect(":memory:") as con:
        con.execute(SCHEMA)
        rows = con.execute("SELECT table_name, column_name FROM duckdb_columns() "
                           "WHERE NOT internal").fetchall()
    out: dict[str, set[str]] = {}
    for table, column in rows:
        out.setdefault(table, set()).add(column)
    return out


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
