"""Opening a stream and undoing its compression, recognised by content (magic bytes), not by name."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
from typing import BinaryIO

MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


def sniff(head: bytes) -> str | None:
    """The compression of a stream starting with ``head``, or None."""
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    return None


def decompressed(raw: BinaryIO) -> tuple[BinaryIO, str | None]:
    """``raw`` wrapped in its decompressor (concatenated members and frames included)."""
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type]
    kind = sniff(buffered.peek(8)[:8])
    if kind == "gzip":
        return gzip.GzipFile(fileobj=buffered), kind  # type: ignore[return-value]
    if kind == "bzip2":
        return bz2.BZ2File(buffered), kind  # type: ignore[return-value]
    if kind == "xz":
        return lzma.LZMAFile(buffered), kind  # type: ignore[return-value]
    if kind == "zstd":
        import zstandard

        return zstandard.ZstdDecompressor().stream_reader(buffered, read_across_frames=True), kind
    return buffered, None


# What a truncated or corrupt compressed stream raises while being read.
DECOMPRESSION_ERRORS: tuple[type[BaseException], ...] = (EOFError, OSError, lzma.LZMAError, gzip.BadGzipFile)
