"""Field conditions: a signature's ``where`` is a SQL expression over its typed fields (``pl.sql_expr``)."""

from __future__ import annotations

import polars as pl

from loganalyzer.matching.fields import DTYPES


def condition(where: str) -> pl.Expr:
    """The polars expression for a ``where`` text such as ``took > expected * 2``."""
    return pl.sql_expr(where)


def condition_problem(where: str, field_types: dict[str, str]) -> str | None:
    """Why ``where`` is not a valid condition over fields of these types, or None."""
    if not isinstance(where, str) or not where.strip():
        return "must be a non-empty SQL expression"
    frame = pl.DataFrame(schema={name: DTYPES[kind] for name, kind in field_types.items()})
    try:
        out = frame.select(condition(where).alias("ok"))
    except Exception as exc:  # polars raises several exception types for bad SQL
        return str(exc).strip().splitlines()[0]
    if out.schema["ok"] != pl.Boolean:
        return f"evaluates to {out.schema['ok']}, not a boolean"
    return None
