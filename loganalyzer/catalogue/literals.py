"""What a regex is made of: its named groups, and its required literals for the cheap prefilter.

A line can only match a pattern if it contains at least one of the pattern's required literals
(compared case-insensitively), so one fast literal scan over all lines leaves the full regexes
to a small set of candidates.
"""

from __future__ import annotations

import functools
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


MAX_EXPANSION = 64  # how many alternatives a small character class may multiply a literal run into


def _class_chars(av: list) -> list[str] | None:
    """The characters of a small class made only of literals (``[24]``), else None."""
    chars = []
    for op, value in av:
        if op is not C.LITERAL:
            return None
        chars.append(chr(value))
    return chars if len(chars) <= 8 else None


def _words(op, av) -> list[str] | None:
    """The strings a group of pure-literal alternatives (``(?:panic|dpanic)``) can be, else None."""
    if op is C.SUBPATTERN:
        inner = list(av[-1])
        if inner and all(o is C.LITERAL for o, _ in inner):
            return ["".join(chr(v) for _, v in inner)]
        if len(inner) != 1:
            return None
        op, av = inner[0]
    if op is not C.BRANCH:
        return None
    words = []
    for branch in av[1]:
        if not all(o is C.LITERAL for o, _ in branch):
            return None
        words.append("".join(chr(v) for _, v in branch))
    return words if len(words) <= 16 else None


def _seq(items: sre.SubPattern | list) -> frozenset[str] | None:
    """Best set of alternatives such that every match of the sequence contains one of them."""
    options: list[frozenset[str]] = []
    run: set[str] = set()

    def flush() -> None:
        if run and any(run):
            options.append(frozenset(r.lower() for r in run))
        run.clear()

    for op, av in items:
        if op is C.LITERAL:
            run = {r + chr(av) for r in run} if run else {chr(av)}
            continue
        chars = _class_chars(av) if op is C.IN else _words(op, av) if op in (C.BRANCH, C.SUBPATTERN) else None
        if chars and len(run or {""}) * len(chars) <= MAX_EXPANSION:
            run = {r + c for r in (run or {""}) for c in chars}
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


@functools.lru_cache(maxsize=4096)
def _parse(pattern: str) -> sre.SubPattern | None:
    try:
        return sre.parse(pattern)
    except (re.error, OverflowError, RecursionError):
        return None


@functools.lru_cache(maxsize=4096)
def group_names(pattern: str) -> tuple[str, ...]:
    """The named groups of ``pattern``, in order (Rust and Python syntax alike)."""
    parsed = _parse(pattern)
    if parsed is not None:
        names = parsed.state.groupdict
        return tuple(sorted(names, key=names.get))
    import regex

    return tuple(regex.compile(pattern).groupindex)


@functools.lru_cache(maxsize=4096)
def required_literals(pattern: str) -> frozenset[str] | None:
    """Lower-cased literals one of which every match of ``pattern`` contains; None if none is long enough."""
    parsed = _parse(pattern)
    if parsed is None:
        return None
    best = _seq(parsed)
    if best is None or _score(best)[0] < MIN_LITERAL:
        return None
    return best


_RUST_META = set("\\.+*?()|[]{}^$#&-~")


def escape(literal: str) -> str:
    """Escape ``literal`` for the Rust regex engine used by polars and ripgrep."""
    return "".join("\\" + ch if ch in _RUST_META else ch for ch in literal)
