"""``summary.md``: the report as Markdown for a ticket — incidents above ``low``, then chains with fixes."""

from __future__ import annotations

import polars as pl

from loganalyzer.outputs.chains import Chain, chains
from loganalyzer.outputs.report_data import ReportData
from loganalyzer.outputs.report_overview import describe, overview, when, window
from loganalyzer.severity import LEVELS, rank

MAX_ROWS = 100
MAX_CHAINS = 20


def _cell(value: object) -> str:
    """Text safe inside a Markdown table cell."""
    text = "-" if value is None or value == "" else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _quote(text: str | None, indent: str = "  ") -> str:
    """Multi-line text indented under a list item."""
    lines = (text or "-").strip().splitlines() or ["-"]
    return ("\n" + indent).join(lines)


def _incident_table(incidents: pl.DataFrame) -> list[str]:
    shown = incidents.filter(pl.col("severity").is_in([lvl for lvl in LEVELS if rank(lvl) > rank("low")]))
    if shown.is_empty():
        return ["No incidents above `low`."]
    out = [
        "| severity | title | host | count | first seen (UTC) | last seen (UTC) | incident |",
        "|---|---|---|---:|---|---|---|",
    ]
    for r in shown.head(MAX_ROWS).iter_rows(named=True):
        out.append(
            f"| {r['severity']} | {_cell(r['title'])} | {_cell(r['host'])} | {r['count']} "
            f"| {when(r['first_seen'])} | {when(r['last_seen'])} | `{r['incident_id']}` |"
        )
    if shown.height > MAX_ROWS:
        out.append(f"\n… and {shown.height - MAX_ROWS} more in the incidents table.")
    return out


def _line(r: dict) -> str:
    return (
        f"**{r['severity']}** {r['title']} — {r['host'] or 'unknown host'}, ×{r['count']}, "
        f"{window(r['first_seen'], r['last_seen'])} (`{r['incident_id']}`)"
    )


def _fixes(members: list[dict]) -> list[str]:
    """One fix per signature, in member order."""
    seen: set[str] = set()
    out = []
    for r in members:
        if r["signature_id"] not in seen and r["fix"]:
            seen.add(r["signature_id"])
            out.append(f"- **Fix** ({r['signature_id']}):\n  {_quote(r['fix'])}")
    return out


def _chain(chain: Chain, rows: dict[str, dict], n: int) -> list[str]:
    causes, symptoms = [rows[i] for i in chain.causes], [rows[i] for i in chain.symptoms]
    if causes:
        head = f"{causes[0]['title']} → " + ", ".join(dict.fromkeys(s["title"] for s in symptoms))
        out = [f"### {n}. {chain.label or head}", ""]
        out += [f"- **Cause:** {_line(c)}" for c in causes]
        if causes[0]["root_cause"]:
            out.append(f"- **Why:** {_quote(causes[0]['root_cause'])}")
        out += ["- **Symptoms:**"] + [f"  - {_line(s)}" for s in symptoms]
        return [*out, *_fixes(causes)]
    out = [
        f"### {n}. {chain.label or 'Related incidents'}",
        "",
        "- **Related incidents** (no cause/symptom information):",
    ]
    out += [f"  - {_line(s)}" for s in symptoms]
    return [*out, *_fixes(symptoms)]


def render(data: ReportData) -> str:
    """The whole summary as Markdown."""
    ov = overview(data)
    inc = data.incidents
    counts = ", ".join(f"{n} {lvl}" for lvl, n in ov.by_severity.items() if n)
    out = ["# loganalyzer summary", ""]
    if ov.paths:
        out.append(f"Analyzed {', '.join(f'`{p}`' for p in ov.paths)}: {describe(ov)}.")
    else:
        out.append(f"Analyzed {describe(ov)}.")
    if ov.hosts:
        out.append(f"Hosts: {', '.join(ov.hosts)}.")
    if ov.versions:
        out.append(f"Versions: {'; '.join(ov.versions)}.")
    out += [
        f"**{inc.height} incident(s)**" + (f": {counts}." if counts else "."),
        "",
        "## Incidents above low",
        "",
        *_incident_table(inc),
        "",
    ]
    found = chains(inc)
    if found:
        rows = {r["incident_id"]: r for r in inc.iter_rows(named=True)}
        out += ["## Chains", ""]
        for n, chain in enumerate(found[:MAX_CHAINS], 1):
            out += [*_chain(chain, rows, n), ""]
        if len(found) > MAX_CHAINS:
            out += [f"… and {len(found) - MAX_CHAINS} more chains in the report.", ""]
    return "\n".join(out).rstrip() + "\n"
