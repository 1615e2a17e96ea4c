"""The scan on a Dask cluster: sources listed here, read and matched on the workers, combined here.

Each worker opens its own files (paths the workers share, or remote URLs), so only source descriptions go
out and only the per-source results (polars frames, pickled as compact Arrow IPC) come back. The matcher
is scattered once to every worker. Small files travel in batches; a big plain file is cut into byte
ranges at the Reader's own chunk boundaries (:mod:`loganalyzer.sources.split`), their line numbers counted
on the workers first, so the result is the one a local :func:`loganalyzer.scan.scan` gives. Grouping,
correlation and outputs stay on the client (the rest of ``analysis.run``).
"""

from __future__ import annotations

import dataclasses
import os
import sys
from typing import TYPE_CHECKING, Any

from loganalyzer.scan import ScanOptions, ScanResult, SourceScan, combine, scan_source
from loganalyzer.sources import Source, discover
from loganalyzer.sources.discover import FileOpener, StdinOpener

if TYPE_CHECKING:
    from loganalyzer.matching import Matcher

INSTALL_HINT = "pip install 'loganalyzer[dask]'"
CONNECT_TIMEOUT_S = 15
RETRIES = 2  # a task that raised is run again; a task on a worker that died is rescheduled by the scheduler
BATCH_BYTES = 64 * 1024 * 1024
BATCH_FILES = 64
TASKS_PER_THREAD = 4  # small files are batched into about this many tasks per worker thread
STATUS_ORDER = ("ok", "skipped", "partial", "error")


class ClusterError(RuntimeError):
    """The cluster could not be used: the extra is missing, the scheduler is unreachable, or it failed."""


def _distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise ClusterError(f"running on a Dask cluster needs the dask extra: {INSTALL_HINT}") from None
    return distributed


def _portable(source: Source) -> Source:
    """``source`` as a worker can open it: local paths made absolute."""
    if isinstance(source.opener, FileOpener) and not os.path.isabs(source.opener.path):
        path = os.path.abspath(source.opener.path)
        return dataclasses.replace(source, opener=FileOpener(path), path=source.path and source.path.absolute())
    return source


