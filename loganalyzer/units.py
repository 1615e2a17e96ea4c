"""Parsing and rendering of durations and byte sizes used in the catalogue and in evidence."""

from __future__ import annotations

import datetime

import regex

_DURATION_PART = regex.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)")
_SCALE = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> float | None:
    """Seconds in a Go-style duration such as ``1.5s``, ``100ms``, ``2m30s`` or ``15m``; None if invalid."""
    text = text.strip()
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        return None
    return sum(float(n) * _SCALE[u] for n, u in parts)


def human_size(n: float) -> str:
    """``5242880`` → ``5.0 MiB``."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def human_duration(seconds: float) -> str:
    """``0.25`` → ``250ms``, ``4.2`` → ``4.2s``, ``900`` → ``15m``."""
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.1f}s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h"


def parse_time(text: str, now: datetime.datetime | None = None) -> datetime.datetime:
    """An ISO time (``2026-11-27T10:00``, zone-less means UTC) or a relative one (``2h``, ``1d``) before ``now``."""
    now = now or datetime.datetime.now(datetime.UTC)
    seconds = parse_duration(text)
    if seconds is not None:
        return now - datetime.timedelta(seconds=seconds)
    try:
        value = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError(f"'{text}' is neither an ISO time (2026-11-27T10:00) nor a relative one (2h, 1d)") from exc
    return value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
