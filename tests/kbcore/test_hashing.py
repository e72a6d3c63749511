from __future__ import annotations

import hashlib
import os
import tracemalloc
from pathlib import Path

import pytest

from kbcore._hashing import SMALL_FILE, FileHash, HashJob, hash_file, hash_files


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_matches_hashlib_across_block_boundaries(tmp_path: Path) -> None:
    data = os.urandom(100_003)
    path = write(tmp_path / "r.bin", data)
    expected = hashlib.sha256(data).hexdigest()
    for block_size in (1, 7, 4096, 1 << 20):
        assert hash_file(path, block_size=block_size) == FileHash(len(data), expected)


def test_multibyte_characters_split_across_blocks_are_fine(tmp_path: Path) -> None:
    path = write(tmp_path / "t.md", "жёлтый 🍋 café\n".encode() * 50)
    assert hash_file(path, check_text=True, block_size=3).text_error is None
    assert hash_file(path, check_text=True, block_size=1).text_error is None


def test_invalid_utf8_offset_is_exact_across_blocks(tmp_path: Path) -> None:
    data = "ж".encode() * 10 + b"ok \xe9 more"
    path = write(tmp_path / "t.txt", data)
    for block_size in (1, 5, 1 << 20):
        result = hash_file(path, check_text=True, block_size=block_size)
        assert result.text_error == "invalid UTF-8 byte 0xe9 at offset 23"
        assert result.sha256 == hashlib.sha256(data).hexdigest()


def test_utf8_bom_offsets_count_the_bom(tmp_path: Path) -> None:
    path = write(tmp_path / "t.txt", b"\xef\xbb\xbfab\xff")
    assert hash_file(path, check_text=True).text_error == "invalid UTF-8 byte 0xff at offset 5"


def test_truncated_utf8_at_the_end_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "t.txt", b"abc\xd0")
    assert hash_file(path, check_text=True).text_error == "invalid UTF-8 byte 0xd0 at offset 3"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_needs_a_bom(tmp_path: Path, encoding: str) -> None:
    text = "Добрый день\n" * 100
    data = text.encode(encoding)
    if encoding == "utf-16-le":
        data = b"\xff\xfe" + data
    elif encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = write(tmp_path / "t.txt", data)
    assert hash_file(path, check_text=True, block_size=3).text_error is None


def test_utf16_with_an_odd_length_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "t.txt", "hi".encode("utf-16") + b"\x00")
    error = hash_file(path, check_text=True).text_error
    assert error is not None
    assert error.startswith("invalid UTF-16 at byte offset")


def test_text_is_not_checked_unless_asked(tmp_path: Path) -> None:
    assert hash_file(write(tmp_path / "b.pdf", b"\xff\xfe\xfd")).text_error is None


def test_lfs_pointer_is_noticed(tmp_path: Path) -> None:
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:ab\nsize 3\n"
    assert hash_file(write(tmp_path / "p.pdf", pointer), block_size=8).lfs_pointer
    assert not hash_file(write(tmp_path / "q.md", b"version 1 of the guide\n")).lfs_pointer


def test_read_error_is_reported_not_raised(tmp_path: Path) -> None:
    result = hash_file(tmp_path)  # a folder cannot be read as a file
    assert result.read_error == "Is a directory"
    assert result.sha256 == ""


@pytest.mark.parametrize("workers", [None, 1, 2, 8])
def test_hash_files_keeps_job_order(tmp_path: Path, workers: int | None) -> None:
    # large files (≥ SMALL_FILE) go to the pool while the caller hashes the small ones
    sizes = [SMALL_FILE + 1000 * n if n % 9 == 0 else 997 * n for n in range(80)]
    blobs = [os.urandom(size) for size in sizes]
    jobs = [HashJob(write(tmp_path / f"{i}.bin", blob)) for i, blob in enumerate(blobs)]
    done: list[int] = []
    results = hash_files(jobs, workers=workers, on_done=lambda index, _: done.append(index))
    assert [r.sha256 for r in results] == [hashlib.sha256(b).hexdigest() for b in blobs]
    assert sorted(done) == list(range(len(blobs)))


def test_hash_files_reports_errors_in_place(tmp_path: Path) -> None:
    big = write(tmp_path / "big.bin", os.urandom(SMALL_FILE))
    jobs = [HashJob(big), HashJob(tmp_path / "missing.md"), HashJob(big, size_hint=10)]
    results = hash_files(jobs, workers=2)
    assert results[0] == results[2]
    assert results[1].read_error == "No such file or directory"


def test_memory_stays_constant_while_checking_text(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    with open(path, "wb") as out:
        line = "Строка текста, которую надо проверить. Line of text.\n".encode()
        for _ in range(32 * 1024 * 1024 // len(line)):
            out.write(line)
    tracemalloc.start()
    try:
        result = hash_file(path, check_text=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert result.text_error is None
    assert result.size > 30 * 1024 * 1024
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes for a {result.size}-byte file"


def test_decode_windows_inside_a_block_keep_characters_and_offsets(tmp_path: Path) -> None:
    text = ("a" + "ж" * 30_000).encode()  # odd alignment: windows split characters
    assert hash_file(write(tmp_path / "ok.txt", text), check_text=True).text_error is None
    bad = text + b"\xc3("
    result = hash_file(write(tmp_path / "bad.txt", bad), check_text=True)
    assert result.text_error == f"invalid UTF-8 byte 0xc3 at offset {len(text)}"
