"""The matcher: the catalogue compiled once and applied to frames of lines, vectorised in polars.

Per frame: one case-insensitive literal scan picks candidate lines, each signature's regexes run on
those candidates only, named groups become typed evidence, ``where`` conditions filter, and where
several signatures match one line the most specific one wins (``overrides``, then severity).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

from loganalyzer.catalogue import Catalogue, Signature
from loganalyzer.catalogue.literals import escape
from loganalyzer.formats.lines import PROBLEM_LEVEL_PHRASES
from loganalyzer.formats.versions import PHRASES as VERSION_PHRASES
from loganalyzer.matching.conditions import condition
from loganalyzer.matching.fields import typed
from loganalyzer.severity import rank

SCAN_PHRASES = PROBLEM_LEVEL_PHRASES + VERSION_PHRASES
MATCH_SCHEMA = {"row": pl.Int64, "signature_id": pl.String, "fields": pl.String}


def _escaped_variants(literal: str) -> set[str]:
    """The literal as written, and as it appears inside one or two levels of JSON strings."""
    once = json.dumps(literal)[1:-1]
    twice = json.dumps(once)[1:-1]
    return {literal, once, twice}


@dataclass(frozen=True)
class _Rule:
    signature: Signature
    regex: str
    groups: tuple[str, ...]  # this regex's named groups
    all_groups: tuple[str, ...]  # the named groups of all the signature's regexes


class Matcher:
    """A catalogue compiled for matching."""

    def __init__(self, catalogue: Catalogue, extra_literals: tuple[str, ...] = SCAN_PHRASES):
        """``extra_literals``: more phrases whose lines the prefilter must also select: by default the lines
        that state a warn/error level (for the unknown-error templates) or a version (for the hosts table)."""

        self.catalogue = catalogue
        self.rules: list[_Rule] = []
        literals: set[str] = set()
        self._rules_of: dict[str, list[int]] = {}  # lower-cased literal -> rules that require it
        for sig in catalogue:
            all_groups = tuple(dict.fromkeys(g for groups in sig.regex_groups for g in groups))
            for rx, groups, required in zip(sig.regexes, sig.regex_groups, sig.regex_literals, strict=True):
                for lit in required:
                    literals |= _escaped_variants(lit)
                    self._rules_of.setdefault(lit, []).append(len(self.rules))
                self.rules.append(_Rule(sig, rx, groups, all_groups))
        for lit in extra_literals:
            literals |= _escaped_variants(lit.lower())
        # longest first so the alternation prefers full phrases; sorted for a stable pattern
        self.literals = sorted(literals, key=lambda s: (-len(s), s))
        self.prefilter = "(?i)" + "|".join(escape(lit) for lit in self.literals) if self.literals else None
        self._overrides = pl.DataFrame(
            [(s.id, o) for s in catalogue for o in s.overrides],
            schema={"winner": pl.String, "loser": pl.String},
            orient="row",
        )
        self._rank = pl.DataFrame(
            {"signature_id": [s.id for s in catalogue], "_rank": [-rank(s.severity) for s in catalogue]},
            schema={"signature_id": pl.String, "_rank": pl.Int64},
        )

    def candidates(self, text: pl.Expr) -> pl.Expr:
        """True for lines that may match some signature (the cheap literal prefilter)."""
        return text.str.contains(self.prefilter) if self.prefilter else pl.lit(False)

    def _apply(self, frame: pl.DataFrame, rule: _Rule) -> pl.DataFrame:
        hit = frame.filter(pl.col("text").str.contains(rule.regex))
        if hit.is_empty():
            return pl.DataFrame(schema=MATCH_SCHEMA)
        sig = rule.signature
        if rule.all_groups:
            groups = (
                hit.select("row", pl.col("text").str.extract_groups(rule.regex).alias("g")).unnest("g")
                if rule.groups
                else hit.select("row")
            )
            groups = groups.with_columns(
                typed(
                    pl.col(name) if name in rule.groups else pl.lit(None, pl.String), sig.fields.get(name, "str")
                ).alias(name)
                for name in rule.all_groups
            )
            if sig.where:
                groups = groups.filter(condition(sig.where).fill_null(False))
            fields = pl.struct(list(rule.all_groups)).struct.json_encode()
            out = groups.select("row", pl.lit(sig.id).alias("signature_id"), fields.alias("fields"))
        else:
            out = hit.select("row", pl.lit(sig.id).alias("signature_id"), pl.lit("{}").alias("fields"))
        return out.cast(MATCH_SCHEMA)

    def match(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Matches in ``frame`` (columns ``row``, ``text``): one row per matched line, the winning signature."""
        frame = frame.select("row", "text")
        if frame.is_empty() or not self.rules:
            return pl.DataFrame(schema=MATCH_SCHEMA)
        # which required literals occur at all (one Aho-Corasick pass): only their rules are run
        seen = (
            frame.select(
                pl.col("text")
                .str.extract_many(list(self._rules_of), ascii_case_insensitive=True, overlapping=True)
                .explode()
                .drop_nulls()
                .str.to_lowercase()
                .unique()
            )
            .to_series()
            .to_list()
        )
        todo = sorted({i for lit in seen for i in self._rules_of.get(lit, ())})
        parts = [self._apply(frame, self.rules[i]) for i in todo]
        found = pl.concat(parts) if parts else pl.DataFrame(schema=MATCH_SCHEMA)
        if found.is_empty():
            return found
        found = found.unique(["row", "signature_id"], keep="first", maintain_order=True)
        return self.resolve(found)

    def resolve(self, found: pl.DataFrame) -> pl.DataFrame:
        """Keep one signature per row: drop those another match overrides, then the most severe, then by id."""
        if not self._overrides.is_empty():
            pairs = (
                found.select("row", pl.col("signature_id").alias("winner"))
                .join(found.select("row", pl.col("signature_id").alias("loser")), on="row")
                .join(self._overrides, on=["winner", "loser"], how="semi")
            )
            found = found.join(
                pairs.select("row", pl.col("loser").alias("signature_id")), on=["row", "signature_id"], how="anti"
            )
        return (
            found.join(self._rank, on="signature_id", how="left")
            .sort(["row", "_rank", "signature_id"])
            .unique("row", keep="first", maintain_order=True)
            .drop("_rank")
        )
