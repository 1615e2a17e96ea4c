"""The ``certs`` command's terminal output: one table row per certificate, then every problem in words."""

from __future__ import annotations

from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table
from rich.text import Text

from loganalyzer.outputs.safe_text import clean, safe

HEADLINE = "missing_client_auth_eku"
SEVERE = {
    "missing_client_auth_eku",
    "expired",
    "chain_unverified",
    "key_mismatch",
    "san_mismatch",
    "cn_only",
    "unparseable",
    "missing_server_auth_eku",
    "expired_in_log_range",
}


def _style(code: str) -> str:
    return "bold red" if code == HEADLINE else "red" if code in SEVERE else "yellow"


def _date(value) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else "-"


def show(
    console: Console, certificates: pl.DataFrame, notes: list[str], out_dir: Path | None, written: list[Path]
) -> None:
    """Print the certificates table, their problems, notes, and where the table was written."""
    with_problems = certificates.filter(pl.col("problems").list.len() > 0)
    console.print(f"{certificates.height} certificate(s); {with_problems.height} with problems.")
    if certificates.height:
        table = Table(header_style="bold", show_lines=False)
        for col in ("path", "role", "subject / SANs", "valid until", "EKU", "key", "problems"):
            table.add_column(col, overflow="fold")
        for row in certificates.iter_rows(named=True):
            path = clean(row["path"]) + (f" #{row['index']}" if row["index"] else "")
            names = clean(", ".join([*(row["dns_names"] or []), *(row["ip_addresses"] or [])]))
            who = Text(clean(row["common_name"] or row["subject"] or "-"))
            if names:
                who.append(f"\n{names}", style="dim")
            key = (
                "-"
                if row["key_path"] is None
                else ("matches" if row["key_matches"] else "MISMATCH" if row["key_matches"] is False else "unreadable")
            )
            problems = Text()
            for i, code in enumerate(row["problems"] or []):
                problems.append(("\n" if i else "") + clean(code), style=_style(code))
            table.add_row(
                Text(path),
                Text(clean(", ".join(row["roles"] or []) or "-")),
                who,
                _date(row["not_after"]),
                Text(clean(", ".join(row["extended_key_usage"] or []) or ("(any)" if row["subject"] else "-"))),
                Text(key),
                problems if row["problems"] else Text("ok", style="green"),
            )
        console.print(table)
    for row in with_problems.iter_rows(named=True):
        for detail in row["problem_details"] or []:
            code, _, text = detail.partition(": ")
            line = Text(f"{clean(row['path'])}: ")
            line.append(clean(code), style=_style(code))
            line.append(f" — {clean(text)}")
            console.print(line)
    for note in notes:
        console.print(Text(f"note: {clean(note)}", style="dim"))
    if written:
        console.print(f"\nTable written to {safe(out_dir)}: " + ", ".join(safe(p.name) for p in written))
