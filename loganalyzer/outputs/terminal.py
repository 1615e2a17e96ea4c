"""The terminal summary after ``analyze``: incidents by severity, the incident table, where tables went."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from rich.console import Console
from rich.markup import escape
from rich.table import Table

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
                row["signature_id"],
                row["host"] or "-",
                str(row["count"]),
                _when(row["first_seen"]),
                _when(row["last_seen"]),
                row["title"],
            )
        console.print(table)
        if incidents.height > MAX_ROWS:
            console.print(f"... and {incidents.height - MAX_ROWS} more in the incidents table.")
        top = incidents.filter(pl.col("severity").is_in(["critical", "high"])).head(5)
        for row in top.iter_rows(named=True):
            console.print(
                f"\n[{STYLE[row['severity']]}]{row['severity'].upper()}[/] [bold]{row['title']}[/]"
                f" — {row['host'] or '?'} ×{row['count']}"
            )
            console.print(f"[bold]Why:[/] {row['root_cause']}")
            console.print(f"[bold]Fix:[/] {row['fix']}")
    if "role" in incidents.columns:
        by_id = {r["incident_id"]: r for r in incidents.iter_rows(named=True)}
        for cause in incidents.filter(pl.col("role") == "cause").iter_rows(named=True):
            symptoms = [by_id[i] for i in cause["related"] if i in by_id]
            if symptoms:
                console.print(f"\n[bold]Chain:[/] {escape(cause['chain'] or '')}")
                console.print(
                    f"  {cause['signature_id']} ({cause['host'] or '?'}) → "
                    + ", ".join(f"{s['signature_id']} ({s['host'] or '?'})" for s in symptoms)
                )
    if unmatched is not None and unmatched.height:
        console.print(f"\n[bold]Unknown warnings and errors[/] (no signature; {unmatched.height} template(s)):")
        for row in unmatched.head(5).iter_rows(named=True):
            console.print(f"  {row['count']:>6} × {escape('[' + row['level'] + ']')} {escape(row['template'][:140])}")
    if written:
        console.print(f"\nTables written to {out_dir}: " + ", ".join(p.name for p in written))
