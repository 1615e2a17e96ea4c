"""Collector wrappers around log lines: Kubernetes CRI, docker json-file, journald, syslog, kubectl, compose.

A wrapper is detected once per file from a sample of its lines, then stripped (vectorised) from the
lines that need it, giving the inner ``text`` that the line formats parse and the signatures match,
plus the wrapper's own timestamp and host where it has them.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl
import regex

from loganalyzer.formats import timestamps as T

RFC3339 = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})"
SYSLOG_TS = r"[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d{1,6})?"
IDENT = r"(?P<ident>[^\s\[:]+)(?:\[\d+\])?: "


@dataclass(frozen=True)
class Context:
    """What a file tells about times without a zone or a year."""

    tz: str = "UTC"
    year: int = 1970


@dataclass(frozen=True)
class RegexWrapper:
    """A prefix wrapper stripped by one regex with ``text`` and optional ``wts``/``host`` groups."""

    name: str
    regex: str
    ts_kind: str | None = None  # rfc3339 | syslog

    def unwrap(self, raw: pl.Expr, ctx: Context) -> dict[str, pl.Expr]:
        g = raw.str.extract_groups(self.regex)
        names = regex.compile(self.regex).groupindex
        wts = g.struct.field("wts") if "wts" in names else pl.lit(None, pl.String)
        if self.ts_kind == "rfc3339":
            ts = T.rfc3339(wts)
        elif self.ts_kind == "syslog":
            ts = T.local(pl.lit(f"{ctx.year} ") + wts.str.replace_all(r"\s+", " "), "%Y %b %d %H:%M:%S%.f", ctx.tz)
        else:
            ts = pl.lit(None, T.UTC_DTYPE)
        host = g.struct.field("host") if "host" in names else pl.lit(None, pl.String)
        return {"text": pl.coalesce(g.struct.field("text"), raw), "wrapper_ts": ts, "wrapper_host": host}

    def sniff(self, line: str) -> bool:
        return regex.match(self.regex, line) is not None


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
        return regex.search(self.detect, line) is not None


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
    JsonWrapper("docker_json", r'^\{"log":', "log", "time", "rfc3339"),
    JsonWrapper("journald_json", r'^\{.*"__REALTIME_TIMESTAMP"', "MESSAGE", "__REALTIME_TIMESTAMP", "epoch_us",
                "_HOSTNAME"),
    RegexWrapper("syslog_rfc5424", rf"^<\d+>1 (?P<wts>{RFC3339}) (?P<host>\S+) \S+ \S+ \S+ (?:-|(?:\[[^\]]*\])+) ?"
                 r"(?P<text>.*)$", "rfc3339"),
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
