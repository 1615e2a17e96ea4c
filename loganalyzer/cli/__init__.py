"""The command line: one typer app, one module per command; heavy imports happen inside the commands."""

from __future__ import annotations

import typer

from loganalyzer.cli import analyze, certs, explain, history, patterns, report

app = typer.Typer(
    name="loganalyzer",
    help="Find known etcd and Apache APISIX failures in logs, and say why they happen and how to fix them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain click help: starting rich's help renderer costs more than the rest of start-up
)
app.command("analyze")(analyze.analyze)
app.command("explain")(explain.explain)
app.command("certs")(certs.certs)
app.command("report")(report.report)
app.command("history")(history.history)
app.add_typer(patterns.app, name="patterns")


def main() -> None:
    import signal

    # `loganalyzer ... | head`: end quietly like other Unix tools (status 141), not with exit 1, which means
    # "incidents found". Tables and state are written atomically, so stopping here loses nothing.
    if hasattr(signal, "SIGPIPE"):
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    app()
