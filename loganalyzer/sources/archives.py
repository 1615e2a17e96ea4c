"""Archives read in place, never extracted to disk: tar (any compression) and zip.

Members become sources named ``archive!member/path``; a member path with ``..`` or a leading ``/``
is only a name here, since nothing is ever written.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from collections.abc import Iterator
from typing import BinaryIO

from loganalyzer.sources.discover import Skipped, Source

ZIP_MAGIC = b"PK\x03\x04"
MAX_NESTED_ZIP_BYTES = 256 * 1024 * 1024


def kind(head: bytes) -> str | None:
    """``tar`` or ``zip`` when the (decompressed) stream starting with ``head`` is an archive."""
    if head.startswith(ZIP_MAGIC):
        return "zip"
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    return None


def _member(archive: Source, name: str, mtime: float | None, size: int | None, opener) -> Source:
    return Source(f"{archive.name}!{name}", None, opener, size, mtime, archive.host_hint)


def members(archive: Source, stream: BinaryIO, archive_kind: str) -> Iterator[Source | Skipped]:
    """The archive's regular members as sources (each opened as the iteration reaches it), or problems."""
    if archive_kind == "tar":
        try:
            with tarfile.open(fileobj=stream, mode="r|") as tar:
                for info in tar:
                    if not info.isfile():
                        continue
                    try:
                        handle = tar.extractfile(info)
                    except (tarfile.TarError, OSError) as exc:
                        yield Skipped(f"{archive.name}!{info.name}", "error", f"corrupt tar member: {exc}")
                        continue
                    if handle is not None:
                        yield _member(archive, info.name, float(info.mtime), info.size, lambda h=handle: h)
        except (tarfile.TarError, OSError, EOFError) as exc:
            yield Skipped(f"{archive.name}!", "error", f"corrupt tar archive, members after the damage not read: {exc}")
        return
    seekable = stream if stream.seekable() else None
    if seekable is None:
        data = stream.read(MAX_NESTED_ZIP_BYTES + 1)
        if len(data) > MAX_NESTED_ZIP_BYTES:
            yield Skipped(archive.name, "skipped", "compressed zip larger than 256 MiB cannot be read in place")
            return
        seekable = io.BytesIO(data)
    try:
        with zipfile.ZipFile(seekable) as zf:
            for info in zf.infolist():
                if info.is_dir():
                    continue
                mtime = None
                yield _member(archive, info.filename, mtime, info.file_size, lambda i=info, z=zf: z.open(i))
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        yield Skipped(archive.name, "error", f"corrupt zip archive: {exc}")
