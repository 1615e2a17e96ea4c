"""Exit codes through the real entry point (SPEC): --version, unwritable outputs (2), internal errors (4)."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import SAMPLE_LOGS
from loganalyzer import __version__


def run(*args, env=None, cwd=None):
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env={**os.environ, **(env or {})}, cwd=cwd
    )


def test_version():
    r = run("-m", "loganalyzer", "--version")
    assert r.returncode == 0
    assert r.stdout.strip() == __version__


def test_out_is_a_file(tmp_path):
    f = tmp_path / "out"
    f.write_text("keep")
    r = run("-m", "loganalyzer", "analyze", str(SAMPLE_LOGS), "--out", str(f), "-q")
    assert r.returncode == 2
    assert "--out" in r.stderr and "not a directory" in r.stderr
    assert "Traceback" not in r.stderr
    assert f.read_text() == "keep"


def test_out_under_a_file(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    r = run("-m", "loganalyzer", "analyze", str(SAMPLE_LOGS), "--out", str(f / "sub"), "-q")
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_metrics_under_a_file(tmp_path):
    f = tmp_path / "f"
    f.write_text("x")
    r = run(
        "-m", "loganalyzer", "analyze", str(SAMPLE_LOGS), "--out", str(tmp_path / "o"),
        "--metrics", str(f / "m.prom"), "-q",
    )  # fmt: skip
    assert r.returncode == 2
    assert "--metrics" in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


SCRIPT = (
    "import sys, loganalyzer.analysis as a, loganalyzer.cli as c\n"
    "def boom(*args, **kw): raise RuntimeError('boom')\n"
    "a.run = boom\n"
    "sys.argv = ['loganalyzer', 'analyze', sys.argv[1], '--out', sys.argv[2], '-q']\n"
    "c.main()\n"
)


def test_internal_error_exits_4(tmp_path):
    r = run("-c", SCRIPT, str(SAMPLE_LOGS), str(tmp_path / "o"), env={"LOGANALYZER_DEBUG": ""})
    assert r.returncode == 4
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("loganalyzer: internal error: RuntimeError: boom")
    assert "Traceback" not in r.stderr


def test_internal_error_debug_traceback(tmp_path):
    r = run("-c", SCRIPT, str(SAMPLE_LOGS), str(tmp_path / "o"), env={"LOGANALYZER_DEBUG": "1"})
    assert r.returncode == 4
    assert "Traceback" in r.stderr and "RuntimeError: boom" in r.stderr
