#!/usr/bin/env python3
"""Generate a realistic etcd + APISIX log bundle with known incidents, for benchmarks and tests.

The bundle looks like what an operator collects after an incident: several etcd members (zap JSON
3.5, capnslog 3.4, one under Kubernetes CRI), APISIX nodes (error.log, access.log, one under docker
json-file), rotated and compressed files, and an archived tarball of an older day.  Most lines are
ordinary operation; a known set of incidents is injected, and ``truth.json`` beside ``logs/`` says
exactly which (signature id, file, line numbers, time range).

Standard library only, deterministic for a given --seed and --size-mb.

    python gen_corpus.py OUT --size-mb 200            # mixed, some files compressed
    python gen_corpus.py OUT --size-mb 1000 --plain   # everything uncompressed (raw throughput runs)
"""

from __future__ import annotations

import argparse
import bz2
import datetime as dt
import gzip
import io
import json
import lzma
import os
import random
import tarfile

UTC = dt.UTC
START = dt.datetime(2026, 11, 27, 0, 0, 0, tzinfo=UTC)
SPAN_S = 2 * 24 * 3600  # the bundle covers two days

# ----------------------------------------------------------------------------- time formats


def ts_zap(t: dt.datetime) -> str:  # etcd 3.5.15+ / 3.6: fixed 6-digit micros
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def ts_zap_ms(t: dt.datetime) -> str:  # etcd 3.4 zap / 3.5.0-3.5.7: millis
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def ts_capnslog(t: dt.datetime) -> str:  # etcd 3.3/3.4 capnslog, local time (UTC here)
    return t.strftime("%Y-%m-%d %H:%M:%S.%f")


def ts_nginx(t: dt.datetime) -> str:
    return t.strftime("%Y/%m/%d %H:%M:%S")


def ts_access(t: dt.datetime) -> str:
    return t.strftime("%d/%b/%Y:%H:%M:%S +0000")


def ts_grpc(t: dt.datetime) -> str:
    return t.strftime("%Y/%m/%d %H:%M:%S")


