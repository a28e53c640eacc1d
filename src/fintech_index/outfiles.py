"""Writing output files: the one way every writer (results, reports, audit, site, papers,
workbook) puts a file on disk.

- :func:`replacing` writes to a temporary file in the target's folder and then renames it
  over the target (``os.replace``), so a symbolic link in the output folder is replaced by
  a regular file, never followed, and a reader never sees half a file.
- :func:`keeping_inputs` names the files a command read; a write that would land on one of
  them (same file: path, link or hard link) is refused [U85] before anything is written.
- :func:`output_folder` makes an output folder, refusing an empty path, a file, a path
  under a file or a folder that cannot be written, with codes instead of tracebacks.
- :func:`output_run` puts a run's files in place only when the whole run has succeeded
  (a failed run leaves the folder as it was), lists them in its ``manifest.json`` and
  removes the files an earlier run listed there and this run did not write (never a file
  the earlier manifest does not list, nor anything a manifest.json of another tool lists).
"""

from __future__ import annotations

import errno
import json
import os
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from .errors import FintechIndexError

MANIFEST = "manifest.json"
WRITTEN_BY = "fintech-index"  # a manifest.json without it is not ours: its list is not used

# the files the running command read, by (device, inode); the files a run writes
_INPUTS: ContextVar[dict[tuple[int, int], str] | None] = ContextVar("inputs", default=None)
_RUNS: ContextVar[tuple[OutputRun, ...]] = ContextVar("runs", default=())


def _run_holding(path: Path) -> OutputRun | None:
    """The innermost open run whose folder holds ``path`` (a file or a folder)."""
    for run in reversed(_RUNS.get()):
        if run.holds(path):
            return run
    return None


