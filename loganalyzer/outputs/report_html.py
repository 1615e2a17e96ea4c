"""The HTML sections of ``report.html``: header, cards, incident table and details, other tables."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterable
from typing import Any

import polars as pl

from loganalyzer.outputs.report_data import ReportData
from loganalyzer.outputs.report_overview import Overview, when, window
from loganalyzer.severity import LEVELS
from loganalyzer.units import human_size

NO_HOST = "(no host)"
MAX_UNMATCHED = 500
_CODE = re.compile(r"`([^`]+)`")
_URL = re.compile(r"https?://[^\s<>\"')]+")


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def prose(text: str | None) -> str:
    """Escaped text with ``code`` spans, links and line breaks."""
    out = _CODE.sub(r"<code>\1</code>", esc(text or ""))
    out = _URL.sub(lambda m: f'<a href="{m.group(0)}" target="_blank" rel="noopener">{m.group(0)}</a>', out)
    return out.replace("\n", "<br>")


def cell(value: Any) -> str:
    """A table cell's text for any column value."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return when(value)
    if isinstance(value, list):
        return ", ".join(cell(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def table(frame: pl.DataFrame, columns: Iterable[str], *, table_id: str = "", classes: str = "grid") -> str:
    """A plain HTML table of ``columns`` (those present) of ``frame``."""
    cols = [c for c in columns if c in frame.columns]
    head = "".join(f"<th>{esc(c.replace('_', ' '))}</th>" for c in cols)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(cell(r[c]))}</td>" for c in cols) + "</tr>"
        for r in frame.select(cols).iter_rows(named=True)
    )
    ident = f' id="{table_id}"' if table_id else ""
    return f'<table{ident} class="{classes}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _read(ov: Overview, data: ReportData) -> str:
    text = f"{ov.files_read} file(s), {esc(human_size(ov.bytes))}, {ov.lines:,} lines"
    if ov.files_not_ok:
        text += f'; <a href="#sources">{ov.files_not_ok} skipped or failed</a>'
    if data.unmatched is not None and data.unmatched.height:
        text += f'; <a href="#unmatched">{data.unmatched.height} unmatched error template(s)</a>'
    return text


def header(ov: Overview, data: ReportData, generated: dt.datetime) -> str:
    facts = [
        ("Analyzed", ", ".join(f"<code>{esc(p)}</code>" for p in ov.paths) or "-"),
        ("Read", _read(ov, data)),
        ("Time range", esc(window(ov.start, ov.end)) if ov.start else "no timestamps"),
    ]
    if ov.hosts:
        facts.append((f"Hosts ({len(ov.hosts)})", esc(", ".join(ov.hosts))))
    if ov.versions:
        facts.append(("Versions", esc("; ".join(ov.versions))))
    facts.append(("Run time", esc(ov.run_time) if ov.run_time else "not recorded"))
    facts.append(("Report", f"{esc(when(generated))} UTC from <code>{esc(data.out_dir)}</code>"))
    rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
    extra = ""
    if ov.run_facts:
        items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in ov.run_facts)
        extra = f'<details class="run"><summary>run.json</summary><dl class="facts">{items}</dl></details>'
    return f'<header><h1>loganalyzer report</h1><dl class="facts">{rows}</dl>{extra}</header>'


def cards(ov: Overview, data: ReportData) -> str:
    sev = "".join(
        f'<div class="tile sev-{lvl}"><div class="n">{n}</div><div>{lvl}</div></div>'
        for lvl, n in ov.by_severity.items()
    )
    out = [f'<div class="cards"><div class="card"><h3>Incidents by severity</h3><div class="tiles">{sev}</div></div>']
    inc = data.incidents
    if inc.height:
        comps = (
            inc.group_by(pl.col("component").fill_null("?"))
            .agg(pl.len().alias("n"), pl.col("count").sum())
            .sort(["n", "count"], descending=True)
            .head(6)
        )
        items = "".join(f"<li><b>{esc(c)}</b> {n} incident(s), {k:,} events</li>" for c, n, k in comps.iter_rows())
        out.append(f'<div class="card wide"><h3>Top components</h3><ul>{items}</ul></div>')
        sigs = (
            inc.group_by("signature_id")
            .agg(pl.len().alias("n"), pl.col("count").sum(), pl.col("title").first())
            .sort(["n", "count"], descending=True)
            .head(5)
        )
        items = "".join(
            f'<li title="{esc(t)}"><code>{esc(s)}</code> <span class="muted">{n} incident(s), {k:,} events</span></li>'
            for s, n, k, t in sigs.iter_rows()
        )
        out.append(f'<div class="card wide sigs"><h3>Top signatures</h3><ul>{items}</ul></div>')
    out.append("</div>")
    return "".join(out)


