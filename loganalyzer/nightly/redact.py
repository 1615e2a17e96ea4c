"""``--redact``: IP addresses, tokens, passwords, Authorization headers and certificate serials replaced by
placeholders such as ``ip-3f2a91c0``, the same value always by the same placeholder within a run.

A placeholder is an HMAC of the value under a random per-run key (or ``LOGANALYZER_REDACT_KEY``, to keep
placeholders stable across runs), so it cannot be turned back into the value. Vectorised: each pattern's
matches are collected with ``str.extract_all``, their few distinct values mapped in Python, and the columns
rewritten with ``str.replace_many``; no Python code runs per row.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
import re

import polars as pl

KEY_ENV = "LOGANALYZER_REDACT_KEY"
_Q = r"""\\?["']?\s*[:=]\s*\\?["']?"""  # key / value separator, plain, quoted or JSON-escaped
_TOKEN_CHARS = r"[A-Za-z0-9._~+/=-]"
# (kind, pattern); the named group ``v`` is the secret (the whole match when the pattern has none). Order
# matters: a header is replaced before its token could be seen as a bare token.
PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "auth",
        rf"(?i)\b(?:proxy-)?authorization{_Q}(?:(?:basic|bearer|digest|negotiate|token)\s+)?"
        r"(?P<v>[A-Za-z0-9._~+/=:-]+)",
    ),
    ("password", rf"(?i)\b(?:password|passwd|pwd|passphrase|client_secret|secret){_Q}(?P<v>[^\s\"'&,;\\]+)"),
    ("password", r"(?i)--(?:password|passwd)(?:=|\s+)(?P<v>[^\s\"']+)"),
    ("password", r"(?i)\b[a-z][a-z0-9+.-]*://[^/\s:@\"']+:(?P<v>[^/\s@\"']+)@"),
    ("token", rf"(?i)\bbearer\s+(?P<v>{_TOKEN_CHARS}{{8,}})"),
    ("token", r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"),
    (
        "token",
        rf"(?i)\b(?:access_token|refresh_token|id_token|auth_token|api[_-]?key|x-api-key|token|session_id)"
        rf"{_Q}(?P<v>{_TOKEN_CHARS}{{4,}})",
    ),
    ("token", rf"(?i)\btoken(?: is|:)\s+(?P<v>{_TOKEN_CHARS}{{6,}})"),
    ("token", r"\b[A-Za-z]{16}\.\d+\b"),  # etcd simple token
    (
        "serial",
        r"(?i)\bserial(?:[ _-]?(?:number|no))?\\?[\"']?\s*[:=]?\s*\\?[\"']?"
        r"(?P<v>(?:0x)?(?:[0-9a-f]{2}(?::[0-9a-f]{2}){3,}|[0-9a-f]{8,}|\d{6,}))",
    ),
    ("ip", r"\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b"),
    ("ip", r"\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b"),
    ("ip", r"(?:\b[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,6})?::(?:[0-9a-fA-F]{1,4}(?::[0-9a-fA-F]{1,4}){0,6}\b)?"),
)
PLACEHOLDER = re.compile(r"(?:auth|password|token|serial|ip)-[0-9a-f]{8,}")
# Columns that hold names, ids and catalogue text, never log content: left as they are.
KEEP = frozenset(
    {
        "incident_id",
        "signature_id",
        "title",
        "component",
        "severity",
        "source",
        "sources",
        "format",
        "level",
        "status",
        "references",
        "fixed_in",
        "related",
        "template_id",
        "role",
        "chain",
        "stream",
        "run_id",
        "path",
        "roles",
        "named_by",
        "ca_files",
        "key_path",
        "problems",
        "sha256_fingerprint",
        "public_key_sha256",
        "key_public_sha256",
    }
)
WHOLE = {"serial": "serial"}  # columns whose every value is a secret of this kind
# Catalogue text filled from the evidence: only the values already found in log content are replaced here
# (their own text, e.g. ``--auth-token=simple``, must stay as it is).
DERIVED = frozenset({"root_cause", "fix"})
MIN_DERIVED_LEN = 4


