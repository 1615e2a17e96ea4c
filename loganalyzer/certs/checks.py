"""Problems of one certificate, each with a stable code and a detail that reads after the file's name
("etcd/pki/server.crt has EKU serverAuth only (no clientAuth) …").

Codes: ``unparseable``, ``missing_client_auth_eku``, ``no_client_auth_eku``, ``missing_server_auth_eku``,
``expired``, ``not_yet_valid``, ``expired_in_log_range``, ``not_yet_valid_in_log_range``, ``san_mismatch``,
``cn_only``, ``chain_unverified``, ``key_mismatch``, ``key_unreadable``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from cryptography import x509

from loganalyzer.certs import parse

CODES = (
    "unparseable",
    "missing_client_auth_eku",
    "no_client_auth_eku",
    "missing_server_auth_eku",
    "expired",
    "not_yet_valid",
    "expired_in_log_range",
    "not_yet_valid_in_log_range",
    "san_mismatch",
    "cn_only",
    "chain_unverified",
    "key_mismatch",
    "key_unreadable",
)
MAX_CHAIN = 5

Problem = tuple[str, str]  # (code, detail)


def _when(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def lacks_usage(cert: x509.Certificate, usage: str) -> bool:
    """True when the EKU extension exists and allows neither ``usage`` nor any usage (Go's rule)."""
    eku = parse.extended_key_usage(cert)
    return eku is not None and usage not in eku and "anyExtendedKeyUsage" not in eku


def eku_text(cert: x509.Certificate) -> str:
    return ", ".join(parse.extended_key_usage(cert) or []) or "none"


def client_usage(cert: x509.Certificate, uses: list[str]) -> list[Problem]:
    """``uses``: why the certificate is presented as a client certificate (empty: it is not)."""
    if not uses or not lacks_usage(cert, "clientAuth"):
        return []
    return [
        (
            "missing_client_auth_eku",
            f"has EKU {eku_text(cert)} only (no clientAuth) but is used as a client certificate: "
            + "; ".join(uses)
            + "; Go rejects it with 'x509: certificate specifies an incompatible key usage'",
        )
    ]


def looks_like_etcd_server(cert: x509.Certificate, path: str) -> list[Problem]:
    """A serverAuth-only certificate of etcd's that no config in the bundle names (weaker than the above)."""
    if parse.is_ca(cert) or "etcd" not in path.lower() or not lacks_usage(cert, "clientAuth"):
        return []
    return [
        (
            "no_client_auth_eku",
            f"has EKU {eku_text(cert)} only (no clientAuth); if it is etcd's --cert-file and "
            "--client-cert-auth is on, etcd's gRPC gateway cannot use it as its client certificate "
            "(etcd issue 9785)",
        )
    ]


def server_usage(cert: x509.Certificate, serves: bool) -> list[Problem]:
    if not serves or not lacks_usage(cert, "serverAuth"):
        return []
    return [
        (
            "missing_server_auth_eku",
            f"has EKU {eku_text(cert)} only (no serverAuth) but etcd serves TLS with it; clients reject it",
        )
    ]


def validity(
    cert: x509.Certificate, now: dt.datetime, log_range: tuple[dt.datetime, dt.datetime] | None
) -> list[Problem]:
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    out: list[Problem] = []
    if end < now:
        out.append(("expired", f"expired on {_when(end)}"))
    if start > now:
        out.append(
            (
                "not_yet_valid",
                f"is not valid before {_when(start)} (now {_when(now)}; clock or issuing host's clock ahead?)",
            )
        )
    if log_range:
        first, last = log_range
        if end < last:
            out.append(
                (
                    "expired_in_log_range",
                    f"expired on {_when(end)}, before the end of the analyzed logs ({_when(last)})",
                )
            )
        if start > first:
            out.append(
                (
                    "not_yet_valid_in_log_range",
                    f"is valid only from {_when(start)}, after the start of the analyzed logs ({_when(first)})",
                )
            )
    return out


def covers(cert: x509.Certificate, host: str) -> bool:
    """Whether ``host`` (a name or an IP) matches the certificate's SANs as Go checks them (CN ignored)."""
    names = parse.sans(cert)
    if names is None:
        return False
    dns, ips = names
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        ip = None
    if ip is not None:
        return any(ipaddress.ip_address(a) == ip for a in ips)
    host = host.lower().rstrip(".")
    for name in (n.lower().rstrip(".") for n in dns):
        if name == host:
            return True
        if name.startswith("*.") and "." in host and host.split(".", 1)[1] == name[2:]:
            return True
    return False


def san_text(cert: x509.Certificate) -> str:
    names = parse.sans(cert)
    if not names or not (names[0] or names[1]):
        return "no DNS/IP SANs"
    return "SANs " + ", ".join([f"DNS:{n}" for n in names[0]] + [f"IP:{a}" for a in names[1]])


def endpoints(cert: x509.Certificate, wanted: list[tuple[str, str]]) -> tuple[list[Problem], list[str]]:
    """``wanted``: (host, where it is named) that clients dial; returns problems and the missing hosts."""
    missing: dict[str, list[str]] = {}
    for host, where in wanted:
        if not covers(cert, host):
            missing.setdefault(host, []).append(where)
    if not missing:
        return [], []
    listed = "; ".join(f"{h} ({', '.join(sorted(set(w)))})" for h, w in missing.items())
    return [("san_mismatch", f"has {san_text(cert)} but not {listed}")], list(missing)


def cn_only(cert: x509.Certificate, serves: bool) -> list[Problem]:
    """A server (or unknown-role leaf) certificate with a CN and no DNS/IP SANs."""
    if parse.is_ca(cert) or not serves:
        return []
    names = parse.sans(cert)
    cn = parse.common_name(cert.subject)
    if cn and (names is None or not (names[0] or names[1])):
        return [
            (
                "cn_only",
                f"has CN={cn} and no DNS/IP SANs; Go 1.15+ ignores the CN when checking host names "
                "('x509: certificate relies on legacy Common Name field')",
            )
        ]
    return []


def verifies(
    cert: x509.Certificate, roots: list[x509.Certificate], intermediates: list[x509.Certificate], depth: int = 0
) -> bool:
    """Whether ``cert`` chains to one of ``roots`` (issuer names and signatures), via ``intermediates``."""
    if any(cert == r for r in roots):
        return True
    if any(parse.issued_by(cert, r) for r in roots):
        return True
    if depth >= MAX_CHAIN:
        return False
    return any(
        i != cert and parse.issued_by(cert, i) and verifies(i, roots, intermediates, depth + 1) for i in intermediates
    )


def chain(
    cert: x509.Certificate, ca_files: dict[str, list[x509.Certificate]], intermediates: list[x509.Certificate]
) -> list[Problem]:
    """Check ``cert`` against each configured CA file (name → its certificates)."""
    out: list[Problem] = []
    for name, roots in ca_files.items():
        if not roots or verifies(cert, roots, intermediates + roots):
            continue
        same_name = [r for r in roots if r.subject == cert.issuer]
        if same_name:
            why = (
                f"its signature does not verify with the key of {cert.issuer.rfc4514_string()} in {name} "
                "(same CA name, different key: was the CA regenerated?)"
            )
        else:
            why = (
                f"its issuer {cert.issuer.rfc4514_string()} is not in {name} (which holds "
                + ", ".join(r.subject.rfc4514_string() for r in roots[:3])
                + ")"
            )
        out.append(("chain_unverified", f"does not verify against the configured CA {name}: {why}"))
    return out


def unconfigured_chain(
    cert: x509.Certificate, bundle_cas: list[tuple[str, x509.Certificate]], intermediates: list[x509.Certificate]
) -> list[Problem]:
    """Without a configured CA: flag a certificate whose issuer is in the bundle but did not sign it."""
    if cert.issuer == cert.subject:
        return []
    same = [(n, c) for n, c in bundle_cas if c.subject == cert.issuer]
    if not same or verifies(cert, [c for _, c in same], intermediates):
        return []
    where = ", ".join(sorted({n for n, _ in same}))
    return [
        (
            "chain_unverified",
            f"names issuer {cert.issuer.rfc4514_string()} but its signature does not "
            f"verify with the key of the CA of that name in {where}",
        )
    ]


def key_match(cert_fp: str, key_path: str | None, key_fp: str | None, key_error: str | None) -> list[Problem]:
    if key_path is None:
        return []
    if key_error:
        return [("key_unreadable", f"has its private key in {key_path}, which cannot be checked: {key_error}")]
    if key_fp != cert_fp:
        return [
            (
                "key_mismatch",
                f"does not match its private key {key_path} (public key fingerprints differ; "
                "etcd fails with 'tls: private key does not match public key')",
            )
        ]
    return []
