"""Loading and validating catalogue folders: one TOML file per signature.

TOML because it is plain data read by the standard library (``tomllib``), keeps multi-line text
and regexes readable (literal strings need no escaping), and reports syntax errors with a line.
"""

from __future__ import annotations

import functools
import json
import os
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import regex

from loganalyzer.catalogue.literals import group_names, required_literals
from loganalyzer.catalogue.problems import CatalogueError, Problem
from loganalyzer.catalogue.signature import FIELD_TYPES, Example, Signature
from loganalyzer.severity import LEVELS
from loganalyzer.units import parse_duration

ID_RE = regex.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*\.[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
REQUIRED = (
    "id",
    "title",
    "component",
    "severity",
    "description",
    "root_cause",
    "fix",
    "references",
    "regexes",
    "examples",
)
OPTIONAL = ("fixed_in", "fields", "where", "overrides", "window", "min_count", "tags")
CORRELATIONS_FILE = "correlations.toml"


def shipped_dir() -> Path:
    """The catalogue shipped with the package (installed copy, or the repository's ``patterns/``)."""
    here = Path(__file__).resolve().parent.parent
    installed = here / "patterns"
    return installed if installed.is_dir() else here.parent / "patterns"


@dataclass
class Catalogue:
    """All signatures, by id, in load order (later folders replace earlier ones)."""

    signatures: dict[str, Signature] = field(default_factory=dict)
    folders: list[Path] = field(default_factory=list)
    rules: list = field(default_factory=list)  # correlation rules (catalogue.correlations.Rule)

    def __iter__(self):
        return iter(self.signatures.values())

    def __len__(self) -> int:
        return len(self.signatures)

    def get(self, sig_id: str) -> Signature | None:
        return self.signatures.get(sig_id)


def _line_of(text: str, needle: str, default: int = 1) -> int:
    """1-based line of the first occurrence of ``needle`` (a value, as written or TOML-escaped) in ``text``."""
    if not needle:
        return default
    for form in (needle, json.dumps(needle)[1:-1]):
        for i, line in enumerate(text.splitlines(), 1):
            if form in line:
                return i
    return default


def _key_line(text: str, key: str) -> int:
    pattern = regex.compile(rf"^\s*(?:{regex.escape(key)}\s*=|\[+\s*{regex.escape(key)}\b)")
    for i, line in enumerate(text.splitlines(), 1):
        if pattern.match(line):
            return i
    return 1


def _examples(raw: Any, where: str, problem) -> list[Example]:
    out: list[Example] = []
    if not isinstance(raw, list):
        problem(where, f"examples.{where} must be a list of lines")
        return out
    for item in raw:
        if isinstance(item, str):
            out.append(Example(item))
        elif isinstance(item, dict) and isinstance(item.get("line"), str):
            unknown = set(item) - {"line", "fields"}
            if unknown:
                problem(where, f"unknown example key(s): {', '.join(sorted(unknown))}")
            fields = item.get("fields", {})
            if not isinstance(fields, dict):
                problem(where, "example 'fields' must be a table")
                fields = {}
            out.append(Example(item["line"], dict(fields)))
        else:
            problem(where, "an example is a string, or a table with 'line' (and optional 'fields')")
    return out


def parse_signature(path: Path) -> tuple[Signature | None, list[Problem]]:
    """Read one signature file; return it (None if unusable) and the problems found."""
    problems: list[Problem] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(path, 1, f"cannot read: {exc}")]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or int((regex.search(r"line (\d+)", str(exc)) or [0, 1])[1])
        return None, [Problem(path, line, f"invalid TOML: {exc}")]

    def problem(key: str, message: str, needle: str | None = None) -> None:
        line = _line_of(text, needle, _key_line(text, key)) if needle else _key_line(text, key)
        problems.append(Problem(path, line, message))

    for key in sorted(set(data) - set(REQUIRED) - set(OPTIONAL)):
        problem(key, f"unknown field '{key}'")
    for key in REQUIRED:
        if key not in data:
            problems.append(Problem(path, 1, f"missing required field '{key}'"))
    if any(p.message.startswith("missing required") for p in problems):
        return None, problems

    def text_field(key: str, *, max_len: int | None = None) -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            problem(key, f"'{key}' must be a non-empty string")
            return ""
        if max_len and len(value) > max_len:
            problem(key, f"'{key}' is {len(value)} characters; at most {max_len}")
        return value.strip()

    def list_field(key: str, *, required: bool = True) -> tuple[str, ...]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            problem(key, f"'{key}' must be a list of non-empty strings")
            return ()
        if required and not value:
            problem(key, f"'{key}' must not be empty")
        return tuple(value)

    sig_id = text_field("id")
    if sig_id and not ID_RE.match(sig_id):
        problem("id", f"id '{sig_id}' is not dotted lower_snake (component.what_happened)")
    component = text_field("component")
    if sig_id and component and sig_id.split(".")[0] != component:
        problem("component", f"component '{component}' does not match the id prefix of '{sig_id}'")
    if sig_id and ID_RE.match(sig_id) and path.stem != sig_id.split(".", 1)[1]:
        problem("id", f"file name '{path.name}' must be '{sig_id.split('.', 1)[1]}.toml' for id '{sig_id}'")
    severity = data.get("severity")
    if severity not in LEVELS:
        problem("severity", f"severity '{severity}' is not one of {', '.join(LEVELS)}")
    title = text_field("title", max_len=80)
    refs = list_field("references")
    for ref in refs:
        if not ref.startswith(("http://", "https://")):
            problem("references", f"reference '{ref}' is not a URL", ref)

    fields = data.get("fields", {})
    if not isinstance(fields, dict) or not all(v in FIELD_TYPES for v in fields.values()):
        problem("fields", f"'fields' maps group names to one of {', '.join(FIELD_TYPES)}")
        fields = {}

    regexes = list_field("regexes")
    from loganalyzer.matching.regexes import compile_problems  # late: keeps polars off the import path

    groups: set[str] = set()
    bad = compile_problems(list(regexes))
    for rx in regexes:
        err = bad.get(rx)
        if err:
            problem("regexes", f"regex does not compile: {err}", rx[:40])
            continue
        groups |= set(group_names(rx))
        if required_literals(rx) is None:
            problem(
                "regexes",
                "regex has no required literal of 4+ characters, so no line can be "
                "preselected for it; anchor it on a fixed phrase",
                rx[:40],
            )
    for name in fields:
        if name not in groups:
            problem("fields", f"field '{name}' is not a named group of any regex")

    for key in ("root_cause", "fix"):
        for message in _template_problems(data.get(key), groups):
            problem(key, message)

    where = data.get("where")
    if where is not None:
        from loganalyzer.matching.conditions import condition_problem

        err = condition_problem(where, {g: fields.get(g, "str") for g in groups})
        if err:
            problem("where", f"'where' is not a valid condition: {err}")

    window = data.get("window")
    window_s = None
    if window is not None:
        window_s = parse_duration(window) if isinstance(window, str) else None
        if not window_s:
            problem("window", f"window '{window}' is not a duration such as '15m' or '90s'")
    min_count = data.get("min_count", 1)
    if not isinstance(min_count, int) or min_count < 1:
        problem("min_count", "min_count must be a positive integer")
        min_count = 1
    overrides = list_field("overrides", required=False)
    for other in overrides:
        if not ID_RE.match(other):
            problem("overrides", f"'{other}' is not a signature id", other)
    fixed_in = data.get("fixed_in")
    if fixed_in is not None and (not isinstance(fixed_in, str) or not fixed_in.strip()):
        problem("fixed_in", "'fixed_in' must be a non-empty string such as 'etcd 3.4.17, 3.5.0'")

    examples = data.get("examples")
    matches: list[Example] = []
    non_matches: list[Example] = []
    if not isinstance(examples, dict):
        problem("examples", "'examples' must be a table with 'match' and 'no_match' lists")
    else:
        for key in set(examples) - {"match", "no_match"}:
            problem("examples", f"unknown examples key '{key}'")
        matches = _examples(examples.get("match", []), "match", problem)
        non_matches = _examples(examples.get("no_match", []), "no_match", problem)
        if not matches:
            problem(
                "match" if "match" in examples else "examples", "at least one example line that must match is required"
            )
        if not non_matches:
            problem(
                "no_match" if "no_match" in examples else "examples",
                "at least one similar example line that must not match is required",
            )
        for ex in matches:
            for name in ex.fields:
                if name not in groups:
                    problem("examples", f"example expects field '{name}', which no regex captures", name)

    if problems:
        return None, problems
    return Signature(
        id=sig_id,
        title=title,
        component=component,
        severity=severity,
        description=text_field("description"),
        root_cause=text_field("root_cause"),
        fix=text_field("fix"),
        references=refs,
        regexes=regexes,
        matches=tuple(matches),
        non_matches=tuple(non_matches),
        fixed_in=fixed_in.strip() if fixed_in else None,
        fields=dict(fields),
        where=where,
        overrides=overrides,
        window=window_s,
        min_count=min_count,
        tags=list_field("tags", required=False),
        file=path,
        regex_groups=tuple(group_names(rx) for rx in regexes),
        regex_literals=tuple(required_literals(rx) or frozenset() for rx in regexes),
    ), problems


