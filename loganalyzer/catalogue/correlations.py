"""Correlation rules (``patterns/correlations.toml``): which signatures are the likely cause of which others."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from loganalyzer.catalogue.load import CORRELATIONS_FILE, _key_line
from loganalyzer.catalogue.problems import Problem
from loganalyzer.units import parse_duration

KEYS = {"id", "title", "cause", "symptoms", "window", "same_host"}


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    cause: tuple[str, ...]
    symptoms: tuple[str, ...]
    window: float
    same_host: bool = False


def load_rules(folders: list[Path]) -> tuple[list[Rule], list[Problem]]:
    """Rules from every folder's ``correlations.toml`` (later folders add or replace by id)."""
    rules: dict[str, Rule] = {}
    problems: list[Problem] = []
    for folder in folders:
        path = folder / CORRELATIONS_FILE
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            problems.append(Problem(path, getattr(exc, "lineno", 1) or 1, f"invalid TOML: {exc}"))
            continue
        for raw in data.get("rule", []):
            rid = raw.get("id", "?")
            line = next((i for i, ln in enumerate(text.splitlines(), 1) if f'"{rid}"' in ln), _key_line(text, "rule"))
            unknown = set(raw) - KEYS
            window = parse_duration(raw.get("window", "15m")) if isinstance(raw.get("window", "15m"), str) else None
            if unknown or not raw.get("cause") or not raw.get("symptoms") or not window or "title" not in raw:
                problems.append(
                    Problem(
                        path,
                        line,
                        f"rule '{rid}' needs id, title, cause, symptoms and a window"
                        + (f"; unknown key(s) {sorted(unknown)}" if unknown else ""),
                    )
                )
                continue
            rules[rid] = Rule(
                rid,
                raw["title"],
                tuple(raw["cause"]),
                tuple(raw["symptoms"]),
                window,
                bool(raw.get("same_host", False)),
            )
    return list(rules.values()), problems
