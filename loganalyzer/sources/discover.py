"""Finding the files to read: paths, directories (recursive) and globs, in a stable order."""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO


@dataclass
class Source:
    """One readable stream of log lines: a file, or (later) an archive member."""

    name: str  # as reported in tables: relative to the PATH argument it was found under
    path: Path | None
    opener: Callable[[], BinaryIO]
    size: int | None = None
    mtime: float | None = None
    host_hint: str | None = None


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
        kind = "FIFO" if stat.S_ISFIFO(st.st_mode) else "device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(
            st.st_mode) else "socket" if stat.S_ISSOCK(st.st_mode) else "special file"
        return Skipped(name, "skipped", f"not a regular file ({kind}); never read")
    if not os.access(path, os.R_OK):
        return Skipped(name, "error", "permission denied")
    return Source(name, path, lambda p=path: open(p, "rb"), st.st_size, st.st_mtime)  # noqa: SIM115


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
