"""Writing tables as Parquet (zstd), CSV and JSON Lines, each file atomically (temp file, then rename)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from loganalyzer.atomic import atomic_write

FORMATS = ("parquet", "csv", "jsonl")


def _flat(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV has no lists: join them with ``;``."""
    return frame.with_columns(
        pl.col(name).list.join(";") for name, dtype in frame.schema.items() if isinstance(dtype, pl.List)
    )


def write_table(frame: pl.DataFrame, out_dir: Path, name: str, formats: tuple[str, ...]) -> list[Path]:
    """Write ``frame`` as ``out_dir/name.<format>`` for each format; return the paths written."""
    written: list[Path] = []
    for fmt in formats:
        path = out_dir / f"{name}.{fmt}"
        if fmt == "parquet":
            atomic_write(path, lambda p: frame.write_parquet(p, compression="zstd"))
        elif fmt == "csv":
            atomic_write(path, lambda p: _flat(frame).write_csv(p))
        elif fmt == "jsonl":
            atomic_write(path, lambda p: frame.write_ndjson(p))
        else:
            raise ValueError(f"unknown output format {fmt!r}")
        written.append(path)
    return written
