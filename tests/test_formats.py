"""Format parsers: each line format and wrapper gives the right time (UTC), level and message."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from loganalyzer.formats import lines, wrappers

UTC = dt.UTC


def parse_one(text: str, tz: str = "UTC") -> dict:
    return lines.parse(pl.DataFrame({"text": [text]}), tz).row(0, named=True)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '{"level":"warn","ts":"2022-01-06T23:14:29.809Z","caller":"x.go:1","msg":"m"}',
            dt.datetime(2022, 1, 6, 23, 14, 29, 809000, tzinfo=UTC),
        ),
        (
            '{"level":"warn","ts":"2022-08-31T14:17:50.484+0800","caller":"x.go:1","msg":"m"}',
            dt.datetime(2022, 8, 31, 6, 17, 50, 484000, tzinfo=UTC),
        ),
        (
            '{"level":"info","ts":"2024-11-27T13:48:13.28801Z","caller":"x.go:1","msg":"m"}',
            dt.datetime(2024, 11, 27, 13, 48, 13, 288010, tzinfo=UTC),
        ),
        (
            '{"level":"info","ts":"2025-12-03T17:44:33.697480Z","caller":"x.go:1","msg":"m"}',
            dt.datetime(2025, 12, 3, 17, 44, 33, 697480, tzinfo=UTC),
        ),
        (
            '{"level":"warn","ts":1647949257.9876103,"caller":"flags/flag.go:93","msg":"m"}',
            dt.datetime(2022, 3, 22, 11, 40, 57, 987610, tzinfo=UTC),
        ),
    ],
    ids=["millis-Z", "millis-offset", "trimmed-micros", "fixed-micros", "epoch-float"],
)
def test_zap_timestamp_variants(line, expected):
    row = parse_one(line)
    assert row["format"] == "zap"
    assert row["ts"] == expected
    assert row["message"] == "m"


def test_zap_with_invalid_json_still_yields_level_and_message():
    row = parse_one(
        '{"level":"warn","ts":"xxxx-xx-xxTxx:0x:xx.xxxZ","msg":"slow fdatasync","requested-revision":5x8zzz89}'
    )
    assert row["format"] == "zap"
    assert row["level"] == "warn"
    assert row["message"] == "slow fdatasync"
    assert row["ts"] is None


def test_zap_message_unescaped():
    row = parse_one(r'{"level":"info","ts":"2024-05-08T10:30:19.412619Z","msg":"desc = \"tls: bad certificate\""}')
    assert row["message"] == 'desc = "tls: bad certificate"'


def test_capnslog_local_time_takes_timezone():
    row = parse_one("2021-06-09 11:10:13.022735 W | etcdserver: server is likely overloaded", tz="Asia/Shanghai")
    assert row["format"] == "capnslog"
    assert row["level"] == "warn"
    assert row["ts"] == dt.datetime(2021, 6, 9, 3, 10, 13, 22735, tzinfo=UTC)
    assert row["message"] == "server is likely overloaded"


def test_capnslog_debug_file_prefix():
    row = parse_one("2019-08-09 10:57:51.131115 [pkg_logger.go:114] W | etcdserver: failed to send out heartbeat")
    assert (row["format"], row["level"]) == ("capnslog", "warn")


@pytest.mark.parametrize(
    "line",
    [
        "WARNING: 2020/06/23 09:58:41 grpc: Server.processUnaryRPC failed to write status",
        "2020/06/23 09:58:41 WARNING: [core] grpc: Server.processUnaryRPC failed to write status",
    ],
)
def test_grpc_both_layouts(line):
    row = parse_one(line)
    assert row["format"] == "grpc"
    assert row["level"] == "warn"
    assert row["ts"] == dt.datetime(2020, 6, 23, 9, 58, 41, tzinfo=UTC)


def test_nginx_error_line():
    row = parse_one(
        "2023/06/15 18:02:22 [error] 44#44: *33 [lua] config_etcd.lua:568: no healthy etcd endpoint "
        "available, next retry after 2s, context: ngx.timer"
    )
    assert (row["format"], row["level"]) == ("nginx_error", "error")
    assert row["ts"] == dt.datetime(2023, 6, 15, 18, 2, 22, tzinfo=UTC)
    assert row["message"].startswith("[lua] config_etcd.lua:568: no healthy")


def test_nginx_access_line_has_zone():
    row = parse_one(
        '10.0.0.1 - - [09/Jun/2021:11:10:13 +0800] api.example.com "GET / HTTP/1.1" 502 10 0.1 "-" '
        '"curl" 10.0.0.2:80 502 0.1 "http://api.example.com"'
    )
    assert row["format"] == "nginx_access"
    assert row["ts"] == dt.datetime(2021, 6, 9, 3, 10, 13, tzinfo=UTC)


def test_unrecognised_line_is_raw():
    row = parse_one("all etcd nodes are unavailable")
    assert (row["format"], row["ts"], row["level"]) == ("raw", None, None)
    assert row["message"] == "all etcd nodes are unavailable"


def unwrap_one(line: str) -> tuple[str, dict]:
    wrapper = wrappers.detect([line])
    ctx = wrappers.Context(mtime=dt.datetime(2024, 6, 1, tzinfo=UTC))
    frame = wrappers.unwrap(pl.DataFrame({"raw": [line]}), wrapper, ctx)
    return wrapper.name, frame.row(0, named=True)


def test_cri_wrapper():
    name, row = unwrap_one('2023-08-18T18:38:58.167282393+08:00 stderr F {"level":"warn","msg":"x"}')
    assert name == "cri"
    assert row["text"] == '{"level":"warn","msg":"x"}'
    assert row["wrapper_ts"] == dt.datetime(2023, 8, 18, 10, 38, 58, 167282, tzinfo=UTC)


def test_docker_json_wrapper_decodes_escaped_line():
    line = (
        r'{"log":"{\"level\":\"warn\",\"msg\":\"slow fdatasync\"}\n","stream":"stderr",'
        r'"time":"2023-03-03T01:45:11.871652001Z"}'
    )
    name, row = unwrap_one(line)
    assert name == "docker_json"
    assert row["text"] == '{"level":"warn","msg":"slow fdatasync"}'
    assert row["wrapper_ts"] == dt.datetime(2023, 3, 3, 1, 45, 11, 871652, tzinfo=UTC)


def test_journald_short_wrapper_gives_host_and_year_from_context():
    name, row = unwrap_one('Mar 30 16:55:57 etcd1.domain etcd[16098]: rejected connection from "127.0.0.1:32854"')
    assert name == "journald"
    assert row["wrapper_host"] == "etcd1.domain"
    assert row["text"] == 'rejected connection from "127.0.0.1:32854"'
    assert row["wrapper_ts"] == dt.datetime(2024, 3, 30, 16, 55, 57, tzinfo=UTC)


def test_plain_file_is_not_mistaken_for_a_wrapper():
    name, row = unwrap_one("2021-06-09 11:10:13.022735 I | embed: name = etcd-1")
    assert name == "plain"
    assert row["text"] == "2021-06-09 11:10:13.022735 I | embed: name = etcd-1"


def test_syslog_year_rolls_back_for_december_lines_in_a_january_file():
    lines = ["Dec 31 23:59:58 etcd-1 etcd[1]: a", "Jan  1 00:00:02 etcd-1 etcd[1]: b"]
    ctx = wrappers.Context(mtime=dt.datetime(2027, 1, 1, 0, 5, tzinfo=UTC))
    frame = wrappers.unwrap(pl.DataFrame({"raw": lines}), wrappers.detect(lines), ctx)
    assert frame["wrapper_ts"].to_list() == [
        dt.datetime(2026, 12, 31, 23, 59, 58, tzinfo=UTC),
        dt.datetime(2027, 1, 1, 0, 0, 2, tzinfo=UTC),
    ]
