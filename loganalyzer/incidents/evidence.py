"""Merging the evidence of an incident's events: numbers by their maximum, texts as distinct values."""

from __future__ import annotations

import json
from typing import Any

import polars as pl

from loganalyzer.catalogue import Catalogue, Signature
from loganalyzer.matching.fields import DTYPES

MAX_VALUES = 20


def field_types(sig: Signature) -> dict[str, str]:
    """Every named group of the signature's regexes with its declared type (``str`` by default)."""
    names: dict[str, str] = {}
    for groups in sig.regex_groups:
        for name in groups:
            names[name] = sig.fields.get(name, "str")
    return names


def _clean(value: Any) -> Any:
    if isinstance(value, list):
        value = [v for v in value if v not in (None, "")]
        if not value:
            return None
        return value[0] if len(value) == 1 else value
    return value


def merge(events: pl.DataFrame, catalogue: Catalogue) -> dict[str, dict[str, Any]]:
    """incident_id → merged evidence of its events."""
    out: dict[str, dict[str, Any]] = {}
    for (sig_id,), part in events.group_by("signature_id"):
        sig = catalogue.get(sig_id)
        types = field_types(sig) if sig else {}
        if not types:
            out.update({i: {} for i in part["incident_id"].unique().to_list()})
            continue
        schema = pl.Struct({n: DTYPES[t] for n, t in types.items()})
        decoded = part.select("incident_id", pl.col("fields").str.json_decode(schema).alias("f")).unnest("f")
        aggs = [
            (pl.col(n).max() if t != "str" else pl.col(n).drop_nulls().unique().sort().head(MAX_VALUES)).alias(n)
            for n, t in types.items()
        ]
        for row in decoded.group_by("incident_id").agg(aggs).iter_rows(named=True):
            iid = row.pop("incident_id")
            out[iid] = {k: v for k, v in ((k, _clean(v)) for k, v in row.items()) if v is not None}
    return out


def to_json(evidence: dict[str, Any]) -> str:
    return json.dumps(evidence, sort_keys=True, ensure_ascii=False)