def _file_id(path: str | Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


@cache
def _umask() -> int:
    """The process's umask (read once: reading it means setting it for a moment)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _refuse_os_error(e: OSError, path: Path, doing: str) -> FintechIndexError:
    """An OS error while making or writing ``path`` as a coded error naming it."""
    if isinstance(e, FileExistsError):
        return FintechIndexError("U82", f"{path}: is a file, not a folder; give a folder for "
                                        "the outputs (a new or an existing one)")
    if isinstance(e, NotADirectoryError):
        return FintechIndexError("U83", f"{path}: a part of this path is a file, not a folder; "
                                        "give a folder path whose parents are folders")
    reason = e.strerror or os.strerror(e.errno or 0) or type(e).__name__
    hint = {errno.EROFS: "the file system is mounted read-only",
            errno.EACCES: "you have no permission to write there",
            errno.EPERM: "you have no permission to write there",
            errno.ENOSPC: "the disk is full",
            errno.EDQUOT: "your disk quota is used up",
            errno.EFBIG: "the file is larger than this system allows"}.get(e.errno or 0, "")
    return FintechIndexError("U84", f"{path}: cannot {doing} ({reason}{'; ' + hint if hint else ''}"
                                    "); give an output path you can write to")


def output_path(path: str | Path, *, option: str = "--out") -> Path:
    """An output path given on the command line, refused when empty [U81] (``Path('')`` is
    the current folder: an empty ``--out ''`` would write there). Give the option's raw
    text: a ``Path`` made from '' already reads '.'."""
    if str(path).strip() == "":
        raise FintechIndexError("U81", f"{option}: the output path is empty; give a path, "
                                       "e.g. out (or . for the current folder)")
    return Path(path)


def output_folder(path: str | Path, *, option: str = "--out", make: bool = True) -> Path:
    """``path`` as an existing folder (made with its parents if needed), or a coded error:
    an empty path [U81], a file [U82], a path under a file [U83], a folder that cannot be
    made or written (read-only, no permission, disk full) [U84]. With ``make=False`` the
    same checks without making anything (a command checks its outputs before its work, and
    a command that then fails leaves no empty folder)."""
    p = output_path(path, option=option)
    if not make:
        _check_folder(p)
        return p
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _refuse_os_error(e, p, "make this folder") from None
    if not p.is_dir():  # mkdir's exist_ok accepts a file on some systems
        raise _refuse_os_error(FileExistsError(), p, "")
    return p


def _check_folder(p: Path) -> None:
    """The checks of :func:`output_folder` on the nearest part of ``p`` that exists."""
    here = p
    while not os.path.lexists(here) and here.parent != here:
        here = here.parent
    if os.path.lexists(here) and not here.is_dir():
        raise _refuse_os_error(FileExistsError() if here == p else NotADirectoryError(), p, "")
    if here.is_dir() and not os.access(here, os.W_OK | os.X_OK):
        raise _refuse_os_error(OSError(errno.EACCES, os.strerror(errno.EACCES)), here,
                               "write in this folder")


@contextmanager
def keeping_inputs(paths: Iterable[str | Path | None]) -> Iterator[None]:
    """While inside, every write through :func:`replacing` refuses [U85] a target that is
    one of ``paths`` (the command's input files; ``None`` entries are skipped)."""
    known = dict(_INPUTS.get() or {})
    for p in paths:
        if p is not None and (fid := _file_id(p)) is not None:
            known[fid] = str(p)
    token = _INPUTS.set(known)
    try:
        yield
    finally:
        _INPUTS.reset(token)


def _check_not_input(path: Path) -> None:
    inputs = _INPUTS.get() or {}
    if inputs and (fid := _file_id(path)) in inputs:
        raise FintechIndexError(
            "U85", f"{path}: is the input file {inputs[fid]} of this command; writing the "
                   "output there would overwrite it. Give another output folder or file")


def _check_no_linked_folder(path: Path) -> None:
    """Inside a run's folder, no folder on the way to ``path`` may be a symbolic link (a
    file written there would land outside the output folder) [U86]."""
    run = _run_holding(path)
    if run is None:
        return
    here = run.folder
    for part in Path(run.name(path)).parts[:-1]:
        here = here / part
        if here.is_symlink():
            raise FintechIndexError(
                "U86", f"{here}: is a symbolic link to {os.readlink(here)} inside the output "
                       f"folder {run.folder}; outputs are not written through it. Remove the "
                       "link or give another output folder")


@contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """A temporary path in ``path``'s folder to write to; when the block ends without an
    error it is renamed over ``path`` (replacing a symbolic link there, never writing
    through it), else removed. Inside an :func:`output_run` on a folder holding ``path``
    the rename waits for the run's end, so a run that fails leaves the folder as it was.
    Refuses an input file [U85] and turns an OS error into a coded one [U84]."""
    p = Path(path)
    _check_not_input(p)
    _check_no_linked_folder(p)
    folder = output_folder(p.parent, option=str(p))
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{p.name}.",
                                   suffix=".tmp" + p.suffix)  # a writer may read the suffix
    except OSError as e:
        raise _refuse_os_error(e, p, "write this file") from None
    os.close(fd)
    run = _run_holding(p)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 would hide outputs from others
        if run is not None:
            run.stage(Path(tmp), p)
            tmp = ""  # the run renames it when it finishes
        else:
            os.replace(tmp, p)
    except OSError as e:
        raise _refuse_os_error(e, p, "write this file") from None
    finally:
        if tmp and os.path.lexists(tmp):
            os.unlink(tmp)


def write_bytes(path: str | Path, data: bytes) -> Path:
    """``data`` as the file ``path``, through :func:`replacing`."""
    with replacing(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str) -> Path:
    """``text`` as the UTF-8 file ``path`` (line ends as given), through :func:`replacing`."""
    return write_bytes(path, text.encode("utf-8"))


def write_with(path: str | Path, write: Callable[[Path], object]) -> Path:
    """``write(tmp)`` (a library's writer given a path) for the file ``path``, through
    :func:`replacing`."""
    with replacing(path) as tmp:
        write(tmp)
    return Path(path)


# ----------------------------------------------------------------------------- runs

def listed_files(folder: Path, kind: str = "build") -> list[str]:
    """The files an earlier run of ``kind`` listed in ``folder/manifest.json`` (relative
    paths inside the folder; anything else it lists, absolute or leaving the folder, is
    ignored; a manifest.json this package did not write, or of another kind of run, e.g.
    a build's where a site is now published, lists nothing)."""
    try:
        doc = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(doc, dict) or doc.get("written_by") != WRITTEN_BY \
            or doc.get("run") != kind:
        return []
    files = doc.get("files")
    if not isinstance(files, list):
        return []
    return [f for f in files if isinstance(f, str) and f and not os.path.isabs(f)
            and ".." not in Path(f).parts and os.path.normpath(f) == f.replace("/", os.sep)]


@dataclass
class OutputRun:
    """The files one run writes into ``folder``, and what its manifest says."""

    folder: Path
    earlier: list[str]  # the files the earlier run listed
    kind: str = "build"  # build, site, papers: a run removes only files of its kind
    listing: bool = True
    staged: dict[str, Path] = field(default_factory=dict)  # file -> its temporary file
    manifest: dict = field(default_factory=dict)
    # writers in two threads (the results' Parquet file beside its CSVs) stage files at once
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False,
                                  compare=False)

    def holds(self, path: Path) -> bool:
        """Whether ``path`` is the run's folder or inside it."""
        return Path(os.path.abspath(path)).is_relative_to(os.path.abspath(self.folder))

    def name(self, path: Path) -> str:
        """``path`` relative to the run's folder, as the manifest lists it."""
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(self.folder)).as_posix()

    def stage(self, tmp: Path, path: Path) -> None:
        """Hold ``tmp`` to be renamed over ``path`` (in the folder) when the run finishes."""
        name = self.name(path)
        with self._lock:
            if name in self.staged:  # written twice: the last one counts
                self.staged[name].unlink(missing_ok=True)
            self.staged[name] = tmp

    def discard(self) -> None:
        """The run failed: its temporary files go, the folder stays as it was."""
        for tmp in self.staged.values():
            tmp.unlink(missing_ok=True)

    def describe(self, manifest: dict) -> None:
        """What the manifest says besides its list of files (hashes, years...)."""
        self.manifest = dict(manifest)

    def finish(self) -> Path:
        """Put the run's files in place, remove the earlier run's files this run did not
        write (and folders that leaves empty), then write the manifest listing them."""
        for name, tmp in self.staged.items():
            try:
                os.replace(tmp, self.folder / name)
            except OSError as e:
                raise _refuse_os_error(e, self.folder / name, "write this file") from None
        if not self.listing:
            return self.folder
        keep = set(self.staged) | {MANIFEST}
        for name in self.earlier:
            p = self.folder / name
            if name not in keep and (p.is_symlink() or p.is_file()):
                p.unlink()  # a link is removed itself, never what it points to
                for parent in Path(name).parents[:-1]:  # empty folders it leaves, inside
                    try:
                        (self.folder / parent).rmdir()
                    except OSError:
                        break
        write_text(self.folder / MANIFEST, json.dumps(
            {**self.manifest, "written_by": WRITTEN_BY, "run": self.kind,
             "files": sorted(keep)}, indent=2, sort_keys=True) + "\n")
        return self.folder / MANIFEST


@contextmanager
def output_run(folder: str | Path, *, kind: str = "build", option: str = "--out",
               listing: bool = True) -> Iterator[OutputRun]:
    """A run writing into ``folder`` (checked by :func:`output_folder`): when the block ends
    without an error, the files written into the folder are put in place, the files the
    earlier run listed and this one did not write are removed and ``manifest.json`` lists
    the files of this run; when it ends with an error, nothing in the folder changes.
    Inside a run whose folder holds ``folder``, that run is given (it finishes once, with
    every file: the site a build writes in its folder is part of the build). With
    ``listing=False`` the files are put in place (or not) the same way, without a manifest
    and without removing anything (a converted index, an audit)."""
    path = output_folder(folder, option=option, make=False)  # made by the first file
    outer = _run_holding(path)
    if outer is not None:
        yield outer
        return
    run = OutputRun(path, listed_files(path, kind) if listing else [], kind, listing)
    token = _RUNS.set((*_RUNS.get(), run))
    try:
        yield run
    except BaseException:
        run.discard()
        raise
    finally:
        _RUNS.reset(token)
    run.finish()
