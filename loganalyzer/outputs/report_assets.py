"""The JavaScript and CSS that make ``report.html`` work offline, taken from installed packages.

Vega, Vega-Lite and vega-embed come bundled by ``vl-convert-python``; DataTables (with jQuery) from
``itables``' offline bundle. Each is embedded gzip-compressed and base64-encoded (small to mail, and no
byte of it can end the ``<script>`` element it sits in); the page unpacks them with DecompressionStream.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import gzip
import os
from dataclasses import dataclass
from importlib import resources
from importlib.metadata import version
from pathlib import Path

from loganalyzer.atomic import atomic_write

MISSING = "report.html needs the 'report' extra: pip install 'loganalyzer[report]' (vl-convert-python and itables)"


class MissingDependency(RuntimeError):
    """The packages that supply the embedded libraries are not installed."""


@dataclass(frozen=True)
class Asset:
    name: str
    about: str  # what it is, its version and licence, written beside it in the page
    data: str  # base64 of the gzip-compressed text


def pack(text: str) -> str:
    """Base64 of the gzip-compressed ``text`` (deterministic), as the page's ``unpack`` reads it."""
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)).decode("ascii")


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "loganalyzer"


def _vega_packed() -> str:
    """The packed Vega bundle; vl-convert takes seconds to bundle it, so it is cached per vl-convert version."""
    import vl_convert

    path = _cache_dir() / f"vega-bundle-{version('vl-convert-python')}.b64"
    try:
        if cached := path.read_text(encoding="ascii"):
            return cached
    except OSError:
        pass
    data = pack(vl_convert.javascript_bundle())
    with contextlib.suppress(OSError):  # a read-only home: no cache, only slower
        atomic_write(path, lambda p: p.write_text(data, encoding="ascii"))
    return data


@functools.cache
def assets() -> tuple[Asset, ...]:
    """(vega, datatables JS, datatables CSS); raises MissingDependency if the packages are missing."""
    try:
        import vl_convert

        itables_html = resources.files("itables") / "html"
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependency(MISSING) from exc
    vl = vl_convert.get_vegalite_versions()[-1]
    return (
        Asset(
            "vega",
            f"Vega, Vega-Lite {vl} and vega-embed (BSD-3-Clause), bundled by vl-convert-python "
            f"{version('vl-convert-python')}",
            _vega_packed(),
        ),
        Asset(
            "datatables",
            f"DataTables 2 with jQuery (MIT), from itables {version('itables')}",
            pack((itables_html / "dt_bundle.js").read_text(encoding="utf-8")),
        ),
        Asset(
            "datatables-css",
            "DataTables styles (MIT)",
            pack((itables_html / "dt_bundle.css").read_text(encoding="utf-8")),
        ),
    )
