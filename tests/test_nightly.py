"""Unattended runs: incremental state, history dataset, crash safety, run lock, exit codes, metrics, redaction."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from conftest import REPO
from loganalyzer.cli import app
from loganalyzer.cli.history import history as history_command
from loganalyzer.nightly.history import current_incidents
from loganalyzer.nightly.hook import ENV as PAUSE_ENV

T0 = dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
MEMBER = "8e9e05c52164694d"


def _zap(i: int, level: str, caller: str, msg: str, **fields) -> str:
    ts = (T0 + dt.timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return json.dumps({"level": level, "ts": ts, "caller": caller, "msg": msg, **fields}, separators=(",", ":"))


def background(i: int) -> str:
    return _zap(i, "info", "mvcc/index.go:214", "compact tree index", revision=100_000 + i)


def bad_token(i: int) -> str:  # etcd.auth_invalid_token, high
    return _zap(i, "warn", "auth/store.go:1217", "invalid auth token", token=f"e628cf4fbbd10df6.{i}")


def nospace(i: int) -> str:  # etcd.nospace_alarm, critical
    return _zap(i, "warn", "etcdserver/apply.go:753", "alarm raised", alarm="NOSPACE", **{"from": MEMBER})


def lines(start: int, n: int, every: int = 10, event=bad_token) -> str:
    """``n`` lines from second ``start``; every ``every``-th one an event."""
    return "".join((event(i) if i % every == 0 else background(i)) + "\n" for i in range(start, start + n))


def analyze(paths: list[Path], out: Path, *extra: str) -> tuple[int, dict[str, pl.DataFrame], str]:
    """Run ``analyze`` in-process; the exit code, the tables of --out and stderr."""
    res = CliRunner().invoke(app, ["analyze", *map(str, paths), "--out", str(out), "--format", "parquet", "-q", *extra])
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    tables = {p.stem: pl.read_parquet(p) for p in out.glob("*.parquet")}
    return res.exit_code, tables, res.stderr


def row(tables: dict[str, pl.DataFrame], source: str) -> dict:
    rows = tables["sources"].filter(pl.col("source") == source).to_dicts()
    assert len(rows) == 1, tables["sources"]
    return rows[0]


@pytest.fixture(autouse=True)
def _no_pause_hook(monkeypatch):
    monkeypatch.delenv(PAUSE_ENV, raising=False)


@pytest.fixture
def live(tmp_path) -> tuple[Path, Path, Path]:
    """A log folder, a state file and an output folder."""
    logs = tmp_path / "logs" / "etcd-0"
    logs.mkdir(parents=True)
    return logs, tmp_path / "state.json", tmp_path / "out"


def test_appended_lines_are_read_on_the_next_run_and_unchanged_data_not_at_all(live):
    logs, state, out = live
    log = logs / "etcd.log"
    log.write_text(lines(0, 100))
    code, t, _ = analyze([logs], out, "--state", str(state))
    assert code == 0 and row(t, "etcd.log")["lines"] == 100 and row(t, "etcd.log")["bytes"] == log.stat().st_size
    size = log.stat().st_size
    with log.open("a") as f:
        f.write(lines(100, 50))
    code, t, _ = analyze([logs], out, "--state", str(state))
    r = row(t, "etcd.log")
    assert code == 0 and (r["lines"], r["bytes"]) == (50, log.stat().st_size - size)
    assert r["note"].startswith(f"resumed at line 101 ({size:,} bytes already read")
    assert t["events"]["line"].to_list() == list(range(101, 151, 10))
    code, t, err = analyze([logs], out, "--state", str(state))
    r = row(t, "etcd.log")
    assert code == 0 and r["status"] == "skipped" and r["error"] == "already read in an earlier run"
    assert t["events"].is_empty() and t["incidents"].is_empty() and "already read" not in err


def test_rotated_file_is_read_from_where_it_was_left_and_the_new_file_whole(live):
    logs, state, out = live
    (logs / "etcd.log").write_text(lines(0, 100))
    analyze([logs], out, "--state", str(state))
    with (logs / "etcd.log").open("a") as f:
        f.write(lines(100, 20))
    (logs / "etcd.log").rename(logs / "etcd.log.1")
    (logs / "etcd.log").write_text(lines(5000, 30))
    _, t, _ = analyze([logs], out, "--state", str(state))
    rotated, fresh = row(t, "etcd.log.1"), row(t, "etcd.log")
    assert rotated["lines"] == 20 and "resumed at line 101" in rotated["note"] and "as etcd.log" in rotated["note"]
    assert fresh["lines"] == 30 and fresh["note"] is None
    ev = t["events"].filter(pl.col("source") == "etcd.log.1")
    assert ev["line"].to_list() == [101, 111]


def test_rotated_and_compressed_copy_reads_only_its_new_tail_then_never_again(live):
    logs, state, out = live
    (logs / "etcd.log").write_text(lines(0, 100))
    analyze([logs], out, "--state", str(state))
    data = (logs / "etcd.log").read_bytes() + lines(100, 20).encode()
    (logs / "etcd.log.1.gz").write_bytes(gzip.compress(data))
    (logs / "etcd.log").unlink()
    _, t, _ = analyze([logs], out, "--state", str(state))
    r = row(t, "etcd.log.1.gz")
    assert (r["status"], r["lines"]) == ("ok", 20) and "resumed at line 101" in r["note"]
    _, t, _ = analyze([logs], out, "--state", str(state))
    r = row(t, "etcd.log.1.gz")
    assert r["status"] == "skipped" and r["error"] == "already read in an earlier run"


def test_compressed_copy_without_new_lines_is_skipped(live):
    logs, state, out = live
    (logs / "etcd.log").write_text(lines(0, 100))
    analyze([logs], out, "--state", str(state))
    (logs / "etcd.log.1.gz").write_bytes(gzip.compress((logs / "etcd.log").read_bytes()))
    (logs / "etcd.log").unlink()
    _, t, _ = analyze([logs], out, "--state", str(state))
    r = row(t, "etcd.log.1.gz")
    assert r["status"] == "skipped" and r["error"] == "already read (same content as etcd.log in an earlier run)"


def test_truncated_or_replaced_files_are_read_from_the_start(live):
    logs, state, out = live
    for start, name in enumerate(("a.log", "b.log", "c.log")):
        (logs / name).write_text(lines(start * 10_000, 100))
    analyze([logs], out, "--state", str(state))
    (logs / "a.log").write_text(lines(900_000, 30))  # truncated, then new lines: other first bytes
    b = (logs / "b.log").read_text().splitlines(keepends=True)
    (logs / "b.log").write_text("".join(b[:60]))  # same first bytes, shorter
    c = (logs / "c.log").read_text().splitlines(keepends=True)
    (logs / "c.log").write_text("".join(c[:50]) + lines(800_000, 80))  # same first 4 KiB, other content after
    (logs / "d.log").write_text(lines(700_000, 10))  # new
    _, t, _ = analyze([logs], out, "--state", str(state))
    assert row(t, "a.log")["lines"] == 30 and row(t, "a.log")["note"] is None
    assert row(t, "b.log")["lines"] == 60 and "shorter than what an earlier run read" in row(t, "b.log")["note"]
    assert row(t, "c.log")["lines"] == 130 and "replaced since an earlier run" in row(t, "c.log")["note"]
    assert row(t, "d.log")["lines"] == 10
    assert t["events"].filter(pl.col("source") == "c.log")["line"].min() == 1
    _, t, _ = analyze([logs], out, "--state", str(state))
    assert set(t["sources"]["status"]) == {"skipped"} and t["events"].is_empty()


def test_an_older_shorter_copy_does_not_move_where_the_live_file_resumes(live):
    logs, state, out = live
    (logs / "etcd.log").write_text(lines(0, 100))
    analyze([logs], out, "--state", str(state))
    (logs / "etcd.log.bak").write_text(lines(0, 50))
    with (logs / "etcd.log").open("a") as f:
        f.write(lines(100, 10))
    _, t, _ = analyze([logs], out, "--state", str(state))
    assert row(t, "etcd.log")["lines"] == 10 and "resumed at line 101" in row(t, "etcd.log")["note"]
    assert row(t, "etcd.log.bak")["lines"] == 50
    _, t, _ = analyze([logs], out, "--state", str(state))
    assert set(t["sources"]["status"]) == {"skipped"} and t["events"].is_empty()


def test_a_line_still_being_written_is_left_for_the_next_run(live):
    logs, state, out = live
    log = logs / "etcd.log"
    whole = bad_token(100)
    log.write_text(lines(0, 100) + whole[:40])
    _, t, _ = analyze([logs], out, "--state", str(state))
    r = row(t, "etcd.log")
    assert r["lines"] == 100 and "last line incomplete" in r["note"] and t["events"]["line"].max() == 91
    with log.open("a") as f:
        f.write(whole[40:] + "\n" + lines(101, 9))
    _, t, _ = analyze([logs], out, "--state", str(state))
    assert row(t, "etcd.log")["lines"] == 10 and t["events"]["line"].to_list() == [101]


def test_two_copies_of_one_stream_in_one_run_are_read_once(live):
    logs, state, out = live
    text = lines(0, 100)
    (logs / "etcd.log.1").write_text(text)
    (logs / "etcd.log.1.gz").write_bytes(gzip.compress(text.encode()))
    _, t, _ = analyze([logs], out, "--state", str(state))
    assert row(t, "etcd.log.1")["lines"] == 100
    copy = row(t, "etcd.log.1.gz")
    assert copy["status"] == "skipped" and "same content as etcd.log.1" in copy["error"]
    assert t["events"].height == 10


def test_an_archive_already_read_is_skipped_whole(live, tmp_path):
    logs, state, out = live
    member = tmp_path / "etcd.log"
    member.write_text(lines(0, 100))
    with tarfile.open(logs / "day.tar.gz", "w:gz") as tar:
        tar.add(member, arcname="etcd-0/etcd.log")
    _, t, _ = analyze([logs], out, "--state", str(state))
    assert row(t, "day.tar.gz!etcd-0/etcd.log")["lines"] == 100
    _, t, _ = analyze([logs], out, "--state", str(state))
    assert row(t, "day.tar.gz")["error"] == "archive already read in an earlier run" and t["events"].is_empty()


def test_exit_codes_and_metrics(live, tmp_path):
    from prometheus_client.parser import text_string_to_metric_families

    logs, state, out = live
    prom = tmp_path / "loganalyzer.prom"
    (logs / "etcd.log").write_text(lines(0, 100))
    args = ("--state", str(state), "--fail-on", "critical", "--metrics", str(prom))
    code, t, _ = analyze([logs], out, *args)
    assert code == 0  # only high incidents
    with (logs / "etcd.log").open("a") as f:
        f.write(lines(100, 20, event=nospace))
    code, t, _ = analyze([logs], out, *args)
    assert code == 1
    metrics = {f.name: f for f in text_string_to_metric_families(prom.read_text())}
    incidents = {
        (s.labels["signature"], s.labels["severity"], s.labels["host"]): s.value
        for s in metrics["loganalyzer_incidents"].samples
    }
    assert incidents == {("etcd.nospace_alarm", "critical", ""): 1.0}  # no host in the path "etcd.log"
    value = {name: f.samples[0].value for name, f in metrics.items() if len(f.samples) == 1}
    assert value["loganalyzer_read_bytes"] == row(t, "etcd.log")["bytes"] > 0
    assert value["loganalyzer_files_read"] == 1 and value["loganalyzer_files_failed"] == 0
    assert value["loganalyzer_events"] == 2 and value["loganalyzer_run_exit_code"] == 1
    success = value["loganalyzer_last_success_timestamp_seconds"]
    assert abs(success - time.time()) < 300 and value["loganalyzer_run_duration_seconds"] > 0
    code, _, _ = analyze([logs], out, *args)
    assert code == 0  # nothing new is not "no input"
    code, _, err = analyze([tmp_path / "missing"], out, *args)
    assert code == 3 and "no input could be read" in err
    metrics = {f.name: f.samples for f in text_string_to_metric_families(prom.read_text())}
    assert metrics["loganalyzer_run_exit_code"][0].value == 3
    assert metrics["loganalyzer_files_failed"][0].value == 1
    assert metrics["loganalyzer_last_success_timestamp_seconds"][0].value >= success  # kept from the last success
    assert not list(prom.parent.glob(".*.tmp"))


def test_a_state_file_that_is_not_one_is_a_clear_usage_error(live):
    logs, state, out = live
    (logs / "etcd.log").write_text(lines(0, 10))
    state.write_text("{not json")
    code, _, err = analyze([logs], out, "--state", str(state))
    assert code == 2 and f"{state} is not a loganalyzer state file" in err and "Traceback" not in err


SECRETS = {
    "client_a": "10.20.3.4",
    "client_b": "10.20.3.5",
    "upstream": "10.30.1.7",
    "other": "192.168.77.5",
    "bearer": "s3cr3tT0kenValue99",
    "password": "hunter2hunter",
    "etcd_token": "e628cf4fbbd10df6.4596",
}


def test_redaction_is_consistent_and_leaves_no_original_in_any_output(tmp_path):
    node, etcd = tmp_path / "logs" / "node-a", tmp_path / "logs" / "etcd-0"
    node.mkdir(parents=True)
    etcd.mkdir(parents=True)
    s = SECRETS
    timed_out = (
        "2026/11/28 10:00:0{n} [error] 45#45: *12{n} upstream timed out (110: Connection timed out) while "
        'reading response header from upstream, client: {client}, server: _, request: "GET /api/v2/users '
        'HTTP/1.1", upstream: "http://{up}:8080/api/v2/users", host: "api.example.com"\n'
    )
    (node / "error.log").write_text(
        timed_out.format(n=0, client=s["client_a"], up=s["upstream"])
        + timed_out.format(n=5, client=s["client_b"], up=s["upstream"])
        + f"2026/11/28 10:00:07 [error] 45#45: *130 [lua] auth.lua:10: login failed: Authorization: Bearer "
        f"{s['bearer']} password={s['password']} from {s['other']}\n"
    )
    (etcd / "etcd.log").write_text(
        _zap(0, "warn", "auth/store.go:1217", "invalid auth token", token=s["etcd_token"]) + "\n" + nospace(5) + "\n"
    )
    out, hist = tmp_path / "out", tmp_path / "hist"
    res = CliRunner().invoke(
        app,
        [
            "analyze",
            str(tmp_path / "logs"),
            "--out",
            str(out),
            "--history",
            str(hist),
            "--format",
            "parquet,csv,jsonl",
            "--redact",
        ],
    )
    assert res.exit_code == 0, res.output
    texts = [p.read_text() for p in out.glob("*.csv")] + [p.read_text() for p in out.glob("*.jsonl")]
    texts.append(res.output)
    for path in [*out.glob("*.parquet"), *hist.rglob("*.parquet")]:
        frame = pl.read_parquet(path)
        texts += [str(v) for c in frame.columns for v in frame[c].to_list()]
    for name, value in SECRETS.items():
        assert not any(value in text for text in texts), f"{name} ({value}) left in an output"
    events = pl.read_parquet(out / "events.parquet").filter(pl.col("signature_id") == "apisix.upstream_timed_out")
    fields = [json.loads(f) for f in events.sort("line")["fields"].to_list()]
    assert fields[0]["upstream_addr"] == fields[1]["upstream_addr"]  # same value, same placeholder
    assert re.fullmatch(r"ip-[0-9a-f]{8}:8080", fields[0]["upstream_addr"])
    assert fields[0]["client"] != fields[1]["client"]  # different values, different placeholders
    assert all(re.fullmatch(r"ip-[0-9a-f]{8}", f["client"]) for f in fields)
    incident = pl.read_parquet(out / "incidents.parquet").filter(pl.col("signature_id") == "apisix.upstream_timed_out")
    assert fields[0]["upstream_addr"] in incident["root_cause"][0] + incident["fix"][0]
    sample = pl.read_parquet(out / "unmatched.parquet")["sample"].to_list()
    assert any(
        re.search(r"Bearer auth-[0-9a-f]{8} password=password-[0-9a-f]{8} from ip-[0-9a-f]{8}", x) for x in sample
    ), sample


def test_non_interactive_output_has_no_progress_bar_or_colour(live):
    logs, _, out = live
    (logs / "etcd.log").write_text(lines(0, 100))
    res = CliRunner().invoke(app, ["analyze", str(logs), "--out", str(out)])
    assert res.exit_code == 0 and "\x1b[" not in res.output and "reading" not in res.stderr


def test_progress_bar_appears_only_after_a_delay():
    from loganalyzer.nightly.progress import ScanProgress

    quick = ScanProgress(enabled=True, delay_s=5)
    quick.start()
    quick({"source": "a.log"})
    quick.close()
    assert quick._bar is None and quick.done == {"a.log"}
    slow = ScanProgress(enabled=True, delay_s=0)
    slow.start()
    for _ in range(100):
        if slow._bar is not None:
            break
        time.sleep(0.02)
    slow({"source": "day.tar!a.log"})
    slow({"source": "day.tar!b.log"})
    assert slow._bar is not None and slow.done == {"day.tar"}
    slow.close()


# --- subprocesses: real runs killed with SIGKILL, and two runs on one state -----------------------------------


def _cli(*args: str, pause: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop(PAUSE_ENV, None)
    if pause:
        env[PAUSE_ENV] = pause
    return subprocess.Popen(
        [sys.executable, "-m", "loganalyzer", "analyze", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _until(proc: subprocess.Popen, text: str, timeout: float = 120) -> None:
    """Read the run's stderr until a line holds ``text``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if text in line:
            return
        if not line and proc.poll() is not None:
            raise AssertionError(f"run ended ({proc.returncode}) before '{text}': {proc.stderr.read()}")
    raise AssertionError(f"no '{text}'")


