"""What identifies a source's content across runs: its first decompressed bytes, plus size and file identity."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from loganalyzer.sources import Source, archives
from loganalyzer.sources.decompress import DECOMPRESSION_ERRORS, decompressed

HEAD_BYTES = 4096  # decompressed bytes that identify a stream of lines
TAIL_BYTES = 1024  # bytes before the resume point that must still be there (plain files)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Fingerprint:
    """The first decompressed bytes of a source and how its file looks on disk."""

    head: bytes
    compression: str | None
    archive: bool
    size: int | None = None  # on disk
    identity: str | None = None  # inode:size:mtime_ns of a local file
    raw_tail: str | None = None  # sha256 of the last raw bytes (archives: fingerprinted as a whole)

    def head_sha(self, length: int | None = None) -> str:
        return sha(self.head if length is None else self.head[:length])

    @property
    def plain(self) -> bool:
        return self.compression is None and not self.archive

    def archive_key(self) -> str:
        return f"{self.size}:{self.head_sha()}:{self.raw_tail}"


def _raw_tail(path: str, size: int) -> str:
    with open(path, "rb") as f:
        f.seek(max(size - HEAD_BYTES, 0))
        return sha(f.read(HEAD_BYTES))


def take(source: Source) -> Fingerprint | None:
    """The fingerprint of ``source``; None when it cannot be opened or decoded (the scan then says why)."""
    if source.name == "-" and source.path is None:
        return None  # standard input cannot be read twice
    try:
        with source.opener() as raw:
            stream, compression = decompressed(raw)
            head = stream.read(HEAD_BYTES) or b""
    except DECOMPRESSION_ERRORS:
        return None
    fp = Fingerprint(head, compression, archives.kind(head[:512]) is not None)
    if source.path is not None:
        try:
            st = os.stat(source.path)
            fp.size, fp.identity = st.st_size, f"{st.st_ino}:{st.st_size}:{st.st_mtime_ns}"
            if fp.archive:
                fp.raw_tail = _raw_tail(str(source.path), st.st_size)
        except OSError:
            return None
    return fp


def tail_sha(path: str, end: int) -> str | None:
    """sha256 of the TAIL_BYTES before ``end`` in a plain file; None if the file is shorter."""
    try:
        with open(path, "rb") as f:
            f.seek(max(end - TAIL_BYTES, 0))
            data = f.read(end - max(end - TAIL_BYTES, 0))
    except OSError:
        return None
    return sha(data) if len(data) == min(end, TAIL_BYTES) else None


def complete_lines(path: str, end: int, limit: int = 2 * 1024 * 1024) -> int:
    """Offset just after the last newline before ``end``, so a line still being written is left for later.

    ``end`` itself when no newline is found within ``limit`` bytes (a line that long is not being written).
    """
    start = end
    with open(path, "rb") as f:
        while start > 0 and end - start < limit:
            step = min(start, 64 * 1024)
            f.seek(start - step)
            block = f.read(step)
            cut = block.rfind(b"\n")
            if cut >= 0:
                return start - step + cut + 1
            start -= step
    return 0 if start == 0 else end
