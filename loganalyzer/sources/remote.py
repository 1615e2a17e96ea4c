"""Object storage as input: ``s3://bucket/prefix`` and other fsspec URLs (``gs://``, ``az://``, ``https://``…).

Needs the optional extra (``pip install 'loganalyzer[s3]'``: fsspec + s3fs; gcsfs, adlfs… for the other
stores). A prefix is listed recursively and each object becomes a :class:`Source` named relative to it,
like a local directory; a URL naming one object is that object; ``*``, ``?`` and ``[…]`` glob where the
store lists. Credentials and endpoints come from the store's usual configuration (boto's environment and
``~/.aws`` files, ``AWS_ENDPOINT_URL``) and fsspec's (``FSSPEC_S3='{"anon": true}'``, ``~/.config/fsspec``).
Whatever goes wrong becomes a :class:`Skipped` row with a one-line reason, never an exception.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass
from glob import has_magic
from typing import Any, BinaryIO

from loganalyzer.sources.discover import Discovery, Skipped, Source

EXTRA_HINT = "pip install 'loganalyzer[s3]'"
S3_PROTOCOLS = {"s3", "s3a"}
STREAMED_PROTOCOLS = {"http", "https"}  # read as one streamed response: servers need not support ranges
FIRST_FETCH = 256 * 1024  # a head read (format sniffing, certificate search) costs one small request
MAX_FETCH = 16 * 1024 * 1024  # a whole read: requests double up to this size
MTIME_KEYS = ("mtime", "LastModified", "last_modified", "updated", "created", "creation_time")


def _protocol(url: str) -> str:
    return url.split("://", 1)[0].rsplit("::", 1)[-1].lower()


def _one_line(text: str, limit: int = 300) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reason(exc: BaseException, url: str = "") -> str:
    """What went wrong, in one line a user can act on."""
    protocol = _protocol(url) if url else ""
    text = exc.strerror if isinstance(exc, OSError) and isinstance(exc.strerror, str) else str(exc)
    msg = _one_line(text or type(exc).__name__)
    name = type(exc).__name__
    if isinstance(exc, ImportError):
        if protocol in S3_PROTOCOLS or not protocol:
            return f"{protocol or 's3'}:// URLs need the s3fs and fsspec packages, not installed: {EXTRA_HINT}"
        if (exc.name or "").split(".")[0] == "fsspec":
            return f"{protocol}:// URLs need fsspec and the store's fsspec package, not installed: {EXTRA_HINT}"
        return f"{protocol}:// needs a package that is not installed: {msg}"
    if isinstance(exc, ValueError) and msg.startswith("Protocol not known"):
        return f"unknown URL scheme {protocol}://: no fsspec implementation for it"
    if isinstance(exc, FileNotFoundError):
        if re.search(r"bucket does not exist|NoSuchBucket|bucket not found", msg, re.IGNORECASE):
            bucket = url.split("://", 1)[-1].split("/", 1)[0]
            return f"no such bucket: {bucket}" if bucket else f"no such bucket: {msg}"
        return "not found: no such object or prefix"
    if isinstance(exc, PermissionError):
        return f"access denied: {msg}"
    if "Credentials" in name:
        return f"no credentials: {msg} (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE)"
    if "Connect" in name or "Timeout" in name or isinstance(exc, ConnectionError | TimeoutError):
        return f"cannot reach the storage service: {msg}"
    return f"{name}: {msg}"


def _filesystem(url: str, storage_options: dict[str, Any]):
    from fsspec.core import url_to_fs

    return url_to_fs(url, **storage_options)


def _protocols(fs) -> set[str]:
    proto = fs.protocol
    return {proto} if isinstance(proto, str) else set(proto)


class _ObjectStream(io.RawIOBase):
    """An open remote object read in growing requests; transport errors surface as ``OSError``."""

    def __init__(self, handle, url: str, seekable: bool):
        super().__init__()
        self._handle = handle
        self._url = url
        self._seekable = seekable
        self._buf = b""
        self._off = 0
        self._want = FIRST_FETCH

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._seekable

    def readinto(self, buffer) -> int:
        if self._off >= len(self._buf):
            try:
                self._buf = self._handle.read(self._want)
            except OSError:
                raise
            except Exception as exc:
                raise OSError(f"reading {self._url} failed: {reason(exc, self._url)}") from exc
            self._off = 0
            self._want = min(self._want * 2, MAX_FETCH)
        n = min(len(buffer), len(self._buf) - self._off)
        buffer[:n] = memoryview(self._buf)[self._off : self._off + n]
        self._off += n
        return n

    def tell(self) -> int:
        return self._handle.tell() - (len(self._buf) - self._off)

    def seek(self, pos: int, whence: int = io.SEEK_SET) -> int:
        if not self._seekable:
            raise io.UnsupportedOperation("streamed remote object: not seekable")
        if whence == io.SEEK_CUR:
            pos, whence = self.tell() + pos, io.SEEK_SET
        self._handle.seek(pos, whence)
        self._buf, self._off, self._want = b"", 0, FIRST_FETCH
        return self._handle.tell()

    def close(self) -> None:
        if not self.closed:
            try:
                self._handle.close()
            finally:
                super().close()


@dataclass(frozen=True)
class RemoteOpener:
    """Opens one remote object for reading (picklable: a URL and options, no connection)."""

    url: str
    storage_options: tuple[tuple[str, Any], ...] = ()

    def __call__(self) -> BinaryIO:
        try:
            fs, path = _filesystem(self.url, dict(self.storage_options))
            streamed = bool(_protocols(fs) & STREAMED_PROTOCOLS)
            handle = fs.open(path, "rb", block_size=0) if streamed else fs.open(path, "rb", cache_type="none")
            stream = io.BufferedReader(_ObjectStream(handle, self.url, not streamed), buffer_size=FIRST_FETCH)
            stream.peek(1)  # the first request: a failure here is a failure to open
        except Exception as exc:  # botocore and aiohttp errors are not OSErrors: the scan reports these
            raise OSError(reason(exc, self.url)) from exc
        return stream


def _mtime(info: dict[str, Any]) -> float | None:
    for key in MTIME_KEYS:
        value = info.get(key)
        if isinstance(value, dt.datetime):
            return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)).timestamp()
    return None


def _relative(path: str, base: str) -> str:
    base = base.rstrip("/")
    return path[len(base) + 1 :] if base and path.startswith(base + "/") else path.rsplit("/", 1)[-1]


def _glob_base(path: str) -> str:
    """The part of a glob before its first wildcard's directory: names are relative to it."""
    first = min(path.find(c) for c in "*?[" if c in path)
    return path[:first].rsplit("/", 1)[0] if "/" in path[:first] else ""