def _until_paused(proc: subprocess.Popen, point: str) -> None:
    _until(proc, f"paused at {point}")


def test_second_run_on_the_same_state_exits_2_or_waits(live):
    logs, state, out = live
    (logs / "etcd.log").write_text(lines(0, 50))
    first = _cli(str(logs), "--out", str(out), "--state", str(state), "-q", pause="scanned")
    try:
        _until_paused(first, "scanned")
        busy = _cli(str(logs), "--out", str(out) + "2", "--state", str(state), "-q")
        _, err = busy.communicate(timeout=120)
        assert busy.returncode == 2 and f"another run (pid {first.pid}) is using {state}" in err
        waiting = _cli(str(logs), "--out", str(out) + "3", "--state", str(state), "--wait")
        _until(waiting, f"waiting for the run (pid {first.pid})")
        time.sleep(0.5)
        assert waiting.poll() is None  # blocked on the lock
    finally:
        first.kill()  # SIGKILL: the lock it held is released by the kernel, its pid stays in the file
        first.wait()
    stdout, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "Read 1 file(s), 50 lines" in stdout  # the killed run committed nothing


def _copy_part(src: Path, dst: Path, fraction: float) -> None:
    """The first ``fraction`` of every file's lines (files only grow)."""
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        data = path.read_bytes().splitlines(keepends=True)
        target = dst / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(b"".join(data[: int(len(data) * fraction)]))