def ts_cri(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


# ----------------------------------------------------------------------------- background lines

MEMBER_IDS = ["8e9e05c52164694d", "91bc3c398fb3c146", "fd422379fda50e48"]


def zap(level: str, t: dt.datetime, caller: str, msg: str, ts=ts_zap, **fields) -> str:
    obj = {"level": level, "ts": ts(t), "caller": caller, "msg": msg}
    obj.update(fields)
    return json.dumps(obj, separators=(",", ":"))


def etcd_zap_background(r: random.Random, t: dt.datetime, member: str, ts=ts_zap) -> str:
    k = r.random()
    rev = r.randint(100_000, 9_000_000)
    if k < 0.30:
        took = f"{r.uniform(100.5, 180.0):.6f}ms"
        return zap(
            "info",
            t,
            "traceutil/trace.go:171",
            f"trace[{r.randint(10**8, 10**9)}] range",
            ts,
            detail=f"{{range_begin:/apisix/routes/{r.randint(1, 9999)}; range_end:; response_count:1; response_revision:{rev}; }}",
            duration=took,
            start=ts(t),
            end=ts(t),
            steps=[
                f"trace[{r.randint(10**8, 10**9)}] 'agreement among raft nodes before linearized reading'  (duration: {took})"
            ],
            step_count=1,
        )
    if k < 0.45:
        return zap("info", t, "mvcc/index.go:214", "compact tree index", ts, revision=rev)
    if k < 0.60:
        return zap(
            "info",
            t,
            "mvcc/kvstore_compaction.go:66",
            "finished scheduled compaction",
            ts,
            **{
                "compact-revision": rev,
                "took": f"{r.uniform(1, 40):.6f}ms",
                "hash": r.randint(10**8, 4 * 10**9),
                "current-db-size-bytes": r.randint(10**7, 10**8),
                "current-db-size": f"{r.randint(10, 99)} MB",
                "current-db-size-in-use-bytes": r.randint(10**6, 10**7),
                "current-db-size-in-use": f"{r.randint(1, 9)} MB",
            },
        )
    if k < 0.70:
        return zap(
            "info",
            t,
            "etcdserver/server.go:1462",
            "triggering snapshot",
            ts,
            **{
                "local-member-id": member,
                "local-member-applied-index": rev,
                "local-member-snapshot-index": rev - 100000,
                "local-member-snapshot-count": 100000,
            },
        )
    if k < 0.78:
        return zap("info", t, "etcdserver/server.go:2398", "saved snapshot", ts, **{"snapshot-index": rev})
    if k < 0.86:
        return zap("info", t, "etcdserver/server.go:2428", "compacted Raft logs", ts, **{"compact-index": rev - 5000})
    if k < 0.92:
        return zap(
            "info",
            t,
            "fileutil/purge.go:85",
            "purged",
            ts,
            path=f"/var/lib/etcd/member/snap/{r.randint(1, 9):016x}-{rev:016x}.snap",
        )
    if k < 0.97:
        return zap(
            "info",
            t,
            "embed/serve.go:250",
            "serving client traffic securely",
            ts,
            **{"traffic": "grpc+http", "address": "[::]:2379"},
        )
    return zap(
        "warn",
        t,
        "embed/config_logging.go:160",
        "rejected connection on client endpoint",
        ts,
        **{
            "remote-addr": f"10.0.{r.randint(0, 9)}.{r.randint(2, 250)}:{r.randint(30000, 60000)}",
            "server-name": "",
            "error": "EOF",
        },
    )


def etcd_capnslog_background(r: random.Random, t: dt.datetime) -> str:
    k = r.random()
    rev = r.randint(100_000, 9_000_000)
    p = ts_capnslog(t)
    if k < 0.25:
        return f"{p} I | mvcc: store.index: compact {rev}"
    if k < 0.45:
        return f"{p} I | mvcc: finished scheduled compaction at {rev} (took {r.uniform(0.5, 9):.6f}ms)"
    if k < 0.58:
        return f"{p} I | etcdserver: start to snapshot (applied: {rev}, lastsnap: {rev - 100000})"
    if k < 0.68:
        return f"{p} I | etcdserver: saved snapshot at index {rev}"
    if k < 0.78:
        return f"{p} I | etcdserver: compacted raft log at {rev - 5000}"
    if k < 0.86:
        return f"{p} I | pkg/fileutil: purged file /var/lib/etcd/member/snap/{r.randint(1, 9):016x}-{rev:016x}.snap successfully"
    if k < 0.93:
        return f"{p} I | etcdserver/api/etcdhttp: /health OK (status code 200)"
    if k < 0.98:
        return f"{p} I | wal: segmented wal file /var/lib/etcd/member/wal/{r.randint(1, 99):016x}-{rev:016x}.wal is created"
    return f'{p} I | embed: rejected connection from "10.0.{r.randint(0, 9)}.{r.randint(2, 250)}:{r.randint(30000, 60000)}" (error "EOF", ServerName "")'


def apisix_error_background(r: random.Random, t: dt.datetime, pid: int) -> str:
    k = r.random()
    p = ts_nginx(t)
    conn = r.randint(1, 9_999_999)
    client = f"10.20.{r.randint(0, 255)}.{r.randint(2, 250)}"
    if k < 0.35:
        return f"{p} [info] {pid}#{pid}: *{conn} client {client} closed keepalive connection"
    if k < 0.55:
        return (
            f"{p} [warn] {pid}#{pid}: *{conn} a client request body is buffered to a temporary file "
            f"/usr/local/apisix/client_body_temp/{r.randint(1, 10**9):010d}, client: {client}, server: _, "
            f'request: "POST /api/v1/upload HTTP/1.1", host: "api.example.com"'
        )
    if k < 0.70:
        return f"{p} [info] {pid}#{pid}: *{conn} [lua] timers.lua:39: run timer[plugin#server-info]"
    if k < 0.80:
        return f"{p} [notice] 1#1: signal 17 (SIGCHLD) received from {r.randint(40, 90)}"
    if k < 0.90:
        return (
            f"{p} [info] {pid}#{pid}: *{conn} [lua] healthcheck.lua:1150: log(): [healthcheck] "
            f"(upstream#/apisix/upstreams/{r.randint(1, 40)}) healthy SUCCESS increment (1/2) for '10.30.1.{r.randint(2, 60)}(10.30.1.{r.randint(2, 60)}:8080)', context: ngx.timer"
        )
    return f'{p} [warn] {pid}#{pid}: *{conn} [lua] plugin.lua:316: load(): new plugins: {{"limit-count":true,"prometheus":true,"proxy-rewrite":true}}, context: init_worker_by_lua*'


PATHS = ["/api/v1/items", "/api/v1/orders", "/api/v2/users", "/healthz", "/api/v1/cart", "/static/app.js", "/graphql"]
AGENTS = [
    "curl/8.6.0",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
    "Go-http-client/1.1",
    "okhttp/4.12.0",
    "python-requests/2.32.3",
]


def apisix_access(r: random.Random, t: dt.datetime, status: int | None = None, upstream: str | None = None) -> str:
    method = "GET" if r.random() < 0.8 else "POST"
    path = r.choice(PATHS) + (f"/{r.randint(1, 99999)}" if r.random() < 0.6 else "")
    st = status or (200 if r.random() < 0.95 else r.choice([201, 204, 301, 404, 499]))
    up = upstream or f"10.30.1.{r.randint(2, 60)}:8080"
    rt = r.uniform(0.001, 0.25)
    return (
        f'10.20.{r.randint(0, 255)}.{r.randint(2, 250)} - - [{ts_access(t)}] api.example.com "{method} {path} HTTP/1.1" '
        f'{st} {r.randint(0, 20000)} {rt:.3f} "-" "{r.choice(AGENTS)}" {up} {st} {max(rt - 0.001, 0):.3f} "http://api.example.com"'
    )


# ----------------------------------------------------------------------------- incidents


def inc_lines(sig: str, r: random.Random, t: dt.datetime, style: str, pid: int = 45) -> list[str]:
    """The line(s) one occurrence of signature `sig` writes, in the given file style."""
    p_ng = ts_nginx(t)
    if sig == "apisix.etcd_message_too_large":
        d = r.choice(["routes", "upstreams", "services", "ssls", "plugin_configs"])
        got = r.choice([4236894, 5242880, 6198310, 8615395])
        return [
            f"{p_ng} [error] {pid}#{pid}: *{r.randint(1, 99)} [lua] config_etcd.lua:659: failed to fetch data from etcd: "
            f"grpc: received message larger than max ({got} vs. 4194304),  etcd key: /apisix/{d}, context: ngx.timer"
        ]
    if sig == "etcd.tls_incompatible_key_usage":
        port = r.randint(40000, 60000)
        err = "tls: failed to verify client's certificate: x509: certificate specifies an incompatible key usage"
        if style == "capnslog":
            return [
                f'{ts_capnslog(t)} I | embed: rejected connection from "127.0.0.1:{port}" (error "{err}", ServerName "")'
            ]
        return [
            zap(
                "warn",
                t,
                "embed/config_logging.go:169",
                "rejected connection",
                ts_zap_ms if style == "zap_ms" else ts_zap,
                **{"remote-addr": f"127.0.0.1:{port}", "server-name": "", "error": err},
            )
        ]
    if sig == "etcd.grpc_gateway_tls_bad_certificate":
        return [
            f"WARNING: {ts_grpc(t)} grpc: addrConn.createTransport failed to connect to {{127.0.0.1:2379 0  <nil>}}. "
            f'Err :connection error: desc = "transport: authentication handshake failed: remote error: tls: bad certificate". Reconnecting...'
        ]
    if sig == "etcd.nospace_alarm":
        if style == "capnslog":
            return [f"{ts_capnslog(t)} W | etcdserver: alarm NOSPACE raised by peer {MEMBER_IDS[0]}"]
        if r.random() < 0.1:
            return [
                zap(
                    "warn",
                    t,
                    "etcdserver/server.go:2391",
                    "message exceeded backend quota; raising alarm",
                    **{"quota-size-bytes": 2147483648, "quota-size": "2.1 GB", "error": "etcdserver: no space"},
                ),
                zap("warn", t, "etcdserver/apply.go:753", "alarm raised", alarm="NOSPACE", **{"from": MEMBER_IDS[0]}),
            ]
        return [
            zap(
                "warn",
                t,
                "etcdserver/util.go:166",
                "failed to apply request",
                took=f"{r.uniform(0.00001, 0.0009):.6f}s",
                request=f'header:<ID:{r.randint(10**15, 10**16)} > put:<key:"/apisix/routes/{r.randint(1, 9999)}" value_size:{r.randint(500, 5000)} >',
                response="size:28",
                error="etcdserver: no space",
            )
        ]
    if sig == "etcd.slow_fdatasync":
        return [
            zap(
                "warn",
                t,
                "wal/wal.go:805",
                "slow fdatasync",
                took=f"{r.uniform(1.0, 4.5):.6f}s",
                **{"expected-duration": "1s"},
            )
        ]
    if sig == "etcd.heartbeat_send_slow":
        if style == "capnslog":
            return [
                f"{ts_capnslog(t)} W | etcdserver: failed to send out heartbeat on time (exceeded the 100ms timeout for {r.uniform(10, 900):.6f}ms, to {MEMBER_IDS[1]})",
                f"{ts_capnslog(t)} W | etcdserver: server is likely overloaded",
            ]
        return [
            zap(
                "warn",
                t,
                "etcdserver/raft.go:369",
                "leader failed to send out heartbeat on time; took too long, leader is overloaded likely from slow disk",
                **{
                    "to": MEMBER_IDS[1],
                    "heartbeat-interval": "100ms",
                    "expected-duration": "200ms",
                    "exceeded-duration": f"{r.uniform(10, 900):.6f}ms",
                },
            )
        ]
    if sig == "etcd.leader_lost":
        return [
            zap(
                "info",
                t,
                "raft/node.go:325",
                f"raft.node: {MEMBER_IDS[2]} lost leader {MEMBER_IDS[0]} at term {r.randint(10, 19)}",
                logger="raft",
            ),
            zap(
                "info",
                t,
                "raft/raft.go:1019",
                f"{MEMBER_IDS[2]} is starting a new election at term {r.randint(20, 29)}",
                logger="raft",
            ),
        ]
    if sig == "etcd.auth_invalid_token":
        return [
            zap(
                "warn",
                t,
                "auth/store.go:1217",
                "invalid auth token",
                token=f"{r.getrandbits(64):016x}.{r.randint(10, 9999)}",
            )
        ]
    if sig == "apisix.etcd_no_healthy_endpoint":
        return [
            f"{p_ng} [error] {pid}#{pid}: *{r.randint(1, 99)} [lua] config_etcd.lua:659: failed to fetch data from etcd: "
            f"has no healthy etcd endpoint available,  etcd key: /apisix/{r.choice(['routes', 'upstreams', 'ssls'])}, context: ngx.timer"
        ]
    if sig == "apisix.upstream_no_live_upstreams":
        return [
            f"{p_ng} [error] {pid}#{pid}: *{r.randint(10**5, 10**7)} no live upstreams while connecting to upstream, client: 10.20.{r.randint(0, 255)}.{r.randint(2, 250)}, "
            f'server: _, request: "GET /api/v1/orders HTTP/1.1", upstream: "http://apisix_backend/api/v1/orders", host: "api.example.com"'
        ]
    if sig == "apisix.upstream_timed_out":
        return [
            f"{p_ng} [error] {pid}#{pid}: *{r.randint(10**5, 10**7)} upstream timed out (110: Connection timed out) while reading response header from upstream, "
            f'client: 10.20.{r.randint(0, 255)}.{r.randint(2, 250)}, server: _, request: "GET /api/v2/users HTTP/1.1", '
            f'upstream: "http://10.30.1.{r.randint(2, 60)}:8080/api/v2/users", host: "api.example.com"'
        ]
    if sig == "etcd.go_panic":
        return [
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0xb4c2d7]",
            "",
            "goroutine 2187 [running]:",
            "go.etcd.io/etcd/server/v3/mvcc/backend.(*batchTx).UnsafeRange(0xc000132d80, {0x1337a40, 0x1d3c9e0}, {0xc00cd6e2a0, 0x12, 0x12}, {0x0, 0x0, 0x0}, 0x0)",
            "\t/go/src/go.etcd.io/etcd/release/etcd/server/mvcc/backend/batch_tx.go:174 +0x6f",
            "go.etcd.io/etcd/server/v3/etcdserver.(*EtcdServer).applyEntries(0xc0002c4600, 0xc00011e0e0, 0xc0028e2e40)",
            "\t/go/src/go.etcd.io/etcd/release/etcd/server/etcdserver/server.go:1143 +0x1e5",
            "created by go.etcd.io/etcd/server/v3/etcdserver.(*EtcdServer).run",
            "\t/go/src/go.etcd.io/etcd/release/etcd/server/etcdserver/server.go:1038 +0x2b9",
        ]
    if sig == "apisix.lua_runtime_error":
        return [
            f"{p_ng} [error] {pid}#{pid}: *{r.randint(10**5, 10**7)} lua entry thread aborted: runtime error: "
            "/usr/local/apisix/apisix/plugins/limit-count/init.lua:301: attempt to index local 'conf' (a nil value)",
            "stack traceback:",
            "coroutine 0:",
            "\t/usr/local/apisix/apisix/plugins/limit-count/init.lua: in function 'rate_limit'",
            "\t/usr/local/apisix/apisix/plugin.lua:1160: in function 'run_plugin'",
            '\t/usr/local/apisix/apisix/init.lua:734: in function \'http_access_phase\', client: 10.20.3.4, server: _, request: "GET /api/v1/items HTTP/1.1", host: "api.example.com"',
        ]
    raise KeyError(sig)


