"""Inspecting the certificates of a bundle: the ``certificates`` table, with roles and problems.

``inspect_paths`` is what ``analyze`` calls; ``inspect_bundle`` also returns the configs found and notes
(files named by a config but absent from the bundle, unreadable files) for the ``certs`` command.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import polars as pl
from cryptography import x509

from loganalyzer.certs import checks, configs, find, parse, table
from loganalyzer.certs.configs import (
    APISIX_CA,
    APISIX_CLIENT_CERT,
    CA_OF,
    ETCD_CA,
    ETCD_PEER_CA,
    ETCD_PEER_CERT,
    ETCD_SERVER_CERT,
    KEY_OF,
    Config,
)

DER_SUFFIXES = (".crt", ".cer", ".der", ".cert")
LEAF_ROLES = (ETCD_SERVER_CERT, ETCD_PEER_CERT, APISIX_CLIENT_CERT)
CA_ROLES = (ETCD_CA, ETCD_PEER_CA, APISIX_CA)


@dataclass
class Inspection:
    """The certificates table and what the ``certs`` command also tells."""

    table: pl.DataFrame
    configs: list[Config] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    readable: int = 0


@dataclass
class _File:
    name: str
    parsed: parse.Parsed
    roles: list[tuple[str, Config]] = field(default_factory=list)


def inspect_paths(paths: list[str], log_range: tuple[dt.datetime, dt.datetime] | None = None) -> pl.DataFrame:
    """The certificates table for the files under ``paths``; ``log_range`` = (first, last) log time."""
    return inspect_bundle(paths, log_range).table


def _utc(t: dt.datetime | None) -> dt.datetime | None:
    if t is None:
        return None
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def _host(url: str) -> str | None:
    """The host of an https URL (plain http needs no certificate), or None."""
    if "://" not in url:  # no scheme: clients default to plain http
        return None
    parts = urlsplit(url)
    return parts.hostname if parts.scheme.lower() in ("https", "unixs") else None


def _sibling_keys(name: str, names: list[str]) -> list[str]:
    """Conventional key files beside a certificate: server.crt → server.key, etcd.pem → etcd-key.pem."""
    p = PurePosixPath(name)
    wanted = {f"{p.stem}.key", f"{p.stem}-key.pem", f"{p.stem}.key.pem", f"{p.stem}_key.pem"}
    return [n for n in names if PurePosixPath(n).parent == p.parent and PurePosixPath(n).name in wanted]


def _certish(name: str) -> bool:
    return find.suffix(name) in find.CERT_SUFFIXES + find.KEY_SUFFIXES


def _unparseable(name: str, roles: list[tuple[str, Config]], why: str) -> dict[str, Any]:
    row = table.empty_row(name)
    row["roles"] = sorted({r for r, _ in roles})
    row["named_by"] = sorted({c.source for _, c in roles})
    row["problems"] = ["unparseable"]
    row["problem_details"] = [f"unparseable: {why}"]
    return row


class _Checker:
    """Everything known about the bundle that the checks of one certificate need."""

    def __init__(
        self,
        bundle: find.Bundle,
        files: dict[str, _File],
        found: list[Config],
        now: dt.datetime,
        log_range: tuple[dt.datetime, dt.datetime] | None,
    ):
        self.bundle, self.files, self.now, self.log_range = bundle, files, now, log_range
        self.certs_of = {n: f.parsed.certificates for n, f in files.items() if f.parsed.certificates}
        self.bundle_cas = [(n, c) for n, cs in self.certs_of.items() for c in cs if parse.is_ca(c)]
        self.etcd_configs = [c for c in found if c.kind == "etcd"]
        self.apisix_configs = [c for c in found if c.kind == "apisix"]
        self.server_files = {n for n, f in files.items() if any(r == ETCD_SERVER_CERT for r, _ in f.roles)}
        self.file_of = {(id(cfg), role): n for n, f in files.items() for role, cfg in f.roles}
        self.apisix_missing = self._apisix_endpoints_not_covered()

    def resolved(self, cfg: Config, role: str) -> str | None:
        """The parsed bundle file that ``cfg`` names as ``role``."""
        return self.file_of.get((id(cfg), role))

    def _apisix_endpoints_not_covered(self) -> list[tuple[str, str]]:
        """(host, where) of APISIX's etcd endpoints that no etcd server certificate of the bundle covers."""
        servers = [self.certs_of[n][0] for n in self.server_files if n in self.certs_of]
        missing: list[tuple[str, str]] = []
        for cfg in self.apisix_configs:
            if not cfg.verify:
                self.bundle.notes.append(f"{cfg.source}: etcd.tls.verify is false; APISIX does not check etcd's SANs")
                continue
            for host in filter(None, map(_host, cfg.client_urls)):
                host = cfg.sni or host
                if servers and not any(checks.covers(c, host) for c in servers):
                    missing.append((host, f"{'etcd.tls.sni' if cfg.sni else 'etcd.host'} in {cfg.source}"))
        return missing

    def _key(self, row: dict[str, Any], name: str, roles: list[tuple[str, Config]]) -> list[checks.Problem]:
        key_path = next(
            (self.resolved(cfg, KEY_OF[r]) for r, cfg in roles if r in KEY_OF and self.resolved(cfg, KEY_OF[r])), None
        )
        if key_path is None and self.files[name].parsed.key_fingerprints:
            key_path = name
        if key_path is None and not roles:
            key_path = next((s for s in _sibling_keys(name, self.bundle.names) if s in self.files), None)
        if key_path is None:
            return []
        parsed = self.files[key_path].parsed
        fps = parsed.key_fingerprints
        error = None if fps else "; ".join(parsed.key_errors or parsed.errors) or "no private key in it"
        match = next((fp for fp in fps if fp == row["public_key_sha256"]), None)
        row["key_path"] = key_path
        row["key_public_sha256"] = match or (fps[0] if fps else None)
        row["key_matches"] = None if error else match is not None
        return checks.key_match(row["public_key_sha256"], key_path, row["key_public_sha256"], error)

    def _client_uses(self, roles: list[tuple[str, Config]]) -> list[str]:
        uses: list[str] = []
        for role, cfg in roles:
            if role == ETCD_SERVER_CERT and cfg.client_cert_auth:
                uses.append(
                    "etcd's gRPC gateway dials etcd's own gRPC server with it (--cert-file) while "
                    f"--client-cert-auth is on ({cfg.source}; etcd issue 9785)"
                )
            elif role == ETCD_PEER_CERT and cfg.peer_client_cert_auth:
                uses.append(
                    f"members present --peer-cert-file to peers while --peer-client-cert-auth is on ({cfg.source})"
                )
            elif role == APISIX_CLIENT_CERT:
                uses.append(f"APISIX presents it to etcd (etcd.tls.cert in {cfg.source})")
        return list(dict.fromkeys(uses))

    def _endpoints(self, roles: list[tuple[str, Config]]) -> list[tuple[str, str]]:
        want: list[tuple[str, str]] = []
        for role, cfg in roles:
            if role == ETCD_SERVER_CERT:
                want += [(h, f"advertise-client-urls in {cfg.source}") for h in map(_host, cfg.client_urls) if h]
            elif role == ETCD_PEER_CERT:
                want += [(h, f"initial-advertise-peer-urls in {cfg.source}") for h in map(_host, cfg.peer_urls) if h]
        if any(r == ETCD_SERVER_CERT for r, _ in roles):
            want += self.apisix_missing
        return want

    def _ca_files(self, name: str, roles: list[tuple[str, Config]]) -> list[str]:
        names: list[str | None] = []
        for role, cfg in roles:
            if role in CA_OF:
                names.append(self.resolved(cfg, CA_OF[role]))
            if role == ETCD_SERVER_CERT:  # APISIX verifies etcd's certificate with its trusted CA
                names += [self.resolved(a, APISIX_CA) for a in self.apisix_configs if a.verify]
            if role == APISIX_CLIENT_CERT:  # etcd verifies APISIX's certificate with --trusted-ca-file
                names += [self.resolved(e, ETCD_CA) for e in self.etcd_configs]
        return [n for n in dict.fromkeys(names) if n and n in self.certs_of and n != name]

    def row(self, name: str, index: int, cert: x509.Certificate) -> dict[str, Any]:
        """The table row of the ``index``-th certificate of file ``name``, with its problems."""
        leaf = index == 0
        roles = [(r, c) for r, c in self.files[name].roles if r not in LEAF_ROLES or leaf]
        role_names = {r for r, _ in roles}
        row = table.empty_row(name)
        row.update(parse.describe(cert))
        row.update(index=index, roles=sorted(role_names), named_by=sorted({c.source for _, c in roles}))
        problems: list[checks.Problem] = self._key(row, name, roles) if leaf else []

        serves = bool(role_names & {ETCD_SERVER_CERT, ETCD_PEER_CERT})
        problems += checks.client_usage(cert, self._client_uses(roles))
        problems += checks.server_usage(cert, serves)
        if leaf and not role_names and not self.server_files:
            problems += checks.looks_like_etcd_server(cert, name)
        problems += checks.validity(cert, self.now, self.log_range)
        san_problems, row["missing_sans"] = checks.endpoints(cert, self._endpoints(roles))
        problems += san_problems
        unknown_leaf = not role_names and not parse.is_ca(cert) and not checks.lacks_usage(cert, "serverAuth")
        problems += checks.cn_only(cert, serves or unknown_leaf)

        row["ca_files"] = self._ca_files(name, roles)
        intermediates = [c for i, c in enumerate(self.certs_of[name]) if i != index]
        intermediates += [c for _, c in self.bundle_cas]
        if row["ca_files"]:
            problems += checks.chain(cert, {n: self.certs_of[n] for n in row["ca_files"]}, intermediates)
        elif not role_names & set(CA_ROLES):
            problems += checks.unconfigured_chain(cert, self.bundle_cas, intermediates)

        row["problems"] = [code for code, _ in problems]
        row["problem_details"] = [f"{code}: {detail}" for code, detail in problems]
        return row


