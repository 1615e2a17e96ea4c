"""Splitting a big plain file into byte ranges that read exactly like the whole file.

The Reader cuts a stream into chunks at the last newline before each multiple of ``chunk_bytes`` (see
``Reader._read``). A range here starts at such a chunk boundary, so reading the ranges one by one gives the
frames, events, multi-line blocks and joined records of the whole-file read. A boundary is only taken where
that is certain: the newline lies in the last ``min(chunk, 1 MiB)`` before the grid point, the line it ends
is not a cut long line, the range's head is text, and its first frame sniffs as the same wrapper as the
file's. Compressed files, archives, standard input and remote objects are never split.
"""

from __future__ import annotations

import dataclasses

from loganalyzer.sources.archives import kind as archive_kind
from loganalyzer.sources.decompress import sniff as compression
from loganalyzer.sources.discover import FileOpener, Source
from loganalyzer.sources.read import BINARY_PROBE, MAX_LINE_BYTES

SPLIT_BYTES = 256 * 1024 * 1024
SNIFF_BYTES = 1024 * 1024
COUNT_BLOCK = 16 * 1024 * 1024


def _first_frame_lines(f, start: int, chunk: int, size: int) -> list[str] | None:
    """The lines the Reader sniffs the wrapper from when it starts at ``start`` (None if not cheap to know)."""
    from loganalyzer.formats.wrappers import SNIFF_LINES

    f.seek(start)
    data = f.read(min(SNIFF_BYTES, size - start))
    end = None
    grid = (start // chunk + 1) * chunk
    while grid - start <= len(data):  # the first chunk ends at the last newline before a grid point
        cut = data.rfind(b"\n", 0, grid - start)
        if cut >= 0:
            end = cut + 1
            break
        grid += chunk
    if end is None:
        if start + len(data) >= size:
            end = len(data)
        else:  # the first frame goes on past what was read: its first lines are still known
            end, pos = 0, 0
            for _ in range(SNIFF_LINES):
                pos = data.find(b"\n", end)
                if pos < 0:
                    return None
                end = pos + 1
    if b"\x00" in data[:end]:
        return None
    lines = data[:end].decode("utf-8", errors="replace").split("\n", SNIFF_LINES)[:SNIFF_LINES]
    return [line.removesuffix("\r") for line in lines]


def _wrapper(f, start: int, chunk: int, size: int) -> str | None:
    from loganalyzer.formats.wrappers import detect

    lines = _first_frame_lines(f, start, chunk, size)
    return None if lines is None else detect(lines).name


def _boundary(f, target: int, floor: int, chunk: int) -> int | None:
    """The Reader's chunk boundary before grid point ``target`` if it is certain, else None."""
    window = min(chunk, MAX_LINE_BYTES)
    lo = max(floor, target - window - MAX_LINE_BYTES - 1)
    f.seek(lo)
    data = f.read(target - lo)
    if len(data) != target - lo:
        return None
    last = data.rfind(b"\n", max(0, len(data) - window))
    if last < 0:
        return None
    first = data.find(b"\n", max(0, len(data) - window))
    before = data.rfind(b"\n", 0, first)
    if before < 0 and lo != floor:
        return None  # the line ending in the window started too far back: it may be cut as a long line
    if first - before > MAX_LINE_BYTES:
        return None
    return lo + last + 1


def _text_head(f, start: int) -> bool:
    f.seek(start)
    head = f.read(BINARY_PROBE)
    return b"\x00" not in head and not head.lstrip().startswith(b"-----BEGIN ")


def plan(source: Source, chunk: int, split_bytes: int = SPLIT_BYTES) -> tuple[list[Source], str | None]:
    """``source`` as byte ranges of about ``split_bytes``, and the wrapper they share (None: not split).

    Ranges after the first do not know their first line number yet: set it with :func:`numbered`.
    """
    start = source.resume_bytes
    size = source.size if source.end_bytes is None else source.end_bytes
    parts = round((size - start) / max(1, split_bytes)) if size is not None else 0
    if not isinstance(source.opener, FileOpener) or size is None or parts < 2:
        return [source], None
    step = -(-(size - start) // parts)  # ranges of equal size, each cut at the chunk grid point after its end
    try:
        with source.opener() as f:
            head = f.read(512)
            if compression(head[:8]) or archive_kind(head) or not _text_head(f, start):
                return [source], None
            wrapper = _wrapper(f, start, chunk, size)
            if wrapper is None:
                return [source], None
            cuts = [start]
            for k in range(1, parts):
                target = -(-(start + k * step) // chunk) * chunk
                cut = _boundary(f, target, cuts[-1], chunk) if target < size else None
                if (
                    cut is not None
                    and cut > cuts[-1]
                    and cut < size
                    and _text_head(f, cut)
                    and _wrapper(f, cut, chunk, size) == wrapper
                ):
                    cuts.append(cut)
    except OSError:
        return [source], None  # scanning it whole reports the problem as a local run does
    if len(cuts) == 1:
        return [source], None
    ends = [*cuts[1:], source.end_bytes]
    pieces = [
        dataclasses.replace(source, resume_bytes=a, end_bytes=b, resume_lines=source.resume_lines if i == 0 else 0)
        for i, (a, b) in enumerate(zip(cuts, ends, strict=True))
    ]
    return pieces, wrapper


def count_lines(piece: Source) -> int | None:
    """Newlines in the byte range of ``piece`` (its lines: a range other than the last ends with one)."""
    try:
        with piece.opener() as f:
            f.seek(piece.resume_bytes)
            left = (piece.end_bytes if piece.end_bytes is not None else piece.size or 0) - piece.resume_bytes
            lines = 0
            while left > 0:
                block = f.read(min(COUNT_BLOCK, left))
                if not block:
                    return None
                lines += block.count(b"\n")
                left -= len(block)
            return lines
    except OSError:
        return None


def numbered(pieces: list[Source], counts: list[int]) -> list[Source]:
    """``pieces`` with each one's ``resume_lines`` from the line counts of the ranges before it."""
    out, lines = [pieces[0]], pieces[0].resume_lines
    for piece, count in zip(pieces[1:], counts, strict=True):
        lines += count
        out.append(dataclasses.replace(piece, resume_lines=lines))
    return out
