"""Which host (member, node, pod, container) a file belongs to, from its path."""

from __future__ import annotations

import regex

GENERIC = {
    "log",
    "logs",
    "var",
    "tmp",
    "etcd",
    "apisix",
    "k8s",
    "pods",
    "containers",
    "docker",
    "archive",
    "data",
    "member",
    "bundle",
    "nginx",
    "openresty",
    "usr",
    "local",
    "opt",
    "current",
    "previous",
    "journal",
}
CRI_POD_DIR = regex.compile(r"^(?P<ns>[^_/]+)_(?P<pod>[^_/]+)_[0-9a-f-]{8,}$")
DOCKER_ID_DIR = regex.compile(r"^[0-9a-f]{12,64}$")


def host_from_path(name: str) -> str | None:
    """The most specific directory that names a host: a CRI pod, a docker container, or a member/node folder."""
    parts = [p for p in regex.split(r"[/!]", name) if p][:-1]
    for part in reversed(parts):
        m = CRI_POD_DIR.match(part)
        if m:
            return m["pod"]
    for part in reversed(parts):
        if DOCKER_ID_DIR.match(part):
            return part[:12]
    for part in reversed(parts):
        base = regex.sub(r"\.(tar|tgz|zip|gz|bz2|xz|zst)(\.\w+)?$", "", part)
        if base.lower() not in GENERIC and not regex.match(r"^\d{4}-\d{2}-\d{2}$", base):
            return base
    return None
