"""``loganalyzer explain ID``: what a signature detects, why, how to fix it, with examples."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loganalyzer.cli.common import EXIT_USAGE, err, load_catalogue


def explain(
    sig_id: Annotated[str, typer.Argument(help="Signature id, e.g. etcd.tls_incompatible_key_usage.")],
    patterns: Annotated[list[Path] | None, typer.Option("--patterns", help="Extra signature folder.")] = None,
) -> None:
    """Explain one signature: root cause, fix, references, fixed-in and examples."""
    from rich.console import Console
    from rich.markdown import Markdown

    from loganalyzer.catalogue.docs import signature_markdown

    catalogue = load_catalogue(patterns)
    sig = catalogue.get(sig_id)
    if sig is None:
        close = [s.id for s in catalogue if sig_id.split(".")[-1] in s.id][:5]
        err(f"no signature '{sig_id}'" + (f"; did you mean {', '.join(close)}?" if close else ""))
        raise typer.Exit(EXIT_USAGE)
    Console().print(Markdown(signature_markdown(sig)))
