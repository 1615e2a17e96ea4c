"""The report's timeline as a Vega-Lite spec: incidents as bars per host, events per minute behind them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from loganalyzer.outputs.report_overview import window
from loganalyzer.severity import LEVELS

COLORS = {"critical": "#b91c1c", "high": "#ea580c", "medium": "#ca8a04", "low": "#0284c7", "info": "#64748b"}
BIN_MINUTES = (1, 2, 5, 10, 15, 30, 60, 120, 240, 360, 720, 1440)
MAX_BINS = 400
NO_HOST = "(no host)"


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_rate(events: pl.LazyFrame | None, start: dt.datetime, end: dt.datetime) -> tuple[list[dict], int]:
    """Events per minute over ``start``..``end`` in bins of a nice size (at most MAX_BINS); (points, bin minutes)."""
    span_min = max((end - start).total_seconds() / 60, 1.0)
    step = next((b for b in BIN_MINUTES if span_min / b <= MAX_BINS), BIN_MINUTES[-1])
    if events is None:
        return [], step
    every = f"{step}m"
    counts = (
        events.select(pl.col("ts"))
        .drop_nulls()
        .filter(pl.col("ts").is_between(start, end))
        .group_by(pl.col("ts").dt.truncate(every))
        .len()
        .collect()
    )
    if counts.is_empty():
        return [], step
    first = pl.Series([start]).dt.truncate(every)[0]
    grid = pl.DataFrame({"ts": pl.datetime_range(first, end, every, eager=True, time_zone="UTC", time_unit="us")})
    counts = counts.with_columns(pl.col("ts").dt.cast_time_unit("us"))
    rate = grid.join(counts, on="ts", how="left").with_columns(pl.col("len").fill_null(0))
    return [{"t": _iso(t), "per_min": round(n / step, 3)} for t, n in rate.iter_rows()], step


def _bars(incidents: pl.DataFrame) -> tuple[list[dict], list[str]]:
    """One bar per incident with timestamps (a minimum width so that single events show); host lanes in order."""
    timed = incidents.filter(pl.col("first_seen").is_not_null())
    if timed.is_empty():
        return [], []
    start, end = timed["first_seen"].min(), timed["last_seen"].max() or timed["first_seen"].max()
    min_width = max((end - start) / 250, dt.timedelta(seconds=30))
    bars, lanes = [], {}
    for r in timed.iter_rows(named=True):
        host = r["host"] or NO_HOST
        lanes.setdefault(host, (r["component"] or "", host))
        last = r["last_seen"] or r["first_seen"]
        bars.append(
            {
                "id": r["incident_id"],
                "title": r["title"],
                "host": host,
                "severity": r["severity"],
                "signature": r["signature_id"],
                "count": r["count"],
                "start": _iso(r["first_seen"]),
                "end": _iso(max(last, r["first_seen"] + min_width)),
                "window": window(r["first_seen"], last),
            }
        )
    return bars, [h for h, _ in sorted(lanes.items(), key=lambda kv: kv[1])]


def spec(incidents: pl.DataFrame, events: pl.LazyFrame | None) -> dict[str, Any] | None:
    """The Vega-Lite spec, or None when no incident has a timestamp."""
    bars, lanes = _bars(incidents)
    if not bars:
        return None
    start = min(dt.datetime.fromisoformat(b["start"]) for b in bars)
    end = max(dt.datetime.fromisoformat(b["end"]) for b in bars)
    rate, step = event_rate(events, start, end)
    x = {
        "field": "start",
        "type": "temporal",
        "scale": {"type": "utc"},
        "title": "time (UTC)",
        "axis": {"format": "%b %d %H:%M", "labelOverlap": True},
    }
    levels = list(reversed(LEVELS))
    layer: list[dict[str, Any]] = []
    if rate:
        layer.append(
            {
                "data": {"values": rate},
                "mark": {"type": "area", "interpolate": "step-after", "color": "#94a3b8", "opacity": 0.45},
                "encoding": {
                    "x": {**x, "field": "t"},
                    "y": {
                        "field": "per_min",
                        "type": "quantitative",
                        "title": f"events/min ({step}-min bins)",
                        "axis": {"orient": "right", "grid": False},
                    },
                    "tooltip": [
                        {
                            "field": "t",
                            "type": "temporal",
                            "title": "from (UTC)",
                            "timeUnit": "utcyearmonthdatehoursminutes",
                        },
                        {"field": "per_min", "type": "quantitative", "title": "events/min"},
                    ],
                },
            }
        )
    layer.append(
        {
            "data": {"values": bars},
            "mark": {"type": "bar", "cornerRadius": 2, "opacity": 0.85, "cursor": "pointer", "height": {"band": 0.6}},
            "encoding": {
                "x": x,
                "x2": {"field": "end"},
                "y": {"field": "host", "type": "nominal", "sort": lanes, "title": None, "axis": {"labelLimit": 180}},
                "color": {
                    "field": "severity",
                    "type": "nominal",
                    "title": "severity",
                    "scale": {"domain": levels, "range": [COLORS[lvl] for lvl in levels]},
                    "legend": {"orient": "top"},
                },
                "tooltip": [
                    {"field": "title"},
                    {"field": "severity"},
                    {"field": "host"},
                    {"field": "count", "type": "quantitative"},
                    {"field": "window"},
                    {"field": "id", "title": "incident"},
                ],
            },
        }
    )
    for item in layer[-1]["encoding"]["tooltip"]:
        item.setdefault("type", "nominal")
    return {
        "width": "container",
        "height": max(120, 34 * len(lanes)),
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": {"view": {"stroke": None}, "font": "system-ui, sans-serif"},
        "layer": layer,
        "resolve": {"scale": {"y": "independent"}},
    }
