"""Required literals of a regex, for the cheap prefilter that picks candidate lines.

A line can only match a pattern if it contains at least one of the pattern's required literals
(compared case-insensitively), so one fast literal scan over all lines leaves the full regexes
to a small set of candidates.
"""

from __future__ import annotations

import re
import re._constants as C
import re._parser as sre

MIN_LITERAL = 4
_MAXREPEAT = C.MAXREPEAT


def _score(alts: frozenset[str]) -> tuple[int, int]:
    return (min(len(a) for a in alts), -len(alts))


def _best(options: list[frozenset[str]]) -> frozenset[str] | None:
    options = [o for o in options if o]
    return max(options, key=_score) if options else None


def _seq(items: sre.SubPattern | list) -> frozenset[str] | None:
    """Best set of alternatives such that every match of the sequence contains one of them."""
    options: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            options.append(frozenset(["".join(run).lower()]))
            run.clear()

    for op, av in items:
        if op is C.LITERAL:
            run.append(chr(av))
            continue
        flush()
        if op is C.SUBPATTERN:
            sub = _seq(av[-1])
            if sub:
                options.append(sub)
        elif op is C.BRANCH:
            alts = [_seq(branch) for branch in av[1]]
            if all(alts):
                options.append(frozenset().union(*alts))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT) and av[0] >= 1:
            sub = _seq(av[2])
            if sub:
                options.append(sub)
    flush()
    return _best(options)


def required_literals(pattern: str) -> frozenset[str] | None:
    """Lower-cased literals one of which every match of ``pattern`` contains; None if none is long enough."""
    try:
        parsed = sre.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None
    best = _seq(parsed)
    if best is None or _score(best)[0] < MIN_LITERAL:
        return None
    return best


_RUST_META = set("\\.+*?()|[]{}^$#&-~")


def escape(literal: str) -> str:
    """Escape ``literal`` for the Rust regex engine used by polars and ripgrep."""
    return "".join("\\" + ch if ch in _RUST_META else ch for ch in literal)
