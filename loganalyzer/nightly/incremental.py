"""The incremental scan: read only what earlier runs with the same state have not read.

Every source is fingerprinted by its first decompressed bytes and matched to the streams in the state:
a known stream is read on from where it was left (appended lines; the new tail of a rotated or compressed
copy), a copy with nothing new is skipped, a truncated or replaced file is read from the start, a new file
whole. Sources of one stream found twice in this run (``error.log.1`` beside ``error.log.1.gz``) are read
once: the largest plain copy first, the others after it, from where it stopped. Archives count as a whole.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl

from loganalyzer.matching import Matcher
from loganalyzer.nightly import fingerprint
from loganalyzer.nightly.fingerprint import HEAD_BYTES, Fingerprint
from loganalyzer.nightly.state import State, Stream
from loganalyzer.scan import ScanOptions, ScanResult, SourceScan, combine, scan_source
from loganalyzer.sources import Skipped, Source, discover

ALREADY_READ = "already read"  # start of the reason of a source skipped because earlier runs read it
SHORTER = "shorter than what an earlier run read"  # the Reader's error when a resume point is past the end


@dataclass
class Item:
    """One source and what to do with it."""

    source: Source
    fp: Fingerprint | None
    stream: Stream | None = None  # the known stream it continues
    group: str | None = None  # sources of one stream share a group
    note: str | None = None
    when: str = "in an earlier run"  # when the stream it continues was read


def _as(known: str, name: str) -> str:
    return "" if known == name else f" as {known}"


def _already(known: str, name: str, when: str = "in an earlier run") -> str:
    return f"{ALREADY_READ} {when}" if known == name else f"{ALREADY_READ} (same content as {known} {when})"


def _resume(item: Item, stream: Stream | None) -> None:
    item.stream = stream
    item.source.resume_bytes = stream.bytes if stream else 0
    item.source.resume_lines = stream.lines if stream else 0
    if stream and stream.bytes:
        known = _as(stream.name, item.source.name)
        item.note = f"resumed at line {stream.lines + 1:,} ({stream.bytes:,} bytes already read{known})"


def _plan(source: Source, state: State, index: dict[tuple[int, str], list[str]]) -> Item | Skipped:
    """Read from the start, read on, or skip ``source``."""
    fp = fingerprint.take(source)
    item = Item(source, fp)
    if fp is None or not fp.head:
        return item  # unreadable, empty or stdin: the scan says what it is; nothing is recorded
    if fp.archive:
        known = state.archives.get(fp.archive_key())
        if known:
            known["seen"] = state.now
            return Skipped(source.name, "skipped", "archive " + _already(known["name"], source.name))
        item.group = "archive:" + fp.archive_key()
        return item
    known = state.files.get(fp.identity or "") if fp.compression else None
    if known and known["stream"] in state.streams:
        known["seen"] = state.streams[known["stream"]].seen = state.now
        return Skipped(source.name, "skipped", _already(known["name"], source.name))
    candidates = sorted(state.matches(fp, index), key=lambda s: -s.bytes)
    checkable = fp.plain and fp.size is not None and source.path is not None
    for stream in candidates:
        if checkable and fp.size < stream.bytes:
            item.note = f"{SHORTER} ({stream.bytes:,} bytes): read from the start"
            continue
        if checkable and stream.tail_sha and fingerprint.tail_sha(str(source.path), stream.bytes) != stream.tail_sha:
            item.note = "replaced since an earlier run read it: read from the start"
            continue
        stream.seen = state.now
        item.group = stream.id
        if checkable and fp.size == stream.bytes:
            state.run_streams[source.name] = stream.id
            return Skipped(source.name, "skipped", _already(stream.name, source.name))
        _resume(item, stream)
        return item
    item.group = "new:" + fp.head_sha()  # new, or not what any earlier run read (truncated, replaced)
    return item


def _record(item: Item, scan: SourceScan, state: State) -> SourceScan:
    """Turn a scan of a resumed source into its sources row and advance the stream in ``state``."""
    fp, src, row = item.fp, item.source, scan.row
    resumed = src.resume_bytes > 0
    if resumed and (row["error"] == SHORTER or (row["status"] == "ok" and not row["bytes"])):
        name = item.stream.name if item.stream else src.name
        row.update(status="skipped", error=_already(name, src.name, item.when), note=None, bytes=0, lines=0)
        if fp and fp.compression and fp.identity and item.stream:
            state.files[fp.identity] = {"name": src.name, "stream": item.stream.id, "seen": state.now}
        if item.stream:
            state.run_streams[src.name] = item.stream.id
        return scan
    if fp is None or not fp.head or row["status"] not in ("ok", "partial"):
        return scan
    end, lines = scan.read_bytes, src.resume_lines + row["lines"]
    if fp.plain and src.path is not None and end > src.resume_bytes:
        whole = fingerprint.complete_lines(str(src.path), end)
        if whole < end:  # the last line is still being written: leave it for the next run
            scan.events = scan.events.filter(pl.col("line") != lines)
            row.update(bytes=row["bytes"] - (end - whole), lines=row["lines"] - 1, events=scan.events.height)
            row["note"] = "; ".join(filter(None, [row["note"], "last line incomplete: left for the next run"]))
            end, lines = whole, lines - 1
    if item.note:
        row["note"] = "; ".join(filter(None, [item.note, row["note"]]))
    if end <= 0:
        return scan
    stream = item.stream or Stream(state.new_stream_id(fp), 0, "", 0, 0, src.name, None, state.now)
    head_len = min(len(fp.head), end, HEAD_BYTES)
    stream.head_len, stream.head_sha = head_len, fp.head_sha(head_len)
    stream.bytes, stream.lines, stream.name, stream.seen = end, lines, src.name, state.now
    stream.tail_sha = fingerprint.tail_sha(str(src.path), end) if fp.plain and src.path is not None else None
    state.streams[stream.id] = stream
    state.run_streams[src.name] = stream.id
    if fp.compression and fp.identity:
        state.files[fp.identity] = {"name": src.name, "stream": stream.id, "seen": state.now}
    return scan


def _record_archive(item: Item, scans: list[SourceScan], state: State) -> None:
    if not item.fp or all(s.row["status"] == "error" for s in scans):
        return
    key = item.fp.archive_key()
    state.archives[key] = {"name": item.source.name, "seen": state.now}
    prefix = fingerprint.sha(key.encode())[:16]
    for s in scans:
        state.run_streams[s.row["source"]] = f"{prefix}!{s.row['source'].partition('!')[2]}"


def _primary_first(items: list[Item]) -> list[Item]:
    """The copy to read first: plain before compressed, then the largest."""
    return sorted(items, key=lambda i: (not (i.fp and i.fp.plain), -((i.fp and i.fp.size) or 0), i.source.name))


def scan_incremental(
    paths: list[str], matcher: Matcher, opts: ScanOptions, state: State, on_source: Callable[[dict], None] | None = None
) -> ScanResult:
    """Scan what ``state`` says is unread under ``paths``; advance ``state`` in memory (the caller saves it)."""
    found = discover(paths)
    skipped: list[Skipped] = list(found.skipped)
    groups: dict[str, list[Item]] = {}
    lone: list[Item] = []
    index = state.head_index()
    for source in found.sources:
        planned = _plan(source, state, index)
        if isinstance(planned, Skipped):
            skipped.append(planned)
        elif planned.group is None:
            lone.append(planned)
        else:
            groups.setdefault(planned.group, []).append(planned)
    ordered = [_primary_first(g) for g in groups.values()]
    first = lone + [g[0] for g in ordered]
    later = [(g[0], i) for g in ordered for i in g[1:]]
    scans: list[SourceScan] = []

    def finish(item: Item, part: list[SourceScan]) -> None:
        if item.fp and item.fp.archive:
            _record_archive(item, part, state)
        else:
            part = [_record(item, s, state) for s in part]
        scans.extend(part)
        for s in part:
            if on_source:
                on_source(s.row)

    with ThreadPoolExecutor(max_workers=opts.workers) as pool:
        for item, part in zip(first, pool.map(lambda i: scan_source(i.source, matcher, opts), first), strict=True):
            finish(item, part)
        rest: list[Item] = []
        for primary, item in later:
            if item.fp and item.fp.archive:
                skipped.append(
                    Skipped(
                        item.source.name,
                        "skipped",
                        "archive " + _already(primary.source.name, item.source.name, "in this run"),
                    )
                )
                continue
            stream = state.streams.get(state.run_streams.get(primary.source.name, ""))
            if stream and item.fp and item.fp.plain and item.fp.size is not None and item.fp.size <= stream.bytes:
                skipped.append(
                    Skipped(item.source.name, "skipped", _already(primary.source.name, item.source.name, "in this run"))
                )
                continue
            _resume(item, stream)
            item.when = "in this run"
            rest.append(item)
        for item, part in zip(rest, pool.map(lambda i: scan_source(i.source, matcher, opts), rest), strict=True):
            finish(item, part)
    return combine(skipped, scans)
