"""Parsing certificates (PEM blocks or DER) and private keys, and describing a certificate as plain data.

Private keys are only loaded to fingerprint their public half: their material is never kept or returned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_CERT_LABEL = rb"(?:X509 |TRUSTED )?CERTIFICATE-----"
_KEY_LABEL = rb"(?:RSA |EC |ENCRYPTED |DSA |OPENSSH )?PRIVATE KEY-----"
PEM_CERT = re.compile(rb"-----BEGIN " + _CERT_LABEL + rb".*?-----END " + _CERT_LABEL, re.S)
PEM_KEY = re.compile(rb"-----BEGIN " + _KEY_LABEL + rb".*?-----END " + _KEY_LABEL, re.S)

EKU_NAMES = {
    ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth",
    ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING: "OCSPSigning",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE: "anyExtendedKeyUsage",
}
KEY_USAGE_FLAGS = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "key_cert_sign",
    "crl_sign",
)
KEY_USAGE_NAMES = {
    "digital_signature": "digitalSignature",
    "content_commitment": "nonRepudiation",
    "key_encipherment": "keyEncipherment",
    "data_encipherment": "dataEncipherment",
    "key_agreement": "keyAgreement",
    "key_cert_sign": "keyCertSign",
    "crl_sign": "cRLSign",
    "encipher_only": "encipherOnly",
    "decipher_only": "decipherOnly",
}


@dataclass
class Parsed:
    """What one file holds: its certificates, the public-key fingerprints of its private keys, and errors."""

    certificates: list[x509.Certificate]
    key_fingerprints: list[str]
    errors: list[str]  # certificates that failed to parse
    key_errors: list[str]  # private keys that could not be read


def looks_like_pem(data: bytes) -> bool:
    return b"-----BEGIN " in data


def parse_file(data: bytes, der_allowed: bool) -> Parsed:
    """Certificates and keys in ``data``: every PEM block, or a single DER certificate/key."""
    out = Parsed([], [], [], [])
    if looks_like_pem(data):
        blocks = PEM_CERT.findall(data)
        if len(re.findall(rb"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----", data)) > len(blocks):
            out.errors.append("a certificate block has no END line (truncated file?)")
        for i, block in enumerate(blocks, 1):
            try:
                out.certificates.append(x509.load_pem_x509_certificate(_clean(block)))
            except ValueError as exc:
                out.errors.append(f"certificate block {i}: {_short(exc)}")
        for i, block in enumerate(PEM_KEY.findall(data), 1):
            plain = _clean(block)
            fp = _key_fingerprint(lambda b=plain: serialization.load_pem_private_key(b, password=None))
            if fp.startswith("error:"):
                out.key_errors.append(f"private key block {i}: {fp[7:]}")
            else:
                out.key_fingerprints.append(fp)
        return out
    if der_allowed and data[:1] == b"\x30":
        try:
            out.certificates.append(x509.load_der_x509_certificate(data))
            return out
        except ValueError as exc:
            fp = _key_fingerprint(lambda: serialization.load_der_private_key(data, password=None))
            if fp.startswith("error:"):
                out.errors.append(f"neither a PEM nor a DER certificate: {_short(exc)}")
            else:
                out.key_fingerprints.append(fp)
            return out
    out.errors.append("no PEM certificate block and not DER")
    return out


def _clean(block: bytes) -> bytes:
    """A PEM block as found in YAML (indented) or JSON (``\\n`` escapes) made plain again."""
    lines = block.replace(b"\\n", b"\n").splitlines()
    return b"\n".join(line.strip() for line in lines) + b"\n"


def _short(exc: Exception) -> str:
    """An exception's first line, without key bytes (cryptography's messages carry none)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:200]


def _key_fingerprint(load) -> str:
    """SHA-256 of the key's public half (SubjectPublicKeyInfo DER), or ``error: why``."""
    try:
        key = load()
    except TypeError:
        return "error: encrypted private key (no password given); cannot check it"
    except (ValueError, NotImplementedError, UnsupportedAlgorithm) as exc:
        return f"error: unreadable private key ({_short(exc)})"
    return public_key_sha256(key.public_key())


def public_key_sha256(public_key: Any) -> str:
    """Colon-hex SHA-256 of a public key's SubjectPublicKeyInfo DER."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return _colon_hex(hashlib.sha256(der).digest())


def _colon_hex(raw: bytes) -> str:
    return ":".join(f"{b:02X}" for b in raw)


def _ext(cert: x509.Certificate, kind: type) -> Any:
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None
    except ValueError:  # a malformed extension
        return None


def key_usage(cert: x509.Certificate) -> list[str] | None:
    """Key usage names, or None when the certificate has no KeyUsage extension."""
    ku = _ext(cert, x509.KeyUsage)
    if ku is None:
        return None
    names = [KEY_USAGE_NAMES[f] for f in KEY_USAGE_FLAGS if getattr(ku, f)]
    if ku.key_agreement:
        names += [KEY_USAGE_NAMES[f] for f in ("encipher_only", "decipher_only") if getattr(ku, f)]
    return names


def extended_key_usage(cert: x509.Certificate) -> list[str] | None:
    """Extended key usage names (``serverAuth``, ``clientAuth``, …), or None when there is no EKU extension."""
    eku = _ext(cert, x509.ExtendedKeyUsage)
    if eku is None:
        return None
    return [EKU_NAMES.get(oid, oid.dotted_string) for oid in eku]


def sans(cert: x509.Certificate) -> tuple[list[str], list[str]] | None:
    """(DNS names, IP addresses) of the SubjectAltName extension, or None when it is absent."""
    san = _ext(cert, x509.SubjectAlternativeName)
    if san is None:
        return None
    return (
        [str(n) for n in san.get_values_for_type(x509.DNSName)],
        [str(a) for a in san.get_values_for_type(x509.IPAddress)],
    )


def common_name(name: x509.Name) -> str | None:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else None


def is_ca(cert: x509.Certificate) -> bool:
    bc = _ext(cert, x509.BasicConstraints)
    return bool(bc and bc.ca)


def describe(cert: x509.Certificate) -> dict[str, Any]:
    """The certificate as the columns of the certificates table (no problems, roles or key)."""
    names = sans(cert)
    return {
        "subject": cert.subject.rfc4514_string(),
        "common_name": common_name(cert.subject),
        "dns_names": names[0] if names else [],
        "ip_addresses": names[1] if names else [],
        "issuer": cert.issuer.rfc4514_string(),
        "not_before": cert.not_valid_before_utc,
        "not_after": cert.not_valid_after_utc,
        "key_usage": key_usage(cert) or [],
        "extended_key_usage": extended_key_usage(cert) or [],
        "is_ca": is_ca(cert),
        "serial": format(cert.serial_number, "X"),
        "sha256_fingerprint": _colon_hex(cert.fingerprint(_sha256())),
        "public_key_sha256": public_key_sha256(cert.public_key()),
    }


def _sha256():
    from cryptography.hazmat.primitives import hashes

    return hashes.SHA256()


def issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    """True when ``issuer``'s name and key signed ``cert`` (signature and issuer name checked)."""
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):  # name mismatch, bad signature
        return False
    return True


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
