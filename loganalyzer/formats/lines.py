"""Application log line formats: etcd zap JSON and capnslog, grpc-go, klog, APISIX/nginx error and access logs.

Each format turns the (unwrapped) line text into common columns: ``ts`` (UTC), ``level`` (normalised
to debug/info/notice/warn/error/crit), ``message``. Formats are tried in order per line; a line no
format recognises is ``raw``: it is still matched on its text, with no ts or level of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from loganalyzer.catalogue.literals import group_names
from loganalyzer.formats import timestamps as T

LEVEL_MAP = {
    # capnslog letters
    "C": "crit",
    "E": "error",
    "W": "warn",
    "N": "notice",
    "I": "info",
    "D": "debug",
    "T": "debug",
    # zap
    "debug": "debug",
    "info": "info",
    "warn": "warn",
    "error": "error",
    "dpanic": "crit",
    "panic": "crit",
    "fatal": "crit",
    # nginx
    "emerg": "crit",
    "alert": "crit",
    "crit": "crit",
    "notice": "notice",
    # grpc-go / klog
    "INFO": "info",
    "WARNING": "warn",
    "ERROR": "error",
    "FATAL": "crit",
    "F": "crit",
}


@dataclass(frozen=True)
class LineFormat:
    """A line format recognised by one regex with ``ts``, ``level`` and ``msg`` groups."""

    name: str
    regex: str
    ts_format: str | None = None
    ts_has_zone: bool = False
    detect: str = ""  # a cheap anchored prefix that selects the lines to parse with ``regex``

    def detects(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(self.detect or self.regex)

    def prepare(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Run the format's regex once over ``text`` (the columns below read its groups)."""
        return frame.with_columns(pl.col("text").str.extract_groups(self.regex).alias("_g"))

    def columns(self, text: pl.Expr, tz: str) -> dict[str, pl.Expr]:
        g = pl.col("_g")
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

    def detects(self, text: pl.Expr) -> pl.Expr:
        return text.str.contains(r'^\s*\{.*"level"\s*:')

    def prepare(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Read the keys once (the columns below use them)."""
        text = pl.col("text")
        return frame.with_columns(
            text.str.extract(r'"level"\s*:\s*"(\w+)"').alias("_level"),
            text.str.extract(r'"ts"\s*:\s*"([^"]+)"').alias("_ts_text"),
            text.str.extract(r'"ts"\s*:\s*([0-9.eE+]+)').alias("_ts_num"),
            text.str.extract(r'"msg"\s*:\s*"((?:[^"\\]|\\.)*)"').alias("_msg"),
        )

    def columns(self, text: pl.Expr, tz: str) -> dict[str, pl.Expr]:
        level, ts_text, ts_num, msg = pl.col("_level"), pl.col("_ts_text"), pl.col("_ts_num"), pl.col("_msg")
        unescaped = msg.str.replace_all(r"\"", '"', literal=True).str.replace_all(r"\\", "\\", literal=True)
        return {
            "matched": msg.is_not_null(),
            "ts": pl.coalesce(T.rfc3339(ts_text), T.epoch_seconds(ts_num)),
            "level": level.replace_strict(LEVEL_MAP, default=None, return_dtype=pl.String),
            "message": unescaped,
        }


# Phrases that mark a warn/error/crit line in the known formats; they join the matcher's literal prefilter
# (compared case-insensitively), so finding these lines costs no extra pass over the input.
PROBLEM_LEVEL_PHRASES = (
    " W | ",
    " E | ",
    " C | ",  # capnslog
    '"level":"warn"',
    '"level":"error"',
    '"level":"dpanic"',
    '"level":"panic"',
    '"level":"fatal"',  # zap
    "[warn] ",
    "[error] ",
    "[crit] ",
    "[alert] ",
    "[emerg] ",  # nginx
    "WARNING: ",
    "ERROR: ",
    "FATAL: ",  # grpc-go
)

TS_NGINX = r"(?P<ts>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})"
FORMATS: tuple[LineFormat | ZapFormat, ...] = (
    ZapFormat(),
    LineFormat(
        "capnslog",
        r"^(?P<ts>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6})(?: \[[^\]]+\])? (?P<level>[CEWNIDT]) \| "
        r"(?:(?P<pkg>[\w./-]+): )?(?P<msg>.*)$",
        "%Y-%m-%d %H:%M:%S%.f",
        detect=r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6} ",
    ),
    LineFormat(
        "nginx_error",
        "^" + TS_NGINX + r" \[(?P<level>emerg|alert|crit|error|warn|notice|info|debug)\] (?P<pid>\d+)#\d+: "
        r"(?:\*\d+ )?(?P<msg>.*)$",
        "%Y/%m/%d %H:%M:%S",
        detect=r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[",
    ),
    LineFormat("grpc", r"^(?P<level>INFO|WARNING|ERROR|FATAL): " + TS_NGINX + r" (?P<msg>.*)$", "%Y/%m/%d %H:%M:%S"),
    LineFormat("grpc", "^" + TS_NGINX + r" (?P<level>INFO|WARNING|ERROR|FATAL): (?P<msg>.*)$", "%Y/%m/%d %H:%M:%S"),
    LineFormat(
        "nginx_access",
        r"^(?P<client>\S+) - (?P<user>\S+) \[(?P<ts>\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4})\] "
        r"(?P<msg>.*)$",
        "%d/%b/%Y:%H:%M:%S %z",
        ts_has_zone=True,
        detect=r"^\S+ - \S+ \[\d\d/",
    ),
    LineFormat("nginx_stderr", r"^nginx: \[(?P<level>emerg|alert|crit|error|warn|notice|info|debug)\] (?P<msg>.*)$"),
    LineFormat("klog", r"^(?P<level>[IWEF])\d{4} \d{2}:\d{2}:\d{2}\.\d{6} +\d+ \S+:\d+\] (?P<msg>.*)$"),
)


def parse(frame: pl.DataFrame, tz: str = "UTC") -> pl.DataFrame:
    """Add ``format``, ``ts``, ``level`` and ``message`` to a frame with a ``text`` column.

    Each line's format is picked with cheap anchored prefixes; each format present then parses only its lines.
    """
    text = pl.col("text")
    which = pl.lit(None, pl.Int32)
    for i in reversed(range(len(FORMATS))):
        which = pl.when(FORMATS[i].detects(text)).then(pl.lit(i, pl.Int32)).otherwise(which)
    tagged = frame.with_row_index("_order").with_columns(which.alias("_format"))
    parts = []
    for i in tagged["_format"].drop_nulls().unique().sort().to_list():
        fmt = FORMATS[i]
        c = fmt.columns(text, tz)
        sub = fmt.prepare(tagged.filter(pl.col("_format") == i))
        parts.append(
            sub.with_columns(
                pl.when(c["matched"]).then(c["ts"]).cast(T.UTC_DTYPE).alias("ts"),
                pl.when(c["matched"]).then(c["level"]).cast(pl.String).alias("level"),
                pl.when(c["matched"]).then(c["message"]).otherwise(text).cast(pl.String).alias("message"),
                pl.when(c["matched"]).then(pl.lit(fmt.name)).otherwise(pl.lit("raw")).alias("format"),
            ).select(*tagged.columns, "ts", "level", "message", "format")
        )
    parts.append(
        tagged.filter(pl.col("_format").is_null()).with_columns(
            pl.lit(None, T.UTC_DTYPE).alias("ts"),
            pl.lit(None, pl.String).alias("level"),
            text.cast(pl.String).alias("message"),
            pl.lit("raw").alias("format"),
        )
    )
    return pl.concat(parts).sort("_order").drop("_order", "_format")
