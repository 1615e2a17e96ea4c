"""End to end: the README's command on sample_logs, the tables' columns, exit codes, and a generated bundle."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from conftest import SAMPLE_LOGS
from loganalyzer.cli import app

SPEC_INCIDENT_COLUMNS = [
    "incident_id",
    "signature_id",
    "title",
    "component",
    "severity",
    "host",
    "first_seen",
    "last_seen",
    "count",
    "sources",
    "sample",
    "evidence",
    "root_cause",
    "fix",
    "references",
    "fixed_in",
    "related",
]
SPEC_EVENT_COLUMNS = [
    "source",
    "line",
    "ts",
    "level",
    "format",
    "host",
    "signature_id",
    "incident_id",
    "message",
    "fields",
]
SPEC_SOURCE_COLUMNS = ["source", "format", "bytes", "lines", "events", "status", "error"]


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    res = CliRunner().invoke(app, ["analyze", str(SAMPLE_LOGS), "--out", str(out), "--format", "parquet,csv,jsonl"])
    return res, out


def test_sample_logs_show_both_origin_failures_with_cause_and_fix(sample_run):
    res, out = sample_run
    assert res.exit_code == 0, res.output
    incidents = pl.read_parquet(out / "incidents.parquet")
    by_sig = {r["signature_id"]: r for r in incidents.iter_rows(named=True)}
    large = by_sig["apisix.etcd_message_too_large"]
    assert large["host"] == "apisix-a"
    assert "5.0 MiB" in large["root_cause"] and "4.0 MiB" in large["root_cause"]
    assert "3.4.17" in large["fix"] and "3.5.0" in large["fix"]
    assert json.loads(large["evidence"])["received_bytes"] == 5242880
    eku = by_sig["etcd.tls_incompatible_key_usage"]
    assert eku["host"] == "etcd-1"
    assert "clientAuth" in eku["fix"] and "openssl x509 -noout -text" in eku["fix"]
    assert "https://github.com/etcd-io/etcd/issues/9785" in eku["references"]
    assert "etcd.grpc_gateway_tls_bad_certificate" in by_sig
    assert "apisix.etcd_tls_bad_certificate" in by_sig
    # the terminal summary names them too
    assert "apisix.etcd_message_too_large" in res.output and "etcd.tls_incompatible_key_usage" in res.output
    # benign probe lines (rejected connection ... EOF) are not incidents
    assert "etcd.rejected_connection" not in by_sig


def test_tables_have_every_spec_column_in_every_format(sample_run):
    _, out = sample_run
    for name, cols in (
        ("incidents", SPEC_INCIDENT_COLUMNS),
        ("events", SPEC_EVENT_COLUMNS),
        ("sources", SPEC_SOURCE_COLUMNS),
    ):
        parquet = pl.read_parquet(out / f"{name}.parquet")
        assert parquet.columns[: len(cols)] == cols or set(cols) <= set(parquet.columns)
        assert set(cols) <= set(pl.read_csv(out / f"{name}.csv", infer_schema=False).columns)
        assert set(cols) <= set(pl.read_ndjson(out / f"{name}.jsonl").columns)
    incidents = pl.read_parquet(out / "incidents.parquet")
    assert incidents.schema["first_seen"] == pl.Datetime("us", "UTC")
    assert incidents.schema["sources"] == pl.List(pl.String)
    events = pl.read_parquet(out / "events.parquet")
    assert events.height == incidents["count"].sum()
    first = events.filter(pl.col("signature_id") == "etcd.tls_incompatible_key_usage").sort("line").row(0, named=True)
    src_line = (SAMPLE_LOGS / first["source"]).read_text().splitlines()[first["line"] - 1]
    assert "incompatible key usage" in src_line


def test_incident_ids_are_stable_across_runs(sample_run, tmp_path):
    _, out = sample_run
    CliRunner().invoke(app, ["analyze", str(SAMPLE_LOGS), "--out", str(tmp_path), "-q"])
    a = pl.read_parquet(out / "incidents.parquet").select("incident_id", "count").sort("incident_id")
    b = pl.read_parquet(tmp_path / "incidents.parquet").select("incident_id", "count").sort("incident_id")
    assert a.equals(b)


def test_exit_codes(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["analyze", str(SAMPLE_LOGS), "--out", str(tmp_path / "a"), "--fail-on", "critical", "-q"])
    assert res.exit_code == 1
    res = runner.invoke(app, ["analyze", str(tmp_path / "missing"), "--out", str(tmp_path / "b"), "-q"])
    assert res.exit_code == 3
    res = runner.invoke(app, ["analyze", str(SAMPLE_LOGS), "--min-severity", "urgent"])
    assert res.exit_code == 2
    res = runner.invoke(
        app, ["analyze", str(SAMPLE_LOGS), "--out", str(tmp_path / "c"), "--min-severity", "critical", "-q"]
    )
    assert res.exit_code == 0
    assert set(pl.read_parquet(tmp_path / "c" / "incidents.parquet")["severity"]) == {"critical"}


ISSUE2_SIGNATURES = {
    "etcd.grpc_message_too_large_recv",
    "apisix.etcd_message_too_large",
    "etcd.tls_incompatible_key_usage",
    "etcd.grpc_gateway_tls_bad_certificate",
    "apisix.etcd_tls_bad_certificate",
    "etcd.rejected_connection",
}


def test_generated_bundle_truth_is_found_at_its_lines(plain_bundle, plain_analysis, catalogue):
    _, truth = plain_bundle
    events = plain_analysis.events
    found = set(events.select("signature_id", "source", "line").iter_rows())
    assert ISSUE2_SIGNATURES & {g["signature_id"] for g in truth["incidents"]}
    for group in truth["incidents"]:
        if catalogue.get(group["signature_id"]) is None:  # completeness is test_catalogue_complete's job
            continue
        for line in group["lines"]:
            assert (group["signature_id"], group["file"], line) in found, (group["signature_id"], group["file"], line)


def test_generated_bundle_background_yields_nothing_above_low(plain_bundle, plain_analysis):
    """Background lines may only match info/low signatures. An injected occurrence can write a second line
    of the same failure right after its truth line (zap NOSPACE: "raising alarm" then "alarm raised"); that
    line belongs to the occurrence, not to the background."""
    _, truth = plain_bundle
    truth_lines = {(g["file"], line) for g in truth["incidents"] for line in g["lines"]}
    follow_ups = {(g["file"], line + 1, g["signature_id"]) for g in truth["incidents"] for line in g["lines"]}
    ev = plain_analysis.events.join(plain_analysis.incidents.select("incident_id", "severity"), on="incident_id")
    false = [
        r
        for r in ev.filter(pl.col("severity").is_in(["medium", "high", "critical"])).iter_rows(named=True)
        if (r["source"], r["line"]) not in truth_lines and (r["source"], r["line"], r["signature_id"]) not in follow_ups
    ]
    assert false == [], false[:5]
