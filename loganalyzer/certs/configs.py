"""etcd and APISIX configuration as far as certificates go: which files play which role, whether
client-certificate auth is on, and which endpoints clients dial.

Read from etcd command lines (systemd units, static pod manifests, ``ps``/``docker inspect`` dumps),
``ETCD_*`` environment variables, ``etcd.conf.yml`` and APISIX ``config.yaml`` (2.x ``etcd:``, 3.x
``deployment.etcd:``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

ETCD_SERVER_CERT = "etcd server cert"
ETCD_SERVER_KEY = "etcd server key"
ETCD_CA = "etcd CA"
ETCD_PEER_CERT = "etcd peer cert"
ETCD_PEER_KEY = "etcd peer key"
ETCD_PEER_CA = "etcd peer CA"
APISIX_CLIENT_CERT = "APISIX client cert"
APISIX_CLIENT_KEY = "APISIX client key"
APISIX_CA = "APISIX trusted CA"

CERT_ROLES = (ETCD_SERVER_CERT, ETCD_PEER_CERT, ETCD_CA, ETCD_PEER_CA, APISIX_CLIENT_CERT, APISIX_CA)
KEY_OF = {ETCD_SERVER_CERT: ETCD_SERVER_KEY, ETCD_PEER_CERT: ETCD_PEER_KEY, APISIX_CLIENT_CERT: APISIX_CLIENT_KEY}
CA_OF = {ETCD_SERVER_CERT: ETCD_CA, ETCD_PEER_CERT: ETCD_PEER_CA}

# etcd flag (also etcd.conf.yml key and ETCD_* variable) → role
FILE_FLAGS = {
    "cert-file": ETCD_SERVER_CERT,
    "key-file": ETCD_SERVER_KEY,
    "trusted-ca-file": ETCD_CA,
    "peer-cert-file": ETCD_PEER_CERT,
    "peer-key-file": ETCD_PEER_KEY,
    "peer-trusted-ca-file": ETCD_PEER_CA,
}
BOOL_FLAGS = ("client-cert-auth", "peer-client-cert-auth")
URL_FLAGS = ("advertise-client-urls", "initial-advertise-peer-urls")
# Flags only an etcd server takes: a file naming --cert-file without one of these may be an etcdctl v2 call.
SERVER_ONLY = (
    "--trusted-ca-file",
    "--client-cert-auth",
    "--advertise-client-urls",
    "--listen-client-urls",
    "--data-dir",
    "--initial-cluster",
    "--peer-cert-file",
    "--peer-trusted-ca-file",
    "ETCD_",
    "TLS: cert = ",
    "tls-info",
)

_VALUE = r"""(?P<value>"[^"]*"|'[^']*'|[^\s"'\\\]}]+)"""
FLAG_RE = re.compile(
    r"(?<![\w-])--(?P<flag>"
    + "|".join(map(re.escape, [*FILE_FLAGS, *URL_FLAGS]))
    + r")(?:=|[ \t]+)(?!-)"
    + _VALUE
    + r"|(?<![\w-])--(?P<bool>"
    + "|".join(BOOL_FLAGS)
    + r")(?:=(?P<bvalue>\w+))?(?![\w-])"
)
# etcd's own startup lines: capnslog "embed: ClientTLS: cert = …", zap "starting with client TLS","tls-info":"cert = …"
TLS_INFO_RE = re.compile(
    r"(?:(?P<c1>ClientTLS)|(?P<p1>[Pp]eerTLS)|starting with (?:(?P<c2>client)|(?P<p2>peer)) TLS)\b[^\n]*?"
    r"cert = (?P<cert>[^,\"\n]*), key = (?P<key>[^,\"\n]*)(?P<rest>[^\"\n]*)"
)
TLS_INFO_FIELD = re.compile(r"(?P<name>trusted-ca|client-cert-auth) = (?P<value>[^,\"\n]*)")
ZAP_URLS_RE = re.compile(r'"(?P<flag>advertise-client-urls|initial-advertise-peer-urls)":\[(?P<value>[^\]]*)\]')
ENV_NAMES = {f"ETCD_{k.upper().replace('-', '_')}": k for k in (*FILE_FLAGS, *BOOL_FLAGS, *URL_FLAGS)}
ENV_RE = re.compile(r"(?<![\w-])(?P<name>" + "|".join(ENV_NAMES) + r")[\"']?\s*(?:[=:]|value:)\s*" + _VALUE)


