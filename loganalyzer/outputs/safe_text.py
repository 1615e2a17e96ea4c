"""Data text (log lines, catalogue text, file names) made safe to print on a Rich console.

Only the project's own styling may be Rich markup: text that comes from data goes through
:func:`safe` (for markup strings) or :func:`clean` (for ``rich.text.Text`` and plain ``print``).
"""

from __future__ import annotations

import re

from rich.markup import escape

# C0 controls except tab and newline, DEL, and C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _visible(match: re.Match) -> str:
    return f"\\x{ord(match.group()):02x}"


def clean(value: object) -> str:
    """``value`` as text with control characters (ESC, CR, ...) shown as ``\\x1b``-style escapes."""
    return _CONTROL.sub(_visible, "" if value is None else str(value))


def safe(value: object) -> str:
    """``value`` cleaned of control characters and with Rich markup escaped, for a markup string."""
    return escape(clean(value))
