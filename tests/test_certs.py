"""Certificates: finding them and the configs that name them, checking them, confirming TLS incidents."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import textwrap
from pathlib import Path

import polars as pl
import pytest
import typer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from typer.testing import CliRunner

from loganalyzer import analysis
from loganalyzer.catalogue import load
from loganalyzer.certs import confirm as confirm_mod
from loganalyzer.certs.confirm import confirm
from loganalyzer.certs.find import resolve
from loganalyzer.certs.scan import inspect_bundle, inspect_paths
from loganalyzer.cli.certs import certs

NOW = dt.datetime.now(dt.UTC)
DAY = dt.timedelta(days=1)
SERVER = ExtendedKeyUsageOID.SERVER_AUTH
CLIENT = ExtendedKeyUsageOID.CLIENT_AUTH
GATEWAY_LINE = (
    '2021-06-09 11:10:13.022735 I | embed: rejected connection from "127.0.0.1:50898" (error "tls: '
    "failed to verify client's certificate: x509: certificate specifies an incompatible key usage\", "
    'ServerName "")'
)


# --- making certificates --------------------------------------------------------------------------------


def new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def new_cert(
    cn: str,
    key,
    *,
    issuer: tuple[x509.Certificate, object] | None = None,
    eku=(SERVER,),
    dns: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
    san: bool = True,
    ca: bool = False,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    issuer_name, signing_key = (issuer[0].subject, issuer[1]) if issuer else (subject, key)
    b = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - DAY)
        .not_valid_after(not_after or NOW + 365 * DAY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), critical=True)
        if eku:
            b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
        if san:
            names = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
            b = b.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return b.sign(signing_key, hashes.SHA256())


def cert_pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def key_pem(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(textwrap.dedent(data).lstrip())
    else:
        path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def pki():
    """A CA, a second CA with the same name (regenerated), and keys."""
    ca_key, other_key = new_key(), new_key()
    ca = new_cert("etcd-ca", ca_key, ca=True)
    impostor = new_cert("etcd-ca", other_key, ca=True)  # same name, different key
    return {"ca": ca, "ca_key": ca_key, "impostor": impostor, "impostor_key": other_key}


def by_path(frame: pl.DataFrame, path: str) -> dict:
    rows = frame.filter((pl.col("path") == path) & (pl.col("index").is_null() | (pl.col("index") == 0)))
    assert rows.height == 1, f"{path} not in {frame['path'].to_list()}"
    return rows.row(0, named=True)


def etcd_bundle(root: Path, pki, *, server_eku=(SERVER,), client_cert_auth: bool = True) -> Path:
    """etcd/ with etcd.conf.yml naming /etc/etcd/pki/{server,ca}.crt, copied as etcd/pki/."""
    key = new_key()
    server = new_cert(
        "etcd-0",
        key,
        issuer=(pki["ca"], pki["ca_key"]),
        eku=server_eku,
        dns=("etcd-0", "localhost"),
        ips=("10.0.0.1", "127.0.0.1"),
    )
    write(root / "etcd/pki/server.crt", cert_pem(server))
    write(root / "etcd/pki/server.key", key_pem(key))
    write(root / "etcd/pki/ca.crt", cert_pem(pki["ca"]))
    write(
        root / "etcd/etcd.conf.yml",
        f"""
        name: etcd-0
        data-dir: /var/lib/etcd
        advertise-client-urls: https://10.0.0.1:2379
        client-transport-security:
          cert-file: /etc/etcd/pki/server.crt
          key-file: /etc/etcd/pki/server.key
          trusted-ca-file: /etc/etcd/pki/ca.crt
          client-cert-auth: {str(client_cert_auth).lower()}
        """,
    )
    return root


# --- the headline check -------------------------------------------------------------------------------


def test_server_cert_without_client_auth_is_flagged_when_client_cert_auth_is_on(tmp_path, pki):
    etcd_bundle(tmp_path, pki)
    table = inspect_paths([str(tmp_path)])
    server = by_path(table, "etcd/pki/server.crt")
    assert server["roles"] == ["etcd server cert"]
    assert server["named_by"] == ["etcd/etcd.conf.yml"]
    assert server["extended_key_usage"] == ["serverAuth"]
    assert server["problems"] == ["missing_client_auth_eku"]
    detail = server["problem_details"][0]
    assert "has EKU serverAuth only (no clientAuth)" in detail and "--client-cert-auth" in detail
    assert server["key_path"] == "etcd/pki/server.key" and server["key_matches"] is True
    assert server["ca_files"] == ["etcd/pki/ca.crt"]
    assert server["dns_names"] == ["etcd-0", "localhost"] and server["ip_addresses"] == ["10.0.0.1", "127.0.0.1"]
    assert server["common_name"] == "etcd-0" and server["issuer"] == "CN=etcd-ca"
    assert len(server["sha256_fingerprint"].split(":")) == 32
    ca = by_path(table, "etcd/pki/ca.crt")
    assert ca["roles"] == ["etcd CA"] and ca["is_ca"] and ca["problems"] == []


def test_both_usages_or_client_cert_auth_off_is_fine(tmp_path, pki):
    etcd_bundle(tmp_path / "both", pki, server_eku=(SERVER, CLIENT))
    etcd_bundle(tmp_path / "off", pki, client_cert_auth=False)
    table = inspect_paths([str(tmp_path)])
    assert by_path(table, "both/etcd/pki/server.crt")["problems"] == []
    assert by_path(table, "off/etcd/pki/server.crt")["problems"] == []


def test_systemd_unit_flags_name_the_certificates(tmp_path, pki):
    server_key, peer_key = new_key(), new_key()
    issuer = (pki["ca"], pki["ca_key"])
    write(
        tmp_path / "node1/etc/etcd/ssl/etcd.pem",
        cert_pem(new_cert("node1", server_key, issuer=issuer, dns=("node1",), ips=("192.168.1.10",))),
    )
    write(tmp_path / "node1/etc/etcd/ssl/etcd-key.pem", key_pem(server_key))
    write(
        tmp_path / "node1/etc/etcd/ssl/peer.pem",
        cert_pem(new_cert("node1", peer_key, issuer=issuer, eku=(SERVER, CLIENT), ips=("192.168.1.10",))),
    )
    write(tmp_path / "node1/etc/etcd/ssl/peer-key.pem", key_pem(peer_key))
    write(tmp_path / "node1/etc/etcd/ssl/ca.pem", cert_pem(pki["ca"]))
    write(
        tmp_path / "node1/systemd/etcd.service",
        r"""
        [Service]
        ExecStart=/usr/local/bin/etcd \
          --name node1 \
          --cert-file=/etc/etcd/ssl/etcd.pem \
          --key-file=/etc/etcd/ssl/etcd-key.pem \
          --peer-cert-file=/etc/etcd/ssl/peer.pem \
          --peer-key-file=/etc/etcd/ssl/peer-key.pem \
          --trusted-ca-file=/etc/etcd/ssl/ca.pem \
          --peer-trusted-ca-file=/etc/etcd/ssl/ca.pem \
          --client-cert-auth \
          --peer-client-cert-auth=true \
          --advertise-client-urls=https://192.168.1.10:2379,https://etcd.example.com:2379 \
          --initial-advertise-peer-urls=https://192.168.1.10:2380
        """,
    )
    table = inspect_paths([str(tmp_path)])
    server = by_path(table, "node1/etc/etcd/ssl/etcd.pem")
    assert server["roles"] == ["etcd server cert"]
    assert server["key_path"] == "node1/etc/etcd/ssl/etcd-key.pem" and server["key_matches"] is True
    # serverAuth only with --client-cert-auth, and etcd.example.com (an advertised URL) is not in the SANs
    assert server["problems"] == ["missing_client_auth_eku", "san_mismatch"]
    assert server["missing_sans"] == ["etcd.example.com"]
    assert any("advertise-client-urls in node1/systemd/etcd.service" in d for d in server["problem_details"])
    peer = by_path(table, "node1/etc/etcd/ssl/peer.pem")
    assert peer["roles"] == ["etcd peer cert"] and peer["problems"] == []
    assert sorted(by_path(table, "node1/etc/etcd/ssl/ca.pem")["roles"]) == ["etcd CA", "etcd peer CA"]


def test_static_pod_manifest_and_env_variables(tmp_path, pki):
    key = new_key()
    write(
        tmp_path / "pki/etcd/server.crt",
        cert_pem(new_cert("master", key, issuer=(pki["ca"], pki["ca_key"]), dns=("master",))),
    )
    write(tmp_path / "pki/etcd/server.key", key_pem(key))
    write(
        tmp_path / "manifests/etcd.yaml",
        """
        apiVersion: v1
        kind: Pod
        spec:
          containers:
          - command:
            - etcd
            - --cert-file=/etc/kubernetes/pki/etcd/server.crt
            - --key-file=/etc/kubernetes/pki/etcd/server.key
            - --client-cert-auth=true
            - --data-dir=/var/lib/etcd
        """,
    )
    write(
        tmp_path / "other/etcd.env", "ETCD_CERT_FILE=/etc/kubernetes/pki/etcd/server.crt\nETCD_CLIENT_CERT_AUTH=false\n"
    )
    server = by_path(inspect_paths([str(tmp_path)]), "pki/etcd/server.crt")
    assert server["named_by"] == ["manifests/etcd.yaml", "other/etcd.env"]
    assert server["problems"] == ["missing_client_auth_eku"]
    assert "manifests/etcd.yaml" in server["problem_details"][0]


def test_etcd_startup_log_lines_name_the_certificates(tmp_path, pki):
    """Without any config file, etcd's own startup lines (zap and capnslog) say which files it uses."""
    key = new_key()
    write(
        tmp_path / "member-0/pki/server.crt",
        cert_pem(new_cert("member-0", key, issuer=(pki["ca"], pki["ca_key"]), dns=("member-0",))),
    )
    write(tmp_path / "member-0/pki/ca.crt", cert_pem(pki["ca"]))
    zap = (
        '{"level":"info","ts":"2023-03-01T10:00:00.000Z","caller":"embed/etcd.go:687","msg":"starting with '
        'client TLS","tls-info":"cert = /etc/kubernetes/pki/etcd/server.crt, key = /etc/kubernetes/pki/etcd/'
        'server.key, client-cert-auth = true, crl-file = , trusted-ca = /etc/kubernetes/pki/etcd/ca.crt",'
        '"cipher-suites":[]}'
    )
    filler = '{"level":"info","ts":"2023-03-01T10:00:01.000Z","msg":"applied"}'
    write(tmp_path / "member-0/etcd.log", "\n".join([zap, *[filler] * 20, zap]) + "\n")
    capnslog = (
        "2021-06-09 11:10:12.981 I | embed: ClientTLS: cert = /etc/etcd/pki/server.crt, key = "
        "/etc/etcd/pki/server.key, trusted-ca = /etc/etcd/pki/ca.crt, client-cert-auth = false, crl-file = "
    )
    write(tmp_path / "member-1/logs/etcd.log", capnslog + "\n")
    write(
        tmp_path / "member-1/pki/server.crt",
        cert_pem(new_cert("member-1", new_key(), issuer=(pki["ca"], pki["ca_key"]), dns=("member-1",))),
    )
    result = inspect_bundle([str(tmp_path)])
    assert [c.source for c in result.configs] == ["member-0/etcd.log", "member-1/logs/etcd.log"]  # restarts deduped
    zero = by_path(result.table, "member-0/pki/server.crt")
    assert zero["roles"] == ["etcd server cert"] and zero["ca_files"] == ["member-0/pki/ca.crt"]
    assert zero["problems"] == ["missing_client_auth_eku"]
    one = by_path(result.table, "member-1/pki/server.crt")
    assert one["roles"] == ["etcd server cert"] and one["problems"] == []  # client-cert-auth = false


