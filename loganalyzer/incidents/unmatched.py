"""Unknown errors: warn/error/crit lines no signature matched, masked into templates and counted.

Variable parts (UUIDs, quoted strings, addresses, paths, durations, hex ids, numbers) are masked with
vectorised replacements, so lines that differ only in those parts share one template.
"""

from __future__ import annotations

import hashlib

import polars as pl

from loganalyzer.formats.timestamps import UTC_DTYPE

PROBLEM_LEVELS = ("warn", "error", "crit")
MASKS: tuple[tuple[str, str], ...] = (
    (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}", "<uuid>"),
    (r'"(?:[^"\\]|\\.)*"', '"<str>"'),
    (r"'[^']*'", "'<str>'"),
    (r"\[[0-9a-fA-F:]*:[0-9a-fA-F:]*\](?::\d+)?", "<ip>"),
    (r"\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b", "<ip>"),
    (r"(?:[A-Za-z]:)?(?:/[\w.@%+-]+){2,}/?", "<path>"),
    (r"\b\d+(?:\.\d+)?(?:ns|µs|us|ms|s|m|h)\b", "<dur>"),
    (r"\b[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\b", None),  # placeholder, replaced below (hex needs a digit too)
    (r"\b\d+(?:\.\d+)?\b", "<num>"),
)
COMPONENT_OF_FORMAT = {
    "zap": "etcd",
    "capnslog": "etcd",
    "grpc": "etcd",
    "klog": "etcd",
    "nginx_error": "apisix",
    "nginx_access": "apisix",
    "nginx_stderr": "apisix",
}
UNMATCHED_SCHEMA = {
    "template_id": pl.String,
    "template": pl.String,
    "level": pl.String,
    "component": pl.String,
    "count": pl.Int64,
    "hosts": pl.List(pl.String),
    "first_seen": UTC_DTYPE,
    "last_seen": UTC_DTYPE,
    "sample": pl.String,
}


def mask(expr: pl.Expr) -> pl.Expr:
    """The template of a message: variable parts replaced by ``<kind>`` placeholders."""
    for pattern, repl in MASKS:
        if repl is None:  # hex ids: 8+ hex characters holding at least one digit and one letter
            expr = expr.str.replace_all(
                r"\b(?:[0-9a-fA-F]*\d[0-9a-fA-F]*[a-fA-F]|[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\d)"
                r"[0-9a-fA-F]*\b",
                "<hex>",
            )
            continue
        expr = expr.str.replace_all(pattern, repl)
    return expr.str.replace_all(r"\s+", " ").str.strip_chars()


def summarise(lines: pl.DataFrame) -> pl.DataFrame:
    """Partial template counts of parsed, unmatched lines (columns format, level, host, ts, message, raw).

    Digits are zeroed first (one cheap pass; every mask treats 0 like any digit), the lines are grouped by that
    shape, and the full masking runs once per distinct shape instead of once per line.
    """
    problems = lines.filter(pl.col("level").is_in(PROBLEM_LEVELS))
    if problems.is_empty():
        return pl.DataFrame(schema={k: v for k, v in UNMATCHED_SCHEMA.items() if k != "template_id"})
    inner = pl.col("format").str.split("/").list.last()
    shapes = (
        problems.with_columns(
            pl.col("message").str.slice(0, 2000).str.replace_all(r"\d", "0").alias("shape"),
            inner.replace_strict(COMPONENT_OF_FORMAT, default=None, return_dtype=pl.String).alias("component"),
        )
        .sort("ts", nulls_last=True)
        .group_by("shape", "level", "component", maintain_order=True)
        .agg(
            pl.len().cast(pl.Int64).alias("count"),
            pl.col("host").drop_nulls().unique().alias("hosts"),
            pl.col("ts").min().alias("first_seen"),
            pl.col("ts").max().alias("last_seen"),
            pl.col("raw").first().alias("sample"),
        )
    )
    return (
        shapes.with_columns(mask(pl.col("shape")).alias("template"))
        .group_by("template", "level", "component", maintain_order=True)
        .agg(
            pl.col("count").sum(),
            pl.col("hosts").list.explode(keep_nulls=False, empty_as_null=False).unique().sort(),
            pl.col("first_seen").min(),
            pl.col("last_seen").max(),
            pl.col("sample").first(),
        )
    )


def merge(parts: list[pl.DataFrame]) -> pl.DataFrame:
    """The unmatched table from partial summaries, most frequent first, with stable template ids."""
    parts = [p for p in parts if not p.is_empty()]
    if not parts:
        return pl.DataFrame(schema=UNMATCHED_SCHEMA)
    table = (
        pl.concat(parts)
        .group_by("template", "level", "component")
        .agg(
            pl.col("count").sum(),
            pl.col("hosts").list.explode(keep_nulls=False, empty_as_null=False).unique().sort(),
            pl.col("first_seen").min(),
            pl.col("last_seen").max(),
            pl.col("sample").sort_by("first_seen", nulls_last=True).first(),
        )
    )
    ids = [
        "tpl-" + hashlib.sha1(f"{c or '-'}|{lvl}|{t}".encode()).hexdigest()[:12]
        for t, lvl, c in table.select("template", "level", "component").iter_rows()
    ]
    table = table.with_columns(pl.Series("template_id", ids, pl.String))
    return table.select(list(UNMATCHED_SCHEMA)).sort(["count", "template"], descending=[True, False])