def _objects(fs, path: str, base: str) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every object under the prefix ``path``: its path → (name relative to ``base``, listing entry)."""
    return {q: (_relative(q, base), info) for q, info in fs.find(path, detail=True).items()}


def _listing(fs, path: str, streamed: bool) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, path, listing entry) of every object the URL stands for, sorted by name."""
    if streamed:  # a web URL names one object (its '?' is a query, not a glob); one ending in '/' is a page of links
        if path.endswith("/"):
            found = _objects(fs, path, path)
        else:
            return [(path.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or path, path, fs.info(path))]
    else:
        fs.invalidate_cache()  # a long-lived process must see objects written since its last listing
        if has_magic(path):
            base = _glob_base(path)
            found = {}
            for p, info in fs.glob(path, detail=True).items():
                is_dir = info.get("type") == "directory"
                found.update(_objects(fs, p, base) if is_dir else {p: (_relative(p, base), info)})
        else:
            info = fs.info(path)
            if info.get("type") != "directory":
                return [(path.rstrip("/").rsplit("/", 1)[-1], info.get("name", path), info)]
            found = _objects(fs, path, path)
    objects = ((name, p, info) for p, (name, info) in found.items() if info.get("type") != "directory")
    return sorted(objects, key=lambda t: t[0])


def discover_remote(url: str, storage_options: dict[str, Any] | None = None) -> Discovery:
    """The objects under ``url`` as sources; a missing extra, bucket or permission becomes a skipped row."""
    out = Discovery()
    options = dict(storage_options or {})
    try:
        fs, path = _filesystem(url, options)
        streamed = bool(_protocols(fs) & STREAMED_PROTOCOLS)
        listing = _listing(fs, path, streamed)
    except Exception as exc:  # any failure of an optional, third-party stack is the user's input problem
        out.skipped.append(Skipped(url, "error", reason(exc, url)))
        return out
    if not listing:
        if has_magic(path) and not streamed:
            out.skipped.append(Skipped(url, "error", "no objects match"))
        else:
            out.skipped.append(Skipped(url, "skipped", "empty: no objects under it"))
        return out
    frozen = tuple(sorted(options.items()))
    for name, p, info in listing:
        out.sources.append(
            Source(name, None, RemoteOpener(fs.unstrip_protocol(p), frozen), info.get("size"), _mtime(info))
        )
    return out
