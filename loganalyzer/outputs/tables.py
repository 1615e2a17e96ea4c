"""Writing tables as Parquet (zstd), CSV and JSON Lines, each file atomically (temp file, then rename)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

FORMATS = ("parquet", "csv", "jsonl")


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Run ``write`` on a temporary file beside ``path``, fsync it, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would create it (mkstemp makes 0600)
    try:
        write(Path(tmp))
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