# --- validity, SANs, CN, chain, key -----------------------------------------------------------------------


def test_expired_now_and_within_the_log_range(tmp_path, pki):
    issuer = (pki["ca"], pki["ca_key"])
    write(
        tmp_path / "expired.crt",
        cert_pem(
            new_cert(
                "old", new_key(), issuer=issuer, dns=("old",), not_before=NOW - 400 * DAY, not_after=NOW - 30 * DAY
            )
        ),
    )
    write(
        tmp_path / "renewed.crt",
        cert_pem(new_cert("new", new_key(), issuer=issuer, dns=("new",), not_before=NOW - 10 * DAY)),
    )
    write(tmp_path / "ca.crt", cert_pem(pki["ca"]))
    logs = (NOW - 60 * DAY, NOW - 20 * DAY)
    table = inspect_paths([str(tmp_path)], log_range=logs)
    expired = by_path(table, "expired.crt")
    assert expired["problems"] == ["expired", "expired_in_log_range"]
    assert expired["not_after"] < NOW
    # valid now, but the logs started before it was issued
    assert by_path(table, "renewed.crt")["problems"] == ["not_yet_valid_in_log_range"]
    assert by_path(inspect_paths([str(tmp_path)]), "renewed.crt")["problems"] == []


def test_san_mismatch_with_apisix_endpoints(tmp_path, pki):
    etcd_bundle(tmp_path, pki, server_eku=(SERVER, CLIENT))
    write(
        tmp_path / "apisix/conf/config.yaml",
        """
        deployment:
          role: traditional
          etcd:
            host:
              - "https://10.0.0.1:2379"
              - "https://etcd.prod.internal:2379"
              - "http://127.0.0.1:2379"
            prefix: /apisix
        """,
    )
    server = by_path(inspect_paths([str(tmp_path)]), "etcd/pki/server.crt")
    assert server["problems"] == ["san_mismatch"]
    assert server["missing_sans"] == ["etcd.prod.internal"]
    assert "etcd.host in apisix/conf/config.yaml" in server["problem_details"][0]