class Redactor:
    """Consistent placeholders for one run."""

    def __init__(self, key: bytes | None = None):
        env = os.environ.get(KEY_ENV)
        self.key = key or (env.encode() if env else os.urandom(32))
        self._given: dict[tuple[str, str], str] = {}
        self._owner: dict[str, tuple[str, str]] = {}
        self._compiled = [(kind, re.compile(p)) for kind, p in PATTERNS]

    def placeholder(self, kind: str, value: str) -> str:
        """``kind-<hmac>``: the same for the same value, different for different values (within this run)."""
        known = self._given.get((kind, value))
        if known:
            return known
        digest = hmac.new(self.key, value.encode(), hashlib.sha256).hexdigest()  # same value, same digest
        n = 8
        while (name := f"{kind}-{digest[:n]}") in self._owner:
            n += 2  # a collision of the short form: this value gets a longer one
        self._given[(kind, value)] = name
        self._owner[name] = (kind, value)
        return name

    def _secret(self, kind: str, rx: re.Pattern, text: str) -> str | None:
        """``text`` (one match) with its secret replaced; None when it holds nothing to hide."""
        m = rx.fullmatch(text) or rx.search(text)
        if m is None:
            return None
        value = m.group("v") if "v" in rx.groupindex else m.group(0)
        start, end = m.span("v") if "v" in rx.groupindex else m.span(0)
        if not value or PLACEHOLDER.fullmatch(value):
            return None
        if kind == "ip":
            try:
                addr = ipaddress.ip_address(value)
            except ValueError:
                return None
            if addr.is_loopback or addr.is_unspecified:
                return None
        return text[:start] + self.placeholder(kind, value) + text[end:]

    def frame(self, frame: pl.DataFrame) -> pl.DataFrame:
        """``frame`` with every log-content column (text or list of texts) redacted."""
        cols = [
            name
            for name, dtype in frame.schema.items()
            if name not in KEEP and (dtype == pl.String or (isinstance(dtype, pl.List) and dtype.inner == pl.String))
        ]
        if frame.is_empty() or not cols:
            return frame
        derived = [name for name in cols if name in DERIVED]
        cols = [name for name in cols if name not in DERIVED]
        for name, kind in WHOLE.items():
            if name in cols:
                values = frame[name].drop_nulls().unique().to_list()
                mapping = {v: self.placeholder(kind, v) for v in values if v and not PLACEHOLDER.fullmatch(v)}
                frame = frame.with_columns(pl.col(name).replace(mapping))
                cols.remove(name)
        for kind, rx in self._compiled:
            found: set[str] = set()
            for name in cols:
                col = pl.col(name) if frame.schema[name] == pl.String else pl.col(name).explode()
                found.update(
                    frame.select(col.str.extract_all(rx.pattern).explode().drop_nulls().unique()).to_series().to_list()
                )
            mapping = {m: r for m in found if (r := self._secret(kind, rx, m)) is not None and r != m}
            if not mapping:
                continue
            keys = sorted(mapping, key=len, reverse=True)  # leftmost-first with longest first: no partial hits
            values = [mapping[k] for k in keys]
            frame = frame.with_columns(
                (
                    pl.col(name).str.replace_many(keys, values, leftmost=True)
                    if frame.schema[name] == pl.String
                    else pl.col(name).list.eval(pl.element().str.replace_many(keys, values, leftmost=True))
                )
                for name in cols
            )
        known = {v: p for (_, v), p in self._given.items() if len(v) >= MIN_DERIVED_LEN}
        if derived and known:
            keys = sorted(known, key=len, reverse=True)
            frame = frame.with_columns(
                pl.col(name).str.replace_many(keys, [known[k] for k in keys], leftmost=True) for name in derived
            )
        return frame


def redact_analysis(result, redactor: Redactor | None = None):
    """A copy of an analysis result whose tables are redacted with one set of placeholders."""
    import dataclasses

    redactor = redactor or Redactor()
    changes = {
        f.name: redactor.frame(getattr(result, f.name))
        for f in dataclasses.fields(result)
        if isinstance(getattr(result, f.name), pl.DataFrame)
    }
    return dataclasses.replace(result, **changes)
