"""Shared fixtures: repository paths, the shipped catalogue, and a generated log bundle with ground truth."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_LOGS = REPO / "sample_logs"


def tar_bytes(members: dict[str, bytes], mode: str = "w") -> bytes:
    """A tar archive (``mode`` ``w`` plain, ``w:gz`` …) holding ``members`` (name → content), built in memory."""
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def shared_dir() -> Path | None:
    for candidate in (REPO.parent / "shared", Path("/work/shared")):
        if (candidate / "bench" / "gen_corpus.py").is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def catalogue():
    from loganalyzer.catalogue import load_or_raise

    return load_or_raise()


def generate(out: Path, size_mb: float, plain: bool) -> dict:
    shared = shared_dir()
    if shared is None:
        pytest.fail("../shared/bench/gen_corpus.py is missing; the corpus tests need it")
    args = [sys.executable, str(shared / "bench" / "gen_corpus.py"), str(out), "--size-mb", str(size_mb)]
    subprocess.run([*args, "--plain"] if plain else args, check=True, capture_output=True)
    return json.loads((out / "truth.json").read_text())


def _bundle(tmp_path_factory, plain: bool) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bundle-plain" if plain else "bundle-mixed")
    return out / "logs", generate(out, 4, plain=plain)


def _analysis(bundle: tuple[Path, dict], catalogue):
    from loganalyzer import analysis

    return analysis.run([str(bundle[0])], analysis.Options(), catalogue)


@pytest.fixture(scope="session")
def plain_bundle(tmp_path_factory) -> tuple[Path, dict]:
    """A ~4 MB uncompressed bundle from gen_corpus.py and its truth."""
    return _bundle(tmp_path_factory, plain=True)


@pytest.fixture(scope="session")
def plain_analysis(plain_bundle, catalogue):
    return _analysis(plain_bundle, catalogue)


@pytest.fixture(scope="session")
def mixed_bundle(tmp_path_factory) -> tuple[Path, dict]:
    """A ~4 MB bundle with compressed files, a tarball, CRI and docker json wrappers, and its truth."""
    return _bundle(tmp_path_factory, plain=False)


@pytest.fixture(scope="session")
def mixed_analysis(mixed_bundle, catalogue):
    return _analysis(mixed_bundle, catalogue)
