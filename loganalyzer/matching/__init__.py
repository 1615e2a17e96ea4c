"""Matching: the catalogue compiled once and applied to frames of lines, vectorised in polars."""

from loganalyzer.matching.engine import MATCH_SCHEMA, Matcher

__all__ = ["MATCH_SCHEMA", "Matcher"]
