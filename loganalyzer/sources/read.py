"""Reading a source as frames of physical lines, in chunks, so memory is bounded by the chunk size."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass

import polars as pl

from loganalyzer.sources.decompress import DECOMPRESSION_ERRORS, damage
from loganalyzer.sources.discover import Source

CHUNK_BYTES = 16 * 1024 * 1024
MAX_LINE_BYTES = 1024 * 1024
BINARY_PROBE = 8192
DIGEST_BYTES = 1024 * 1024


@dataclass
class ReadStats:
    """What reading a source found: feeds the ``sources`` table."""

    bytes: int = 0
    lines: int = 0
    compression: str | None = None
    status: str = "ok"
    error: str | None = None
    notes: list[str] | None = None
    # A content fingerprint that costs nothing per byte: the CRC-32 of its first MiB, and the sum of the CRC-32s
    # of every chunk's last 4 KiB (a sum, so the fingerprints of consecutive byte ranges add up to the file's).
    head_crc: int = 0
    tails_crc: int = 0

    def note(self, text: str) -> None:
        self.notes = [*(self.notes or []), text]


def _frame(chunk: bytes, first_line: int) -> pl.DataFrame:
    """The physical lines of ``chunk`` numbered from ``first_line``; blank lines kept, invalid UTF-8 replaced.

    polars' CSV reader splits the lines (in Rust, in parallel), with a byte that text never holds (NUL) as the
    separator and no quoting; it ends lines at ``\n`` and drops a ``\r`` before it. A chunk with NUL bytes
    takes the exact, slower path.
    """
    frame = None
    if b"\x00" not in chunk:
        frame = pl.read_csv(
            chunk,
            has_header=False,
            separator="\x00",
            quote_char=None,
            new_columns=["raw"],
            infer_schema=False,
            encoding="utf8-lossy",
            raise_if_empty=False,
        )
        if frame.width != 1:
            frame = None
    if frame is None:  # exotic content: the exact, slower path
        text = chunk.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
        lines = text.split("\n")
        if text.endswith("\n"):
            lines.pop()
        frame = pl.DataFrame({"raw": lines}, schema={"raw": pl.String}).with_columns(
            pl.col("raw").str.strip_suffix("\r")
        )
    if frame["raw"].null_count():
        frame = frame.with_columns(pl.col("raw").fill_null(""))
    return frame.with_row_index("line", offset=first_line).with_columns(pl.col("line").cast(pl.Int64))


class Reader:
    """Iterates the lines of a source's (decompressed) stream as frames; ``stats`` says how reading went."""

    def __init__(self, source: Source, chunk_bytes: int = CHUNK_BYTES, compression: str | None = None):
        self.source = source
        self.chunk_bytes = chunk_bytes
        self.stats = ReadStats(compression=compression)
        self.head: bytes = b""
        self._pending = b""  # bytes read ahead that belong to the next chunk
        self._pos = 0  # offset in the stream of the next byte to read

    def frames(self, stream) -> Iterator[pl.DataFrame]:
        """Frames of ``stream``, after skipping what an earlier run read (``source.resume_bytes``)."""
        if self.source.resume_bytes and not self._skip(stream, self.source.resume_bytes):
            return
        self._pos = self.source.resume_bytes
        yield from self._chunks(stream)

    def _skip(self, stream, n: int) -> bool:
        try:
            if self.stats.compression is None and stream.seekable():
                stream.seek(n)
                return True
            while n > 0:
                block = stream.read(min(n, 4 * 1024 * 1024))
                if not block:
                    self.stats.status, self.stats.error = "error", "shorter than what an earlier run read"
                    return False
                n -= len(block)
        except DECOMPRESSION_ERRORS as exc:
            self.stats.status, self.stats.error = "partial", f"data truncated or corrupt: {exc}"
            return False
        return True

    def _chunks(self, stream) -> Iterator[pl.DataFrame]:
        next_line = self.source.resume_lines + 1
        carry = b""
        first = True
        failed = False
        while True:
            block = b""
            if not failed:
                block, failed = self._read(stream)
            if first:
                first = False
                self.head = block[:BINARY_PROBE]
                if not block:
                    if not failed and not self.source.resume_bytes:
                        self.stats.status, self.stats.error = "skipped", "empty file"
                    return
                if b"\x00" in self.head:
                    self.stats.status, self.stats.error = "skipped", "binary file (NUL bytes); not a text log"
                    return
                if self.head.lstrip().startswith(b"-----BEGIN "):
                    self.stats.status, self.stats.error = "skipped", "PEM certificate or key (see certificates)"
                    return
            if not block:
                if carry:
                    next_line += yield from self._emit([carry], next_line)
                return
            cut = block.rfind(b"\n")
            if cut < 0:
                carry += block
                if len(carry) > MAX_LINE_BYTES:  # one enormous line: keep its first MiB, skip the rest
                    next_line += yield from self._emit([self._cut_long_line(carry, stream, next_line)], next_line)
                    carry = b""
                continue
            pieces = [carry, memoryview(block)[: cut + 1]]
            carry = block[cut + 1 :]
            del block  # from here the pieces are the only reference: _emit frees them once they are joined
            next_line += yield from self._emit(pieces, next_line)

    def _cut_long_line(self, data: bytes, stream, line_no: int) -> bytes:
        """The first MAX_LINE_BYTES of a line; the rest is skipped up to its newline."""
        rest = data[MAX_LINE_BYTES:]
        dropped = len(rest)
        while b"\n" not in rest:
            rest, failed = self._read(stream)
            dropped += len(rest)
            if not rest or failed:
                break
        newline = b"\n" in rest
        tail = rest[rest.index(b"\n") + 1 :] if newline else b""
        dropped -= len(tail) + newline  # the line's own newline is the one the cut line keeps
        self._pending = tail  # the start of the next line(s), read again by _read
        self.stats.bytes += dropped + newline - 1  # _emit counts the cut line with a newline
        self.stats.note(f"line {line_no} longer than 1 MiB: cut ({dropped:,} bytes dropped)")
        return data[:MAX_LINE_BYTES] + b"\n"

    def _read(self, stream) -> tuple[bytes, bool]:
        """Up to the next multiple of ``chunk_bytes`` in the stream (so chunks end at the same offsets wherever
        reading started, e.g. in a byte range of a split file), never past ``source.end_bytes``; on damage,
        what was read so far and True (the decoders deliver everything before the damage first)."""
        parts = [self._pending] if self._pending else []
        self._pending = b""
        want = self.chunk_bytes - self._pos % self.chunk_bytes
        if self.source.end_bytes is not None:
            want = min(want, self.source.end_bytes - self._pos)
        failed = False
        while want > 0:
            try:
                block = stream.read(want)
            except DECOMPRESSION_ERRORS as exc:
                self.stats.status = "partial"
                self.stats.error = f"{self.stats.compression or 'stream'} data truncated or corrupt: {exc}"
                failed = True
                break
            if not block:
                problem = damage(stream)
                if problem:
                    self.stats.status, self.stats.error = "partial", problem
                    failed = True
                break
            parts.append(block)
            self._pos += len(block)
            want -= len(block)
        return b"".join(parts), failed  # a single read is returned as is, without a copy

    def _emit(self, pieces: list, first_line: int) -> Iterator[pl.DataFrame]:
        """Yield the frame of the lines in the joined ``pieces`` (emptied, so their memory goes as soon as
        the frame holds the text); return how many lines it holds."""
        chunk = b"".join(pieces)  # the one copy a chunk costs
        pieces.clear()
        size = len(chunk)
        self.stats.bytes += size
        if first_line == 1:
            self.stats.head_crc = zlib.crc32(chunk[:DIGEST_BYTES])
        self.stats.tails_crc += zlib.crc32(chunk[-4096:])
        frame = _frame(chunk, first_line)
        del chunk
        self.stats.lines += frame.height
        too_long = pl.col("raw").str.len_bytes() > MAX_LINE_BYTES
        if size > MAX_LINE_BYTES and frame.select(too_long.any()).item():
            for line, size in frame.filter(too_long).select("line", pl.col("raw").str.len_bytes()).rows():
                self.stats.note(f"line {line} longer than 1 MiB: cut ({size - MAX_LINE_BYTES:,} bytes dropped)")
            frame = frame.with_columns(
                pl.when(too_long).then(pl.col("raw").str.slice(0, MAX_LINE_BYTES // 4)).otherwise("raw").alias("raw")
            )
        yield frame
        return frame.height
