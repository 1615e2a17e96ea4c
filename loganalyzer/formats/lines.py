"""Application log line formats: etcd zap JSON and capnslog, grpc-go, klog, APISIX/nginx error and access logs.

Each format turns the (unwrapped) line text into common columns: ``ts`` (UTC), ``level`` (normalised
to debug/info/notice/warn/error/crit), ``message``. Formats are tried in order per line; a line no
format recognises is ``raw``: it is still matched on its text, with no ts or level of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from loganalyzer.catalogue.literals import group_names
from loganalyzer.formats import timestamps as T

LEVEL_MAP = {
    # capnslog letters
    "C": "crit", "E": "error", "W": "warn", "N": "notice", "I": "info", "D": "debug", "T": "debug",
    # zap
    "debug": "debug", "info": "info", "warn": "warn", "error": "error", "dpanic": "crit", "panic": "crit",
    "fatal": "crit",
    # nginx
    "emerg": "crit", "alert": "crit", "crit": "crit", "notice": "notice",
    # grpc-go / klog
    "INFO": "info", "WARNING": "warn", "ERROR": "error", "FATAL": "crit", "F": "crit",
}


@dataclass(frozen=True)
class LineFormat:
    """A line format recognised by one regex with ``ts``, ``level`` and ``msg`` groups."""

    name: str
    regex: str
    ts_format: str | None = None
    ts_has_zone: bool = False
    extra: tuple[str, ...] = field(default_factory=tuple)

    def columns(self, text: pl.Expr, tz: str) -> dict[str, pl.Expr]:
        g = text.str.extract_groups(self.regex)
        names = group_names(self.regex)
        ts = g.struct.field("ts") if self.ts_format else pl.lit(None, pl.String)
        level = g.struct.field("level") if "level" in names else pl.lit(None, pl.String)
        if self.ts_format is None:
            parsed = pl.lit(None, T.UTC_DTYPE)
        elif self.ts_has_zone:
            parsed = T.with_zone(ts, self.ts_format)
        else:
            parsed = T.local(ts, self.ts_format, tz)
        return {
            "matched": g.struct.field("msg").is_not_null(),
            "ts": parsed,
            "level": level.replace_strict(LEVEL_MAP, default=None, return_dtype=pl.String),
            "message": g.struct.field("msg"),
        }


class ZapFormat:
    """etcd's zap JSON: ``{"level":…,"ts":…,"caller":…,"msg":…}``, with any of the four ``ts`` variants.

    Keys are read with regexes, not a JSON parser, so redacted or pasted lines whose JSON is invalid
    still yield their level, time and message.
    """

    name = "zap"

    def columns(self, text: pl.Expr, tz: str) -> dict[str, pl.Expr]:
        level = text.str.extract(r'"level"\s*:\s*"(\w+)"')
        ts_text = text.str.extract(r'"ts"\s*:\s*"([^"]+)"')
        ts_num = text.str.extract(r'"ts"\s*:\s*([0-9.eE+]+)')
        msg = text.str.extract(r'"msg"\s*:\s*"((?:[^"\\]|\\.)*)"')
        unescaped = msg.str.replace_all(r'\"', '"', literal=True).str.replace_all(r"\\", "\\", literal=True)
        return {
            "matched": text.str.contains(r'^\s*\{.*"level"\s*:') & msg.is_not_null(),
            "ts": pl.coalesce(T.rfc3339(ts_text), T.epoch_seconds(ts_num)),
            "level": level.replace_strict(LEVEL_MAP, default=None, return_dtype=pl.String),
            "message": unescaped,
        }


TS_NGINX = r"(?P<ts>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})"
FORMATS: tuple[LineFormat | ZapFormat, ...] = (
    ZapFormat(),
    LineFormat(
        "capnslog",
        r"^(?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6})(?: \[[^\]]+\])? (?P<level>[CEWNIDT]) \| "
        r"(?:(?P<pkg>[\w./-]+): )?(?P<msg>.*)$",
        "%Y-%m-%d %H:%M:%S%.f",
    ),
    LineFormat(
        "nginx_error",
        "^" + TS_NGINX + r" \[(?P<level>emerg|alert|crit|error|warn|notice|info|debug)\] (?P<pid>\d+)#\d+: "
        r"(?:\*\d+ )?(?P<msg>.*)$",
        "%Y/%m/%d %H:%M:%S",
    ),
    LineFormat("grpc", r"^(?P<level>INFO|WARNING|ERROR|FATAL): " + TS_NGINX + r" (?P<msg>.*)$", "%Y/%m/%d %H:%M:%S"),
    LineFormat("grpc", "^" + TS_NGINX + r" (?P<level>INFO|WARNING|ERROR|FATAL): (?P<msg>.*)$", "%Y/%m/%d %H:%M:%S"),
    LineFormat(
        "nginx_access",
        r"^(?P<client>\S+) - (?P<user>\S+) \[(?P<ts>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "
        r"(?P<msg>.*)$",
        "%d/%b/%Y:%H:%M:%S %z",
        ts_has_zone=True,
    ),
    LineFormat("nginx_stderr", r"^nginx: \[(?P<level>emerg|alert|crit|error|warn|notice|info|debug)\] (?P<msg>.*)$"),
    LineFormat("klog", r"^(?P<level>[IWEF])\d{4} \d{2}:\d{2}:\d{2}\.\d{6} +\d+ \S+:\d+\] (?P<msg>.*)$"),
)


def parse(frame: pl.DataFrame, tz: str = "UTC") -> pl.DataFrame:
    """Add ``format``, ``ts``, ``level`` and ``message`` to a frame with a ``text`` column."""
    text = pl.col("text")
    cols = [(f.name, f.columns(text, tz)) for f in FORMATS]
    out = {}
    for key, dtype in (("ts", T.UTC_DTYPE), ("level", pl.String), ("message", pl.String), ("format", pl.String)):
        expr = None
        for name, c in cols:
            value = pl.lit(name) if key == "format" else c[key]
            expr = (pl.when(c["matched"]) if expr is None else expr.when(c["matched"])).then(value)
        fallback = {"format": pl.lit("raw"), "message": text}.get(key, pl.lit(None, dtype))
        out[key] = expr.otherwise(fallback).cast(dtype).alias(key)
    return frame.with_columns(**out)
