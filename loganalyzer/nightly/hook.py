"""A test hook: ``LOGANALYZER_PAUSE_AT=<point>`` makes a run stop at a named point so a test can kill it.

At that point the run prints ``loganalyzer: paused at <point>`` to stderr and sleeps; the crash-safety
tests send it SIGKILL there. Points: ``scanned``, ``outputs``, ``history-<table>``, ``history``, ``committed``.
Unset (always, outside those tests) it costs one environment look-up per point.
"""

from __future__ import annotations

import os
import sys
import time

ENV = "LOGANALYZER_PAUSE_AT"


def checkpoint(point: str) -> None:
    if os.environ.get(ENV) == point:
        print(f"loganalyzer: paused at {point}", file=sys.stderr, flush=True)
        time.sleep(600)
