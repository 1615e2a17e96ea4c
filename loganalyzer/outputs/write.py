"""Writing an analysis's tables into the output folder."""

from __future__ import annotations

from pathlib import Path

from loganalyzer.atomic import atomic_write
from loganalyzer.outputs.tables import write_table

EVENT_COLUMNS = ("source", "line", "ts", "level", "format", "host", "signature_id", "incident_id", "message", "fields")


def write_run_info(out_dir: Path, info: dict) -> Path:
    """``run.json``: what was analyzed, when, how long it took, with which options (read by the report)."""
    import datetime as dt
    import json

    from loganalyzer import __version__

    started = info.get("started")
    data = {
        **info,
        "version": __version__,
        "started": dt.datetime.fromtimestamp(started, dt.UTC).isoformat() if started else None,
    }
    path = out_dir / "run.json"
    atomic_write(path, lambda p: p.write_text(json.dumps(data, indent=1, default=str)))
    return path


def write_all(result, out_dir: Path, formats: tuple[str, ...], run_info: dict | None = None) -> list[Path]:
    """Write incidents, events, sources, unmatched templates and hosts; return the paths written."""
    written = write_table(result.incidents, out_dir, "incidents", formats)
    written += write_table(result.events.select(EVENT_COLUMNS), out_dir, "events", formats)
    written += write_table(result.sources, out_dir, "sources", formats)
    written += write_table(result.unmatched, out_dir, "unmatched", formats)
    written += write_table(result.hosts, out_dir, "hosts", formats)
    written += write_table(result.certificates, out_dir, "certificates", formats)
    if run_info is not None:
        written.append(write_run_info(out_dir, run_info))
    return written
