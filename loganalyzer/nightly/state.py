"""The incremental state: how far every stream of lines was read, archives already read, open incidents.

One JSON file (``--state FILE``), written atomically and only after a run's outputs and history are. A
*stream* is the content of a log file recognised by its first bytes, whatever the file is called now: when
``error.log`` is rotated to ``error.log.1`` or compressed to ``error.log.1.gz`` it is the same stream, read
on from where an earlier run stopped.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from loganalyzer.nightly.fingerprint import Fingerprint

FORMAT = 1
KEEP_DAYS = 45  # streams, files and archives not seen for this long are forgotten


class StateError(Exception):
    """The state file cannot be used (one-line message naming the file)."""


@dataclass
class Stream:
    """How far one stream of lines was read."""

    id: str
    head_len: int
    head_sha: str
    bytes: int
    lines: int
    name: str  # the source it was last read as
    tail_sha: str | None  # sha256 of the bytes just before ``bytes`` (plain files), to detect replacement
    seen: str  # ISO time of the last run that saw it


@dataclass
class OpenIncident:
    """The latest incident of one signature on one host, so the next run can continue it."""

    signature_id: str
    host: str | None
    incident_id: str
    first_seen: str | None
    last_seen: str | None


@dataclass
class State:
    generation: int = 0
    last_run_id: str | None = None
    last_success: float | None = None
    streams: dict[str, Stream] = field(default_factory=dict)
    files: dict[str, dict] = field(default_factory=dict)  # compressed file identity → {name, seen}
    archives: dict[str, dict] = field(default_factory=dict)  # archive fingerprint → {name, seen}
    incidents: dict[tuple[str, str | None], OpenIncident] = field(default_factory=dict)
    now: str = field(default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
    run_streams: dict[str, str] = field(default_factory=dict)  # this run: source name → stream id (not saved)

    def head_index(self) -> dict[tuple[int, str], list[str]]:
        """(head length, head sha256) → ids of the streams that start so, for :meth:`matches`."""
        index: dict[tuple[int, str], list[str]] = {}
        for s in self.streams.values():
            index.setdefault((s.head_len, s.head_sha), []).append(s.id)
        return index

    def matches(self, fp: Fingerprint, index: dict[tuple[int, str], list[str]]) -> list[Stream]:
        """Streams whose first bytes ``fp`` starts with."""
        found = []
        for length in {n for n, _ in index}:
            if length <= len(fp.head):
                found += [self.streams[sid] for sid in index.get((length, fp.head_sha(length)), [])]
        return found

    def new_stream_id(self, fp: Fingerprint) -> str:
        base = fp.head_sha()[:16]
        sid, n = base, 1
        while sid in self.streams:
            n += 1
            sid = f"{base}-{n}"
        return sid

    def prune(self) -> None:
        """Forget what no run has seen for KEEP_DAYS."""
        limit = (dt.datetime.fromisoformat(self.now) - dt.timedelta(days=KEEP_DAYS)).isoformat(timespec="seconds")
        self.streams = {k: s for k, s in self.streams.items() if s.seen >= limit}
        self.files = {k: v for k, v in self.files.items() if v["seen"] >= limit}
        self.archives = {k: v for k, v in self.archives.items() if v["seen"] >= limit}

    def to_json(self) -> str:
        data = {
            "format": FORMAT,
            "generation": self.generation,
            "last_run_id": self.last_run_id,
            "last_success": self.last_success,
            "saved": self.now,
            "streams": [asdict(s) for s in self.streams.values()],
            "files": self.files,
            "archives": self.archives,
            "incidents": [asdict(i) for i in self.incidents.values()],
        }
        return json.dumps(data, indent=1, sort_keys=True)


def load(path: Path) -> State:
    """The state in ``path``, or a fresh one if the file does not exist."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return State()
    except OSError as exc:
        raise StateError(f"cannot read state file {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {FORMAT}")
        streams = [Stream(**s) for s in data["streams"]]
        incidents = [OpenIncident(**i) for i in data["incidents"]]
        return State(
            generation=int(data["generation"]),
            last_run_id=data.get("last_run_id"),
            last_success=data.get("last_success"),
            streams={s.id: s for s in streams},
            files=dict(data["files"]),
            archives=dict(data["archives"]),
            incidents={(i.signature_id, i.host): i for i in incidents},
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StateError(f"{path} is not a loganalyzer state file ({exc}); move it away to start afresh") from None


def save(state: State, path: Path) -> None:
    """Write ``state`` atomically (temporary file, fsync, rename)."""
    from loganalyzer.atomic import atomic_write

    text = state.to_json()
    atomic_write(path, lambda p: p.write_text(text))