def test_apisix_tls_verify_false_skips_the_san_check(tmp_path, pki):
    etcd_bundle(tmp_path, pki, server_eku=(SERVER, CLIENT))
    write(
        tmp_path / "apisix/conf/config.yaml",
        """
        deployment:
          etcd:
            host: ["https://etcd.prod.internal:2379"]
            tls:
              verify: false
        """,
    )
    result = inspect_bundle([str(tmp_path)])
    assert by_path(result.table, "etcd/pki/server.crt")["problems"] == []
    assert any("verify is false" in n for n in result.notes)


def test_apisix_2x_client_cert_roles_usage_and_chain(tmp_path, pki):
    etcd_bundle(tmp_path, pki, server_eku=(SERVER, CLIENT))
    key = new_key()
    # APISIX's client certificate: serverAuth only, and signed by the regenerated CA of the same name
    write(
        tmp_path / "apisix/conf/cert/apisix.crt",
        cert_pem(new_cert("apisix", key, issuer=(pki["impostor"], pki["impostor_key"]), dns=("apisix",))),
    )
    write(tmp_path / "apisix/conf/cert/apisix.key", key_pem(key))
    write(
        tmp_path / "apisix/conf/config.yaml",
        """
        etcd:
          host:
            - "https://10.0.0.1:2379"
          tls:
            cert: /usr/local/apisix/conf/cert/apisix.crt
            key: /usr/local/apisix/conf/cert/apisix.key
            verify: true
        """,
    )
    client = by_path(inspect_paths([str(tmp_path)]), "apisix/conf/cert/apisix.crt")
    assert client["roles"] == ["APISIX client cert"]
    assert client["key_matches"] is True
    assert client["problems"] == ["missing_client_auth_eku", "chain_unverified"]
    chain = client["problem_details"][1]
    assert "etcd/pki/ca.crt" in chain and "different key" in chain


