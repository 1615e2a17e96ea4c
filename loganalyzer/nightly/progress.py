"""A progress bar for interactive runs: on stderr, only on a terminal, only once a run has taken a second."""

from __future__ import annotations

import sys
import threading

DELAY_S = 1.0


class ScanProgress:
    """``on_source`` callback for the scan; call :meth:`close` when the scan is over."""

    def __init__(self, enabled: bool | None = None, delay_s: float = DELAY_S):
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.delay_s = delay_s
        self.done: set[str] = set()
        self.total: int | None = None
        self._bar = None
        self._task = None
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def start(self, total: int | None = None) -> None:
        """Show the bar after ``delay_s`` unless the run is over by then; ``total`` files are expected."""
        self.total = total
        if self.enabled:
            self._timer = threading.Timer(self.delay_s, self._show)
            self._timer.daemon = True
            self._timer.start()

    def _show(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with self._lock:
            if self._timer is None:
                return
            self._bar = Progress(
                TextColumn("reading"),
                BarColumn(bar_width=20),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                console=Console(stderr=True),
                transient=True,
            )
            self._task = self._bar.add_task("", total=self.total, completed=len(self.done))
            self._bar.start()

    def __call__(self, row: dict) -> None:
        from loganalyzer.outputs.safe_text import safe

        name = row["source"].split("!", 1)[0]  # archive members count as their archive
        with self._lock:
            self.done.add(name)
            if self._bar is not None:
                self._bar.update(self._task, completed=len(self.done), description=safe(name.rsplit("/", 1)[-1][:40]))

    def close(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            if self._bar is not None:
                self._bar.stop()
                self._bar = None