# (signature, file key, style, start offset s, duration s, occurrences)
SCENARIO = [
    ("apisix.etcd_message_too_large", "apisix-a-error", "nginx", 30_000, 1800, 120),
    ("apisix.etcd_message_too_large", "apisix-b-error-docker", "nginx", 30_060, 1800, 110),
    ("etcd.tls_incompatible_key_usage", "etcd-1", "capnslog", 90_000, 900, 300),
    ("etcd.grpc_gateway_tls_bad_certificate", "etcd-1", "grpc", 90_001, 900, 300),
    ("etcd.tls_incompatible_key_usage", "etcd-0", "zap", 140_000, 300, 60),
    ("etcd.nospace_alarm", "etcd-0", "zap", 120_000, 2400, 400),
    ("etcd.slow_fdatasync", "etcd-2-cri", "zap", 60_000, 3600, 45),
    ("etcd.heartbeat_send_slow", "etcd-2-cri", "zap", 60_100, 3500, 80),
    ("etcd.heartbeat_send_slow", "etcd-1", "capnslog", 15_000, 600, 25),
    ("etcd.leader_lost", "etcd-2-cri", "zap", 63_000, 20, 2),
    ("etcd.auth_invalid_token", "etcd-0", "zap", 150_000, 6000, 35),
    ("apisix.etcd_no_healthy_endpoint", "apisix-a-error", "nginx", 63_010, 240, 40),
    ("apisix.upstream_no_live_upstreams", "apisix-a-error", "nginx", 100_000, 1200, 500),
    ("apisix.upstream_timed_out", "apisix-b-error-docker", "nginx", 110_000, 3000, 220),
    ("apisix.upstream_timed_out", "apisix-a-error-old", "nginx", 20_000, 900, 70),
    ("etcd.go_panic", "etcd-0", "zap", 169_000, 1, 1),
    ("apisix.lua_runtime_error", "apisix-a-error", "nginx", 160_000, 3600, 12),
    ("etcd.tls_incompatible_key_usage", "etcd-0-old", "zap_ms", 50_000, 600, 20),
    ("etcd.nospace_alarm", "archive", "capnslog", 5_000, 600, 30),
]

