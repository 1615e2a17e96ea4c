"""Checking every signature's examples through the real pipeline: unwrap, match, resolve, extract."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from loganalyzer.catalogue import Catalogue, Problem, Signature
from loganalyzer.catalogue.load import _line_of
from loganalyzer.formats import wrappers
from loganalyzer.matching.engine import Matcher


def _same(expected, actual) -> bool:
    if isinstance(expected, float) or isinstance(actual, float):
        try:
            return math.isclose(float(expected), float(actual), rel_tol=1e-6)
        except (TypeError, ValueError):
            return False
    return expected == actual


def check(catalogue: Catalogue, only: Iterable[Signature] | None = None) -> list[Problem]:
    """Problems with the examples of ``only`` (default: every signature), matched against the whole catalogue."""
    import json

    matcher = Matcher(catalogue)
    sigs = list(only if only is not None else catalogue)
    rows = []
    for sig in sigs:
        for kind, examples in (("match", sig.matches), ("no_match", sig.non_matches)):
            for ex in examples:
                first = ex.text.split("\n", 1)[0]
                rows.append({"row": len(rows), "sig": sig.id, "kind": kind, "raw": first, "expect": ex})
    if not rows:
        return []
    frame = pl.DataFrame([{k: r[k] for k in ("row", "raw")} for r in rows], schema={"row": pl.Int64, "raw": pl.String})
    parts = []
    for r in rows:  # each example is its own little file: its wrapper is detected from it alone
        r["wrapper"] = wrappers.detect([r["raw"]])
    by_wrapper: dict[str, list[int]] = {}
    for r in rows:
        by_wrapper.setdefault(r["wrapper"].name, []).append(r["row"])
    ctx = wrappers.Context()
    for ids in by_wrapper.values():
        sub = frame.filter(pl.col("row").is_in(ids))
        parts.append(wrappers.unwrap(sub, rows[ids[0]]["wrapper"], ctx))
    unwrapped = pl.concat(parts).sort("row")
    prefiltered = set(unwrapped.filter(matcher.candidates(pl.col("raw")))["row"].to_list())
    found = {
        r["row"]: (r["signature_id"], json.loads(r["fields"])) for r in matcher.match(unwrapped).iter_rows(named=True)
    }
    problems: list[Problem] = []
    for r in rows:
        sig = catalogue.get(r["sig"])
        path = sig.file or Path(sig.id)
        text = path.read_text() if sig.file else ""
        line = _line_of(text, r["raw"][:60], 1)
        got, fields = found.get(r["row"], (None, {}))
        short = r["raw"] if len(r["raw"]) <= 100 else r["raw"][:97] + "..."
        if r["kind"] == "match":
            if got != sig.id:
                unselected = "" if r["row"] in prefiltered else " (not even preselected by the literal prefilter)"
                why = f"reported as {got}" if got else "not matched" + unselected
                problems.append(Problem(path, line, f"example must match {sig.id} but is {why}: {short}"))
                continue
            for name, want in r["expect"].fields.items():
                if not _same(want, fields.get(name)):
                    problems.append(
                        Problem(
                            path, line, f"example field '{name}' is {fields.get(name)!r}, expected {want!r}: {short}"
                        )
                    )
        elif got == sig.id:
            problems.append(Problem(path, line, f"example must not match {sig.id} but does: {short}"))
    return problems
