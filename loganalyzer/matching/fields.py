"""Typed evidence fields: named regex groups converted to numbers, durations and sizes, vectorised."""

from __future__ import annotations

import polars as pl

DTYPES: dict[str, pl.DataType] = {
    "str": pl.String(),
    "int": pl.Int64(),
    "float": pl.Float64(),
    "duration": pl.Float64(),
    "bytes": pl.Int64(),
}
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def duration_seconds(expr: pl.Expr) -> pl.Expr:
    """Go durations (``1.2s``, ``100ms``, ``2m3.5s``) or bare numbers (seconds) as float seconds."""
    parts = expr.str.extract_all(r"\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h)")
    summed = parts.list.eval(
        pl.element().str.extract(r"^([\d.]+)").cast(pl.Float64)
        * pl.element().str.extract(r"([a-zµ]+)$").replace_strict(_UNIT_SECONDS, return_dtype=pl.Float64)
    ).list.sum()
    bare = expr.cast(pl.Float64, strict=False)
    return pl.when(parts.list.len() > 0).then(summed).otherwise(bare)


def typed(expr: pl.Expr, kind: str) -> pl.Expr:
    """Convert a captured string to the field's declared type (invalid values become null)."""
    if kind == "str":  # values captured inside JSON strings (zap lines) keep no JSON escaping
        return expr.str.replace_all(r"\"", '"', literal=True).str.replace_all(r"\\", "\\", literal=True)
    if kind == "duration":
        return duration_seconds(expr)
    cleaned = expr.str.replace_all(",", "").str.strip_chars()
    if kind in ("int", "bytes"):
        return cleaned.cast(pl.Float64, strict=False).cast(pl.Int64, strict=False)
    return cleaned.cast(pl.Float64, strict=False)