# ----------------------------------------------------------------------------- files

# key -> (relative path, kind, share of total bytes, time window as fraction of SPAN (start, end))
FILES = {
    "etcd-0": ("etcd/etcd-0/etcd.log", "etcd_zap", 0.10, (0.5, 1.0)),
    "etcd-0-old": ("etcd/etcd-0/etcd.log.1.gz", "etcd_zap_ms", 0.06, (0.0, 0.5)),
    "etcd-1": ("etcd/etcd-1/etcd.log", "etcd_capnslog", 0.08, (0.0, 1.0)),
    "etcd-2-cri": (
        "k8s/pods/kube-system_etcd-2_5b1d2c4e-7f1a-4c3b-9a80-3f0e6c1d2b11/etcd/0.log",
        "etcd_zap_cri",
        0.06,
        (0.0, 1.0),
    ),
    "apisix-a-error": ("apisix/node-a/logs/error.log", "apisix_error", 0.07, (0.0, 1.0)),
    "apisix-a-error-old": ("apisix/node-a/logs/error.log.1.bz2", "apisix_error", 0.02, (0.0, 0.3)),
    "apisix-a-access": ("apisix/node-a/logs/access.log", "apisix_access", 0.30, (0.3, 1.0)),
    "apisix-a-access-old": ("apisix/node-a/logs/2026-11-27_00-00-00__access.log.xz", "apisix_access", 0.12, (0.0, 0.3)),
    "apisix-b-error-docker": (
        "docker/containers/4f2a9c1e7b3d/4f2a9c1e7b3d-json.log",
        "apisix_error_docker",
        0.05,
        (0.0, 1.0),
    ),
    "apisix-b-access-docker": (
        "docker/containers/4f2a9c1e7b3d/4f2a9c1e7b3d-json.log.1",
        "apisix_access_docker",
        0.09,
        (0.0, 1.0),
    ),
    "archive": ("archive/2026-11-26-etcd-1.tar.gz", "etcd_capnslog_tar", 0.05, (0.0, 0.2)),
}


