"""Root cause and fix texts as templates filled from an incident's evidence and context.

A template is plain text with ``{field}`` or ``{field:format}`` placeholders (formats: ``size`` for
bytes, ``duration`` for seconds, ``list`` for several values). A line whose placeholders cannot all
be filled is left out, so a signature can say more when the logs tell more.
"""

from __future__ import annotations

import string
from typing import Any

from loganalyzer.units import human_duration, human_size

MAX_LISTED = 5


def _format(value: Any, spec: str) -> str:
    if isinstance(value, list):
        shown = [_format(v, spec if spec != "list" else "") for v in value[:MAX_LISTED]]
        more = f" (+{len(value) - MAX_LISTED} more)" if len(value) > MAX_LISTED else ""
        return ", ".join(shown) + more
    if spec == "size":
        return human_size(float(value))
    if spec == "duration":
        return human_duration(float(value))
    if spec in ("", "list"):
        return str(value)
    return format(value, spec)


def render(template: str, values: dict[str, Any]) -> str:
    """Fill ``template``; drop lines that name a value that is missing."""
    out: list[str] = []
    for line in template.splitlines():
        parts: list[str] = []
        try:
            for literal, name, spec, _ in string.Formatter().parse(line):
                parts.append(literal)
                if name is None:
                    continue
                value = values.get(name)
                if value is None or value == []:
                    raise KeyError(name)
                parts.append(_format(value, spec or ""))
        except (KeyError, ValueError, TypeError):
            continue
        out.append("".join(parts))
    return "\n".join(out).strip()