def _evidence(raw: str | None) -> str:
    try:
        found = json.loads(raw) if raw else {}
    except ValueError:
        return f"<pre>{esc(raw)}</pre>"
    if not isinstance(found, dict) or not found:
        return "<pre>" + esc(json.dumps(found, indent=2)) + "</pre>" if found else "<i>none</i>"
    rows = []
    for key, value in found.items():
        if isinstance(value, dict | list) and not (
            isinstance(value, list) and all(isinstance(v, str | int | float) for v in value)
        ):
            shown = f"<pre>{esc(json.dumps(value, indent=2, ensure_ascii=False))}</pre>"
        elif isinstance(value, list):
            shown = esc(", ".join(str(v) for v in value))
        else:
            shown = esc(value)
            if key.endswith("_bytes") and isinstance(value, int | float):
                shown += f" <span class=muted>({human_size(value)})</span>"
        rows.append(f"<tr><th>{esc(key)}</th><td>{shown}</td></tr>")
    return f'<table class="kv">{"".join(rows)}</table>'


def _related(ids: list[str], rows: dict[str, dict]) -> str:
    links = []
    for i in ids:
        r = rows.get(i)
        label = f"{r['title']} — {r['host'] or NO_HOST} ({i})" if r else i
        cls = f"sev-{r['severity']}" if r else ""
        links.append(f'<li><a class="rel {cls}" href="#inc-{esc(i)}" data-id="{esc(i)}">{esc(label)}</a></li>')
    return f"<ul>{''.join(links)}</ul>"


def details(r: dict, related: list[str], rows: dict[str, dict]) -> str:
    """The expanded view of one incident."""
    parts = [("Root cause", prose(r["root_cause"])), ("Fix", prose(r["fix"]))]
    if r.get("fixed_in"):
        parts.append(("Fixed in", esc(r["fixed_in"])))
    if r.get("role"):
        parts.append(("Role", esc(r["role"]) + (f" — {esc(r['chain'])}" if r.get("chain") else "")))
    if related:
        parts.append(("Related incidents", _related(related, rows)))
    parts.append(("Window", esc(window(r["first_seen"], r["last_seen"])) + f", {r['count']} event(s)"))
    parts.append(("Evidence", _evidence(r["evidence"])))
    parts.append(("Sample line", f"<pre>{esc(r['sample'])}</pre>"))
    if r.get("sources"):
        parts.append(("Sources", "<br>".join(f"<code>{esc(s)}</code>" for s in r["sources"])))
    if r.get("references"):
        refs = "".join(
            f'<li><a href="{esc(u)}" target="_blank" rel="noopener">{esc(u)}</a></li>' for u in r["references"]
        )
        parts.append(("References", f"<ul>{refs}</ul>"))
    body = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in parts)
    return f'<div class="detail"><dl>{body}</dl></div>'


def _links(inc: pl.DataFrame) -> dict[str, list[str]]:
    """Related ids of each incident, both directions, existing incidents only."""
    ids = set(inc["incident_id"].to_list())
    links: dict[str, list[str]] = {i: [] for i in ids}
    for i, related in inc.select("incident_id", "related").iter_rows():
        for j in related or []:
            if j in ids and j != i:
                links[i].append(j)
                links[j].append(i)
    return {i: list(dict.fromkeys(v)) for i, v in links.items()}


def _select(ident: str, label: str, col: int, values: list[str]) -> str:
    opts = "".join(f'<option value="{esc(v)}">{esc(v)}</option>' for v in values)
    return f'<label>{label} <select id="{ident}" data-col="{col}"><option value="">all</option>{opts}</select></label>'