@dataclass
class Config:
    """One etcd member's or APISIX node's TLS settings, as written in one file."""

    source: str  # the config file, as named in the bundle
    kind: str  # etcd | apisix
    files: dict[str, str] = field(default_factory=dict)  # role → path as written
    client_cert_auth: bool | None = None
    peer_client_cert_auth: bool | None = None
    client_urls: list[str] = field(default_factory=list)  # etcd: advertise-client-urls; APISIX: etcd.host
    peer_urls: list[str] = field(default_factory=list)
    verify: bool = True  # APISIX etcd.tls.verify
    sni: str | None = None  # APISIX etcd.tls.sni

    def describe(self) -> str:
        return f"{self.source} ({self.kind})"


def _unquote(value: str) -> str:
    return value.strip().rstrip("\\").strip("\"'").rstrip(",;")


def _truth(value: Any) -> bool:
    return str(value).strip().strip("\"'").lower() in ("1", "true", "yes", "on", "")


def _urls(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value).split(",")
    return [_unquote(str(u)) for u in items if _unquote(str(u))]


def _apply(cfg: Config, key: str, value: Any) -> bool:
    """Set ``key`` (an etcd flag name without dashes) on ``cfg``; False if it was already set."""
    if key in FILE_FLAGS:
        role = FILE_FLAGS[key]
        if role in cfg.files:
            return False
        path = _unquote(str(value))
        if path:
            cfg.files[role] = path
    elif key in BOOL_FLAGS:
        attr = key.replace("-", "_")
        if getattr(cfg, attr) is not None:
            return False
        setattr(cfg, attr, _truth(value))
    elif key in URL_FLAGS:
        attr = "client_urls" if key == "advertise-client-urls" else "peer_urls"
        if getattr(cfg, attr):
            return False
        setattr(cfg, attr, _urls(value))
    return True


def from_command_lines(source: str, text: str) -> list[Config]:
    """etcd configs from flags and ``ETCD_*`` variables; a flag seen again starts the next member's config."""
    if not any(marker in text for marker in SERVER_ONLY):
        return []
    found: list[tuple[int, str, str]] = []
    for m in FLAG_RE.finditer(text):
        if m["flag"]:
            found.append((m.start(), m["flag"], m["value"]))
        else:
            found.append((m.start(), m["bool"], m["bvalue"] or "true"))
    for m in ENV_RE.finditer(text):
        found.append((m.start(), ENV_NAMES[m["name"]], m["value"]))
    for m in TLS_INFO_RE.finditer(text):
        prefix = "" if m["c1"] or m["c2"] else "peer-"
        found += [(m.start(), f"{prefix}cert-file", m["cert"]), (m.start(), f"{prefix}key-file", m["key"])]
        for f in TLS_INFO_FIELD.finditer(m["rest"]):
            key = "trusted-ca-file" if f["name"] == "trusted-ca" else "client-cert-auth"
            found.append((m.start(), prefix + key, f["value"].strip() or ("false" if "auth" in key else "")))
    for m in ZAP_URLS_RE.finditer(text):
        found.append((m.start(), m["flag"], m["value"].replace('"', "")))
    configs: list[Config] = []
    current = Config(source, "etcd")
    for _, key, value in sorted(found, key=lambda item: item[0]):
        if not _apply(current, key, value):
            configs.append(current)
            current = Config(source, "etcd")
            _apply(current, key, value)
    configs.append(current)
    unique: dict[str, Config] = {}  # a member restarted many times logs the same settings each time
    for c in configs:
        if c.files:
            unique.setdefault(
                repr(
                    (sorted(c.files.items()), c.client_cert_auth, c.peer_client_cert_auth, c.client_urls, c.peer_urls)
                ),
                c,
            )
    return list(unique.values())


