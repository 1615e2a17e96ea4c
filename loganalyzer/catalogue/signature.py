"""The signature model: one known failure, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FIELD_TYPES = ("str", "int", "float", "duration", "bytes")


@dataclass(frozen=True)
class Example:
    """A line that must (or must not) be reported as the signature, with the evidence it must yield."""

    text: str
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Signature:
    """A known failure: how to recognise it, why it happens and how to fix it."""

    id: str
    title: str
    component: str
    severity: str
    description: str
    root_cause: str
    fix: str
    references: tuple[str, ...]
    regexes: tuple[str, ...]
    matches: tuple[Example, ...]
    non_matches: tuple[Example, ...]
    fixed_in: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    where: str | None = None
    overrides: tuple[str, ...] = ()
    window: float | None = None
    min_count: int = 1
    tags: tuple[str, ...] = ()
    file: Path | None = None
    # what each regex is made of, worked out once when the file is loaded (see catalogue.literals)
    regex_groups: tuple[tuple[str, ...], ...] = ()
    regex_literals: tuple[frozenset[str], ...] = ()

    @property
    def name(self) -> str:
        """The part of the id after the component, e.g. ``tls_incompatible_key_usage``."""
        return self.id.split(".", 1)[1]