def test_cn_only_certificate(tmp_path, pki):
    write(
        tmp_path / "legacy/server.crt",
        cert_pem(new_cert("etcd-legacy", new_key(), issuer=(pki["ca"], pki["ca_key"]), san=False)),
    )
    row = by_path(inspect_paths([str(tmp_path)]), "legacy/server.crt")
    assert row["problems"] == ["cn_only"]
    assert "CN=etcd-legacy" in row["problem_details"][0] and row["dns_names"] == []


def test_chain_against_configured_ca_other_ca(tmp_path, pki):
    etcd_bundle(tmp_path, pki, server_eku=(SERVER, CLIENT))
    other_key = new_key()
    other = new_cert("other-ca", other_key, ca=True)
    server_key = new_key()
    write(
        tmp_path / "etcd/pki/server.crt",
        cert_pem(
            new_cert(
                "etcd-0",
                server_key,
                issuer=(other, other_key),
                eku=(SERVER, CLIENT),
                dns=("etcd-0",),
                ips=("10.0.0.1",),
            )
        ),
    )
    write(tmp_path / "etcd/pki/server.key", key_pem(server_key))
    row = by_path(inspect_paths([str(tmp_path)]), "etcd/pki/server.crt")
    assert row["problems"] == ["chain_unverified"]
    assert "issuer CN=other-ca is not in etcd/pki/ca.crt" in row["problem_details"][0]


