"""Finding the files to read: paths, directories (recursive), globs and ``-`` (stdin), in a stable order."""

from __future__ import annotations

import glob
import os
import stat
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO


@dataclass(frozen=True)
class FileOpener:
    """Opens a local file (picklable, so a source can be sent to another process)."""

    path: str

    def __call__(self) -> BinaryIO:
        return open(self.path, "rb")


@dataclass(frozen=True)
class StdinOpener:
    """Standard input, read once."""

    def __call__(self) -> BinaryIO:
        return sys.stdin.buffer


@dataclass
class Source:
    """One readable stream of log lines: a file, standard input, an archive member or a remote object."""

    name: str  # as reported in tables: relative to the PATH argument it was found under
    path: Path | None
    opener: Callable[[], BinaryIO]
    size: int | None = None
    mtime: float | None = None
    host_hint: str | None = None
    resume_bytes: int = 0  # decompressed bytes already read by an earlier run (incremental state)
    resume_lines: int = 0  # lines in those bytes
    end_bytes: int | None = None  # stop before this offset: a byte range [resume_bytes, end_bytes) of a split file


@dataclass
class Skipped:
    """A path that was not read, and why."""

    name: str
    status: str  # skipped | error
    reason: str


@dataclass
class Discovery:
    sources: list[Source] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _file_source(path: Path, name: str) -> Source | Skipped:
    try:
        st = path.stat()
    except OSError as exc:
        return Skipped(name, "error", f"cannot stat: {exc.strerror or exc}")
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "FIFO"
            if stat.S_ISFIFO(st.st_mode)
            else "device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "socket"
            if stat.S_ISSOCK(st.st_mode)
            else "special file"
        )
        return Skipped(name, "skipped", f"not a regular file ({kind}); never read")
    if not os.access(path, os.R_OK):
        return Skipped(name, "error", "permission denied")
    return Source(name, path, FileOpener(str(path)), st.st_size, st.st_mtime)


def _walk(root: Path) -> Iterator[Path]:
    seen: set[tuple[int, int]] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        try:
            st = os.stat(dirpath)
        except OSError:
            continue
        key = (st.st_dev, st.st_ino)
        if key in seen:  # a symlink loop: do not descend again
            dirnames[:] = []
            continue
        seen.add(key)
        dirnames.sort()
        for name in sorted(filenames):
            yield Path(dirpath) / name


def discover(paths: list[str]) -> Discovery:
    """Expand ``paths`` into sources; what cannot be read is recorded, never raised."""
    out = Discovery()
    for arg in paths:
        if arg == "-":
            out.sources.append(Source("-", None, StdinOpener()))
            continue
        if "://" in arg:
            from loganalyzer.sources.remote import discover_remote

            found = discover_remote(arg)
            out.sources += found.sources
            out.skipped += found.skipped
            continue
        p = Path(arg)
        matches = [Path(m) for m in sorted(glob.glob(arg, recursive=True))] if not p.exists() else [p]
        if not matches:
            out.skipped.append(Skipped(arg, "error", "no such file or directory"))
            continue
        for m in matches:
            if m.is_dir():
                for f in _walk(m):
                    item = _file_source(f, f.relative_to(m).as_posix())
                    (out.sources if isinstance(item, Source) else out.skipped).append(item)
            else:
                item = _file_source(m, m.name if m == p else m.as_posix())
                (out.sources if isinstance(item, Source) else out.skipped).append(item)
    return out
