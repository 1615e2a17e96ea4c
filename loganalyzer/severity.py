"""Severity levels, lowest to highest."""

LEVELS: tuple[str, ...] = ("info", "low", "medium", "high", "critical")


def rank(level: str) -> int:
    """Position of ``level`` in :data:`LEVELS` (higher is more severe)."""
    return LEVELS.index(level)