def test_chain_through_an_intermediate_verifies(tmp_path, pki):
    inter_key, leaf_key = new_key(), new_key()
    inter = new_cert("etcd-intermediate", inter_key, issuer=(pki["ca"], pki["ca_key"]), ca=True)
    leaf = new_cert("etcd-0", leaf_key, issuer=(inter, inter_key), eku=(SERVER, CLIENT), dns=("etcd-0",))
    write(tmp_path / "etcd/pki/server.crt", cert_pem(leaf, inter))  # leaf + chain in one file
    write(tmp_path / "etcd/pki/server.key", key_pem(leaf_key))
    write(tmp_path / "etcd/pki/ca.crt", cert_pem(pki["ca"]))
    write(
        tmp_path / "etcd/etcd.conf.yml",
        """
        client-transport-security:
          cert-file: /etc/etcd/pki/server.crt
          key-file: /etc/etcd/pki/server.key
          trusted-ca-file: /etc/etcd/pki/ca.crt
          client-cert-auth: true
        """,
    )
    table = inspect_paths([str(tmp_path)])
    assert by_path(table, "etcd/pki/server.crt")["problems"] == []
    second = table.filter((pl.col("path") == "etcd/pki/server.crt") & (pl.col("index") == 1)).row(0, named=True)
    assert second["common_name"] == "etcd-intermediate" and second["roles"] == []


def test_key_that_does_not_match(tmp_path, pki):
    etcd_bundle(tmp_path, pki, server_eku=(SERVER, CLIENT))
    write(tmp_path / "etcd/pki/server.key", key_pem(new_key()))
    row = by_path(inspect_paths([str(tmp_path)]), "etcd/pki/server.crt")
    assert row["problems"] == ["key_mismatch"] and row["key_matches"] is False
    assert row["key_public_sha256"] != row["public_key_sha256"]


