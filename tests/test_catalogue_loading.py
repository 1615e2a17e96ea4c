"""Catalogue loading: a broken signature file gives `file:line: problem`, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from loganalyzer.catalogue import load
from loganalyzer.cli import app

GOOD = """id = "etcd.demo_problem"
title = "Demo problem"
component = "etcd"
severity = "medium"
regexes = ['demo failure: (?P<what>\\w+) took (?P<took>\\S+)']
fields = { took = "duration" }
where = "took > 1"
description = "Detects the demo failure."
root_cause = "Because of demo.\\nIt took {took:duration}."
fix = "Run `demo --fix`."
references = ["https://example.org/demo"]

[examples]
match = [{ line = "demo failure: disk took 1.5s", fields = { what = "disk", took = 1.5 } }]
no_match = ["demo failure: disk took 0.5s", "demo success: disk took 9s"]
"""


def write(folder: Path, text: str, name: str = "demo_problem.toml") -> Path:
    (folder / "etcd").mkdir(parents=True, exist_ok=True)
    path = folder / "etcd" / name
    path.write_text(text)
    return path


def problems_of(folder: Path) -> list[str]:
    _, problems = load([folder], include_shipped=False)
    return [str(p) for p in problems]


def test_good_signature_loads_and_its_examples_pass(tmp_path):
    from loganalyzer.matching.examples import check

    write(tmp_path, GOOD)
    catalogue, problems = load([tmp_path], include_shipped=False)
    assert problems == []
    assert check(catalogue) == []


@pytest.mark.parametrize(
    ("change", "line", "message"),
    [
        (lambda t: t.replace('severity = "medium"', 'severity = "urgent"'), 4, "severity 'urgent' is not one of"),
        (lambda t: t.replace("regexes = ['demo failure", "regexes = ['demo (failure"), 5, "regex does not compile"),
        (
            lambda t: t.replace('title = "Demo problem"', 'title = "Demo problem"\ncolour = "red"'),
            3,
            "unknown field 'colour'",
        ),
        (
            lambda t: t.replace(
                'no_match = ["demo failure: disk took 0.5s", "demo success: disk took 9s"]', "no_match = []"
            ),
            15,
            "at least one similar example line that must not match",
        ),
        (lambda t: t.replace("regexes = [", 'regexes = [\n  "(?P<x>\\\\d+)",'), 6, "no required literal"),
        (lambda t: t.replace('where = "took > 1"', 'where = "took >"'), 7, "'where' is not a valid condition"),
        (lambda t: t.replace('id = "etcd.demo_problem"', 'id = "Etcd.Demo"'), 1, "is not dotted lower_snake"),
        (lambda t: t.replace("references = [", 'references = ["not a url", '), 11, "is not a URL"),
    ],
    ids=["severity", "regex", "unknown-field", "no-near-miss", "no-literal", "where", "id", "reference"],
)
def test_problem_names_file_and_line(tmp_path, change, line, message):
    path = write(tmp_path, change(GOOD))
    found = problems_of(tmp_path)
    assert any(p.startswith(f"{path}:{line}: ") and message in p for p in found), found


def test_invalid_toml_reports_its_line(tmp_path):
    path = write(tmp_path, GOOD.replace('component = "etcd"', 'component = "etcd'))
    found = problems_of(tmp_path)
    assert len(found) == 1 and found[0].startswith(f"{path}:3: invalid TOML")


def test_file_name_must_match_id(tmp_path):
    path = write(tmp_path, GOOD, name="other.toml")
    assert any("must be 'demo_problem.toml'" in p and p.startswith(str(path)) for p in problems_of(tmp_path))


def test_failing_example_is_reported_with_file_and_line(tmp_path):
    from loganalyzer.matching.examples import check

    path = write(tmp_path, GOOD.replace('"demo failure: disk took 0.5s"', '"demo failure: disk took 2s"'))
    catalogue, _ = load([tmp_path], include_shipped=False)
    found = [str(p) for p in check(catalogue)]
    assert found == [f"{path}:15: example must not match etcd.demo_problem but does: demo failure: disk took 2s"]


def test_cli_validate_exits_2_and_analyze_goes_on_without_the_broken_signature(tmp_path):
    import json

    import polars as pl

    write(tmp_path, GOOD.replace('severity = "medium"', 'severity = "urgent"'))
    runner = CliRunner()
    res = runner.invoke(app, ["patterns", "validate", str(tmp_path)])
    assert res.exit_code == 2
    assert "demo_problem.toml:4: severity 'urgent'" in res.output
    log = tmp_path / "x.log"
    log.write_text(
        "demo failure: disk took 3s\n2021-06-09 11:10:13.022735 I | embed: rejected connection from "
        '"127.0.0.1:1" (error "tls: failed to verify client\'s certificate: x509: certificate specifies '
        'an incompatible key usage", ServerName "")\n'
    )
    res = runner.invoke(app, ["analyze", str(log), "--patterns", str(tmp_path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "demo_problem.toml:4: severity 'urgent'" in res.output
    events = pl.read_parquet(tmp_path / "out" / "events.parquet")
    assert events["signature_id"].to_list() == ["etcd.tls_incompatible_key_usage"]  # the rest of the run went on
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert any("demo_problem.toml:4" in p for p in run["catalogue_problems"])


def test_user_catalogue_adds_and_replaces(tmp_path):
    write(tmp_path, GOOD)
    replaced = GOOD.replace('id = "etcd.demo_problem"', 'id = "etcd.rejected_connection"').replace(
        'title = "Demo problem"', 'title = "Our own rejected connection"'
    )
    write(tmp_path, replaced, name="rejected_connection.toml")
    catalogue, problems = load([tmp_path])
    assert not [p for p in problems if str(tmp_path) in str(p)]
    assert catalogue.get("etcd.demo_problem") is not None
    assert catalogue.get("etcd.rejected_connection").title == "Our own rejected connection"


def test_parsed_files_are_cached_and_a_changed_file_is_parsed_again(tmp_path, monkeypatch):
    import importlib

    load_module = importlib.import_module("loganalyzer.catalogue.load")  # the package re-exports a `load` function

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "mine"
    path = write(folder, GOOD)
    assert problems_of(folder) == []
    assert list((tmp_path / "cache" / "loganalyzer").glob("catalogue-*.pickle"))
    parsed = []
    real = load_module.parse_signature
    monkeypatch.setattr(load_module, "parse_signature", lambda p: parsed.append(p) or real(p))
    assert problems_of(folder) == [] and parsed == []  # unchanged: from the cache
    path.write_text(GOOD.replace('severity = "medium"', 'severity = "severe!"'))
    assert any("severity 'severe!'" in p for p in problems_of(folder)) and parsed == [path]


def test_a_change_to_the_code_that_builds_verdicts_is_not_served_from_the_cache(tmp_path, monkeypatch):
    import importlib

    load_module = importlib.import_module("loganalyzer.catalogue.load")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    folder = tmp_path / "mine"
    write(folder, GOOD)
    assert problems_of(folder) == []
    parsed = []
    real = load_module.parse_signature
    monkeypatch.setattr(load_module, "parse_signature", lambda p: parsed.append(p) or real(p))
    # the same files, but another build of the code (a new validation rule, a fixed bug): parsed again
    monkeypatch.setattr(load_module, "code_digest", lambda: "another build of the code")
    assert problems_of(folder) == [] and len(parsed) == 1
    assert len(list((tmp_path / "cache" / "loganalyzer").glob("catalogue-*.pickle"))) == 2