@pytest.fixture(scope="module")
def nightly(plain_bundle, tmp_path_factory):
    """Three nights over a growing copy of a generated bundle. Before the second, runs killed at several
    points; between the second and third, a run killed just after its commit, and its rerun."""
    src, _ = plain_bundle
    base = tmp_path_factory.mktemp("nightly")
    logs, state, hist, prom = base / "logs", base / "state.json", base / "history", base / "m.prom"
    common = ("--state", str(state), "--history", str(hist), "--metrics", str(prom), "--fail-on", "critical")
    runs, states = [], []

    def night(n: int) -> None:
        code, tables, err = analyze([logs], base / f"out{n}", *common)
        assert code in (0, 1), err
        runs.append((code, tables, prom.read_text()))

    def kill_at(point: str | None) -> None:
        proc = _cli(str(logs), "--out", str(base / "killed"), *common, "-q", pause=point)
        if point:
            _until_paused(proc, point)
        else:
            time.sleep(0.5)  # anywhere in start-up
        proc.kill()
        proc.wait()

    _copy_part(src, logs, 0.3)
    night(1)
    _copy_part(src, logs, 0.6)
    for point in (None, "scanned", "outputs", "history-events", "history"):
        states.append(state.read_bytes())
        kill_at(point)
    states.append(state.read_bytes())
    night(2)
    _copy_part(src, logs, 0.8)
    kill_at("committed")
    committed = json.loads(state.read_text())
    code, tables, err = analyze([logs], base / "rerun", *common)  # killed past its commit: nothing left to read
    assert code == 0 and tables["events"].is_empty(), err
    _copy_part(src, logs, 1.0)
    night(3)
    return {
        "hist": hist,
        "runs": runs,
        "states": states,
        "committed": committed,
        "logs": logs,
        "killed": base / "killed",
        "state": state,
    }