def background(kind: str, r: random.Random, t: dt.datetime, member: str) -> str:
    if kind in ("etcd_zap", "etcd_zap_cri"):
        return etcd_zap_background(r, t, member)
    if kind == "etcd_zap_ms":
        return etcd_zap_background(r, t, member, ts=ts_zap_ms)
    if kind in ("etcd_capnslog", "etcd_capnslog_tar"):
        return etcd_capnslog_background(r, t)
    if kind in ("apisix_error", "apisix_error_docker"):
        return apisix_error_background(r, t, pid=r.choice([44, 45, 46, 47]))
    if kind in ("apisix_access", "apisix_access_docker"):
        return apisix_access(r, t)
    raise KeyError(kind)


def wrap(kind: str, t: dt.datetime, line: str) -> str:
    if kind == "etcd_zap_cri":
        return f"{ts_cri(t)} stderr F {line}"
    if kind in ("apisix_error_docker", "apisix_access_docker"):
        stream = "stderr" if kind == "apisix_error_docker" else "stdout"
        return json.dumps({"log": line + "\n", "stream": stream, "time": ts_cri(t)}, separators=(",", ":"))
    return line


def build_file(key: str, total_bytes: int, seed: int, truth: list[dict]) -> bytes:
    rel, kind, share, (f0, f1) = FILES[key]
    r = random.Random(f"{seed}:{key}")
    target = max(int(total_bytes * share), 20_000)
    member = MEMBER_IDS[sum(map(ord, key)) % 3]
    t0 = START + dt.timedelta(seconds=SPAN_S * f0)
    t1 = START + dt.timedelta(seconds=SPAN_S * f1)
    # incident events for this file: (time, sig, style, index of group)
    events = []
    for gi, (sig, fkey, style, off, dur, n) in enumerate(SCENARIO):
        if fkey != key:
            continue
        for i in range(n):
            events.append((START + dt.timedelta(seconds=off + dur * i / max(n - 1, 1)), sig, style, gi))
    events.sort(key=lambda e: e[0])
    # estimate line count from a sample, spread timestamps evenly
    sample = [background(kind, r, t0, member) for _ in range(200)]
    avg = sum(len(wrap(kind, t0, s)) + 1 for s in sample) / len(sample)
    n_lines = max(int(target / avg), 100)
    step = (t1 - t0) / n_lines
    out = io.StringIO()
    lineno = 0
    ev = 0
    groups: dict[int, dict] = {}
    for i in range(n_lines):
        t = t0 + step * i
        while ev < len(events) and events[ev][0] <= t:
            et, sig, style, gi = events[ev]
            lines = inc_lines(sig, r, et, style)
            g = groups.setdefault(gi, {"signature_id": sig, "file": rel, "lines": [], "first_ts": et, "last_ts": et})
            g["last_ts"] = et
            g["lines"].append(lineno + 1)
            for ln in lines:
                out.write(wrap(kind, et, ln) + "\n")
                lineno += 1
            ev += 1
        out.write(wrap(kind, t, background(kind, r, t, member)) + "\n")
        lineno += 1
    while ev < len(events):  # incidents past the file's window still land at its end
        et, sig, style, gi = events[ev]
        g = groups.setdefault(gi, {"signature_id": sig, "file": rel, "lines": [], "first_ts": et, "last_ts": et})
        g["last_ts"] = et
        g["lines"].append(lineno + 1)
        for ln in inc_lines(sig, r, et, style):
            out.write(wrap(kind, et, ln) + "\n")
            lineno += 1
        ev += 1
    for g in groups.values():
        truth.append(
            {
                "signature_id": g["signature_id"],
                "file": g["file"],
                "count": len(g["lines"]),
                "first_line": g["lines"][0],
                "lines": g["lines"],
                "first_ts": g["first_ts"].isoformat(),
                "last_ts": g["last_ts"].isoformat(),
            }
        )
    return out.getvalue().encode()