def _configs(bundle: find.Bundle) -> list[Config]:
    found: list[Config] = []
    for f in bundle.files.values():
        if _certish(f.name) or (parse.looks_like_pem(f.data) and find.suffix(f.name) not in (".yaml", ".yml")):
            continue
        if b"\x00" not in f.data[: find.HEAD_BYTES]:
            found += configs.parse(f.name, f.data.decode("utf-8", errors="replace"))
    return found


def inspect_bundle(
    paths: list[str], log_range: tuple[Any, Any] | None = None, now: dt.datetime | None = None
) -> Inspection:
    """Find, parse and check every certificate under ``paths`` (see :func:`inspect_paths`)."""
    now = _utc(now) or parse.now()
    rng = (_utc(log_range[0]), _utc(log_range[1])) if log_range and None not in log_range else None
    bundle = find.collect(paths)
    found = _configs(bundle)

    named: dict[str, list[tuple[str, Config]]] = {}  # bundle file → (role, config) naming it
    for cfg in found:
        for role, path in cfg.files.items():
            target = find.resolve(path, cfg.source, bundle.names)
            if target is None:
                bundle.notes.append(f"{cfg.source} names {path} as {role}, but no such file is in the bundle")
            else:
                named.setdefault(target, []).append((role, cfg))

    files: dict[str, _File] = {}
    rows: list[dict[str, Any]] = []
    wanted = {n for n, f in bundle.files.items() if _certish(n) or parse.looks_like_pem(f.data)}
    for name in sorted(wanted | set(named)):
        bf = bundle.read(name)
        if bf is None:
            continue
        roles = named.get(name, [])
        expected = find.suffix(name) in find.CERT_SUFFIXES or any(r in configs.CERT_ROLES for r, _ in roles)
        parsed = parse.parse_file(bf.data, der_allowed=find.suffix(name) in DER_SUFFIXES or expected)
        files[name] = _File(name, parsed, roles)
        has_key = bool(parsed.key_fingerprints or parse.PEM_KEY.search(bf.data))
        if parsed.errors and (parsed.certificates or (expected and not has_key)):
            rows.append(_unparseable(name, roles, "; ".join(parsed.errors)))

    checker = _Checker(bundle, files, found, now, rng)
    for name in sorted(checker.certs_of):
        for index, cert in enumerate(checker.certs_of[name]):
            try:
                rows.append(checker.row(name, index, cert))
            except Exception as exc:  # a malformed extension surfaces only when read: report it, go on
                rows.append(_unparseable(name, files[name].roles, f"certificate {index}: {exc}"))
    return Inspection(table=table.frame(rows), configs=found, notes=bundle.notes, readable=bundle.readable)
