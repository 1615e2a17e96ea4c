"""Inputs as they arrive: archives, compressions, wrappers, multi-line events, stdin and hostile files."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import os
import subprocess
import sys
import zipfile

import polars as pl
import pytest
import zstandard

from conftest import tar_bytes
from loganalyzer.matching import Matcher
from loganalyzer.scan import scan

EKU = (
    '2021-06-09 11:10:13.022735 I | embed: rejected connection from "127.0.0.1:50898" (error "tls: failed to '
    'verify client\'s certificate: x509: certificate specifies an incompatible key usage", ServerName "")'
)
ZAP_EKU = (
    '{"level":"warn","ts":"2025-12-03T17:44:33.697480Z","caller":"embed/config_logging.go:194",'
    '"msg":"rejected connection on client endpoint","remote-addr":"127.0.0.1:34890","server-name":"",'
    '"error":"tls: failed to verify certificate: x509: certificate specifies an incompatible key usage"}'
)
SIG = "etcd.tls_incompatible_key_usage"


@pytest.fixture(scope="module")
def matcher(catalogue):
    return Matcher(catalogue)


def hits(result) -> list[tuple[str, int]]:
    return sorted(result.events.filter(pl.col("signature_id") == SIG).select("source", "line").rows())


def row(result, name):
    return result.sources.filter(pl.col("source") == name).row(0, named=True)


def body(n_noise: int = 2) -> bytes:
    return ("noise\n" * n_noise + EKU + "\n").encode()


def test_every_compression_by_content(tmp_path, matcher):
    (tmp_path / "a.gz").write_bytes(gzip.compress(body()) + gzip.compress(body(1)))  # concatenated members
    (tmp_path / "b.log").write_bytes(bz2.compress(body(3)))  # misnamed
    (tmp_path / "c.xz").write_bytes(lzma.compress(body(4)))
    (tmp_path / "d.zst").write_bytes(zstandard.ZstdCompressor().compress(body(5)))
    result = scan([str(tmp_path)], matcher)
    assert hits(result) == [("a.gz", 3), ("a.gz", 5), ("b.log", 4), ("c.xz", 5), ("d.zst", 6)]
    assert row(result, "d.zst")["format"].startswith("zstd:")


def test_archives_are_read_in_place_with_member_names(tmp_path, matcher):
    members = {"etcd-1/etcd.log": body(), "../../etc/evil.log": body(4), "/abs/x.log.gz": gzip.compress(body(1))}
    (tmp_path / "bundle.tar.gz").write_bytes(gzip.compress(tar_bytes(members)))
    (tmp_path / "bundle.tar.zst").write_bytes(zstandard.ZstdCompressor().compress(tar_bytes({"m.log": body(6)})))
    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("logs/etcd.log", body(3))
    (tmp_path / "z.zip").write_bytes(zbuf.getvalue())
    before = set(os.listdir(tmp_path))
    result = scan([str(tmp_path)], matcher)
    assert hits(result) == [
        ("bundle.tar.gz!../../etc/evil.log", 5),
        ("bundle.tar.gz!/abs/x.log.gz", 2),
        ("bundle.tar.gz!etcd-1/etcd.log", 3),
        ("bundle.tar.zst!m.log", 7),
        ("z.zip!logs/etcd.log", 4),
    ]
    assert set(os.listdir(tmp_path)) == before  # nothing extracted
    assert not (tmp_path.parent.parent / "etc" / "evil.log").exists()
    assert result.events.filter(pl.col("source") == "bundle.tar.gz!etcd-1/etcd.log")["host"].to_list() == ["etcd-1"]


def test_corrupt_tar_keeps_earlier_members(tmp_path, matcher):
    data = gzip.compress(tar_bytes({"a.log": body(), "b.log": body() * 2000}))
    (tmp_path / "cut.tgz").write_bytes(data[: int(len(data) * 0.6)])
    result = scan([str(tmp_path)], matcher)
    assert ("cut.tgz!a.log", 3) in hits(result)
    assert any(r["status"] in ("partial", "error") for r in result.sources.iter_rows(named=True))


def test_long_line_is_cut_and_noted(tmp_path, matcher):
    (tmp_path / "huge.log").write_bytes(b"x" * (3 * 1024 * 1024) + b"\n" + EKU.encode() + b"\n")
    result = scan([str(tmp_path)], matcher)
    assert hits(result) == [("huge.log", 2)]
    r = row(result, "huge.log")
    assert r["status"] == "ok" and "line 1 longer than 1 MiB" in r["note"]


def test_go_panic_is_one_event_with_its_dump(tmp_path, matcher, catalogue):
    if catalogue.get("etcd.go_panic") is None:
        pytest.skip("etcd.go_panic not in the catalogue yet")
    lines = [
        ZAP_EKU,
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0xb4c2d7]",
        "",
        "goroutine 2187 [running]:",
        "go.etcd.io/etcd/server/v3/mvcc/backend.(*batchTx).UnsafeRange(0xc000132d80)",
        "\t/go/src/go.etcd.io/etcd/server/mvcc/backend/batch_tx.go:174 +0x6f",
        ZAP_EKU,
    ]
    (tmp_path / "etcd.log").write_text("\n".join(lines) + "\n")
    ev = scan([str(tmp_path)], matcher).events.sort("line")
    panic = ev.filter(pl.col("signature_id") == "etcd.go_panic").row(0, named=True)
    assert panic["line"] == 2
    assert "goroutine 2187 [running]:" in panic["message"] and "batch_tx.go:174" in panic["message"]
    assert ev["line"].to_list() == [1, 2, 8]


def test_lua_traceback_is_one_event(tmp_path, matcher, catalogue):
    if catalogue.get("apisix.lua_runtime_error") is None:
        pytest.skip("apisix.lua_runtime_error not in the catalogue yet")
    lines = [
        "2026/11/27 10:00:00 [error] 45#45: *1 lua entry thread aborted: runtime error: "
        "/usr/local/apisix/apisix/plugins/limit-count/init.lua:301: attempt to index local 'conf' (a nil value)",
        "stack traceback:",
        "coroutine 0:",
        "\t/usr/local/apisix/apisix/plugin.lua:1160: in function 'run_plugin'",
        "2026/11/27 10:00:01 [info] 45#45: *2 client closed keepalive connection",
    ]
    (tmp_path / "error.log").write_text("\n".join(lines) + "\n")
    ev = scan([str(tmp_path)], matcher).events
    assert ev["line"].to_list() == [1]
    assert ev["message"][0].endswith("in function 'run_plugin'") and "stack traceback:" in ev["message"][0]


def test_cri_partial_and_docker_split_records_are_joined(tmp_path, matcher):
    half = len(ZAP_EKU) // 2
    (tmp_path / "0.log").write_text(
        f"2025-12-03T17:44:33.1Z stderr F noise\n2025-12-03T17:44:33.2Z stderr P {ZAP_EKU[:half]}\n"
        f"2025-12-03T17:44:33.2Z stderr F {ZAP_EKU[half:]}\n2025-12-03T17:44:34Z stderr F noise\n"
    )
    docker = [
        json.dumps({"log": "noise\n", "stream": "stderr", "time": "2021-06-09T03:10:13Z"}),
        json.dumps({"log": EKU[:100], "stream": "stderr", "time": "2021-06-09T03:10:14Z"}),
        json.dumps({"log": EKU[100:] + "\n", "stream": "stderr", "time": "2021-06-09T03:10:14Z"}),
    ]
    (tmp_path / "c-json.log").write_text("\n".join(docker) + "\n")
    result = scan([str(tmp_path)], matcher)
    assert hits(result) == [("0.log", 2), ("c-json.log", 2)]
    assert row(result, "0.log")["lines"] == 4


@pytest.mark.parametrize(
    ("line", "host"),
    [
        (f"2019-03-06T19:00:59.117515322Z {EKU}", None),
        (f"apisix-1  | {EKU}", "apisix-1"),
        (json.dumps({"__REALTIME_TIMESTAMP": "1623237013022735", "_HOSTNAME": "etcd1", "MESSAGE": ZAP_EKU}), "etcd1"),
        (f"<134>1 2021-06-09T11:10:13.022735Z etcd-2 etcd 1234 - - {ZAP_EKU}", "etcd-2"),
        (f"2021-06-09T11:10:13+0800 etcd-3 etcd[1]: {EKU}", "etcd-3"),
        (f"Jun  9 11:10:13 etcd-4 etcd[1]: {EKU}", "etcd-4"),
    ],
    ids=["kubectl-timestamps", "compose", "journal-json", "syslog-5424", "journald-iso", "syslog-3164"],
)
def test_wrappers_unwrapped_and_host_taken_from_them(tmp_path, matcher, line, host):
    (tmp_path / "x.log").write_text(line + "\n" + line + "\n")
    ev = scan([str(tmp_path)], matcher).events
    assert ev["line"].to_list() == [1, 2]
    assert ev["host"][0] == host
    assert ev["ts"][0] is not None


def test_symlink_loop_does_not_hang(tmp_path, matcher):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "e.log").write_text(EKU + "\n")
    os.symlink(tmp_path, tmp_path / "d" / "loop")
    result = scan([str(tmp_path)], matcher)
    assert ("d/e.log", 1) in hits(result)


def test_stdin_dash(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "loganalyzer", "analyze", "-", "--out", str(out), "-q"],
        input=body(),
        capture_output=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    ev = pl.read_parquet(out / "events.parquet")
    assert ev.select("source", "line").rows() == [("-", 3)]


def test_a_log_and_its_copy_are_counted_once(tmp_path, matcher):
    (tmp_path / "etcd-1").mkdir()
    (tmp_path / "etcd-1" / "etcd.log").write_bytes(body())
    (tmp_path / "bundle.tar").write_bytes(tar_bytes({"etcd-1/etcd.log": body()}))
    # the same events once more, as the container runtime captured them
    (tmp_path / "etcd-1" / "0.log").write_text(
        "".join(f"2021-06-09T11:10:13.5Z stderr F {ln}\n" for ln in body().decode().splitlines())
    )
    result = scan([str(tmp_path)], matcher)
    assert hits(result) == [("bundle.tar!etcd-1/etcd.log", 3)]
    copy = row(result, "etcd-1/etcd.log")
    assert copy["status"] == "skipped" and "duplicate of bundle.tar!etcd-1/etcd.log" in copy["error"]
    assert "counted once" in row(result, "etcd-1/0.log")["note"]


def test_rotated_set_is_read_whole_and_ordered_by_time(tmp_path, matcher, catalogue):
    from loganalyzer.incidents import build, group

    def line(minute: int) -> str:
        return EKU.replace("11:10:13", f"11:{minute:02d}:13")

    (tmp_path / "etcd.log").write_text(line(30) + "\n")
    (tmp_path / "etcd.log.1").write_text(line(20) + "\n")
    (tmp_path / "etcd.log.2.gz").write_bytes(gzip.compress((line(10) + "\n").encode()))
    (tmp_path / "2021-06-09_00-00-00__etcd.log.gz").write_bytes(gzip.compress((line(1) + "\n").encode()))
    events = scan([str(tmp_path)], matcher).events
    assert events.height == 4
    table = build(group(events, catalogue, 900), catalogue)
    assert table.height == 1 and table["count"][0] == 4
    assert table["first_seen"][0].minute == 1 and table["last_seen"][0].minute == 30


def test_decompression_bomb_is_stopped_and_partial(tmp_path, matcher, monkeypatch):
    from loganalyzer.sources import decompress

    monkeypatch.setattr(decompress, "BOMB_MIN_BYTES", 4 * 1024 * 1024)
    monkeypatch.setattr(decompress, "BOMB_RATIO", 100)
    (tmp_path / "bomb.gz").write_bytes(gzip.compress(body() + b"a\n" * 20_000_000))
    (tmp_path / "bomb.xz").write_bytes(lzma.compress(body() + b"b\n" * 20_000_000))
    result = scan([str(tmp_path)], matcher)
    for name in ("bomb.gz", "bomb.xz"):
        r = row(result, name)
        assert r["status"] == "partial" and "decompression bomb" in r["error"]
        assert r["bytes"] < 40_000_000
    assert hits(result) == [("bomb.gz", 3), ("bomb.xz", 3)]


def test_bytes_read_equal_the_file_size_even_with_cut_lines(tmp_path, matcher):
    from loganalyzer.scan import ScanOptions

    data = b"x" * (5 * 1024 * 1024) + b"\n" + EKU.encode() + b"\n" + b"y" * (2 * 1024 * 1024)
    (tmp_path / "huge.log").write_bytes(data)
    for chunk in (1024 * 1024, 32 * 1024 * 1024):
        r = row(scan([str(tmp_path)], matcher, ScanOptions(chunk_bytes=chunk)), "huge.log")
        assert (r["bytes"], r["lines"]) == (len(data), 3)
