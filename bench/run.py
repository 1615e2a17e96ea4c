#!/usr/bin/env python3
"""Benchmark loganalyzer against ripgrep and a naive regex loop on the generated corpus (tools.bundlegen).

    .venv/bin/python bench/run.py                  # 1000 MB plain + mixed bundles, 3 interleaved runs
    .venv/bin/python bench/run.py --size-mb 200    # smaller
    .venv/bin/python bench/run.py --big            # also a 4000 MB plain run

Bundles are generated into bench/corpora/ (git-ignored) by ``python -m tools.bundlegen`` and reused when
one of the same size exists. Results go to bench/RESULTS.md. Standard library + polars only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
BENCH = REPO / "bench"
WORK = BENCH / "corpora"
MB = 1024 * 1024
VENV_BIN = Path(sys.executable).parent
NAMED_GROUP = re.compile(r"(?<!\\)\(\?P?<(?=[A-Za-z_])[A-Za-z0-9_]*>")
TIME_BIN = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None

NAIVE_SCRIPT = r"""
import re, sys
regex_file, budget, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
compiled = []
for rx in open(regex_file, encoding="utf-8").read().splitlines():
    try:
        compiled.append(re.compile(rx))
    except re.error:
        pass
done = hits = 0
for f in files:
    for line in open(f, encoding="utf-8", errors="replace"):
        for rx in compiled:
            if rx.search(line):
                hits += 1
        done += len(line)
        if done >= budget:
            break
    if done >= budget:
        break