def _etcd_yaml(source: str, doc: dict) -> Config | None:
    if not any(k in doc for k in ("client-transport-security", "peer-transport-security", *FILE_FLAGS)):
        return None
    cfg = Config(source, "etcd")
    client = doc.get("client-transport-security") or {}
    peer = doc.get("peer-transport-security") or {}
    for key in FILE_FLAGS:
        if doc.get(key):
            _apply(cfg, key, doc[key])
    if isinstance(client, dict):
        for key in ("cert-file", "key-file", "trusted-ca-file"):
            if client.get(key):
                _apply(cfg, key, client[key])
        if "client-cert-auth" in client:
            cfg.client_cert_auth = _truth(client["client-cert-auth"])
    if isinstance(peer, dict):
        for key in ("cert-file", "key-file", "trusted-ca-file"):
            if peer.get(key):
                _apply(cfg, f"peer-{key}", peer[key])
        if "client-cert-auth" in peer:
            cfg.peer_client_cert_auth = _truth(peer["client-cert-auth"])
    if cfg.client_cert_auth is None and "client-cert-auth" in doc:
        cfg.client_cert_auth = _truth(doc["client-cert-auth"])
    for key in URL_FLAGS:
        if doc.get(key):
            _apply(cfg, key, doc[key])
    return cfg if cfg.files else None


def _apisix_yaml(source: str, doc: dict) -> Config | None:
    deployment = doc.get("deployment") if isinstance(doc.get("deployment"), dict) else {}
    etcd = deployment.get("etcd") if isinstance(deployment.get("etcd"), dict) else doc.get("etcd")
    if not isinstance(etcd, dict) or not ({"host", "tls", "prefix"} & set(etcd)):
        return None
    cfg = Config(source, "apisix")
    hosts = etcd.get("host") or []
    cfg.client_urls = [h for h in _urls(hosts) if "${" not in h]
    tls = etcd.get("tls") if isinstance(etcd.get("tls"), dict) else {}
    if tls.get("cert"):
        cfg.files[APISIX_CLIENT_CERT] = _unquote(str(tls["cert"]))
    if tls.get("key"):
        cfg.files[APISIX_CLIENT_KEY] = _unquote(str(tls["key"]))
    if "verify" in tls:
        cfg.verify = _truth(tls["verify"])
    if tls.get("sni"):
        cfg.sni = _unquote(str(tls["sni"]))
    apisix = doc.get("apisix") if isinstance(doc.get("apisix"), dict) else {}
    ssl = apisix.get("ssl") if isinstance(apisix.get("ssl"), dict) else {}
    certs = deployment.get("certs") if isinstance(deployment.get("certs"), dict) else {}
    trusted = ssl.get("ssl_trusted_certificate") or certs.get("trusted_ca_cert")
    if trusted and "${" not in str(trusted):
        cfg.files[APISIX_CA] = _unquote(str(trusted))
    cfg.files = {role: path for role, path in cfg.files.items() if "${" not in path}
    return cfg


def from_yaml(source: str, text: str) -> list[Config]:
    """etcd.conf.yml and APISIX config.yaml documents in ``text`` (unparseable YAML yields nothing)."""
    import yaml

    try:
        docs = [d for d in yaml.safe_load_all(text) if isinstance(d, dict)]
    except yaml.YAMLError:
        return []
    out: list[Config] = []
    for doc in docs:
        cfg = _etcd_yaml(source, doc) or _apisix_yaml(source, doc)
        if cfg is not None:
            out.append(cfg)
    return out


def parse(source: str, text: str) -> list[Config]:
    """Every etcd/APISIX TLS config in one file."""
    out: list[Config] = []
    if source.lower().endswith((".yaml", ".yml")):
        out += from_yaml(source, text)
    return out + from_command_lines(source, text)
