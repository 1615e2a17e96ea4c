"""report.html checked in a real browser (headless Chromium), its size, and summary.md."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import polars as pl
import pytest

from conftest import REPO, generate
from loganalyzer.incidents.build import INCIDENT_SCHEMA
from loganalyzer.outputs.chains import chains
from loganalyzer.outputs.report import write_report
from loganalyzer.outputs.report_data import ReportData, load
from loganalyzer.outputs.summary_md import render

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MAX_BYTES_1000 = 3_000_000  # measured: 1.6 MB
T0 = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)


# ----------------------------------------------------------------------------- report folders


def _analyze(paths: list[Path], out: Path) -> Path:
    proc = subprocess.run(
        [sys.executable, "-m", "loganalyzer", "analyze", *map(str, paths), "--out", str(out), "--quiet"],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode in (0, 1), proc.stderr
    write_report(out)
    return out


def _incident(n: int, **over) -> dict:
    sev = ("critical", "high", "medium", "low", "info")[n % 5]
    comp = ("etcd", "apisix")[n % 2]
    first = T0 + dt.timedelta(minutes=7 * n)
    row = {
        "incident_id": f"inc-{n:012x}",
        "signature_id": f"{comp}.signature_{n % 40}",
        "title": f"{comp} failure number {n % 40} with a title of realistic length for a report",
        "component": comp,
        "severity": sev,
        "host": f"{comp}-{n % 7}",
        "first_seen": first,
        "last_seen": first + dt.timedelta(minutes=n % 30),
        "count": 1 + n % 300,
        "sources": [f"{comp}/{comp}-{n % 7}/error.log"],
        "sample": f"2026/11/27 08:20:00 [error] 45#45: *76 [lua] config_etcd.lua:659: failed {n} " + "x" * 150,
        "evidence": json.dumps({"received_bytes": 5242880 + n, "limit_bytes": 4194304, "etcd_key": ["/apisix/routes"]}),
        "root_cause": "APISIX reads etcd through the gRPC gateway, whose default receive limit is 4 MiB; "
        "the configuration under the watched prefix grew beyond it. " * 3,
        "fix": "Upgrade etcd to 3.4.17+ or 3.5.0+ and set `--max-request-bytes` and "
        "`--max-recv-bytes` on the members.\nThen restart APISIX. " * 3,
        "references": ["https://github.com/etcd-io/etcd/pull/13077", "https://github.com/apache/apisix/issues/3073"],
        "fixed_in": "etcd 3.4.17, 3.5.0" if n % 3 == 0 else None,
        "related": [],
    }
    row.update(over)
    return row


def _synthetic(out: Path, n: int = 1000) -> Path:
    """An output folder with ``n`` incidents, chains, events, unmatched, hosts, certificates and run.json."""
    rows = [_incident(i) for i in range(n)]
    roles: list[str | None] = [None] * n
    for i in range(0, n - 1, 10):  # every tenth incident causes the next one
        rows[i]["related"], roles[i], roles[i + 1] = [rows[i + 1]["incident_id"]], "cause", "symptom"
    rows[5]["first_seen"] = rows[5]["last_seen"] = None
    inc = pl.DataFrame(rows, schema=INCIDENT_SCHEMA).with_columns(role=pl.Series(roles, dtype=pl.String))
    inc.write_parquet(out / "incidents.parquet")
    ts = [T0 + dt.timedelta(seconds=11 * i) for i in range(20_000)]
    pl.DataFrame(
        {"ts": ts, "host": ["etcd-0"] * len(ts)}, schema={"ts": pl.Datetime("us", "UTC"), "host": pl.String}
    ).write_parquet(out / "events.parquet")
    pl.DataFrame(
        {
            "source": ["etcd/etcd-0/etcd.log", "junk.bin"],
            "format": ["etcd_zap", None],
            "bytes": [1000, 5],
            "lines": [10, 0],
            "events": [4, 0],
            "status": ["ok", "skipped"],
            "error": [None, "binary file (NUL bytes); not a text log"],
        }
    ).write_parquet(out / "sources.parquet")
    pl.DataFrame(
        {
            "template_id": ["tpl-1"],
            "template": ["slow fdatasync <num>"],
            "level": ["warn"],
            "component": ["etcd"],
            "count": [45],
            "hosts": [["etcd-2"]],
            "first_seen": [T0],
            "last_seen": [T0],
            "sample": ['{"level":"warn","msg":"slow fdatasync"}'],
        }
    ).write_parquet(out / "unmatched.parquet")
    pl.DataFrame({"host": ["etcd-0"], "component": ["etcd"], "version": ["3.5.9"], "first_seen": [T0]}).write_parquet(
        out / "hosts.parquet"
    )
    pl.DataFrame(
        {
            "path": ["pki/etcd-server.crt"],
            "common_name": ["etcd-0"],
            "roles": [["etcd server cert"]],
            "not_after": [T0],
            "problems": [["expired"]],
            "problem_details": [["expired: on 2026-11-27"]],
        }
    ).write_parquet(out / "certificates.parquet")
    (out / "run.json").write_text(json.dumps({"paths": ["/var/log/bundle"], "duration_s": 4.2, "version": "0.1.0"}))
    write_report(out)
    return out


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory) -> Path:
    return _analyze([REPO / "sample_logs"], tmp_path_factory.mktemp("sample"))


@pytest.fixture(scope="module")
def corpus_report(tmp_path_factory) -> Path:
    corpus = tmp_path_factory.mktemp("corpus")
    generate(corpus, 5, plain=False)
    return _analyze([corpus / "logs"], tmp_path_factory.mktemp("corpus-out"))


@pytest.fixture(scope="module")
def big_report(tmp_path_factory) -> Path:
    return _synthetic(tmp_path_factory.mktemp("big"))


# ----------------------------------------------------------------------------- browser


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI must install it: see .ci/run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"Chromium is not installed at {CHROMIUM}: apt-get install -y chromium chromium-driver")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed")
    profile = tempfile.mkdtemp(prefix="report-chromium-")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            args=CHROMIUM_ARGS,
            headless=True,
            viewport={"width": 1280, "height": 900},
        )
        yield context
        context.close()
    shutil.rmtree(profile, ignore_errors=True)


def _open(browser, html: Path):
    """The page after its scripts ran, and the problems seen so far (console errors, network requests)."""
    page = browser.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "request",
        lambda r: (
            None if r.url.startswith(("file:", "data:", "blob:")) else problems.append(f"network request: {r.url}")
        ),
    )
    page.goto(html.as_uri())
    page.wait_for_selector("body[data-ready]", state="attached", timeout=60_000)
    assert page.evaluate("document.body.dataset.ready") == "1", problems
    return page, problems


def _shown(page) -> list[str]:
    return page.eval_on_selector_all("#incidents tbody tr[data-id]", "rows => rows.map(r => r.dataset.id)")


def check_report(browser, out: Path, name: str) -> None:
    """Every incident rendered, the timeline drawn, filters and details working, no console error."""
    html = out / "report.html"
    incidents = load(out).incidents
    ids = incidents["incident_id"].to_list()
    page, problems = _open(browser, html)
    page.select_option("#incidents_wrapper .dt-length select", "-1")
    assert sorted(_shown(page)) == sorted(ids)

    timed = incidents.filter(pl.col("first_seen").is_not_null()).height
    assert page.locator("#timeline svg .mark-rect path").count() == timed
    if timed:
        page.locator("#timeline svg .mark-rect path").first.hover()
        tooltip = page.locator("#vg-tooltip-element")
        tooltip.wait_for(state="visible", timeout=5_000)
        assert "window" in tooltip.inner_text() and "count" in tooltip.inner_text()

    if ids:
        sigs = incidents["signature_id"].value_counts(sort=True)
        rare = sigs["signature_id"][-1]
        page.fill("#f-text", rare)
        shown = _shown(page)
        assert 0 < len(shown) <= incidents.filter(pl.col("signature_id") == rare).height
        assert len(shown) < len(ids) or sigs.height == 1
        page.fill("#f-text", "no-such-incident-anywhere")
        assert _shown(page) == []
        page.fill("#f-text", "")
        top = incidents["severity"][0]
        page.select_option("#f-severity", top)
        assert len(_shown(page)) == incidents.filter(pl.col("severity") == top).height
        page.select_option("#f-severity", "")
        page.locator("#incidents tbody tr[data-id]").first.click()
        assert "Root cause" in page.locator("#incidents tr.detail-row").first.inner_text()

    page.select_option("#incidents_wrapper .dt-length select", "25")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"), full_page=True)
    page.close()
    assert not problems, problems


def test_sample_report_in_browser(browser, sample_report):
    check_report(browser, sample_report, "sample")


def test_corpus_report_in_browser(browser, corpus_report):
    check_report(browser, corpus_report, "corpus-5mb")


def test_big_report_in_browser(browser, big_report):
    check_report(browser, big_report, "1000-incidents")
    page, problems = _open(browser, big_report / "report.html")
    cause = page.locator("#incidents tbody tr[data-id='inc-000000000000']")
    cause.click()
    page.locator("a.rel[data-id='inc-000000000001']").first.click()
    symptom = page.locator("#incidents tbody tr[data-id='inc-000000000001']")
    assert symptom.is_visible() and "shown" in (symptom.get_attribute("class") or "")
    assert not problems, problems


def test_empty_report_in_browser(browser, tmp_path):
    pl.DataFrame(schema=INCIDENT_SCHEMA).write_parquet(tmp_path / "incidents.parquet")
    write_report(tmp_path)
    check_report(browser, tmp_path, "empty")
    assert "No incidents above `low`." in (tmp_path / "summary.md").read_text(encoding="utf-8")


# ----------------------------------------------------------------------------- without a browser


def test_report_is_small_and_self_contained(big_report):
    html = (big_report / "report.html").read_text(encoding="utf-8")
    size = len(html.encode("utf-8"))
    assert size < MAX_BYTES_1000, f"report.html for 1,000 incidents is {size:,} bytes"
    assert "<script src=" not in html and '<link rel="stylesheet"' not in html
    for section in (
        "Unmatched errors",
        "Sources skipped or failed",
        "Certificates",
        "etcd 3.5.9",
        "4.2s",
        "/var/log/bundle",
    ):
        assert section in html


def test_report_tolerates_csv_only_folder(tmp_path, big_report):
    inc = load(big_report).incidents.head(20)
    inc.with_columns(pl.col(c).list.join(";") for c in ("sources", "references", "related")).write_csv(
        tmp_path / "incidents.csv"
    )
    written = write_report(tmp_path)
    assert [p.name for p in written] == ["report.html", "summary.md"]
    assert load(tmp_path).incidents["related"].dtype == pl.List(pl.String)
    assert "inc-000000000000" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_missing_incidents_table_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no incidents table"):
        write_report(tmp_path)


def _frame(rows: list[dict], role: bool) -> pl.DataFrame:
    frame = pl.DataFrame(rows, schema=INCIDENT_SCHEMA)
    return frame.with_columns(role=pl.Series([r.get("_role") for r in rows], dtype=pl.String)) if role else frame


def _chain_rows() -> list[dict]:
    a = _incident(0, severity="high", title="etcd gateway rejects large config", fix="Raise `--max-recv-bytes`.")
    b = _incident(
        1,
        severity="critical",
        title="APISIX config sync fails",
        first_seen=T0 + dt.timedelta(hours=1),
        fix="Upgrade APISIX.",
    )
    c = _incident(2, severity="low", title="low noise", fix="Nothing.")
    d = _incident(3, severity="info", title="informational", related=[c["incident_id"]])
    a["related"] = [b["incident_id"]]
    a["_role"], b["_role"] = "cause", "symptom"
    return [a, b, c, d]


def test_chains_follow_roles_and_links():
    rows = _chain_rows()
    with_roles = chains(_frame(rows, role=True))
    assert [(c.causes, c.symptoms) for c in with_roles] == [
        ([rows[0]["incident_id"]], [rows[1]["incident_id"]]),
        ([], [rows[2]["incident_id"], rows[3]["incident_id"]]),
    ]
    without = chains(_frame(rows, role=False))
    assert without[0].causes == [] and without[0].symptoms == [rows[0]["incident_id"], rows[1]["incident_id"]]


def test_summary_lists_incidents_above_low_and_chains():
    rows = _chain_rows()
    md = render(ReportData(out_dir=Path("."), incidents=_frame(rows, role=True)))
    table = md.split("## Incidents above low")[1].split("## Chains")[0]
    assert "APISIX config sync fails" in table and "etcd gateway rejects" in table
    assert "low noise" not in table and "informational" not in table
    chain = md.split("## Chains")[1]
    assert "**Cause:**" in chain and "**Symptoms:**" in chain
    assert chain.index("etcd gateway rejects") < chain.index("APISIX config sync fails")
    assert "Raise `--max-recv-bytes`." in chain and "Upgrade APISIX." not in chain
    assert "Related incidents" in chain  # the pair without roles is listed together
    plain = render(ReportData(out_dir=Path("."), incidents=_frame(rows, role=False)))
    assert "**Cause:**" not in plain and "Upgrade APISIX." in plain


def test_summary_escapes_table_cells():
    row = _incident(0, severity="high", title="a | b", host=None)
    md = render(ReportData(out_dir=Path("."), incidents=pl.DataFrame([row], schema=INCIDENT_SCHEMA)))
    assert "a \\| b" in md and "| - |" in md
