"""Collector wrappers around log lines: Kubernetes CRI, docker json-file, journald, syslog, kubectl, compose.

A wrapper is detected once per file from a sample of its lines, then stripped (vectorised) from the
lines that need it, giving the inner ``text`` that the line formats parse and the signatures match,
plus the wrapper's own timestamp and host where it has them.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass

import polars as pl
import regex

from loganalyzer.catalogue.literals import group_names
from loganalyzer.formats import timestamps as T

RFC3339 = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})"
SYSLOG_TS = r"[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?"
IDENT = r"(?P<ident>[^\s\[:]+)(?:\[\d+\])?: "


@functools.lru_cache(maxsize=64)
def _compiled(pattern: str) -> regex.Pattern:
    return regex.compile(pattern)


@dataclass(frozen=True)
class Context:
    """What a file tells about times without a zone or a year: its zone option and its modification time."""

    tz: str = "UTC"
    mtime: dt.datetime | None = None  # UTC; year-less times take its year (December lines of a January file: -1)

    @property
    def year(self) -> int:
        return (self.mtime or dt.datetime.now(dt.UTC)).year


@dataclass(frozen=True)
class RegexWrapper:
    """A prefix wrapper stripped by one regex with ``text`` and optional ``wts``/``host`` groups."""

    name: str
    regex: str
    ts_kind: str | None = None  # rfc3339 | syslog

    def unwrap(self, raw: pl.Expr, ctx: Context) -> dict[str, pl.Expr]:
        g = raw.str.extract_groups(self.regex)
        names = group_names(self.regex)
        wts = g.struct.field("wts") if "wts" in names else pl.lit(None, pl.String)
        if self.ts_kind == "rfc3339":
            ts = T.rfc3339(wts)
        elif self.ts_kind == "syslog":
            ts = T.local(pl.lit(f"{ctx.year} ") + wts.str.replace_all(r"\s+", " "), "%Y %b %d %H:%M:%S%.f", ctx.tz)
            if ctx.mtime is not None:  # a file written in January holds December lines of the year before
                ts = pl.when(ts > pl.lit(ctx.mtime + dt.timedelta(days=1))).then(ts.dt.offset_by("-1y")).otherwise(ts)
        else:
            ts = pl.lit(None, T.UTC_DTYPE)
        host = g.struct.field("host") if "host" in names else pl.lit(None, pl.String)
        return {"text": pl.coalesce(g.struct.field("text"), raw), "wrapper_ts": ts, "wrapper_host": host}

    def sniff(self, line: str) -> bool:
        return _compiled(self.regex).match(line) is not None


@dataclass(frozen=True)
class JsonWrapper:
    """A JSON-per-line wrapper (docker json-file, ``journalctl -o json``): the line is one key's value."""

    name: str
    detect: str
    text_key: str
    ts_key: str
    ts_kind: str  # rfc3339 | epoch_us
    host_key: str | None = None

    def unwrap(self, raw: pl.Expr, ctx: Context) -> dict[str, pl.Expr]:
        text = raw.str.json_path_match(f"$.{self.text_key}").str.strip_suffix("\n").str.strip_suffix("\r")
        wts = raw.str.json_path_match(f"$.{self.ts_key}")
        if self.ts_kind == "rfc3339":
            ts = T.rfc3339(wts)
        else:
            ts = pl.from_epoch(wts.cast(pl.Int64, strict=False), time_unit="us").dt.replace_time_zone("UTC")
        host = raw.str.json_path_match(f"$.{self.host_key}") if self.host_key else pl.lit(None, pl.String)
        return {"text": pl.coalesce(text, raw), "wrapper_ts": ts, "wrapper_host": host}

    def sniff(self, line: str) -> bool:
        return _compiled(self.detect).search(line) is not None


class NoWrapper:
    """Lines as written by the program itself."""

    name = "plain"

    def unwrap(self, raw: pl.Expr, ctx: Context) -> dict[str, pl.Expr]:
        return {"text": raw, "wrapper_ts": pl.lit(None, T.UTC_DTYPE), "wrapper_host": pl.lit(None, pl.String)}

    def sniff(self, line: str) -> bool:
        return True


Wrapper = RegexWrapper | JsonWrapper | NoWrapper
PLAIN = NoWrapper()

