"""``report.html`` (self-contained, works offline) and ``summary.md`` from the tables in an output folder."""

from __future__ import annotations

import datetime as dt
import json
import string
from importlib import resources
from pathlib import Path
from typing import Any

from loganalyzer.atomic import atomic_write
from loganalyzer.outputs import report_html as sections
from loganalyzer.outputs import report_timeline, summary_md
from loganalyzer.outputs.report_assets import assets, pack
from loganalyzer.outputs.report_data import ReportData, load
from loganalyzer.outputs.report_overview import overview

HTML_NAME, MARKDOWN_NAME = "report.html", "summary.md"


def _template(name: str) -> str:
    return (resources.files("loganalyzer.outputs") / "templates" / name).read_text(encoding="utf-8")


def _json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_html(data: ReportData, generated: dt.datetime | None = None) -> str:
    """The whole page as one string."""
    generated = generated or dt.datetime.now(dt.UTC)
    ov = overview(data)
    spec = report_timeline.spec(data.incidents, data.events)
    untimed = data.incidents.filter(data.incidents["first_seen"].is_null()).height
    if spec is None:
        note = "No incident has timestamps, so there is nothing to draw."
    else:
        note = (
            "Each bar is an incident on one host, from first to last event, coloured by severity; the grey "
            "area behind is matched events per minute. Hover a bar for details, click it to open the incident."
        )
        if untimed:
            note += f" {untimed} incident(s) without timestamps are not drawn."
    table_html, details = sections.incidents(data)
    packed_details = pack(json.dumps(details, ensure_ascii=False, separators=(",", ":")))
    packed = "\n".join(
        f'<!-- {a.about} -->\n<script type="application/octet-stream" id="asset-{a.name}">{a.data}</script>'
        for a in assets()
    )
    title = f"loganalyzer report — {data.incidents.height} incident(s)"
    return string.Template(_template("report.html")).substitute(
        title=sections.esc(title),
        css=_template("report.css"),
        header=sections.header(ov, data, generated),
        cards=sections.cards(ov, data),
        timeline_note=sections.esc(note),
        spec=_json(spec),
        incidents=table_html,
        unmatched=sections.unmatched(data),
        sources=sections.sources(data),
        certificates=sections.certificates(data),
        details=packed_details,
        assets=packed,
        js=_template("report.js"),
    )


def write_report(out_dir: Path) -> list[Path]:
    """Read the tables in ``out_dir`` and write ``report.html`` and ``summary.md`` there (atomically)."""
    data = load(out_dir)
    html_path, md_path = out_dir / HTML_NAME, out_dir / MARKDOWN_NAME
    summary = summary_md.render(data)
    atomic_write(md_path, lambda p: p.write_text(summary, encoding="utf-8"))
    page = render_html(data)  # needs vl-convert-python and itables; summary.md is written even without them
    atomic_write(html_path, lambda p: p.write_text(page, encoding="utf-8"))
    return [html_path, md_path]
