"""Object storage as input, against a real S3 API (moto's server on loopback) and a local HTTP server."""

from __future__ import annotations

import functools
import gzip
import http.server
import importlib.util
import io
import json
import logging
import os
import pickle
import socket
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import polars as pl
import pytest

from conftest import tar_bytes


def installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


EXTRA = all(installed(m) for m in ("fsspec", "s3fs", "moto"))
needs_extra = pytest.mark.skipif(
    not EXTRA and os.environ.get("CI") != "true", reason="the s3 extra is not installed: pip install '.[s3,test]'"
)

EKU = (
    '2021-06-09 11:10:13.022735 I | embed: rejected connection from "127.0.0.1:50898" (error "tls: failed to '
    'verify client\'s certificate: x509: certificate specifies an incompatible key usage", ServerName "")'
)
SIG = "etcd.tls_incompatible_key_usage"
BUCKET = "logs-bucket"
BIG_LINES = 40_000  # ~2.4 MB: read across several growing ranged requests


def body(n_noise: int) -> bytes:
    return ("2021-06-09 11:10:12.000000 I | etcdserver: noise\n" * n_noise + EKU + "\n").encode()


def stored_zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


OBJECTS = {
    "incident-42/etcd-1/etcd.log": body(2),  # line 3
    "incident-42/etcd-2/etcd.log.gz": gzip.compress(body(1)),  # line 2
    "incident-42/bundle.tar.gz": tar_bytes({"etcd-3/etcd.log": body(3)}, "w:gz"),  # line 4
    "incident-42/z.zip": stored_zip({"m/etcd.log": body(4)}),  # line 5, read by seeking
    "incident-42/big/etcd.log": body(BIG_LINES),  # line 40001
    "other/etcd.log": body(0),  # outside the prefix: never read
}
EXPECTED = [
    ("big/etcd.log", BIG_LINES + 1),
    ("bundle.tar.gz!etcd-3/etcd.log", 4),
    ("etcd-1/etcd.log", 3),
    ("etcd-2/etcd.log.gz", 2),
    ("z.zip!m/etcd.log", 5),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def s3_env(endpoint: str) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
    }


