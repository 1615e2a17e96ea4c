"""Multi-line events: a Go panic with its goroutine dump, a Lua ``stack traceback:`` block, a capnslog panic.

The event stays at its first line; the continuation lines that follow it (those that do not start a new
record in any known format) are joined into its ``message``, vectorised over a bounded look-ahead.
"""

from __future__ import annotations

import polars as pl

from loganalyzer.formats import wrappers

MAX_BLOCK_LINES = 400
RECORD_START = (
    r"^(?:\d{4}[-/]\d{2}[-/]\d{2}[ T]\d{2}:\d{2}|\{|[A-Z][a-z]{2} [ \d]\d \d\d:|[IWEF]\d{4} \d\d:"
    r"|(?:INFO|WARNING|ERROR|FATAL): |nginx: \[|panic: |fatal error: |\S+ - \S+ \[)"
)
CONTINUES = r"^(?:\s|stack traceback:|coroutine \d+:|goroutine \d+ \[|\[signal |created by |\S+\(.*\)$|$)"


def attach_blocks(
    events: pl.DataFrame, frame: pl.DataFrame, wrapper: wrappers.Wrapper, ctx: wrappers.Context
) -> pl.DataFrame:
    """Join each event's continuation lines (from ``frame``, the chunk) into its ``message``."""
    starts = events.select(pl.col("line").alias("start"))
    offsets = pl.DataFrame({"offset": list(range(1, MAX_BLOCK_LINES + 1))})
    nxt = frame.select(pl.col("line").alias("line"), "raw").filter(
        pl.col("line").is_in((starts["start"] + 1).implode())
    )
    if nxt.is_empty():
        return events
    first = wrappers.unwrap(nxt, wrapper, ctx).filter(
        pl.col("text").str.contains(CONTINUES) & ~pl.col("text").str.contains(RECORD_START)
    )
    if first.is_empty():
        return events
    blocks = starts.filter(pl.col("start").is_in((first["line"] - 1).implode())).join(offsets, how="cross")
    blocks = blocks.with_columns((pl.col("start") + pl.col("offset")).alias("line"))
    body = wrappers.unwrap(blocks.join(frame.select("line", "raw"), on="line"), wrapper, ctx)
    body = (
        body.sort("start", "offset")
        .with_columns(
            (pl.col("text").str.contains(RECORD_START) | (pl.col("offset").diff().over("start").fill_null(1) != 1))
            .cum_sum()
            .over("start")
            .alias("_stop")
        )
        .filter(pl.col("_stop") == 0)
    )
    joined = body.group_by("start").agg(pl.col("text").str.join("\n").alias("_block"))
    return (
        events.join(joined, left_on="line", right_on="start", how="left")
        .with_columns(
            pl.when(pl.col("_block").is_not_null())
            .then(pl.concat_str([pl.col("text"), pl.col("_block")], separator="\n"))
            .otherwise(pl.col("message"))
            .alias("message")
        )
        .drop("_block")
    )
