"""The shipped catalogue: complete, valid, every example proven, docs current."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from conftest import REPO
from loganalyzer.catalogue import load
from loganalyzer.catalogue.docs import COMPONENTS, catalogue_markdown
from loganalyzer.cli import app
from loganalyzer.matching.examples import check


def test_shipped_catalogue_validates():
    _, problems = load()
    assert [str(p) for p in problems] == []


def test_every_example_of_every_signature_passes(catalogue):
    assert [str(p) for p in check(catalogue)] == []


def test_every_required_id_is_listed_with_a_regex():
    res = CliRunner().invoke(app, ["patterns", "list", "--format", "json"])
    assert res.exit_code == 0
    listed = {s["id"]: s for s in json.loads(res.output)}
    ids_file = REPO / "tests" / "data" / "signature-ids.txt"  # the ids SPEC.md requires
    required = [line.strip() for line in ids_file.read_text().splitlines() if line.strip()]
    missing = [i for i in required if i not in listed]
    assert missing == []
    for sig_id in required:
        entry = listed[sig_id]
        assert entry["regexes"] and entry["severity"] in ("info", "low", "medium", "high", "critical")
        assert set(entry) >= {"id", "title", "component", "severity", "regexes"}


def test_committed_docs_match_the_catalogue(catalogue):
    for component in COMPONENTS:
        path = REPO / "docs" / "signatures" / f"{component}.md"
        assert path.read_text(encoding="utf-8") == catalogue_markdown(catalogue, component), (
            f"{path} is stale: run `python -m loganalyzer.catalogue.docs`"
        )


def test_explain_renders_cause_fix_and_references():
    res = CliRunner().invoke(app, ["explain", "etcd.tls_incompatible_key_usage"])
    assert res.exit_code == 0
    for needle in ("What it detects", "Why it happens", "Fix", "References", "clientAuth", "issues/9785"):
        assert needle in res.output
    assert CliRunner().invoke(app, ["explain", "etcd.no_such_thing"]).exit_code == 2


def test_every_regex_is_accepted_by_ripgrep(catalogue):
    """SPEC: `patterns list --format json` regexes are in a syntax ripgrep accepts (named groups aside,
    which `rg -f` joins into one pattern and so must be plain groups there)."""
    import re
    import shutil
    import subprocess

    import pytest

    rg = shutil.which("rg")
    if rg is None:
        pytest.skip("ripgrep is not installed")
    rejected = []
    for sig in catalogue:
        for rx in sig.regexes:
            plain = re.sub(r"\(\?P?<\w+>", "(", rx)
            if subprocess.run([rg, "-q", "-e", plain, "/dev/null"], capture_output=True).returncode == 2:
                rejected.append((sig.id, rx))
    assert rejected == []
