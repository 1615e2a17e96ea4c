"""Which files of a bundle to inspect: certificates and keys (by name or content) and configuration files,
and which bundle file a path named in a configuration is (the bundle is a copy of the machines' files).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from loganalyzer.sources import Source, discover
from loganalyzer.sources.decompress import sniff

MAX_BYTES = 1024 * 1024  # certificates and configs are small; larger files are logs
HEAD_BYTES = 64 * 1024  # enough for etcd's startup lines, which name its certificates
CERT_SUFFIXES = (".crt", ".pem", ".cer", ".der", ".cert", ".ca-bundle")
KEY_SUFFIXES = (".key",)
CONFIG_SUFFIXES = (".yaml", ".yml", ".service", ".conf", ".env", ".json", ".sh", ".txt", ".manifest", ".cfg")
CONFIG_HINTS = (b"cert-file", b"CERT_FILE", b"etcd:", b"-----BEGIN ")
LOG_HINTS = (b"TLS: cert = ", b"tls-info")  # etcd logs its TLS files at startup


@dataclass
class BundleFile:
    """A small file of the bundle, read whole."""

    name: str  # as in the sources table: relative to the PATH argument it was found under
    data: bytes


@dataclass
class Bundle:
    """The files worth inspecting, every file's name (to resolve configured paths), and what went wrong."""

    files: dict[str, BundleFile] = field(default_factory=dict)
    names: list[str] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    readable: int = 0
    notes: list[str] = field(default_factory=list)

    def read(self, name: str) -> BundleFile | None:
        """The file ``name`` read whole (reading it now if it was not a candidate), or None."""
        if name in self.files:
            return self.files[name]
        source = self.sources.get(name)
        if source is None:
            return None
        data = _read(source, MAX_BYTES + 1)
        if data is None or len(data) > MAX_BYTES:
            self.notes.append(f"{name}: not read (unreadable or larger than {MAX_BYTES // 1024} KiB)")
            return None
        self.files[name] = BundleFile(name, data)
        return self.files[name]


def _read(source: Source, limit: int) -> bytes | None:
    try:
        with source.opener() as f:
            return f.read(limit)
    except OSError:
        return None


def suffix(name: str) -> str:
    return PurePosixPath(name).suffix.lower()


def is_candidate(name: str, head: bytes) -> bool:
    """Whether a file may hold certificates, keys or TLS configuration, from its name and first bytes."""
    if sniff(head[:8]):  # compressed: a log or an archive, never a certificate
        return False
    if suffix(name) in CERT_SUFFIXES + KEY_SUFFIXES:
        return True
    if b"\x00" in head:
        return False
    return suffix(name) in CONFIG_SUFFIXES or any(h in head for h in CONFIG_HINTS + LOG_HINTS)


def collect(paths: list[str]) -> Bundle:
    """Discover ``paths`` and read the small files that may hold certificates, keys or configuration."""
    found = discover(paths)
    bundle = Bundle()
    bundle.notes += [f"{s.name}: {s.status}: {s.reason}" for s in found.skipped if s.status == "error"]
    for source in found.sources:
        if source.name in bundle.sources:  # the same relative name under two PATH arguments: keep the first
            continue
        bundle.sources[source.name] = source
        bundle.names.append(source.name)
        large = source.size is not None and source.size > MAX_BYTES
        head = _read(source, HEAD_BYTES)  # the head decides; only candidates are read whole
        if head is None:
            bundle.notes.append(f"{source.name}: error: cannot open")
            continue
        bundle.readable += 1
        if large:  # a log: only its head, for etcd's startup lines
            if any(h in head for h in LOG_HINTS) and not sniff(head[:8]):
                bundle.files[source.name] = BundleFile(source.name, head)
        elif is_candidate(source.name, head):
            data = head if len(head) < HEAD_BYTES else _read(source, MAX_BYTES + 1)
            if data is not None and len(data) <= MAX_BYTES:
                bundle.files[source.name] = BundleFile(source.name, data)
            elif data is not None and any(h in head for h in LOG_HINTS) and not sniff(head[:8]):
                bundle.files[source.name] = BundleFile(source.name, head)
    return bundle


def _parts(path: str) -> list[str]:
    return [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]


def resolve(named: str, near: str, names: list[str]) -> str | None:
    """The bundle file that is the machine path ``named`` (as written in the config file ``near``).

    The longest common path suffix wins (at least the file name must match); ties go to the file
    sharing the longest directory prefix with the config file (the same host's folder).
    """
    want = _parts(named)
    if not want:
        return None
    here = _parts(near)[:-1]
    best: tuple[int, int] = (0, 0)
    choice: str | None = None
    for name in names:
        have = _parts(name)
        n = 0
        while n < min(len(want), len(have)) and want[-1 - n] == have[-1 - n]:
            n += 1
        if n == 0:
            continue
        prefix = 0
        while prefix < min(len(here), len(have) - 1) and here[prefix] == have[prefix]:
            prefix += 1
        if (n, prefix) > best:
            best, choice = (n, prefix), name
    return choice
