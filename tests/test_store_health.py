"""The store's health check and the causes of a failed write (issue 22): a store DuckDB
reads is never called damaged (DuckDB cuts free blocks off the end of its file), a real
truncation still is, and a write that fails because of the disk, the file-size limit, the
permissions or a newer version's schema says so with its own code and leaves the store as
it was."""

import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import fintech_index as fi
from fintech_index.cli import app
from fintech_index.store import Store, store_error

ROOT = Path(__file__).resolve().parents[1]
SEQUENCE = [("e1", "fintech"), ("e2", "tai"), ("e3", "tai"), ("e4", "tai")]


@pytest.fixture(scope="module")
def four_editions(tmp_path_factory) -> Path:
    """The issue's store: a fresh one, e1 of the fintech example, then e2 to e4 of tai,
    each published through the command line."""
    path = tmp_path_factory.mktemp("seq") / "s.duckdb"
    for name, example in SEQUENCE:
        r = CliRunner().invoke(app, ["store", "publish", name, "--example", example,
                                     "--store", str(path)])
        assert r.exit_code == 0, r.output
    return path


def names(path: Path) -> list[str]:
    with Store(path, read_only=True) as s:
        return sorted(s.editions()["name"])


def copy(src: Path, tmp_path: Path) -> Path:
    dst = tmp_path / src.name
    shutil.copyfile(src, dst)
    return dst


def declared_size(path: Path) -> int:
    """Three 4 KiB headers and the block count the header declares (free blocks
    included)."""
    with duckdb.connect(str(path), read_only=True) as con:
        _, _, block_size, total_blocks, *_ = con.execute("PRAGMA database_size").fetchone()
    return 3 * 4096 + total_blocks * block_size


@pytest.mark.slow
def test_the_issues_publish_sequence_leaves_a_store_every_command_and_the_web_reads(
        four_editions):
    """After e1 (fintech) and e2-e4 (tai) the file is shorter than its header's block
    count (free blocks cut off its end): every later command and web request answered
    [S66]. Now `store ls` (which reads every value) and the API list the four editions."""
    assert four_editions.stat().st_size < declared_size(four_editions)  # the issue's state
    r = CliRunner().invoke(app, ["store", "ls", "--store", str(four_editions)])
    assert r.exit_code == 0, r.output
    assert [line.split("│")[1].strip() for line in r.output.splitlines()
            if line.startswith("│ e")] == ["e1", "e2", "e3", "e4"]
    r = CliRunner().invoke(app, ["store", "show", "e1", "--top", "1", "--store",
                                 str(four_editions)])
    assert r.exit_code == 0 and "[S66]" not in r.output, r.output
    from fintech_index.web.app import create_app
    client = TestClient(create_app(four_editions))
    got = client.get("/api/editions")
    assert got.status_code == 200 and [e["name"] for e in got.json()] == ["e1", "e2", "e3", "e4"]
    ranking = client.get("/api/editions/e4/ranking").json()
    assert len(ranking["rows"]) == 23  # the TAI's 23 countries


@pytest.mark.slow
@pytest.mark.parametrize("cut", ["half", "last block"])
def test_a_store_cut_short_is_refused_as_truncated(four_editions, tmp_path, cut):
    """A real truncation is still caught on opening, naming the block DuckDB needs (a
    copy cut in half opened and answered small queries before its first scan failed),
    also when the same file was found whole before it was cut."""
    path = copy(four_editions, tmp_path)
    assert names(path) == ["e1", "e2", "e3", "e4"]  # found whole (and remembered) first
    size = path.stat().st_size
    os.truncate(path, size // 2 if cut == "half" else size - 262144)
    with pytest.raises(fi.StoreError) as info:
        Store(path, read_only=True)
    assert info.value.codes == ("S66",)
    assert f"the file ends at {os.path.getsize(path):,} bytes, before block" in str(info.value)
    assert "truncated copy" in str(info.value)
    r = CliRunner().invoke(app, ["store", "ls", "--store", str(path)])
    assert r.exit_code == 2 and "[S66]" in r.output and "truncated copy" in r.output


# ------------------------------------------------------------------ causes of a failed write

def publish_in_subprocess(store: Path, *, preexec_fn=None, prefix=()
                          ) -> subprocess.CompletedProcess:
    """`store publish e5 --example fintech` in a child process (limits and privileges apply to
    it alone)."""
    return subprocess.run([*prefix, sys.executable, "-m", "fintech_index", "store", "publish",
                           "e5", "--example", "fintech", "--store", str(store)],
                          preexec_fn=preexec_fn, capture_output=True, text=True, cwd=ROOT,
                          timeout=300)


@pytest.fixture
def small_store(tmp_path) -> Path:
    path = tmp_path / "s.duckdb"
    from .test_store import R1
    with Store(path) as s:
        s.publish(R1, "e2024")
    return path


def assert_refused_as(r: subprocess.CompletedProcess, code: str, words: str) -> None:
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"[{code}]" in r.stderr and words in r.stderr, r.stderr
    assert "damaged" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert "nothing was written" in r.stderr


@pytest.mark.slow
def test_a_file_size_limit_is_reported_as_such_not_masked_by_the_rollback(small_store):
    """`ulimit -f 100`: the WAL's write gets EFBIG (SIGXFSZ ignored, as a shell does not
    kill on it); DuckDB's "File too large" was masked by the failing ROLLBACK and the
    store called damaged."""
    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (100 * 1024, 100 * 1024))

    r = publish_in_subprocess(small_store, preexec_fn=limited)
    assert_refused_as(r, "S71", "file-size limit")
    assert "File too large" in r.stderr
    assert names(small_store) == ["e2024"]  # the store as it was, and readable
    r = publish_in_subprocess(small_store)  # without the limit the same publish works
    assert r.returncode == 0, r.stderr
    assert names(small_store) == ["e2024", "e5"]


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    return subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs "
                           "/mnt"], capture_output=True).returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs a private mount namespace "
                                                   "(unshare -m) to make a full disk")
