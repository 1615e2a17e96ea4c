"""The scan on a Dask cluster: sources listed here, read and matched on the workers, combined here.

Each worker opens its own files (paths the workers share, or remote URLs), so only source descriptions go
out and only the per-source results (polars frames, which pickle as Arrow IPC) come back. The matcher travels
inside each task, so no task depends on data a dying worker holds. Small files travel in batches; a big plain
file is cut into byte ranges at the Reader's own chunk boundaries (:mod:`loganalyzer.sources.split`), their
line numbers counted on the workers first, so the result is the one a local :func:`loganalyzer.scan.scan`
gives. Grouping, correlation and outputs stay on the client (the rest of ``analysis.run``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from loganalyzer.scan import MIN_SPLIT_CHUNKS, ScanOptions, ScanResult, SourceScan, combine, merge_ranges, scan_source
from loganalyzer.sources import Source, discover
from loganalyzer.sources.discover import FileOpener, StdinOpener

if TYPE_CHECKING:
    from loganalyzer.matching import Matcher

INSTALL_HINT = "pip install 'loganalyzer[dask]'"
CONNECT_TIMEOUT_S = 10  # also how long a lost scheduler is waited for
RETRIES = 2  # a task that raised is run again; a task on a worker that died is rescheduled by the scheduler
BATCH_BYTES = 64 * 1024 * 1024
BATCH_FILES = 64
TASKS_PER_THREAD = 4  # small files are batched into about this many tasks per worker thread


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


def _plan(
    todo: list[Source], opts: ScanOptions, split_bytes: int, threads: int
) -> tuple[list[list[tuple[int, Source]]], dict[int, tuple[list[Source], str]]]:
    """Batches of whole sources, and the byte ranges (with their wrapper) of the files worth splitting."""
    from loganalyzer.sources.split import plan

    unsplit: list[tuple[int, Source]] = []
    splits: dict[int, tuple[list[Source], str]] = {}
    for i, source in enumerate(todo):
        if isinstance(source.opener, StdinOpener):
            continue  # the client's standard input: read by the client
        source = _portable(source)
        pieces, wrapper = plan(source, opts.chunk_bytes, split_bytes)
        if wrapper is None:
            unsplit.append((i, source))
        else:
            splits[i] = (pieces, wrapper)
    return _batches(unsplit, threads), splits


def _run(
    client: Any,
    distributed: Any,
    todo: list[Source],
    matcher: Matcher,
    opts: ScanOptions,
    split_bytes: int | None,
    on_source: Callable[[dict], None],
) -> list[list[SourceScan] | None]:
    """Per source (in order): its results, computed on the cluster (None for those left to the client)."""
    from loganalyzer.sources.split import SPLIT_BYTES, count_lines, numbered

    threads = sum(w.get("nthreads", 1) for w in client.scheduler_info().get("workers", {}).values()) or 1
    if not split_bytes:  # about one range per thread, between a few chunks and SPLIT_BYTES
        share = sum(s.size or 0 for s in todo) // threads
        split_bytes = min(SPLIT_BYTES, max(MIN_SPLIT_CHUNKS * opts.chunk_bytes, share))
    batches, splits = _plan(todo, opts, split_bytes, threads)
    results: list[list[SourceScan] | None] = [None] * len(todo)
    what: dict[Any, tuple] = {}  # future -> what it computes

    def submit(sources: list[Source], *key: Any) -> Any:
        # the matcher travels inside each task (about 0.7 MB): a task then depends on nothing a dying worker
        # could take with it, so Dask can always run it again elsewhere
        fut = client.submit(_scan_batch, sources, matcher, opts, retries=RETRIES, pure=False)
        what[fut] = key
        return fut

    def finish(i: int, scans: list[SourceScan]) -> None:
        results[i] = scans
        for s in scans:
            on_source(s.row)

    for batch in batches:
        submit([s for _, s in batch], "batch", [i for i, _ in batch])
    counts: dict[int, list[int | None]] = {}
    for i, (pieces, _) in splits.items():
        counts[i] = [None] * (len(pieces) - 1)
        for k, piece in enumerate(pieces[:-1]):
            what[client.submit(count_lines, piece, retries=RETRIES, pure=False, priority=10)] = ("count", i, k)
    left = {i: len(c) for i, c in counts.items()}
    parts: dict[int, list[SourceScan | None]] = {i: [None] * len(p) for i, (p, _) in splits.items()}
    done = distributed.as_completed(list(what), loop=client.loop, with_results=True)
    for fut, value in done:
        if isinstance(value, BaseException):  # cancelled: the scheduler went away
            raise value
        kind, *key = what.pop(fut)
        if kind == "batch":
            for i, scans in zip(key[0], value, strict=True):
                finish(i, scans)
        elif kind == "count":
            i, k = key
            counts[i][k] = value
            left[i] -= 1
            if left[i]:
                continue
            pieces = splits[i][0]
            if any(c is None for c in counts[i]):  # a range could not be counted: read the file whole
                del parts[i]
                done.add(submit([_portable(todo[i])], "batch", [i]))
                continue
            for k, piece in enumerate(numbered(pieces, counts[i])):  # type: ignore[arg-type]
                done.add(submit([piece], "piece", i, k))
        else:
            i, k = key
            parts[i][k] = value[0][0]
            if all(p is not None for p in parts[i]):
                got: list[SourceScan] = parts.pop(i)  # type: ignore[assignment]
                finish(i, [merge_ranges(todo[i], splits[i][1], got)])
    return results


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


@contextlib.contextmanager
def _quiet_dask_logs() -> Iterator[None]:
    """Dask's client logs tracebacks when the scheduler goes away; the error is reported once, by us."""
    names = ["distributed", *(n for n in logging.root.manager.loggerDict if n.startswith("distributed."))]
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def scan_on_cluster(
    paths: list[str],
    matcher: Matcher,
    opts: ScanOptions,
    address: str,
    *,
    on_source: Callable[[dict], None] | None = None,
    sources: list[Source] | None = None,
    split_bytes: int | None = None,
) -> ScanResult:
    """What :func:`loganalyzer.scan.scan` returns, computed on the Dask cluster at ``address``.

    ``on_source`` gets each source's row as its result arrives and ``sources`` replaces the discovered ones,
    as in ``scan``; ``split_bytes`` is the size of the byte ranges big plain files are cut into
    (default: the input's share per worker thread, within 4 chunks and 256 MiB). Standard input is read
    here. Raises :class:`ClusterError`.
    """
    distributed = _distributed()
    found = discover(paths)
    todo = found.sources if sources is None else sources
    with _quiet_dask_logs():
        try:
            client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
        except Exception as exc:
            raise ClusterError(f"cannot reach the Dask scheduler at {address}: {_reason(exc)}") from None
        try:
            results = _run(client, distributed, todo, matcher, opts, split_bytes, on_source or (lambda row: None))
        except Exception as exc:
            raise ClusterError(f"the Dask cluster at {address} failed: {_reason(exc)}") from None
        finally:
            client.close()
    scans: list[SourceScan] = []
    for source, done in zip(todo, results, strict=True):
        if done is None:
            done = scan_source(source, matcher, opts)
            for s in done:
                if on_source:
                    on_source(s.row)
        scans += done
    return combine(found.skipped, scans)