def test_killed_runs_leave_the_state_as_it_was_and_every_file_whole(nightly):
    assert len(set(nightly["states"])) == 1  # no kill before the commit changed the state
    assert not list(nightly["hist"].rglob(".*.tmp")) and not Path(f"{nightly['state']}.journal").exists()
    for path in [*nightly["killed"].glob("*.parquet"), *nightly["hist"].rglob("*.parquet")]:
        pl.read_parquet(path)  # never half a file


def test_three_growing_nights_read_every_byte_once(nightly):
    sources = pl.read_parquet(nightly["hist"] / "sources" / "**" / "*.parquet", hive_partitioning=True)
    read = sources.filter(pl.col("status") == "ok").group_by("source").agg(pl.col("bytes").sum(), pl.len())
    sizes = {
        p.relative_to(nightly["logs"]).as_posix(): p.stat().st_size for p in nightly["logs"].rglob("*") if p.is_file()
    }
    assert dict(read.select("source", "bytes").iter_rows()) == sizes
    assert sources["run_id"].n_unique() == 5  # three nights, the one killed after its commit, and its rerun


def test_history_has_no_duplicate_and_equals_one_uninterrupted_run(nightly, plain_analysis):
    events = pl.read_parquet(nightly["hist"] / "events" / "**" / "*.parquet", hive_partitioning=True)
    assert events.select("stream", "line", "signature_id").is_duplicated().sum() == 0
    key = ["source", "line", "signature_id", "incident_id"]
    assert events.select(key).sort(key).equals(plain_analysis.events.select(key).sort(key))
    current = current_incidents(nightly["hist"])
    cols = ["incident_id", "signature_id", "host", "count", "first_seen", "last_seen"]
    assert current.select(cols).sort("incident_id").equals(plain_analysis.incidents.select(cols).sort("incident_id"))
    assert current["runs"].max() >= 2  # some incidents went on across nights and kept their id


