"""Small helpers for polars frames shared by the stages."""

from __future__ import annotations

import polars as pl


def detached(frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` with its text copied into buffers of its own.

    polars strings are views into shared buffers: a handful of rows filtered out of a 32 MiB chunk would
    otherwise keep the whole chunk in memory for as long as they are kept (events, templates across a file).
    """
    text = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    if not text or frame.is_empty():
        return frame
    return frame.with_columns(pl.col(text).str.replace("^", ""))
