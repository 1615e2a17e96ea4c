"""Confirming TLS incidents with the bundle's certificates: the root cause names the certificate and what is
wrong with it, the fix says how to reissue it, and the evidence lists the certificates and problem codes.

Which problems confirm which signature is data (``confirmations.toml``), not code.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import tomllib
from functools import cache
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from loganalyzer.incidents.render import render

RULES_FILE = Path(__file__).with_name("confirmations.toml")
DEFAULT_SENTENCE = "Confirmed: {path} {detail}."
MAX_CONFIRMING = 5


@cache
def rules() -> dict[str, Any]:
    """The confirmations table: ``signatures`` (id → codes) and ``problems`` (code → texts)."""
    with RULES_FILE.open("rb") as f:
        return tomllib.load(f)


def _when(t: dt.datetime | None) -> str | None:
    return t.strftime("%Y-%m-%d %H:%M:%S UTC") if t else None


def _subject_openssl(rfc4514: str | None) -> str | None:
    """``CN=etcd-0,O=acme`` → ``/O=acme/CN=etcd-0`` (openssl -subj order)."""
    if not rfc4514:
        return None
    parts, cur, escaped = [], "", False
    for ch in rfc4514:
        if ch == "," and not escaped:
            parts.append(cur)
            cur = ""
            continue
        escaped = ch == "\\" and not escaped
        cur += ch
    parts.append(cur)
    return "/" + "/".join(reversed([p.replace("/", "\\/") for p in parts if p]))


def _ca_key(ca_path: str) -> str:
    p = PurePosixPath(ca_path)
    return str(p.with_name(f"{p.stem}-key.pem")) if p.suffix == ".pem" else str(p.with_suffix(".key"))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _san_list(dns: list[str] | None, ips: list[str] | None) -> list[str]:
    return [f"DNS:{d}" for d in dict.fromkeys(dns or [])] + [f"IP:{a}" for a in dict.fromkeys(ips or [])]


def values(cert: dict[str, Any], code: str) -> dict[str, Any]:
    """Template values for one certificate row and one of its problem codes."""
    path = cert["path"]
    stem = PurePosixPath(path).stem
    detail = next((d.split(": ", 1)[1] for d in cert["problem_details"] or [] if d.startswith(code + ": ")), None)
    dns = list(cert["dns_names"] or [])
    ips = list(cert["ip_addresses"] or [])
    for host in cert["missing_sans"] or []:
        (ips if _is_ip(host) else dns).append(host)
    if not dns and not ips and cert["common_name"]:
        dns.append(cert["common_name"])
    ca_path = (cert["ca_files"] or [None])[0] or "ca.crt"
    eku = list(cert["extended_key_usage"] or [])
    return {
        "path": path,
        "stem": stem,
        "detail": detail,
        "subject": cert["subject"],
        "cn": cert["common_name"],
        "issuer": cert["issuer"],
        "eku": ", ".join(eku) or None,
        "not_before": _when(cert["not_before"]),
        "not_after": _when(cert["not_after"]),
        "sans": ", ".join(_san_list(cert["dns_names"], cert["ip_addresses"])) or None,
        "san_ext": ",".join(_san_list(dns, ips)) or None,
        "key_path": cert["key_path"] or f"{stem}.key",
        "ca_path": ca_path,
        "ca_key_path": _ca_key(ca_path),
        "subject_openssl": _subject_openssl(cert["subject"]),
    }


def _at_incident(cert: dict[str, Any], when: str | None, incident: dict[str, Any]) -> bool:
    if when == "expired_at_incident" and cert["not_after"] and incident["last_seen"]:
        return cert["not_after"] < incident["last_seen"]
    if when == "not_yet_valid_at_incident" and cert["not_before"] and incident["first_seen"]:
        return cert["not_before"] > incident["first_seen"]
    return True


def _closeness(cert_path: str, incident: dict[str, Any]) -> int:
    """How close a certificate is to an incident: shared leading folders with its sources, plus its host."""
    parts = PurePosixPath(cert_path).parts[:-1]
    best = 0
    for source in incident["sources"] or []:
        sp = PurePosixPath(source.split("!")[0]).parts[:-1]
        n = 0
        while n < min(len(parts), len(sp)) and parts[n] == sp[n]:
            n += 1
        best = max(best, n)
    host = incident.get("host")
    return best * 2 + (1 if host and host in parts else 0)


def confirming(incident: dict[str, Any], certificates: list[dict[str, Any]]) -> tuple[str, list[dict]] | None:
    """(problem code, certificate rows) that confirm ``incident``, the closest certificates first; or None."""
    codes = rules()["signatures"].get(incident["signature_id"])
    if not codes:
        return None
    for code in codes:
        when = rules()["problems"].get(code, {}).get("when")
        found = [c for c in certificates if code in (c["problems"] or []) and _at_incident(c, when, incident)]
        if found:
            best = max(_closeness(c["path"], incident) for c in found)
            return code, [c for c in found if _closeness(c["path"], incident) == best][:MAX_CONFIRMING]
    return None


def confirm(incidents: pl.DataFrame, certificates: pl.DataFrame) -> pl.DataFrame:
    """``incidents`` with the root cause, fix and evidence of the ones certificates confirm."""
    if incidents.is_empty() or certificates.is_empty():
        return incidents
    certs = [c for c in certificates.iter_rows(named=True) if c["problems"]]
    rows = []
    changed = False
    for incident in incidents.iter_rows(named=True):
        evidence = json.loads(incident["evidence"] or "{}")
        found = None if "confirmed_by" in evidence else confirming(incident, certs)
        if found:
            code, matched = found
            texts = rules()["problems"].get(code, {})
            sentences = [render(texts.get("confirmed", DEFAULT_SENTENCE), values(c, code)) for c in matched]
            fix = render(texts.get("fix", ""), values(matched[0], code))
            if len(matched) > 1:
                fix += "\nThe same for: " + ", ".join(c["path"] for c in matched[1:]) + "."
            incident = {
                **incident,
                "root_cause": "\n".join([*sentences, incident["root_cause"] or ""]).strip(),
                "fix": "\n".join([fix, incident["fix"] or ""]).strip(),
            }
            evidence["confirmed_by"] = list(dict.fromkeys(c["path"] for c in matched))
            evidence["certificate_problems"] = list(
                dict.fromkeys(
                    p for c in matched for p in c["problems"] if p in rules()["signatures"][incident["signature_id"]]
                )
            )
            incident["evidence"] = json.dumps(evidence, sort_keys=True, ensure_ascii=False)
            changed = True
        rows.append(incident)
    if not changed:
        return incidents
    return pl.DataFrame(rows, schema=incidents.schema)
