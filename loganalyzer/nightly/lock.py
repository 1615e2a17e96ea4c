"""One run at a time per state file: an exclusive ``flock`` on ``FILE.lock``, holding the owner's pid.

The kernel releases the lock when its process dies, however it dies, so a lock left by a killed run is
simply taken over; the pid in the file only names the owner in the message.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path


class Busy(Exception):
    """Another live run holds the lock."""


class RunLock:
    """``with RunLock(path, wait=False):`` — raises :class:`Busy` (or waits) while another run holds it."""

    def __init__(self, path: Path, wait: bool = False, on_wait=None):
        self.path, self.wait, self.on_wait = path, wait, on_wait
        self.fd: int | None = None

    def _owner(self) -> str:
        try:
            pid = self.path.read_text().strip()
        except OSError:
            pid = ""
        return f"pid {pid}" if pid.isdigit() else "another process"

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if not self.wait:
                    raise Busy(
                        f"another run ({self._owner()}) is using {self.path.with_suffix('')}; "
                        "try again later or pass --wait"
                    ) from None
                if self.on_wait:
                    self.on_wait(self._owner())
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing drops the lock; the file stays (removing it would race a waiting run)
            self.fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
