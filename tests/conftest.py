"""Shared fixtures: repository paths, the shipped catalogue, and a generated log bundle with ground truth."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE_LOGS = REPO / "sample_logs"

# Hermetic: the catalogue cache, report assets and tuning defaults live in a folder of this test session,
# never in the user's ~/.cache or ~/.config (set before anything imports loganalyzer).
_HOME = Path(tempfile.mkdtemp(prefix="loganalyzer-tests-"))
os.environ["XDG_CACHE_HOME"] = str(_HOME / "cache")
os.environ["XDG_CONFIG_HOME"] = str(_HOME / "config")


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


@pytest.fixture(scope="session")
def catalogue():
    from loganalyzer.catalogue import load_or_raise

    return load_or_raise()


def generate(out: Path, size_mb: float, plain: bool) -> dict:
    args = [sys.executable, "-m", "tools.bundlegen", str(out), "--size-mb", str(size_mb)]
    subprocess.run([*args, "--plain"] if plain else args, check=True, capture_output=True, cwd=REPO)
    return json.loads((out / "truth.json").read_text())


def _bundle(tmp_path_factory, plain: bool) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bundle-plain" if plain else "bundle-mixed")
    return out / "logs", generate(out, 4, plain=plain)


def _analysis(bundle: tuple[Path, dict], catalogue):
    from loganalyzer import analysis

    return analysis.run([str(bundle[0])], analysis.Options(), catalogue)


@pytest.fixture(scope="session")
def plain_bundle(tmp_path_factory) -> tuple[Path, dict]:
    """A ~4 MB uncompressed bundle from tools.bundlegen and its truth."""
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