def test_der_certificate_and_unparseable_file(tmp_path, pki):
    cert = new_cert("der", new_key(), issuer=(pki["ca"], pki["ca_key"]), dns=("der",))
    write(tmp_path / "der.cer", cert.public_bytes(serialization.Encoding.DER))
    write(tmp_path / "broken.crt", b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n")
    write(tmp_path / "empty.pem", b"hello\n")
    write(tmp_path / "truncated.crt", cert_pem(cert)[:200])
    table = inspect_paths([str(tmp_path)])
    assert by_path(table, "der.cer")["common_name"] == "der"
    broken = by_path(table, "broken.crt")
    assert broken["problems"] == ["unparseable"] and broken["subject"] is None
    assert by_path(table, "empty.pem")["problems"] == ["unparseable"]
    assert "truncated" in by_path(table, "truncated.crt")["problem_details"][0]


def test_pem_embedded_in_yaml_and_json(tmp_path, pki):
    cert = new_cert("site", new_key(), issuer=(pki["ca"], pki["ca_key"]), dns=("site.example.com",))
    pem = cert_pem(cert).decode()
    write(
        tmp_path / "apisix/conf/apisix.yaml",
        "ssls:\n  - cert: |\n" + "".join(f"      {line}\n" for line in pem.splitlines()) + "    snis: [site]\n",
    )
    write(tmp_path / "dump/ssl.json", json.dumps({"value": {"cert": pem}}))
    table = inspect_paths([str(tmp_path)])
    assert by_path(table, "apisix/conf/apisix.yaml")["dns_names"] == ["site.example.com"]
    assert by_path(table, "dump/ssl.json")["common_name"] == "site"


def test_serverauth_only_cert_in_an_etcd_folder_without_config(tmp_path, pki):
    write(
        tmp_path / "etcd/pki/server.crt",
        cert_pem(new_cert("etcd-0", new_key(), issuer=(pki["ca"], pki["ca_key"]), dns=("etcd-0",))),
    )
    write(
        tmp_path / "nginx/site.crt",
        cert_pem(new_cert("www", new_key(), issuer=(pki["ca"], pki["ca_key"]), dns=("www",))),
    )
    table = inspect_paths([str(tmp_path)])
    assert by_path(table, "etcd/pki/server.crt")["problems"] == ["no_client_auth_eku"]
    assert by_path(table, "nginx/site.crt")["problems"] == []


def test_resolve_by_longest_path_suffix_then_nearest_folder():
    names = ["a/etc/etcd/pki/server.crt", "b/etc/etcd/pki/server.crt", "b/other/server.crt", "b/etcd.conf.yml"]
    assert resolve("/etc/etcd/pki/server.crt", "b/etcd.conf.yml", names) == "b/etc/etcd/pki/server.crt"
    assert resolve("/etc/etcd/pki/server.crt", "a/x/etcd.conf.yml", names) == "a/etc/etcd/pki/server.crt"
    assert resolve("/srv/other/server.crt", "c.yml", names) == "b/other/server.crt"
    assert resolve("/etc/missing.crt", "b/etcd.conf.yml", names) is None


def test_missing_named_file_is_a_note(tmp_path, pki):
    etcd_bundle(tmp_path, pki)
    (tmp_path / "etcd/pki/ca.crt").unlink()
    result = inspect_bundle([str(tmp_path)])
    assert any("names /etc/etcd/pki/ca.crt as etcd CA, but no such file is in the bundle" in n for n in result.notes)


# --- confirming incidents ---------------------------------------------------------------------------------


def _catalogue_with(sig_id: str, tmp_path: Path):
    """The shipped catalogue when it loads and has ``sig_id``; else a one-signature test catalogue."""
    catalogue, problems = load([])
    if not problems and catalogue.get(sig_id):
        return catalogue
    folder = write(
        tmp_path / "patterns/etcd/tls_incompatible_key_usage.toml",
        """
        id = "etcd.tls_incompatible_key_usage"
        title = "Client certificate lacks the clientAuth key usage"
        component = "etcd"
        severity = "high"
        regexes = ['''failed to verify (?:client's )?certificate: x509: .*incompatible key usage''']
        description = "x509 incompatible key usage"
        root_cause = "The gateway presents etcd's server certificate as its client certificate."
        fix = "Reissue the server certificate with clientAuth."
        references = ["https://github.com/etcd-io/etcd/issues/9785"]

        [examples]
        match = ['tls: failed to verify certificate: x509: certificate specifies an incompatible key usage']
        no_match = ['x509: certificate signed by unknown authority']
        """,
    ).parent.parent
    catalogue, problems = load([folder], include_shipped=False)
    assert not problems
    return catalogue


def test_end_to_end_incident_confirmed_by_the_server_certificate(tmp_path, pki):
    bundle = etcd_bundle(tmp_path / "bundle", pki)
    write(
        bundle / "etcd/etcd.log",
        "\n".join(
            [
                "2021-06-09 11:10:12.000000 I | etcdmain: etcd Version: 3.4.16",
                GATEWAY_LINE,
                GATEWAY_LINE.replace("13.022735", "14.022735").replace("50898", "50900"),
            ]
        )
        + "\n",
    )
    catalogue = _catalogue_with("etcd.tls_incompatible_key_usage", tmp_path)
    result = analysis.run([str(bundle)], analysis.Options(), catalogue)
    incident = result.incidents.filter(pl.col("signature_id") == "etcd.tls_incompatible_key_usage")
    assert incident.height == 1
    first, last = result.events["ts"].min(), result.events["ts"].max()
    certificates = inspect_paths([str(bundle)], log_range=(first, last))
    confirmed = confirm(result.incidents, certificates)
    assert confirmed.height == result.incidents.height and confirmed.schema == result.incidents.schema
    row = confirmed.filter(pl.col("signature_id") == "etcd.tls_incompatible_key_usage").row(0, named=True)
    assert row["root_cause"].startswith("Confirmed: etcd/pki/server.crt has EKU serverAuth only (no clientAuth)")
    assert incident["root_cause"][0] in row["root_cause"]  # the signature's explanation follows
    assert "extendedKeyUsage = serverAuth, clientAuth" in row["fix"]
    assert "-key etcd/pki/server.key" in row["fix"] and "-CA etcd/pki/ca.crt" in row["fix"]
    assert '"server auth", "client auth"' in row["fix"]  # the cfssl profile
    assert "subjectAltName = DNS:etcd-0,DNS:localhost,IP:10.0.0.1,IP:127.0.0.1" in row["fix"]
    evidence = json.loads(row["evidence"])
    assert evidence["confirmed_by"] == ["etcd/pki/server.crt"]
    assert evidence["certificate_problems"] == ["missing_client_auth_eku"]
    # idempotent: a second pass adds nothing
    again = confirm(confirmed, certificates)
    assert again["root_cause"].to_list() == confirmed["root_cause"].to_list()


def _incident(sig: str, **kw) -> dict:
    base = {
        "incident_id": "i1",
        "signature_id": sig,
        "title": "t",
        "component": "etcd",
        "severity": "high",
        "host": None,
        "first_seen": NOW - 2 * DAY,
        "last_seen": NOW - DAY,
        "count": 1,
        "sources": ["etcd.log"],
        "sample": "x",
        "evidence": "{}",
        "root_cause": "Because.",
        "fix": "Do.",
        "references": [],
        "fixed_in": None,
        "related": [],
    }
    return {**base, **kw}


def _incidents(*rows: dict) -> pl.DataFrame:
    from loganalyzer.incidents.build import INCIDENT_SCHEMA

    return pl.DataFrame(list(rows), schema=INCIDENT_SCHEMA)


def test_confirm_expired_only_when_expired_at_the_incident(tmp_path, pki):
    write(
        tmp_path / "etcd/pki/peer.crt",
        cert_pem(
            new_cert(
                "etcd-0",
                new_key(),
                issuer=(pki["ca"], pki["ca_key"]),
                dns=("etcd-0",),
                not_before=NOW - 400 * DAY,
                not_after=NOW - 30 * DAY,
            )
        ),
    )
    certificates = inspect_paths([str(tmp_path)])
    during = _incidents(_incident("etcd.tls_cert_expired"))
    out = confirm(during, certificates).row(0, named=True)
    assert out["root_cause"].startswith("Confirmed: etcd/pki/peer.crt (CN=etcd-0) expired on ")
    assert "Renew etcd/pki/peer.crt" in out["fix"]
    before = _incidents(_incident("etcd.tls_cert_expired", first_seen=NOW - 90 * DAY, last_seen=NOW - 89 * DAY))
    assert confirm(before, certificates).row(0, named=True)["root_cause"] == "Because."


def test_confirm_picks_the_certificate_of_the_incident_host(tmp_path, pki):
    for host in ("etcd-1", "etcd-2"):
        write(
            tmp_path / host / "pki/server.crt",
            cert_pem(new_cert(host, new_key(), issuer=(pki["ca"], pki["ca_key"]), eku=(SERVER, CLIENT), san=False)),
        )
    certificates = inspect_paths([str(tmp_path)])
    assert certificates["problems"].to_list() == [["cn_only"], ["cn_only"]]
    incidents = _incidents(
        _incident("etcd.tls_legacy_cn", sources=["etcd-2/logs/etcd.log"], host="etcd-2"),
        _incident("etcd.leader_lost", incident_id="i2"),
    )
    out = confirm(incidents, certificates)
    legacy = out.row(0, named=True)
    assert json.loads(legacy["evidence"])["confirmed_by"] == ["etcd-2/pki/server.crt"]
    assert "CN=etcd-2 and no DNS/IP SANs" in legacy["root_cause"]
    assert "subjectAltName = DNS:etcd-2" in legacy["fix"]
    assert out.row(1, named=True)["root_cause"] == "Because."  # not a TLS signature: untouched


def test_confirmations_are_data_with_known_codes():
    from loganalyzer.certs.checks import CODES

    rules = confirm_mod.rules()
    for sig in (
        "etcd.tls_incompatible_key_usage",
        "etcd.grpc_gateway_tls_bad_certificate",
        "apisix.etcd_tls_bad_certificate",
        "etcd.tls_cert_expired",
        "etcd.tls_hostname_mismatch",
        "apisix.etcd_tls_host_mismatch",
        "etcd.tls_unknown_authority",
        "etcd.tls_legacy_cn",
    ):
        assert rules["signatures"][sig], sig
    used = {code for codes in rules["signatures"].values() for code in codes}
    assert used <= set(CODES)
    assert used <= set(rules["problems"])  # every code that confirms has a fix


# --- the command ------------------------------------------------------------------------------------------


@pytest.fixture
def cli():
    app = typer.Typer()
    app.command("certs")(certs)
    app.command("noop")(lambda: None)  # a second command keeps "certs" as a subcommand
    return app


def test_cli_prints_the_table_writes_it_and_never_a_private_key(tmp_path, pki, cli):
    bundle = etcd_bundle(tmp_path / "bundle", pki)
    secret = key_pem(new_key())
    write(bundle / "etcd/pki/combined.pem", cert_pem(pki["ca"]) + secret)
    secret_lines = [line for line in secret.splitlines() if line and not line.startswith(b"-----")]
    out = tmp_path / "out"
    res = CliRunner().invoke(
        cli, ["certs", str(bundle), "--out", str(out), "--format", "parquet,csv,jsonl"], env={"COLUMNS": "200"}
    )
    assert res.exit_code == 0, res.output
    assert "missing_client_auth_eku" in res.output
    assert "etcd/pki/server.crt" in res.output and "etcd server cert" in res.output
    assert "has EKU serverAuth only (no clientAuth)" in res.output
    table = pl.read_parquet(out / "certificates.parquet")
    assert table.schema["problems"] == pl.List(pl.String) and table.schema["not_after"] == pl.Datetime("us", "UTC")
    assert by_path(table, "etcd/pki/server.crt")["problems"] == ["missing_client_auth_eku"]
    jsonl = [json.loads(line) for line in (out / "certificates.jsonl").read_text().splitlines()]
    assert any(r["problems"] == ["missing_client_auth_eku"] for r in jsonl)
    assert "missing_client_auth_eku" in (out / "certificates.csv").read_text()
    assert "PRIVATE KEY" not in res.output
    assert not any(line.decode() in res.output for line in secret_lines)
    for f in out.iterdir():
        data = f.read_bytes()
        assert b"PRIVATE KEY" not in data, f
        assert not any(line in data for line in secret_lines), f


def test_cli_exit_codes(tmp_path, pki, cli):
    etcd_bundle(tmp_path / "bundle", pki)
    runner = CliRunner()
    assert runner.invoke(cli, ["certs", str(tmp_path / "bundle"), "--format", "xml"]).exit_code == 2
    assert runner.invoke(cli, ["certs", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]).exit_code == 3
    failing = runner.invoke(
        cli, ["certs", str(tmp_path / "bundle"), "--out", str(tmp_path / "o"), "--fail-on-problems"]
    )
    assert failing.exit_code == 1
    write(tmp_path / "broken/bad.crt", b"garbage")
    broken = runner.invoke(cli, ["certs", str(tmp_path / "broken"), "--out", str(tmp_path / "o2")])
    assert broken.exit_code == 0 and "unparseable" in broken.output
