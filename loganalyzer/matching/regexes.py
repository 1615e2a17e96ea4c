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


def compile_problems(patterns: list[str]) -> dict[str, str]:
    """Problems of the patterns that do not compile (one polars call when they all do)."""
    try:
        pl.select(pl.lit("").str.contains(p).alias(str(i)) for i, p in enumerate(patterns))
    except Exception:  # find the culprit(s) one by one
        return {p: err for p in patterns if (err := compile_problem(p))}
    return {}
