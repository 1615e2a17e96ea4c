"""The generated bundles' ground truth: every injected event found at its line, grouped as one incident per group."""

from __future__ import annotations

import polars as pl


def test_mixed_bundle_truth_found_and_every_file_read_ok(mixed_bundle, mixed_analysis):
    _, truth = mixed_bundle
    found = set(mixed_analysis.events.select("signature_id", "source", "line").iter_rows())
    missing = [
        (g["signature_id"], g["file"], line)
        for g in truth["incidents"]
        for line in g["lines"]
        if (g["signature_id"], g["file"], line) not in found
    ]
    assert missing == []
    sources = mixed_analysis.sources
    assert sources.filter(pl.col("status") != "ok").rows() == []
    assert "archive/2026-11-26-etcd-1.tar.gz!etcd-1/etcd.log" in sources["source"].to_list()
    formats = dict(sources.select("source", "format").iter_rows())
    assert formats["etcd/etcd-0/etcd.log.1.gz"].startswith("gzip:")
    assert "cri" in formats["k8s/pods/kube-system_etcd-2_5b1d2c4e-7f1a-4c3b-9a80-3f0e6c1d2b11/etcd/0.log"]
    assert "docker_json" in formats["docker/containers/4f2a9c1e7b3d/4f2a9c1e7b3d-json.log"]


def test_each_truth_group_is_exactly_one_incident_holding_all_its_events(plain_bundle, plain_analysis):
    _, truth = plain_bundle
    events = plain_analysis.events
    for group in truth["incidents"]:
        lines = set(group["lines"])
        mine = events.filter((pl.col("signature_id") == group["signature_id"]) & (pl.col("source") == group["file"]))
        in_group = mine.filter(pl.col("line").is_in(list(lines)))
        assert in_group.height == len(lines), group["signature_id"]
        ids = set(in_group["incident_id"])
        assert len(ids) == 1, (group["signature_id"], group["file"], len(ids))
        incident = plain_analysis.incidents.filter(pl.col("incident_id") == ids.pop()).row(0, named=True)
        assert incident["count"] >= len(lines)
        assert incident["root_cause"] and incident["fix"]


def test_mtls_pair_is_linked_as_cause_and_symptom(plain_analysis):
    inc = plain_analysis.incidents
    cause = inc.filter((pl.col("signature_id") == "etcd.tls_incompatible_key_usage") & (pl.col("host") == "etcd-1"))
    symptom = inc.filter(pl.col("signature_id") == "etcd.grpc_gateway_tls_bad_certificate")
    assert cause.height == 1 and symptom.height == 1
    assert symptom["incident_id"][0] in cause["related"][0]
    assert cause["incident_id"][0] in symptom["related"][0]
    assert (cause["role"][0], symptom["role"][0]) == ("cause", "symptom")


def test_unknown_errors_become_templates(plain_analysis):
    unmatched = plain_analysis.unmatched
    assert unmatched.height > 0
    assert unmatched["template_id"].is_unique().all()
    assert (unmatched["count"] > 0).all()


def test_big_files_read_as_parallel_ranges_give_the_same_result(plain_bundle, catalogue, monkeypatch):
    from loganalyzer import scan as scan_module
    from loganalyzer.matching import Matcher
    from loganalyzer.scan import ScanOptions, scan

    merged = []
    merge = scan_module.merge_ranges
    monkeypatch.setattr(scan_module, "merge_ranges", lambda *args: merged.append(args[0].name) or merge(*args))
    logs, _ = plain_bundle
    matcher = Matcher(catalogue)
    whole = scan([str(logs)], matcher, ScanOptions(workers=1, chunk_bytes=64 * 1024))
    assert merged == []
    ranged = scan([str(logs)], matcher, ScanOptions(workers=8, chunk_bytes=64 * 1024))
    assert "apisix/node-a/logs/access.log" in merged  # the biggest file was read as ranges
    assert ranged.events.equals(whole.events)
    assert ranged.sources.equals(whole.sources)
    assert ranged.unmatched.sort("template_id").equals(whole.unmatched.sort("template_id"))