WRAPPERS: tuple[Wrapper, ...] = (
    RegexWrapper("cri", rf"^(?P<wts>{RFC3339}) (?:stdout|stderr) (?P<tag>[PF]) (?P<text>.*)$", "rfc3339"),
    JsonWrapper("docker_json", r'^\{\s*"log"\s*:', "log", "time", "rfc3339"),
    JsonWrapper(
        "journald_json", r'^\{.*"__REALTIME_TIMESTAMP"', "MESSAGE", "__REALTIME_TIMESTAMP", "epoch_us", "_HOSTNAME"
    ),
    RegexWrapper(
        "syslog_rfc5424",
        rf"^<\d+>1 (?P<wts>{RFC3339}) (?P<host>\S+) \S+ \S+ \S+ (?:-|(?:\[[^\]]*\])+) ?"
        r"(?P<text>.*)$",
        "rfc3339",
    ),
    RegexWrapper("journald_iso", rf"^(?P<wts>{RFC3339}) (?P<host>\S+) {IDENT}(?P<text>.*)$", "rfc3339"),
    RegexWrapper("journald", rf"^(?:<\d+>)?(?P<wts>{SYSLOG_TS}) (?P<host>\S+) {IDENT}(?P<text>.*)$", "syslog"),
    RegexWrapper("kubectl_timestamps", rf"^(?P<wts>{RFC3339}) (?P<text>.*)$", "rfc3339"),
    RegexWrapper("compose", r"^(?P<host>[A-Za-z0-9][\w.-]*)\s+\| (?P<text>.*)$"),
)

SNIFF_LINES = 200


def detect(sample: list[str]) -> Wrapper:
    """The wrapper most of the sample's non-empty lines carry (more than half), else plain."""
    lines = [s for s in sample if s.strip()][:SNIFF_LINES]
    if not lines:
        return PLAIN
    for wrapper in WRAPPERS:
        if sum(wrapper.sniff(line) for line in lines) * 2 > len(lines):
            return wrapper
    return PLAIN


def unwrap(frame: pl.DataFrame, wrapper: Wrapper, ctx: Context) -> pl.DataFrame:
    """Add ``text``, ``wrapper_ts`` and ``wrapper_host`` to a frame with a ``raw`` column."""
    cols = wrapper.unwrap(pl.col("raw"), ctx)
    return frame.with_columns(
        cols["text"].cast(pl.String).alias("text"),
        cols["wrapper_ts"].cast(T.UTC_DTYPE).alias("wrapper_ts"),
        cols["wrapper_host"].cast(pl.String).alias("wrapper_host"),
    )


def _is_partial(wrapper: Wrapper) -> pl.Expr | None:
    """Records a runtime split because the line was too long: CRI tag ``P``; docker ``log`` without "\n"."""
    raw = pl.col("raw")
    if wrapper.name == "cri":
        return raw.str.contains(r"^\S+ (?:stdout|stderr) P ")
    if wrapper.name == "docker_json":
        return raw.str.contains(r'^\{\s*"log"\s*:') & ~raw.str.contains(r'\\n"\s*,\s*"stream"')
    return None


def join_partials(frame: pl.DataFrame, wrapper: Wrapper) -> pl.DataFrame:
    """Join split records (CRI ``P`` chunks, docker 16 KiB pieces) into the line of their first piece.

    The joined record keeps the first piece's line number; the following pieces become empty lines,
    so physical line numbers stay true.
    """
    partial = _is_partial(wrapper)
    if partial is None:
        return frame
    flagged = frame.with_columns(partial.alias("_p"))
    if not flagged["_p"].any():
        return frame
    prev = pl.col("_p").shift(1).fill_null(False)
    flagged = flagged.with_columns((~prev).cum_sum().alias("_g"))
    groups = flagged.filter(pl.col("_p") | prev)
    if wrapper.name == "cri":
        m = pl.col("raw").str.extract_groups(r"^(?P<head>\S+ (?:stdout|stderr)) [PF] (?P<body>.*)$")
        pieces = groups.with_columns(m.struct.field("head").alias("head"), m.struct.field("body").alias("body"))
        merged = pieces.group_by("_g").agg(
            pl.col("line").first(),
            (pl.col("head").first() + pl.lit(" F ") + pl.col("body").str.join("")).alias("_joined"),
        )
    else:
        pieces = groups.with_columns(
            pl.col("raw").str.json_path_match("$.log").alias("log"),
            pl.col("raw").str.json_path_match("$.stream").alias("stream"),
            pl.col("raw").str.json_path_match("$.time").alias("time"),
        )
        merged = pieces.group_by("_g").agg(
            pl.col("line").first(),
            pl.struct(pl.col("log").str.join(""), pl.col("stream").first(), pl.col("time").first())
            .struct.json_encode()
            .first()
            .alias("_joined"),
        )
    merged = merged.select("line", "_joined")
    continuation = groups.join(merged, on="line", how="anti").select("line")
    return (
        frame.join(merged, on="line", how="left")
        .with_columns(pl.coalesce("_joined", "raw").alias("raw"))
        .drop("_joined")
        .with_columns(
            pl.when(pl.col("line").is_in(continuation["line"].implode())).then(pl.lit("")).otherwise("raw").alias("raw")
        )
    )
