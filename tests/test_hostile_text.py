"""Issue 15: text from log lines and signatures is printed as data, never as Rich markup or terminal controls."""

from __future__ import annotations

import shutil
from pathlib import Path

from rich.console import Console
from typer.testing import CliRunner

from loganalyzer.cli import app
from loganalyzer.outputs.safe_text import clean, safe

SAMPLE_ERROR_LOG = Path(__file__).resolve().parent.parent / "sample_logs" / "apisix-a" / "logs" / "error.log"
HOSTILE = (
    "2026/11/27 09:20:00 [error] 1234#1234: *5 lua entry thread aborted: runtime error: "
    "/usr/local/apisix/apisix/plugins/x.lua:12: bad [/x] [bold]oops[/bold] \x1b[31mred\x1b[0m\n"
)
SIGNATURE = '''id = "apisix.hostile_healthcheck_probe"
title = "Hostile [/x] probe title"
component = "apisix"
severity = "high"
regexes = ['hostile probe failed for (?P<node>\\S+)']
description = """A test signature."""
root_cause = """The probe of [node] failed."""
fix = """Set [healthcheck] active.timeout in the upstream."""
references = ["https://example.com/hostile"]

[examples]
match = ['2026/11/27 09:21:00 [error] 44#44: *3 hostile probe failed for 10.0.0.1:80']
no_match = ['2026/11/27 09:21:00 [error] 44#44: *3 hostile probe passed for 10.0.0.1:80']
'''


def test_safe_text_helper():
    assert safe("bad [/x] [bold]oops[/bold]") == "bad \\[/x] \\[bold]oops\\[/bold]"
    assert clean("a\x1b[31mred\x1b[0m\tb\nc\x07\x7f") == "a\\x1b[31mred\\x1b[0m\tb\nc\\x07\\x7f"
    console = Console(record=True, width=200)
    data = "Set [healthcheck] and [/x] \x1b[2J"
    console.print(f"[bold]Fix:[/] {safe(data)}")
    text = console.export_text()
    assert "Set [healthcheck] and [/x] \\x1b[2J" in text
    assert "\x1b" not in text


def _logs(tmp_path: Path) -> Path:
    logs = tmp_path / "logs" / "apisix" / "logs"
    logs.mkdir(parents=True)
    shutil.copy(SAMPLE_ERROR_LOG, logs / "error.log")
    with open(logs / "error.log", "a") as f:
        f.write(HOSTILE)
        f.write("2026/11/27 09:21:00 [error] 44#44: *3 hostile probe failed for 10.0.0.1:80\n")
    return tmp_path / "logs"


def test_hostile_log_line_does_not_break_analyze(tmp_path):
    logs = _logs(tmp_path)
    baseline = CliRunner().invoke(app, ["analyze", str(SAMPLE_ERROR_LOG.parent), "--out", str(tmp_path / "base")])
    assert baseline.exit_code in (0, 1), baseline.output
    res = CliRunner().invoke(app, ["analyze", str(logs), "--out", str(tmp_path / "out")])
    assert res.exit_code in (0, 1), res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    assert "[/x]" in res.output
    assert "\x1b" not in res.stdout
    # the known incidents of the sample log are still reported
    base_ids = {w for w in baseline.stdout.split() if w.startswith("apisix.")}
    assert base_ids
    assert base_ids <= {w for w in res.stdout.split() if w.startswith("apisix.")}


def test_fix_text_keeps_square_brackets(tmp_path):
    logs = _logs(tmp_path)
    patterns = tmp_path / "patterns" / "apisix"
    patterns.mkdir(parents=True)
    (patterns / "hostile_healthcheck_probe.toml").write_text(SIGNATURE)
    res = CliRunner().invoke(
        app, ["analyze", str(logs), "--patterns", str(tmp_path / "patterns"), "--out", str(tmp_path / "out")]
    )
    assert res.exit_code in (0, 1), res.output
    assert "Traceback" not in res.output
    assert "Set [healthcheck] active.timeout in the upstream." in res.stdout
    assert "The probe of [node] failed." in res.stdout
    assert "Hostile [/x] probe title" in res.stdout
    assert "\x1b" not in res.stdout
