"""Reading sources: compression by content, line numbering, and bad input recorded without stopping the run."""

from __future__ import annotations

import gzip
import os

import polars as pl
import pytest

from loganalyzer.matching import Matcher
from loganalyzer.scan import scan

LINE = (
    '2021-06-09 11:10:13.022735 I | embed: rejected connection from "127.0.0.1:50898" (error "tls: failed to '
    'verify client\'s certificate: x509: certificate specifies an incompatible key usage", ServerName "")'
)


@pytest.fixture(scope="module")
def matcher(catalogue):
    return Matcher(catalogue)


def status(result, name):
    return result.sources.filter(pl.col("source") == name).row(0, named=True)


def test_line_numbers_are_physical_lines_including_blank_and_crlf(tmp_path, matcher):
    (tmp_path / "a.log").write_bytes(b"first\r\n\r\n   \n" + LINE.encode() + b"\r\nlast\n")
    result = scan([str(tmp_path)], matcher)
    assert result.events["line"].to_list() == [4]
    assert status(result, "a.log")["lines"] == 5


def test_gzip_read_by_content_even_when_misnamed(tmp_path, matcher):
    (tmp_path / "etcd.log.txt").write_bytes(gzip.compress(("noise\n" * 3 + LINE + "\n").encode()))
    result = scan([str(tmp_path)], matcher)
    assert result.events.select("source", "line").rows() == [("etcd.log.txt", 4)]
    assert status(result, "etcd.log.txt")["status"] == "ok"


def test_truncated_gzip_is_partial_and_keeps_what_was_read(tmp_path, matcher):
    data = gzip.compress((LINE + "\n" + "noise line\n" * 20000).encode())
    (tmp_path / "cut.log.gz").write_bytes(data[: len(data) // 2])
    result = scan([str(tmp_path)], matcher)
    row = status(result, "cut.log.gz")
    assert row["status"] == "partial"
    assert "truncated" in row["error"]
    assert result.events["line"].to_list() == [1]


def test_empty_binary_and_invalid_utf8(tmp_path, matcher):
    (tmp_path / "empty.log").write_bytes(b"")
    (tmp_path / "core.bin").write_bytes(b"\x7fELF\x00\x00\x01" * 100)
    (tmp_path / "latin1.log").write_bytes(b"caf\xe9 \xff\n" + LINE.encode() + b"\n")
    result = scan([str(tmp_path)], matcher)
    assert (status(result, "empty.log")["status"], status(result, "empty.log")["error"]) == ("skipped", "empty file")
    assert status(result, "core.bin")["status"] == "skipped"
    assert "binary" in status(result, "core.bin")["error"]
    assert status(result, "latin1.log")["status"] == "ok"
    assert result.events.filter(pl.col("source") == "latin1.log")["line"].to_list() == [2]


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file_is_an_error_row(tmp_path, matcher):
    p = tmp_path / "secret.log"
    p.write_text(LINE + "\n")
    p.chmod(0)
    result = scan([str(tmp_path)], matcher)
    assert status(result, "secret.log")["status"] == "error"


def test_missing_path_and_fifo_are_recorded(tmp_path, matcher):
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "ok.log").write_text(LINE + "\n")
    result = scan([str(tmp_path), str(tmp_path / "nope")], matcher)
    assert status(result, "pipe")["status"] == "skipped"
    assert "FIFO" in status(result, "pipe")["error"]
    assert status(result, str(tmp_path / "nope"))["error"] == "no such file or directory"
    assert result.events.height == 1


def test_chunk_boundaries_do_not_split_or_renumber_lines(tmp_path, matcher):
    body = "".join(f"noise {i}\n" if i % 997 else LINE + "\n" for i in range(1, 6000))
    (tmp_path / "big.log").write_text(body)
    from loganalyzer.scan import ScanOptions

    small = scan([str(tmp_path)], matcher, ScanOptions(chunk_bytes=4096))
    whole = scan([str(tmp_path)], matcher)
    assert small.events["line"].to_list() == whole.events["line"].to_list() == [997 * k for k in range(1, 7)]


@pytest.mark.parametrize("kind", ["gzip", "bzip2", "xz", "zstd"])
def test_large_first_member_then_a_second_member_are_both_read(kind):
    import bz2
    import io
    import lzma

    import zstandard

    from loganalyzer.sources.decompress import damage, decompressed

    compress = {
        "gzip": gzip.compress,
        "bzip2": bz2.compress,
        "xz": lzma.compress,
        "zstd": zstandard.ZstdCompressor().compress,
    }[kind]
    data = b"hello\n" * 3_000_000  # expands past one decoder call's output bound
    stream, found = decompressed(io.BytesIO(compress(data) + compress(b"second\n")))
    out = stream.read()
    assert (found, len(out), out[-7:], damage(stream)) == (kind, len(data) + 7, b"second\n", None)


def test_dangling_symlink_is_an_error_row_and_the_run_goes_on(tmp_path, matcher):
    (tmp_path / "ok.log").write_text(LINE + "\n")
    os.symlink(tmp_path / "gone.log", tmp_path / "dangling.log")
    result = scan([str(tmp_path)], matcher)
    r = status(result, "dangling.log")
    assert r["status"] == "error" and "cannot stat" in r["error"]
    assert result.events["source"].to_list() == ["ok.log"]
