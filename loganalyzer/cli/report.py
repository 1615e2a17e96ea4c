"""``loganalyzer report OUTDIR``: write report.html and summary.md from the tables an analyze run left there."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loganalyzer.cli.common import EXIT_USAGE, err


def report(
    outdir: Annotated[Path, typer.Argument(help="Output folder of an analyze run (holds incidents.parquet).")],
) -> None:
    """Write report.html (self-contained, works offline) and summary.md into OUTDIR."""
    from loganalyzer.outputs.report import write_report
    from loganalyzer.outputs.report_assets import MissingDependency

    try:
        written = write_report(outdir)
    except (FileNotFoundError, MissingDependency) as exc:
        err(str(exc))
        raise typer.Exit(EXIT_USAGE) from None
    for path in written:
        print(path)
