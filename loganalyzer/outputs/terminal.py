"""The terminal summary after ``analyze``: incidents by severity, the incident table, where tables went."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table

from loganalyzer.outputs.safe_text import safe
from loganalyzer.severity import LEVELS

STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
MAX_ROWS = 40


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


def summary(
    console: Console,
    incidents: pl.DataFrame,
    sources: pl.DataFrame,
    out_dir: Path | None,
    written: list[Path],
    unmatched: pl.DataFrame | None = None,
) -> None:
    read = sources.filter(pl.col("status").is_in(["ok", "partial"]))
    console.print(
        f"Read {read.height} file(s), {int(read['lines'].sum() or 0):,} lines, "
        f"{int(read['bytes'].sum() or 0) / 1e6:,.1f} MB; {incidents.height} incident(s)."
    )
    counts = dict(incidents.group_by("severity").len().iter_rows()) if incidents.height else {}
    if counts:
        console.print("  ".join(f"[{STYLE[lvl]}]{lvl}: {counts[lvl]}[/]" for lvl in reversed(LEVELS) if lvl in counts))
    if incidents.height:
        table = Table(show_lines=False, header_style="bold")
        for col in ("severity", "signature", "host", "count", "first seen", "last seen", "title"):
            table.add_column(col, overflow="fold", justify="right" if col == "count" else "left")
        for row in incidents.head(MAX_ROWS).iter_rows(named=True):
            table.add_row(
                f"[{STYLE[row['severity']]}]{row['severity']}[/]",
                safe(row["signature_id"]),
                safe(row["host"] or "-"),
                str(row["count"]),
                _when(row["first_seen"]),
                _when(row["last_seen"]),
                safe(row["title"]),
            )
        console.print(table)
        if incidents.height > MAX_ROWS:
            console.print(f"... and {incidents.height - MAX_ROWS} more in the incidents table.")
        top = incidents.filter(pl.col("severity").is_in(["critical", "high"])).head(5)
        for row in top.iter_rows(named=True):
            console.print(
                f"\n[{STYLE[row['severity']]}]{row['severity'].upper()}[/] [bold]{safe(row['title'])}[/]"
                f" — {safe(row['host'] or '?')} ×{row['count']}"
            )
            console.print(f"[bold]Why:[/] {safe(row['root_cause'])}")
            console.print(f"[bold]Fix:[/] {safe(row['fix'])}")
    if "role" in incidents.columns:
        by_id = {r["incident_id"]: r for r in incidents.iter_rows(named=True)}
        for cause in incidents.filter(pl.col("role") == "cause").iter_rows(named=True):
            symptoms = [by_id[i] for i in cause["related"] if i in by_id]
            if symptoms:
                console.print(f"\n[bold]Chain:[/] {safe(cause['chain'] or '')}")
                console.print(
                    f"  {safe(cause['signature_id'])} ({safe(cause['host'] or '?')}) → "
                    + ", ".join(f"{safe(s['signature_id'])} ({safe(s['host'] or '?')})" for s in symptoms)
                )
    if unmatched is not None and unmatched.height:
        console.print(f"\n[bold]Unknown warnings and errors[/] (no signature; {unmatched.height} template(s)):")
        for row in unmatched.head(5).iter_rows(named=True):
            console.print(
                f"  {row['count']:>6} × {safe('[' + str(row['level']) + ']')} {safe(str(row['template'])[:140])}"
            )
    if written:
        console.print(f"\nTables written to {safe(out_dir)}: " + ", ".join(safe(p.name) for p in written))