def _batches(sources: list[tuple[int, Source]], threads: int) -> list[list[tuple[int, Source]]]:
    """Consecutive sources grouped so that there are a few tasks per worker thread, none too big."""
    total = sum(s.size or 0 for _, s in sources)
    budget = min(BATCH_BYTES, max(1, total // max(1, threads * TASKS_PER_THREAD)))
    out: list[list[tuple[int, Source]]] = []
    size = 0
    for item in sources:
        if not out or size >= budget or len(out[-1]) >= BATCH_FILES:
            out.append([])
            size = 0
        out[-1].append(item)
        size += item[1].size or 0
    return out


def _scan_batch(sources: list[Source], matcher: Matcher, opts: ScanOptions) -> list[list[SourceScan]]:
    """Worker side: scan each source (failures are rows, as locally)."""
    return [scan_source(s, matcher, opts) for s in sources]


def _count_lines(piece: Source) -> int | None:
    """Worker side: the lines in a byte range, to number the next ranges."""
    from loganalyzer.sources.split import count_lines

    return count_lines(piece)


def _digest(parts: list[SourceScan]) -> tuple[int, int] | None:
    """The (CRC-32, bytes) of consecutive ranges read as one."""
    from loganalyzer.sources.split import crc32_combine

    if any(p.digest is None for p in parts):
        return None
    crc, size = parts[0].digest  # type: ignore[misc]
    for p in parts[1:]:
        crc, size = crc32_combine(crc, p.digest[0], p.digest[1]), size + p.digest[1]  # type: ignore[index]
    return crc, size


def _mergeable(parts: list[SourceScan]) -> bool:
    """False when a range after the first cut a long line: its digest covers fewer bytes than it read."""
    return not any("longer than 1 MiB" in (p.row["note"] or "") for p in parts[1:])


def _merge(source: Source, wrapper: str, parts: list[SourceScan]) -> SourceScan:
    """One result for a file read as byte ranges, as reading it whole gives."""
    import polars as pl

    events = pl.concat([p.events for p in parts])
    inner = sorted(events["format"].str.split("/").list.last().unique().to_list()) if events.height else []
    fmt: str | None = wrapper
    if inner:
        fmt = "+".join(inner) if wrapper == "plain" else f"{wrapper}/{'+'.join(inner)}"
    if all(p.row["format"] is None for p in parts):
        fmt = None
    notes = [p.row["note"] for p in parts if p.row["note"]]
    row = {
        "source": source.name, "format": fmt,
        "bytes": sum(p.row["bytes"] for p in parts), "lines": sum(p.row["lines"] for p in parts),
        "events": events.height, "status": max((p.row["status"] for p in parts), key=STATUS_ORDER.index),
        "error": next((p.row["error"] for p in parts if p.row["error"]), None),
        "note": "; ".join(notes) if notes else None,
    }
    return SourceScan(events=events, row=row, unmatched=[u for p in parts for u in p.unmatched],
                      versions=[v for p in parts for v in p.versions], read_bytes=parts[-1].read_bytes,
                      digest=_digest(parts))


class _Progress:
    """A rich bar on stderr counting finished tasks; does nothing when off."""

    def __init__(self, enabled: bool, total: int):
        self.bar = None
        if enabled and total:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("scanning on the cluster"), BarColumn(), MofNCompleteColumn(),
                                TimeElapsedColumn(), console=Console(stderr=True), transient=True)
            self.task = self.bar.add_task("scan", total=total)
            self.bar.start()

    def advance(self) -> None:
        if self.bar:
            self.bar.advance(self.task)

    def more(self) -> None:
        if self.bar:
            self.bar.update(self.task, total=(self.bar.tasks[0].total or 0) + 1)

    def stop(self) -> None:
        if self.bar:
            self.bar.stop()


def _run(client: Any, distributed: Any, todo: list[Source], matcher: Matcher, opts: ScanOptions,
         split_bytes: int, progress: bool) -> list[list[SourceScan] | None]:
    """Per source (in order): its results, computed on the cluster (None for those left to the client)."""
    from loganalyzer.sources.split import numbered, plan

    results: list[list[SourceScan] | None] = [None] * len(todo)
    whole: list[tuple[int, Source]] = []
    splits: dict[int, tuple[list[Source], str]] = {}
    for i, source in enumerate(todo):
        if isinstance(source.opener, StdinOpener):
            continue
        source = _portable(source)
        pieces, wrapper = plan(source, opts.chunk_bytes, split_bytes)
        if wrapper is None:
            whole.append((i, source))
        else:
            splits[i] = (pieces, wrapper)
    threads = sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values()) or 1
    batches = _batches(whole, threads)
    remote_matcher = client.scatter(matcher, broadcast=True, hash=False)
    what: dict[Any, tuple] = {}  # future -> what it computes
    for batch in batches:
        fut = client.submit(_scan_batch, [s for _, s in batch], remote_matcher, opts, retries=RETRIES, pure=False)
        what[fut] = ("batch", [i for i, _ in batch])
    counts: dict[int, list[int | None]] = {}
    for i, (pieces, _) in splits.items():
        counts[i] = [None] * (len(pieces) - 1)
        for k, piece in enumerate(pieces[:-1]):
            fut = client.submit(_count_lines, piece, retries=RETRIES, pure=False, priority=10)
            what[fut] = ("count", i, k)
    parts: dict[int, list[SourceScan | None]] = {i: [None] * len(p) for i, (p, _) in splits.items()}

    def whole(i: int) -> Any:
        fut = client.submit(_scan_batch, [_portable(todo[i])], remote_matcher, opts, retries=RETRIES, pure=False)
        what[fut] = ("batch", [i])
        return fut

    pending_counts = {i: len(c) for i, c in counts.items()}
    bar = _Progress(progress, len(what) + sum(len(p) for p, _ in splits.values()))
    try:
        done = distributed.as_completed(list(what), loop=client.loop, with_results=True)
        for fut, value in done:
            kind, *key = what.pop(fut)
            bar.advance()
            if kind == "batch":
                for i, scans in zip(key[0], value, strict=True):
                    results[i] = scans
            elif kind == "count":
                i, k = key
                counts[i][k] = value
                pending_counts[i] -= 1
                if pending_counts[i]:
                    continue
                pieces, _ = splits[i]
                if any(c is None for c in counts[i]):  # a range could not be counted: read the file whole
                    for _ in pieces[1:]:
                        bar.advance()
                    parts.pop(i)
                    done.add(whole(i))
                    continue
                for k, piece in enumerate(numbered(pieces, counts[i])):
                    fut = client.submit(_scan_batch, [piece], remote_matcher, opts, retries=RETRIES, pure=False)
                    what[fut] = ("piece", i, k)
                    done.add(fut)
            else:
                i, k = key
                parts[i][k] = value[0][0]
                if all(p is not None for p in parts[i]):
                    got: list[SourceScan] = parts.pop(i)  # type: ignore[assignment]
                    if _mergeable(got):
                        results[i] = [_merge(todo[i], splits[i][1], got)]
                    else:
                        bar.more()
                        done.add(whole(i))
    finally:
        bar.stop()
    return results


def scan_on_cluster(paths: list[str], matcher: Matcher, opts: ScanOptions, address: str, *,
                    sources: list[Source] | None = None, progress: bool | None = None,
                    split_bytes: int | None = None) -> ScanResult:
    """What :func:`loganalyzer.scan.scan` returns, computed on the Dask cluster at ``address``.

    ``sources`` replaces the discovered ones (as in ``scan``); ``progress`` shows a bar on stderr (default:
    when stderr is a terminal). Standard input is read here. Raises :class:`ClusterError`.
    """
    from loganalyzer.sources.split import SPLIT_BYTES

    distributed = _distributed()
    found = discover(paths)
    todo = found.sources if sources is None else sources
    if progress is None:
        progress = sys.stderr.isatty()
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except Exception as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        results = _run(client, distributed, todo, matcher, opts, split_bytes or SPLIT_BYTES, progress)
    except ClusterError:
        raise
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else ""
        raise ClusterError(f"the Dask cluster at {address} failed: {type(exc).__name__}: {reason}") from None
    finally:
        client.close()
    scans: list[SourceScan] = []
    for source, done in zip(todo, results, strict=True):
        scans += done if done is not None else scan_source(source, matcher, opts)
    return combine(found.skipped, scans)