def incidents(data: ReportData) -> tuple[str, dict[str, str]]:
    """The incident table (sortable, filterable once the page's script runs) and each row's details."""
    inc = data.incidents
    rows = {r["incident_id"]: r for r in inc.iter_rows(named=True)}
    links = _links(inc) if "related" in inc.columns else {}
    sev_rank = {lvl: i for i, lvl in enumerate(LEVELS)}
    body, detail = [], {}
    for i, r in rows.items():
        related = links.get(i, [])
        detail[i] = details(r, related, rows)
        host = r["host"] or NO_HOST
        badge = f' <span class="chain" title="related incidents">⛓ {len(related)}</span>' if related else ""
        role = f' <span class="role">{esc(r["role"])}</span>' if r.get("role") else ""
        first, last = r["first_seen"], r["last_seen"]
        body.append(
            f'<tr id="inc-{esc(i)}" data-id="{esc(i)}"><td class="ctl" title="details"></td>'
            f'<td data-order="{sev_rank.get(r["severity"], -1)}" data-search="{esc(r["severity"])}">'
            f'<span class="sev sev-{esc(r["severity"])}">{esc(r["severity"])}</span></td>'
            f'<td>{esc(r["title"])}{role}{badge}<div class="sig">{esc(r["signature_id"])}</div></td>'
            f'<td>{esc(r["component"])}</td><td data-search="{esc(host)}">{esc(host)}</td>'
            f'<td class="num">{r["count"]}</td>'
            f'<td data-order="{first.timestamp() if first else 0}">{when(first)}</td>'
            f'<td data-order="{last.timestamp() if last else 0}">{when(last)}</td>'
            f'<td><code class="id">{esc(i)}</code></td></tr>'
        )
    present = [lvl for lvl in reversed(LEVELS) if lvl in set(inc["severity"].to_list())]
    comps = sorted({c for c in inc["component"].to_list() if c})
    hosts = sorted({r["host"] or NO_HOST for r in rows.values()})
    filters = (
        f'<div class="filters">{_select("f-severity", "Severity", 1, present)}'
        f"{_select('f-component', 'Component', 3, comps)}{_select('f-host', 'Host', 4, hosts)}"
        '<label>Text <input id="f-text" type="search" placeholder="title, signature, id, host…">'
        "</label></div>"
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "",
            "Severity",
            "Title",
            "Component",
            "Host",
            "Count",
            "First seen (UTC)",
            "Last seen (UTC)",
            "Incident",
        )
    )
    html_ = (
        f'<section id="incidents-section"><h2>Incidents <span class="muted">({inc.height})</span></h2>'
        f'{filters}<table id="incidents" class="display compact"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></section>"
    )
    return html_, detail


def unmatched(data: ReportData) -> str:
    frame = data.unmatched
    if frame is None:
        return ""
    if frame.is_empty():
        return (
            '<section id="unmatched"><h2>Unmatched errors</h2><p>Every warning and error line matched a '
            "known signature.</p></section>"
        )
    frame = frame.sort("count", descending=True) if "count" in frame.columns else frame
    more = (
        f"<p class=muted>{frame.height - MAX_UNMATCHED} more in the unmatched table.</p>"
        if frame.height > MAX_UNMATCHED
        else ""
    )
    rows = "".join(
        f"<tr><td class=num>{r['count']}</td><td>{esc(r['level'])}</td><td>{esc(r['component'])}</td>"
        f"<td><code>{esc(r['template'])}</code><div class=sample>{esc((r['sample'] or '')[:400])}</div></td>"
        f"<td>{esc(cell(r['hosts']))}</td><td>{when(r['first_seen'])}</td><td>{when(r['last_seen'])}</td></tr>"
        for r in frame.head(MAX_UNMATCHED).iter_rows(named=True)
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "Count",
            "Level",
            "Component",
            "Template (and a sample line)",
            "Hosts",
            "First seen (UTC)",
            "Last seen (UTC)",
        )
    )
    return (
        f'<section id="unmatched"><h2>Unmatched errors <span class="muted">({frame.height} templates)</span>'
        "</h2><p class=muted>Warnings and errors that no signature explains, grouped by message template.</p>"
        f'<table id="unmatched-table" class="display compact"><thead><tr>{head}</tr></thead>'
        f"<tbody>{rows}</tbody></table>{more}</section>"
    )


def sources(data: ReportData) -> str:
    if data.sources is None:
        return ""
    bad = data.sources.filter(pl.col("status") != "ok")
    if bad.is_empty():
        return ""
    return (
        f'<section id="sources"><h2>Sources skipped or failed <span class="muted">({bad.height})</span></h2>'
        f"{table(bad, ('source', 'format', 'status', 'error', 'bytes', 'lines'))}</section>"
    )


def certificates(data: ReportData) -> str:
    certs = data.certificates
    if certs is None:
        return ""
    if certs.is_empty():
        return '<section id="certificates"><h2>Certificates</h2><p>No certificates found.</p></section>'
    probs = certs["problems"].list.len().fill_null(0) if "problems" in certs.columns else None
    n_bad = int((probs > 0).sum()) if probs is not None else 0
    if probs is not None:
        certs = certs.with_columns(probs.alias("_n")).sort("_n", descending=True)
    cols = (
        "path",
        "common_name",
        "roles",
        "not_after",
        "problem_details",
        "missing_sans",
        "key_matches",
        "issuer",
        "dns_names",
        "ip_addresses",
    )
    return (
        f'<section id="certificates"><h2>Certificates <span class="muted">({certs.height}, {n_bad} with '
        f"problems)</span></h2>{table(certs, cols)}</section>"
    )
