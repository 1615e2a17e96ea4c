"""Scanning on a Dask cluster gives the local result; a split file's byte ranges read like the whole file.

The cluster tests need the ``dask`` extra; they skip without it only outside CI.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from conftest import generate
from loganalyzer.sources import Source, discover
from loganalyzer.sources.decompress import decompressed
from loganalyzer.sources.read import Reader
from loganalyzer.sources.split import count_lines, numbered, plan

HAVE_DASK = importlib.util.find_spec("distributed") is not None
needs_dask = pytest.mark.skipif(
    not HAVE_DASK and not os.environ.get("CI"), reason="needs the dask extra: pip install 'loganalyzer[dask]'"
)
CHUNK = 64 * 1024
ETCD = (
    '2021-06-09 11:10:13.022735 I | embed: rejected connection from "127.0.0.1:{port}" (error "tls: failed to '
    'verify client\'s certificate: x509: certificate specifies an incompatible key usage", ServerName "")'
)
PANIC = (
    "panic: runtime error: invalid memory address or nil pointer dereference\n"
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x9a3f2e]\n\n"
    "goroutine 187 [running]:\ngo.etcd.io/etcd/server/v3/etcdserver.(*EtcdServer).apply(0xc000)\n"
    "\t/go/src/go.etcd.io/etcd/server/etcdserver/server.go:1864 +0x4e\n"
)


def tricky_log(path: Path, lines: int = 9000, seed: int = 7, huge: bool = True) -> Path:
    """Matching lines, Go panics with their dumps, blank and CRLF lines, noise, and (``huge``) a 1.5 MiB line."""
    rng = random.Random(seed)
    out = []
    for i in range(lines):
        r = rng.random()
        if r < 0.03:
            out.append(PANIC)
        elif r < 0.06:
            out.append("\n")
        elif r < 0.09:
            out.append(ETCD.format(port=i) + "\r\n")
        elif r < 0.5:
            out.append(ETCD.format(port=i) + " " * rng.randint(0, 300) + "\n")
        else:
            out.append(f"2021-06-09 11:10:13.022735 I | etcdserver: noise {i} " + "x" * rng.randint(0, 400) + "\n")
        if huge and i == lines * 2 // 5:
            out.append("2021-06-09 11:10:13.022735 W | huge " + "y" * (3 * 1024 * 1024 // 2) + "\n")
    path.write_text("".join(out))
    return path


def file_source(path: Path) -> Source:
    return discover([str(path)]).sources[0]


def read_frames(source: Source) -> tuple[list[pl.DataFrame], Reader]:
    with source.opener() as raw:
        stream, _ = decompressed(raw)
        reader = Reader(source, CHUNK)
        return list(reader.frames(stream)), reader


def split_pieces(source: Source, split: int) -> list[Source]:
    pieces, wrapper = plan(source, CHUNK, split)
    assert wrapper is not None
    return numbered(pieces, [count_lines(p) for p in pieces[:-1]])


# --- byte ranges, without a cluster -------------------------------------------------------------------------------


def test_reader_reads_only_its_byte_range(tmp_path):
    path = tmp_path / "a.log"
    path.write_bytes(b"a\nbb\nccc\nd\n")
    src = file_source(path)
    frames, reader = read_frames(Source(src.name, src.path, src.opener, resume_bytes=2, resume_lines=1, end_bytes=9))
    assert pl.concat(frames).rows() == [(2, "bb"), (3, "ccc")]
    assert (reader.stats.bytes, reader.stats.lines) == (7, 2)


def test_ranges_read_like_the_whole_file(tmp_path):
    src = file_source(tricky_log(tmp_path / "etcd.log"))
    whole, whole_reader = read_frames(src)
    pieces = split_pieces(src, 256 * 1024)
    assert len(pieces) >= 5
    assert [p.end_bytes for p in pieces[:-1]] == [p.resume_bytes for p in pieces[1:]]
    frames: list[pl.DataFrame] = []
    stats = []
    for piece in pieces:
        got, reader = read_frames(piece)
        frames += got
        stats.append(reader.stats)
    assert len(frames) == len(whole)
    assert all(a.equals(b) for a, b in zip(frames, whole, strict=True))
    assert sum(s.bytes for s in stats) == whole_reader.stats.bytes
    assert sum(s.lines for s in stats) == whole_reader.stats.lines
    assert [n for s in stats for n in s.notes or []] == whole_reader.stats.notes  # the cut 1.5 MiB line


def test_ranges_start_only_where_the_wrapper_sniffs_the_same(tmp_path):
    plain = "".join(ETCD.format(port=i) + "\n" for i in range(3000))
    docker = "".join(
        '{"log":"' + ETCD.format(port=i).replace('"', '\\"') + '\\n","stream":"stderr",'
        '"time":"2021-06-09T11:10:13.022735Z"}\n'
        for i in range(3000)
    )
    path = tmp_path / "mixed.log"
    path.write_text(plain + docker)
    pieces, wrapper = plan(file_source(path), CHUNK, 128 * 1024)
    assert wrapper == "plain"
    assert len(pieces) >= 3
    assert all(p.resume_bytes < len(plain) for p in pieces)


@pytest.mark.parametrize("huge", [False, True])
def test_merged_range_scans_equal_the_whole_scan(tmp_path, catalogue, huge):
    from loganalyzer.matching import Matcher
    from loganalyzer.scan import ScanOptions, merge_ranges, scan_source

    matcher, opts = Matcher(catalogue), ScanOptions(chunk_bytes=CHUNK)
    src = file_source(tricky_log(tmp_path / "etcd.log", huge=huge))
    [whole] = scan_source(src, matcher, opts)
    parts = [scan_source(p, matcher, opts)[0] for p in split_pieces(src, 256 * 1024)]
    merged = merge_ranges(src, "plain", parts)
    assert merged.events.equals(whole.events)
    assert whole.events.filter(pl.col("message").str.contains("goroutine 187")).height > 10  # panics with dumps
    assert (merged.row, merged.read_bytes, merged.digest) == (whole.row, whole.read_bytes, whole.digest)


def test_compressed_small_and_stdin_sources_are_not_split(tmp_path):
    big = tricky_log(tmp_path / "etcd.log", lines=3000)
    (tmp_path / "etcd.log.gz").write_bytes(gzip.compress(big.read_bytes()))
    assert plan(file_source(tmp_path / "etcd.log.gz"), CHUNK, 128 * 1024)[1] is None
    assert plan(file_source(big), CHUNK, 64 * 1024 * 1024)[1] is None
    assert plan(Source("-", None, lambda: sys.stdin.buffer), CHUNK, 1)[1] is None


def test_missing_extra_is_one_line_and_exit_2(tmp_path):
    (tmp_path / "a.log").write_text(ETCD.format(port=1) + "\n")
    code = (
        "import sys; sys.modules['distributed'] = None; from loganalyzer.cli import main; "
        f"sys.argv = ['loganalyzer', 'analyze', {str(tmp_path)!r}, '--out', {str(tmp_path / 'out')!r}, "
        "'--dask-scheduler', 'tcp://127.0.0.1:1']; main()"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "loganalyzer: running on a Dask cluster needs the dask extra: pip install 'loganalyzer[dask]'"
    ]


# --- an in-process LocalCluster -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(processes=True, n_workers=2, threads_per_worker=1, dashboard_address=None) as local:
        yield local.scheduler_address


def same_scan(a, b) -> None:
    for name in ("events", "sources", "unmatched", "versions"):
        assert getattr(a, name).equals(getattr(b, name)), name


def same_analysis(a, b) -> None:
    assert a.events.sort("source", "line", "signature_id").equals(b.events.sort("source", "line", "signature_id"))
    assert a.incidents.sort("incident_id").equals(b.incidents.sort("incident_id"))
    for name in ("sources", "unmatched", "hosts"):
        assert getattr(a, name).equals(getattr(b, name)), name


@needs_dask
def test_analysis_on_cluster_equals_local(cluster, plain_bundle, plain_analysis, catalogue):
    from loganalyzer import analysis

    logs, _ = plain_bundle
    remote = analysis.run([str(logs)], analysis.Options(dask_scheduler=cluster), catalogue)
    assert remote.incidents.height > 0
    same_analysis(plain_analysis, remote)


@needs_dask
def test_split_files_on_cluster_equal_local(cluster, plain_bundle, tmp_path, catalogue, monkeypatch):
    from loganalyzer import distributed as dist
    from loganalyzer.matching import Matcher
    from loganalyzer.scan import ScanOptions, scan

    merged: list[object] = []
    merge = dist.merge_ranges
    monkeypatch.setattr(dist, "merge_ranges", lambda *args: merged.append(args) or merge(*args))

    logs, _ = plain_bundle
    tricky = tricky_log(tmp_path / "etcd.log", lines=4000, huge=False)
    assert len(split_pieces(file_source(tricky), 128 * 1024)) >= 5
    (tmp_path / "etcd.log.gz").write_bytes(gzip.compress(tricky.read_bytes()))  # a copy: counted once
    huge = tricky_log(tmp_path / "huge.log", lines=4000, seed=8)  # a long line cut in a range after the first
    wrapped = [
        sorted(logs.glob(pattern))[0]
        for pattern in ("apisix/*/logs/error.log", "k8s/pods/*/*/0.log", "docker/containers/*/*-json.log*")
    ]
    assert [plan(file_source(f), CHUNK, 128 * 1024)[1] for f in wrapped] == ["plain", "cri", "docker_json"]
    paths = [*map(str, wrapped), str(tricky), str(tmp_path / "etcd.log.gz"), str(huge)]
    matcher, opts = Matcher(catalogue), ScanOptions(chunk_bytes=CHUNK)
    local = scan(paths, matcher, opts)
    assert local.sources.filter(pl.col("source") == "etcd.log")["events"].item() > 1000
    assert "duplicate of etcd.log" in local.sources.filter(pl.col("source") == "etcd.log.gz")["error"].item()
    same_scan(local, dist.scan_on_cluster(paths, matcher, opts, cluster, split_bytes=128 * 1024))
    assert len(merged) == 5  # every split file's ranges merged into one result


@needs_dask
def test_unreadable_source_reported_as_locally(cluster, tmp_path, catalogue, monkeypatch):
    from loganalyzer.distributed import scan_on_cluster
    from loganalyzer.matching import Matcher
    from loganalyzer.scan import ScanOptions, scan

    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "a.log").write_text(ETCD.format(port=1) + "\n")
    (tmp_path / "logs" / "gone.log").write_text(ETCD.format(port=2) + "\n")
    monkeypatch.chdir(tmp_path)  # relative paths: the workers do not share the client's directory
    sources = discover(["logs"]).sources
    (tmp_path / "logs" / "gone.log").unlink()
    matcher = Matcher(catalogue)
    local = scan(["logs"], matcher, ScanOptions(), sources=sources)
    rows: list[dict] = []
    remote = scan_on_cluster(["logs"], matcher, ScanOptions(), cluster, sources=sources, on_source=rows.append)
    same_scan(local, remote)
    assert sorted(r["source"] for r in rows) == ["a.log", "gone.log"]
    assert remote.sources.filter(pl.col("source") == "gone.log")["status"].item() == "error"
    assert remote.events["source"].to_list() == ["a.log"]


@needs_dask
def test_unreachable_scheduler_is_a_cluster_error(tmp_path, catalogue, monkeypatch):
    from loganalyzer import distributed as dist
    from loganalyzer.matching import Matcher
    from loganalyzer.scan import ScanOptions

    monkeypatch.setattr(dist, "CONNECT_TIMEOUT_S", 1)
    address = f"tcp://127.0.0.1:{free_port()}"
    with pytest.raises(dist.ClusterError, match="cannot reach the Dask scheduler at " + address):
        dist.scan_on_cluster([str(tmp_path)], Matcher(catalogue), ScanOptions(), address)


# --- `dask scheduler` and two `dask worker` processes, and the CLI -------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DaskProcesses:
    """A scheduler and two workers on loopback, started as the docs say, always stopped."""

    def __init__(self, logs: Path):
        self.address = f"tcp://127.0.0.1:{free_port()}"
        self.logs = logs
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str) -> None:
        with open(self.logs / f"{name}.log", "wb") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "dask", *args, "--no-dashboard"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        """Workers first: a worker whose scheduler is gone waits for it before it exits."""
        for proc in sorted(self.procs.values(), key=lambda p: p is self.procs.get("scheduler")):
            if proc.poll() is None:
                proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def dask_processes(tmp_path_factory):
    from distributed import Client

    cluster = DaskProcesses(tmp_path_factory.mktemp("dask-logs"))
    client = None
    try:
        cluster.start("scheduler", "scheduler", "--host", "127.0.0.1", "--port", cluster.address.rsplit(":", 1)[1])
        for name in ("w1", "w2"):
            cluster.start(
                name, "worker", cluster.address, "--name", name, "--no-nanny", "--nthreads", "1", "--host", "127.0.0.1"
            )
        client = Client(cluster.address, timeout=60, set_as_default=False)
        client.wait_for_workers(2, timeout=60)
        yield cluster, client
    finally:
        if client is not None:
            client.close()
        cluster.stop()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("dask-bundle")
    generate(out, 4, plain=True)
    return out / "logs"


def run_cli(logs: Path, out: Path, *extra: str, scheduler_env: str | None = None, wait: bool = True):
    """The CLI in a subprocess; ``DASK_SCHEDULER_ADDRESS`` is ``scheduler_env`` (unset if None)."""
    env = {k: v for k, v in os.environ.items() if k != "DASK_SCHEDULER_ADDRESS"}
    if scheduler_env:
        env["DASK_SCHEDULER_ADDRESS"] = scheduler_env
    args = [
        sys.executable,
        "-m",
        "loganalyzer",
        "analyze",
        str(logs),
        "--out",
        str(out),
        "--format",
        "parquet",
        "--quiet",
        *extra,
    ]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    if wait:
        proc.communicate(timeout=300)
    return proc


def tables(out: Path) -> dict[str, pl.DataFrame]:
    keys = {"events": ["source", "line", "signature_id"], "incidents": ["incident_id"], "sources": ["source"]}
    return {name: pl.read_parquet(out / f"{name}.parquet").sort(key) for name, key in keys.items()}


@pytest.fixture(scope="module")
def local_tables(bundle, tmp_path_factory):
    out = tmp_path_factory.mktemp("dask-local-out")
    assert run_cli(bundle, out).returncode == 0
    return tables(out)


def assert_same_tables(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    assert a["incidents"].height > 0
    for name in a:
        assert a[name].equals(b[name]), name


@needs_dask
def test_cli_on_dask_processes_equals_local(dask_processes, bundle, local_tables, tmp_path):
    cluster, _ = dask_processes
    proc = run_cli(bundle, tmp_path / "flag", "--dask-scheduler", cluster.address)
    assert proc.returncode == 0, proc.stderr
    assert_same_tables(local_tables, tables(tmp_path / "flag"))
    proc = run_cli(bundle, tmp_path / "env", scheduler_env=cluster.address)
    assert proc.returncode == 0, proc.stderr
    assert_same_tables(local_tables, tables(tmp_path / "env"))


@needs_dask
def test_cli_survives_a_worker_killed_mid_run(dask_processes, bundle, local_tables, tmp_path):
    cluster, client = dask_processes

    def busy(dask_scheduler):
        return {ws.name: len(ws.processing) for ws in dask_scheduler.workers.values()}

    proc = run_cli(bundle, tmp_path / "out", "--dask-scheduler", cluster.address, wait=False)
    killed = False
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline:
        if client.run_on_scheduler(busy).get("w1"):
            cluster.procs["w1"].kill()
            killed = True
            break
        time.sleep(0.005)
    _, stderr = proc.communicate(timeout=300)
    assert killed, "the run ended before worker w1 got a task"
    assert proc.returncode == 0, stderr
    assert "w1" not in {w["name"] for w in client.scheduler_info()["workers"].values()}
    assert_same_tables(local_tables, tables(tmp_path / "out"))