@pytest.fixture(scope="module")
def s3():
    """A moto S3 server on loopback with the objects above; boto pointed at it through the environment."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = s3_env(f"http://127.0.0.1:{port}")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        import s3fs

        s3fs.S3FileSystem.clear_instance_cache()  # an instance made earlier would keep its endpoint
        fs = s3fs.S3FileSystem()
        fs.mkdir(BUCKET)
        fs.mkdir("empty-bucket")
        for key, data in OBJECTS.items():
            fs.pipe(f"{BUCKET}/{key}", data)
        yield env
        s3fs.S3FileSystem.clear_instance_cache()
    server.stop()


def hits(events: pl.DataFrame) -> list[tuple[str, int]]:
    return sorted(events.filter(pl.col("signature_id") == SIG).select("source", "line").rows())


@needs_extra
def test_prefix_is_listed_recursively_with_sizes_and_picklable_openers(s3):
    from loganalyzer.sources import discover

    found = discover([f"s3://{BUCKET}/incident-42"])
    assert not found.skipped
    names = [s.name for s in found.sources]
    assert names == sorted(k.removeprefix("incident-42/") for k in OBJECTS if k.startswith("incident-42/"))
    source = found.sources[names.index("etcd-1/etcd.log")]
    assert source.path is None and source.size == len(OBJECTS["incident-42/etcd-1/etcd.log"])
    assert source.mtime and source.mtime > 1.6e9
    opener = pickle.loads(pickle.dumps(source.opener))
    with opener() as f:
        assert f.read() == OBJECTS["incident-42/etcd-1/etcd.log"]
    big = found.sources[names.index("big/etcd.log")]
    with big.opener() as f:  # seeks and reads across the growing ranged requests
        f.seek(-len(EKU) - 1, io.SEEK_END)
        assert f.read().decode().strip() == EKU
        f.seek(100)
        assert f.read(300 * 1024) == OBJECTS["incident-42/big/etcd.log"][100 : 100 + 300 * 1024]


@needs_extra
def test_an_object_deleted_while_read_raises_an_os_error(s3):
    import s3fs

    from loganalyzer.sources.remote import discover_remote

    s3fs.S3FileSystem().pipe(f"{BUCKET}/vanishing/etcd.log", body(10_000))
    (source,) = discover_remote(f"s3://{BUCKET}/vanishing/etcd.log").sources
    with source.opener() as f:
        assert f.read(1000).startswith(b"2021-06-09")
        s3fs.S3FileSystem().rm(f"{BUCKET}/vanishing/etcd.log")
        with pytest.raises(OSError):  # what the Reader reports as a partial read
            f.read()
    with pytest.raises(OSError, match="not found"):
        source.opener()


@needs_extra
def test_one_object_a_trailing_slash_and_globs(s3):
    from loganalyzer.sources.remote import discover_remote

    one = discover_remote(f"s3://{BUCKET}/incident-42/etcd-1/etcd.log")
    assert [s.name for s in one.sources] == ["etcd.log"]
    slash = discover_remote(f"s3://{BUCKET}/incident-42/etcd-2/")
    assert [s.name for s in slash.sources] == ["etcd.log.gz"]
    glob = discover_remote(f"s3://{BUCKET}/incident-42/etcd-*/*")
    assert [s.name for s in glob.sources] == ["etcd-1/etcd.log", "etcd-2/etcd.log.gz"]
    dirs = discover_remote(f"s3://{BUCKET}/incident-42/[be]*")
    assert [s.name for s in dirs.sources] == ["big/etcd.log", "bundle.tar.gz", "etcd-1/etcd.log", "etcd-2/etcd.log.gz"]
    none = discover_remote(f"s3://{BUCKET}/incident-42/*.nothing")
    assert not none.sources and none.skipped[0].status == "error"


@needs_extra
def test_missing_bucket_prefix_and_empty_bucket_are_rows_not_crashes(s3):
    from loganalyzer.sources.remote import discover_remote

    bucket = discover_remote("s3://no-such-bucket/logs")
    assert not bucket.sources
    assert bucket.skipped[0].status == "error" and "no such bucket" in bucket.skipped[0].reason
    prefix = discover_remote(f"s3://{BUCKET}/no-such-prefix")
    assert prefix.skipped[0].status == "error" and "not found" in prefix.skipped[0].reason
    empty = discover_remote("s3://empty-bucket")
    assert empty.skipped[0].status == "skipped" and "empty" in empty.skipped[0].reason


@needs_extra
def test_access_denied_is_a_row_not_a_crash(s3, monkeypatch):
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    from loganalyzer.sources.remote import discover_remote

    monkeypatch.setattr(settings, "INITIAL_NO_AUTH_ACTION_COUNT", 0)  # the server now checks the (unknown) key
    monkeypatch.setattr(ActionAuthenticatorMixin, "request_count", 0)
    denied = discover_remote(f"s3://{BUCKET}/incident-42")
    assert not denied.sources
    assert denied.skipped[0].status == "error" and denied.skipped[0].reason.startswith("access denied")


@needs_extra
def test_analysis_reads_plain_gzip_and_archived_objects(s3, catalogue):
    from loganalyzer import analysis

    result = analysis.run([f"s3://{BUCKET}/incident-42", "s3://no-such-bucket/x"], analysis.Options(), catalogue)
    assert hits(result.events) == EXPECTED
    hosts = dict(result.events.filter(pl.col("signature_id") == SIG).select("source", "host").rows())
    assert hosts["etcd-1/etcd.log"] == "etcd-1" and hosts["bundle.tar.gz!etcd-3/etcd.log"] == "etcd-3"
    rows = {r["source"]: r for r in result.sources.iter_rows(named=True)}
    assert rows["etcd-2/etcd.log.gz"]["status"] == "ok" and rows["etcd-2/etcd.log.gz"]["format"].startswith("gzip")
    assert rows["big/etcd.log"]["lines"] == BIG_LINES + 1
    assert rows["s3://no-such-bucket/x"]["status"] == "error"
    assert not any(name.startswith("other") for name in rows)


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "loganalyzer", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
    )


@needs_extra
def test_cli_with_boto_environment_and_a_missing_bucket(s3, tmp_path):
    out = tmp_path / "out"
    proc = run_cli(
        [
            "analyze",
            f"s3://{BUCKET}/incident-42",
            "s3://no-such-bucket/logs",
            "--out",
            str(out),
            "--format",
            "jsonl",
            "--quiet",
        ],
        s3,
        tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "s3://no-such-bucket/logs: error: no such bucket" in proc.stderr
    events = [json.loads(line) for line in (out / "events.jsonl").read_text().splitlines()]
    assert sorted((e["source"], e["line"]) for e in events if e["signature_id"] == SIG) == EXPECTED


@needs_extra
def test_cli_unreachable_endpoint_exits_3_with_the_reason(tmp_path):
    env = {**s3_env(f"http://127.0.0.1:{free_port()}"), "AWS_MAX_ATTEMPTS": "1"}
    proc = run_cli(["analyze", "s3://bucket/logs", "--out", str(tmp_path / "out"), "--quiet"], env, tmp_path)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "s3://bucket/logs: error: cannot reach the storage service" in proc.stderr


def test_without_the_extra_the_message_names_the_package_and_the_install_command(tmp_path):
    code = (
        "import sys; sys.modules[sys.argv[1]] = None\n"
        "from loganalyzer.sources.remote import discover_remote\n"
        "print(discover_remote('s3://bucket/logs').skipped[0].reason)"
    )
    for missing in ("s3fs", "fsspec"):
        proc = subprocess.run([sys.executable, "-c", code, missing], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert "s3fs" in proc.stdout and "pip install 'loganalyzer[s3]'" in proc.stdout, proc.stdout


@needs_extra
def test_https_style_url_reads_one_object_streamed(tmp_path, catalogue):
    from loganalyzer.matching import Matcher
    from loganalyzer.scan import scan

    (tmp_path / "etcd.log.gz").write_bytes(gzip.compress(body(6)))
    handler = functools.partial(QuietHandler, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/etcd.log.gz"
        result = scan([url, url + ".missing"], Matcher(catalogue))
    finally:
        server.shutdown()
        server.server_close()
    assert hits(result.events) == [("etcd.log.gz", 7)]
    missing = result.sources.filter(pl.col("source") == url + ".missing").row(0, named=True)
    assert missing["status"] == "error" and "not found" in missing["error"]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass
