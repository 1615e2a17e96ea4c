"""``loganalyzer patterns``: list, show, test and validate signature catalogues."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from loganalyzer.cli.common import EXIT_USAGE, err, load_catalogue

app = typer.Typer(
    help="List, show, test and validate signature catalogues.", no_args_is_help=True, rich_markup_mode=None
)

DirArg = Annotated[Path | None, typer.Argument(help="A catalogue folder (default: the shipped catalogue).")]
PatternsOpt = Annotated[list[Path] | None, typer.Option("--patterns", help="Extra signature folder (repeatable).")]


@app.command("list")
def list_(
    fmt: Annotated[str, typer.Option("--format", help="table or json")] = "table",
    patterns: PatternsOpt = None,
) -> None:
    """List every signature (json: id, title, component, severity, regexes, ...)."""
    catalogue = load_catalogue(patterns)
    if fmt == "json":
        out = [
            {
                "id": s.id,
                "title": s.title,
                "component": s.component,
                "severity": s.severity,
                "regexes": list(s.regexes),
                "fixed_in": s.fixed_in,
                "references": list(s.references),
                "tags": list(s.tags),
            }
            for s in catalogue
        ]
        print(json.dumps(out, indent=1))
        return
    if fmt != "table":
        err("--format takes table or json")
        raise typer.Exit(EXIT_USAGE)
    from rich.console import Console
    from rich.table import Table

    from loganalyzer.outputs.safe_text import safe

    table = Table(header_style="bold")
    for col in ("id", "severity", "title"):
        table.add_column(col, overflow="fold")
    for s in sorted(catalogue, key=lambda s: s.id):
        table.add_row(safe(s.id), safe(s.severity), safe(s.title))
    Console().print(table)
    print(f"{len(catalogue)} signatures")


@app.command("show")
def show(sig_id: Annotated[str, typer.Argument(help="Signature id.")], patterns: PatternsOpt = None) -> None:
    """Print one signature's file as loaded."""
    catalogue = load_catalogue(patterns)
    sig = catalogue.get(sig_id)
    if sig is None:
        err(f"no signature '{sig_id}'")
        raise typer.Exit(EXIT_USAGE)
    print(f"# {sig.file}")
    print(sig.file.read_text() if sig.file else sig)


def _folders(folder: Path | None) -> tuple[list[Path], bool]:
    if folder is None:
        return [], True
    if not folder.is_dir():
        err(f"{folder}: not a folder")
        raise typer.Exit(EXIT_USAGE)
    return [folder], True


@app.command("validate")
def validate(folder: DirArg = None) -> None:
    """Check schema, regexes, examples present, ids unique and well-formed; print file:line: problem."""
    from loganalyzer.catalogue import load

    extra, shipped = _folders(folder)
    catalogue, problems = load(extra, include_shipped=shipped)
    for p in problems:
        print(p)
    if problems:
        err(f"{len(problems)} problem(s)")
        raise typer.Exit(EXIT_USAGE)
    print(f"{len(catalogue)} signatures valid")


@app.command("test")
def test(folder: DirArg = None) -> None:
    """Run every example line through the matcher: each must (or must not) be reported as its signature."""
    from loganalyzer.matching.examples import check

    extra, _ = _folders(folder)
    catalogue = load_catalogue(extra)
    only = [s for s in catalogue if folder is None or (s.file and folder.resolve() in s.file.resolve().parents)]
    problems = check(catalogue, only)
    for p in problems:
        print(p)
    n = sum(len(s.matches) + len(s.non_matches) for s in only)
    if problems:
        print(f"{len(problems)} of {n} examples failed", file=sys.stderr)
        raise typer.Exit(1)
    print(f"{n} examples of {len(only)} signatures passed")
