"""Version-aware explanations: is the version the logs show affected by a bug, or does it have the fix?"""

from __future__ import annotations

import polars as pl
import regex

_VERSION = regex.compile(r"\d+\.\d+\.\d+")


def _tuple(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split("."))


def fix_status(version: str, fixed_in: str) -> tuple[bool, str] | None:
    """(affected, fixing release) of ``version`` against ``fixed_in`` such as ``etcd 3.4.17, 3.5.0``."""
    fixes = sorted((_tuple(v) for v in _VERSION.findall(fixed_in)), reverse=True)
    if not fixes:
        return None
    v = _tuple(version)
    for fix in fixes:  # the fix on the same minor line, else the first later line that has it
        if fix[:2] == v[:2]:
            return v < fix, ".".join(map(str, fix))
    later = [f for f in fixes if f[:2] > v[:2]]
    if later:
        return True, ".".join(map(str, min(later)))
    return False, ".".join(map(str, min(fixes)))


def context(component: str, host: str | None, fixed_in: str | None, versions: pl.DataFrame) -> dict[str, str]:
    """Template values about the versions of ``component`` the logs show (this host's first, else the run's).

    ``<component>_version`` always; with ``fixed_in``: ``affected_version`` or ``patched_version``
    (whichever applies) and ``fixed_version``.
    """
    if versions.is_empty():
        return {}
    rows = versions.filter(pl.col("component") == component)
    own = rows.filter(pl.col("host") == host) if host else rows.clear()
    found = sorted(set((own if own.height else rows)["version"].to_list()), key=_tuple)
    if not found:
        return {}
    out = {f"{component}_version": ", ".join(found)}
    if fixed_in:
        statuses = [fix_status(v, fixed_in) for v in found]
        if all(s is not None for s in statuses):
            fix = statuses[0][1]  # type: ignore[index]
            affected = [v for v, s in zip(found, statuses, strict=True) if s and s[0]]
            out["fixed_version"] = fix
            if affected:
                out["affected_version"] = ", ".join(affected)
            else:
                out["patched_version"] = ", ".join(found)
    return out