print(done, hits, len(compiled))
"""


# ----------------------------------------------------------------------------- helpers


def loganalyzer_bin() -> str:
    cand = VENV_BIN / "loganalyzer"
    return str(cand) if cand.exists() else (shutil.which("loganalyzer") or "loganalyzer")


def dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def bundle(size_mb: float, plain: bool) -> Path:
    out = WORK / f"{'plain' if plain else 'mixed'}-{size_mb:g}"
    if (out / "truth.json").is_file() and (out / "logs").is_dir():
        print(f"reusing {out}", flush=True)
        return out
    if out.exists():
        shutil.rmtree(out)
    cmd = [sys.executable, "-m", "tools.bundlegen", str(out), "--size-mb", f"{size_mb:g}"]
    if plain:
        cmd.append("--plain")
    print("generating:", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=REPO)
    return out


def wait_for_catalogue(tries: int = 10) -> None:
    for i in range(tries):
        r = subprocess.run([loganalyzer_bin(), "patterns", "validate"], capture_output=True, text=True)
        if r.returncode == 0:
            return
        print(
            f"catalogue not valid (other edits in progress?), retry {i + 1}/{tries} in 60 s:\n"
            f"{(r.stdout + r.stderr).strip()[-800:]}",
            flush=True,
        )
        time.sleep(60)
    sys.exit("catalogue still invalid; giving up")


def export_regexes(dest: Path) -> tuple[set[str], int, int]:
    """Write the catalogue regexes one per line (only those ripgrep accepts). Returns (ids, total, kept)."""
    wait_for_catalogue()
    r = subprocess.run(
        [loganalyzer_bin(), "patterns", "list", "--format", "json"], capture_output=True, text=True, check=True
    )
    sigs = json.loads(r.stdout)
    ids = {s["id"] for s in sigs}
    # rg -f joins the lines into one alternation, so equal group names in two regexes would clash:
    # named groups become plain groups (same matches).
    regexes = [NAMED_GROUP.sub("(", rx) for s in sigs for rx in s.get("regexes", []) if "\n" not in rx]
    kept = []
    for rx in regexes:
        ok = subprocess.run(["rg", "-q", "-e", rx], input=b"", capture_output=True).returncode != 2
        if ok:
            kept.append(rx)
        else:
            print(f"ripgrep rejects regex, skipped: {rx[:100]!r}", flush=True)
    dest.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return ids, len(regexes), len(kept)


def measure_child(cmd: list[str]) -> dict:
    """Run cmd; return wall, CPU (user+sys of the child tree, os.wait4), peak RSS in MB, exit code."""
    tfile = None
    full = cmd
    if TIME_BIN:
        fd, tfile = tempfile.mkstemp(prefix="bench-time-")
        os.close(fd)
        full = [TIME_BIN, "-v", "-o", tfile, *cmd]
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        pid = os.posix_spawnp(
            full[0],
            full,
            os.environ,
            file_actions=[(os.POSIX_SPAWN_DUP2, fo.fileno(), 1), (os.POSIX_SPAWN_DUP2, fe.fileno(), 2)],
        )
        _, status, ru = os.wait4(pid, 0)
        wall = time.perf_counter() - t0
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read().decode(errors="replace"), fe.read().decode(errors="replace")
    rc = os.waitstatus_to_exitcode(status)
    cpu = ru.ru_utime + ru.ru_stime
    rss_kb = ru.ru_maxrss
    if tfile:
        txt = Path(tfile).read_text(errors="replace")
        os.unlink(tfile)
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", txt)
        if m:
            rss_kb = int(m.group(1))
        m_rc = re.search(r"Exit status: (\d+)", txt)
        if m_rc:
            rc = int(m_rc.group(1))
        if "Command terminated by signal" in txt:
            rc = rc or 128
    return {"wall": wall, "cpu": cpu, "rss_mb": rss_kb / 1024, "rc": rc, "stdout": out, "stderr": err}


def verify_truth(bundle_dir: Path, events_path: Path, catalogue_ids: set[str]) -> tuple[int, int, int]:
    """Return (found, expected, skipped) truth lines; skipped = signature ids not in the catalogue."""
    truth = json.loads((bundle_dir / "truth.json").read_text())["incidents"]
    ev = pl.read_parquet(events_path, columns=["signature_id", "source", "line"])
    ev = ev.filter(pl.col("signature_id").is_in(sorted({t["signature_id"] for t in truth})))
    have: dict[tuple[str, int], list[str]] = {}
    for sig, src, line in ev.iter_rows():
        if line is not None:
            have.setdefault((sig, int(line)), []).append(str(src).replace("\\", "/"))
    found = expected = skipped = 0
    for t in truth:
        if t["signature_id"] not in catalogue_ids:
            skipped += len(t["lines"])
            continue
        f = t["file"]
        for ln in t["lines"]:
            expected += 1
            if any(s == f or s.endswith("/" + f) for s in have.get((t["signature_id"], ln), ())):
                found += 1
    return found, expected, skipped


def naive_slice(plain_logs: Path, budget: int) -> list[str]:
    files = sorted(p for p in plain_logs.rglob("*") if p.is_file())
    chosen, total = [], 0
    for p in files:
        chosen.append(str(p))
        total += p.stat().st_size
        if total >= budget:
            break
    return chosen


def machine_info() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem = f"{kb / MB:.1f} GiB"
    except (OSError, AttributeError):
        pass
    rg = subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    try:
        from importlib.metadata import version

        la = version("loganalyzer")
    except Exception:
        la = "?"
    return {
        "nproc": os.cpu_count(),
        "mem": mem,
        "cpu": model,
        "python": platform.python_version(),
        "polars": pl.__version__,
        "rg": rg,
        "loganalyzer": la,
        "load": os.getloadavg(),
    }


# ----------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size-mb", type=float, default=1000, help="uncompressed size of the bundles")
    ap.add_argument("--big", action="store_true", help="also run a 4000 MB plain bundle")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--naive-mb", type=float, default=100, help="size of the plain slice for the naive loop")
    ap.add_argument("--out", type=Path, default=BENCH / "RESULTS.md")
    a = ap.parse_args()
    if not shutil.which("rg"):
        sys.exit("ripgrep (rg) not found: apt-get install -y ripgrep")
    WORK.mkdir(parents=True, exist_ok=True)
    info = machine_info()

    plain = bundle(a.size_mb, True)
    mixed = bundle(a.size_mb, False)
    bundles = {"plain": plain, "mixed": mixed}
    if a.big:
        bundles["big"] = bundle(4000, True)
    regex_file = WORK / "regexes.txt"
    ids, n_rx, n_kept = export_regexes(regex_file)
    uncompressed = {
        "plain": dir_bytes(plain / "logs"),
        "mixed": dir_bytes(plain / "logs"),
        "big": dir_bytes(bundles["big"] / "logs") if a.big else 0,
    }
    on_disk = {k: dir_bytes(b / "logs") for k, b in bundles.items()}
    naive_files = naive_slice(plain / "logs", int(a.naive_mb * MB))
    la = loganalyzer_bin()

    tasks: list[tuple[str, str, str]] = []  # (name, kind, bundle key)
    for key in bundles:
        tasks += [(f"analyze {key}", "analyze", key), (f"rg {key}", "rg", key)]
    tasks.append(("naive python re (slice)", "naive", "plain"))
    res: dict[str, list[dict]] = {t[0]: [] for t in tasks}
    truth_res: dict[str, list[tuple[int, int, int]]] = {t[0]: [] for t in tasks if t[1] == "analyze"}
    naive_bytes = 0

    for rep in range(a.runs):
        for name, kind, key in tasks:
            logs = bundles[key] / "logs"
            if kind == "analyze":
                for attempt in range(4):
                    tmp = Path(tempfile.mkdtemp(prefix="la-bench-"))
                    r = measure_child([la, "analyze", str(logs), "--out", str(tmp), "--format", "parquet", "-q"])
                    if r["rc"] == 0 or attempt == 3:
                        break
                    shutil.rmtree(tmp, ignore_errors=True)
                    print(f"analyze failed (rc {r['rc']}): {r['stderr'].strip()[-400:]}; retry in 60 s", flush=True)
                    wait_for_catalogue()
                ev = tmp / "events.parquet"
                truth_res[name].append(verify_truth(bundles[key], ev, ids) if ev.exists() else (0, 1, 0))
                shutil.rmtree(tmp, ignore_errors=True)
            elif kind == "rg":
                z = ["-z"] if key == "mixed" else []
                r = measure_child(["rg", "-uuu", "-c", "-f", str(regex_file), *z, str(logs)])
                if r["rc"] == 1:  # no match is not an error
                    r["rc"] = 0
            else:
                r = measure_child(
                    [sys.executable, "-c", NAIVE_SCRIPT, str(regex_file), str(int(a.naive_mb * MB)), *naive_files]
                )
                if r["rc"] == 0:
                    naive_bytes = int(r["stdout"].split()[0])
            res[name].append(r)
            extra = f" truth {truth_res[name][-1][0]}/{truth_res[name][-1][1]}" if kind == "analyze" else ""
            print(
                f"run {rep + 1}/{a.runs} {name:26s} wall {r['wall']:7.2f}s cpu {r['cpu']:7.2f}s "
                f"rss {r['rss_mb']:7.1f} MB rc {r['rc']}{extra}",
                flush=True,
            )
            if r["rc"] != 0:
                print(r["stderr"].strip()[-600:], flush=True)

    write_results(a, info, bundles, uncompressed, on_disk, res, truth_res, naive_bytes, n_rx, n_kept, naive_files)
    print(f"wrote {a.out}")


def med(rs: list[dict], k: str) -> float:
    return statistics.median(r[k] for r in rs) if rs else float("nan")


def write_results(
    a, info, bundles, uncompressed, on_disk, res, truth_res, naive_bytes, n_rx, n_kept, naive_files
) -> None:
    size_of = {name: (naive_bytes if name.startswith("naive") else uncompressed[name.split()[1]]) for name in res}
    lines = [
        "# loganalyzer benchmark results",
        "",
        f"Generated by `bench/run.py` on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M UTC}: "
        f"`--size-mb {a.size_mb:g}{' --big' if a.big else ''} --runs {a.runs} --naive-mb {a.naive_mb:g}`. "
        f"Medians of {a.runs} interleaved runs.",
        "",
        "## Machine",
        "",
        f"- CPU: {info['cpu']}, nproc {info['nproc']}, memory {info['mem']}",
        f"- load average at start: {' '.join(f'{x:.2f}' for x in info['load'])} (shared machine; other "
        "processes were running, so absolute times are noisy — ratios are the figure to compare)",
        f"- Python {info['python']}, polars {info['polars']}, {info['rg']}, loganalyzer {info['loganalyzer']}",
        f"- peak RSS/CPU measured with {'`/usr/bin/time -v`' if TIME_BIN else '`os.wait4` ru_maxrss'}; "
        "CPU = user+sys of the child (os.wait4)",
        "",
        "## Corpus",
        "",
        f"- catalogue regexes: {n_rx}, accepted by ripgrep: {n_kept}",
    ]
    for k, b in bundles.items():
        lines.append(
            f"- {k}: `{b.relative_to(REPO)}` — {uncompressed[k] / MB:.1f} MB uncompressed, "
            f"{on_disk[k] / MB:.1f} MB on disk"
        )
    lines.append(f"- naive slice: first {len(naive_files)} file(s) of the plain bundle, {naive_bytes / MB:.1f} MB read")
    lines += [
        "",
        "## Timings (medians)",
        "",
        "| task | wall s | CPU s | CPU/wall | MB/s (uncompressed) | peak RSS MB | failed runs |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rs in res.items():
        w, c = med(rs, "wall"), med(rs, "cpu")
        mbps = size_of[name] / MB / w if w else float("nan")
        fails = sum(1 for r in rs if r["rc"] != 0)
        lines.append(f"| {name} | {w:.2f} | {c:.2f} | {c / w:.2f} | {mbps:.1f} | {med(rs, 'rss_mb'):.0f} | {fails} |")

    def mbps(name: str) -> float:
        return size_of[name] / MB / med(res[name], "wall")

    lines += ["", "## Ratios", ""]
    for key in bundles:
        ratio = med(res[f"analyze {key}"], "wall") / med(res[f"rg {key}"], "wall")
        lines.append(
            f"- analyze / rg wall time, {key}: **{ratio:.2f}x** "
            f"(CPU: {med(res[f'analyze {key}'], 'cpu') / med(res[f'rg {key}'], 'cpu'):.2f}x)"
        )
    if naive_bytes:
        n = "naive python re (slice)"
        lines.append(
            f"- analyze (plain) vs naive Python `re` loop, by MB/s: analyze {mbps('analyze plain'):.1f} MB/s, "
            f"naive {mbps(n):.2f} MB/s → analyze is **{mbps('analyze plain') / mbps(n):.1f}x** faster"
        )
    lines += ["", "## Truth", ""]
    all_ok = True
    for name, tr in truth_res.items():
        skipped = tr[0][2] if tr else 0
        ok = bool(tr) and all(f == e for f, e, _ in tr)
        all_ok &= ok
        frac = ", ".join(f"{f}/{e} ({f / e:.1%})" if e else "0/0" for f, e, _ in tr)
        lines.append(
            f"- {name}: {'yes' if ok else 'NO'} — truth lines found per run: {frac}"
            + (f"; {skipped} truth lines skipped (signature not in catalogue)" if skipped else "")
        )
    lines += ["", f"**Truth verified: {'yes' if all_ok else 'no'}**", ""]
    a.out.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
