"""Writing an analysis's tables into the output folder."""

from __future__ import annotations

from pathlib import Path

from loganalyzer.outputs.tables import write_table

EVENT_COLUMNS = ("source", "line", "ts", "level", "format", "host", "signature_id", "incident_id", "message",
                 "fields")


def write_all(result, out_dir: Path, formats: tuple[str, ...]) -> list[Path]:
    """Write incidents, events, sources, unmatched templates and hosts; return the paths written."""
    written = write_table(result.incidents, out_dir, "incidents", formats)
    written += write_table(result.events.select(EVENT_COLUMNS), out_dir, "events", formats)
    written += write_table(result.sources, out_dir, "sources", formats)
    written += write_table(result.unmatched, out_dir, "unmatched", formats)
    written += write_table(result.hosts, out_dir, "hosts", formats)
    written += write_table(result.certificates, out_dir, "certificates", formats)
    return written
