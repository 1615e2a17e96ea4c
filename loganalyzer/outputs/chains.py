"""Chains of correlated incidents (cause → symptoms), read from the incidents table."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from loganalyzer.severity import LEVELS


@dataclass(frozen=True)
class Chain:
    """Incident ids of one chain, each list ordered by first_seen.

    ``causes`` is empty when the table says nothing about roles: then every member is in ``symptoms``
    and the chain is only a group of related incidents. ``label`` is the table's ``chain`` text, if any.
    """

    causes: list[str]
    symptoms: list[str]
    label: str | None = None

    @property
    def members(self) -> list[str]:
        return self.causes + self.symptoms


def chains(incidents: pl.DataFrame) -> list[Chain]:
    """Groups of incidents linked through ``related`` (either direction), most severe first.

    With a ``role`` column, incidents whose role is ``cause`` are the causes and the others the
    symptoms; without it, all members are listed together.
    """
    if incidents.is_empty() or "related" not in incidents.columns:
        return []
    rows = {r["incident_id"]: r for r in incidents.iter_rows(named=True)}
    parent = {i: i for i in rows}

    def find(i: str) -> str:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, row in rows.items():
        for j in row["related"] or []:
            if j in rows and j != i:
                parent[find(j)] = find(i)
    groups: dict[str, list[str]] = {}
    for i in rows:
        groups.setdefault(find(i), []).append(i)

    def when(i: str) -> tuple:
        first = rows[i]["first_seen"]
        return (first is None, first.timestamp() if first is not None else 0.0, i)

    def severity(i: str) -> int:
        sev = rows[i]["severity"]
        return LEVELS.index(sev) if sev in LEVELS else -1

    found: list[Chain] = []
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=when)
        roles = {i: rows[i].get("role") for i in members}
        causes = [i for i in members if roles[i] == "cause"]
        symptoms = [i for i in members if roles[i] != "cause"]
        labels = [rows[i].get("chain") for i in causes + symptoms if rows[i].get("chain")]
        found.append(Chain(causes=causes, symptoms=symptoms, label=labels[0] if labels else None))
    found.sort(key=lambda c: (-max(severity(i) for i in c.members), when(c.members[0])))
    return found
