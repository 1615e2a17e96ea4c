"""One unattended run around the analysis: lock, state, history journal, commit — in a crash-safe order.

``open`` takes the lock, loads the state and undoes the history writes of a run that was killed before it
committed. ``finish`` appends the history (journal first) and then commits the state atomically, so a run
killed at any moment leaves the previous state, and the next run reads the same data again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from loganalyzer.nightly import history as hist
from loganalyzer.nightly.hook import checkpoint
from loganalyzer.nightly.lock import Busy, RunLock
from loganalyzer.nightly.state import State, StateError, load, save
from loganalyzer.outputs.write import EVENT_COLUMNS

STATE_IN_HISTORY = "_state.json"  # the state used when --history is given without --state


class NightlyError(Exception):
    """A one-line reason the run cannot start (lock held, unusable state file)."""


def _beside(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


@dataclass
class Session:
    state_path: Path
    history_dir: Path | None
    state: State
    lock: RunLock
    run_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    run_id: str = ""
    recovered: list[Path] = field(default_factory=list)

    @classmethod
    def open(cls, state_path: Path | None, history_dir: Path | None, wait: bool = False, on_wait=None) -> Session:
        """Lock ``state_path`` (default: inside ``history_dir``), load it, undo an uncommitted run's history."""
        if state_path is None:
            if history_dir is None:
                raise ValueError("a session needs a state file or a history folder")
            state_path = history_dir / STATE_IN_HISTORY
        if state_path.is_dir():
            raise NightlyError(f"--state {state_path} is a directory; give a file path")
        lock = RunLock(_beside(state_path, ".lock"), wait, on_wait)
        try:
            lock.acquire()
        except Busy as exc:
            raise NightlyError(str(exc)) from None
        except OSError as exc:
            raise NightlyError(f"cannot lock {lock.path}: {exc.strerror or exc}") from None
        try:
            state = load(state_path)
            recovered = hist.recover(_beside(state_path, ".journal"), state.last_run_id)
            for stale in state_path.parent.glob(f".{state_path.name}.*.tmp"):  # a killed run's temporary files
                stale.unlink(missing_ok=True)
        except StateError as exc:
            lock.release()
            raise NightlyError(str(exc)) from None
        except BaseException:
            lock.release()
            raise
        session = cls(state_path, history_dir, state, lock, recovered=recovered)
        session.state.now = session.run_at.isoformat(timespec="seconds")
        session.run_id = hist.new_run_id(session.run_at)
        return session

    def finish(self, result, success: bool) -> list[Path]:
        """Append this run's tables to the history, then commit the state; return the history files."""
        written: list[Path] = []
        if self.history_dir is not None:
            tables = {name: getattr(result, name) for name in hist.TABLES if hasattr(result, name)}
            if "events" in tables:
                streams = self.state.run_streams
                tables["events"] = (
                    tables["events"]
                    .select(EVENT_COLUMNS)
                    .with_columns(
                        pl.col("source").replace_strict(streams, default=None, return_dtype=pl.String).alias("stream")
                    )
                )
            journal = _beside(self.state_path, ".journal")
            written = hist.append(self.history_dir, tables, self.run_id, self.run_at, journal)
            checkpoint("history")
        self.state.generation += 1
        self.state.last_run_id = self.run_id
        if success:
            self.state.last_success = self.run_at.timestamp()
        self.state.prune()
        save(self.state, self.state_path)
        checkpoint("committed")
        _beside(self.state_path, ".journal").unlink(missing_ok=True)
        return written

    def close(self) -> None:
        self.lock.release()
