"""Incidents: grouping edges, stable ids, correlation, version-aware text, unknown-error templates."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from loganalyzer.catalogue.correlations import Rule
from loganalyzer.incidents import build, correlate, group
from loganalyzer.incidents.render import render
from loganalyzer.incidents.unmatched import mask, merge, summarise
from loganalyzer.incidents.versions import context, fix_status
from loganalyzer.scan import EVENT_SCHEMA

T0 = dt.datetime(2026, 11, 27, 10, 0, tzinfo=dt.UTC)
SIG = "etcd.tls_incompatible_key_usage"


def events(*rows) -> pl.DataFrame:
    """rows: (signature, host, minutes after T0, source, line)."""
    return pl.DataFrame(
        [
            {
                "source": src,
                "line": line,
                "ts": T0 + dt.timedelta(minutes=m),
                "level": "warn",
                "format": "zap",
                "host": host,
                "signature_id": sig,
                "message": "m",
                "fields": '{"remote_addr":"127.0.0.1:1"}',
                "raw": "r",
            }
            for sig, host, m, src, line in rows
        ],
        schema=EVENT_SCHEMA,
    )


def test_quiet_gap_exactly_the_window_stays_one_incident(catalogue):
    ev = group(events((SIG, "a", 0, "f", 1), (SIG, "a", 15, "f", 2), (SIG, "a", 30.01, "f", 3)), catalogue, 900)
    ids = ev.sort("line")["incident_id"].to_list()
    assert ids[0] == ids[1] != ids[2]


def test_two_hosts_are_two_incidents_and_out_of_order_files_group_by_time(catalogue):
    ev = group(
        events((SIG, "a", 10, "late.log", 1), (SIG, "a", 0, "early.log", 9), (SIG, "b", 0, "x", 1)), catalogue, 900
    )
    table = build(ev, catalogue)
    assert sorted(table["count"].to_list()) == [1, 2]
    a = table.filter(pl.col("host") == "a").row(0, named=True)
    assert a["first_seen"] == T0 and a["last_seen"] == T0 + dt.timedelta(minutes=10)
    assert a["sources"] == ["early.log", "late.log"]


def test_incident_id_is_stable_and_independent_of_row_order(catalogue):
    rows = [(SIG, "a", 0, "f", 1), (SIG, "a", 1, "f", 2), (SIG, "b", 3, "g", 1)]
    first = set(group(events(*rows), catalogue, 900)["incident_id"])
    second = set(group(events(*reversed(rows)), catalogue, 900)["incident_id"])
    assert first == second and len(first) == 2


def incident_rows(*specs) -> pl.DataFrame:
    """specs: (id, signature, host, start minute, end minute)."""
    return pl.DataFrame(
        [
            {
                "incident_id": i,
                "signature_id": s,
                "host": h,
                "first_seen": T0 + dt.timedelta(minutes=a),
                "last_seen": T0 + dt.timedelta(minutes=b),
                "related": [],
            }
            for i, s, h, a, b in specs
        ],
        schema={
            "incident_id": pl.String,
            "signature_id": pl.String,
            "host": pl.String,
            "first_seen": pl.Datetime("us", "UTC"),
            "last_seen": pl.Datetime("us", "UTC"),
            "related": pl.List(pl.String),
        },
    )


RULE = Rule("r", "mTLS gateway", (SIG,), ("apisix.etcd_tls_bad_certificate",), 600.0)


def test_correlation_links_cause_and_symptom_within_the_window():
    pair = incident_rows(("c", SIG, "etcd-1", 0, 20), ("s", "apisix.etcd_tls_bad_certificate", "apisix-b", 25, 40))
    out = correlate(pair, [RULE])
    rows = {r["incident_id"]: r for r in out.iter_rows(named=True)}
    assert rows["c"]["related"] == ["s"] and rows["s"]["related"] == ["c"]
    assert (rows["c"]["role"], rows["s"]["role"]) == ("cause", "symptom")
    assert rows["c"]["chain"] == "mTLS gateway"


def test_correlation_does_not_link_outside_the_window_or_across_hosts_when_same_host():
    far = incident_rows(("c", SIG, "etcd-1", 0, 20), ("s", "apisix.etcd_tls_bad_certificate", "apisix-b", 31, 40))
    assert correlate(far, [RULE])["related"].to_list() == [[], []]
    same_host = Rule("r", "t", (SIG,), ("apisix.etcd_tls_bad_certificate",), 600.0, same_host=True)
    near = incident_rows(("c", SIG, "etcd-1", 0, 20), ("s", "apisix.etcd_tls_bad_certificate", "apisix-b", 5, 40))
    assert correlate(near, [same_host])["related"].to_list() == [[], []]


@pytest.mark.parametrize(
    ("version", "affected", "fix"),
    [("3.4.13", True, "3.4.17"), ("3.4.17", False, "3.4.17"), ("3.5.2", False, "3.5.0"), ("3.3.25", True, "3.4.17")],
)
def test_fix_status_by_release_line(version, affected, fix):
    assert fix_status(version, "etcd 3.4.17, 3.5.0") == (affected, fix)


def test_version_aware_text_for_affected_and_fixed_versions():
    template = (
        "Runs etcd {affected_version}, affected; {fixed_version} fixes it.\n"
        "Runs etcd {patched_version}, which has the fix: look for a proxy in between."
    )
    versions = pl.DataFrame({"host": ["etcd-1"], "component": ["etcd"], "version": ["3.4.13"], "first_seen": [T0]})
    text = render(template, context("etcd", None, "etcd 3.4.17, 3.5.0", versions))
    assert text == "Runs etcd 3.4.13, affected; 3.4.17 fixes it."
    fixed = versions.with_columns(pl.lit("3.5.2").alias("version"))
    text = render(template, context("etcd", None, "etcd 3.4.17, 3.5.0", fixed))
    assert text == "Runs etcd 3.5.2, which has the fix: look for a proxy in between."


def test_render_drops_lines_with_missing_values_and_formats_sizes():
    out = render(
        "Always.\nGot {received_bytes:size} of {limit_bytes:size}.\nPeer {peer}.",
        {"received_bytes": 5242880, "limit_bytes": 4194304},
    )
    assert out == "Always.\nGot 5.0 MiB of 4.0 MiB."


@pytest.mark.parametrize(
    ("message", "template"),
    [
        ("dial tcp 10.0.0.5:2379: connect: connection refused", "dial tcp <ip>: connect: connection refused"),
        ("member 8e9e05c52164694d took 1.5s", "member <hex> took <dur>"),
        ("request 123e4567-e89b-12d3-a456-426614174000 failed", "request <uuid> failed"),
        ('open "/var/lib/etcd/x" failed', 'open "<str>" failed'),
        ("cannot read /var/lib/etcd/member/snap/db: 13 errors", "cannot read <path>: <num> errors"),
        ("peer [::1]:2380 down", "peer <ip> down"),
    ],
    ids=["ip-port", "hex-duration", "uuid", "quoted", "path-number", "ipv6"],
)
def test_masking_each_variable_kind(message, template):
    assert pl.select(mask(pl.lit(message))).item() == template


def test_unmatched_templates_group_lines_and_keep_stable_ids():
    lines = pl.DataFrame(
        {
            "format": ["zap", "zap", "zap", "zap"],
            "level": ["warn", "warn", "info", "error"],
            "host": ["a", "b", "a", "a"],
            "ts": [T0, T0 + dt.timedelta(minutes=1), T0, T0],
            "message": ["lost peer 10.0.0.1:2380", "lost peer 10.0.0.2:2380", "fine 1", "boom"],
            "raw": ["r1", "r2", "r3", "r4"],
        }
    )
    table = merge([summarise(lines)])
    top = table.row(0, named=True)
    assert (top["template"], top["count"], top["hosts"], top["component"]) == ("lost peer <ip>", 2, ["a", "b"], "etcd")
    assert table.height == 2  # the info line is not an unknown error
    assert merge([summarise(lines)])["template_id"].to_list() == table["template_id"].to_list()


def _rule_ids():
    from loganalyzer.catalogue import load_or_raise

    return [r.id for r in load_or_raise().rules]


@pytest.mark.parametrize("rule_id", _rule_ids())
def test_every_correlation_rule_links_inside_its_window_only(catalogue, rule_id):
    rule = next(r for r in catalogue.rules if r.id == rule_id)
    window_min = rule.window / 60
    for symptom in rule.symptoms:
        near = incident_rows(("c", rule.cause[0], "h1", 0, 10), ("s", symptom, "h1", 10 + window_min * 0.9, 60))
        linked = correlate(near, catalogue.rules).filter(pl.col("incident_id") == "c")["related"][0]
        assert "s" in linked, (rule_id, symptom)
        far = incident_rows(("c", rule.cause[0], "h1", 0, 10), ("s", symptom, "h1", 10 + window_min * 1.1, 60))
        out = correlate(far, [rule])
        assert out["related"].to_list() == [[], []], (rule_id, symptom)
        if rule.same_host:
            other = incident_rows(("c", rule.cause[0], "h1", 0, 10), ("s", symptom, "h2", 5, 60))
            assert correlate(other, [rule])["related"].to_list() == [[], []], (rule_id, symptom)
