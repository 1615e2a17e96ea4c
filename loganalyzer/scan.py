"""The scan: every source read in chunks, unwrapped, matched and parsed into one events frame.

sources → formats → matching, per file; files are scanned in parallel threads (polars releases the
GIL), each file's chunks in order, so memory stays bounded by chunk size × workers. An archive is one
unit of work whose members are scanned in turn, read in place.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import polars as pl

from loganalyzer.formats import lines, multiline, versions, wrappers
from loganalyzer.formats.timestamps import UTC_DTYPE
from loganalyzer.frames import detached
from loganalyzer.incidents import unmatched
from loganalyzer.matching import Matcher
from loganalyzer.sources import Skipped, Source, archives, discover
from loganalyzer.sources.decompress import DECOMPRESSION_ERRORS, decompressed
from loganalyzer.sources.hosts import host_from_path
from loganalyzer.sources.read import CHUNK_BYTES, Reader

EVENT_SCHEMA = {
    "source": pl.String,
    "line": pl.Int64,
    "ts": UTC_DTYPE,
    "level": pl.String,
    "format": pl.String,
    "host": pl.String,
    "signature_id": pl.String,
    "message": pl.String,
    "fields": pl.String,
    "raw": pl.String,
}
SOURCE_SCHEMA = {
    "source": pl.String,
    "format": pl.String,
    "bytes": pl.Int64,
    "lines": pl.Int64,
    "events": pl.Int64,
    "status": pl.String,
    "error": pl.String,
    "note": pl.String,
}
MAX_ARCHIVE_DEPTH = 3
MIN_SPLIT_CHUNKS = 4  # a file is cut into byte ranges of at least this many read chunks
STATUS_ORDER = ("ok", "skipped", "partial", "error")


@dataclass
class ScanOptions:
    timezone: str = "UTC"
    workers: int = max(os.cpu_count() or 1, 1)
    chunk_bytes: int = CHUNK_BYTES


@dataclass
class ScanResult:
    events: pl.DataFrame
    sources: pl.DataFrame
    unmatched: pl.DataFrame
    versions: pl.DataFrame


@dataclass
class SourceScan:
    """What scanning one source (a file or an archive member) found."""

    events: pl.DataFrame
    row: dict
    unmatched: list[pl.DataFrame] = field(default_factory=list)
    versions: list[pl.DataFrame] = field(default_factory=list)
    read_bytes: int = 0  # decompressed bytes consumed, for incremental state
    digest: tuple[int, int, int] | None = None  # (head CRC, chunk-tail CRCs summed, bytes): finds copies


def _row(name: str, status: str, error: str | None, **extra) -> dict:
    return {
        "source": name,
        "format": None,
        "bytes": 0,
        "lines": 0,
        "events": 0,
        "status": status,
        "error": error,
        "note": None,
        **extra,
    }


def _problem(name: str, status: str, error: str) -> SourceScan:
    return SourceScan(pl.DataFrame(schema=EVENT_SCHEMA), _row(name, status, error))


@dataclass
class _FileScan:
    """What is known of one file while its frames are scanned one after the other."""

    source: Source
    matcher: Matcher
    opts: ScanOptions
    ctx: wrappers.Context
    host: str | None
    wrapper: wrappers.Wrapper | None = None
    formats: set[str] = field(default_factory=set)
    events: list[pl.DataFrame] = field(default_factory=list)
    unmatched: list[pl.DataFrame] = field(default_factory=list)
    versions: list[pl.DataFrame] = field(default_factory=list)

    def add(self, frame: pl.DataFrame) -> None:
        """Match one frame of lines; keep its events, unknown-error templates and versions."""
        if self.wrapper is None:
            self.wrapper = wrappers.detect(frame["raw"].head(wrappers.SNIFF_LINES).to_list())
        wrapper = self.wrapper
        frame = wrappers.join_partials(frame, wrapper)
        cand = frame.filter(self.matcher.candidates(pl.col("raw")))
        if cand.is_empty():
            return
        cand = wrappers.unwrap(cand, wrapper, self.ctx)
        found = self.matcher.match(cand.select(pl.col("line").alias("row"), "text"))
        parsed = lines.parse(cand.join(found, left_on="line", right_on="row", how="left"), self.opts.timezone)
        parsed = parsed.with_columns(
            pl.lit(self.source.name).alias("source"),
            pl.coalesce("ts", "wrapper_ts").alias("ts"),
            (pl.lit(f"{wrapper.name}/") + pl.col("format") if wrapper.name != "plain" else pl.col("format")).alias(
                "format"
            ),
            pl.coalesce("wrapper_host", pl.lit(self.host, pl.String)).alias("host"),
        )
        self.versions.append(detached(versions.extract(parsed)))
        self.unmatched.append(detached(unmatched.summarise(parsed.filter(pl.col("signature_id").is_null()))))
        ev = parsed.filter(pl.col("signature_id").is_not_null())
        if ev.is_empty():
            return
        ev = multiline.attach_blocks(ev, frame, wrapper, self.ctx)
        self.formats.update(ev["format"].str.split("/").list.last().unique().to_list())
        self.events.append(detached(ev.select(list(EVENT_SCHEMA))))


def _scan_lines(source: Source, stream, compression: str | None, matcher: Matcher, opts: ScanOptions) -> SourceScan:
    reader = Reader(source, opts.chunk_bytes, compression)
    mtime = dt.datetime.fromtimestamp(source.mtime, dt.UTC) if source.mtime else None
    file = _FileScan(
        source,
        matcher,
        opts,
        wrappers.Context(tz=opts.timezone, mtime=mtime),
        source.host_hint or host_from_path(source.name),
    )
    frames = reader.frames(stream)
    while (frame := next(frames, None)) is not None:
        file.add(frame)
        frame = None  # let the chunk go before the next one is read: one chunk in memory at a time
    events = pl.concat(file.events) if file.events else pl.DataFrame(schema=EVENT_SCHEMA)
    fmt = file.wrapper.name if file.wrapper else None
    if file.formats:
        inner = "+".join(sorted(file.formats))
        fmt = inner if fmt == "plain" else f"{fmt}/{inner}"
    stats = reader.stats
    if compression:
        fmt = f"{compression}:{fmt}" if fmt else compression
    row = {
        "source": source.name,
        "format": fmt,
        "bytes": stats.bytes,
        "lines": stats.lines,
        "events": events.height,
        "status": stats.status,
        "error": stats.error,
        "note": "; ".join(stats.notes) if stats.notes else None,
    }
    return SourceScan(
        events.cast(EVENT_SCHEMA),
        row,
        file.unmatched,
        file.versions,
        read_bytes=source.resume_bytes + stats.bytes,
        digest=(stats.head_crc, stats.tails_crc, stats.bytes) if stats.bytes else None,
    )


def _scan_stream(source: Source, raw, matcher: Matcher, opts: ScanOptions, depth: int) -> list[SourceScan]:
    stream, compression = decompressed(raw)
    try:
        head = stream.peek(512)[:512]
    except DECOMPRESSION_ERRORS as exc:
        return [_problem(source.name, "error", f"{compression or 'stream'} data corrupt: {exc}")]
    kind = archives.kind(head)
    if kind is None or depth >= MAX_ARCHIVE_DEPTH:
        return [_scan_lines(source, stream, compression, matcher, opts)]
    out: list[SourceScan] = []
    for member in archives.members(source, stream, kind):
        if isinstance(member, Skipped):
            out.append(_problem(member.name, member.status, member.reason))
            continue
        with member.opener() as handle:
            out += _scan_stream(member, handle, matcher, opts, depth + 1)
    return out or [_problem(source.name, "skipped", f"{kind} archive without regular files")]


def scan_source(source: Source, matcher: Matcher, opts: ScanOptions) -> list[SourceScan]:
    """Scan one source (an archive gives one result per member); failures become rows, never exceptions."""
    try:
        raw = source.opener()
    except OSError as exc:
        return [_problem(source.name, "error", f"cannot open: {exc.strerror or exc}")]
    try:
        with raw:
            return _scan_stream(source, raw, matcher, opts, 0)
    except Exception as exc:  # a bug or an unforeseen input must not lose the other files
        return [_problem(source.name, "error", f"internal error while reading: {type(exc).__name__}: {exc}")]


def _drop_copies(scans: list[SourceScan]) -> list[SourceScan]:
    """The same file present twice (a log and its copy in a tarball) is counted once: the first by name."""
    first: dict[tuple[int, int, int], str] = {}
    out = []
    for scan_ in sorted(scans, key=lambda s: s.row["source"]):
        original = first.setdefault(scan_.digest, scan_.row["source"]) if scan_.digest else scan_.row["source"]
        if original != scan_.row["source"]:
            scan_ = SourceScan(
                pl.DataFrame(schema=EVENT_SCHEMA),
                {
                    **scan_.row,
                    "events": 0,
                    "status": "skipped",
                    "error": f"duplicate of {original} (same content); counted once",
                },
                read_bytes=scan_.read_bytes,
            )
        out.append(scan_)
    return out


def _drop_repeated_events(events: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, int]]:
    """An event present in several sources of one host (a node's file and its container log) is kept once,
    in the first source by name; repeats inside one source are real and stay. Returns the dropped counts."""
    key = ["host", "ts", "signature_id", "message"]
    keep = pl.col("ts").is_null() | pl.col("host").is_null() | (pl.col("source") == pl.col("source").min().over(key))
    flagged = events.with_columns(keep.alias("_keep"))
    dropped = dict(flagged.filter(~pl.col("_keep")).group_by("source").len().iter_rows())
    return flagged.filter(pl.col("_keep")).drop("_keep"), dropped


def _range_digest(parts: list[SourceScan]) -> tuple[int, int, int] | None:
    """The digest of consecutive byte ranges read as one file: the first range's head, the tails and sizes summed."""
    if any(p.digest is None for p in parts):
        return None
    digests = [p.digest for p in parts]
    return (digests[0][0], sum(d[1] for d in digests), sum(d[2] for d in digests))  # type: ignore[index]


def merge_ranges(source: Source, wrapper: str, parts: list[SourceScan]) -> SourceScan:
    """One result for a file read as byte ranges, as reading it whole gives."""
    events = pl.concat([p.events for p in parts])
    inner = sorted(events["format"].str.split("/").list.last().unique().to_list()) if events.height else []
    fmt: str | None = wrapper
    if inner:
        fmt = "+".join(inner) if wrapper == "plain" else f"{wrapper}/{'+'.join(inner)}"
    if all(p.row["format"] is None for p in parts):
        fmt = None
    notes = [p.row["note"] for p in parts if p.row["note"]]
    row = {
        "source": source.name,
        "format": fmt,
        "bytes": sum(p.row["bytes"] for p in parts),
        "lines": sum(p.row["lines"] for p in parts),
        "events": events.height,
        "status": max((p.row["status"] for p in parts), key=STATUS_ORDER.index),
        "error": next((p.row["error"] for p in parts if p.row["error"]), None),
        "note": "; ".join(notes) if notes else None,
    }
    return SourceScan(
        events=events,
        row=row,
        unmatched=[u for p in parts for u in p.unmatched],
        versions=[v for p in parts for v in p.versions],
        read_bytes=source.resume_bytes + row["bytes"],
        digest=_range_digest(parts),
    )


def combine(skipped: list[Skipped], scans: list[SourceScan]) -> ScanResult:
    """One result from the per-source scans (in any order) and the paths that were not read."""
    scans = _drop_copies(scans)
    events = pl.concat([s.events for s in scans]) if scans else pl.DataFrame(schema=EVENT_SCHEMA)
    events, dropped = _drop_repeated_events(events)
    for s in scans:
        if dropped.get(s.row["source"]):
            n = dropped[s.row["source"]]
            note = f"{n} event(s) also in another source of the same host, counted once"
            s.row = {**s.row, "events": s.row["events"] - n, "note": "; ".join(filter(None, [s.row["note"], note]))}
    rows = [_row(s.name, s.status, s.reason) for s in skipped] + [s.row for s in scans]
    found_versions = [pl.DataFrame(schema=versions.VERSION_SCHEMA)] + [v for s in scans for v in s.versions]
    seen_versions = (
        pl.concat(found_versions)
        .group_by("host", "component", "version")
        .agg(pl.col("first_seen").min())
        .sort("host", "component", "first_seen")
    )
    return ScanResult(
        events=events.sort("ts", "source", "line", nulls_last=True),
        sources=pl.DataFrame(rows, schema=SOURCE_SCHEMA).sort("source"),
        unmatched=unmatched.merge([u for s in scans for u in s.unmatched]),
        versions=seen_versions,
    )


def _scan_all(
    todo: list[Source], matcher: Matcher, opts: ScanOptions, on_source: Callable[[dict], None] | None
) -> list[SourceScan]:
    """Scan every source on a thread pool; a big plain file is read as byte ranges in parallel, then merged."""
    from loganalyzer.sources.split import SPLIT_BYTES, count_lines, numbered, plan

    share = sum(s.size or 0 for s in todo) // max(opts.workers, 1)
    split_bytes = min(SPLIT_BYTES, max(MIN_SPLIT_CHUNKS * opts.chunk_bytes, share))
    scans: list[SourceScan] = []

    def done(part: list[SourceScan]) -> None:
        scans.extend(part)
        for s in part:
            if on_source:
                on_source(s.row)

    with ThreadPoolExecutor(max_workers=opts.workers) as pool:
        planned = [(s, *plan(s, opts.chunk_bytes, split_bytes)) if opts.workers > 1 else (s, [s], None) for s in todo]
        whole = [pool.submit(scan_source, s, matcher, opts) for s, pieces, _ in planned if len(pieces) == 1]
        split = [
            (s, pieces, wrapper, [pool.submit(count_lines, p) for p in pieces[:-1]])
            for s, pieces, wrapper in planned
            if len(pieces) > 1
        ]
        ranged = []
        for source, pieces, wrapper, counts in split:
            got = [c.result() for c in counts]
            if any(c is None for c in got):  # a range could not be counted: read the file whole
                whole.append(pool.submit(scan_source, source, matcher, opts))
                continue
            ranges = [pool.submit(scan_source, p, matcher, opts) for p in numbered(pieces, got)]
            ranged.append((source, wrapper, ranges))
        for future in whole:
            done(future.result())
        for source, wrapper, ranges in ranged:
            done([merge_ranges(source, wrapper, [r.result()[0] for r in ranges])])
    return scans


def scan(
    paths: list[str],
    matcher: Matcher,
    opts: ScanOptions | None = None,
    on_source: Callable[[dict], None] | None = None,
    sources: list[Source] | None = None,
) -> ScanResult:
    """Read every file under ``paths`` (or the given ``sources``) into events and one row per source."""
    opts = opts or ScanOptions()
    found = discover(paths)
    todo = found.sources if sources is None else sources
    return combine(found.skipped, _scan_all(todo, matcher, opts, on_source))