def write(path: str, data: bytes, plain: bool) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if plain:
        for ext in (".gz", ".bz2", ".xz"):
            if path.endswith(ext):
                path = path[: -len(ext)]
        with open(path, "wb") as f:
            f.write(data)
        return path
    if path.endswith(".gz"):
        with gzip.open(path, "wb", compresslevel=6) as f:
            f.write(data)
    elif path.endswith(".bz2"):
        with bz2.open(path, "wb") as f:
            f.write(data)
    elif path.endswith(".xz"):
        with lzma.open(path, "wb", preset=1) as f:
            f.write(data)
    else:
        with open(path, "wb") as f:
            f.write(data)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="output folder; logs/ and truth.json are written inside")
    ap.add_argument("--size-mb", type=float, default=100, help="approximate uncompressed size of all logs")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--plain", action="store_true", help="write every file uncompressed and the archive as a folder")
    a = ap.parse_args()
    total = int(a.size_mb * 1024 * 1024)
    logs = os.path.join(a.out, "logs")
    truth: list[dict] = []
    for key, (rel, kind, _share, _w) in FILES.items():
        data = build_file(key, total, a.seed, truth)
        if kind == "etcd_capnslog_tar":
            member_rel = "etcd-1/etcd.log"
            if a.plain:
                write(os.path.join(logs, "archive", "2026-11-26-etcd-1", member_rel), data, True)
                for t in truth:
                    if t["file"] == rel:
                        t["file"] = f"archive/2026-11-26-etcd-1/{member_rel}"
                continue
            os.makedirs(os.path.dirname(os.path.join(logs, rel)), exist_ok=True)
            with tarfile.open(os.path.join(logs, rel), "w:gz") as tf:
                info = tarfile.TarInfo(member_rel)
                info.size = len(data)
                info.mtime = int(START.timestamp())
                tf.addfile(info, io.BytesIO(data))
            for t in truth:
                if t["file"] == rel:
                    t["file"] = f"{rel}!{member_rel}"
            continue
        written = write(os.path.join(logs, rel), data, a.plain)
        final_rel = os.path.relpath(written, logs)
        for t in truth:
            if t["file"] == rel:
                t["file"] = final_rel
    truth.sort(key=lambda t: (t["file"], t["first_line"]))
    summary = {
        "generator": "gen_corpus.py",
        "seed": a.seed,
        "size_mb": a.size_mb,
        "plain": a.plain,
        "note": (
            "line numbers are 1-based physical lines of the uncompressed file; for a multi-line event, the first line. "
            "Every group must be found; background lines may match only info/low signatures (a TCP probe's "
            "'rejected connection ... EOF', a buffered request body), never medium or above."
        ),
        "incidents": truth,
    }
    with open(os.path.join(a.out, "truth.json"), "w") as f:
        json.dump(summary, f, indent=1)
    n = sum(t["count"] for t in truth)
    print(
        f"wrote {logs} ({len(FILES)} files, {len(truth)} incident groups, {n} incident events) and {os.path.join(a.out, 'truth.json')}"
    )


if __name__ == "__main__":
    main()