def test_fail_on_critical_exits_1_exactly_when_a_critical_incident_appears(nightly):
    from prometheus_client.parser import text_string_to_metric_families

    for code, tables, prom in nightly["runs"]:
        critical = tables["incidents"].filter(pl.col("severity") == "critical").height
        assert code == (1 if critical else 0)
        families = {f.name: f for f in text_string_to_metric_families(prom)}
        by_severity = {s.labels["severity"]: s.value for s in families["loganalyzer_incidents_by_severity"].samples}
        assert by_severity["critical"] == critical
        assert families["loganalyzer_read_bytes"].samples[0].value == tables["sources"]["bytes"].sum()
    assert any(code == 1 for code, _, _ in nightly["runs"])


def test_history_command_and_the_documented_duckdb_query_give_the_current_incidents(nightly):
    cli = typer.Typer()
    cli.command()(history_command)
    res = CliRunner().invoke(cli, [str(nightly["hist"]), "--format", "jsonl"])
    assert res.exit_code == 0, res.output
    shown = pl.read_ndjson(res.stdout.encode())
    current = current_incidents(nightly["hist"])
    assert sorted(shown["incident_id"].to_list()) == sorted(current["incident_id"].to_list())
    table = CliRunner().invoke(cli, [str(nightly["hist"]), "--min-severity", "critical"])
    assert table.exit_code == 0 and "etcd.nospace_alarm" in table.stdout
    missing = CliRunner().invoke(cli, [str(nightly["hist"] / "nope")])
    assert missing.exit_code == 2 and "no such history folder" in missing.stderr
    duckdb = pytest.importorskip("duckdb")
    doc = (REPO / "docs" / "nightly.md").read_text()
    query = re.search(r"```sql\n(.*?)```", doc, re.S).group(1).replace("'history/", f"'{nightly['hist']}/")
    rows = duckdb.sql(query).pl().with_columns(pl.col("first_seen", "last_seen").dt.convert_time_zone("UTC"))
    cols = ["incident_id", "count", "first_seen", "last_seen"]
    assert rows.select(cols).sort("incident_id").equals(current.select(cols).sort("incident_id"))


def test_state_records_continuing_incidents(nightly):
    open_incidents = nightly["committed"]["incidents"]
    assert open_incidents and all(i["incident_id"].startswith("inc-") for i in open_incidents)
    assert len({(i["signature_id"], i["host"]) for i in open_incidents}) == len(open_incidents)


def test_stale_lock_file_from_a_dead_process_is_taken_over(live):
    logs, state, out = live
    (logs / "etcd.log").write_text(lines(0, 10))
    Path(f"{state}.lock").write_text("999999\n")  # no process holds the flock
    code, t, _ = analyze([logs], out, "--state", str(state))
    assert code == 0 and row(t, "etcd.log")["lines"] == 10
    assert Path(f"{state}.lock").read_text().strip() == str(os.getpid())


def test_history_without_state_keeps_its_state_inside_and_never_counts_twice(live, tmp_path):
    logs, _, out = live
    hist = tmp_path / "hist"
    (logs / "etcd.log").write_text(lines(0, 100))
    for _ in range(2):
        code, _, _ = analyze([logs], out, "--history", str(hist))
        assert code == 0
    events = pl.read_parquet(hist / "events" / "**" / "*.parquet", hive_partitioning=True)
    assert events.height == 10 and (hist / "_state.json").is_file()