def test_a_full_disk_is_reported_as_such(small_store, tmp_path):
    """The store on a file system with room for it but not its WAL (a 40 KiB tmpfs in a
    private mount namespace): ENOSPC is [S70], the store as it was."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    size = small_store.stat().st_size
    script = (f"mount -t tmpfs -o size={size // 1024 + 40}k tmpfs {mnt} && "
              f"cp {small_store} {mnt}/s.duckdb && "
              f"{sys.executable} -m fintech_index store publish e5 --example fintech "
              f"--store {mnt}/s.duckdb; status=$?; cp {mnt}/s.duckdb {tmp_path}/after.duckdb; "
              "exit $status")
    r = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, text=True,
                       cwd=ROOT, timeout=300)
    assert_refused_as(r, "S70", "the disk holding the store is full")
    assert "No space left on device" in r.stderr
    assert names(tmp_path / "after.duckdb") == ["e2024"]


def test_duckdbs_words_for_each_cause_give_its_code():
    """The causes as DuckDB words them (its messages carry the OS's strerror)."""
    cases = {"No space left on device": "S70", "File too large": "S71",
             "Permission denied": "S72", "Read-only file system": "S72",
             "checksum mismatch": "S66"}
    for words, code in cases.items():
        e = duckdb.IOException(f'Could not write file "s.duckdb.wal": {words}')
        assert store_error(e, Path("s.duckdb")).code == code, words
    read = duckdb.IOException('Could not read enough bytes from file "s.duckdb"')
    assert "truncated copy" in str(store_error(read, Path("s.duckdb")))


def _unprivileged() -> tuple[str, ...] | None:
    """A command prefix that runs without root's power to write any file, or None."""
    if os.geteuid() != 0:
        return ()
    if shutil.which("setpriv") is None:
        return None
    return ("setpriv", "--inh-caps=-all", "--bounding-set=-all")


@pytest.mark.slow
@pytest.mark.skipif(_unprivileged() is None, reason="root without setpriv writes any file")
@pytest.mark.parametrize("read_only", ["file", "folder"])
def test_no_permission_to_write_is_reported_as_such(small_store, read_only):
    """A read-only store file, or a writable one in a read-only folder (DuckDB cannot make
    its WAL): [S72], the store as it was and still readable."""
    target = small_store if read_only == "file" else small_store.parent
    mode = target.stat().st_mode
    target.chmod(0o444 if read_only == "file" else 0o555)
    try:
        r = publish_in_subprocess(small_store, prefix=_unprivileged())
    finally:
        target.chmod(mode)
    assert_refused_as(r, "S72", "no permission to write")
    assert "Permission denied" in r.stderr
    assert names(small_store) == ["e2024"]


@pytest.mark.skipif(_unprivileged() is None, reason="root without setpriv reads any file")
def test_a_store_this_user_may_not_read_says_so(small_store):
    """An unreadable store file opened for reading (the web app's way; the command line
    refuses it before, [U80]): no permission to read it [S72], not 'cannot open' [S02]."""
    code = ("import sys\nfrom fintech_index.store import Store\nfrom fintech_index.errors "
            "import StoreError\ntry:\n    Store(sys.argv[1], read_only=True)\nexcept "
            "StoreError as e:\n    print(e)\n")
    small_store.chmod(0o200)
    try:
        r = subprocess.run([*_unprivileged(), sys.executable, "-c", code, str(small_store)],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
    finally:
        small_store.chmod(0o644)
    assert "[S72]" in r.stdout, (r.stdout, r.stderr)
    assert "no permission to read the store's file" in r.stdout


def test_a_store_of_a_newer_schema_says_so_naming_table_and_column(small_store):
    """One extra column (a newer version's): writing is refused [S73] naming it, not
    called damaged; reading still works; nothing is written."""
    with duckdb.connect(str(small_store)) as con:
        con.execute("ALTER TABLE editions ADD COLUMN licence VARCHAR")
    from .test_store import R2
    with pytest.raises(fi.StoreError) as info:
        Store(small_store).publish(R2, "e2025")
    assert info.value.codes == ("S73",)
    assert "written by a newer version" in str(info.value)
    assert "editions.licence" in str(info.value) and "damaged" not in str(info.value)
    assert names(small_store) == ["e2024"]
    r = CliRunner().invoke(app, ["store", "ls", "--store", str(small_store)])
    assert r.exit_code == 0 and "e2024" in r.output, r.output
