"""The ``certificates`` table: one row per certificate (or per file that failed to parse)."""

from __future__ import annotations

from typing import Any

import polars as pl

UTC = pl.Datetime("us", "UTC")
TEXTS = pl.List(pl.String)
SCHEMA: dict[str, Any] = {
    "path": pl.String,  # relative to the PATH argument it was found under, like events.source
    "index": pl.Int64,  # position of the certificate in its file (0 = first); null for an unparseable file
    "subject": pl.String,
    "common_name": pl.String,
    "dns_names": TEXTS,
    "ip_addresses": TEXTS,
    "issuer": pl.String,
    "not_before": UTC,
    "not_after": UTC,
    "key_usage": TEXTS,
    "extended_key_usage": TEXTS,
    "is_ca": pl.Boolean,
    "serial": pl.String,
    "sha256_fingerprint": pl.String,
    "public_key_sha256": pl.String,
    "roles": TEXTS,  # e.g. "etcd server cert", "APISIX client cert"
    "named_by": TEXTS,  # config files that name this file
    "ca_files": TEXTS,  # configured CA files it was verified against
    "key_path": pl.String,  # its private key file (configured, same file or sibling); never its content
    "key_public_sha256": pl.String,  # SHA-256 of the private key's public half
    "key_matches": pl.Boolean,
    "missing_sans": TEXTS,  # hosts the configs name that the SANs do not cover
    "problems": TEXTS,  # stable codes, see loganalyzer.certs.checks
    "problem_details": TEXTS,  # "code: detail", one per problem
}


def empty_row(path: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(SCHEMA)
    row["path"] = path
    for name, dtype in SCHEMA.items():
        if dtype == TEXTS:
            row[name] = []
    return row


def frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=SCHEMA)
    return pl.DataFrame(rows, schema=SCHEMA).sort(["path", "index"], nulls_last=True)
