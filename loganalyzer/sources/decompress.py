"""Opening a stream and undoing its compression, recognised by content (magic bytes), not by name.

One decoder serves gzip, bzip2, xz and zstd through their incremental decompressor objects, so
concatenated members are followed and a truncated or corrupt stream still yields everything that
could be decoded before the damage, then ends; :func:`damage` tells what was wrong.
"""

from __future__ import annotations

import bz2
import io
import lzma
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO

MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
READ_BYTES = 256 * 1024
OUT_BYTES = 8 * 1024 * 1024  # at most this much decompressed output per decoder call
# A stream that expands more than BOMB_RATIO times past BOMB_MIN_BYTES is a decompression bomb: reading stops.
BOMB_MIN_BYTES = 1024 * 1024 * 1024
BOMB_RATIO = 1000


def _zstd() -> Any:
    import zstandard

    return zstandard.ZstdDecompressor().decompressobj()


DECODERS: dict[str, Callable[[], Any]] = {
    "gzip": lambda: zlib.decompressobj(wbits=16 + zlib.MAX_WBITS),
    "bzip2": bz2.BZ2Decompressor,
    "xz": lzma.LZMADecompressor,
    "zstd": _zstd,
}


def sniff(head: bytes) -> str | None:
    """The compression of a stream starting with ``head``, or None."""
    for magic, name in MAGIC:
        if head.startswith(magic):
            return name
    return None


class _Decoded(io.RawIOBase):
    """The decompressed bytes of ``raw``, member after member."""

    def __init__(self, raw: BinaryIO, kind: str):
        self.raw, self.kind = raw, kind
        self.decoder = DECODERS[kind]()
        self.pending = b""
        self.offset = 0
        self.done = False
        self.damage: str | None = None
        self.tail = b""  # zlib: compressed input the decoder has not consumed yet
        self.more = False  # the decoder holds input that can still produce output
        self.bytes_in = 0
        self.bytes_out = 0

    def readable(self) -> bool:
        return True

    def _decode(self, data: bytes) -> bytes:
        """Decompress ``data`` (plus any held-back input), producing at most about OUT_BYTES."""
        d = self.decoder
        if self.kind == "gzip":  # zlib
            out = d.decompress(self.tail + data, OUT_BYTES)
            self.tail = b"" if d.eof else d.unconsumed_tail  # at a member's end the rest is in unused_data
            self.more = bool(self.tail)
        elif self.kind in ("bzip2", "xz"):  # input is buffered inside the decoder
            out = d.decompress(data, max_length=OUT_BYTES)
            self.more = not (d.needs_input or d.eof)
        else:  # zstd
            out = d.decompress(data)
        while getattr(d, "eof", False) and d.unused_data and not self.more:
            rest = d.unused_data
            if not sniff(rest[:8]) and not rest.strip(b"\x00"):
                break  # trailing zero padding
            d = self.decoder = DECODERS[self.kind]()
            out += self._decode(rest)
        return out

    def _next(self) -> bytes:
        while True:
            data = b"" if self.more else self.raw.read(READ_BYTES)
            if not data and not self.more:
                if not getattr(self.decoder, "eof", True):
                    self.damage = f"{self.kind} data truncated: the stream ends before its end marker"
                self.done = True
                return b""
            self.bytes_in += len(data)
            try:
                out = self._decode(data)
            except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as exc:
                self.done = True
                self.damage = f"{self.kind} data corrupt: {exc}"
                return b""
            self.bytes_out += len(out)
            if self.bytes_out > BOMB_MIN_BYTES and self.bytes_out > BOMB_RATIO * max(self.bytes_in, 1):
                self.done = True
                self.damage = (
                    f"decompression bomb: {self.bytes_in:,} compressed bytes expanded past "
                    f"{self.bytes_out:,}; reading stopped"
                )
                return out
            if out:
                return out

    def readinto(self, buffer) -> int:
        if self.offset >= len(self.pending) and not self.done:
            self.pending, self.offset = self._next(), 0
        n = min(len(buffer), len(self.pending) - self.offset)
        buffer[:n] = memoryview(self.pending)[self.offset : self.offset + n]
        self.offset += n
        return n


def decompressed(raw: BinaryIO) -> tuple[BinaryIO, str | None]:
    """``raw`` with its compression undone, and the compression's name (None if plain)."""
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type]
    kind = sniff(buffered.peek(8)[:8])
    if kind is None:
        return buffered, None
    return io.BufferedReader(_Decoded(buffered, kind), buffer_size=1024 * 1024), kind


def damage(stream: BinaryIO) -> str | None:
    """What was wrong with a decompressed stream once it ended (None if it ended cleanly)."""
    return getattr(getattr(stream, "raw", None), "damage", None)


# What reading a damaged plain stream or archive member may still raise.
DECOMPRESSION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    EOFError,
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
)
