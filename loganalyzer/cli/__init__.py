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


def _version(value: bool) -> None:
    if value:
        from loganalyzer import __version__

        print(__version__)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", help="Print the version and exit.", callback=_version, is_eager=True
    ),
) -> None:
    """Find known etcd and Apache APISIX failures in logs, and say why they happen and how to fix them."""


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
    try:
        app()
    except Exception as exc:  # SPEC: the run failed → exit 4, one line (1 means only "incidents found")
        import errno
        import os
        import sys
        import traceback

        if os.environ.get("LOGANALYZER_DEBUG") == "1":
            traceback.print_exc()
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            print(f"loganalyzer: disk full: {exc}", file=sys.stderr)
        else:
            hint = "" if os.environ.get("LOGANALYZER_DEBUG") == "1" else " (set LOGANALYZER_DEBUG=1 for a traceback)"
            print(f"loganalyzer: internal error: {type(exc).__name__}: {exc}{hint}", file=sys.stderr)
        sys.exit(4)
