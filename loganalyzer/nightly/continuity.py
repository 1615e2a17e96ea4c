"""Incidents that go on across incremental runs keep the ``incident_id`` an earlier run gave them.

The state keeps, per (signature, host), the latest incident with its id and time span. When this run's
first incident of that pair starts within the grouping window of it, its events take the earlier id.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from loganalyzer.catalogue import Catalogue
from loganalyzer.nightly.state import OpenIncident, State


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def continue_incidents(events: pl.DataFrame, catalogue: Catalogue, window_s: float, state: State) -> pl.DataFrame:
    """``events`` (grouped) with continuing incidents renamed to their earlier ids; ``state`` remembers the latest."""
    if events.is_empty():
        return events
    spans = (
        events.group_by("incident_id")
        .agg(
            pl.col("signature_id").first(),
            pl.col("host").first(),
            pl.col("ts").min().alias("first"),
            pl.col("ts").max().alias("last"),
        )
        .sort("first", nulls_last=True)
    )
    renamed: dict[str, str] = {}
    latest: dict[tuple[str, str | None], OpenIncident] = {}
    for iid, sig_id, host, first, last in spans.iter_rows():
        if first is None:
            continue  # without time, the id (signature|host|-) is the same on every run anyway
        key = (sig_id, host)
        sig = catalogue.get(sig_id)
        window = dt.timedelta(seconds=(sig.window if sig and sig.window else None) or window_s)
        if key in latest:  # a later incident of this run: within the run, grouping already split them
            if last > (_time(latest[key].last_seen) or last):
                latest[key] = OpenIncident(sig_id, host, iid, _iso(first), _iso(last))
            continue
        prev = state.incidents.get(key)
        p_first, p_last = (_time(prev.first_seen), _time(prev.last_seen)) if prev else (None, None)
        if prev and p_first and p_last and first <= p_last + window and last >= p_first - window:
            renamed[iid] = prev.incident_id
            latest[key] = OpenIncident(
                sig_id, host, prev.incident_id, _iso(min(first, p_first)), _iso(max(last, p_last))
            )
        elif p_last is None or last > p_last:
            latest[key] = OpenIncident(sig_id, host, iid, _iso(first), _iso(last))
    state.incidents.update(latest)
    if not renamed:
        return events
    return events.with_columns(pl.col("incident_id").replace(renamed))