CONTEXT_KEYS = {
    "host",
    "count",
    "etcd_version",
    "apisix_version",
    "affected_version",
    "patched_version",
    "fixed_version",
}


def _template_problems(template: object, groups: set[str]) -> list[str]:
    """Placeholders in a root_cause/fix template that can never be filled, or braces that do not parse."""
    import string

    if not isinstance(template, str):
        return []
    out = []
    for line in template.splitlines():
        try:
            names = [name for _, name, _, _ in string.Formatter().parse(line) if name is not None]
        except ValueError as exc:
            out.append(f"template line does not parse ({exc}); write literal braces as {{{{ and }}}}: {line[:60]}")
            continue
        out += [
            f"placeholder '{{{n}}}' names no regex group and no context value"
            for n in names
            if n.split(".")[0].split("[")[0] not in groups | CONTEXT_KEYS
        ]
    return out


CACHE_VERSION = 1


@functools.cache
def code_digest() -> str:
    """A digest of the code that turns signature files into verdicts: every module of the package and the
    versions of the regex engines that validate them. A changed line of code never reuses a stale cache."""
    import hashlib
    from importlib.util import find_spec

    package = Path(__file__).resolve().parent.parent
    # polars (which validates the regexes) by its installed files, without importing it or reading metadata
    engine = [(s.origin, os.stat(s.origin).st_mtime_ns) for s in [find_spec("polars")] if s and s.origin]
    h = hashlib.sha1(f"{CACHE_VERSION}|regex {regex.__version__}|polars {engine}".encode())
    for path in sorted(package.rglob("*.py")):
        h.update(str(path.relative_to(package)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def _cache_path(folder: Path) -> Path:
    import hashlib

    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "loganalyzer"
    key = hashlib.sha1(f"{code_digest()}|{folder.resolve()}".encode()).hexdigest()[:16]
    return base / f"catalogue-{key}.pickle"


def _parse_folder(folder: Path) -> list[tuple[Path, Signature | None, list[Problem]]]:
    """Every signature file of ``folder`` parsed; files unchanged since the last run come from a cache
    (keyed by path, size and modification time), so a run does not pay for validating 150 files again."""
    import pickle

    cache_file = _cache_path(folder)
    try:
        cached = pickle.loads(cache_file.read_bytes())
    except Exception:  # no cache, or one from another version: parse everything
        cached = {}
    out, fresh, changed = [], {}, False
    for path in signature_files(folder):
        st = path.stat()
        stamp = (st.st_size, st.st_mtime_ns)
        hit = cached.get(str(path))
        if hit and hit[0] == stamp:
            sig, found = hit[1], hit[2]
        else:
            sig, found = parse_signature(path)
            changed = True
        fresh[str(path)] = (stamp, sig, found)
        out.append((path, sig, found))
    if changed or len(fresh) != len(cached):
        import contextlib

        from loganalyzer.atomic import atomic_write

        with contextlib.suppress(OSError):  # a read-only home: just slower next time
            atomic_write(cache_file, lambda p: p.write_bytes(pickle.dumps(fresh)))
    return out


def signature_files(folder: Path) -> list[Path]:
    """Signature files below ``folder`` (every ``*.toml`` except the correlation rules)."""
    return sorted(p for p in folder.rglob("*.toml") if p.name != CORRELATIONS_FILE)


def load(folders: Iterable[Path] | None = None, *, include_shipped: bool = True) -> tuple[Catalogue, list[Problem]]:
    """Load the shipped catalogue plus user folders; return it with every problem found."""
    cat = Catalogue()
    problems: list[Problem] = []
    all_folders = ([shipped_dir()] if include_shipped else []) + [Path(f) for f in folders or []]
    for folder in all_folders:
        if not folder.is_dir():
            problems.append(Problem(folder, 0, "not a folder of signature files"))
            continue
        cat.folders.append(folder)
        seen: dict[str, Path] = {}
        for path, sig, found in _parse_folder(folder):
            problems.extend(found)
            if sig is None:
                continue
            if sig.id in seen:
                problems.append(
                    Problem(
                        path, _key_line(path.read_text(), "id"), f"duplicate id '{sig.id}' (also in {seen[sig.id]})"
                    )
                )
                continue
            seen[sig.id] = path
            cat.signatures[sig.id] = sig
    from loganalyzer.catalogue.correlations import load_rules

    cat.rules, rule_problems = load_rules(cat.folders)
    problems.extend(rule_problems)
    for rule in cat.rules:
        for sig_id in (*rule.cause, *rule.symptoms):
            if sig_id not in cat.signatures:
                path = next(f / CORRELATIONS_FILE for f in cat.folders if (f / CORRELATIONS_FILE).is_file())
                problems.append(
                    Problem(
                        path,
                        _line_of(path.read_text(), f'"{sig_id}"'),
                        f"rule '{rule.id}' names unknown signature '{sig_id}'",
                    )
                )
    for sig in cat:
        for other in sig.overrides:
            if other not in cat.signatures:
                text = sig.file.read_text() if sig.file else ""
                problems.append(
                    Problem(sig.file or Path("?"), _line_of(text, other), f"overrides unknown id '{other}'")
                )
    return cat, problems


def load_or_raise(folders: Iterable[Path] | None = None) -> Catalogue:
    """Load like :func:`load`, raising :class:`CatalogueError` on any problem."""
    cat, problems = load(folders)
    if problems:
        raise CatalogueError(problems)
    return cat
