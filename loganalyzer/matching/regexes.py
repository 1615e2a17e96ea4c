"""Regex checks against the engine that runs them (Rust ``regex``, shared by polars and ripgrep)."""

from __future__ import annotations

import polars as pl

_PROBE = pl.Series("probe", [""], dtype=pl.String)


def compile_problem(pattern: str) -> str | None:
    """Why ``pattern`` does not compile in polars (and ripgrep), or None if it does."""
    try:
        _PROBE.str.contains(pattern)
    except Exception as exc:  # polars raises ComputeError with the Rust parser's message
        return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    return None
