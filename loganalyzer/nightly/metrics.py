"""``--metrics FILE``: the run in Prometheus text format, for node_exporter's textfile collector.

Written atomically (node_exporter must never read half a file). ``loganalyzer_last_success_timestamp_seconds``
is carried over from the previous file when this run failed, so an alert on its age works.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from loganalyzer.severity import LEVELS

PREFIX = "loganalyzer"


@dataclass
class RunFacts:
    """What the metrics say about one run besides its tables."""

    started: float
    duration_s: float
    exit_code: int
    success: bool  # the run read its input and wrote its outputs (exit 0 or 1)


def previous_success(path: Path) -> float | None:
    """The last-success timestamp in an earlier metrics file, if any."""
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = path.read_text()
        for family in text_string_to_metric_families(text):
            if family.name == f"{PREFIX}_last_success_timestamp_seconds":
                return family.samples[0].value
    except (OSError, ValueError, IndexError):
        return None
    return None


def render(
    incidents: pl.DataFrame, events: pl.DataFrame, sources: pl.DataFrame, facts: RunFacts, last_success: float | None
) -> bytes:
    """The Prometheus text exposition of one run."""
    from prometheus_client import CollectorRegistry, Gauge, generate_latest

    reg = CollectorRegistry()

    def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
        return Gauge(f"{PREFIX}_{name}", doc, labels, registry=reg)

    by_label = ("signature", "severity", "host")
    inc = gauge("incidents", "Incidents found in this run", by_label)
    evs = gauge("incident_events", "Events in the incidents found in this run", by_label)
    if incidents.height:
        grouped = incidents.group_by("signature_id", "severity", "host").agg(pl.len(), pl.col("count").sum())
        for sig, sev, host, n, count in grouped.sort("signature_id", "severity", "host").iter_rows():
            inc.labels(sig, sev, host or "").set(n)
            evs.labels(sig, sev, host or "").set(count)
    worst = gauge("incidents_by_severity", "Incidents found in this run per severity", ("severity",))
    counts = dict(incidents.group_by("severity").len().iter_rows()) if incidents.height else {}
    for level in LEVELS:
        worst.labels(level).set(counts.get(level, 0))
    gauge("events", "Matched events in this run").set(events.height)
    read = sources.filter(pl.col("status").is_in(["ok", "partial"]))
    gauge("read_bytes", "Bytes (decompressed) read in this run").set(int(read["bytes"].sum() or 0))
    gauge("read_lines", "Lines read in this run").set(int(read["lines"].sum() or 0))
    files = gauge("files", "Files (or archive members) by status in this run", ("status",))
    for status in ("ok", "partial", "skipped", "error"):
        files.labels(status).set(sources.filter(pl.col("status") == status).height)
    gauge("files_read", "Files (or archive members) read in this run").set(read.height)
    gauge("files_failed", "Files that could not be read (status error)").set(
        sources.filter(pl.col("status") == "error").height
    )
    gauge("run_duration_seconds", "Wall time of the run").set(round(facts.duration_s, 3))
    gauge("run_timestamp_seconds", "When the run started (Unix time)").set(facts.started)
    gauge("run_exit_code", "Exit code of the run").set(facts.exit_code)
    if last_success is not None:
        gauge("last_success_timestamp_seconds", "When the last successful run started (Unix time)").set(last_success)
    return generate_latest(reg)


def write(path: Path, incidents: pl.DataFrame, events: pl.DataFrame, sources: pl.DataFrame, facts: RunFacts) -> None:
    """Write the metrics file atomically."""
    from loganalyzer.atomic import atomic_write

    last = facts.started if facts.success else previous_success(path)
    data = render(incidents, events, sources, facts, last)
    atomic_write(path, lambda p: p.write_bytes(data))
