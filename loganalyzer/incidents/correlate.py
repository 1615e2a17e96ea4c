"""Linking incidents by the correlation rules: causes and symptoms that overlap in time."""

from __future__ import annotations

import polars as pl

from loganalyzer.catalogue.correlations import Rule


def correlate(incidents: pl.DataFrame, rules: list[Rule]) -> pl.DataFrame:
    """Fill ``related`` (both ways), ``role`` (cause/symptom) and ``chain`` (the rule's title) of linked incidents."""
    if incidents.is_empty():
        return incidents.with_columns(pl.lit(None, pl.String).alias("role"), pl.lit(None, pl.String).alias("chain"))
    base = incidents.select("incident_id", "signature_id", "host", "first_seen", "last_seen")
    links = []
    for rule in rules:
        causes = base.filter(pl.col("signature_id").is_in(rule.cause))
        symptoms = base.filter(pl.col("signature_id").is_in(rule.symptoms))
        if causes.is_empty() or symptoms.is_empty():
            continue
        window = pl.duration(microseconds=int(rule.window * 1e6))
        pairs = causes.join(symptoms, how="cross", suffix="_s").filter(
            (pl.col("first_seen_s") <= pl.col("last_seen") + window)
            & (pl.col("last_seen_s") >= pl.col("first_seen") - window)
            & (pl.col("incident_id") != pl.col("incident_id_s"))
        )
        if rule.same_host:
            pairs = pairs.filter(pl.col("host") == pl.col("host_s"))
        links.append(
            pairs.select(
                pl.col("incident_id").alias("cause"),
                pl.col("incident_id_s").alias("symptom"),
                pl.lit(rule.title).alias("chain"),
            )
        )
    if not links:
        return incidents.with_columns(pl.lit(None, pl.String).alias("role"), pl.lit(None, pl.String).alias("chain"))
    pairs = pl.concat(links).unique(["cause", "symptom"], keep="first", maintain_order=True)
    both = (
        pl.concat(
            [
                pairs.select(pl.col("cause").alias("incident_id"), pl.col("symptom").alias("other")),
                pairs.select(pl.col("symptom").alias("incident_id"), pl.col("cause").alias("other")),
            ]
        )
        .group_by("incident_id")
        .agg(pl.col("other").unique().sort().alias("_related"))
    )
    roles = pl.concat(
        [
            pairs.select(pl.col("cause").alias("incident_id"), pl.lit("cause").alias("role"), "chain"),
            pairs.select(pl.col("symptom").alias("incident_id"), pl.lit("symptom").alias("role"), "chain"),
        ]
    ).unique("incident_id", keep="first", maintain_order=True)
    return (
        incidents.join(both, on="incident_id", how="left")
        .join(roles, on="incident_id", how="left")
        .with_columns(pl.coalesce("_related", "related").alias("related"))
        .drop("_related")
    )
